/* run_internal.h: the processor's private state, shared by the files of
 * `run` (consumer/run*.c) and by nothing else.
 *
 *   run.c         the loop and its handles: wake-ups, intake, schema gate,
 *                 signals and shutdown, start-up (ds_run_with)
 *   run_batch.c   batches: open, close, commit in order; the exactly-once
 *                 transaction state machine driven by a timer
 *   run_output.c  outputs: delivery reports, mentions, changelog records,
 *                 dead letters
 *   run_assign.c  the rebalance callback: assignment, revocation; the
 *                 restore, driven by a timer
 *   run_health.c  /metrics series, /healthz and /readyz
 *   run_topics.c  the topics checked and created at start
 *   run_parts.c   constant-time look-ups in the partition lists
 *   run_watchdog.c the bound on the shutdown (--shutdown-timeout)
 *
 *   run_txnwork.c the blocking transactional calls, on a worker thread
 *   run_resolve.c the resolution of mentions, on a worker thread
 *   run_restorework.c the blocking work of a restore (committed offsets,
 *                 reading the changelog into new resolvers), on a worker
 *   run_endwork.c -e's look-ups of the partitions other members hold, on
 *                 a worker
 *
 * Every function here runs on the loop thread (@locality loop), except
 * run_dr_cb and run_rebalance_cb, which librdkafka calls from the loop thread
 * too, inside rd_kafka_poll / consumer_poll, the workers' calls in
 * run_txnwork.c, run_restorework.c and run_endwork.c, which touch no
 * runner state, and the
 * worker's in run_resolve.c, which touches the resolvers and the pipeline
 * only while the loop leaves them alone (run_resolve_pending). */
#ifndef DS_RUN_INTERNAL_H
#define DS_RUN_INTERNAL_H


#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>
#include <xxhash.h>

#include "commands.h"
#include "http.h"
#include "kafka.h"
#include "log.h"
#include "metrics.h"
#include "pipeline.h"
#include "process.h"
#include "publish.h"
#include "reftopic.h"
#include "schemagate.h"
#include "state.h"
#include "util.h"

#include "run.h"

#define BATCH_MAX_MESSAGES 10000
#define SLICE_MS 5                    /* work done per wake (input, results, changelog) before yielding */
#define SHUTDOWN_FLUSH_MS 10000
#define METADATA_MS 10000
#define UNHELD_CHECK_MS 1000          /* -e: other members' partitions looked up at most this often */
#define REFERENCE_TIMEOUT_MS 60000   /* reading --reference-topic at start */
#define REGISTER_TIMEOUT_MS 60000    /* registering the canonical schema at start */
#define RESTORE_TIMEOUT_MS 300000      /* a partition's read (on the restore's worker) gives up after this */
#define RESTORE_LOOKUP_MS 1000         /* one look-up of committed offsets */
/* The blocking transactional calls run on a worker (run_txnwork.c) with
 * these timeouts: init_transactions in slices (it resumes), the others with
 * the producer's transaction.timeout.ms, so that librdkafka never gives up
 * on a request the coordinator may still apply to the transaction. */
#define TXN_INIT_SLICE_MS 1000
#define TXN_RETRY_MS 20
#define TXN_DRAIN_WAIT_MS 200           /* a closed batch's deliveries awaited before the loop flushes */
#define TXN_FLUSH_SLICE_MS 10           /* one flush of the loop after that, serving delivery reports */
#define TXN_INIT_MS 60000               /* give up on init_transactions after this */
#define MAX_ABORT_STREAK 20             /* a batch that cannot commit after this many tries stops the run */

/* Where the transaction of exactly-once processing stands. */
typedef enum {
    TXN_OFF,    /* at-least-once: no transactions */
    TXN_INIT,   /* init_transactions not yet done: intake held */
    TXN_IDLE,   /* ready; begins with the next output */
    TXN_OPEN,   /* begun: outputs and dead letters go into it */
    TXN_COMMIT, /* batch closed: sending its offsets and committing (intake held) */
    TXN_ABORT,  /* aborting (intake held); then rewind and restore */
    TXN_FATAL,  /* the producer cannot continue (fenced, ...) */
} txn_state;

