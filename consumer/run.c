#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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
#include "publish.h"
#include "reftopic.h"
#include "schemagate.h"
#include "state.h"
#include "util.h"

#define BATCH_MAX_MESSAGES 10000
#define POLL_BUDGET 2000              /* messages per wake before yielding to the loop */
#define SHUTDOWN_FLUSH_MS 10000
#define METADATA_MS 10000
#define REFERENCE_TIMEOUT_MS 60000   /* reading --reference-topic at start */
#define REGISTER_TIMEOUT_MS 60000    /* registering the canonical schema at start */
#define RESTORE_TIMEOUT_MS 300000      /* below max.poll.interval.ms, whose default is 300 s */
/* Each blocking transactional call is made with this timeout from a timer
 * and resumed (or retried) on the next firing, so the loop's other work
 * (signals, delivery reports) waits at most this long. */
#define TXN_SLICE_MS 50
#define TXN_RETRY_MS 20
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

/* A batch: consumed offsets that may be committed once every output the
 * batch caused has been delivered. Batches commit in order. */
typedef struct batch {
    struct batch *next;
    rd_kafka_topic_partition_list_t *offsets; /* next offset to read, per partition */
    rd_kafka_topic_partition_list_t *start;   /* first offset read in this batch, per partition */
    size_t pending;                           /* outputs queued, not yet delivered (at-least-once) */
    size_t nmsgs;
    size_t outputs;                           /* records queued for this batch */
    int64_t opened_ms;
    int closed;
    /* blocks whose state changed in this batch: one changelog record each
     * is written when the batch closes, not one per mention */
    struct dirty_block *dirty; /* open addressing, key NULL: empty */
    size_t ndirty, dirtycap;
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
    ds_metric *out, *dead, *lag, *time_lag;
    ds_series *in_articles, *in_deals, *in_mentions;
    ds_series *out_mentions, *out_canonical, *out_state;
    ds_series *extract, *resolve, *commit, *restore; /* histograms */
    ds_series *assigns, *revokes;
    ds_series *txn_committed, *txn_aborted, *commits, *txn_retries, *mentions, *delivery_failures, *pauses,
        *backpressure_pauses, *restored_blocks, *restored_records;
    ds_series *blocks, *deals, *state_mentions, *state_bytes, *fingerprints, *assigned, *outq, *ready;
} run_metrics;

/* Timestamps of the last message consumed, per partition of one input topic
 * (-1: none), for the time lag. */
typedef struct last_ts {
    int64_t *ts;
    int32_t n;
} last_ts;

typedef struct runner {
    uv_loop_t loop;
    uv_poll_t cpoll, ppoll;
    uv_timer_t tick, kick, txn_timer;
    uv_signal_t sigint, sigterm;
    int cpipe[2], ppipe[2];
    rd_kafka_t *consumer, *producer;
    rd_kafka_queue_t *cq, *pq;
    ds_pipeline pl;
    int pl_ready;
    const ds_config *cfg;
    batch *head, *tail;
    ds_run_stats st;
    int stopping, exit_code, sync_commit;
    rd_kafka_topic_partition_list_t *assigned; /* offset field: 1 when at end of partition */
    batch *emit_batch;
    /* the internal topics; partition p of the state topic belongs to
     * partition p of the mentions topic */
    char mtopic[256], stopic[256];
    int32_t nparts;
    ds_resolver **rs;         /* per mentions partition: its state, NULL unless assigned */
    int64_t *produced_hi;     /* per mentions partition: highest offset we produced, -1 none */
    int64_t *consumed_next;   /* per assigned mentions partition: next offset to resolve */
    int64_t *committed_seen;  /* per mentions partition: the group's committed offset, as last read */
    /* exactly-once */
    txn_state txn;
    int offsets_sent;         /* of the batch being committed */
    int in_txn_call;          /* inside txn_step (callbacks must not re-enter it) */
    int abort_streak;         /* aborts since the last commit */
    int64_t txn_init_deadline;
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
    ds_http *http;
    last_ts last[3];          /* per input topic: articles, deals, mentions */
    double commit_t0;         /* when the batch being committed closed (exactly-once) */
    int assigned_once;        /* an assignment was received and restored */
    int rebalancing;          /* partitions revoked, the next assignment not yet received */
    int restoring;
} runner;

/* ---- batches and commits ------------------------------------------------ */

static void txn_fatal(runner *r, const char *call, rd_kafka_error_t *error);

/* Begins a transaction unless one is open. Returns 0, or -1 after marking
 * the run failed. */
static int ensure_txn(runner *r)
{
    if (r->txn == TXN_OFF || r->txn == TXN_OPEN)
        return 0;
    if (r->txn != TXN_IDLE) {
        ds_error("run", "internal: output while the transaction is %d", (int)r->txn);
        r->exit_code = 1;
        return -1;
    }
    rd_kafka_error_t *error = rd_kafka_begin_transaction(r->producer);
    if (error) {
        txn_fatal(r, "begin_transaction", error);
        return -1;
    }
    r->txn = TXN_OPEN;
    return 0;
}

/* The open batch, or a new one (in a new transaction under exactly-once).
 * NULL when out of memory or no transaction could begin. */
static batch *open_batch(runner *r)
{
    if (r->tail && !r->tail->closed)
        return r->tail;
    if (ensure_txn(r))
        return NULL;
    batch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->offsets = rd_kafka_topic_partition_list_new(8);
    b->start = rd_kafka_topic_partition_list_new(8);
    b->opened_ms = ds_mono_ms();
    if (r->tail)
        r->tail->next = b;
    else
        r->head = b;
    r->tail = b;
    return b;
}

static void flush_dirty(runner *r, batch *b);

/* Closes the open batch: its changelog records go out first, so they are
 * in its transaction, or among the outputs its commit waits for. */
static void close_batch(runner *r)
{
    if (r->tail && !r->tail->closed && (r->tail->nmsgs > 0 || r->tail->outputs > 0)) {
        flush_dirty(r, r->tail);
        r->tail->closed = 1;
    }
}

static void free_dirty(batch *b)
{
    for (size_t i = 0; i < b->dirtycap; i++)
        free(b->dirty[i].key);
    free(b->dirty);
    b->dirty = NULL;
    b->ndirty = b->dirtycap = 0;
}

static void free_batch(batch *b)
{
    rd_kafka_topic_partition_list_destroy(b->offsets);
    rd_kafka_topic_partition_list_destroy(b->start);
    free_dirty(b);
    free(b);
}

/* Records that block_key (of mentions partition p) changed at offset.
 * Returns 0, or -1 when out of memory. */
static int mark_dirty(batch *b, const char *block_key, int32_t p, int64_t offset)
{
    if (2 * (b->ndirty + 1) > b->dirtycap) {
        size_t cap = b->dirtycap ? b->dirtycap * 2 : 64;
        dirty_block *t = calloc(cap, sizeof *t);
        if (!t)
            return -1;
        for (size_t i = 0; i < b->dirtycap; i++) {
            if (!b->dirty[i].key)
                continue;
            size_t h = (size_t)XXH3_64bits(b->dirty[i].key, strlen(b->dirty[i].key)) & (cap - 1);
            while (t[h].key)
                h = (h + 1) & (cap - 1);
            t[h] = b->dirty[i];
        }
        free(b->dirty);
        b->dirty = t;
        b->dirtycap = cap;
    }
    size_t h = (size_t)XXH3_64bits(block_key, strlen(block_key)) & (b->dirtycap - 1);
    while (b->dirty[h].key && strcmp(b->dirty[h].key, block_key) != 0)
        h = (h + 1) & (b->dirtycap - 1);
    if (!b->dirty[h].key) {
        if (!(b->dirty[h].key = strdup(block_key)))
            return -1;
        b->ndirty++;
    }
    b->dirty[h].partition = p;
    b->dirty[h].offset = offset;
    return 0;
}

/* The delivery-report opaque of an output of b. Under exactly-once the
 * transaction, not the delivery reports, decides when a batch is done, and
 * an aborted batch is freed while reports of its purged messages may still
 * be queued: they carry no pointer. */
static void *output_of(runner *r, batch *b)
{
    b->outputs++;
    if (r->txn != TXN_OFF)
        return NULL;
    b->pending++;
    return b;
}

static void txn_step(runner *r);
static void txn_arm(runner *r, uint64_t ms);

/* A record could not be queued. Under exactly-once the producer refuses
 * records once the open transaction has failed (an abortable error seen by
 * librdkafka first): abort it and redo the batch. Otherwise stop before the
 * batch commits. */
static void output_failed(runner *r)
{
    if (r->txn == TXN_OPEN && !rd_kafka_fatal_error(r->producer, NULL, 0)) {
        r->txn = TXN_ABORT;
        txn_arm(r, 0);
        return;
    }
    if (r->txn != TXN_ABORT)
        r->exit_code = 1;
}

/* Commits finished batches at the head, in order. */
static void try_commit(runner *r)
{
    if (r->txn != TXN_OFF) {
        txn_step(r);
        return;
    }
    while (r->head && r->head->closed && r->head->pending == 0 && r->exit_code == 0) {
        batch *b = r->head;
        if (b->offsets->cnt > 0) {
            rd_kafka_resp_err_t err = rd_kafka_commit(r->consumer, b->offsets, r->sync_commit ? 0 : 1);
            if (err) {
                /* a later commit covers these offsets; redelivery is harmless */
                ds_warn("run", "offset commit failed: %s", rd_kafka_err2str(err));
            } else {
                r->st.commits++;
            }
        }
        r->head = b->next;
        if (r->tail == b)
            r->tail = NULL;
        free_batch(b);
    }
}

