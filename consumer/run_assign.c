/* run_assign.c: the rebalance callback of `run`: on assignment each
 * mentions partition gets a resolver restored from its partition of
 * <app>-state (consumer/state.c) before it is fetched; on revocation the
 * open batch is finished and the resolvers dropped. May call run_batch.c,
 * consumer/state.c, librdkafka. */
#include "run_internal.h"

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
        run_restore_partitions(r, mine);
    }
    rd_kafka_topic_partition_list_destroy(mine);
}

/* Drops and rebuilds the state of the mentions partitions of `mine` from
 * their changelog partitions, each as of its offset field (the committed
 * offset: changelog records of inputs at or past it are not applied). */
void run_restore_partitions(runner *r, rd_kafka_topic_partition_list_t *mine)
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
            ds_state_restore(r->rs[p], &r->pl, conf, r->stopic, p, committed, RESTORE_TIMEOUT_MS, run_emit, r, &rst,
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
        run_txn_finish(r, r->stopping ? (int)(run_shutdown_ms(r) / 10) : SHUTDOWN_FLUSH_MS);
    } else {
        run_close_batch(r);
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