/* A transactional call made on the worker (run_txnwork.c). */
typedef enum {
    TXW_INIT,   /* init_transactions */
    TXW_COMMIT, /* send_offsets_to_transaction (unless sent), commit_transaction */
    TXW_ABORT,  /* abort_transaction */
} txw_op;

typedef struct txn_job {
    uv_work_t req;
    uv_mutex_t mu;
    uv_cond_t cond;
    struct runner *r;
    int ready;    /* mu and cond initialised */
    int queued;   /* with libuv: the after-callback has not run yet (loop thread) */
    int running;  /* the call has not returned (under mu) */
    int taken;    /* its result was applied by run_txnwork_wait */
    txw_op op;
    rd_kafka_t *producer;
    rd_kafka_topic_partition_list_t *offsets;   /* TXW_COMMIT: to send first, or NULL (owned) */
    rd_kafka_consumer_group_metadata_t *cgmd;   /* owned */
    int timeout_ms;
    /* the result */
    const char *call;         /* the call that failed, NULL on success */
    rd_kafka_error_t *error;  /* NULL on success */
    int offsets_sent;         /* the offsets are in the transaction */
} txn_job;

/* One mentions partition of a restore on the worker (run_restorework.c). */
typedef struct restore_part {
    int32_t partition;
    int64_t committed;      /* restored as of it; RD_KAFKA_OFFSET_INVALID: looked up first */
    atomic_int stale;       /* set on the loop: revoked or queued again since the job began */
    rd_kafka_conf_t *conf;  /* its reader's configuration (owned until the worker takes it) */
    /* the result */
    int rc;                 /* 0, DS_RESTORE_UNSTABLE, DS_RESTORE_CANCELLED or -1 */
    ds_resolver *rs;        /* rc 0: the restored state (owned) */
    ds_changes publish;     /* rc 0: the deals of rs to publish (items owned) */
    ds_restore_stats st;
    char err[512];          /* rc != 0: why */
} restore_part;

/* A restore on the worker: its inputs are set on the loop before it is
 * queued and read only by the worker; its results are the parts'. */
typedef struct restore_job {
    uv_work_t req;
    uv_mutex_t mu;
    uv_cond_t cond;
    struct runner *r;
    int ready;    /* mu, cond and codec set up */
    int queued;   /* with libuv: the after-callback has not run yet (loop thread) */
    int running;  /* the work has not returned (under mu) */
    int taken;    /* run_restorework_fini dropped its results */
    int done;     /* its results wait to be applied (loop thread) */
    rd_kafka_t *consumer;      /* for the committed offsets' look-up */
    ds_codec *codec;           /* the worker's own (owned) */
    const ds_catalog *cat;
    ds_block_owner *owners;    /* per mentions partition, read-only */
    const char *mtopic, *stopic;
    int retention_days;
    size_t max_mentions, chunk_bytes;
    restore_part *parts;       /* nparts of them, capparts allocated (owned) */
    int nparts, capparts;
    /* the input partitions of r->unchecked when the job began, their
     * committed offsets looked up with the mentions' (owned) */
    rd_kafka_topic_partition_list_t *inputs;
    rd_kafka_resp_err_t lookup_err; /* the look-up failed: nothing restored */
} restore_job;

/* The three topics the run reads, as indexes of per-topic tables. */
enum { RUN_T_ARTICLES, RUN_T_DEALS, RUN_T_MENTIONS, RUN_T_KINDS };

/* Where each partition of the three topics is in one partition list
 * (run_parts.c): per kind, per partition, 1 + the element's index, 0 for
 * none. complete: every element of those topics is indexed, so a miss
 * needs no search. */
typedef struct part_index {
    int32_t *at[RUN_T_KINDS];
    int32_t n[RUN_T_KINDS];
    int complete;
} part_index;

