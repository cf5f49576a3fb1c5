/* run.c: the processor's loop and its handles (`dealstream run`).
 *
 * Owns the runner's life: start-up (clients, internal topics, handles),
 * the wake-ups of the consumer and producer queues through uv_poll_t, the
 * intake of input messages into the pipeline, the schema-registry gate that
 * holds a partition until its schema is known, signals and the shutdown
 * order. Calls run_batch.c to open and commit batches, run_output.c to
 * write, run_assign.c from the rebalance callback, run_txnwork.c,
 * run_restorework.c and run_endwork.c to set up and end their workers, run_health.c for
 * /metrics. May call common/, schemas/, core/, ops/, producer/ and the
 * consumer/ readers. */
#include "run_internal.h"

/* ---- consuming ------------------------------------------------------------- */

/* run_mark_eof for a topic of kind (RUN_T_*, -1: another). */
static void mark_eof(runner *r, int kind, const char *topic, int32_t partition, int eof)
{
    if (!r->assigned)
        return;
    rd_kafka_topic_partition_t *p = run_part_find(&r->assigned_ix, r->assigned, kind, topic, partition);
    if (p)
        p->offset = eof;
}

void run_mark_eof(runner *r, const char *topic, int32_t partition, int eof)
{
    mark_eof(r, run_topic_kind(r, topic), topic, partition, eof);
}

/* Notes the offset of rkm, the next record read from its partition, and
 * tells whether the consumer jumped over records since the last one (or
 * since the offset it started from): an automatic offset reset after
 * "Offset out of range", when retention deleted records before they were
 * read. Such a jump is logged at error level and counted; the run then
 * exits with DS_RUN_SKIPPED. Rewinds (an aborted batch) move back and are
 * no loss. */
/* Logs and counts a jump of partition p of topic from offset wanted to
 * got when it skipped records (see ds_kafka_offsets_lost). */
static void check_jump(runner *r, const char *topic, int32_t p, int64_t wanted, int64_t got)
{
    int64_t lo = -1, hi = -1;
    if (wanted < 0 || got <= wanted || rd_kafka_get_watermark_offsets(r->consumer, topic, p, &lo, &hi))
        return;
    int64_t lost = ds_kafka_offsets_lost(wanted, got, lo);
    if (lost <= 0)
        return;
    ds_error("run",
             "%s [%" PRId32 "]: offset reset: wanted offset %" PRId64 ", got %" PRId64 " (log start %" PRId64
             "): %" PRId64 " record(s) skipped, deleted by retention before they were read",
             topic, p, wanted, got, lo, lost);
    r->st.offset_resets++;
    r->st.records_skipped += (uint64_t)lost;
    ds_series_add(ds_metric_series1(r->mx.resets, topic), 1);
    ds_series_add(ds_metric_series1(r->mx.skipped, topic), (double)lost);
}

/* run_note_offset for rkm of topic, of kind (RUN_T_*, -1: another). */
static void note_offset(runner *r, const rd_kafka_message_t *rkm, int kind, const char *topic)
{
    rd_kafka_topic_partition_t *n = run_part_find(&r->next_in_ix, r->next_in, kind, topic, rkm->partition);
    if (!n) {
        n = run_part_add(&r->next_in_ix, r->next_in, kind, topic, rkm->partition);
        n->offset = RD_KAFKA_OFFSET_INVALID;
        /* the first since assignment: checked once its committed offset is known */
        rd_kafka_topic_partition_t *u = rd_kafka_topic_partition_list_find(r->unchecked, topic, rkm->partition);
        if (u && u->offset == RD_KAFKA_OFFSET_INVALID)
            u->offset = rkm->offset;
    }
    check_jump(r, topic, rkm->partition, n->offset, rkm->offset);
    n->offset = rkm->offset + 1;
}

void run_note_offset(runner *r, const rd_kafka_message_t *rkm)
{
    const char *topic = rd_kafka_topic_name(rkm->rkt);
    note_offset(r, rkm, run_topic_kind(r, topic), topic);
}

void run_check_committed(runner *r, const rd_kafka_topic_partition_list_t *looked)
{
    for (int i = 0; i < looked->cnt; i++) {
        const rd_kafka_topic_partition_t *l = &looked->elems[i];
        rd_kafka_topic_partition_t *u = rd_kafka_topic_partition_list_find(r->unchecked, l->topic, l->partition);
        if (!u)
            continue; /* revoked since */
        int64_t first = u->offset;
        rd_kafka_topic_partition_list_del(r->unchecked, l->topic, l->partition);
        if (l->offset < 0)
            continue; /* nothing committed: auto.offset.reset=earliest is where it starts */
        int kind = run_topic_kind(r, l->topic);
        rd_kafka_topic_partition_t *n = run_part_find(&r->next_in_ix, r->next_in, kind, l->topic, l->partition);
        if (first >= 0)
            check_jump(r, l->topic, l->partition, l->offset, first);
        else if (!n) /* nothing read yet: the first record is checked against it */
            run_part_add(&r->next_in_ix, r->next_in, kind, l->topic, l->partition)->offset = l->offset;
    }
}

/* Records the timestamp of the message just consumed from partition p. */
static void note_ts(last_ts *l, int32_t p, int64_t ts)
{
    if (p < 0)
        return;
    if (p >= l->n) {
        int32_t n = p + 1 > 2 * l->n ? p + 1 : 2 * l->n;
        int64_t *v = realloc(l->ts, (size_t)n * sizeof *v);
        if (!v)
            return; /* the partition's time lag stays unknown */
        for (int32_t i = l->n; i < n; i++)
            v[i] = -1;
        l->ts = v;
        l->n = n;
    }
    l->ts[p] = ts;
}

/* Whether the ArticleEvent the pipeline just decoded has published null
 * (a text article produced without a date line, for one). */
