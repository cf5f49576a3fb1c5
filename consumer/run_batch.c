/* run_batch.c: batches, commits and transactions of `run`.
 *
 * Owns the list of open batches (consumed offsets awaiting their outputs),
 * their order of commit, and the exactly-once state machine (txn_state):
 * begin, send offsets, commit or abort and rewind, driven by a timer, each
 * blocking call made on the worker (run_txnwork.c) once the batch's
 * outputs are delivered, or on the spot when a revocation or the shutdown
 * must finish the transaction. A batch closes once the results of its
 * mentions are applied (run_resolve.c), its changelog written a slice at a
 * time. May call run_output.c (changelog flush), run_resolve.c,
 * run_txnwork.c, run.c (end-of-run checks, shutdown, kick), librdkafka. */
#include "run_internal.h"

/* ---- batches and commits ------------------------------------------------ */

static void txn_fatal(runner *r, const char *call, rd_kafka_error_t *error);

/* The open transaction is to be aborted, from the timer (or on the spot by
 * run_txn_finish). */
static void txn_to_abort(runner *r)
{
    r->txn = TXN_ABORT;
    r->txn_since_ms = 0;
    run_txn_arm(r, 0);
}

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
    r->dr_warned = 0;
    return 0;
}

/* The open batch, or a new one (in a new transaction under exactly-once).
 * NULL when out of memory or no transaction could begin. */
batch *run_open_batch(runner *r)
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
    run_part_index_init(&b->offsets_ix);
    run_part_index_init(&b->start_ix);
    b->opened_ms = ds_mono_ms();
    if (r->tail)
        r->tail->next = b;
    else
        r->head = b;
    r->tail = b;
    return b;
}


/* Whether the open batch has anything to close for. */
static int tail_to_close(const runner *r)
{
    return r->tail && !r->tail->closed && (r->tail->nmsgs > 0 || r->tail->outputs > 0 || r->tail->closing);
}

/* The open batch's changelog is written: it is closed and commits. Its
 * changelog records went out first, so they are in its transaction, or
 * among the outputs its commit waits for. */
static void close_done(runner *r)
{
    r->tail->closing = 0;
    r->tail->closed = 1;
    run_try_commit(r);
}

void run_close_batch(runner *r)
{
    if (!tail_to_close(r) || r->tail->closing)
        return;
    if (run_resolve_pending(r)) {
        r->close_wanted = 1;
        return;
    }
    r->close_wanted = 0;
    r->tail->closing = 1;
    r->tail->flush_at = 0;
    if (run_flush_dirty(r, r->tail, ds_mono_ms() + SLICE_MS))
        run_kick(r); /* the rest from run_batch_work */
    else
        close_done(r);
}

void run_finish_batch(runner *r, int64_t deadline_ms)
{
    run_resolve_settle(r, deadline_ms);
    r->close_wanted = 0;
    if (!tail_to_close(r))
        return;
    run_flush_dirty(r, r->tail, -1);
    r->tail->closing = 0;
    r->tail->closed = 1;
}

int run_batch_closing(const runner *r) { return r->tail && r->tail->closing; }

int run_batch_work(runner *r, int64_t deadline_ms)
{
    if (run_resolve_apply(r, deadline_ms)) {
        if (!run_resolve_busy(r))
            run_kick(r); /* else the worker's callback kicks */
        return 1;
    }
    if (r->close_wanted)
        run_close_batch(r);
    if (!run_batch_closing(r))
        return 0;
    if (run_flush_dirty(r, r->tail, deadline_ms)) {
        run_kick(r);
        return 1;
    }
    close_done(r);
    return 0;
}

void run_free_dirty(batch *b)
{
    for (size_t i = 0; i < b->dirtycap; i++)
        free(b->dirty[i].key);
    free(b->dirty);
    b->dirty = NULL;
    b->ndirty = b->dirtycap = 0;
}

void run_free_batch(batch *b)
{
    rd_kafka_topic_partition_list_destroy(b->offsets);
    rd_kafka_topic_partition_list_destroy(b->start);
    run_part_index_free(&b->offsets_ix);
    run_part_index_free(&b->start_ix);
    run_free_dirty(b);
    free(b);
}

/* Records that block_key (of mentions partition p) changed at offset.
 * Returns 0, or -1 when out of memory. */
int run_mark_dirty(batch *b, const char *block_key, int32_t p, int64_t offset)
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
void *run_output_of(runner *r, batch *b)
{
    b->outputs++;
    if (r->txn != TXN_OFF)
        return NULL;
    b->pending++;
    return b;
}