static int all_done(runner *r)
{
    if (r->txn != TXN_OFF && r->txn != TXN_IDLE)
        return 0;
    for (batch *b = r->head; b; b = b->next)
        if (b->nmsgs > 0 || b->pending > 0)
            return 0;
    return 1;
}

/* ---- producing ------------------------------------------------------------ */

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
    (void)rk;
    runner *r = opaque;
    batch *b = rkm->_private;
    if (b && b->pending > 0)
        b->pending--;
    if (rkm->err && r->txn != TXN_OFF) {
        /* the transaction fails to commit and is aborted: the batch is redone */
        r->st.delivery_failures++;
        ds_warn("run", "delivery to %s [%" PRId32 "] failed: %s; the transaction will be aborted",
                rd_kafka_topic_name(rkm->rkt), rkm->partition, rd_kafka_err2str(rkm->err));
        return;
    }
    if (rkm->err) {
        r->st.delivery_failures++;
        ds_error("run", "delivery to %s [%" PRId32 "] failed: %s; stopping without committing the batch",
                 rd_kafka_topic_name(rkm->rkt), rkm->partition, rd_kafka_err2str(rkm->err));
        r->exit_code = 1;
        return;
    }
    const char *t = rd_kafka_topic_name(rkm->rkt);
    if (strcmp(t, r->cfg->canonical_topic) == 0) {
        r->st.produced++;
        ds_series_add(r->mx.out_canonical, 1);
    } else if (strcmp(t, r->mtopic) == 0) {
        r->st.mentions_produced++;
        ds_series_add(r->mx.out_mentions, 1);
        if (rkm->partition >= 0 && rkm->partition < r->nparts && rkm->offset > r->produced_hi[rkm->partition])
            r->produced_hi[rkm->partition] = rkm->offset;
    } else if (strcmp(t, r->stopic) == 0) {
        r->st.state_records++;
        ds_series_add(r->mx.out_state, 1);
    } else {
        ds_series_add(ds_metric_series1(r->mx.out, t), 1); /* a dead-letter topic */
    }
    try_commit(r);
}

static int emit(void *opaque, const char *key, const void *val, size_t len)
{
    runner *r = opaque;
    batch *b = r->emit_batch ? r->emit_batch : (r->emit_batch = open_batch(r));
    if (!b)
        return -1;
    return ds_publish(r->producer, r->cfg->canonical_topic, key, strlen(key), val, len, NULL, output_of(r, b));
}

static void dead_letter(runner *r, batch *b, const rd_kafka_message_t *rkm, const ds_fail *fail)
{
    const char *topic = rd_kafka_topic_name(rkm->rkt);
    if (ds_publish_dlq(r->producer, topic, rkm->partition, rkm->offset, rkm->key, rkm->key_len, rkm->payload,
                       rkm->len, fail->stage, fail->cls, fail->msg, output_of(r, b)) == 0) {
        r->st.dead_letters++;
        ds_series_add(ds_metric_series1(r->mx.dead, topic), 1);
    } else {
        output_failed(r); /* cannot park it: do not commit past it */
    }
}

/* ---- consuming ------------------------------------------------------------- */

static void mark_eof(runner *r, const char *topic, int32_t partition, int eof)
{
    if (!r->assigned)
        return;
    rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_find(r->assigned, topic, partition);
    if (p)
        p->offset = eof;
}

/* Records the timestamp of the message just consumed from partition p. */
static void note_ts(last_ts *l, int32_t p, int64_t ts)
{
    if (p < 0)
        return;
    if (p >= l->n) {
        int32_t n = p + 1 > 2 * l->n ? p + 1 : 2 * l->n;
        int64_t *v = realloc(l->ts, (size_t)n * sizeof *v);
        if (!v)
            return; /* the partition's time lag stays unknown */
        for (int32_t i = l->n; i < n; i++)
            v[i] = -1;
        l->ts = v;
        l->n = n;
    }
    l->ts[p] = ts;
}

/* A mention of <app>-mentions: resolve it in its partition's state, then
 * write the block's state to the same partition of <app>-state. */
static void process_mention(runner *r, batch *b, rd_kafka_message_t *rkm)
{
    int32_t p = rkm->partition;
    ds_resolver *rs = p >= 0 && p < r->nparts ? r->rs[p] : NULL;
    if (!rs) {
        ds_error("run", "%s [%" PRId32 "]: no state for this partition (restore failed?)", r->mtopic, p);
        r->exit_code = 1;
        return;
    }
    r->consumed_next[p] = rkm->offset + 1;
    r->st.resolved++;
    ds_fail fail = {"decode", "corrupt", ""};
    ds_mention m;
    if (ds_pipeline_decode_mention(&r->pl, rkm->payload, rkm->len, &m, &fail)) {
        dead_letter(r, b, rkm, &fail);
        return;
    }
    r->emit_batch = b;
    double t0 = ds_metrics_clock();
    int nemitted = ds_pipeline_resolve_in(&r->pl, rs, &m, emit, r, &fail);
    ds_series_observe(r->mx.resolve, ds_metrics_clock() - t0);
    if (nemitted < 0) {
        if (strcmp(fail.stage, "produce") == 0)
            output_failed(r); /* not the mention's fault */
        else
            dead_letter(r, b, rkm, &fail);
        return;
    }
    if (mark_dirty(b, m.block_key, p, rkm->offset)) {
        ds_error("run", "out of memory");
        r->exit_code = 1;
    }
}

/* Writes the state of every block the batch changed to its partition of
 * <app>-state, with the offset of the block's last mention in the batch
 * as input_offset: one record per block and batch rather than per mention
 * (a block's record holds all its mentions, so per mention the cost grew
 * with the block). */
static void flush_dirty(runner *r, batch *b)
{
    for (size_t i = 0; i < b->dirtycap && r->exit_code == 0; i++) {
        const dirty_block *d = &b->dirty[i];
        if (!d->key)
            continue;
        ds_resolver *rs = d->partition >= 0 && d->partition < r->nparts ? r->rs[d->partition] : NULL;
        ds_buf_reset(&r->obuf);
        if (!rs || ds_state_encode(r->pl.codec, rs, d->key, r->mtopic, d->partition, d->offset, &r->obuf) ||
            ds_publish_partition(r->producer, r->stopic, d->partition, d->key, strlen(d->key), r->obuf.data,
                                 r->obuf.len, NULL, output_of(r, b))) {
            /* without its changelog record the state cannot be restored: stop
             * (or abort) before the batch commits */
            if (r->txn != TXN_OPEN)
                ds_error("run", "block %s: state record not written; stopping", d->key);
            output_failed(r);
            break;
        }
    }
    free_dirty(b);
}

static int gate_holds(runner *r, const rd_kafka_message_t *rkm);

static void process(runner *r, rd_kafka_message_t *rkm)
{
    if (r->gate && gate_holds(r, rkm))
        return; /* read again once the registry has answered */
    batch *b = open_batch(r);
    if (!b) {
        ds_error("run", "cannot open a batch (out of memory, or no transaction)");
        r->exit_code = 1;
        return;
    }
    const char *topic = rd_kafka_topic_name(rkm->rkt);
    rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_find(b->offsets, topic, rkm->partition);
    if (!p) {
        p = rd_kafka_topic_partition_list_add(b->offsets, topic, rkm->partition);
        /* where to rewind to if the batch's transaction aborts */
        rd_kafka_topic_partition_list_add(b->start, topic, rkm->partition)->offset = rkm->offset;
    }
    p->offset = rkm->offset + 1;
    b->nmsgs++;
    mark_eof(r, topic, rkm->partition, 0);
    int is_mention = strcmp(topic, r->mtopic) == 0;
    int is_deal = !is_mention && strcmp(topic, r->cfg->deals_topic) == 0;
    ds_series_add(is_mention ? r->mx.in_mentions : is_deal ? r->mx.in_deals : r->mx.in_articles, 1);
    note_ts(&r->last[is_mention ? 2 : is_deal], rkm->partition, rd_kafka_message_timestamp(rkm, NULL));
    if (is_mention) {
        process_mention(r, b, rkm);
        if (b->nmsgs >= BATCH_MAX_MESSAGES)
            close_batch(r);
        return;
    }
    r->st.consumed++;

    ds_input in = {is_deal ? DS_INPUT_DEAL : DS_INPUT_ARTICLE, topic, rkm->partition, rkm->offset, rkm->payload,
                   rkm->len};
    const ds_mention *ms;
    ds_fail fail;
    int n = -2;
    if (rkm->len <= (size_t)r->cfg->max_message_bytes) {
        double t0 = ds_metrics_clock();
        n = ds_pipeline_mentions(&r->pl, &in, &ms, &fail);
        ds_series_observe(r->mx.extract, ds_metrics_clock() - t0);
    }
    if (n == -2) {
        fail = (ds_fail){"validate", "too-big", ""};
        snprintf(fail.msg, sizeof fail.msg, "message of %zu bytes exceeds max.message.bytes=%ld", rkm->len,
                 r->cfg->max_message_bytes);
    }
    if (n < 0) {
        dead_letter(r, b, rkm, &fail);
    } else {
        /* repartition: every mention goes to <app>-mentions keyed by its
         * block key, so all mentions of one block meet one partition's state */
        r->st.mentions += (uint64_t)n;
        for (int i = 0; i < n; i++) {
            ds_buf_reset(&r->obuf);
            if (ds_pipeline_encode_mention(&r->pl, &ms[i], &r->obuf)) {
                fail = (ds_fail){"encode", "encode-failed", ""};
                snprintf(fail.msg, sizeof fail.msg, "mention %s: %s", ms[i].mention_id, avro_strerror());
                dead_letter(r, b, rkm, &fail);
                break;
            }
            if (ds_publish(r->producer, r->mtopic, ms[i].block_key, strlen(ms[i].block_key), r->obuf.data,
                           r->obuf.len, NULL, output_of(r, b))) {
                output_failed(r);
                break;
            }
        }
    }
    if (b->nmsgs >= BATCH_MAX_MESSAGES)
        close_batch(r);
}

