/* run.h: the processor: a libuv loop around a librdkafka consumer and
 * producer.
 *
 * The consumer queue wakes a uv_poll_t through rd_kafka_queue_io_event_enable
 * (a non-blocking pipe, drained fully on each wake), and so does the
 * producer's queue of delivery reports; a timer polls both as well and closes
 * batches every commit.interval.ms. Inputs (articles, deals) are decoded,
 * extracted or normalised, and their mentions produced to <app>-mentions
 * keyed by block key; the same consumer reads <app>-mentions back, resolves
 * each mention in the resolver of its partition (cross-block links off),
 * produces the changed canonical records to deals.canonical (key: deal id)
 * and, when the batch closes, the state of each block it changed to the
 * same partition of <app>-state. A mentions
 * partition's resolver is restored from its state partition on assignment
 * (state.h; this blocks the loop for the restore) and dropped on revoke.
 * Poison inputs go to <topic>.dlq.
 *
 * Exactly-once (cfg->guarantee, the default): each batch (up to 10,000 inputs
 * or commit.interval.ms) is one transaction holding its mentions, canonical
 * and changelog records, dead letters and consumed offsets. Transactional
 * calls run from a timer with 50 ms timeouts and are resumed on timeouts;
 * retriable errors retry, abortable ones abort, seek the batch's partitions
 * back to where it began and restore their state, fatal ones stop (exit 1).
 * At-least-once: offsets are committed per batch, in order, once every
 * output of the batch has been delivered (outputs are idempotent by deal id
 * and revision). Either way intake waits while a transaction commits, and
 * the input partitions are paused while the producer queue is over half
 * full.
 * SIGINT/SIGTERM shut down in order: stop intake, finish the open batch
 * (commit its transaction, or flush and commit), close the consumer, close
 * handles, close the loop.
 *
 * With cfg->http_listen (default 127.0.0.1:9464; "off" or "": none) the loop
 * also serves HTTP (http.h): /metrics in the Prometheus text format (the
 * series are listed in README.md, "Metrics and health"), /healthz (200
 * while the loop runs and neither client has a fatal error, else 503) and
 * /readyz (200 once the transactional producer is initialised and the
 * assignment is restored; 503 before, during a rebalance and while shutting
 * down). An address that cannot be bound fails the start. */
#ifndef DS_RUN_H
#define DS_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

typedef struct ds_run_stats {
    uint64_t consumed;          /* input records (articles, deals) */
    uint64_t undated;           /* of those, articles with published null */
    uint64_t mentions;          /* mentions extracted or normalised from them */
    uint64_t mentions_produced; /* of those, delivered to <app>-mentions */
    uint64_t resolved;          /* mentions consumed from <app>-mentions */
    uint64_t produced;          /* canonical records delivered */
    uint64_t state_records;     /* changelog records delivered to <app>-state */
    uint64_t dead_letters;
    uint64_t offset_resets;     /* automatic offset resets over records the broker no longer had */
    uint64_t records_skipped;   /* the offsets those resets jumped over: input never read */
    uint64_t commits;
    uint64_t delivery_failures;
    uint64_t restored_blocks;   /* blocks rebuilt from <app>-state on assignment */
    uint64_t restored_records;  /* changelog records read doing so */
    uint64_t capped;            /* mentions refused: their block was full (--state-max-mentions-per-block) */
    uint64_t expired;           /* mentions that left the state by event time (intents past the retention) */
    uint64_t truncated;         /* canonical records published with part of their sources (--canonical-max-sources) */
    uint64_t restore_ms;        /* time spent restoring (the loop is blocked meanwhile) */
    uint64_t restore_waits;     /* restores put off: committed offsets or changelog not stable yet */
    /* exactly-once */
    uint64_t transactions;      /* committed (each also counts in commits) */
    uint64_t aborts;            /* aborted, their batches rewound and redone */
    uint64_t txn_retries;       /* transactional calls retried or resumed (timeouts included) */
    /* backpressure */
    uint64_t pauses;            /* times intake paused the input partitions */
    uint64_t backpressure_pauses; /* of those, because the producer queue was full */
} ds_run_stats;

/* The exit code of a run that finished but skipped input records. */
#define DS_RUN_SKIPPED 3

/* Runs until signalled (or, with cfg->exit_at_end, until every assigned
 * partition is at its end, every mention this process produced has been
 * resolved, by itself or by the group as its committed offsets show, and all
 * work is committed). Fails at start unless <app>-mentions and <app>-state
 * exist with the same partition count. Returns the exit code:
 * 0 after a clean shutdown, 1 on a fatal error (message logged),
 * DS_RUN_SKIPPED after a clean shutdown when an automatic offset reset
 * jumped over input records the broker no longer had (logged at error
 * level, counted in stats->records_skipped). stats may be NULL. */
int ds_run(const ds_config *cfg, ds_run_stats *stats);

/* Optional callbacks of a run, for programs that embed it and for tests. */
typedef struct ds_run_hooks {
    /* Called on ds_run_with's thread once the HTTP server listens, before
     * the loop starts: address is "HOST:PORT" with the port bound (the real
     * one when port 0 was asked). May be NULL. */
    void (*http_listening)(void *opaque, const char *address, int port);
    void *opaque;
} ds_run_hooks;

/* ds_run with hooks (NULL: none). */
int ds_run_with(const ds_config *cfg, ds_run_stats *stats, const ds_run_hooks *hooks);

#endif
