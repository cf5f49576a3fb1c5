/* run_assign.c: the rebalance callback of `run` and the restore: on
 * assignment each mentions partition is paused until a resolver is restored
 * for it from its partition of <app>-state, from a timer that starts the
 * restore's work on a worker thread (run_restorework.c) and retries while
 * the group's committed offsets or the changelog are not stable; the loop
 * only installs what the worker restored, publishes its deals and resumes
 * the partition. On revocation the open batch is finished and the
 * resolvers dropped. May call run_batch.c, run_output.c, run_restorework.c,
 * run.c (kick, shutdown), consumer/state.c, librdkafka. */
#include "run_internal.h"

/* ---- restore, driven by restore_timer --------------------------------------
 *
 * r->unrestored lists the mentions partitions whose state is not restored
 * yet, paused meanwhile; the offset field is the committed offset to restore
 * as of, or RD_KAFKA_OFFSET_INVALID until it is known. The timer starts one
 * job on the worker for the partitions queued then: it looks up the
 * committed offsets not known yet and reads each partition's changelog
 * into a new resolver, while the loop goes on serving. The committed
 * offsets of a group are not stable while a transaction holding offsets
 * for it is open (a member that was killed holds one until its
 * transaction.timeout.ms runs out), and the changelog is not readable to
 * its end while a transaction on it is open: both are retried with backoff,
 * and /readyz answers 503 meanwhile. */

#define RESTORE_BACKOFF_MIN_MS 100
#define RESTORE_BACKOFF_MAX_MS 2000
#define RESTORE_WARN_EVERY_MS 10000

static void on_restore_timer(uv_timer_t *t);

static void restore_arm(runner *r, uint64_t ms)
{
    if (r->restore_timer.loop && !uv_is_closing((uv_handle_t *)&r->restore_timer) && !r->stopping)
        uv_timer_start(&r->restore_timer, on_restore_timer, ms ? ms : 1, 0); /* see run_txn_arm */
}

/* Pauses the mentions partitions of `mine` (their offset fields: the
 * committed offset when known, else RD_KAFKA_OFFSET_INVALID), drops their
 * state (and the result of a restore of theirs under way) and queues their
 * restore. */
void run_restore_later(runner *r, rd_kafka_topic_partition_list_t *mine)
{
    if (mine->cnt == 0)
        return;
    rd_kafka_pause_partitions(r->consumer, mine);
    for (int i = 0; i < mine->cnt; i++) {
        int32_t p = mine->elems[i].partition;
        if (p >= 0 && p < r->nparts) {
            ds_resolver_destroy(r->rs[p]);
            r->rs[p] = NULL;
        }
        run_restorework_forget(r, p);
        rd_kafka_topic_partition_t *q =
            rd_kafka_topic_partition_list_find(r->unrestored, mine->elems[i].topic, p);
        if (!q)
            q = rd_kafka_topic_partition_list_add(r->unrestored, mine->elems[i].topic, p);
        q->offset = mine->elems[i].offset;
    }
    r->restoring = 1;
    r->restore_backoff_ms = 0;
    restore_arm(r, 0);
}

/* Logs why the restore waits: the first time at info, then a warning every
 * RESTORE_WARN_EVERY_MS. */
static void restore_waiting(runner *r, const char *why)
{
    int64_t now = ds_mono_ms();
    if (!r->restore_wait_since) {
        r->restore_wait_since = now;
        r->restore_logged_ms = now;
        ds_info("run", "restore waits: %s; retrying with backoff (a transaction a stopped member left open "
                "ends after its transaction.timeout.ms)", why);
    } else if (now - r->restore_logged_ms >= RESTORE_WARN_EVERY_MS) {
        r->restore_logged_ms = now;
        ds_warn("run", "restore still waiting after %lld ms: %s", (long long)(now - r->restore_wait_since), why);
    }
    r->st.restore_waits++;
    r->restore_backoff_ms = r->restore_backoff_ms ? 2 * r->restore_backoff_ms : RESTORE_BACKOFF_MIN_MS;
    if (r->restore_backoff_ms > RESTORE_BACKOFF_MAX_MS)
        r->restore_backoff_ms = RESTORE_BACKOFF_MAX_MS;
    restore_arm(r, (uint64_t)r->restore_backoff_ms);
}

/* Starts the restore of what is queued on the worker, or applies the
 * results of one that waits for the transaction. */