/* A batch: consumed offsets that may be committed once every output the
 * batch caused has been delivered. Batches commit in order. */
typedef struct batch {
    struct batch *next;
    rd_kafka_topic_partition_list_t *offsets; /* next offset to read, per partition */
    rd_kafka_topic_partition_list_t *start;   /* first offset read in this batch, per partition */
    part_index offsets_ix, start_ix;          /* of offsets and start */
    size_t pending;                           /* outputs queued, not yet delivered (at-least-once) */
    size_t nmsgs;
    size_t outputs;                           /* records queued for this batch */
    int64_t opened_ms;
    int closing;                              /* its changelog is being written, a slice at a time */
    int closed;
    /* blocks whose state changed in this batch: one changelog record each
     * is written when the batch closes, not one per mention */
    struct dirty_block *dirty; /* open addressing, key NULL: empty */
    size_t ndirty, dirtycap;
    size_t flush_at;                          /* closing: the next slot of dirty to write */
    ds_state_writer fw;                       /* closing: where that block's changelog stands */
} batch;

typedef struct dirty_block {
    char *key;
    int32_t partition;
    int64_t offset; /* of the last mention of the block in the batch */
} dirty_block;

/* The metrics of a run (README, "Metrics and health"). Totals that
 * ds_run_stats keeps are copied into their series when /metrics is scraped,
 * and gauges are computed then; per-topic counts and histograms are updated
 * where they happen, through series looked up once. */
typedef struct run_metrics {
    ds_metrics *reg;
    ds_metric *in, *out, *dead, *resets, *skipped, *txns, *rebalances, *lag, *time_lag, *info; /* labelled families */
    ds_series *in_articles, *in_deals, *in_mentions;
    ds_series *out_mentions, *out_canonical, *out_state;
    ds_series *extract, *resolve, *commit, *restore; /* histograms */
    ds_series *assigns, *revokes;
    ds_series *txn_committed, *txn_aborted, *commits, *txn_retries, *mentions, *undated, *delivery_failures, *pauses,
        *backpressure_pauses, *restored_blocks, *restored_records, *capped, *expired, *truncated;
    ds_series *blocks, *deals, *state_mentions, *state_bytes, *fingerprints, *assigned, *outq, *ready;
    ds_process_metrics proc; /* process_*, read at each scrape */
} run_metrics;

/* Timestamps of the last message consumed, per partition of one input topic
 * (-1: none), for the time lag. */
typedef struct last_ts {
    int64_t *ts;
    int32_t n;
} last_ts;

typedef struct resolve_work resolve_work; /* run_resolve.c */
typedef struct end_work end_work;         /* run_endwork.c */

