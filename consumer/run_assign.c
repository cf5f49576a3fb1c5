/* run_assign.c: the rebalance callback of `run` and the restore: on
 * assignment each mentions partition is paused until a resolver is restored
 * for it from its partition of <app>-state (consumer/state.c), from a timer
 * that retries while the group's committed offsets or the changelog are not
 * stable; on revocation the open batch is finished and the resolvers
 * dropped. May call run_batch.c, run.c (kick, shutdown), consumer/state.c,
 * librdkafka. */
#include "run_internal.h"

/* ---- restore, driven by restore_timer --------------------------------------
 *
 * r->unrestored lists the mentions partitions whose state is not restored
 * yet, paused meanwhile; the offset field is the committed offset to restore
 * as of, or RD_KAFKA_OFFSET_INVALID until it is known. The committed offsets
 * of a group are not stable while a transaction holding offsets for it is
 * open (a member that was killed holds one until its transaction.timeout.ms
 * runs out), and the changelog is not readable to its end while a
 * transaction on it is open: both are retried with backoff instead of
 * blocking the loop, and /readyz answers 503 meanwhile. */

#define RESTORE_LOOKUP_MS 1000 /* one look-up of committed offsets */
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
 * state and queues their restore. */
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

/* Looks up the committed offsets of the queued partitions that have none
 * yet. Returns 0, or -1 after scheduling a retry. */
static int restore_lookup(runner *r)
{
    rd_kafka_topic_partition_list_t *q = rd_kafka_topic_partition_list_new(r->unrestored->cnt);
    for (int i = 0; i < r->unrestored->cnt; i++)
        if (r->unrestored->elems[i].offset == RD_KAFKA_OFFSET_INVALID)
            rd_kafka_topic_partition_list_add(q, r->mtopic, r->unrestored->elems[i].partition);
    rd_kafka_resp_err_t kerr = q->cnt ? rd_kafka_committed(r->consumer, q, RESTORE_LOOKUP_MS) : 0;
    for (int i = 0; !kerr && i < q->cnt; i++)
        if (q->elems[i].err)
            kerr = q->elems[i].err;
    if (kerr) {
        char why[512];
        snprintf(why, sizeof why, "committed offsets of %s: %s", r->mtopic, rd_kafka_err2str(kerr));
        rd_kafka_topic_partition_list_destroy(q);
        restore_waiting(r, why);
        return -1;
    }
    for (int i = 0; i < q->cnt; i++)
        rd_kafka_topic_partition_list_find(r->unrestored, r->mtopic, q->elems[i].partition)->offset =
            q->elems[i].offset >= 0 ? q->elems[i].offset : 0;
    rd_kafka_topic_partition_list_destroy(q);
    return 0;
}

/* Restores what is queued: partitions restored are resumed, those whose
 * changelog is not stable yet stay queued. */