/* A record could not be queued. Under exactly-once the producer refuses
 * records once the open transaction has failed (an abortable error seen by
 * librdkafka first): abort it and redo the batch. Otherwise stop before the
 * batch commits. */
void run_output_failed(runner *r)
{
    if (r->txn == TXN_OPEN && !rd_kafka_fatal_error(r->producer, NULL, 0)) {
        txn_to_abort(r);
        return;
    }
    if (r->txn != TXN_ABORT)
        r->exit_code = 1;
}

/* Commits finished batches at the head, in order. */
void run_try_commit(runner *r)
{
    if (r->txn != TXN_OFF) {
        /* the transaction moves on from its timer only; once its commit
         * has begun, the commit's own steps and results re-arm it */
        if (r->txn == TXN_OPEN && r->head && r->head->closed && !r->in_txn_call)
            run_txn_arm(r, 0);
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
        run_free_batch(b);
    }
}

int run_all_done(runner *r)
{
    if ((r->txn != TXN_OFF && r->txn != TXN_IDLE) || run_resolve_pending(r))
        return 0;
    for (batch *b = r->head; b; b = b->next)
        if (b->nmsgs > 0 || b->pending > 0)
            return 0;
    return 1;
}

/* ---- transactions (exactly-once) ------------------------------------------ */

static void on_txn_timer(uv_timer_t *t);

/* At least 1 ms: a timer restarted with timeout 0 from a timer callback
 * runs again in the same pass of libuv 1.44, before any I/O. */
void run_txn_arm(runner *r, uint64_t ms)
{
    if (r->txn_timer.loop && !uv_is_closing((uv_handle_t *)&r->txn_timer))
        uv_timer_start(&r->txn_timer, on_txn_timer, ms ? ms : 1, 0);
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
        ds_warn("run", "exactly-once: %s: %s; retrying", call, rd_kafka_error_string(error));
        r->st.txn_retries++;
        rd_kafka_error_destroy(error);
        run_txn_arm(r, TXN_RETRY_MS);
    } else if (rd_kafka_error_txn_requires_abort(error)) {
        ds_warn("run", "exactly-once: %s: %s; aborting the transaction and redoing its batch", call,
                rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
        txn_to_abort(r);
    } else {
        txn_fatal(r, call, error);
    }
}

/* After an abort: the aborted batch's inputs are read again from where the
 * batch began, and the state of its mentions partitions, which its mentions
 * changed, is rebuilt from the changelog as of that point. */
static void rewind_batch(runner *r, batch *b)
{
    run_resolve_drop(r); /* none is left by now; their resolvers go */
    rd_kafka_topic_partition_list_t *seek = rd_kafka_topic_partition_list_new(b->start->cnt + 1);
    rd_kafka_topic_partition_list_t *mine = rd_kafka_topic_partition_list_new(b->start->cnt + 1);
    for (int i = 0; i < b->start->cnt; i++) {
        rd_kafka_topic_partition_t *p = &b->start->elems[i];
        if (!rd_kafka_topic_partition_list_find(r->assigned, p->topic, p->partition))
            continue; /* revoked: its next owner starts from the committed offset */
        rd_kafka_topic_partition_list_add(seek, p->topic, p->partition)->offset = p->offset;
        run_mark_eof(r, p->topic, p->partition, 0);
        if (strcmp(p->topic, r->mtopic) == 0)
            rd_kafka_topic_partition_list_add(mine, p->topic, p->partition)->offset = p->offset;
    }
    if (seek->cnt > 0 && !r->stopping) {
        /* nothing of the mentions partitions is read before their restore */
        rd_kafka_pause_partitions(r->consumer, mine);
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
            run_restore_later(r, mine);
    }
    rd_kafka_topic_partition_list_destroy(seek);
    rd_kafka_topic_partition_list_destroy(mine);
}

static void txn_step_once(runner *r);

/* Moves the transaction on by one step, unless a call of it is on the
 * worker (its result re-arms the timer). */
static void txn_step(runner *r)
{
    /* a flush here serves delivery reports: whatever they would start
     * waits for the next timer */
    if (r->in_txn_call || run_txnwork_busy(r))
        return;
    r->in_txn_call = 1;
    txn_step_once(r);
    r->in_txn_call = 0;
}

/* Whether every output queued so far is delivered and its report served,
 * here on the loop thread, so that a call on the worker (commit and abort
 * flush) finds none to serve. The reports arrive through the loop; after
 * TXN_DRAIN_WAIT_MS since since_ms the loop also flushes for
 * TXN_FLUSH_SLICE_MS a step (records to a topic being created wait for its
 * metadata until a flush). */
