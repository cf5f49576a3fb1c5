/* run_restorework.c: the blocking work of a restore of `run`, made on a
 * thread of libuv's pool so that the loop keeps serving signals, /healthz,
 * /metrics, delivery reports and the transaction while a restore looks up
 * the group's committed offsets and reads its changelog partitions: the
 * look-up (rd_kafka_committed, up to RESTORE_LOOKUP_MS; the input
 * partitions assigned meanwhile are looked up with them, to tell an offset
 * reset at start) and, per mentions
 * partition, the reading and decoding of its <app>-state partition into a
 * new resolver (ds_state_restore_read, up to RESTORE_TIMEOUT_MS). One job
 * at a time, for the partitions queued when it began.
 *
 * The worker touches no runner state: it reads the job's inputs, set on
 * the loop before the work is queued (the consumer, whose calls librdkafka
 * makes thread-safe; the catalog and the block owners, read-only after
 * start-up; a codec of its own), and writes the job's results. The loop
 * applies them from the work's after-callback (run_restore_done,
 * run_assign.c): it swaps in each restored resolver, publishes its deals
 * and resumes the partition. A partition revoked or queued again while the
 * job runs is marked stale (run_restorework_forget): the worker stops
 * reading it, or recomputing its blocks, and the loop drops its result. The shutdown marks every
 * partition stale, and the runner's end waits for the worker before the
 * consumer goes (run_restorework_fini).
 *
 * May call librdkafka, libuv, consumer/state.c, core/resolve.c; run_assign.c
 * for the result. */
#include "run_internal.h"

/* Looks up the committed offsets of the job's partitions that have none
 * (RD_KAFKA_OFFSET_INVALID) with the consumer; sets j->lookup_err on
 * failure. @locality a thread of libuv's pool */
static void lookup_committed(restore_job *j)
{
    rd_kafka_topic_partition_list_t *q = rd_kafka_topic_partition_list_new(j->nparts);
    for (int i = 0; i < j->nparts; i++)
        if (j->parts[i].committed == RD_KAFKA_OFFSET_INVALID)
            rd_kafka_topic_partition_list_add(q, j->mtopic, j->parts[i].partition);
    for (int i = 0; j->inputs && i < j->inputs->cnt; i++)
        rd_kafka_topic_partition_list_add(q, j->inputs->elems[i].topic, j->inputs->elems[i].partition);
    rd_kafka_resp_err_t kerr = q->cnt ? rd_kafka_committed(j->consumer, q, RESTORE_LOOKUP_MS) : 0;
    for (int i = 0; !kerr && i < q->cnt; i++)
        if (q->elems[i].err)
            kerr = q->elems[i].err;
    for (int i = 0; !kerr && i < j->nparts; i++) {
        restore_part *rp = &j->parts[i];
        rd_kafka_topic_partition_t *e = rd_kafka_topic_partition_list_find(q, j->mtopic, rp->partition);
        if (e)
            rp->committed = e->offset >= 0 ? e->offset : 0;
    }
    for (int i = 0; !kerr && j->inputs && i < j->inputs->cnt; i++) {
        rd_kafka_topic_partition_t *in = &j->inputs->elems[i];
        rd_kafka_topic_partition_t *e = rd_kafka_topic_partition_list_find(q, in->topic, in->partition);
        in->offset = e ? e->offset : RD_KAFKA_OFFSET_INVALID;
    }
    j->lookup_err = kerr;
    rd_kafka_topic_partition_list_destroy(q);
}

/* ds_cancel_fn of a resolver being restored: its part went stale (revoked,
 * queued again, or the shutdown), so that recomputing a large block stops
 * too, not only the read. @locality a thread of libuv's pool */
static int part_stale(void *opaque)
{
    restore_part *rp = opaque;
    return atomic_load(&rp->stale);
}

/* Rebuilds the state of one partition of the job into a new resolver, as
 * of its committed offset; sets rp's result. @locality a thread of libuv's
 * pool */