typedef struct runner {
    uv_loop_t loop;
    uv_poll_t cpoll, ppoll;
    uv_timer_t tick, txn_timer, restore_timer;
    uv_idle_t kick;           /* takes input on the next loop iteration (run_kick) */
    uv_signal_t sigint, sigterm;
    int cpipe[2], ppipe[2];
    rd_kafka_t *consumer, *producer;
    /* the producer's handles of the mentions, state and canonical topics
     * (ds_publish_rkt); destroyed before the producer */
    rd_kafka_topic_t *rkt_mentions, *rkt_state, *rkt_canonical;
    rd_kafka_queue_t *cq, *pq;
    ds_pipeline pl;
    int pl_ready;
    const ds_config *cfg;
    batch *head, *tail;
    ds_run_stats st;
    int stopping, exit_code, sync_commit;
    rd_kafka_topic_partition_list_t *assigned; /* offset field: 1 when at end of partition */
    part_index assigned_ix;
    batch *emit_batch;
    int emit_failed;          /* run_emit could not queue a record since it was last cleared */
    /* the internal topics; partition p of the state topic belongs to
     * partition p of the mentions topic */
    char mtopic[256], stopic[256];
    int32_t nparts;
    ds_resolver **rs;         /* per mentions partition: its state, NULL unless assigned */
    ds_block_owner *ref_owners; /* per mentions partition: the block keys it holds */
    int64_t *produced_hi;     /* per mentions partition: highest offset we produced, -1 none */
    int64_t *consumed_next;   /* per assigned mentions partition: next offset to resolve */
    /* exactly-once */
    txn_state txn;
    int offsets_sent;         /* of the batch being committed */
    int in_txn_call;          /* inside txn_step (callbacks must not re-enter it) */
    int txn_finishing;        /* inside run_txn_finish (revocation, shutdown): commits flush on the spot */
    int abort_streak;         /* aborts since the last commit */
    int64_t txn_init_deadline;
    int64_t txn_since_ms;     /* ds_mono_ms when the commit or abort began draining, 0: not yet */
    int dr_warned;            /* a failed delivery was logged in this transaction */
    int txn_timeout_ms;       /* the producer's transaction.timeout.ms */
    txn_job job;              /* the transactional call on the worker */
    restore_job rjob;         /* the restore's work on the worker (run_restorework.c) */
    /* backpressure: input partitions paused while the producer queue is
     * above its high mark, resumed below its low mark */
    int paused;
    int outq_high, outq_low;
    ds_buf obuf;              /* reused encoding of a mention or state record */
    /* schema registry (--schema-registry): an input whose schema id is not
     * known yet holds its partition (paused, sought back to it) until the
     * registry answers; the offset field of a held entry is the id */
    ds_schema_gate *gate;
    uv_async_t gate_async;
    rd_kafka_topic_partition_list_t *held;
    /* metrics and health (http.listen) */
    run_metrics mx;
    ds_http *http;            /* bound at start, accepting once the loop runs */
    const ds_run_hooks *hooks;
    last_ts last[3];          /* per input topic: articles, deals, mentions */
    double commit_t0;         /* when the batch being committed closed (exactly-once) */
    int assigned_once;        /* an assignment was received and restored */
    int rebalancing;          /* partitions revoked, the next assignment not yet received */
    int restoring;            /* partitions wait for their restore (/readyz: 503) */
    /* mentions partitions paused until restored (run_assign.c); offset:
     * the committed offset to restore as of, or RD_KAFKA_OFFSET_INVALID */
    rd_kafka_topic_partition_list_t *unrestored;
    /* per partition consumed: the offset after the last record read, to
     * tell a reset over records the broker no longer has (run_note_offset) */
    rd_kafka_topic_partition_list_t *next_in;
    part_index next_in_ix;
    /* the input partitions assigned whose committed offset is not known
     * yet; offset field: the first offset read since, or
     * RD_KAFKA_OFFSET_INVALID (run_check_committed) */
    rd_kafka_topic_partition_list_t *unchecked;
    int restore_backoff_ms;
    int64_t restore_wait_since, restore_logged_ms; /* ds_mono_ms, 0: not waiting */
    struct run_watchdog *watchdog; /* from the start of the shutdown */
    int subscribed_parts;          /* partitions of the three topics at start */
    int64_t unheld_checked_ms;     /* -e: when other members' partitions were last looked up */
    int unheld_logged;             /* -e: the wait for them was logged */
    int others_done;               /* -e: the last look-up found them at their ends (taken once) */
    end_work *ew;                  /* -e: the look-up on the worker */
    int assign_gen;                /* bumped by every assignment and revocation */
    resolve_work *rw;              /* mentions being resolved on the worker */
    int close_wanted;              /* the open batch closes once its mentions' results are applied */
} runner;

/* run_batch.c */
int run_all_done(runner *r);
/* Closes the open batch without blocking: once the results of its
 * mentions are applied (until then r->close_wanted), its changelog is
 * written a slice at a time from run_batch_work, and then it is closed and
 * commits. */
void run_close_batch(runner *r);
/* Closes the open batch on the spot (shutdown, revocation): settles the
 * resolution work (run_resolve_settle, until deadline_ms) and writes the
 * whole changelog. Blocks the loop. */