static int txn_drained(runner *r, int64_t since_ms)
{
    if (rd_kafka_outq_len(r->producer) == 0)
        return 1;
    if (ds_mono_ms() - since_ms >= TXN_DRAIN_WAIT_MS)
        rd_kafka_flush(r->producer, TXN_FLUSH_SLICE_MS);
    return rd_kafka_outq_len(r->producer) == 0;
}

/* TXN_INIT: init_transactions on the worker, a slice at a time (the call
 * resumes where the last one stopped). */
static void txn_init_step(runner *r)
{
    if (run_txnwork_start(r, TXW_INIT, NULL, TXN_INIT_SLICE_MS))
        run_txn_arm(r, TXN_RETRY_MS);
}

/* The offsets of batch b still to send to the transaction (a copy), or
 * NULL when they were sent or there are none. */
static rd_kafka_topic_partition_list_t *offsets_to_send(runner *r, batch *b)
{
    return !r->offsets_sent && b->offsets->cnt > 0 ? rd_kafka_topic_partition_list_copy(b->offsets) : NULL;
}

/* TXN_OPEN/TXN_COMMIT with a closed head batch: once its outputs are
 * delivered, send its offsets and commit, on the worker. Input and restores
 * wait from here until the result. */
static void txn_commit_step(runner *r)
{
    batch *b = r->head;
    if (!b || !b->closed || r->exit_code)
        return; /* after an error the shutdown aborts instead */
    if (r->txn == TXN_OPEN) {
        r->commit_t0 = ds_metrics_clock();
        r->txn_since_ms = ds_mono_ms();
        r->txn = TXN_COMMIT;
    }
    if (!txn_drained(r, r->txn_since_ms) ||
        run_txnwork_start(r, TXW_COMMIT, offsets_to_send(r, b), r->txn_timeout_ms))
        run_txn_arm(r, TXN_RETRY_MS);
}

/* TXN_ABORT: let what is queued and in flight be delivered or fail (a
 * transaction in librdkafka's abortable state has had its queue purged
 * already), its reports served through the loop, then abort on the
 * worker. No purge here: one without librdkafka's own abort flag leaves
 * gaps in the idempotent producer's sequence numbers. */
static void txn_abort_step(runner *r)
{
    if (!r->txn_since_ms)
        r->txn_since_ms = ds_mono_ms();
    if (!txn_drained(r, r->txn_since_ms) || run_txnwork_start(r, TXW_ABORT, NULL, r->txn_timeout_ms))
        run_txn_arm(r, TXN_RETRY_MS);
}

static void txn_step_once(runner *r)
{
    switch (r->txn) {
    case TXN_INIT: txn_init_step(r); break;
    case TXN_OPEN:
    case TXN_COMMIT: txn_commit_step(r); break;
    case TXN_ABORT: txn_abort_step(r); break;
    default: break;
    }
}

/* Ready again: take input. */
static void txn_ready(runner *r)
{
    r->txn = TXN_IDLE;
    if (!r->stopping)
        run_kick(r);
}

/* init_transactions returned: retried until TXN_INIT_MS, fatal after. */
static void init_result(runner *r, rd_kafka_error_t *error)
{
    if (error && rd_kafka_error_is_retriable(error) && ds_mono_ms() < r->txn_init_deadline) {
        rd_kafka_error_destroy(error);
        r->st.txn_retries++;
        run_txn_arm(r, TXN_RETRY_MS);
        return;
    }
    if (error) {
        txn_fatal(r, "init_transactions", error);
        return;
    }
    ds_info("run", "exactly-once: transactions initialised");
    txn_ready(r);
}

/* The head batch's transaction committed: its offsets are the group's,
 * the batch is freed. */
static void txn_committed(runner *r)
{
    batch *b = r->head;
    r->st.commits++;
    r->st.transactions++;
    ds_series_observe(r->mx.commit, ds_metrics_clock() - r->commit_t0);
    r->abort_streak = 0;
    r->head = r->tail = NULL;
    if (b)
        run_free_batch(b);
    r->offsets_sent = 0;
    r->txn_since_ms = 0;
    txn_ready(r);
}

/* abort_transaction returned: on success the batch's inputs are read again
 * (too many aborts in a row stop the run); a timeout is retried. */
static void abort_result(runner *r, rd_kafka_error_t *error)
{
    if (error) {
        if (rd_kafka_error_is_retriable(error)) {
            rd_kafka_error_destroy(error);
            r->st.txn_retries++;
            run_txn_arm(r, TXN_RETRY_MS);
        } else {
            txn_fatal(r, "abort_transaction", error);
        }
        return;
    }
    r->txn_since_ms = 0;
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
    if (b) {
        rewind_batch(r, b);
        run_free_batch(b);
    }
    txn_ready(r);
}