static void begin_shutdown(runner *r, const char *why);
static void on_kick(uv_timer_t *t);

/* Whether every mention this process produced has been consumed back: by
 * us for the mentions partitions we hold, else (another member holds them,
 * or held them) as the group's committed offset says. The look-up of
 * committed offsets blocks for a round trip; it is made only once
 * everything else is done. */
static int mentions_consumed(runner *r)
{
    rd_kafka_topic_partition_list_t *q = NULL;
    int done = 1;
    for (int32_t p = 0; p < r->nparts; p++) {
        if (r->produced_hi[p] < 0)
            continue;
        if (r->rs[p]) {
            if (r->consumed_next[p] <= r->produced_hi[p])
                return 0;
            continue;
        }
        if (r->committed_seen[p] > r->produced_hi[p])
            continue;
        if (!q)
            q = rd_kafka_topic_partition_list_new(r->nparts);
        rd_kafka_topic_partition_list_add(q, r->mtopic, p);
    }
    if (!q)
        return 1;
    rd_kafka_resp_err_t err = rd_kafka_committed(r->consumer, q, METADATA_MS);
    if (err) {
        ds_warn("run", "committed offsets of %s: %s", r->mtopic, rd_kafka_err2str(err));
        done = 0;
    }
    for (int i = 0; !err && i < q->cnt; i++) {
        int32_t p = q->elems[i].partition;
        if (!q->elems[i].err && q->elems[i].offset > r->committed_seen[p])
            r->committed_seen[p] = q->elems[i].offset;
        if (r->committed_seen[p] <= r->produced_hi[p])
            done = 0;
    }
    rd_kafka_topic_partition_list_destroy(q);
    return done;
}

static void check_exit_at_end(runner *r)
{
    if (!r->cfg->exit_at_end || r->stopping || !r->assigned || r->assigned->cnt == 0)
        return;
    for (int i = 0; i < r->assigned->cnt; i++)
        if (!r->assigned->elems[i].offset)
            return;
    close_batch(r);
    try_commit(r);
    if (all_done(r) && mentions_consumed(r))
        begin_shutdown(r, "every partition is at its end, every mention produced is resolved, and all work is committed");
}

/* Whether the transaction holds input back: it is being set up, committed
 * or aborted, or a closed batch awaits its commit. Input then waits in
 * librdkafka's fetch queue (bounded by queued.max.messages.kbytes) and is
 * not polled. The partitions are not paused for this: librdkafka 2.0.2
 * fetches a resumed partition only in its next fetch round, up to a second
 * later, which cost up to a second per batch. */
static int txn_holds_intake(runner *r)
{
    if (r->txn == TXN_INIT || r->txn == TXN_COMMIT || r->txn == TXN_ABORT || r->txn == TXN_FATAL)
        return 1;
    return r->txn != TXN_OFF && r->head && r->head->closed;
}

/* Whether input must wait for the producer queue: above its high mark
 * (until it drains below the low mark). */
static int intake_blocked(runner *r)
{
    int q = rd_kafka_outq_len(r->producer);
    if (r->paused ? q > r->outq_low : q >= r->outq_high) {
        if (!r->paused)
            r->st.backpressure_pauses++;
        return 1;
    }
    return 0;
}

/* Pauses fetching of every assigned partition while the producer queue is
 * full, so nothing piles up in the consumer either, and resumes it after;
 * returns whether intake is blocked. */
static int update_pause(runner *r)
{
    int want = !r->stopping && intake_blocked(r);
    if (want == r->paused || !r->assigned || r->assigned->cnt == 0) {
        r->paused = want;
        return want;
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(r->assigned->cnt);
    for (int i = 0; i < r->assigned->cnt; i++)
        if (want || !r->held ||
            !rd_kafka_topic_partition_list_find(r->held, r->assigned->elems[i].topic, r->assigned->elems[i].partition))
            rd_kafka_topic_partition_list_add(l, r->assigned->elems[i].topic, r->assigned->elems[i].partition);
    rd_kafka_resp_err_t err = want ? rd_kafka_pause_partitions(r->consumer, l) : rd_kafka_resume_partitions(r->consumer, l);
    if (err)
        ds_warn("run", "%s partitions: %s", want ? "pausing" : "resuming", rd_kafka_err2str(err));
    if (want)
        r->st.pauses++;
    rd_kafka_topic_partition_list_destroy(l);
    r->paused = want;
    return want;
}

static void poll_consumer(runner *r)
{
    for (int i = 0; i < POLL_BUDGET && !r->stopping && r->exit_code == 0; i++) {
        if (txn_holds_intake(r) || update_pause(r)) {
            /* resumed from the tick, the producer's wake-up or the
             * transaction's end; a batch just closed commits now */
            if (r->txn == TXN_OPEN && r->head && r->head->closed)
                txn_arm(r, 0);
            return;
        }
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(r->consumer, 0);
        if (!rkm)
            return;
        if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            mark_eof(r, rd_kafka_topic_name(rkm->rkt), rkm->partition, 1);
        } else if (rkm->err) {
            ds_warn("run", "consumer: %s", rd_kafka_message_errstr(rkm));
            if (rkm->err == RD_KAFKA_RESP_ERR__FATAL)
                r->exit_code = 1;
        } else {
            process(r, rkm);
        }
        rd_kafka_message_destroy(rkm);
    }
    /* budget used up: continue on the next loop iteration */
    if (!r->stopping)
        uv_timer_start(&r->kick, on_kick, 0, 0);
}

static void drain_pipe(int fd)
{
    char buf[256];
    while (read(fd, buf, sizeof buf) > 0)
        ;
}

static void on_kick(uv_timer_t *t)
{
    runner *r = t->data;
    poll_consumer(r);
}

static void on_consumer_ready(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    runner *r = h->data;
    drain_pipe(r->cpipe[0]);
    poll_consumer(r);
    if (r->exit_code)
        begin_shutdown(r, "fatal error");
}

static void on_producer_ready(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    runner *r = h->data;
    drain_pipe(r->ppipe[0]);
    rd_kafka_poll(r->producer, 0);
    if (r->paused && !r->stopping && !update_pause(r))
        uv_timer_start(&r->kick, on_kick, 0, 0);
    if (r->exit_code)
        begin_shutdown(r, "fatal error");
    else
        check_exit_at_end(r);
}

static void on_tick(uv_timer_t *t)
{
    runner *r = t->data;
    rd_kafka_poll(r->producer, 0);
    poll_consumer(r);
    close_batch(r);
    try_commit(r);
    if (r->exit_code)
        begin_shutdown(r, "fatal error");
    else
        check_exit_at_end(r);
}

/* Rebuilds the state of every newly assigned mentions partition from its
 * changelog partition, before the consumer fetches from it. This runs in the
 * rebalance callback, on the loop thread, and blocks it for the restore
 * (bounded by the size of the state partition, and by RESTORE_TIMEOUT_MS). */
static void restore_partitions(runner *r, rd_kafka_topic_partition_list_t *mine);

static void restore_assigned(runner *r, rd_kafka_topic_partition_list_t *parts)
{
    rd_kafka_topic_partition_list_t *mine = rd_kafka_topic_partition_list_new(parts->cnt);
    for (int i = 0; i < parts->cnt; i++)
        if (strcmp(parts->elems[i].topic, r->mtopic) == 0)
            rd_kafka_topic_partition_list_add(mine, r->mtopic, parts->elems[i].partition);
    if (mine->cnt == 0) {
        rd_kafka_topic_partition_list_destroy(mine);
        return;
    }
    rd_kafka_resp_err_t kerr = rd_kafka_committed(r->consumer, mine, METADATA_MS);
    if (kerr) {
        ds_error("run", "committed offsets of %s: %s; cannot restore state", r->mtopic, rd_kafka_err2str(kerr));
        r->exit_code = 1;
    } else {
        restore_partitions(r, mine);
    }
    rd_kafka_topic_partition_list_destroy(mine);
}

/* Drops and rebuilds the state of the mentions partitions of `mine` from
 * their changelog partitions, each as of its offset field (the committed
 * offset: changelog records of inputs at or past it are not applied). */