static int article_undated(avro_value_t *article)
{
    avro_value_t f;
    int disc;
    return ds_avro_field(article, "published", &f) == 0 && avro_value_get_type(&f) == AVRO_UNION &&
           avro_value_get_discriminant(&f, &disc) == 0 && disc == 0;
}

/* A mention of <app>-mentions: queued to be resolved in its partition's
 * state on the worker (run_resolve.c), which takes it into batch b once
 * resolved; the block's state goes to the same partition of <app>-state
 * when b closes. Returns whether rkm was taken. */
static int process_mention(runner *r, batch *b, rd_kafka_message_t *rkm)
{
    int32_t p = rkm->partition;
    ds_resolver *rs = p >= 0 && p < r->nparts ? r->rs[p] : NULL;
    if (!rs) {
        ds_error("run", "%s [%" PRId32 "]: no state for this partition (restore failed?)", r->mtopic, p);
        r->exit_code = 1;
        return 0;
    }
    if (run_resolve_queue(r, b, rs, rkm)) {
        ds_error("run", "internal: mention %s [%" PRId32 "] at offset %" PRId64 " cannot be queued", r->mtopic, p,
                 rkm->offset);
        r->exit_code = 1;
        return 0;
    }
    return 1;
}

static int gate_holds(runner *r, const rd_kafka_message_t *rkm);

/* Processes one input (rkm) in the open batch; a mention is queued for
 * resolution. Returns whether rkm was taken (else the caller frees it). */
static int process(runner *r, rd_kafka_message_t *rkm)
{
    if (r->gate && gate_holds(r, rkm))
        return 0; /* read again once the registry has answered */
    batch *b = run_open_batch(r);
    if (!b) {
        ds_error("run", "cannot open a batch (out of memory, or no transaction)");
        r->exit_code = 1;
        return 0;
    }
    const char *topic = rd_kafka_topic_name(rkm->rkt);
    int kind = run_topic_kind(r, topic);
    note_offset(r, rkm, kind, topic);
    /* where to rewind to if the batch's transaction aborts (unless a restore
     * of the partition in this batch said so first) */
    if (!run_part_find(&b->start_ix, b->start, kind, topic, rkm->partition))
        run_part_add(&b->start_ix, b->start, kind, topic, rkm->partition)->offset = rkm->offset;
    mark_eof(r, kind, topic, rkm->partition, 0);
    int is_mention = kind == RUN_T_MENTIONS;
    int is_deal = kind == RUN_T_DEALS;
    ds_series_add(is_mention ? r->mx.in_mentions : is_deal ? r->mx.in_deals : r->mx.in_articles, 1);
    note_ts(&r->last[is_mention ? 2 : is_deal], rkm->partition, rd_kafka_message_timestamp(rkm, NULL));
    if (is_mention)
        return process_mention(r, b, rkm); /* its offset is the batch's once resolved */
    run_part_add(&b->offsets_ix, b->offsets, kind, topic, rkm->partition)->offset = rkm->offset + 1;
    b->nmsgs++;
    r->st.consumed++;

    ds_input in = {is_deal ? DS_INPUT_DEAL : DS_INPUT_ARTICLE, topic, rkm->partition, rkm->offset, rkm->payload,
                   rkm->len};
    const ds_mention *ms;
    ds_fail fail;
    int n = -2;
    if (rkm->len <= (size_t)r->cfg->max_message_bytes) {
        double t0 = ds_metrics_clock();
        n = ds_pipeline_mentions(&r->pl, &in, &ms, &fail);
        ds_series_observe(r->mx.extract, ds_metrics_clock() - t0);
    }
    if (n == -2) {
        fail = (ds_fail){"validate", "too-big", ""};
        snprintf(fail.msg, sizeof fail.msg, "message of %zu bytes exceeds max.message.bytes=%ld", rkm->len,
                 r->cfg->max_message_bytes);
    }
    if (n < 0) {
        run_dead_letter(r, b, rkm, &fail);
    } else {
        if (!is_deal && article_undated(&r->pl.article))
            r->st.undated++;
        /* repartition: every mention goes to <app>-mentions keyed by its
         * block key, so all mentions of one block meet one partition's state */
        r->st.mentions += (uint64_t)n;
        for (int i = 0; i < n; i++) {
            ds_buf_reset(&r->obuf);
            if (ds_pipeline_encode_mention(&r->pl, &ms[i], &r->obuf)) {
                fail = (ds_fail){"encode", "encode-failed", ""};
                snprintf(fail.msg, sizeof fail.msg, "mention %s: %s", ms[i].mention_id, avro_strerror());
                run_dead_letter(r, b, rkm, &fail);
                break;
            }
            if (ds_publish_rkt(r->producer, r->rkt_mentions, RD_KAFKA_PARTITION_UA, ms[i].block_key,
                               strlen(ms[i].block_key), r->obuf.data, r->obuf.len, run_output_of(r, b))) {
                run_output_failed(r);
                break;
            }
        }
    }
    if (b->nmsgs >= BATCH_MAX_MESSAGES)
        run_close_batch(r);
    return 0;
}


/* Whether every mention this process produced into a mentions partition
 * it holds has been resolved. */
static int own_mentions_resolved(runner *r)
{
    for (int32_t p = 0; p < r->nparts; p++)
        if (r->produced_hi[p] >= 0 && r->rs[p] && r->consumed_next[p] <= r->produced_hi[p])
            return 0;
    return 1;
}

/* Whether the partitions other members hold (or held: a member that was
 * killed keeps its assignment until its session.timeout.ms) have nothing
 * committed left past the group's committed offsets, so that -e never
 * leaves work another member was given. The look-ups (metadata, committed
 * offsets, watermarks) run on a worker (run_endwork.c), at most every
 * UNHELD_CHECK_MS, only once everything else is done; its answer is taken
 * once (run_others_answered). */