static void on_restore_timer(uv_timer_t *t)
{
    runner *r = t->data;
    if (r->stopping || r->exit_code || r->unrestored->cnt == 0)
        return;
    /* a restore may republish deals: it needs a transaction that can take
     * outputs (not one whose batch is closed, whose commit is under way) */
    if (r->txn != TXN_OFF && ((r->txn != TXN_IDLE && r->txn != TXN_OPEN) || (r->head && r->head->closed))) {
        restore_arm(r, TXN_RETRY_MS);
        return;
    }
    /* the worker resolving mentions holds the pipeline */
    if (run_resolve_pending(r) || run_batch_closing(r)) {
        restore_arm(r, TXN_RETRY_MS);
        return;
    }
    if (restore_lookup(r))
        return;
    rd_kafka_topic_partition_list_t *done = rd_kafka_topic_partition_list_new(r->unrestored->cnt);
    char why[512] = "";
    for (int i = 0; i < r->unrestored->cnt && r->exit_code == 0; i++) {
        int rc = run_restore_partition(r, r->unrestored->elems[i].partition, r->unrestored->elems[i].offset, why,
                                       sizeof why);
        if (rc == 0)
            rd_kafka_topic_partition_list_add(done, r->mtopic, r->unrestored->elems[i].partition);
    }
    for (int i = 0; i < done->cnt; i++)
        rd_kafka_topic_partition_list_del(r->unrestored, r->mtopic, done->elems[i].partition);
    if (done->cnt && !r->paused)
        rd_kafka_resume_partitions(r->consumer, done); /* else the end of the backpressure pause does */
    rd_kafka_topic_partition_list_destroy(done);
    if (r->exit_code) {
        run_begin_shutdown(r, "fatal error");
        return;
    }
    if (r->unrestored->cnt) {
        restore_waiting(r, why);
        return;
    }
    if (r->restore_wait_since)
        ds_info("run", "restore done after waiting %lld ms", (long long)(ds_mono_ms() - r->restore_wait_since));
    r->restore_wait_since = 0;
    r->restore_backoff_ms = 0;
    r->restoring = 0;
    if (!r->stopping)
        run_kick(r);
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

/* Drops and rebuilds the state of mentions partition p from its changelog
 * partition as of committed (changelog records of inputs at or past it are
 * not applied). Returns 0; DS_RESTORE_UNSTABLE with the reason in why (the
 * partition keeps no state, retry later); -1 after marking the run failed. */
int run_restore_partition(runner *r, int32_t p, int64_t committed, char *why, size_t whylen)
{
    char err[512] = "";
    if (p < 0 || p >= r->nparts) {
        ds_error("run", "%s [%" PRId32 "]: partition beyond the %" PRId32 " seen at start", r->mtopic, p, r->nparts);
        r->exit_code = 1;
        return -1;
    }
    ds_resolver_destroy(r->rs[p]);
    r->rs[p] = ds_resolver_new(r->pl.cat);
    if (!r->rs[p]) {
        ds_error("run", "out of memory");
        r->exit_code = 1;
        return -1;
    }
    /* state is split by block key over partitions: a link to another
     * block's deal would depend on which blocks share an instance */
    ds_resolver_set_cross_block(r->rs[p], 0);
    ds_resolver_set_retention(r->rs[p], r->cfg->dedup_retention_days);
    ds_resolver_set_max_mentions_per_block(r->rs[p], (size_t)r->cfg->state_max_mentions_per_block);
    ds_resolver_set_chunk_bytes(r->rs[p], run_state_chunk_bytes(r));
    r->consumed_next[p] = committed;
    if (committed > r->committed_seen[p])
        r->committed_seen[p] = committed;
    rd_kafka_conf_t *conf = ds_kafka_conf(r->cfg, err, sizeof err);
    ds_restore_stats rst = {0};
    r->emit_batch = NULL; /* opened by the first record to republish, if any */
    int rc = conf ? ds_state_restore(r->rs[p], &r->pl, conf, r->stopic, p, committed, RESTORE_TIMEOUT_MS, run_emit,
                                     r, &rst, err, sizeof err)
                  : -1;
    conf = NULL; /* consumed by the restore */
    if (rc) {
        ds_resolver_destroy(r->rs[p]);
        r->rs[p] = NULL;
        if (rc == DS_RESTORE_UNSTABLE) {
            snprintf(why, whylen, "%s", err);
            return rc;
        }
        ds_error("run", "restoring %s [%" PRId32 "]: %s", r->stopic, p, err[0] ? err : "out of memory");
        r->exit_code = 1;
        return -1;
    }
    r->st.restored_blocks += rst.blocks;
    r->st.restored_records += rst.records;
    r->st.restore_ms += (uint64_t)rst.ms;
    ds_series_observe(r->mx.restore, (double)rst.ms / 1000.0);
    ds_info("state",
            "restored %s [%" PRId32 "] in %" PRId64 " ms: %" PRIu64 " record(s) read, %" PRIu64
            " at or past committed offset %" PRId64 " of %s, %" PRIu64 " block(s), %" PRIu64 " mention(s)%s",
            r->stopic, p, rst.ms, rst.records, rst.skipped, committed, r->mtopic, rst.blocks, rst.mentions,
            rst.fallback ? " (some blocks only had records past the committed offset: republished)" : "");
    return 0;
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
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        ds_info("run", "assigned %d partition(s)", parts->cnt);
        ds_series_add(r->mx.assigns, 1);
        for (int i = 0; i < parts->cnt; i++)
            rd_kafka_topic_partition_list_add(r->assigned, parts->elems[i].topic, parts->elems[i].partition)->offset = 0;
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
        rd_kafka_topic_partition_list_del(r->assigned, parts->elems[i].topic, parts->elems[i].partition);
        rd_kafka_topic_partition_list_del(r->unrestored, parts->elems[i].topic, parts->elems[i].partition);
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
            if (r->consumed_next[p] > r->committed_seen[p])
                r->committed_seen[p] = r->consumed_next[p];
        }
    }
    if (coop)
        rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
    else
        rd_kafka_assign(rk, NULL);
}