static void restore_partitions(runner *r, rd_kafka_topic_partition_list_t *mine)
{
    r->restoring = 1;
    for (int i = 0; i < mine->cnt && r->exit_code == 0; i++) {
        int32_t p = mine->elems[i].partition;
        int64_t committed = mine->elems[i].offset >= 0 ? mine->elems[i].offset : 0;
        char err[512] = "";
        if (p < 0 || p >= r->nparts) {
            ds_error("run", "%s [%" PRId32 "]: partition beyond the %" PRId32 " seen at start", r->mtopic, p,
                     r->nparts);
            r->exit_code = 1;
            break;
        }
        ds_resolver_destroy(r->rs[p]);
        r->rs[p] = ds_resolver_new(r->pl.cat);
        if (!r->rs[p]) {
            ds_error("run", "out of memory");
            r->exit_code = 1;
            break;
        }
        /* state is split by block key over partitions: a link to another
         * block's deal would depend on which blocks share an instance */
        ds_resolver_set_cross_block(r->rs[p], 0);
        ds_resolver_set_retention(r->rs[p], r->cfg->dedup_retention_days);
        r->consumed_next[p] = committed;
        if (committed > r->committed_seen[p])
            r->committed_seen[p] = committed;
        rd_kafka_conf_t *conf = ds_kafka_conf(r->cfg, err, sizeof err);
        ds_restore_stats rst = {0};
        r->emit_batch = NULL; /* opened by the first record to republish, if any */
        if (!conf ||
            ds_state_restore(r->rs[p], &r->pl, conf, r->stopic, p, committed, RESTORE_TIMEOUT_MS, emit, r, &rst,
                             err, sizeof err)) {
            ds_error("run", "restoring %s [%" PRId32 "]: %s", r->stopic, p, err[0] ? err : "out of memory");
            ds_resolver_destroy(r->rs[p]);
            r->rs[p] = NULL;
            r->exit_code = 1;
            break;
        }
        conf = NULL; /* consumed by the restore */
        r->st.restored_blocks += rst.blocks;
        r->st.restored_records += rst.records;
        r->st.restore_ms += (uint64_t)rst.ms;
        ds_series_observe(r->mx.restore, (double)rst.ms / 1000.0);
        ds_info("state",
                "restored %s [%" PRId32 "] in %" PRId64 " ms: %" PRIu64 " record(s) read, %" PRIu64
                " at or past committed offset %" PRId64 " of %s, %" PRIu64 " block(s), %" PRIu64 " mention(s)%s",
                r->stopic, p, rst.ms, rst.records, rst.skipped, committed, r->mtopic, rst.blocks, rst.mentions,
                rst.fallback ? " (some blocks only had records past the committed offset: republished)" : "");
    }
    r->restoring = 0;
}

/* ---- transactions (exactly-once) ------------------------------------------ */

static void on_txn_timer(uv_timer_t *t);

static void txn_arm(runner *r, uint64_t ms)
{
    if (r->txn_timer.loop && !uv_is_closing((uv_handle_t *)&r->txn_timer))
        uv_timer_start(&r->txn_timer, on_txn_timer, ms, 0);
}

static void txn_fatal(runner *r, const char *call, rd_kafka_error_t *error)
{
    ds_error("run", "exactly-once: %s failed: %s%s; stopping without committing the open batch", call,
             rd_kafka_error_string(error),
             rd_kafka_error_is_fatal(error) ? " (fatal: the producer was fenced by a newer instance or cannot "
                                              "continue)"
                                            : "");
    rd_kafka_error_destroy(error);
    r->txn = TXN_FATAL;
    r->exit_code = 1;
}

/* Sorts an error of a transactional call into librdkafka's classes:
 * retriable (call again from the timer), abortable (abort, rewind, restore),
 * anything else fatal. Consumes error. */
static void txn_error(runner *r, const char *call, rd_kafka_error_t *error)
{
    if (rd_kafka_error_is_fatal(error)) {
        txn_fatal(r, call, error);
    } else if (rd_kafka_error_is_retriable(error)) {
        if (rd_kafka_error_code(error) != RD_KAFKA_RESP_ERR__TIMED_OUT)
            ds_warn("run", "exactly-once: %s: %s; retrying", call, rd_kafka_error_string(error));
        r->st.txn_retries++;
        rd_kafka_error_destroy(error);
        txn_arm(r, TXN_RETRY_MS);
    } else if (rd_kafka_error_txn_requires_abort(error)) {
        ds_warn("run", "exactly-once: %s: %s; aborting the transaction and redoing its batch", call,
                rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
        r->txn = TXN_ABORT;
        txn_arm(r, 0);
    } else {
        txn_fatal(r, call, error);
    }
}

/* After an abort: the aborted batch's inputs are read again from where the
 * batch began, and the state of its mentions partitions, which its mentions
 * changed, is rebuilt from the changelog as of that point. */
static void rewind_batch(runner *r, batch *b)
{
    rd_kafka_topic_partition_list_t *seek = rd_kafka_topic_partition_list_new(b->start->cnt + 1);
    rd_kafka_topic_partition_list_t *mine = rd_kafka_topic_partition_list_new(b->start->cnt + 1);
    for (int i = 0; i < b->start->cnt; i++) {
        rd_kafka_topic_partition_t *p = &b->start->elems[i];
        if (!rd_kafka_topic_partition_list_find(r->assigned, p->topic, p->partition))
            continue; /* revoked: its next owner starts from the committed offset */
        rd_kafka_topic_partition_list_add(seek, p->topic, p->partition)->offset = p->offset;
        mark_eof(r, p->topic, p->partition, 0);
        if (strcmp(p->topic, r->mtopic) == 0)
            rd_kafka_topic_partition_list_add(mine, p->topic, p->partition)->offset = p->offset;
    }
    if (seek->cnt > 0 && !r->stopping) {
        rd_kafka_error_t *error = rd_kafka_seek_partitions(r->consumer, seek, METADATA_MS);
        for (int i = 0; !error && i < seek->cnt; i++)
            if (seek->elems[i].err) {
                ds_error("run", "rewinding %s [%" PRId32 "] to %" PRId64 ": %s", seek->elems[i].topic,
                         seek->elems[i].partition, seek->elems[i].offset, rd_kafka_err2str(seek->elems[i].err));
                r->exit_code = 1;
            }
        if (error) {
            ds_error("run", "rewinding after an abort: %s", rd_kafka_error_string(error));
            rd_kafka_error_destroy(error);
            r->exit_code = 1;
        }
        if (r->exit_code == 0)
            restore_partitions(r, mine);
    }
    rd_kafka_topic_partition_list_destroy(seek);
    rd_kafka_topic_partition_list_destroy(mine);
}

static void txn_step_once(runner *r);

/* Moves the transaction on by at most one blocking call of TXN_SLICE_MS,
 * re-arming the timer while it is not done. */
static void txn_step(runner *r)
{
    /* commit_transaction flushes, and flushing serves delivery reports:
     * whatever they would start waits for the next timer */
    if (r->in_txn_call)
        return;
    r->in_txn_call = 1;
    txn_step_once(r);
    r->in_txn_call = 0;
}

static void txn_step_once(runner *r)
{
    rd_kafka_error_t *error;
    switch (r->txn) {
    case TXN_INIT:
        error = rd_kafka_init_transactions(r->producer, TXN_SLICE_MS);
        if (error && rd_kafka_error_is_retriable(error) && ds_mono_ms() < r->txn_init_deadline) {
            rd_kafka_error_destroy(error);
            r->st.txn_retries++;
            txn_arm(r, TXN_RETRY_MS);
            return;
        }
        if (error) {
            txn_fatal(r, "init_transactions", error);
            return;
        }
        r->txn = TXN_IDLE;
        ds_info("run", "exactly-once: transactions initialised");
        break;
    case TXN_OPEN:
    case TXN_COMMIT: {
        batch *b = r->head;
        if (!b || !b->closed || r->exit_code)
            return; /* after an error the shutdown aborts instead */
        if (r->txn == TXN_OPEN)
            r->commit_t0 = ds_metrics_clock();
        r->txn = TXN_COMMIT;
        if (!r->offsets_sent && b->offsets->cnt > 0) {
            rd_kafka_consumer_group_metadata_t *cgmd = rd_kafka_consumer_group_metadata(r->consumer);
            error = rd_kafka_send_offsets_to_transaction(r->producer, b->offsets, cgmd, TXN_SLICE_MS);
            rd_kafka_consumer_group_metadata_destroy(cgmd);
            if (error) {
                txn_error(r, "send_offsets_to_transaction", error);
                return;
            }
        }
        r->offsets_sent = 1;
        error = rd_kafka_commit_transaction(r->producer, TXN_SLICE_MS);
        if (error) {
            txn_error(r, "commit_transaction", error);
            return;
        }
        for (int i = 0; i < b->offsets->cnt; i++) {
            rd_kafka_topic_partition_t *p = &b->offsets->elems[i];
            if (strcmp(p->topic, r->mtopic) == 0 && p->partition >= 0 && p->partition < r->nparts &&
                p->offset > r->committed_seen[p->partition])
                r->committed_seen[p->partition] = p->offset;
        }
        r->st.commits++;
        r->st.transactions++;
        ds_series_observe(r->mx.commit, ds_metrics_clock() - r->commit_t0);
        r->abort_streak = 0;
        r->head = r->tail = NULL;
        free_batch(b);
        r->offsets_sent = 0;
        r->txn = TXN_IDLE;
        break;
    }
    case TXN_ABORT: {
        error = rd_kafka_abort_transaction(r->producer, TXN_SLICE_MS);
        if (error) {
            if (rd_kafka_error_is_retriable(error)) {
                rd_kafka_error_destroy(error);
                r->st.txn_retries++;
                txn_arm(r, TXN_RETRY_MS);
            } else {
                txn_fatal(r, "abort_transaction", error);
            }
            return;
        }
        r->st.aborts++;
        if (++r->abort_streak > MAX_ABORT_STREAK) {
            ds_error("run", "exactly-once: %d transactions in a row aborted; stopping", r->abort_streak);
            r->txn = TXN_FATAL;
            r->exit_code = 1;
            return;
        }
        batch *b = r->head;
        r->head = r->tail = NULL;
        r->offsets_sent = 0;
        r->txn = TXN_IDLE;
        if (b) {
            rewind_batch(r, b);
            free_batch(b);
        }
        break;
    }
    default:
        return;
    }
    /* ready again: take input */
    if (!r->stopping)
        uv_timer_start(&r->kick, on_kick, 0, 0);
}

static void on_txn_timer(uv_timer_t *t)
{
    runner *r = t->data;
    txn_step(r);
    if (r->exit_code)
        begin_shutdown(r, "fatal error");
    else
        check_exit_at_end(r);
}

/* Finishes the open transaction on the spot (revocation, shutdown): commits
 * it, or aborts it when that fails or takes longer than budget_ms. Blocks
 * the loop, for at most about twice budget_ms. */
static void txn_finish(runner *r, int budget_ms)
{
    if (r->txn == TXN_OFF)
        return;
    if (r->tail && !r->tail->closed) {
        if (r->exit_code == 0 && r->txn == TXN_OPEN)
            flush_dirty(r, r->tail);
        r->tail->closed = 1; /* even if empty: its transaction is open */
    }
    if (r->exit_code && (r->txn == TXN_OPEN || r->txn == TXN_COMMIT))
        r->txn = TXN_ABORT; /* never commit the batch of a failed run */
    int64_t t0 = ds_mono_ms();
    while (r->head && (r->txn == TXN_OPEN || r->txn == TXN_COMMIT || r->txn == TXN_ABORT)) {
        int64_t spent = ds_mono_ms() - t0;
        if (spent > 2 * (int64_t)budget_ms) {
            ds_error("run", "exactly-once: transaction not finished after %lld ms; its batch stays uncommitted",
                     (long long)spent);
            break;
        }
        if (spent > budget_ms && r->txn == TXN_COMMIT) {
            ds_warn("run", "exactly-once: commit not done after %d ms: aborting", budget_ms);
            r->txn = TXN_ABORT;
        }
        txn_state before = r->txn;
        txn_step(r);
        if (r->txn == before && r->head)
            rd_kafka_poll(r->producer, TXN_RETRY_MS); /* retry after a pause, serving delivery reports */
    }
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque)
{
    runner *r = opaque;
    int coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        ds_info("run", "assigned %d partition(s)", parts->cnt);
        ds_series_add(r->mx.assigns, 1);
        for (int i = 0; i < parts->cnt; i++)
            rd_kafka_topic_partition_list_add(r->assigned, parts->elems[i].topic, parts->elems[i].partition)->offset = 0;
        restore_assigned(r, parts);
        if (r->exit_code == 0) {
            r->assigned_once = 1;
            r->rebalancing = 0;
        }
        if (coop)
            rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
        else
            rd_kafka_assign(rk, parts);
        return;
    }
    /* revoked: finish what was consumed from these partitions first */
    ds_info("run", "revoking %d partition(s): flushing and committing", parts->cnt);
    ds_series_add(r->mx.revokes, 1);
    if (!coop)
        r->rebalancing = 1; /* eager: everything goes, and comes back with the next assignment */
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_list_del(r->assigned, parts->elems[i].topic, parts->elems[i].partition);
        if (r->held)
            rd_kafka_topic_partition_list_del(r->held, parts->elems[i].topic, parts->elems[i].partition);
    }
    if (r->txn != TXN_OFF) {
        /* commit or abort the open transaction; an abort rewinds only the
         * partitions we keep */
        txn_finish(r, SHUTDOWN_FLUSH_MS);
    } else {
        close_batch(r);
        r->sync_commit = 1;
        rd_kafka_flush(r->producer, SHUTDOWN_FLUSH_MS);
        try_commit(r);
        r->sync_commit = 0;
    }
    for (int i = 0; i < parts->cnt; i++) {
        int32_t p = parts->elems[i].partition;
        if (strcmp(parts->elems[i].topic, r->mtopic) == 0 && p >= 0 && p < r->nparts && r->rs[p]) {
            /* its state now belongs to whoever gets the partition */
            ds_resolver_destroy(r->rs[p]);
            r->rs[p] = NULL;
            if (r->consumed_next[p] > r->committed_seen[p])
                r->committed_seen[p] = r->consumed_next[p];
        }
    }
    if (coop)
        rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
    else
        rd_kafka_assign(rk, NULL);
}