static int others_at_end(runner *r)
{
    if (r->assigned->cnt >= r->subscribed_parts)
        return 1; /* this member holds them all: nothing to look up */
    if (r->others_done) {
        r->others_done = 0;
        return 1;
    }
    int64_t now = ds_mono_ms();
    if (!run_endwork_busy(r) && (!r->unheld_checked_ms || now - r->unheld_checked_ms >= UNHELD_CHECK_MS)) {
        r->unheld_checked_ms = now;
        if (run_endwork_start(r))
            ds_warn("run", "-e: cannot queue the look-up of the other members' partitions");
    }
    return 0;
}

void run_others_answered(runner *r, int at_end, const char *warn, const char *wait)
{
    if (warn)
        ds_warn("run", "%s", warn);
    if (wait && !r->unheld_logged)
        ds_info("run", "%s", wait);
    r->unheld_logged |= wait != NULL;
    r->others_done = at_end;
    if (at_end)
        run_check_exit_at_end(r);
}

void run_check_exit_at_end(runner *r)
{
    if (!r->cfg->exit_at_end || r->stopping || !r->assigned || r->assigned->cnt == 0 || r->unrestored->cnt > 0)
        return;
    for (int i = 0; i < r->assigned->cnt; i++)
        if (!r->assigned->elems[i].offset)
            return;
    run_close_batch(r);
    run_try_commit(r);
    if (run_all_done(r) && own_mentions_resolved(r) && others_at_end(r))
        run_begin_shutdown(r, "every partition is at its end, every mention produced is resolved, and all work is committed");
}

/* Whether the transaction holds input back: it is being set up, committed
 * or aborted, or a closed batch awaits its commit. Input then waits in
 * librdkafka's fetch queue (bounded by queued.max.messages.kbytes) and is
 * not polled. The partitions are not paused for this: librdkafka 2.0.2
 * fetches a resumed partition only in its next fetch round, up to a second
 * later, which cost up to a second per batch. */
static int txn_holds_intake(runner *r)
{
    if (r->txn == TXN_INIT || r->txn == TXN_COMMIT || r->txn == TXN_ABORT || r->txn == TXN_FATAL)
        return 1;
    return r->txn != TXN_OFF && r->head && r->head->closed;
}

/* Whether input must wait for the producer queue: above its high mark
 * (until it drains below the low mark). */
static int intake_blocked(runner *r)
{
    int q = rd_kafka_outq_len(r->producer);
    if (r->paused ? q > r->outq_low : q >= r->outq_high) {
        if (!r->paused)
            r->st.backpressure_pauses++;
        return 1;
    }
    return 0;
}

/* Pauses fetching of every assigned partition while the producer queue is
 * full, so nothing piles up in the consumer either, and resumes it after;
 * returns whether intake is blocked. */
static int update_pause(runner *r)
{
    int want = !r->stopping && intake_blocked(r);
    if (want == r->paused || !r->assigned || r->assigned->cnt == 0) {
        r->paused = want;
        return want;
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(r->assigned->cnt);
    for (int i = 0; i < r->assigned->cnt; i++)
        if (want || ((!r->held || !rd_kafka_topic_partition_list_find(r->held, r->assigned->elems[i].topic,
                                                                      r->assigned->elems[i].partition)) &&
                     !rd_kafka_topic_partition_list_find(r->unrestored, r->assigned->elems[i].topic,
                                                         r->assigned->elems[i].partition)))
            rd_kafka_topic_partition_list_add(l, r->assigned->elems[i].topic, r->assigned->elems[i].partition);
    rd_kafka_resp_err_t err = want ? rd_kafka_pause_partitions(r->consumer, l) : rd_kafka_resume_partitions(r->consumer, l);
    if (err)
        ds_warn("run", "%s partitions: %s", want ? "pausing" : "resuming", rd_kafka_err2str(err));
    if (want)
        r->st.pauses++;
    rd_kafka_topic_partition_list_destroy(l);
    r->paused = want;
    return want;
}

/* Whether an end-of-partition event means nothing committed is left: a
 * read_committed consumer reaches its end at the last stable offset, below
 * the high watermark while a transaction on the partition is open (a killed
 * member's, until it times out). Then a later event, at the high
 * watermark, follows once the transaction ends. */
static int at_stable_end(runner *r, const rd_kafka_message_t *rkm)
{
    const char *topic = rd_kafka_topic_name(rkm->rkt);
    ds_kafka_end e;
    ds_kafka_end_init(&e, -1); /* the high watermark of the same fetch */
    if (ds_kafka_end_at(r->consumer, topic, rkm->partition, rkm->offset, &e) == 1)
        return 1;
    if (r->cfg->exit_at_end)
        ds_info("run", "%s [%" PRId32 "]: at the last stable offset %" PRId64 ", below the high watermark %" PRId64
                ": waiting for the open transaction to end", topic, rkm->partition, rkm->offset, e.end);
    return 0;
}

/* Closes the open batch once it has been open for commit.interval.ms, also
 * in the middle of a slice, so a slow stretch of input never keeps a
 * transaction open past its interval. */
static void close_if_due(runner *r, int64_t now)
{
    int64_t interval = r->cfg->commit_interval_ms > 0 ? r->cfg->commit_interval_ms : 100;
    if (r->tail && !r->tail->closed && now - r->tail->opened_ms >= interval)
        run_close_batch(r);
}

/* Whether this slice of intake stops before the next message: the batch
 * is to close, closes, or the mentions queued fill the worker's job. */
static int slice_stops(runner *r)
{
    return r->close_wanted || run_batch_closing(r) || run_resolve_full(r);
}

/* One message from the consumer, in the open batch. Returns 0, or -1 when
 * none is waiting. */
static int take_one(runner *r)
{
    rd_kafka_message_t *rkm = rd_kafka_consumer_poll(r->consumer, 0);
    if (!rkm)
        return -1;
    int taken = 0;
    if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        run_mark_eof(r, rd_kafka_topic_name(rkm->rkt), rkm->partition, at_stable_end(r, rkm));
    } else if (rkm->err) {
        ds_warn("run", "consumer: %s", rd_kafka_message_errstr(rkm));
        if (rkm->err == RD_KAFKA_RESP_ERR__FATAL)
            r->exit_code = 1;
    } else {
        taken = process(r, rkm);
    }
    if (!taken)
        rd_kafka_message_destroy(rkm);
    return 0;
}