static void on_restore_timer(uv_timer_t *t)
{
    runner *r = t->data;
    if (r->stopping || r->exit_code || run_restorework_busy(r))
        return; /* a job under way applies its results, or arms this timer, at its end */
    if (r->rjob.done) {
        run_restore_done(r);
        return;
    }
    if (r->unrestored->cnt == 0)
        return;
    char err[512];
    if (run_restorework_start(r, err, sizeof err)) {
        ds_error("run", "restoring %s: %s", r->stopic, err);
        r->exit_code = 1;
        run_begin_shutdown(r, "fatal error");
    }
}

/* The changelog chunk size for this producer: a quarter of its
 * message.max.bytes, within 4 KiB .. 64 KiB, so that a chunk plus its
 * largest mention stays well under the limit and a rewritten chunk costs
 * little. */
size_t run_state_chunk_bytes(const runner *r)
{
    size_t q = ds_dlq_limit(r->producer) / 4;
    return q < 4096 ? 4096 : q > DS_RESOLVER_CHUNK_BYTES ? DS_RESOLVER_CHUNK_BYTES : q;
}

/* The restore of mentions partition p as of committed published deals (the
 * reference table's rows, whose blocks may have no changelog record yet)
 * into r->emit_batch: the changelog records of the rows' blocks go out
 * with it, so that the next restore finds their revisions instead of
 * publishing them again; and should the batch's transaction abort, p is
 * rewound and restored again, publishing them anew. Returns 0 or -1 (out
 * of memory). */
static int keep_restored_output(runner *r, int32_t p, int64_t committed)
{
    batch *b = r->emit_batch;
    for (size_t i = 0; r->pl.cat && i < r->pl.cat->nrefs; i++) {
        const ds_refdeal *row = &r->pl.cat->refs[i];
        char key[64];
        snprintf(key, sizeof key, "%s|%s|%s", row->buyer, row->seller, row->family);
        if (ds_kafka_owns_block(key, &r->ref_owners[p]) &&
            run_mark_dirty(b, key, p, committed > 0 ? committed - 1 : -1) != 0)
            return -1;
    }
    if (!run_part_find(&b->start_ix, b->start, RUN_T_MENTIONS, r->mtopic, p))
        run_part_add(&b->start_ix, b->start, RUN_T_MENTIONS, r->mtopic, p)->offset =
            committed >= 0 ? committed : RD_KAFKA_OFFSET_BEGINNING;
    return 0;
}

/* Publishes the deals a restore of partition p lists (normally none) into
 * the open transaction, or the batch of at-least-once. Returns 0;
 * DS_RESTORE_UNSTABLE with why when the transaction refused them (it is
 * aborted; restore again); -1 after marking the run failed. */
static int publish_restored(runner *r, int32_t p, restore_part *rp, char *why, size_t whylen)
{
    ds_fail fail;
    r->emit_batch = NULL; /* opened by the first record to republish, if any */
    r->emit_failed = 0;
    uint64_t truncated = r->pl.canon_truncated;
    int rc = rp->publish.n ? ds_pipeline_emit_changes(&r->pl, &rp->publish, run_emit, r, &fail) : 0;
    run_note_truncated(r, r->pl.canon_truncated - truncated);
    if (rc < 0) {
        if (r->emit_failed) {
            /* the deals a restore republishes (the reference table's rows
             * among them) met a failed transaction: not the state's fault;
             * abort it and restore again */
            run_output_failed(r);
            snprintf(why, whylen, "publishing the restored deals: %.400s", fail.msg);
            return r->exit_code ? -1 : DS_RESTORE_UNSTABLE;
        }
        ds_error("run", "restoring %s [%" PRId32 "]: %s", r->stopic, p, fail.msg);
        r->exit_code = 1;
        return -1;
    }
    if (r->emit_batch && keep_restored_output(r, p, rp->committed)) {
        ds_error("run", "out of memory");
        r->exit_code = 1;
        return -1;
    }
    return 0;
}

/* Installs what the worker restored of one partition: its resolver becomes
 * the partition's state and its deals are published. Returns 0;
 * DS_RESTORE_UNSTABLE with the reason in why (the partition keeps no
 * state, retry later); -1 after marking the run failed. */
