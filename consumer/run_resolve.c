/* run_resolve.c: the resolution of mentions, on a thread of libuv's pool,
 * so that the loop keeps serving signals, /healthz, /metrics and delivery
 * reports however long one mention takes to resolve (a block whose
 * mentions form one cluster costs more with every mention).
 *
 * The loop queues the mentions it consumes (run_resolve_queue) during an
 * intake slice and hands them to the worker at its end; the worker decodes
 * and resolves them in order, in their partitions' resolvers, and encodes
 * the canonical records they change into a buffer of its own, for at most
 * RESOLVE_WORK_MS; the loop then applies the results in order, a slice at a
 * time (run_resolve_apply): offsets, dead letters, the canonical records
 * queued to the producer, the blocks marked for the changelog. A mention
 * enters its batch only when its result is applied, so a batch never
 * commits past a mention whose outputs are not queued.
 *
 * While a job is on the worker, or results wait to be applied, the loop
 * touches neither the resolvers nor the pipeline: intake, the batch's
 * close (changelog), the restore and the state gauges of /metrics wait
 * (run_resolve_pending). A shutdown or revocation settles the work first
 * (run_resolve_settle): it lets the worker stop after its current mention,
 * applies what was resolved and drops the rest, unread as far as the
 * batch is concerned.
 *
 * May call core/ (pipeline, resolver), producer/publish.c, run_batch.c and
 * run_output.c, librdkafka, libuv. */
#include <stdatomic.h>

#include "run_internal.h"

#define RESOLVE_MAX_ITEMS 512 /* mentions handed to the worker at a time */
#define RESOLVE_WORK_MS 20    /* the worker returns after this, done or not */
#define RESOLVE_CANCEL_MS 1000 /* a cancelled mention stops within one step of a recompute: awaited this long */

/* One consumed mention and, once resolved, its result. */
typedef struct resolve_item {
    rd_kafka_message_t *rkm; /* owned */
    ds_resolver *rs;
    /* the result, written by the worker */
    int decoded;       /* 0: the bytes are no mention (fail says why) */
    int n;             /* canonical records, or -1 with fail */
    ds_fail fail;
    char block_key[64];
    size_t rec0, nrec; /* its records in recs */
    size_t expired;    /* mentions the add expired */
    uint64_t truncated; /* of its records, those capped (pipeline.h) */
    double secs;       /* time to resolve and encode */
} resolve_item;

/* A canonical record encoded by the worker: key and value in arena. */
typedef struct resolve_rec {
    size_t key, keylen, val, vallen;
} resolve_rec;

struct resolve_work {
    uv_work_t req;
    uv_mutex_t mu;
    uv_cond_t cond;
    runner *r;
    batch *b;          /* the batch the items were consumed in */
    resolve_item *items;
    size_t nitems;
    size_t next;       /* the first item not resolved yet */
    size_t applied;    /* items applied (or dropped) */
    resolve_rec *recs;
    size_t nrecs, reccap;
    ds_buf arena;
    int queued;        /* with libuv: the after-callback has not run (loop thread) */
    int running;       /* the worker has not returned (under mu) */
    atomic_int stop;   /* the worker returns after its current item */
    atomic_int cancel; /* the shutdown's time is up: the current item stops mid-way */
    int oom;           /* a record could not be kept */
    resolve_item *cur; /* the item the worker is resolving */
};

int run_resolve_init(runner *r)
{
    resolve_work *w = calloc(1, sizeof *w);
    if (!w)
        return -1;
    w->items = calloc(RESOLVE_MAX_ITEMS, sizeof *w->items);
    if (!w->items || uv_mutex_init(&w->mu)) {
        free(w->items);
        free(w);
        return -1;
    }
    if (uv_cond_init(&w->cond)) {
        uv_mutex_destroy(&w->mu);
        free(w->items);
        free(w);
        return -1;
    }
    ds_buf_init(&w->arena);
    w->r = r;
    atomic_init(&w->stop, 0);
    atomic_init(&w->cancel, 0);
    r->rw = w;
    return 0;
}

/* ---- the worker ------------------------------------------------------------ */