/* One slice of at most SLICE_MS (it ends after the message that crosses
 * it): the batch's pending work first (results of resolved mentions, its
 * changelog), then input; the mentions taken go to the worker at its end.
 * Then it yields to the loop, so signals, timers, delivery reports and
 * /healthz are served between slices. */
static void poll_consumer(runner *r)
{
    int64_t start = ds_mono_ms();
    if (r->stopping || run_batch_work(r, start + SLICE_MS))
        return; /* goes on from the kick or the worker's callback */
    int more = 0;
    for (int64_t now = start; !r->stopping && r->exit_code == 0; now = ds_mono_ms()) {
        if (now - start >= SLICE_MS) {
            more = 1;
            break;
        }
        close_if_due(r, now);
        if (slice_stops(r))
            break;
        if (txn_holds_intake(r) || update_pause(r)) {
            /* resumed from the tick, the producer's wake-up or the
             * transaction's end; a batch just closed commits now */
            if (r->txn == TXN_OPEN && r->head && r->head->closed)
                run_txn_arm(r, 0);
            break;
        }
        if (take_one(r))
            break;
    }
    if (run_resolve_pending(r) || run_batch_closing(r) || r->close_wanted)
        more = 1;
    run_resolve_dispatch(r); /* its callback kicks */
    /* slice used up, or work left: continue on the next loop iteration */
    if (more && !r->stopping && r->exit_code == 0 && !run_resolve_busy(r))
        run_kick(r);
}

static void drain_pipe(int fd)
{
    char buf[256];
    while (read(fd, buf, sizeof buf) > 0)
        ;
}

static void on_kick(uv_idle_t *h)
{
    runner *r = h->data;
    uv_idle_stop(&r->kick);
    poll_consumer(r);
    if (r->exit_code)
        run_begin_shutdown(r, "fatal error");
}

void run_kick(runner *r)
{
    if (r->kick.loop && !uv_is_closing((uv_handle_t *)&r->kick) && !r->stopping)
        uv_idle_start(&r->kick, on_kick);
}

static void on_consumer_ready(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    runner *r = h->data;
    drain_pipe(r->cpipe[0]);
    poll_consumer(r);
    if (r->exit_code)
        run_begin_shutdown(r, "fatal error");
}

static void on_producer_ready(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    runner *r = h->data;
    drain_pipe(r->ppipe[0]);
    rd_kafka_poll(r->producer, 0);
    run_txn_delivered(r);
    if (r->paused && !r->stopping && !update_pause(r))
        run_kick(r);
    if (r->exit_code)
        run_begin_shutdown(r, "fatal error");
    else
        run_check_exit_at_end(r);
}

/* The tick's close: the open batch closes when it is due, or at once when
 * no input waits in the consumer's queue (what it read becomes readable to
 * the next stage, under exactly-once, only once it commits). While input
 * waits, a younger batch stays open: closing it at every tick, whatever
 * its age, made twice the commits, each of which holds intake. */
static void tick_close(runner *r)
{
    if (rd_kafka_queue_length(r->cq) == 0)
        run_close_batch(r);
    else
        close_if_due(r, ds_mono_ms());
}

static void on_tick(uv_timer_t *t)
{
    runner *r = t->data;
    rd_kafka_poll(r->producer, 0);
    run_txn_delivered(r);
    poll_consumer(r);
    tick_close(r);
    run_try_commit(r);
    if (r->exit_code)
        run_begin_shutdown(r, "fatal error");
    else
        run_check_exit_at_end(r);
}

/* ---- schema registry ------------------------------------------------------ */


/* Whether an input must wait for its writer schema: its partition is held
 * already (a message fetched before the hold took effect), or its schema id
 * is being fetched, in which case the partition is paused and sought back
 * to this message. Inputs of <app>-mentions are our own single-object
 * records. A 404 or a foreign schema passes: the decoder then names the
 * unknown id and the input is dead-lettered. */
static int gate_holds(runner *r, const rd_kafka_message_t *rkm)
{
    const char *topic = rd_kafka_topic_name(rkm->rkt);
    if (strcmp(topic, r->mtopic) == 0)
        return 0;
    if (rd_kafka_topic_partition_list_find(r->held, topic, rkm->partition))
        return 1;
    int32_t id = -1;
    char msg[512] = "";
    int g = ds_schema_gate_check(r->gate, rkm->payload, rkm->len, &id, msg, sizeof msg);
    if (g == DS_GATE_FAIL)
        ds_warn("registry", "%s [%" PRId32 "] offset %" PRId64 ": %s; dead-lettering it", topic, rkm->partition,
                rkm->offset, msg);
    if (g != DS_GATE_WAIT)
        return 0;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, rkm->partition)->offset = rkm->offset;
    rd_kafka_pause_partitions(r->consumer, l);
    rd_kafka_error_t *e = rd_kafka_seek_partitions(r->consumer, l, 0);
    if (e) {
        ds_error("registry", "%s [%" PRId32 "]: seeking back to offset %" PRId64 ": %s", topic, rkm->partition,
                 rkm->offset, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        r->exit_code = 1; /* cannot hold it: do not read past it */
    }
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_topic_partition_list_add(r->held, topic, rkm->partition)->offset = id;
    ds_info("registry", "%s [%" PRId32 "] offset %" PRId64 ": schema id %d not known yet; partition held until "
            "the schema registry answers", topic, rkm->partition, rkm->offset, (int)id);
    return 1;
}