static int install_restored(runner *r, restore_part *rp, char *why, size_t whylen)
{
    int32_t p = rp->partition;
    if (rp->rc == DS_RESTORE_UNSTABLE) {
        snprintf(why, whylen, "%s", rp->err);
        return DS_RESTORE_UNSTABLE;
    }
    if (rp->rc) {
        ds_error("run", "restoring %s [%" PRId32 "]: %s", r->stopic, p, rp->err[0] ? rp->err : "out of memory");
        r->exit_code = 1;
        return -1;
    }
    ds_resolver_destroy(r->rs[p]);
    ds_resolver_set_cancel(rp->rs, NULL, NULL); /* rp's stale flag is the restore's, not the runner's */
    r->rs[p] = rp->rs;
    rp->rs = NULL; /* now owned by the runner */
    r->consumed_next[p] = rp->committed;
    int rc = publish_restored(r, p, rp, why, whylen);
    if (rc) {
        ds_resolver_destroy(r->rs[p]);
        r->rs[p] = NULL;
        return rc;
    }
    const ds_restore_stats *st = &rp->st;
    r->st.restored_blocks += st->blocks;
    r->st.restored_records += st->records;
    r->st.restore_ms += (uint64_t)st->ms;
    ds_series_observe(r->mx.restore, (double)st->ms / 1000.0);
    ds_info("state",
            "restored %s [%" PRId32 "] in %" PRId64 " ms: %" PRIu64 " record(s) read, %" PRIu64
            " at or past committed offset %" PRId64 " of %s, %" PRIu64 " block(s), %" PRIu64 " mention(s)%s",
            r->stopic, p, st->ms, st->records, st->skipped, rp->committed, r->mtopic, st->blocks, st->mentions,
            st->fallback ? " (some blocks only had records past the committed offset: republished)" : "");
    return 0;
}

/* Whether the transaction can take the deals a restore publishes: not
 * one whose batch is closed, whose commit or abort is under way. */
static int txn_takes_outputs(const runner *r)
{
    return r->txn == TXN_OFF || ((r->txn == TXN_IDLE || r->txn == TXN_OPEN) && !(r->head && r->head->closed));
}

/* Whether the job's live results have deals to publish. */
static int job_publishes(restore_job *j)
{
    for (int i = 0; i < j->nparts; i++)
        if (!atomic_load(&j->parts[i].stale) && j->parts[i].rc == 0 && j->parts[i].publish.n)
            return 1;
    return 0;
}

/* Installs every live result of the job, lists the partitions restored in
 * done, and notes for the others still queued the committed offset the job
 * found. Sets why when a partition was not stable. */
static void install_job(runner *r, restore_job *j, rd_kafka_topic_partition_list_t *done, char *why,
                        size_t whylen)
{
    for (int i = 0; i < j->nparts && r->exit_code == 0; i++) {
        restore_part *rp = &j->parts[i];
        if (atomic_load(&rp->stale))
            continue; /* revoked or queued again: its next restore is queued */
        rd_kafka_topic_partition_t *q = rd_kafka_topic_partition_list_find(r->unrestored, r->mtopic, rp->partition);
        if (!q)
            continue;
        if (install_restored(r, rp, why, whylen) == 0)
            rd_kafka_topic_partition_list_add(done, r->mtopic, rp->partition);
        else if (q->offset == RD_KAFKA_OFFSET_INVALID)
            q->offset = rp->committed; /* found by the look-up: stable, and nothing consumed since */
    }
}

/* Ends a restore whose every queued partition is restored. */
static void restore_finished(runner *r)
{
    if (r->restore_wait_since)
        ds_info("run", "restore done after waiting %lld ms", (long long)(ds_mono_ms() - r->restore_wait_since));
    r->restore_wait_since = 0;
    r->restore_backoff_ms = 0;
    r->restoring = 0;
    if (!r->stopping)
        run_kick(r);
}

void run_restore_done(runner *r)
{
    restore_job *j = &r->rjob;
    if (r->stopping || r->exit_code) {
        run_restorework_clear(r);
        return;
    }
    if (j->lookup_err) {
        char why[512];
        snprintf(why, sizeof why, "committed offsets of %s: %s", r->mtopic, rd_kafka_err2str(j->lookup_err));
        run_restorework_clear(r);
        restore_waiting(r, why);
        return;
    }
    /* installing touches the resolvers and the pipeline, which the worker
     * resolving mentions holds meanwhile; and the deals a restore publishes
     * need a transaction that can take them: the results wait */
    if (run_resolve_pending(r) || run_batch_closing(r) || (job_publishes(j) && !txn_takes_outputs(r))) {
        restore_arm(r, TXN_RETRY_MS);
        return;
    }
    if (j->inputs) {
        run_check_committed(r, j->inputs); /* once: they leave r->unchecked */
        rd_kafka_topic_partition_list_destroy(j->inputs);
        j->inputs = NULL;
    }
    rd_kafka_topic_partition_list_t *done = rd_kafka_topic_partition_list_new(j->nparts ? j->nparts : 1);
    char why[512] = "";
    install_job(r, j, done, why, sizeof why);
    run_restorework_clear(r);
    for (int i = 0; i < done->cnt; i++)
        rd_kafka_topic_partition_list_del(r->unrestored, r->mtopic, done->elems[i].partition);
    if (done->cnt && !r->paused)
        rd_kafka_resume_partitions(r->consumer, done); /* else the end of the backpressure pause does */
    rd_kafka_topic_partition_list_destroy(done);
    if (r->exit_code) {
        run_begin_shutdown(r, "fatal error");
        return;
    }
    if (why[0])
        restore_waiting(r, why);
    else if (r->unrestored->cnt)
        restore_arm(r, 0); /* queued while the job ran */
    else
        restore_finished(r);
}

