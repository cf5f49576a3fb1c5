/* run_endwork.c: the look-ups of `run -e` that tell whether the partitions
 * other members hold (or held: a killed member keeps its assignment until
 * its session.timeout.ms) have nothing committed left, made on a thread of
 * libuv's pool: the partitions of the three topics (metadata), the group's
 * committed offsets of those this member does not hold (which wait while a
 * transaction holding offsets for the group is open) and each one's
 * watermarks. On the loop they held it for up to METADATA_MS each, once a
 * second, so that /healthz and signals waited meanwhile.
 *
 * One job at a time, started by run_endwork_start with a copy of the
 * assignment; the worker touches no runner state (the consumer, whose calls
 * librdkafka makes thread-safe, and the job's own copies) and leaves its
 * answer and what to log in the job, which the loop reads from the
 * after-callback. The runner's end waits for the worker before the
 * consumer goes (run_endwork_fini); each call is bounded by ENDWORK_CALL_MS
 * and the worker stops between calls once asked.
 *
 * May call librdkafka, libuv, consumer/kafka.c; run.c for the answer. */
#include "run_internal.h"

#define ENDWORK_CALL_MS 2000 /* one look-up; the next check retries */

struct end_work {
    uv_work_t req;
    uv_mutex_t mu;
    uv_cond_t cond;
    runner *r;
    int queued;   /* with libuv: the after-callback has not run yet (loop thread) */
    int running;  /* the work has not returned (under mu) */
    int taken;    /* run_endwork_fini dropped it */
    atomic_int stop;
    /* inputs, set on the loop before the work is queued */
    rd_kafka_t *consumer;
    const char *topics[3], *mtopic;
    rd_kafka_topic_partition_list_t *assigned; /* a copy (owned) */
    int eos;                                   /* exactly-once: a final marker may follow */
    int gen;                                   /* r->assign_gen when it began */
    /* the answer */
    int at_end;        /* 1: nothing committed left in the others' partitions */
    char warn[512];    /* a look-up failed (logged as a warning), or empty */
    char wait[512];    /* the first partition still holding work (logged once), or empty */
};

/* The partitions of the job's topics the member does not hold, or NULL
 * with w->warn set. @locality a thread of libuv's pool */
static rd_kafka_topic_partition_list_t *unheld(end_work *w)
{
    rd_kafka_topic_partition_list_t *q = rd_kafka_topic_partition_list_new(16);
    for (int t = 0; t < 3 && !atomic_load(&w->stop); t++) {
        char err[256];
        int32_t *parts = NULL;
        int n = ds_kafka_partitions(w->consumer, w->topics[t], ENDWORK_CALL_MS, &parts, err, sizeof err);
        if (n < 0) {
            snprintf(w->warn, sizeof w->warn, "-e: partitions of %s: %s", w->topics[t], err);
            rd_kafka_topic_partition_list_destroy(q);
            return NULL;
        }
        for (int i = 0; i < n; i++)
            if (!rd_kafka_topic_partition_list_find(w->assigned, w->topics[t], parts[i]))
                rd_kafka_topic_partition_list_add(q, w->topics[t], parts[i]);
        free(parts);
    }
    return q;
}

/* Whether partition p (its committed offset in p->offset) has nothing
 * committed left: the offset is at the partition's end or, for
 * <app>-mentions under exactly-once, before a final transaction marker
 * only. Else notes it in w->wait. @locality a thread of libuv's pool */
static int at_end(end_work *w, const rd_kafka_topic_partition_t *p)
{
    int64_t lo = 0, hi = 0;
    if (p->err ||
        rd_kafka_query_watermark_offsets(w->consumer, p->topic, p->partition, &lo, &hi, ENDWORK_CALL_MS) || lo < 0 ||
        hi < 0)
        return 0;
    int64_t committed = p->offset >= 0 ? p->offset : lo;
    int64_t slack = strcmp(p->topic, w->mtopic) == 0 && w->eos;
    if (hi <= lo || committed >= hi - slack)
        return 1;
    snprintf(w->wait, sizeof w->wait,
             "-e waits: %s [%" PRId32 "], held by another member (one that stopped holds it until its session "
             "times out), is committed at %" PRId64 " of %" PRId64, p->topic, p->partition, committed, hi);
    return 0;
}