/* on the registry's worker thread: only wakes the loop */
static void gate_wake(void *opaque)
{
    runner *r = opaque;
    uv_async_send(&r->gate_async);
}

/* An answer arrived: resume the partitions whose schema id is no longer
 * pending (they are read again from the held message). */
static void on_gate_async(uv_async_t *a)
{
    runner *r = a->data;
    if (!r->held || r->held->cnt == 0)
        return;
    rd_kafka_topic_partition_list_t *go = rd_kafka_topic_partition_list_new(r->held->cnt);
    for (int i = 0; i < r->held->cnt; i++) {
        char msg[256];
        if (ds_schema_gate_check_id(r->gate, (int32_t)r->held->elems[i].offset, msg, sizeof msg) != DS_GATE_WAIT)
            rd_kafka_topic_partition_list_add(go, r->held->elems[i].topic, r->held->elems[i].partition);
    }
    for (int i = 0; i < go->cnt; i++)
        rd_kafka_topic_partition_list_del(r->held, go->elems[i].topic, go->elems[i].partition);
    if (go->cnt > 0 && !r->paused) /* else the end of the backpressure pause resumes them */
        rd_kafka_resume_partitions(r->consumer, go);
    if (go->cnt > 0) {
        ds_info("registry", "schema registry answered: %d partition(s) resumed", go->cnt);
        run_kick(r);
    }
    rd_kafka_topic_partition_list_destroy(go);
}

/* Starts the registry client, registers the canonical schema (so outputs
 * carry Confluent framing) and the wake-up. Returns 0 or -1 with err set. */
static int gate_start(runner *r, char *err, size_t errlen)
{
    if (!r->cfg->schema_registry_url || !r->cfg->schema_registry_url[0])
        return 0;
    if (uv_async_init(&r->loop, &r->gate_async, on_gate_async)) {
        snprintf(err, errlen, "uv_async_init failed");
        return -1;
    }
    r->gate_async.data = r;
    r->held = rd_kafka_topic_partition_list_new(8); /* set: gate_async is initialised */
    r->gate = ds_schema_gate_new(r->cfg, r->pl.codec, gate_wake, r, err, errlen);
    if (!r->gate || ds_schema_gate_register(r->gate, DS_SCHEMA_CANONICAL, r->cfg->canonical_topic, REGISTER_TIMEOUT_MS,
                                            err, errlen))
        return -1;
    r->pl.canon_framing = DS_FRAME_CONFLUENT;
    return 0;
}

/* ---- lifecycle ----------------------------------------------------------- */

static void on_signal(uv_signal_t *s, int signum)
{
    runner *r = s->data;
    run_begin_shutdown(r, signum == SIGINT ? "SIGINT" : "SIGTERM");
}

static void close_handle(uv_handle_t *h)
{
    if (h->loop && !uv_is_closing(h))
        uv_close(h, NULL);
}

static void walk_close(uv_handle_t *h, void *arg)
{
    (void)arg;
    close_handle(h);
}

void run_begin_shutdown(runner *r, const char *why)
{
    if (r->stopping)
        return;
    r->stopping = 1;
    int64_t timeout_ms = run_shutdown_ms(r);
    ds_info("run", "shutting down: %s (exit within %lld ms)", why, (long long)timeout_ms);
    run_watchdog_start(r, timeout_ms);
    /* the commit may take 40% of the time, the abort as long again; the rest is
     * for leaving the group and closing the clients */
    int budget = (int)(timeout_ms * 2 / 5);
    /* 1. close the HTTP server: the steps below hold the loop (the last
     * commit waits for its call on the worker), and a probe refused at once
     * says more than one left waiting for the exit */
    ds_http_close(r->http);
    r->http = NULL;
    /* 2. stop intake */
    uv_poll_stop(&r->cpoll);
    uv_idle_stop(&r->kick);
    uv_timer_stop(&r->txn_timer);
    uv_timer_stop(&r->restore_timer);
    run_restorework_cancel(r); /* a restore under way stops reading; its result is dropped */
    /* 3. finish the open batch: deliver its outputs, then commit (in its
     * transaction, under exactly-once) */
    if (r->txn != TXN_OFF) {
        if (r->txn != TXN_FATAL && r->txn != TXN_INIT)
            run_txn_finish(r, budget);
    } else {
        run_finish_batch(r, ds_mono_ms() + budget);
        r->sync_commit = 1;
        if (rd_kafka_flush(r->producer, 2 * budget))
            ds_error("run", "%d output(s) undelivered after %d ms; their inputs stay uncommitted",
                     rd_kafka_outq_len(r->producer), 2 * budget);
        run_try_commit(r);
    }
    /* 4. leave the group (revocation runs the rebalance callback) */
    rd_kafka_consumer_close(r->consumer);
    /* 5. close handles; the loop ends when they are closed (the registry's
     * worker stops first: it wakes the loop through gate_async) */
    ds_schema_gate_destroy(r->gate);
    r->gate = NULL;
    if (r->held)
        close_handle((uv_handle_t *)&r->gate_async);
    close_handle((uv_handle_t *)&r->cpoll);
    close_handle((uv_handle_t *)&r->ppoll);
    close_handle((uv_handle_t *)&r->tick);
    close_handle((uv_handle_t *)&r->kick);
    close_handle((uv_handle_t *)&r->txn_timer);
    close_handle((uv_handle_t *)&r->restore_timer);
    close_handle((uv_handle_t *)&r->sigint);
    close_handle((uv_handle_t *)&r->sigterm);
}

static int make_pipe(int fds[2])
{
    if (pipe(fds))
        return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
        fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    }
    return 0;
}