/* ---- schema registry ------------------------------------------------------ */

static void kick_poll(runner *r);

/* Whether an input must wait for its writer schema: its partition is held
 * already (a message fetched before the hold took effect), or its schema id
 * is being fetched, in which case the partition is paused and sought back
 * to this message. Inputs of <app>-mentions are our own single-object
 * records. A 404 or a foreign schema passes: the decoder then names the
 * unknown id and the input is dead-lettered. */
static int gate_holds(runner *r, const rd_kafka_message_t *rkm)
{
    const char *topic = rd_kafka_topic_name(rkm->rkt);
    if (strcmp(topic, r->mtopic) == 0)
        return 0;
    if (rd_kafka_topic_partition_list_find(r->held, topic, rkm->partition))
        return 1;
    int32_t id = -1;
    char msg[512] = "";
    int g = ds_schema_gate_check(r->gate, rkm->payload, rkm->len, &id, msg, sizeof msg);
    if (g == DS_GATE_FAIL)
        ds_warn("registry", "%s [%" PRId32 "] offset %" PRId64 ": %s; dead-lettering it", topic, rkm->partition,
                rkm->offset, msg);
    if (g != DS_GATE_WAIT)
        return 0;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, rkm->partition)->offset = rkm->offset;
    rd_kafka_pause_partitions(r->consumer, l);
    rd_kafka_error_t *e = rd_kafka_seek_partitions(r->consumer, l, 0);
    if (e) {
        ds_error("registry", "%s [%" PRId32 "]: seeking back to offset %" PRId64 ": %s", topic, rkm->partition,
                 rkm->offset, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        r->exit_code = 1; /* cannot hold it: do not read past it */
    }
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_topic_partition_list_add(r->held, topic, rkm->partition)->offset = id;
    ds_info("registry", "%s [%" PRId32 "] offset %" PRId64 ": schema id %d not known yet; partition held until "
            "the schema registry answers", topic, rkm->partition, rkm->offset, (int)id);
    return 1;
}

/* on the registry's worker thread: only wakes the loop */
static void gate_wake(void *opaque)
{
    runner *r = opaque;
    uv_async_send(&r->gate_async);
}

/* An answer arrived: resume the partitions whose schema id is no longer
 * pending (they are read again from the held message). */
static void on_gate_async(uv_async_t *a)
{
    runner *r = a->data;
    if (!r->held || r->held->cnt == 0)
        return;
    rd_kafka_topic_partition_list_t *go = rd_kafka_topic_partition_list_new(r->held->cnt);
    for (int i = 0; i < r->held->cnt; i++) {
        char msg[256];
        if (ds_schema_gate_check_id(r->gate, (int32_t)r->held->elems[i].offset, msg, sizeof msg) != DS_GATE_WAIT)
            rd_kafka_topic_partition_list_add(go, r->held->elems[i].topic, r->held->elems[i].partition);
    }
    for (int i = 0; i < go->cnt; i++)
        rd_kafka_topic_partition_list_del(r->held, go->elems[i].topic, go->elems[i].partition);
    if (go->cnt > 0 && !r->paused) /* else the end of the backpressure pause resumes them */
        rd_kafka_resume_partitions(r->consumer, go);
    if (go->cnt > 0) {
        ds_info("registry", "schema registry answered: %d partition(s) resumed", go->cnt);
        kick_poll(r);
    }
    rd_kafka_topic_partition_list_destroy(go);
}

/* Starts the registry client, registers the canonical schema (so outputs
 * carry Confluent framing) and the wake-up. Returns 0 or -1 with err set. */
static int gate_start(runner *r, char *err, size_t errlen)
{
    if (!r->cfg->schema_registry_url || !r->cfg->schema_registry_url[0])
        return 0;
    if (uv_async_init(&r->loop, &r->gate_async, on_gate_async)) {
        snprintf(err, errlen, "uv_async_init failed");
        return -1;
    }
    r->gate_async.data = r;
    r->held = rd_kafka_topic_partition_list_new(8); /* set: gate_async is initialised */
    r->gate = ds_schema_gate_new(r->cfg, r->pl.codec, gate_wake, r, err, errlen);
    if (!r->gate || ds_schema_gate_register(r->gate, DS_SCHEMA_CANONICAL, r->cfg->canonical_topic, REGISTER_TIMEOUT_MS,
                                            err, errlen))
        return -1;
    r->pl.canon_framing = DS_FRAME_CONFLUENT;
    return 0;
}

static void kick_poll(runner *r)
{
    if (!r->stopping)
        uv_timer_start(&r->kick, on_kick, 0, 0);
}

/* ---- lifecycle ----------------------------------------------------------- */

static void on_signal(uv_signal_t *s, int signum)
{
    runner *r = s->data;
    begin_shutdown(r, signum == SIGINT ? "SIGINT" : "SIGTERM");
}

static void close_handle(uv_handle_t *h)
{
    if (h->loop && !uv_is_closing(h))
        uv_close(h, NULL);
}

static void walk_close(uv_handle_t *h, void *arg)
{
    (void)arg;
    close_handle(h);
}

static void begin_shutdown(runner *r, const char *why)
{
    if (r->stopping)
        return;
    r->stopping = 1;
    ds_info("run", "shutting down: %s", why);
    /* 1. stop intake */
    uv_poll_stop(&r->cpoll);
    uv_timer_stop(&r->kick);
    uv_timer_stop(&r->txn_timer);
    /* 2. finish the open batch: deliver its outputs, then commit (in its
     * transaction, under exactly-once) */
    if (r->txn != TXN_OFF) {
        if (r->txn != TXN_FATAL && r->txn != TXN_INIT)
            txn_finish(r, SHUTDOWN_FLUSH_MS);
    } else {
        close_batch(r);
        r->sync_commit = 1;
        if (rd_kafka_flush(r->producer, SHUTDOWN_FLUSH_MS))
            ds_error("run", "%d output(s) undelivered after %d ms; their inputs stay uncommitted",
                     rd_kafka_outq_len(r->producer), SHUTDOWN_FLUSH_MS);
        try_commit(r);
    }
    /* 3. leave the group (revocation runs the rebalance callback) */
    rd_kafka_consumer_close(r->consumer);
    /* 4. close handles; the loop ends when they are closed (the registry's
     * worker stops first: it wakes the loop through gate_async) */
    ds_schema_gate_destroy(r->gate);
    r->gate = NULL;
    if (r->held)
        close_handle((uv_handle_t *)&r->gate_async);
    ds_http_close(r->http);
    r->http = NULL;
    close_handle((uv_handle_t *)&r->cpoll);
    close_handle((uv_handle_t *)&r->ppoll);
    close_handle((uv_handle_t *)&r->tick);
    close_handle((uv_handle_t *)&r->kick);
    close_handle((uv_handle_t *)&r->txn_timer);
    close_handle((uv_handle_t *)&r->sigint);
    close_handle((uv_handle_t *)&r->sigterm);
}