/* ds_emit_fn of the worker: keeps the record in the arena. */
static int keep_record(void *opaque, const char *key, const void *val, size_t len)
{
    resolve_work *w = opaque;
    if (w->nrecs == w->reccap) {
        size_t cap = w->reccap ? 2 * w->reccap : 256;
        resolve_rec *t = realloc(w->recs, cap * sizeof *t);
        if (!t)
            return -1;
        w->recs = t;
        w->reccap = cap;
    }
    resolve_rec *rec = &w->recs[w->nrecs];
    rec->key = w->arena.len;
    rec->keylen = strlen(key);
    if (ds_buf_append(&w->arena, key, rec->keylen))
        return -1;
    rec->val = w->arena.len;
    rec->vallen = len;
    if (ds_buf_append(&w->arena, val, len))
        return -1;
    w->nrecs++;
    w->cur->nrec++;
    return 0;
}

/* Decodes and resolves one item, keeping its records. */
static void resolve_one(resolve_work *w, resolve_item *it)
{
    runner *r = w->r;
    ds_mention m;
    it->fail = (ds_fail){"decode", "corrupt", ""};
    it->rec0 = w->nrecs;
    it->nrec = 0;
    it->n = -1;
    it->decoded = ds_pipeline_decode_mention(&r->pl, it->rkm->payload, it->rkm->len, &m, &it->fail) == 0;
    if (it->decoded) {
        snprintf(it->block_key, sizeof it->block_key, "%s", m.block_key);
        double t0 = ds_metrics_clock();
        size_t expired = ds_resolver_expired(it->rs);
        uint64_t truncated = r->pl.canon_truncated;
        w->cur = it;
        it->n = ds_pipeline_resolve_in(&r->pl, it->rs, &m, keep_record, w, &it->fail);
        it->truncated = r->pl.canon_truncated - truncated;
        it->secs = ds_metrics_clock() - t0;
        it->expired = ds_resolver_expired(it->rs) - expired;
    }
}

/* @locality a thread of libuv's pool */
static void work_cb(uv_work_t *req)
{
    resolve_work *w = req->data;
    int64_t start = ds_mono_ms();
    while (w->next < w->nitems) {
        resolve_one(w, &w->items[w->next++]);
        if (atomic_load(&w->stop) || ds_mono_ms() - start >= RESOLVE_WORK_MS)
            break;
    }
    run_clear_signal(&w->mu, &w->cond, &w->running);
}

static void after_cb(uv_work_t *req, int status)
{
    (void)status; /* the work is never cancelled */
    resolve_work *w = req->data;
    w->queued = 0;
    run_kick(w->r); /* applies the results, then takes input again */
}

/* ds_cancel_fn of the resolvers: the shutdown ran out of time for the
 * mention being resolved (run_resolve_settle). @locality a thread of
 * libuv's pool */
static int cancel_asked(void *opaque)
{
    resolve_work *w = opaque;
    return atomic_load(&w->cancel);
}

/* ---- the loop's side ----------------------------------------------------- */

static void release(resolve_work *w, size_t from);

int run_resolve_queue(runner *r, batch *b, ds_resolver *rs, rd_kafka_message_t *rkm)
{
    resolve_work *w = r->rw;
    if (w->queued || w->nitems == RESOLVE_MAX_ITEMS || (w->nitems > 0 && w->b != b))
        return -1;
    ds_resolver_set_cancel(rs, cancel_asked, w); /* no worker holds rs now */
    w->b = b;
    w->items[w->nitems++] = (resolve_item){.rkm = rkm, .rs = rs};
    return 0;
}

int run_resolve_full(const runner *r) { return r->rw->nitems == RESOLVE_MAX_ITEMS; }

int run_resolve_pending(const runner *r)
{
    const resolve_work *w = r->rw;
    return w && (w->queued || w->applied < w->nitems);
}

int run_resolve_busy(const runner *r) { return r->rw && r->rw->queued; }

void run_resolve_dispatch(runner *r)
{
    resolve_work *w = r->rw;
    if (w->queued || w->next == w->nitems)
        return;
    if (r->txn == TXN_ABORT || r->exit_code) {
        release(w, w->applied); /* an abort redoes the batch from its start; a failed run stops */
        return;
    }
    if (w->applied == w->next) {
        w->nrecs = 0; /* the records of the mentions applied are queued */
        ds_buf_reset(&w->arena);
    }
    atomic_store(&w->stop, 0);
    w->running = 1;
    w->req.data = w;
    if (uv_queue_work(&r->loop, &w->req, work_cb, after_cb)) {
        /* no worker: resolve here, a slice at a time */
        w->running = 0;
        int64_t start = ds_mono_ms();
        while (w->next < w->nitems && ds_mono_ms() - start < SLICE_MS)
            resolve_one(w, &w->items[w->next++]);
        run_kick(r);
        return;
    }
    w->queued = 1;
}