/* The consumer's prefetch, unless -X sets it: librdkafka's defaults fetch
 * up to 1 MB per partition and 50 MB per request and keep fetching until
 * 100,000 messages are queued, so a backlog of small inputs was read whole
 * at start (about 400 bytes a queued deal event, 40 MB of the peak RSS for
 * 100,000). At most 256 KB a partition and 1 MB a request per fetch and
 * 50,000 queued messages keep a second's work queued at the rates measured
 * (librdkafka 2.0.2 looks at a full queue again only after up to a second),
 * and cut the peak by 10-15 MB (bench/README.md, "Memory and CPU per
 * message on the real broker"). A record larger than these is still
 * fetched whole. Returns 0, or -1 with err set. */
static int prefetch_defaults(rd_kafka_conf_t *conf, const ds_config *cfg, char *err, size_t errlen)
{
    int alias_set = 0; /* fetch.message.max.bytes is the same property */
    for (size_t i = 0; i < cfg->nrdkafka; i++)
        if (strcmp(cfg->rdkafka[i].key, "fetch.message.max.bytes") == 0)
            alias_set = 1;
    return (!alias_set && ds_kafka_default(conf, cfg, "max.partition.fetch.bytes", "262144", err, errlen)) ||
           ds_kafka_default(conf, cfg, "fetch.max.bytes", "1048576", err, errlen) ||
           ds_kafka_default(conf, cfg, "queued.min.messages", "50000", err, errlen);
}