static int make_pipe(int fds[2])
{
    if (pipe(fds))
        return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
        fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    }
    return 0;
}

static rd_kafka_t *new_client(const ds_config *cfg, rd_kafka_type_t type, runner *r, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = ds_kafka_conf(cfg, err, errlen);
    if (!conf)
        return NULL;
    int bad;
    if (type == RD_KAFKA_CONSUMER) {
        const char *group = cfg->group ? cfg->group : cfg->app_id;
        bad = ds_kafka_set(conf, "group.id", group, err, errlen) ||
              ds_kafka_set(conf, "enable.auto.commit", "false", err, errlen) ||
              ds_kafka_set(conf, "auto.offset.reset", "earliest", err, errlen) ||
              ds_kafka_set(conf, "enable.partition.eof", "true", err, errlen);
        rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    } else {
        bad = ds_kafka_set(conf, "enable.idempotence", "true", err, errlen) ||
              ds_kafka_default(conf, cfg, "linger.ms", "5", err, errlen);
        if (!bad && r->txn != TXN_OFF) {
            /* KIP-447: the consumer group metadata sent with the offsets
             * fences zombies, so the id need only be unique per process;
             * -X transactional.id=... overrides it */
            char tid[512], host[256] = "";
            size_t sz = sizeof tid;
            if (rd_kafka_conf_get(conf, "transactional.id", tid, &sz) != RD_KAFKA_CONF_OK || !tid[0]) {
                gethostname(host, sizeof host - 1);
                snprintf(tid, sizeof tid, "%s-%s-%ld", cfg->app_id, host[0] ? host : "host", (long)getpid());
                bad = ds_kafka_set(conf, "transactional.id", tid, err, errlen);
            }
        }
        rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    }
    if (bad) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_opaque(conf, r);
    char e[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, e, sizeof e);
    if (!rk) {
        snprintf(err, errlen, "%s", e);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return rk; /* conf now owned by rk */
}

/* The producer queue's high and low marks for backpressure, from its limit
 * queue.buffering.max.messages: intake pauses at half of it, so the outputs
 * of the messages being processed still fit, and resumes at a quarter. */
static void outq_marks(runner *r)
{
    char v[64];
    size_t sz = sizeof v;
    long lim = 100000;
    if (rd_kafka_conf_get(rd_kafka_conf(r->producer), "queue.buffering.max.messages", v, &sz) == RD_KAFKA_CONF_OK)
        lim = strtol(v, NULL, 10);
    r->outq_high = lim / 2 > 1 ? (int)(lim / 2) : 1;
    r->outq_low = lim / 4;
}

/* Checks that both internal topics exist with one partition count, and
 * sizes the per-partition tables. */
static int internal_topics(runner *r, char *err, size_t errlen)
{
    int32_t *mp = NULL, *sp = NULL;
    int nm = ds_kafka_partitions(r->producer, r->mtopic, METADATA_MS, &mp, err, errlen);
    if (nm < 0)
        return -1;
    int ns = ds_kafka_partitions(r->producer, r->stopic, METADATA_MS, &sp, err, errlen);
    free(mp);
    free(sp);
    if (ns < 0)
        return -1;
    if (nm != ns || nm == 0) {
        snprintf(err, errlen,
                 "%s has %d partition(s) and %s has %d: they must be equal and non-zero, since partition p of "
                 "the changelog holds the state of partition p of the mentions (recreate %s with %d)",
                 r->mtopic, nm, r->stopic, ns, r->stopic, nm);
        return -1;
    }
    r->nparts = nm;
    r->rs = calloc((size_t)nm, sizeof *r->rs);
    r->produced_hi = malloc((size_t)nm * sizeof *r->produced_hi);
    r->consumed_next = calloc((size_t)nm, sizeof *r->consumed_next);
    r->committed_seen = malloc((size_t)nm * sizeof *r->committed_seen);
    if (!r->rs || !r->produced_hi || !r->consumed_next || !r->committed_seen) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int p = 0; p < nm; p++)
        r->produced_hi[p] = r->committed_seen[p] = -1;
    return 0;
}

/* ---- metrics and health ------------------------------------------------------ */

static const double latency_buckets[] = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                         0.01,    0.025,  0.05,    0.1,    0.25,  0.5,    1};
static const double commit_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
static const double restore_buckets[] = {0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300};
#define NB(a) (sizeof a / sizeof a[0])

/* The one series of a family without labels; sets *bad when it cannot be made. */
static ds_series *plain(ds_metrics *reg, ds_metric_type type, const char *name, const char *help, int *bad)
{
    ds_series *s = ds_metric_series(ds_metrics_add(reg, type, name, help, NULL, NULL, 0), NULL);
    *bad |= s == NULL;
    return s;
}

static ds_series *histogram(ds_metrics *reg, const char *name, const char *help, const double *bounds, size_t n,
                            int *bad)
{
    ds_series *s = ds_metric_series(ds_metrics_add(reg, DS_METRIC_HISTOGRAM, name, help, NULL, bounds, n), NULL);
    *bad |= s == NULL;
    return s;
}

static ds_metric *family(ds_metrics *reg, ds_metric_type type, const char *name, const char *help,
                         const char *labels, int *bad)
{
    ds_metric *f = ds_metrics_add(reg, type, name, help, labels, NULL, 0);
    *bad |= f == NULL;
    return f;
}

/* Registers every series of README's "Metrics and health", in its order.
 * Returns 0 or -1 when out of memory. */