/* Takes the mention of item it into batch b, as run.c takes any input:
 * its offset, the next offset to resolve of its partition. */
static void take_offset(runner *r, batch *b, const rd_kafka_message_t *rkm)
{
    run_part_add(&b->offsets_ix, b->offsets, RUN_T_MENTIONS, r->mtopic, rkm->partition)->offset = rkm->offset + 1;
    b->nmsgs++;
    r->consumed_next[rkm->partition] = rkm->offset + 1;
    r->st.resolved++;
}

/* A mention that could not be resolved: dead-lettered, or, when the
 * producer refused a record, the batch fails. */
static void apply_failure(runner *r, batch *b, resolve_item *it)
{
    if (strcmp(it->fail.stage, "produce") == 0) {
        run_output_failed(r); /* not the mention's fault */
        return;
    }
    if (strcmp(it->fail.cls, "block-full") == 0) {
        uint64_t n = ++r->st.capped;
        if ((n & (n - 1)) == 0) /* the 1st, 2nd, 4th, 8th ...: warned, without a flood */
            ds_log(DS_LOG_WARN, "run", "%s (%" PRIu64 " refused so far)", it->fail.msg, n);
    }
    run_dead_letter(r, b, it->rkm, &it->fail);
}

/* Applies one resolved item to batch b: its canonical records are queued,
 * its block marked for the changelog. */
static void apply_one(runner *r, resolve_work *w, resolve_item *it)
{
    batch *b = w->b;
    take_offset(r, b, it->rkm);
    if (!it->decoded) {
        run_dead_letter(r, b, it->rkm, &it->fail);
        return;
    }
    ds_series_observe(r->mx.resolve, it->secs);
    r->st.expired += it->expired;
    run_note_truncated(r, it->truncated);
    if (it->n < 0) {
        apply_failure(r, b, it);
        return;
    }
    for (size_t i = it->rec0; i < it->rec0 + it->nrec; i++) {
        const resolve_rec *rec = &w->recs[i];
        if (ds_publish_rkt(r->producer, r->rkt_canonical, RD_KAFKA_PARTITION_UA, w->arena.data + rec->key,
                           rec->keylen, w->arena.data + rec->val, rec->vallen, run_output_of(r, b))) {
            run_output_failed(r);
            return;
        }
    }
    if (run_mark_dirty(b, it->block_key, it->rkm->partition, it->rkm->offset)) {
        ds_error("run", "out of memory");
        r->exit_code = 1;
    }
}

/* Frees the items from `from` on and, once all are gone, resets the job. */
static void release(resolve_work *w, size_t from)
{
    for (size_t i = from; i < w->nitems; i++) {
        if (w->items[i].rkm)
            rd_kafka_message_destroy(w->items[i].rkm);
        w->items[i].rkm = NULL;
    }
    w->nitems = w->next = w->applied = w->nrecs = 0;
    w->b = NULL;
    ds_buf_reset(&w->arena);
}

/* Applies the next resolved item, unless the transaction aborts or the
 * run failed, and frees its message. */
static void apply_next(runner *r, resolve_work *w)
{
    resolve_item *it = &w->items[w->applied++];
    if (r->txn != TXN_ABORT && r->exit_code == 0)
        apply_one(r, w, it);
    rd_kafka_message_destroy(it->rkm);
    it->rkm = NULL;
}

int run_resolve_apply(runner *r, int64_t deadline)
{
    resolve_work *w = r->rw;
    if (w->queued)
        return 1; /* the after-callback kicks */
    while (w->applied < w->next) {
        apply_next(r, w);
        if (w->b->nmsgs >= BATCH_MAX_MESSAGES)
            r->close_wanted = 1;
        if (ds_mono_ms() >= deadline && w->applied < w->next)
            return 1;
    }
    if (w->applied < w->nitems && r->txn != TXN_ABORT && r->exit_code == 0) {
        /* the worker stopped at its time limit: the rest were consumed in
         * this batch, which closes only once they are resolved too */
        run_resolve_dispatch(r);
        return 1;
    }
    /* an abort redoes the batch from its start; a failed run stops */
    release(w, w->applied);
    return 0;
}