static rd_kafka_t *new_client(const ds_config *cfg, rd_kafka_type_t type, runner *r, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = ds_kafka_conf(cfg, err, errlen);
    if (!conf)
        return NULL;
    int bad;
    if (type == RD_KAFKA_CONSUMER) {
        const char *group = cfg->group ? cfg->group : cfg->app_id;
        bad = ds_kafka_set(conf, "group.id", group, err, errlen) ||
              ds_kafka_set(conf, "enable.auto.commit", "false", err, errlen) ||
              ds_kafka_set(conf, "auto.offset.reset", "earliest", err, errlen) ||
              ds_kafka_set(conf, "enable.partition.eof", "true", err, errlen) ||
              prefetch_defaults(conf, cfg, err, errlen);
        /* allow.auto.create.topics stays false (the consumer's default): a
         * missing topic is named at start, never created by subscribing */
        rd_kafka_conf_set_rebalance_cb(conf, run_rebalance_cb);
    } else {
        bad = ds_kafka_set(conf, "enable.idempotence", "true", err, errlen) ||
              ds_kafka_default(conf, cfg, "linger.ms", "5", err, errlen);
        if (!bad && r->txn != TXN_OFF) {
            /* KIP-447: the consumer group metadata sent with the offsets
             * fences zombies, so the id need only be unique per process;
             * -X transactional.id=... overrides it */
            char tid[512], host[256] = "";
            size_t sz = sizeof tid;
            /* a killed member's transaction holds its partitions' stable
             * offsets until it times out: 15 s bounds that wait (librdkafka's
             * default is 60 s) */
            bad = ds_kafka_default(conf, cfg, "transaction.timeout.ms", "15000", err, errlen);
            if (!bad && (rd_kafka_conf_get(conf, "transactional.id", tid, &sz) != RD_KAFKA_CONF_OK || !tid[0])) {
                gethostname(host, sizeof host - 1);
                snprintf(tid, sizeof tid, "%s-%s-%ld", cfg->app_id, host[0] ? host : "host", (long)getpid());
                bad = ds_kafka_set(conf, "transactional.id", tid, err, errlen);
            }
        }
        rd_kafka_conf_set_dr_msg_cb(conf, run_dr_cb);
    }
    if (bad) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_opaque(conf, r);
    char e[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, e, sizeof e);
    if (!rk) {
        snprintf(err, errlen, "%s", e);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return rk; /* conf now owned by rk */
}

/* Makes the producer's handles of the mentions, state and canonical
 * topics. Returns 0, or -1 with err set. */
static int topic_handles(runner *r, char *err, size_t errlen)
{
    r->rkt_mentions = rd_kafka_topic_new(r->producer, r->mtopic, NULL);
    r->rkt_state = rd_kafka_topic_new(r->producer, r->stopic, NULL);
    r->rkt_canonical = rd_kafka_topic_new(r->producer, r->cfg->canonical_topic, NULL);
    if (r->rkt_mentions && r->rkt_state && r->rkt_canonical)
        return 0;
    snprintf(err, errlen, "producer topic handle: %s", rd_kafka_err2str(rd_kafka_last_error()));
    return -1;
}

/* The producer queue's high and low marks for backpressure, from its limit
 * queue.buffering.max.messages: intake pauses at half of it, so the outputs
 * of the messages being processed still fit, and resumes at a quarter. */
static void outq_marks(runner *r)
{
    char v[64];
    size_t sz = sizeof v;
    long lim = 100000;
    if (rd_kafka_conf_get(rd_kafka_conf(r->producer), "queue.buffering.max.messages", v, &sz) == RD_KAFKA_CONF_OK)
        lim = strtol(v, NULL, 10);
    r->outq_high = lim / 2 > 1 ? (int)(lim / 2) : 1;
    r->outq_low = lim / 4;
}

int ds_run(const ds_config *cfg, ds_run_stats *stats) { return ds_run_with(cfg, stats, NULL); }

/* Allocates a runner for cfg with every field at its "nothing yet" value
 * and an initialised loop. Returns NULL when out of memory or when the loop
 * cannot be initialised; the runner is freed with runner_free. */
static runner *runner_new(const ds_config *cfg)
{
    runner *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->cfg = cfg;
    r->cpipe[0] = r->cpipe[1] = r->ppipe[0] = r->ppipe[1] = -1;
    ds_buf_init(&r->obuf);
    snprintf(r->mtopic, sizeof r->mtopic, "%s-mentions", cfg->app_id);
    snprintf(r->stopic, sizeof r->stopic, "%s-state", cfg->app_id);
    r->assigned = rd_kafka_topic_partition_list_new(16);
    r->unrestored = rd_kafka_topic_partition_list_new(8);
    r->next_in = rd_kafka_topic_partition_list_new(16);
    r->unchecked = rd_kafka_topic_partition_list_new(16);
    run_part_index_init(&r->assigned_ix);
    run_part_index_init(&r->next_in_ix);
    r->txn = cfg->guarantee && strcmp(cfg->guarantee, "at-least-once") == 0 ? TXN_OFF : TXN_INIT;
    r->txn_init_deadline = ds_mono_ms() + TXN_INIT_MS;
    if (uv_loop_init(&r->loop)) {
        rd_kafka_topic_partition_list_destroy(r->assigned);
        rd_kafka_topic_partition_list_destroy(r->unrestored);
        rd_kafka_topic_partition_list_destroy(r->next_in);
        rd_kafka_topic_partition_list_destroy(r->unchecked);
        ds_buf_free(&r->obuf);
        free(r);
        return NULL;
    }
    return r;
}

/* Sets up everything the loop needs before it runs: metrics and HTTP, the
 * catalog (and reference topic), the schema gate, the producer, the
 * internal topics, the consumer and the wake-up pipes of both queues. On
 * error returns -1 with err set; what was set up is freed by runner_free. */
static int start_clients(runner *r, const ds_run_hooks *hooks, char *err, size_t errlen)
{
    const ds_config *cfg = r->cfg;
    if (run_metrics_init(r)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (run_http_start(r, hooks, err, errlen))
        return -1;
    ds_catalog *cat = ds_reftopic_catalog(cfg, REFERENCE_TIMEOUT_MS, err, errlen);
    if (!cat || ds_pipeline_init_catalog(&r->pl, cat, err, errlen))
        return -1;
    r->pl_ready = 1;
    ds_codec_set_max_message(r->pl.codec, (size_t)cfg->max_message_bytes);
    if (cfg->max_body_bytes > 0)
        r->pl.max_body = (size_t)cfg->max_body_bytes;
    if (gate_start(r, err, errlen))
        return -1;
    r->producer = new_client(cfg, RD_KAFKA_PRODUCER, r, err, errlen);
    if (!r->producer || ds_dlq_check_limits(r->producer, cfg->max_message_bytes, "run", err, errlen))
        return -1;
    r->pl.canon_max_sources = (size_t)cfg->canonical_max_sources;
    r->pl.canon_max_bytes = ds_record_limit(r->producer);
    outq_marks(r);
    r->txn_timeout_ms = ds_kafka_txn_timeout_ms(r->producer);
    if (run_txnwork_init(r) || run_resolve_init(r)) {
        snprintf(err, errlen, "cannot initialise the workers of transactions and resolution");
        return -1;
    }
    if (run_restorework_init(r) || run_endwork_init(r)) {
        snprintf(err, errlen, "cannot initialise the workers of restores and -e's look-ups");
        return -1;
    }
    /* the handles only once the topics are checked: a producer's topic
     * handle asks for the topic's metadata, which a broker with
     * auto.create.topics.enable answers by creating it */
    if (run_check_topics(r, err, errlen) || topic_handles(r, err, errlen))
        return -1;
    r->consumer = new_client(cfg, RD_KAFKA_CONSUMER, r, err, errlen);
    if (!r->consumer)
        return -1;
    rd_kafka_poll_set_consumer(r->consumer);
    if (make_pipe(r->cpipe) || make_pipe(r->ppipe)) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    r->cq = rd_kafka_queue_get_consumer(r->consumer);
    r->pq = rd_kafka_queue_get_main(r->producer);
    rd_kafka_queue_io_event_enable(r->cq, r->cpipe[1], "1", 1);
    rd_kafka_queue_io_event_enable(r->pq, r->ppipe[1], "1", 1);
    return 0;
}

/* Subscribes the consumer to the two input topics and the mentions topic.
 * On error returns -1 with err set. */
static int subscribe(runner *r, char *err, size_t errlen)
{
    const ds_config *cfg = r->cfg;
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(3);
    rd_kafka_topic_partition_list_add(sub, cfg->articles_topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_topic_partition_list_add(sub, cfg->deals_topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_topic_partition_list_add(sub, r->mtopic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t se = rd_kafka_subscribe(r->consumer, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (se) {
        snprintf(err, errlen, "subscribe: %s", rd_kafka_err2str(se));
        return -1;
    }
    return 0;
}

/* Initialises and starts the loop's handles: the two queue polls, the
 * commit tick, the kick and transaction timers and the signal handlers. */
static void start_handles(runner *r)
{
    uv_poll_init(&r->loop, &r->cpoll, r->cpipe[0]);
    uv_poll_init(&r->loop, &r->ppoll, r->ppipe[0]);
    uv_timer_init(&r->loop, &r->tick);
    uv_idle_init(&r->loop, &r->kick);
    uv_timer_init(&r->loop, &r->txn_timer);
    uv_timer_init(&r->loop, &r->restore_timer);
    uv_signal_init(&r->loop, &r->sigint);
    uv_signal_init(&r->loop, &r->sigterm);
    r->cpoll.data = r->ppoll.data = r->tick.data = r->kick.data = r->txn_timer.data = r->restore_timer.data =
        r->sigint.data = r->sigterm.data = r;
    uv_poll_start(&r->cpoll, UV_READABLE, on_consumer_ready);
    uv_poll_start(&r->ppoll, UV_READABLE, on_producer_ready);
    uint64_t interval = r->cfg->commit_interval_ms > 0 ? (uint64_t)r->cfg->commit_interval_ms : 100;
    uv_timer_start(&r->tick, on_tick, interval, interval);
    uv_signal_start(&r->sigint, on_signal, SIGINT);
    uv_signal_start(&r->sigterm, on_signal, SIGTERM);
    if (r->txn == TXN_INIT)
        run_txn_arm(r, 0);
}

/* Frees the runner and everything it holds, in an order that lets the
 * loop close empty: queues, clients, batches, resolvers, the gate (its
 * worker before the codec), the pipeline, then every handle. Accepts a
 * runner whose start-up stopped half-way. */
static void runner_free(runner *r)
{
    if (r->cq) {
        rd_kafka_queue_io_event_enable(r->cq, -1, NULL, 0);
        rd_kafka_queue_destroy(r->cq);
    }
    if (r->pq) {
        rd_kafka_queue_io_event_enable(r->pq, -1, NULL, 0);
        rd_kafka_queue_destroy(r->pq);
    }
    run_txnwork_fini(r); /* a call on the worker holds both clients */
    run_restorework_fini(r); /* a restore on the worker reads with the consumer */
    run_endwork_fini(r);     /* so do -e's look-ups */
    run_resolve_drop(r);  /* the worker holds a resolver and the pipeline */
    if (r->consumer) {
        if (!r->stopping)
            rd_kafka_consumer_close(r->consumer);
        rd_kafka_destroy(r->consumer);
    }
    rd_kafka_topic_t *rkts[] = {r->rkt_mentions, r->rkt_state, r->rkt_canonical};
    for (size_t i = 0; i < sizeof rkts / sizeof *rkts; i++)
        if (rkts[i])
            rd_kafka_topic_destroy(rkts[i]);
    if (r->producer)
        rd_kafka_destroy(r->producer);
    while (r->head) {
        batch *b = r->head;
        r->head = b->next;
        run_free_batch(b);
    }
    rd_kafka_topic_partition_list_destroy(r->assigned);
    rd_kafka_topic_partition_list_destroy(r->unrestored);
    rd_kafka_topic_partition_list_destroy(r->next_in);
    rd_kafka_topic_partition_list_destroy(r->unchecked);
    run_part_index_free(&r->assigned_ix);
    run_part_index_free(&r->next_in_ix);
    for (int32_t p = 0; r->rs && p < r->nparts; p++)
        ds_resolver_destroy(r->rs[p]);
    free(r->rs);
    free(r->ref_owners);
    free(r->produced_hi);
    free(r->consumed_next);
    ds_buf_free(&r->obuf);
    ds_schema_gate_destroy(r->gate); /* its worker thread stops before the codec goes */
    r->gate = NULL;
    if (r->held)
        rd_kafka_topic_partition_list_destroy(r->held);
    if (r->pl_ready)
        ds_pipeline_fini(&r->pl);
    /* handles that were never started are closed here; the loop must end empty */
    ds_http_close(r->http);
    r->http = NULL;
    uv_walk(&r->loop, walk_close, NULL);
    uv_run(&r->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&r->loop))
        ds_error("run", "event loop did not close cleanly");
    run_txnwork_destroy(r);
    run_restorework_destroy(r);
    run_endwork_destroy(r);
    run_resolve_destroy(r); /* its after-callback has run */
    ds_metrics_destroy(r->mx.reg);
    for (int i = 0; i < 3; i++)
        free(r->last[i].ts);
    for (int i = 0; i < 2; i++) {
        if (r->cpipe[i] >= 0)
            close(r->cpipe[i]);
        if (r->ppipe[i] >= 0)
            close(r->ppipe[i]);
    }
    run_watchdog_stop(r); /* the clients are gone: the shutdown is over */
    free(r);
}

/* The processor: start-up, the loop until shutdown, the closing summary. */
int ds_run_with(const ds_config *cfg, ds_run_stats *stats, const ds_run_hooks *hooks)
{
    char err[1024] = "";
    runner *r = runner_new(cfg);
    if (!r)
        return 1;
    /* the HTTP server accepts only from here, the loop about to run: a
     * probe during start-up (which blocks) is refused, not left waiting */
    if (start_clients(r, hooks, err, sizeof err) || subscribe(r, err, sizeof err) ||
        run_http_listen(r, err, sizeof err)) {
        ds_error("run", "%s", err);
        r->exit_code = 1;
        goto out;
    }
    start_handles(r);
    ds_info("run", "consuming %s and %s as group %s; mentions via %s, state in %s (%" PRId32
            " partitions each); canonical deals to %s",
            cfg->articles_topic, cfg->deals_topic, cfg->group ? cfg->group : cfg->app_id, r->mtopic, r->stopic,
            r->nparts, cfg->canonical_topic);

    uv_run(&r->loop, UV_RUN_DEFAULT);
    ds_info("run",
            "consumed %" PRIu64 ", mentions %" PRIu64 ", resolved %" PRIu64 ", canonical records %" PRIu64
            ", state records %" PRIu64 ", dead letters %" PRIu64 ", commits %" PRIu64 ", restored blocks %" PRIu64
            ", aborts %" PRIu64 ", pauses %" PRIu64 " (%s)",
            r->st.consumed, r->st.mentions, r->st.resolved, r->st.produced, r->st.state_records, r->st.dead_letters,
            r->st.commits, r->st.restored_blocks, r->st.aborts, r->st.pauses,
            r->txn == TXN_OFF ? "at-least-once" : "exactly-once");
    if (r->st.records_skipped)
        ds_error("run", "%" PRIu64 " input record(s) skipped in %" PRIu64 " offset reset(s): deleted by retention "
                 "before they were read; exiting with %d", r->st.records_skipped, r->st.offset_resets, DS_RUN_SKIPPED);
out:;
    int rc = r->exit_code ? r->exit_code : r->st.records_skipped ? DS_RUN_SKIPPED : 0;
    if (stats)
        *stats = r->st;
    runner_free(r);
    return rc;
}