void run_finish_batch(runner *r, int64_t deadline_ms);
/* Goes on with the batch's pending work for one slice, until deadline_ms
 * (ds_mono_ms): results of resolved mentions, a close, its changelog.
 * Returns 0 when none is left (input may be taken), 1 when some is (it goes
 * on from the kick or the worker's callback). */
int run_batch_work(runner *r, int64_t deadline_ms);
/* Whether the open batch is closing (its changelog being written). */
int run_batch_closing(const runner *r);
void run_free_batch(batch *b);
void run_free_dirty(batch *b);
int run_mark_dirty(batch *b, const char *block_key, int32_t p, int64_t offset);
batch *run_open_batch(runner *r);
void run_output_failed(runner *r);
void *run_output_of(runner *r, batch *b);
void run_try_commit(runner *r);
void run_txn_arm(runner *r, uint64_t ms);
void run_txn_finish(runner *r, int budget_ms);
/* The producer's delivery reports were just served: a commit or abort
 * that waits for its outputs to be delivered starts now, not at the
 * timer's next retry. */
void run_txn_delivered(runner *r);

/* Applies the result of a transactional call (on the worker or inline) to
 * the state machine; consumes error. @locality loop */
void run_txn_result(runner *r, txw_op op, const char *call, rd_kafka_error_t *error, int offsets_sent);

/* run_txnwork.c */
/* Initialises the worker's job (mutex, condition). Returns 0 or -1. */
int run_txnwork_init(runner *r);
/* Starts op on the worker with timeout_ms; takes offsets (TXW_COMMIT: the
 * offsets to send first, or NULL). Returns 0, or -1 when a call is still
 * queued (nothing started; try again from the timer). */
int run_txnwork_start(runner *r, txw_op op, rd_kafka_topic_partition_list_t *offsets, int timeout_ms);
/* Whether a call is queued (its after-callback has not run). */
int run_txnwork_busy(const runner *r);
/* Waits until the running call returns or deadline_ms (ds_mono_ms; -1: no
 * deadline) passes, and applies its result here. Returns 0 (no call
 * running any more), or -1 at the deadline. Blocks the loop. */
int run_txnwork_wait(runner *r, int64_t deadline_ms);
/* Makes the call op on the loop thread itself (shutdown, revocation), with
 * timeout_ms, and applies its result. Takes offsets. */
void run_txn_call_inline(runner *r, txw_op op, rd_kafka_topic_partition_list_t *offsets, int timeout_ms);
/* Waits, without a deadline, for a call still running (the watchdog bounds
 * the shutdown) and drops its result. Accepts a runner without a job. */
void run_txnwork_fini(runner *r);
/* Frees the job's mutex and condition. */
void run_txnwork_destroy(runner *r);
/* Waits on cond (with mu) until a worker clears *flag (under mu) or
 * deadline_ms (ds_mono_ms; -1: none) passes. Returns 0, or -1 at the
 * deadline. Blocks the calling thread. */
int run_wait_cleared(uv_mutex_t *mu, uv_cond_t *cond, const int *flag, int64_t deadline_ms);
/* Clears *flag under mu and signals cond: a worker's last step. */
void run_clear_signal(uv_mutex_t *mu, uv_cond_t *cond, int *flag);

/* run_restorework.c */
/* Sets up the restore's job (its codec, mutex, condition). Returns 0 or -1. */
int run_restorework_init(runner *r);
/* Starts the restore of every partition of r->unrestored (their offset
 * fields: the committed offset, or RD_KAFKA_OFFSET_INVALID to look it up)
 * on the worker; run_restore_done applies its results. Returns 0, or -1
 * with err (a job under way or waiting to be applied, a partition beyond
 * those seen at start, no memory; nothing started). */
int run_restorework_start(runner *r, char *err, size_t errlen);
/* Whether the job is queued (its after-callback has not run). */
int run_restorework_busy(const runner *r);
/* Marks the job's part for partition stale (revoked, or queued again): its
 * read stops and its result is dropped. Accepts a partition not in it. */
