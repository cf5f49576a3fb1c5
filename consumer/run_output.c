/* run_output.c: what `run` writes: delivery reports, mentions to
 * <app>-mentions, canonical records, changelog records to <app>-state, and
 * dead letters, each counted against the batch that caused it. May call
 * run_batch.c (the open batch, failure), producer/publish.c, core/. */
#include "run_internal.h"

/* ---- producing ------------------------------------------------------------ */

void run_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
    (void)rk;
    runner *r = opaque;
    batch *b = rkm->_private;
    if (b && b->pending > 0)
        b->pending--;
    if (rkm->err && r->txn != TXN_OFF) {
        /* the transaction fails to commit and is aborted: the batch is
         * redone. Logged once per transaction: a purge fails every record
         * queued. */
        r->st.delivery_failures++;
        if (!r->dr_warned && r->txn != TXN_ABORT)
            ds_warn("run", "delivery to %s [%" PRId32 "] failed: %s; the transaction will be aborted",
                    rd_kafka_topic_name(rkm->rkt), rkm->partition, rd_kafka_err2str(rkm->err));
        r->dr_warned = 1;
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
    /* at-least-once commits without blocking; a transaction moves on from
     * its timer, never from here (its calls serve delivery reports) */
    run_try_commit(r);
}

int run_emit(void *opaque, const char *key, const void *val, size_t len)
{
    runner *r = opaque;
    batch *b = r->emit_batch ? r->emit_batch : (r->emit_batch = run_open_batch(r));
    if (!b)
        return -1;
    int rc = ds_publish_rkt(r->producer, r->rkt_canonical, RD_KAFKA_PARTITION_UA, key, strlen(key), val, len,
                            run_output_of(r, b));
    if (rc)
        r->emit_failed = 1;
    return rc;
}

void run_dead_letter(runner *r, batch *b, const rd_kafka_message_t *rkm, const ds_fail *fail)
{
    const char *topic = rd_kafka_topic_name(rkm->rkt);
    ds_dlq_reason why = {fail->stage, fail->cls, fail->msg};
    if (ds_publish_dead_letter(r->producer, rkm, &why, run_output_of(r, b)) == 0) {
        r->st.dead_letters++;
        ds_series_add(ds_metric_series1(r->mx.dead, topic), 1);
    } else {
        run_output_failed(r); /* cannot park it: do not commit past it */
    }
}

void run_note_truncated(runner *r, uint64_t n)
{
    for (; n > 0; n--) {
        uint64_t k = ++r->st.truncated;
        if ((k & (k - 1)) == 0) /* without a flood */
            ds_log(DS_LOG_WARN, "run",
                   "%s: --canonical-max-sources is %ld, the producer takes %zu bytes a record (%" PRIu64
                   " records truncated so far)",
                   r->pl.canon_trunc_note, r->cfg->canonical_max_sources, r->pl.canon_max_bytes, k);
    }
}

/* Where a block's changelog records of one batch go: its state partition,
 * counted against the batch. */
typedef struct state_out {
    runner *r;
    batch *b;
    int32_t partition;
} state_out;

static int put_state(void *opaque, const char *key, const void *val, size_t len, rd_kafka_headers_t *hdrs)
{
    state_out *o = opaque;
    if (!hdrs) /* a chunk's record, through the cached topic handle */
        return ds_publish_rkt(o->r->producer, o->r->rkt_state, o->partition, key, strlen(key), val, len,
                              run_output_of(o->r, o->b));
    return ds_publish_partition(o->r->producer, o->r->stopic, o->partition, key, strlen(key), val, len, hdrs,
                                run_output_of(o->r, o->b));
}

/* Writes the changelog of every block the batch changed to its partition
 * of <app>-state, with the offset of the block's last mention in the batch
 * as input_offset: per block and batch, the records of the chunks that
 * changed and tombstones of the chunks that emptied (state.h), so that no
 * record outgrows a chunk and the cost follows what changed, not the
 * block's size. A chunk at a time, until the deadline. */
int run_flush_dirty(runner *r, batch *b, int64_t deadline_ms)
{
    for (; b->flush_at < b->dirtycap && r->exit_code == 0; b->flush_at++) {
        const dirty_block *d = &b->dirty[b->flush_at];
        if (!d->key)
            continue;
        ds_resolver *rs = d->partition >= 0 && d->partition < r->nparts ? r->rs[d->partition] : NULL;
        state_out o = {r, b, d->partition};
        ds_state_target to = {r->mtopic, d->partition, d->offset, ds_dlq_limit(r->producer), &r->obuf, put_state, &o};
        char err[512] = "no resolver for its partition";
        int rc = rs ? 1 : -1;
        while (rc == 1) {
            if (deadline_ms >= 0 && ds_mono_ms() >= deadline_ms)
                return 1; /* b->fw says where the block stands */
            rc = ds_state_write_step(r->pl.codec, rs, d->key, &to, &b->fw, deadline_ms >= 0 ? 1 : 0, err, sizeof err);
        }
        b->fw = (ds_state_writer){0};
        if (rc < 0) {
            /* without its changelog record the state cannot be restored: stop
             * (or abort) before the batch commits */
            if (r->txn != TXN_OPEN)
                ds_error("run", "block %s: state not written (%s); stopping", d->key, err);
            else
                ds_warn("run", "block %s: state not written (%s)", d->key, err);
            run_output_failed(r);
            break;
        }
    }
    run_free_dirty(b);
    b->flush_at = 0;
    return 0;
}
