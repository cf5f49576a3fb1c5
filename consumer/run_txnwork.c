/* run_txnwork.c: the blocking transactional calls of exactly-once `run`
 * (init_transactions, send_offsets_to_transaction + commit_transaction,
 * abort_transaction), made on a thread of libuv's pool so that the loop
 * keeps serving signals, /healthz, /metrics and delivery reports while a
 * coordinator answers. One call at a time; its result is applied on the
 * loop thread by run_txn_result (run_batch.c), from the work's
 * after-callback or, when the shutdown or a revocation waits for the call,
 * from run_txnwork_wait.
 *
 * The worker never serves a delivery report: commit_transaction and
 * abort_transaction flush, and a flush serves the reports of whatever is
 * outstanding on the calling thread. run_batch.c starts a call only once
 * the producer's queue is empty (every report served on the loop) and
 * produces nothing while it runs.
 *
 * May call librdkafka and libuv; run_batch.c for the result. */
#include "run_internal.h"

/* Makes the call of job j with librdkafka, on whichever thread runs it: no
 * runner state is touched. Sets j->error (NULL on success), j->call (the
 * call that failed) and j->offsets_sent. */
static void txn_call(txn_job *j)
{
    j->error = NULL;
    j->call = NULL;
    j->offsets_sent = 0;
    switch (j->op) {
    case TXW_INIT:
        j->call = "init_transactions";
        j->error = rd_kafka_init_transactions(j->producer, j->timeout_ms);
        break;
    case TXW_COMMIT:
        if (j->offsets) {
            j->call = "send_offsets_to_transaction";
            j->error = rd_kafka_send_offsets_to_transaction(j->producer, j->offsets, j->cgmd, j->timeout_ms);
            if (j->error)
                break;
        }
        j->offsets_sent = 1;
        j->call = "commit_transaction";
        j->error = rd_kafka_commit_transaction(j->producer, j->timeout_ms);
        break;
    case TXW_ABORT:
        j->call = "abort_transaction";
        j->error = rd_kafka_abort_transaction(j->producer, j->timeout_ms);
        break;
    }
    if (!j->error)
        j->call = NULL;
}

/* Frees what a job owns for its call (offsets, group metadata). */
static void job_clear(txn_job *j)
{
    if (j->offsets)
        rd_kafka_topic_partition_list_destroy(j->offsets);
    j->offsets = NULL;
    if (j->cgmd)
        rd_kafka_consumer_group_metadata_destroy(j->cgmd);
    j->cgmd = NULL;
}

/* @locality a thread of libuv's pool */
static void work_cb(uv_work_t *req)
{
    txn_job *j = req->data;
    txn_call(j);
    run_clear_signal(&j->mu, &j->cond, &j->running);
}

/* Hands the result to the state machine unless run_txnwork_wait took it. */
static void after_cb(uv_work_t *req, int status)
{
    (void)status; /* the work is never cancelled */
    txn_job *j = req->data;
    runner *r = j->r;
    j->queued = 0;
    if (j->taken) {
        run_txn_arm(r, 0); /* a step that found the job queued meanwhile waits for this */
        return;
    }
    job_clear(j);
    run_txn_result(r, j->op, j->call, j->error, j->offsets_sent);
}

int run_txnwork_init(runner *r)
{
    if (uv_mutex_init(&r->job.mu))
        return -1;
    if (uv_cond_init(&r->job.cond)) {
        uv_mutex_destroy(&r->job.mu);
        return -1;
    }
    r->job.ready = 1;
    r->job.r = r;
    return 0;
}

int run_txnwork_start(runner *r, txw_op op, rd_kafka_topic_partition_list_t *offsets, int timeout_ms)
{
    txn_job *j = &r->job;
    if (!j->ready || j->queued) {
        if (offsets)
            rd_kafka_topic_partition_list_destroy(offsets);
        return -1;
    }
    j->op = op;
    j->producer = r->producer;
    j->offsets = offsets;
    offsets = NULL; /* now owned by the job */
    j->cgmd = j->offsets ? rd_kafka_consumer_group_metadata(r->consumer) : NULL;
    j->timeout_ms = timeout_ms;
    j->taken = 0;
    j->running = 1;
    j->req.data = j;
    if (uv_queue_work(&r->loop, &j->req, work_cb, after_cb)) {
        j->running = 0;
        job_clear(j);
        return -1;
    }
    j->queued = 1;
    return 0;
}

int run_txnwork_busy(const runner *r) { return r->job.queued; }

void run_clear_signal(uv_mutex_t *mu, uv_cond_t *cond, int *flag)
{
    uv_mutex_lock(mu);
    *flag = 0;
    uv_cond_signal(cond);
    uv_mutex_unlock(mu);
}

int run_wait_cleared(uv_mutex_t *mu, uv_cond_t *cond, const int *flag, int64_t deadline_ms)
{
    uv_mutex_lock(mu);
    while (*flag) {
        int64_t left = deadline_ms - ds_mono_ms();
        if (deadline_ms >= 0 && left <= 0)
            break;
        if (deadline_ms < 0)
            uv_cond_wait(cond, mu);
        else
            uv_cond_timedwait(cond, mu, (uint64_t)left * 1000000u);
    }
    int set = *flag;
    uv_mutex_unlock(mu);
    return set ? -1 : 0;
}

int run_txnwork_wait(runner *r, int64_t deadline_ms)
{
    txn_job *j = &r->job;
    if (!j->queued || j->taken)
        return 0;
    if (run_wait_cleared(&j->mu, &j->cond, &j->running, deadline_ms))
        return -1;
    j->taken = 1; /* the after-callback, still to come, does nothing */
    job_clear(j);
    run_txn_result(r, j->op, j->call, j->error, j->offsets_sent);
    return 0;
}

void run_txnwork_fini(runner *r)
{
    txn_job *j = &r->job;
    if (!j->ready)
        return;
    if (j->queued && !j->taken) {
        /* a call still running holds the producer: it returns within its
         * timeout, and the watchdog bounds the shutdown meanwhile */
        run_wait_cleared(&j->mu, &j->cond, &j->running, -1);
        j->taken = 1;
        job_clear(j);
        if (j->error)
            rd_kafka_error_destroy(j->error);
        j->error = NULL;
    }
}

void run_txnwork_destroy(runner *r)
{
    if (!r->job.ready)
        return;
    uv_cond_destroy(&r->job.cond);
    uv_mutex_destroy(&r->job.mu);
    r->job.ready = 0;
}

void run_txn_call_inline(runner *r, txw_op op, rd_kafka_topic_partition_list_t *offsets, int timeout_ms)
{
    txn_job j = {.op = op, .producer = r->producer, .offsets = offsets, .timeout_ms = timeout_ms};
    j.cgmd = offsets ? rd_kafka_consumer_group_metadata(r->consumer) : NULL;
    txn_call(&j);
    job_clear(&j);
    run_txn_result(r, op, j.call, j.error, j.offsets_sent);
}