void run_restorework_forget(runner *r, int32_t partition);
/* Marks every part of the job stale (the shutdown). */
void run_restorework_cancel(runner *r);
/* Drops the job's results (resolvers, deals to publish) once applied or
 * refused; the job may then start again. Only for a job not queued. */
void run_restorework_clear(runner *r);
/* Waits for the work still running, after marking it stale, and drops its
 * results: before the consumer it uses is destroyed. Accepts a runner
 * without a job. */
void run_restorework_fini(runner *r);
/* Frees the job (after the loop closed). */
void run_restorework_destroy(runner *r);

/* run_output.c */
void run_dead_letter(runner *r, batch *b, const rd_kafka_message_t *rkm, const ds_fail *fail);
/* Counts n canonical records published with part of their sources listed
 * (r->pl.canon_truncated since the caller last looked) and warns of the
 * 1st, 2nd, 4th, 8th ... of the run. */
void run_note_truncated(runner *r, uint64_t n);
void run_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque);
int run_emit(void *opaque, const char *key, const void *val, size_t len);
/* Writes the changelog of the blocks b changed, from b->flush_at and b->fw
 * on, a chunk at a time until deadline_ms (ds_mono_ms; -1: all of it).
 * Returns 1 when chunks are left, 0 when done (b's dirty set is freed). */
int run_flush_dirty(runner *r, batch *b, int64_t deadline_ms);

/* run_resolve.c */
/* Sets up the resolution worker's job. Returns 0 or -1 (out of memory). */
int run_resolve_init(runner *r);
/* Queues mention rkm of batch b, to be resolved in rs; takes rkm unless
 * it returns -1 (the job is full or on the worker: none is queued). */
int run_resolve_queue(runner *r, batch *b, ds_resolver *rs, rd_kafka_message_t *rkm);
/* Whether the job holds as many mentions as it takes. */
int run_resolve_full(const runner *r);
/* Hands the queued mentions to the worker (unless the transaction aborts
 * or the run failed: then they are dropped, to be read again). */
void run_resolve_dispatch(runner *r);
/* Whether mentions are queued, on the worker or awaiting their results'
 * apply: the loop must not touch the resolvers or the pipeline meanwhile
 * (except through run_resolve_apply). */
int run_resolve_pending(const runner *r);
/* Whether a job is on the worker. */
int run_resolve_busy(const runner *r);
/* Applies the results of resolved mentions in order until deadline_ms,
 * and hands the rest to the worker. Returns 1 while some are left, 0 when
 * none is. */
int run_resolve_apply(runner *r, int64_t deadline_ms);
/* Ends the work on the spot: lets the worker stop after its current
 * mention (waiting until deadline_ms; -1: no deadline), applies the results
 * and drops the mentions not resolved (their partitions, if still assigned,
 * are sought back to them). Returns 0, or -1 (the run fails) when the
 * worker did not return in time. Blocks the loop. */
int run_resolve_settle(runner *r, int64_t deadline_ms);
/* Waits for the worker without deadline and drops every mention queued. */
void run_resolve_drop(runner *r);
/* Frees the job, after the loop has run its last callbacks. Accepts a
 * runner without one. */
void run_resolve_destroy(runner *r);

/* run_assign.c: the changelog chunk size for r's producer. */
size_t run_state_chunk_bytes(const runner *r);

/* run.c */
void run_begin_shutdown(runner *r, const char *why);
void run_check_exit_at_end(runner *r);
void run_mark_eof(runner *r, const char *topic, int32_t partition, int eof);
void run_note_offset(runner *r, const rd_kafka_message_t *rkm);
/* Compares the committed offsets a restore looked up (looked) with what
 * was read since from those partitions, and lets the next record of the
 * others be checked against them. */
void run_check_committed(runner *r, const rd_kafka_topic_partition_list_t *looked);
/* Takes input on the next iteration of the loop, after its I/O (signals,
 * HTTP, the queues' wake-ups) has been served. An idle handle, not a
 * zero-timeout timer: libuv 1.44 runs a timer restarted with timeout 0 from
 * a timer callback again in the same pass, without polling I/O. */
