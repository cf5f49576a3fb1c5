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

/* Writes the state of every block the batch changed to its partition of
 * <app>-state, with the offset of the block's last mention in the batch
 * as input_offset: one record per block and batch rather than per mention
 * (a block's record holds all its mentions, so per mention the cost grew
 * with the block). */
void run_flush_dirty(runner *r, batch *b)
{
    for (size_t i = 0; i < b->dirtycap && r->exit_code == 0; i++) {
        const dirty_block *d = &b->dirty[i];
        if (!d->key)
            continue;
        ds_resolver *rs = d->partition >= 0 && d->partition < r->nparts ? r->rs[d->partition] : NULL;
        ds_buf_reset(&r->obuf);
        if (!rs || ds_state_encode(r->pl.codec, rs, d->key, r->mtopic, d->partition, d->offset, &r->obuf) ||
            ds_publish_rkt(r->producer, r->rkt_state, d->partition, d->key, strlen(d->key), r->obuf.data,
                           r->obuf.len, run_output_of(r, b))) {
            /* without its changelog record the state cannot be restored: stop
             * (or abort) before the batch commits */
            if (r->txn != TXN_OPEN)
                ds_error("run", "block %s: state record not written; stopping", d->key);
            run_output_failed(r);
            break;
        }
    }
    run_free_dirty(b);
}