static int metrics_init(runner *r)
{
    run_metrics *m = &r->mx;
    const ds_config *cfg = r->cfg;
    int bad = 0;
    char dlq[300];
    if (!(m->reg = ds_metrics_new()))
        return -1;
    ds_metric *in = family(m->reg, DS_METRIC_COUNTER, "dealstream_messages_in_total",
                           "Records consumed, per input topic (articles, deals, <app>-mentions); records read "
                           "again after an aborted transaction count again.",
                           "topic", &bad);
    m->in_articles = ds_metric_series1(in, cfg->articles_topic);
    m->in_deals = ds_metric_series1(in, cfg->deals_topic);
    m->in_mentions = ds_metric_series1(in, r->mtopic);
    m->out = family(m->reg, DS_METRIC_COUNTER, "dealstream_messages_out_total",
                    "Records delivered (acknowledged by the broker), per output topic: <app>-mentions, "
                    "the canonical topic, <app>-state and the dead-letter topics. Under exactly-once a delivered "
                    "record belongs to a transaction that may still abort.",
                    "topic", &bad);
    m->out_mentions = ds_metric_series1(m->out, r->mtopic);
    m->out_canonical = ds_metric_series1(m->out, cfg->canonical_topic);
    m->out_state = ds_metric_series1(m->out, r->stopic);
    m->dead = family(m->reg, DS_METRIC_COUNTER, "dealstream_dead_letters_total",
                     "Records sent to <topic>.dlq, per input topic they were read from.", "topic", &bad);
    const char *inputs[] = {cfg->articles_topic, cfg->deals_topic, r->mtopic};
    for (size_t i = 0; i < 3; i++) {
        snprintf(dlq, sizeof dlq, "%s.dlq", inputs[i]);
        bad |= !ds_metric_series1(m->out, dlq) || !ds_metric_series1(m->dead, inputs[i]);
    }
    bad |= !m->in_articles || !m->in_deals || !m->in_mentions || !m->out_mentions || !m->out_canonical ||
           !m->out_state;
    m->delivery_failures = plain(m->reg, DS_METRIC_COUNTER, "dealstream_delivery_failures_total",
                                 "Records the producer could not deliver.", &bad);
    m->mentions = plain(m->reg, DS_METRIC_COUNTER, "dealstream_mentions_extracted_total",
                        "Deal mentions extracted from articles or normalised from deal events.", &bad);
    m->extract = histogram(m->reg, "dealstream_extract_duration_seconds",
                           "Time to decode, validate and extract (an article) or normalise (a deal event) one "
                           "input record.",
                           latency_buckets, NB(latency_buckets), &bad);
    m->resolve = histogram(m->reg, "dealstream_resolve_duration_seconds",
                           "Time to resolve one mention in its partition's state, including encoding and queueing "
                           "the canonical records it changed.",
                           latency_buckets, NB(latency_buckets), &bad);
    m->commits = plain(m->reg, DS_METRIC_COUNTER, "dealstream_commits_total",
                       "Batches committed: in a transaction (exactly-once), or offsets committed once their "
                       "outputs were delivered (at-least-once).",
                       &bad);
    ds_metric *txns = family(m->reg, DS_METRIC_COUNTER, "dealstream_transactions_total",
                             "Transactions ended, by result: committed, or aborted (their batch is redone).",
                             "result", &bad);
    m->txn_committed = ds_metric_series1(txns, "committed");
    m->txn_aborted = ds_metric_series1(txns, "aborted");
    bad |= !m->txn_committed || !m->txn_aborted;
    m->commit = histogram(m->reg, "dealstream_transaction_commit_duration_seconds",
                          "Time from the close of a batch to the commit of its transaction (sending offsets, "
                          "flushing and EndTxn, retries included); exactly-once only.",
                          commit_buckets, NB(commit_buckets), &bad);
    m->txn_retries = plain(m->reg, DS_METRIC_COUNTER, "dealstream_transaction_retries_total",
                           "Transactional calls retried or resumed after a timeout.", &bad);
    ds_metric *reb = family(m->reg, DS_METRIC_COUNTER, "dealstream_rebalances_total",
                            "Rebalance callbacks of the consumer group, by event: assign or revoke.", "event", &bad);
    m->assigns = ds_metric_series1(reb, "assign");
    m->revokes = ds_metric_series1(reb, "revoke");
    bad |= !m->assigns || !m->revokes;
    m->assigned = plain(m->reg, DS_METRIC_GAUGE, "dealstream_assigned_partitions",
                        "Partitions assigned to this member (input topics and <app>-mentions).", &bad);
    m->pauses = plain(m->reg, DS_METRIC_COUNTER, "dealstream_intake_pauses_total",
                      "Times the consumer paused fetching of the input partitions.", &bad);
    m->backpressure_pauses = plain(m->reg, DS_METRIC_COUNTER, "dealstream_backpressure_pauses_total",
                                   "Of those pauses, the ones because the producer queue was over half full.",
                                   &bad);
    m->outq = plain(m->reg, DS_METRIC_GAUGE, "dealstream_producer_queue_messages",
                    "Records and requests waiting in the producer's queue.", &bad);
    m->blocks = plain(m->reg, DS_METRIC_GAUGE, "dealstream_state_blocks",
                      "Blocks (buyer|seller|family) held in the state of the assigned <app>-mentions partitions.",
                      &bad);
    m->deals = plain(m->reg, DS_METRIC_GAUGE, "dealstream_state_deals",
                     "Live deals held in the state of the assigned <app>-mentions partitions.", &bad);
    m->state_mentions = plain(m->reg, DS_METRIC_GAUGE, "dealstream_state_mentions",
                              "Mentions held in the state of the assigned <app>-mentions partitions.", &bad);
    m->state_bytes = plain(m->reg, DS_METRIC_GAUGE, "dealstream_state_mention_bytes",
                           "Bytes of the packed mention records held in the state.", &bad);
    m->fingerprints = plain(m->reg, DS_METRIC_GAUGE, "dealstream_state_fingerprints",
                            "Seen-article fingerprints held for duplicate detection (see --dedup-retention-days).",
                            &bad);
    m->restore = histogram(m->reg, "dealstream_state_restore_duration_seconds",
                           "Time to restore the state of one <app>-mentions partition from <app>-state (the loop "
                           "is blocked meanwhile).",
                           restore_buckets, NB(restore_buckets), &bad);
    m->restored_blocks = plain(m->reg, DS_METRIC_COUNTER, "dealstream_state_restored_blocks_total",
                               "Blocks rebuilt from <app>-state.", &bad);
    m->restored_records = plain(m->reg, DS_METRIC_COUNTER, "dealstream_state_restored_records_total",
                                "Changelog records read from <app>-state to restore state.", &bad);
    m->lag = family(m->reg, DS_METRIC_GAUGE, "dealstream_consumer_lag_messages",
                    "Offset lag of this member per assigned partition: the partition's high watermark (as last "
                    "fetched) minus the consumer's position (the offset after the last record consumed); 0 at "
                    "the end of the partition; absent until both are known.",
                    "topic,partition", &bad);
    m->time_lag = family(m->reg, DS_METRIC_GAUGE, "dealstream_consumer_time_lag_seconds",
                         "Time lag of this member per assigned partition: 0 when the offset lag is 0; otherwise "
                         "now minus the timestamp of the last record consumed from the partition, an upper bound "
                         "on the age of the oldest unconsumed record (after an idle spell it counts the idle "
                         "time); absent when nothing was consumed yet.",
                         "topic,partition", &bad);
    m->ready = plain(m->reg, DS_METRIC_GAUGE, "dealstream_ready", "1 when /readyz answers 200, else 0.", &bad);
    ds_metric *info = family(m->reg, DS_METRIC_GAUGE, "dealstream_build_info",
                             "The version of dealstream and the processing guarantee, as labels; always 1.",
                             "version,guarantee", &bad);
    const char *iv[2] = {DS_VERSION, r->txn == TXN_OFF ? "at-least-once" : "exactly-once"};
    ds_series_set(ds_metric_series(info, iv), 1);
    return bad ? -1 : 0;
}

/* Why the run is not healthy, or NULL when it is. */
static const char *unhealthy(runner *r, char *buf, size_t n)
{
    char e[256];
    if (r->exit_code || r->txn == TXN_FATAL)
        return "the run failed and is stopping";
    if (r->producer && rd_kafka_fatal_error(r->producer, e, sizeof e)) {
        snprintf(buf, n, "producer: fatal error: %s", e);
        return buf;
    }
    if (r->consumer && rd_kafka_fatal_error(r->consumer, e, sizeof e)) {
        snprintf(buf, n, "consumer: fatal error: %s", e);
        return buf;
    }
    if (r->stopping)
        return "shutting down";
    return NULL;
}

/* Why the run is not ready, or NULL when it is. */
static const char *not_ready(runner *r, char *buf, size_t n)
{
    const char *why = unhealthy(r, buf, n);
    if (why)
        return why;
    if (r->txn == TXN_INIT)
        return "initialising the transactional producer";
    if (r->restoring)
        return "restoring state";
    if (!r->assigned_once)
        return "waiting for the first assignment of the group";
    if (r->rebalancing)
        return "rebalancing";
    return NULL;
}

/* Offset and time lag of every assigned partition, rebuilt at each scrape:
 * positions and cached high watermarks, neither of which blocks. */
static void collect_lag(runner *r)
{
    run_metrics *m = &r->mx;
    ds_metric_clear(m->lag);
    ds_metric_clear(m->time_lag);
    if (!r->consumer || !r->assigned || r->assigned->cnt == 0)
        return;
    rd_kafka_topic_partition_list_t *pos = rd_kafka_topic_partition_list_copy(r->assigned);
    rd_kafka_position(r->consumer, pos);
    int64_t now = ds_now_ms();
    for (int i = 0; i < pos->cnt; i++) {
        const char *t = pos->elems[i].topic;
        int32_t p = pos->elems[i].partition;
        int64_t lo, hi, lag = -1;
        if (rd_kafka_get_watermark_offsets(r->consumer, t, p, &lo, &hi) == RD_KAFKA_RESP_ERR_NO_ERROR && hi >= 0 &&
            pos->elems[i].offset >= 0)
            lag = hi > pos->elems[i].offset ? hi - pos->elems[i].offset : 0;
        else if (r->assigned->elems[i].offset == 1)
            lag = 0; /* at the end of the partition, with nothing consumed */
        if (lag < 0)
            continue;
        char ps[16];
        snprintf(ps, sizeof ps, "%" PRId32, p);
        const char *lv[2] = {t, ps};
        ds_series_set(ds_metric_series(m->lag, lv), (double)lag);
        const last_ts *l = strcmp(t, r->mtopic) == 0 ? &r->last[2]
                           : strcmp(t, r->cfg->deals_topic) == 0 ? &r->last[1]
                                                                  : &r->last[0];
        int64_t ts = p < l->n ? l->ts[p] : -1;
        if (lag == 0)
            ds_series_set(ds_metric_series(m->time_lag, lv), 0);
        else if (ts >= 0)
            ds_series_set(ds_metric_series(m->time_lag, lv), now > ts ? (double)(now - ts) / 1000.0 : 0);
    }
    rd_kafka_topic_partition_list_destroy(pos);
}

/* Copies the totals of ds_run_stats and computes the gauges. */
static void collect(runner *r)
{
    run_metrics *m = &r->mx;
    char why[320];
    ds_series_set(m->delivery_failures, (double)r->st.delivery_failures);
    ds_series_set(m->mentions, (double)r->st.mentions);
    ds_series_set(m->commits, (double)r->st.commits);
    ds_series_set(m->txn_committed, (double)r->st.transactions);
    ds_series_set(m->txn_aborted, (double)r->st.aborts);
    ds_series_set(m->txn_retries, (double)r->st.txn_retries);
    ds_series_set(m->pauses, (double)r->st.pauses);
    ds_series_set(m->backpressure_pauses, (double)r->st.backpressure_pauses);
    ds_series_set(m->restored_blocks, (double)r->st.restored_blocks);
    ds_series_set(m->restored_records, (double)r->st.restored_records);
    size_t blocks = 0, deals = 0, mentions = 0, bytes = 0, fps = 0;
    for (int32_t p = 0; r->rs && p < r->nparts; p++) {
        if (!r->rs[p])
            continue;
        blocks += ds_resolver_blocks(r->rs[p]);
        deals += ds_resolver_deal_count(r->rs[p]);
        mentions += ds_resolver_mentions(r->rs[p]);
        bytes += ds_resolver_packed_bytes(r->rs[p]);
        fps += ds_resolver_fingerprints(r->rs[p]);
    }
    ds_series_set(m->blocks, (double)blocks);
    ds_series_set(m->deals, (double)deals);
    ds_series_set(m->state_mentions, (double)mentions);
    ds_series_set(m->state_bytes, (double)bytes);
    ds_series_set(m->fingerprints, (double)fps);
    ds_series_set(m->assigned, r->assigned ? (double)r->assigned->cnt : 0);
    ds_series_set(m->outq, r->producer ? (double)rd_kafka_outq_len(r->producer) : 0);
    ds_series_set(m->ready, not_ready(r, why, sizeof why) ? 0 : 1);
    collect_lag(r);
}