void run_txn_result(runner *r, txw_op op, const char *call, rd_kafka_error_t *error, int offsets_sent)
{
    switch (op) {
    case TXW_INIT: init_result(r, error); break;
    case TXW_COMMIT:
        if (offsets_sent)
            r->offsets_sent = 1;
        if (error)
            txn_error(r, call, error);
        else
            txn_committed(r);
        break;
    case TXW_ABORT: abort_result(r, error); break;
    }
    if (r->txn_finishing)
        return; /* run_txn_finish goes on */
    if (r->exit_code)
        run_begin_shutdown(r, "fatal error");
    else
        run_check_exit_at_end(r);
}

void run_txn_delivered(runner *r)
{
    if ((r->txn == TXN_COMMIT || r->txn == TXN_ABORT) && !r->in_txn_call && !run_txnwork_busy(r) &&
        rd_kafka_outq_len(r->producer) == 0)
        run_txn_arm(r, 0);
}

static void on_txn_timer(uv_timer_t *t)
{
    runner *r = t->data;
    txn_step(r);
    if (r->exit_code)
        run_begin_shutdown(r, "fatal error");
    else
        run_check_exit_at_end(r);
}

/* One blocking step of run_txn_finish on the loop thread, with timeout_ms:
 * commit (the commit's flush serves the delivery reports here) or abort. */
static void txn_step_inline(runner *r, int timeout_ms)
{
    r->in_txn_call = 1;
    if (r->txn == TXN_OPEN || r->txn == TXN_COMMIT) {
        if (r->txn == TXN_OPEN)
            r->commit_t0 = ds_metrics_clock();
        r->txn = TXN_COMMIT;
        run_txn_call_inline(r, TXW_COMMIT, offsets_to_send(r, r->head), timeout_ms);
    } else if (r->txn == TXN_ABORT) {
        run_txn_call_inline(r, TXW_ABORT, NULL, timeout_ms);
    }
    r->in_txn_call = 0;
}

/* Finishes the open transaction on the spot (revocation, shutdown): waits
 * for a call on the worker, then commits, or aborts when that fails or
 * takes longer than budget_ms. Blocks the loop, for at most about twice
 * budget_ms. */
void run_txn_finish(runner *r, int budget_ms)
{
    if (r->txn == TXN_OFF)
        return;
    int64_t t0 = ds_mono_ms();
    r->txn_finishing = 1;
    /* a call on the worker is waited for, not aborted under: a commit the
     * coordinator is slow to answer still commits */
    if (run_txnwork_wait(r, t0 + 2 * (int64_t)budget_ms)) {
        ds_error("run", "exactly-once: a transactional call did not return within %d ms; its batch stays "
                 "uncommitted", 2 * budget_ms);
        r->txn_finishing = 0;
        return;
    }
    run_resolve_settle(r, t0 + budget_ms);
    r->close_wanted = 0;
    if (r->tail && !r->tail->closed && (r->txn == TXN_OPEN || r->txn == TXN_IDLE)) {
        if (r->exit_code == 0 && r->txn == TXN_OPEN)
            run_flush_dirty(r, r->tail, -1);
        r->tail->closing = 0;
        r->tail->closed = 1; /* even if empty: its transaction is open */
    }
    if (r->exit_code && (r->txn == TXN_OPEN || r->txn == TXN_COMMIT))
        txn_to_abort(r); /* never commit the batch of a failed run */
    while (r->head && (r->txn == TXN_OPEN || r->txn == TXN_COMMIT || r->txn == TXN_ABORT)) {
        int64_t spent = ds_mono_ms() - t0;
        if (spent > 2 * (int64_t)budget_ms) {
            ds_error("run", "exactly-once: transaction not finished after %lld ms; its batch stays uncommitted",
                     (long long)spent);
            break;
        }
        if (spent > budget_ms && r->txn == TXN_COMMIT) {
            ds_warn("run", "exactly-once: commit not done after %d ms: aborting", budget_ms);
            txn_to_abort(r);
        }
        int64_t left = (r->txn == TXN_ABORT ? 2 * (int64_t)budget_ms : budget_ms) - spent;
        txn_state before = r->txn;
        txn_step_inline(r, left > 1 ? (int)left : 1);
        if (r->txn == before && r->head)
            rd_kafka_poll(r->producer, TXN_RETRY_MS); /* retry after a pause, serving delivery reports */
    }
    r->txn_finishing = 0;
}