/* The mentions partitions among parts, each to be restored once its
 * committed offset is known. */
static void restore_assigned(runner *r, rd_kafka_topic_partition_list_t *parts)
{
    rd_kafka_topic_partition_list_t *mine = rd_kafka_topic_partition_list_new(parts->cnt);
    for (int i = 0; i < parts->cnt; i++)
        if (strcmp(parts->elems[i].topic, r->mtopic) == 0)
            rd_kafka_topic_partition_list_add(mine, r->mtopic, parts->elems[i].partition)->offset =
                RD_KAFKA_OFFSET_INVALID;
    run_restore_later(r, mine);
    rd_kafka_topic_partition_list_destroy(mine);
}

void run_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque)
{
    runner *r = opaque;
    int coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    r->assign_gen++; /* an answer of -e's look-up from before no longer holds */
    r->others_done = 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        ds_info("run", "assigned %d partition(s)", parts->cnt);
        ds_series_add(r->mx.assigns, 1);
        for (int i = 0; i < parts->cnt; i++) {
            run_part_add(&r->assigned_ix, r->assigned, run_topic_kind(r, parts->elems[i].topic), parts->elems[i].topic,
                         parts->elems[i].partition)->offset = 0;
            if (strcmp(parts->elems[i].topic, r->mtopic) != 0 &&
                !rd_kafka_topic_partition_list_find(r->unchecked, parts->elems[i].topic, parts->elems[i].partition))
                rd_kafka_topic_partition_list_add(r->unchecked, parts->elems[i].topic, parts->elems[i].partition)
                    ->offset = RD_KAFKA_OFFSET_INVALID;
        }
        if (coop)
            rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
        else
            rd_kafka_assign(rk, parts);
        /* paused until restored, from the restore timer (never here: the
         * committed offsets may not be stable for a while) */
        restore_assigned(r, parts);
        r->assigned_once = 1;
        r->rebalancing = 0;
        return;
    }
    /* revoked: finish what was consumed from these partitions first */
    ds_info("run", "revoking %d partition(s): flushing and committing", parts->cnt);
    ds_series_add(r->mx.revokes, 1);
    if (!coop)
        r->rebalancing = 1; /* eager: everything goes, and comes back with the next assignment */
    for (int i = 0; i < parts->cnt; i++) {
        run_part_del(r, &r->assigned_ix, r->assigned, parts->elems[i].topic, parts->elems[i].partition);
        rd_kafka_topic_partition_list_del(r->unrestored, parts->elems[i].topic, parts->elems[i].partition);
        /* whoever gets it next starts from the committed offset */
        run_part_del(r, &r->next_in_ix, r->next_in, parts->elems[i].topic, parts->elems[i].partition);
        rd_kafka_topic_partition_list_del(r->unchecked, parts->elems[i].topic, parts->elems[i].partition);
        if (strcmp(parts->elems[i].topic, r->mtopic) == 0)
            run_restorework_forget(r, parts->elems[i].partition); /* its restore's result is dropped */
        if (r->held)
            rd_kafka_topic_partition_list_del(r->held, parts->elems[i].topic, parts->elems[i].partition);
    }
    if (r->unrestored->cnt == 0)
        r->restoring = 0;
    if (r->txn != TXN_OFF) {
        /* commit or abort the open transaction; an abort rewinds only the
         * partitions we keep */
        run_txn_finish(r, r->stopping ? (int)(run_shutdown_ms(r) / 10) : SHUTDOWN_FLUSH_MS);
    } else {
        run_finish_batch(r, -1);
        r->sync_commit = 1;
        rd_kafka_flush(r->producer, r->stopping ? (int)(run_shutdown_ms(r) / 10) : SHUTDOWN_FLUSH_MS);
        run_try_commit(r);
        r->sync_commit = 0;
    }
    for (int i = 0; i < parts->cnt; i++) {
        int32_t p = parts->elems[i].partition;
        if (strcmp(parts->elems[i].topic, r->mtopic) == 0 && p >= 0 && p < r->nparts && r->rs[p]) {
            /* its state now belongs to whoever gets the partition */
            ds_resolver_destroy(r->rs[p]);
            r->rs[p] = NULL;
        }
    }
    if (coop)
        rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
    else
        rd_kafka_assign(rk, NULL);
}