static void restore_one(restore_job *j, restore_part *rp)
{
    rd_kafka_conf_t *conf = rp->conf;
    rp->conf = NULL; /* consumed here, whatever happens */
    if (j->lookup_err || atomic_load(&rp->stale)) {
        rd_kafka_conf_destroy(conf);
        rp->rc = DS_RESTORE_CANCELLED;
        return;
    }
    rp->rs = ds_resolver_new(j->cat);
    if (!rp->rs) {
        rd_kafka_conf_destroy(conf);
        snprintf(rp->err, sizeof rp->err, "out of memory");
        rp->rc = -1;
        return;
    }
    /* state is split by block key over partitions: a link to another
     * block's deal would depend on which blocks share an instance */
    ds_resolver_set_cross_block(rp->rs, 0);
    ds_resolver_set_retention(rp->rs, j->retention_days);
    ds_resolver_set_max_mentions_per_block(rp->rs, j->max_mentions);
    ds_resolver_set_chunk_bytes(rp->rs, j->chunk_bytes);
    /* the reference rows of the partition's blocks are deals, published
     * with its restore */
    ds_resolver_set_references(rp->rs, ds_kafka_owns_block, &j->owners[rp->partition]);
    ds_resolver_set_cancel(rp->rs, part_stale, rp); /* reset when installed */
    rp->rc = ds_state_restore_read(rp->rs, j->codec, conf, j->stopic, rp->partition, rp->committed,
                                   RESTORE_TIMEOUT_MS, &rp->stale, &rp->publish, &rp->st, rp->err, sizeof rp->err);
    conf = NULL; /* consumed by the restore */
    if (rp->rc) {
        ds_resolver_destroy(rp->rs);
        rp->rs = NULL;
    }
}

/* @locality a thread of libuv's pool */
static void work_cb(uv_work_t *req)
{
    restore_job *j = req->data;
    lookup_committed(j);
    for (int i = 0; i < j->nparts; i++)
        restore_one(j, &j->parts[i]);
    run_clear_signal(&j->mu, &j->cond, &j->running);
}

/* Hands the results to the loop unless run_restorework_fini took them. */
static void after_cb(uv_work_t *req, int status)
{
    (void)status; /* the work is never cancelled */
    restore_job *j = req->data;
    j->queued = 0;
    if (j->taken)
        return;
    j->done = 1;
    run_restore_done(j->r);
}

int run_restorework_init(runner *r)
{
    restore_job *j = &r->rjob;
    char err[256];
    j->codec = ds_codec_new(err, sizeof err);
    if (!j->codec)
        return -1;
    if (uv_mutex_init(&j->mu)) {
        ds_codec_destroy(j->codec);
        j->codec = NULL;
        return -1;
    }
    if (uv_cond_init(&j->cond)) {
        uv_mutex_destroy(&j->mu);
        ds_codec_destroy(j->codec);
        j->codec = NULL;
        return -1;
    }
    j->ready = 1;
    j->r = r;
    return 0;
}

/* Sets up the job's parts for the partitions of r->unrestored, each with
 * its reader's configuration. Returns 0, or -1 with err. */
static int job_parts(runner *r, restore_job *j, char *err, size_t errlen)
{
    int n = r->unrestored->cnt;
    if (n > j->capparts) {
        restore_part *np = realloc(j->parts, (size_t)n * sizeof *np);
        if (!np) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        j->parts = np;
        j->capparts = n;
    }
    for (int i = 0; i < n; i++) {
        restore_part *rp = &j->parts[i];
        memset(rp, 0, sizeof *rp);
        atomic_init(&rp->stale, 0);
        rp->partition = r->unrestored->elems[i].partition;
        rp->committed = r->unrestored->elems[i].offset;
        j->nparts = i + 1; /* run_restorework_clear frees what is set up so far */
        if (rp->partition < 0 || rp->partition >= r->nparts) {
            snprintf(err, errlen, "%s [%" PRId32 "]: partition beyond the %" PRId32 " seen at start", r->mtopic,
                     rp->partition, r->nparts);
            return -1;
        }
        rp->conf = ds_kafka_conf(r->cfg, err, errlen);
        if (!rp->conf)
            return -1;
    }
    return 0;
}