static void on_http(void *opaque, const char *path, ds_http_reply *rep)
{
    runner *r = opaque;
    char buf[320];
    if (strcmp(path, "/metrics") == 0) {
        collect(r);
        rep->status = 200;
        rep->content_type = DS_METRICS_CONTENT_TYPE;
        if (ds_metrics_render(r->mx.reg, rep->body)) {
            rep->status = 500;
            rep->content_type = NULL;
            ds_buf_reset(rep->body);
            ds_buf_append_str(rep->body, "out of memory\n");
        }
    } else if (strcmp(path, "/healthz") == 0 || strcmp(path, "/readyz") == 0) {
        const char *why = path[1] == 'h' ? unhealthy(r, buf, sizeof buf) : not_ready(r, buf, sizeof buf);
        rep->status = why ? 503 : 200;
        ds_buf_printf(rep->body, "%s\n", why ? why : path[1] == 'h' ? "ok" : "ready");
    } else if (strcmp(path, "/") == 0) {
        rep->status = 200;
        ds_buf_append_str(rep->body, "dealstream run: /metrics /healthz /readyz\n");
    }
}

/* Starts the HTTP server unless http.listen is "off" or empty. Returns 0 or
 * -1 with a message in err. */
static int http_start(runner *r, const ds_run_hooks *hooks, char *err, size_t errlen)
{
    const char *listen = r->cfg->http_listen;
    if (!listen || !*listen || strcmp(listen, "off") == 0)
        return 0;
    r->http = ds_http_start(&r->loop, listen, NULL, on_http, r, err, errlen);
    if (!r->http)
        return -1;
    ds_info("http", "listening on %s: /metrics /healthz /readyz", ds_http_address(r->http));
    if (hooks && hooks->http_listening)
        hooks->http_listening(hooks->opaque, ds_http_address(r->http), ds_http_port(r->http));
    return 0;
}

int ds_run(const ds_config *cfg, ds_run_stats *stats) { return ds_run_with(cfg, stats, NULL); }

int ds_run_with(const ds_config *cfg, ds_run_stats *stats, const ds_run_hooks *hooks)
{
    runner *r = calloc(1, sizeof *r);
    char err[1024] = "";
    int rc = 1;
    if (!r)
        return 1;
    r->cfg = cfg;
    r->cpipe[0] = r->cpipe[1] = r->ppipe[0] = r->ppipe[1] = -1;
    ds_buf_init(&r->obuf);
    snprintf(r->mtopic, sizeof r->mtopic, "%s-mentions", cfg->app_id);
    snprintf(r->stopic, sizeof r->stopic, "%s-state", cfg->app_id);
    r->assigned = rd_kafka_topic_partition_list_new(16);
    r->txn = cfg->guarantee && strcmp(cfg->guarantee, "at-least-once") == 0 ? TXN_OFF : TXN_INIT;
    r->txn_init_deadline = ds_mono_ms() + TXN_INIT_MS;
    if (uv_loop_init(&r->loop)) {
        free(r);
        return 1;
    }
    if (metrics_init(r)) {
        snprintf(err, sizeof err, "out of memory");
        goto err;
    }
    if (http_start(r, hooks, err, sizeof err))
        goto err;
    ds_catalog *cat = ds_reftopic_catalog(cfg, REFERENCE_TIMEOUT_MS, err, sizeof err);
    if (!cat || ds_pipeline_init_catalog(&r->pl, cat, err, sizeof err))
        goto err;
    r->pl_ready = 1;
    ds_codec_set_max_message(r->pl.codec, (size_t)cfg->max_message_bytes);
    if (gate_start(r, err, sizeof err))
        goto err;
    r->producer = new_client(cfg, RD_KAFKA_PRODUCER, r, err, sizeof err);
    if (!r->producer)
        goto err;
    outq_marks(r);
    if (internal_topics(r, err, sizeof err))
        goto err;
    r->consumer = new_client(cfg, RD_KAFKA_CONSUMER, r, err, sizeof err);
    if (!r->consumer)
        goto err;
    rd_kafka_poll_set_consumer(r->consumer);
    if (make_pipe(r->cpipe) || make_pipe(r->ppipe)) {
        snprintf(err, sizeof err, "pipe: %s", strerror(errno));
        goto err;
    }
    r->cq = rd_kafka_queue_get_consumer(r->consumer);
    r->pq = rd_kafka_queue_get_main(r->producer);
    rd_kafka_queue_io_event_enable(r->cq, r->cpipe[1], "1", 1);
    rd_kafka_queue_io_event_enable(r->pq, r->ppipe[1], "1", 1);

    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(3);
    rd_kafka_topic_partition_list_add(sub, cfg->articles_topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_topic_partition_list_add(sub, cfg->deals_topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_topic_partition_list_add(sub, r->mtopic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t se = rd_kafka_subscribe(r->consumer, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (se) {
        snprintf(err, sizeof err, "subscribe: %s", rd_kafka_err2str(se));
        goto err;
    }

    uv_poll_init(&r->loop, &r->cpoll, r->cpipe[0]);
    uv_poll_init(&r->loop, &r->ppoll, r->ppipe[0]);
    uv_timer_init(&r->loop, &r->tick);
    uv_timer_init(&r->loop, &r->kick);
    uv_timer_init(&r->loop, &r->txn_timer);
    uv_signal_init(&r->loop, &r->sigint);
    uv_signal_init(&r->loop, &r->sigterm);
    r->cpoll.data = r->ppoll.data = r->tick.data = r->kick.data = r->txn_timer.data = r->sigint.data =
        r->sigterm.data = r;
    uv_poll_start(&r->cpoll, UV_READABLE, on_consumer_ready);
    uv_poll_start(&r->ppoll, UV_READABLE, on_producer_ready);
    uint64_t interval = cfg->commit_interval_ms > 0 ? (uint64_t)cfg->commit_interval_ms : 100;
    uv_timer_start(&r->tick, on_tick, interval, interval);
    uv_signal_start(&r->sigint, on_signal, SIGINT);
    uv_signal_start(&r->sigterm, on_signal, SIGTERM);
    if (r->txn == TXN_INIT)
        txn_arm(r, 0);
    ds_info("run", "consuming %s and %s as group %s; mentions via %s, state in %s (%" PRId32
            " partitions each); canonical deals to %s",
            cfg->articles_topic, cfg->deals_topic, cfg->group ? cfg->group : cfg->app_id, r->mtopic, r->stopic,
            r->nparts, cfg->canonical_topic);

    uv_run(&r->loop, UV_RUN_DEFAULT);
    rc = r->exit_code;
    ds_info("run",
            "consumed %" PRIu64 ", mentions %" PRIu64 ", resolved %" PRIu64 ", canonical records %" PRIu64
            ", state records %" PRIu64 ", dead letters %" PRIu64 ", commits %" PRIu64 ", restored blocks %" PRIu64
            ", aborts %" PRIu64 ", pauses %" PRIu64 " (%s)",
            r->st.consumed, r->st.mentions, r->st.resolved, r->st.produced, r->st.state_records, r->st.dead_letters,
            r->st.commits, r->st.restored_blocks, r->st.aborts, r->st.pauses,
            r->txn == TXN_OFF ? "at-least-once" : "exactly-once");
    goto out;
err:
    ds_error("run", "%s", err);
    rc = 1;
out:
    if (stats)
        *stats = r->st;
    if (r->cq) {
        rd_kafka_queue_io_event_enable(r->cq, -1, NULL, 0);
        rd_kafka_queue_destroy(r->cq);
    }
    if (r->pq) {
        rd_kafka_queue_io_event_enable(r->pq, -1, NULL, 0);
        rd_kafka_queue_destroy(r->pq);
    }
    if (r->consumer) {
        if (!r->stopping)
            rd_kafka_consumer_close(r->consumer);
        rd_kafka_destroy(r->consumer);
    }
    if (r->producer)
        rd_kafka_destroy(r->producer);
    while (r->head) {
        batch *b = r->head;
        r->head = b->next;
        free_batch(b);
    }
    rd_kafka_topic_partition_list_destroy(r->assigned);
    for (int32_t p = 0; r->rs && p < r->nparts; p++)
        ds_resolver_destroy(r->rs[p]);
    free(r->rs);
    free(r->produced_hi);
    free(r->consumed_next);
    free(r->committed_seen);
    ds_buf_free(&r->obuf);
    ds_schema_gate_destroy(r->gate); /* its worker thread stops before the codec goes */
    r->gate = NULL;
    if (r->held)
        rd_kafka_topic_partition_list_destroy(r->held);
    if (r->pl_ready)
        ds_pipeline_fini(&r->pl);
    /* handles that were never started are closed here; the loop must end empty */
    ds_http_close(r->http);
    r->http = NULL;
    uv_walk(&r->loop, walk_close, NULL);
    uv_run(&r->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&r->loop))
        ds_error("run", "event loop did not close cleanly");
    ds_metrics_destroy(r->mx.reg);
    for (int i = 0; i < 3; i++)
        free(r->last[i].ts);
    for (int i = 0; i < 2; i++) {
        if (r->cpipe[i] >= 0)
            close(r->cpipe[i]);
        if (r->ppipe[i] >= 0)
            close(r->ppipe[i]);
    }
    free(r);
    return rc;
}

int ds_cmd_run(ds_config *cfg)
{
    return ds_run(cfg, NULL);
}