/* Waits until the worker has returned or deadline_ms (ds_mono_ms; -1: no
 * deadline) passes, having asked it to stop after its current item.
 * Returns 0, or -1 at the deadline. */
static int wait_worker(resolve_work *w, int64_t deadline_ms)
{
    if (!w->queued)
        return 0;
    atomic_store(&w->stop, 1);
    return run_wait_cleared(&w->mu, &w->cond, &w->running, deadline_ms);
}

/* Seeks the partitions of the dropped items from `from` on back to the
 * first of them, for those still assigned (a cooperative revocation keeps
 * some): they are read again. */
static void seek_back(runner *r, resolve_work *w, size_t from)
{
    if (r->stopping || from >= w->nitems)
        return;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(4);
    for (size_t i = from; i < w->nitems; i++) {
        const rd_kafka_message_t *rkm = w->items[i].rkm;
        if (rkm && !rd_kafka_topic_partition_list_find(l, r->mtopic, rkm->partition) &&
            rd_kafka_topic_partition_list_find(r->assigned, r->mtopic, rkm->partition))
            rd_kafka_topic_partition_list_add(l, r->mtopic, rkm->partition)->offset = rkm->offset;
    }
    if (l->cnt > 0) {
        rd_kafka_error_t *error = rd_kafka_seek_partitions(r->consumer, l, METADATA_MS);
        if (error) {
            ds_error("run", "seeking back to mentions not resolved: %s", rd_kafka_error_string(error));
            rd_kafka_error_destroy(error);
            r->exit_code = 1;
        }
    }
    rd_kafka_topic_partition_list_destroy(l);
}

/* The shutdown's time for the mention on the worker is up: it is stopped
 * mid-way (its resolver is then discarded with the run) and the worker
 * awaited up to RESOLVE_CANCEL_MS. The batch is never committed (the run
 * fails: under exactly-once its transaction is aborted); its inputs,
 * that mention's among them, are read again at the next start. */
static void cancel_current(runner *r, resolve_work *w)
{
    atomic_store(&w->cancel, 1);
    int64_t t0 = ds_mono_ms();
    if (run_wait_cleared(&w->mu, &w->cond, &w->running, t0 + RESOLVE_CANCEL_MS)) {
        ds_error("run", "a mention's resolution did not stop within %d ms of being cancelled; its batch stays "
                 "uncommitted", RESOLVE_CANCEL_MS);
        r->exit_code = 1;
        return;
    }
    /* the worker has returned: its items are the loop's to read again */
    const rd_kafka_message_t *rkm = w->next > 0 ? w->items[w->next - 1].rkm : NULL;
    if (rkm) {
        ds_warn("run", "%s [%" PRId32 "] offset %" PRId64 ": the shutdown's time for this mention's resolution ran "
                "out: stopped after %lld ms more; its batch is not committed, and is read again at the next start",
                r->mtopic, rkm->partition, rkm->offset, (long long)(ds_mono_ms() - t0));
    }
    r->exit_code = 1;
}

int run_resolve_settle(runner *r, int64_t deadline_ms)
{
    resolve_work *w = r->rw;
    if (!w || !run_resolve_pending(r))
        return 0;
    if (wait_worker(w, deadline_ms)) {
        if (r->stopping) {
            cancel_current(r, w);
        } else {
            ds_error("run", "a mention's resolution did not end within the revocation's time; its batch stays "
                     "uncommitted");
            r->exit_code = 1;
        }
        return -1;
    }
    /* the results are taken here; the after-callback, still to come,
     * only kicks */
    while (w->applied < w->next)
        apply_next(r, w);
    seek_back(r, w, w->applied);
    release(w, w->applied);
    return 0;
}

void run_resolve_drop(runner *r)
{
    resolve_work *w = r->rw;
    if (!w)
        return;
    wait_worker(w, -1); /* the watchdog bounds a shutdown meanwhile */
    release(w, w->applied);
}

void run_resolve_destroy(runner *r)
{
    resolve_work *w = r->rw;
    if (!w)
        return;
    run_resolve_drop(r);
    uv_cond_destroy(&w->cond);
    uv_mutex_destroy(&w->mu);
    ds_buf_free(&w->arena);
    free(w->recs);
    free(w->items);
    free(w);
    r->rw = NULL;
}