int run_restorework_start(runner *r, char *err, size_t errlen)
{
    restore_job *j = &r->rjob;
    if (!j->ready || j->queued || j->done) {
        snprintf(err, errlen, "a restore is still under way");
        return -1;
    }
    j->nparts = 0;
    if (job_parts(r, j, err, errlen)) {
        run_restorework_clear(r);
        return -1;
    }
    j->inputs = rd_kafka_topic_partition_list_new(r->unchecked->cnt ? r->unchecked->cnt : 1);
    for (int i = 0; i < r->unchecked->cnt; i++)
        rd_kafka_topic_partition_list_add(j->inputs, r->unchecked->elems[i].topic, r->unchecked->elems[i].partition);
    j->consumer = r->consumer;
    j->cat = r->pl.cat;
    j->owners = r->ref_owners;
    j->mtopic = r->mtopic;
    j->stopic = r->stopic;
    j->retention_days = r->cfg->dedup_retention_days;
    j->max_mentions = (size_t)r->cfg->state_max_mentions_per_block;
    j->chunk_bytes = run_state_chunk_bytes(r);
    j->lookup_err = RD_KAFKA_RESP_ERR_NO_ERROR;
    j->taken = 0;
    j->running = 1;
    j->req.data = j;
    if (uv_queue_work(&r->loop, &j->req, work_cb, after_cb)) {
        j->running = 0;
        run_restorework_clear(r);
        snprintf(err, errlen, "cannot queue the restore's work");
        return -1;
    }
    j->queued = 1;
    return 0;
}

int run_restorework_busy(const runner *r) { return r->rjob.queued; }

void run_restorework_forget(runner *r, int32_t partition)
{
    restore_job *j = &r->rjob;
    if (!j->queued && !j->done)
        return;
    for (int i = 0; i < j->nparts; i++)
        if (j->parts[i].partition == partition)
            atomic_store(&j->parts[i].stale, 1);
}

void run_restorework_cancel(runner *r)
{
    restore_job *j = &r->rjob;
    for (int i = 0; (j->queued || j->done) && i < j->nparts; i++)
        atomic_store(&j->parts[i].stale, 1);
}

void run_restorework_clear(runner *r)
{
    restore_job *j = &r->rjob;
    for (int i = 0; i < j->nparts; i++) {
        restore_part *rp = &j->parts[i];
        ds_resolver_destroy(rp->rs);
        rp->rs = NULL;
        free(rp->publish.items);
        rp->publish.items = NULL;
        rp->publish.n = 0;
        if (rp->conf)
            rd_kafka_conf_destroy(rp->conf);
        rp->conf = NULL;
    }
    j->nparts = 0;
    j->done = 0;
    if (j->inputs)
        rd_kafka_topic_partition_list_destroy(j->inputs);
    j->inputs = NULL;
}

void run_restorework_fini(runner *r)
{
    restore_job *j = &r->rjob;
    if (!j->ready)
        return;
    if (j->queued && !j->taken) {
        /* the worker reads with the consumer: it stops within
         * RESTORE_LOOKUP_MS of its look-up, or POLL_CANCEL_MS of a read,
         * once every partition is stale, and the watchdog bounds the
         * shutdown meanwhile */
        run_restorework_cancel(r);
        run_wait_cleared(&j->mu, &j->cond, &j->running, -1);
        j->taken = 1; /* the after-callback, still to come, does nothing */
    }
    run_restorework_clear(r);
}

void run_restorework_destroy(runner *r)
{
    restore_job *j = &r->rjob;
    if (!j->ready)
        return;
    free(j->parts);
    j->parts = NULL;
    j->capparts = 0;
    uv_cond_destroy(&j->cond);
    uv_mutex_destroy(&j->mu);
    ds_codec_destroy(j->codec);
    j->codec = NULL;
    j->ready = 0;
}