void run_kick(runner *r);

/* The answer of -e's look-up (run_endwork.c): at_end when the other
 * members' partitions have nothing committed left; warn, a failed look-up,
 * and wait, a partition still holding work, to log (or NULL). */
void run_others_answered(runner *r, int at_end, const char *warn, const char *wait);

/* run_endwork.c */
/* Sets up the job. Returns 0 or -1 (out of memory). */
int run_endwork_init(runner *r);
/* Starts the look-up on the worker, for the partitions of the three topics
 * not in r->assigned; run_others_answered gets the answer. Returns 0, or
 * -1 when one is under way or cannot be queued. */
int run_endwork_start(runner *r);
/* Whether a look-up is queued (its after-callback has not run). */
int run_endwork_busy(const runner *r);
/* Asks the look-up under way to stop and waits for it, before the
 * consumer it uses is destroyed; its answer is dropped. Accepts a runner
 * without a job. */
void run_endwork_fini(runner *r);
/* Frees the job (after the loop closed). Accepts a runner without one. */
void run_endwork_destroy(runner *r);

/* run_watchdog.c */
/* The shutdown's time limit: --shutdown-timeout in ms. */
int64_t run_shutdown_ms(const runner *r);
/* Starts the thread that ends the process (exit code 1) if the run has not
 * returned within ms; once per run. */
void run_watchdog_start(runner *r, int64_t ms);
/* Stops and joins it (the run returned in time). Accepts a run without one. */
void run_watchdog_stop(runner *r);

/* run_assign.c */
void run_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque);
void run_restore_later(runner *r, rd_kafka_topic_partition_list_t *mine);
/* Applies the results of the restore's job (r->rjob.done), once the
 * transaction can take the deals it publishes: installs each partition's
 * resolver, publishes its deals, resumes it; drops stale results; arms the
 * restore timer for what is left. */
void run_restore_done(runner *r);

/* run_parts.c */
/* The kind of topic (RUN_T_*), or -1 for another. */
int run_topic_kind(const runner *r, const char *topic);
/* The element of partition p of topic (of kind, -1 for another topic) in
 * l, which ix indexes, or NULL. */
rd_kafka_topic_partition_t *run_part_find(const part_index *ix, rd_kafka_topic_partition_list_t *l, int kind,
                                          const char *topic, int32_t p);
/* The same, added to l (offset RD_KAFKA_OFFSET_INVALID) and indexed when
 * missing. */
rd_kafka_topic_partition_t *run_part_add(part_index *ix, rd_kafka_topic_partition_list_t *l, int kind,
                                         const char *topic, int32_t p);
/* Deletes partition p of topic from l, if there, and reindexes l. */
void run_part_del(const runner *r, part_index *ix, rd_kafka_topic_partition_list_t *l, const char *topic, int32_t p);
/* Rebuilds ix from l. */
void run_part_reindex(const runner *r, part_index *ix, const rd_kafka_topic_partition_list_t *l);
/* An empty index (of an empty list). */
void run_part_index_init(part_index *ix);
/* Frees it; it is then empty. */
void run_part_index_free(part_index *ix);

/* run_topics.c: checks the input topics and creates missing internal ones
 * at start, then sizes the per-partition tables. Returns 0 or -1 with err. */
int run_check_topics(runner *r, char *err, size_t errlen);

/* run_health.c */
/* Binds the HTTP server (http.listen), not accepting yet. Returns 0 or -1
 * with err. */
int run_http_start(runner *r, const ds_run_hooks *hooks, char *err, size_t errlen);
/* Starts accepting, once start-up is over and the loop is about to run:
 * no connection waits unanswered while start-up blocks. Returns 0 or -1
 * with err. */
int run_http_listen(runner *r, char *err, size_t errlen);
int run_metrics_init(runner *r);

#endif