/* @locality a thread of libuv's pool */
static void work_cb(uv_work_t *req)
{
    end_work *w = req->data;
    rd_kafka_topic_partition_list_t *q = unheld(w);
    int done = q != NULL && !atomic_load(&w->stop);
    if (done && q->cnt > 0) {
        rd_kafka_resp_err_t err = rd_kafka_committed(w->consumer, q, ENDWORK_CALL_MS);
        if (err)
            snprintf(w->warn, sizeof w->warn, "-e: committed offsets of the group: %s", rd_kafka_err2str(err));
        done = !err;
        for (int i = 0; done && i < q->cnt && !atomic_load(&w->stop); i++)
            done = at_end(w, &q->elems[i]);
    }
    w->at_end = done && !atomic_load(&w->stop);
    if (q)
        rd_kafka_topic_partition_list_destroy(q);
    run_clear_signal(&w->mu, &w->cond, &w->running);
}

static void after_cb(uv_work_t *req, int status)
{
    (void)status; /* the work is never cancelled */
    end_work *w = req->data;
    w->queued = 0;
    rd_kafka_topic_partition_list_destroy(w->assigned);
    w->assigned = NULL;
    if (w->taken)
        return;
    run_others_answered(w->r, w->gen == w->r->assign_gen && w->at_end, w->warn[0] ? w->warn : NULL,
                        w->wait[0] ? w->wait : NULL);
}

int run_endwork_init(runner *r)
{
    end_work *w = calloc(1, sizeof *w);
    if (!w)
        return -1;
    if (uv_mutex_init(&w->mu)) {
        free(w);
        return -1;
    }
    if (uv_cond_init(&w->cond)) {
        uv_mutex_destroy(&w->mu);
        free(w);
        return -1;
    }
    atomic_init(&w->stop, 0);
    w->r = r;
    r->ew = w;
    return 0;
}

int run_endwork_start(runner *r)
{
    end_work *w = r->ew;
    if (!w || w->queued)
        return -1;
    w->consumer = r->consumer;
    w->topics[0] = r->cfg->articles_topic;
    w->topics[1] = r->cfg->deals_topic;
    w->topics[2] = r->mtopic;
    w->mtopic = r->mtopic;
    w->eos = r->txn != TXN_OFF;
    w->gen = r->assign_gen;
    w->assigned = rd_kafka_topic_partition_list_copy(r->assigned);
    w->at_end = 0;
    w->warn[0] = w->wait[0] = '\0';
    w->taken = 0;
    w->running = 1;
    w->req.data = w;
    if (uv_queue_work(&r->loop, &w->req, work_cb, after_cb)) {
        w->running = 0;
        rd_kafka_topic_partition_list_destroy(w->assigned);
        w->assigned = NULL;
        return -1;
    }
    w->queued = 1;
    return 0;
}

int run_endwork_busy(const runner *r) { return r->ew && r->ew->queued; }

void run_endwork_fini(runner *r)
{
    end_work *w = r->ew;
    if (!w || !w->queued || w->taken)
        return;
    atomic_store(&w->stop, 1);
    /* each call is bounded by ENDWORK_CALL_MS, and the watchdog bounds the
     * shutdown meanwhile */
    run_wait_cleared(&w->mu, &w->cond, &w->running, -1);
    w->taken = 1; /* the after-callback, still to come, only frees its copy */
}

void run_endwork_destroy(runner *r)
{
    end_work *w = r->ew;
    if (!w)
        return;
    if (w->assigned)
        rd_kafka_topic_partition_list_destroy(w->assigned);
    uv_cond_destroy(&w->cond);
    uv_mutex_destroy(&w->mu);
    free(w);
    r->ew = NULL;
}
