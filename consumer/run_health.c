/* run_health.c: the metrics of `run` (README, "Metrics and health") and
 * the answers of /metrics, /healthz and /readyz, served by ops/http.c on
 * the loop. A scrape computes gauges from what the loop keeps; it never
 * blocks. May call ops/, librdkafka's non-blocking getters. */
#include "run_internal.h"

/* ---- metrics and health ------------------------------------------------------ */

static const double latency_buckets[] = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                         0.01,    0.025,  0.05,    0.1,    0.25,  0.5,    1};
static const double commit_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
static const double restore_buckets[] = {0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300};
#define NB(a) (sizeof a / sizeof a[0])

/* One family of the table below: a labelled family is stored as its
 * ds_metric * at slot in run_metrics, one without labels as its one
 * ds_series *. */
typedef struct family_def {
    ds_metric_type type;
    const char *name;
    const char *labels; /* NULL: none */
    const double *bounds; /* histograms */
    size_t nbounds;
    size_t slot; /* offsetof(run_metrics, ...) */
    const char *help;
} family_def;

#define RM(field) offsetof(run_metrics, field)
#define COUNTER(name, field, help) {DS_METRIC_COUNTER, name, NULL, NULL, 0, RM(field), help}
#define GAUGE(name, field, help) {DS_METRIC_GAUGE, name, NULL, NULL, 0, RM(field), help}
#define HISTOGRAM(name, field, b, help) {DS_METRIC_HISTOGRAM, name, NULL, b, NB(b), RM(field), help}
#define LABELLED(type, name, labels, field, help) {type, name, labels, NULL, 0, RM(field), help}

/* Every family of README's "Metrics and health", in its order. */
static const family_def families[] = {
    LABELLED(DS_METRIC_COUNTER, "dealstream_messages_in_total", "topic", in,
             "Records consumed, per input topic (articles, deals, <app>-mentions); records read "
             "again after an aborted transaction count again."),
    LABELLED(DS_METRIC_COUNTER, "dealstream_messages_out_total", "topic", out,
             "Records delivered (acknowledged by the broker), per output topic: <app>-mentions, "
             "the canonical topic, <app>-state and the dead-letter topics. Under exactly-once a delivered "
             "record belongs to a transaction that may still abort."),
    LABELLED(DS_METRIC_COUNTER, "dealstream_dead_letters_total", "topic", dead,
             "Records sent to <topic>.dlq, per input topic they were read from."),
    LABELLED(DS_METRIC_COUNTER, "dealstream_offset_resets_total", "topic", resets,
             "Automatic offset resets that jumped over records the broker no longer had (deleted by "
             "retention before they were read), per input topic; logged at error level."),
    LABELLED(DS_METRIC_COUNTER, "dealstream_records_skipped_total", "topic", skipped,
             "The offsets those resets jumped over: input never read. run exits with 3 when any."),
    COUNTER("dealstream_delivery_failures_total", delivery_failures, "Records the producer could not deliver."),
    COUNTER("dealstream_mentions_extracted_total", mentions,
            "Deal mentions extracted from articles or normalised from deal events."),
    COUNTER("dealstream_articles_undated_total", undated,
            "Articles processed with published null (a text article produced without a date line); "
            "their mentions carry no publication date."),
    HISTOGRAM("dealstream_extract_duration_seconds", extract, latency_buckets,
              "Time to decode, validate and extract (an article) or normalise (a deal event) one "
              "input record."),
    HISTOGRAM("dealstream_resolve_duration_seconds", resolve, latency_buckets,
              "Time to resolve one mention in its partition's state, including encoding and queueing "
              "the canonical records it changed."),
    COUNTER("dealstream_commits_total", commits,
            "Batches committed: in a transaction (exactly-once), or offsets committed once their "
            "outputs were delivered (at-least-once)."),
    LABELLED(DS_METRIC_COUNTER, "dealstream_transactions_total", "result", txns,
             "Transactions ended, by result: committed, or aborted (their batch is redone)."),
    HISTOGRAM("dealstream_transaction_commit_duration_seconds", commit, commit_buckets,
              "Time from the close of a batch to the commit of its transaction (sending offsets, "
              "flushing and EndTxn, retries included); exactly-once only."),
    COUNTER("dealstream_transaction_retries_total", txn_retries,
            "Transactional calls retried or resumed after a timeout."),
    LABELLED(DS_METRIC_COUNTER, "dealstream_rebalances_total", "event", rebalances,
             "Rebalance callbacks of the consumer group, by event: assign or revoke."),
    GAUGE("dealstream_assigned_partitions", assigned,
          "Partitions assigned to this member (input topics and <app>-mentions)."),
    COUNTER("dealstream_intake_pauses_total", pauses, "Times the consumer paused fetching of the input partitions."),
    COUNTER("dealstream_backpressure_pauses_total", backpressure_pauses,
            "Of those pauses, the ones because the producer queue was over half full."),
    GAUGE("dealstream_producer_queue_messages", outq, "Records and requests waiting in the producer's queue."),
    GAUGE("dealstream_state_blocks", blocks,
          "Blocks (buyer|seller|family) held in the state of the assigned <app>-mentions partitions."),
    GAUGE("dealstream_state_deals", deals, "Live deals held in the state of the assigned <app>-mentions partitions."),
    GAUGE("dealstream_state_mentions", state_mentions,
          "Mentions held in the state of the assigned <app>-mentions partitions."),
    GAUGE("dealstream_state_mention_bytes", state_bytes, "Bytes of the packed mention records held in the state."),
    GAUGE("dealstream_state_fingerprints", fingerprints,
          "Seen-article fingerprints held for duplicate detection (see --dedup-retention-days)."),
    HISTOGRAM("dealstream_state_restore_duration_seconds", restore, restore_buckets,
              "Time to restore the state of one <app>-mentions partition from <app>-state (the loop "
              "is blocked meanwhile)."),
    COUNTER("dealstream_state_restored_blocks_total", restored_blocks, "Blocks rebuilt from <app>-state."),
    COUNTER("dealstream_state_restored_records_total", restored_records,
            "Changelog records read from <app>-state to restore state."),
    COUNTER("dealstream_state_capped_mentions_total", capped,
            "Mentions dead-lettered (class block-full) because their block already held "
            "--state-max-mentions-per-block mentions."),
    COUNTER("dealstream_canonical_truncated_total", truncated,
            "Canonical records published listing only part of their deal's sources (the earliest "
            "--canonical-max-sources, fewer when the record would exceed the producer's message.max.bytes)."),
    COUNTER("dealstream_state_expired_mentions_total", expired,
            "Mentions that left the state by event time: intents of deal events published more than "
            "--dedup-retention-days before the newest mention of their block."),
    LABELLED(DS_METRIC_GAUGE, "dealstream_consumer_lag_messages", "topic,partition", lag,
             "Offset lag of this member per assigned partition: the partition's high watermark (as last "
             "fetched) minus the consumer's position (the offset after the last record consumed); 0 at "
             "the end of the partition; absent until both are known."),
    LABELLED(DS_METRIC_GAUGE, "dealstream_consumer_time_lag_seconds", "topic,partition", time_lag,
             "Time lag of this member per assigned partition: 0 when the offset lag is 0; otherwise "
             "now minus the timestamp of the last record consumed from the partition, an upper bound "
             "on the age of the oldest unconsumed record (after an idle spell it counts the idle "
             "time); absent when nothing was consumed yet."),
    GAUGE("dealstream_ready", ready, "1 when /readyz answers 200, else 0."),
    LABELLED(DS_METRIC_GAUGE, "dealstream_build_info", "version,guarantee", info,
             "The version of dealstream and the processing guarantee, as labels; always 1."),
};

/* Registers every family of the table and stores it in its slot. Returns
 * 0, or -1 when one cannot be registered (out of memory). */
static int register_families(run_metrics *m)
{
    for (size_t i = 0; i < NB(families); i++) {
        const family_def *d = &families[i];
        ds_metric *f = ds_metrics_add(m->reg, d->type, d->name, d->help, d->labels, d->bounds, d->nbounds);
        if (!f)
            return -1;
        void *slot = (char *)m + d->slot;
        if (d->labels)
            *(ds_metric **)slot = f;
        else if (!(*(ds_series **)slot = ds_metric_series(f, NULL)))
            return -1;
    }
    return 0;
}

/* Creates the labelled series known at start, so that they are rendered
 * (as 0) before anything happens: every input and output topic, the
 * dead-letter topics, both transaction results and rebalance events, and
 * the build info. Returns 0 or -1 when out of memory. */
static int known_series(runner *r)
{
    run_metrics *m = &r->mx;
    const ds_config *cfg = r->cfg;
    int bad = 0;
    m->in_articles = ds_metric_series1(m->in, cfg->articles_topic);
    m->in_deals = ds_metric_series1(m->in, cfg->deals_topic);
    m->in_mentions = ds_metric_series1(m->in, r->mtopic);
    m->out_mentions = ds_metric_series1(m->out, r->mtopic);
    m->out_canonical = ds_metric_series1(m->out, cfg->canonical_topic);
    m->out_state = ds_metric_series1(m->out, r->stopic);
    const char *inputs[] = {cfg->articles_topic, cfg->deals_topic, r->mtopic};
    for (size_t i = 0; i < 3; i++) {
        char dlq[300];
        snprintf(dlq, sizeof dlq, "%s.dlq", inputs[i]);
        bad |= !ds_metric_series1(m->out, dlq) || !ds_metric_series1(m->dead, inputs[i]) ||
               !ds_metric_series1(m->resets, inputs[i]) || !ds_metric_series1(m->skipped, inputs[i]);
    }
    m->txn_committed = ds_metric_series1(m->txns, "committed");
    m->txn_aborted = ds_metric_series1(m->txns, "aborted");
    m->assigns = ds_metric_series1(m->rebalances, "assign");
    m->revokes = ds_metric_series1(m->rebalances, "revoke");
    const char *iv[2] = {DS_VERSION, r->txn == TXN_OFF ? "at-least-once" : "exactly-once"};
    ds_series *info = ds_metric_series(m->info, iv);
    ds_series_set(info, 1);
    bad |= !m->in_articles || !m->in_deals || !m->in_mentions || !m->out_mentions || !m->out_canonical ||
           !m->out_state || !m->txn_committed || !m->txn_aborted || !m->assigns || !m->revokes || !info;
    return bad ? -1 : 0;
}

/* Registers every series of README's "Metrics and health", in its order,
 * the process_* series last. Returns 0 or -1 when out of memory. */
int run_metrics_init(runner *r)
{
    run_metrics *m = &r->mx;
    if (!(m->reg = ds_metrics_new()))
        return -1;
    if (register_families(m) || known_series(r) || ds_process_metrics_init(&m->proc, m->reg))
        return -1;
    return 0;
}

/* Why the run is not healthy, or NULL when it is. */
static const char *unhealthy(runner *r, char *buf, size_t n)
{
    char e[256];
    if (r->exit_code || r->txn == TXN_FATAL)
        return "the run failed and is stopping";
    if (r->producer && rd_kafka_fatal_error(r->producer, e, sizeof e)) {
        snprintf(buf, n, "producer: fatal error: %s", e);
        return buf;
    }
    if (r->consumer && rd_kafka_fatal_error(r->consumer, e, sizeof e)) {
        snprintf(buf, n, "consumer: fatal error: %s", e);
        return buf;
    }
    if (r->stopping)
        return "shutting down";
    return NULL;
}

/* Why the run is not ready, or NULL when it is. */
static const char *not_ready(runner *r, char *buf, size_t n)
{
    const char *why = unhealthy(r, buf, n);
    if (why)
        return why;
    if (r->txn == TXN_INIT)
        return "initialising the transactional producer";
    if (r->restoring)
        return "restoring state";
    if (!r->assigned_once)
        return "waiting for the first assignment of the group";
    if (r->rebalancing)
        return "rebalancing";
    return NULL;
}

/* Offset and time lag of every assigned partition, rebuilt at each scrape:
 * positions and cached high watermarks, neither of which blocks. */
static void collect_lag(runner *r)
{
    run_metrics *m = &r->mx;
    ds_metric_clear(m->lag);
    ds_metric_clear(m->time_lag);
    if (!r->consumer || !r->assigned || r->assigned->cnt == 0)
        return;
    rd_kafka_topic_partition_list_t *pos = rd_kafka_topic_partition_list_copy(r->assigned);
    rd_kafka_position(r->consumer, pos);
    int64_t now = ds_now_ms();
    for (int i = 0; i < pos->cnt; i++) {
        const char *t = pos->elems[i].topic;
        int32_t p = pos->elems[i].partition;
        int64_t lo, hi, lag = -1;
        if (rd_kafka_get_watermark_offsets(r->consumer, t, p, &lo, &hi) == RD_KAFKA_RESP_ERR_NO_ERROR && hi >= 0 &&
            pos->elems[i].offset >= 0)
            lag = hi > pos->elems[i].offset ? hi - pos->elems[i].offset : 0;
        else if (r->assigned->elems[i].offset == 1)
            lag = 0; /* at the end of the partition, with nothing consumed */
        if (lag < 0)
            continue;
        char ps[16];
        snprintf(ps, sizeof ps, "%" PRId32, p);
        const char *lv[2] = {t, ps};
        ds_series_set(ds_metric_series(m->lag, lv), (double)lag);
        const last_ts *l = strcmp(t, r->mtopic) == 0 ? &r->last[2]
                           : strcmp(t, r->cfg->deals_topic) == 0 ? &r->last[1]
                                                                  : &r->last[0];
        int64_t ts = p < l->n ? l->ts[p] : -1;
        if (lag == 0)
            ds_series_set(ds_metric_series(m->time_lag, lv), 0);
        else if (ts >= 0)
            ds_series_set(ds_metric_series(m->time_lag, lv), now > ts ? (double)(now - ts) / 1000.0 : 0);
    }
    rd_kafka_topic_partition_list_destroy(pos);
}

/* The gauges of the state held, unless the worker is resolving mentions
 * in it: they then keep their values of the last scrape. */
static void collect_state(runner *r)
{
    run_metrics *m = &r->mx;
    if (run_resolve_busy(r))
        return;
    size_t blocks = 0, deals = 0, mentions = 0, bytes = 0, fps = 0;
    for (int32_t p = 0; r->rs && p < r->nparts; p++) {
        if (!r->rs[p])
            continue;
        blocks += ds_resolver_blocks(r->rs[p]);
        deals += ds_resolver_deal_count(r->rs[p]);
        mentions += ds_resolver_mentions(r->rs[p]);
        bytes += ds_resolver_packed_bytes(r->rs[p]);
        fps += ds_resolver_fingerprints(r->rs[p]);
    }
    ds_series_set(m->blocks, (double)blocks);
    ds_series_set(m->deals, (double)deals);
    ds_series_set(m->state_mentions, (double)mentions);
    ds_series_set(m->state_bytes, (double)bytes);
    ds_series_set(m->fingerprints, (double)fps);
}

/* Copies the totals of ds_run_stats and computes the gauges. */
static void collect(runner *r)
{
    run_metrics *m = &r->mx;
    char why[320];
    ds_series_set(m->delivery_failures, (double)r->st.delivery_failures);
    ds_series_set(m->mentions, (double)r->st.mentions);
    ds_series_set(m->undated, (double)r->st.undated);
    ds_series_set(m->commits, (double)r->st.commits);
    ds_series_set(m->txn_committed, (double)r->st.transactions);
    ds_series_set(m->txn_aborted, (double)r->st.aborts);
    ds_series_set(m->txn_retries, (double)r->st.txn_retries);
    ds_series_set(m->pauses, (double)r->st.pauses);
    ds_series_set(m->backpressure_pauses, (double)r->st.backpressure_pauses);
    ds_series_set(m->restored_blocks, (double)r->st.restored_blocks);
    ds_series_set(m->restored_records, (double)r->st.restored_records);
    ds_series_set(m->capped, (double)r->st.capped);
    ds_series_set(m->expired, (double)r->st.expired);
    ds_series_set(m->truncated, (double)r->st.truncated);
    collect_state(r);
    ds_series_set(m->assigned, r->assigned ? (double)r->assigned->cnt : 0);
    ds_series_set(m->outq, r->producer ? (double)rd_kafka_outq_len(r->producer) : 0);
    ds_series_set(m->ready, not_ready(r, why, sizeof why) ? 0 : 1);
    collect_lag(r);
    ds_process_metrics_collect(&m->proc);
}

static void on_http(void *opaque, const char *path, ds_http_reply *rep)
{
    runner *r = opaque;
    char buf[320];
    if (strcmp(path, "/metrics") == 0) {
        collect(r);
        rep->status = 200;
        rep->content_type = DS_METRICS_CONTENT_TYPE;
        if (ds_metrics_render(r->mx.reg, rep->body)) {
            rep->status = 500;
            rep->content_type = NULL;
            ds_buf_reset(rep->body);
            ds_buf_append_str(rep->body, "out of memory\n");
        }
    } else if (strcmp(path, "/healthz") == 0 || strcmp(path, "/readyz") == 0) {
        const char *why = path[1] == 'h' ? unhealthy(r, buf, sizeof buf) : not_ready(r, buf, sizeof buf);
        rep->status = why ? 503 : 200;
        ds_buf_printf(rep->body, "%s\n", why ? why : path[1] == 'h' ? "ok" : "ready");
    } else if (strcmp(path, "/") == 0) {
        rep->status = 200;
        ds_buf_append_str(rep->body, "dealstream run: /metrics /healthz /readyz\n");
    }
}

/* Binds the HTTP server unless http.listen is "off" or empty (a port in
 * use is an error at once); it accepts from run_http_listen, once the loop
 * runs. Returns 0 or -1 with a message in err. */
int run_http_start(runner *r, const ds_run_hooks *hooks, char *err, size_t errlen)
{
    const char *listen = r->cfg->http_listen;
    r->hooks = hooks;
    if (!listen || !*listen || strcmp(listen, "off") == 0)
        return 0;
    r->http = ds_http_bind(&r->loop, listen, NULL, on_http, r, err, errlen);
    return r->http ? 0 : -1;
}

int run_http_listen(runner *r, char *err, size_t errlen)
{
    if (!r->http)
        return 0;
    if (ds_http_listen(r->http, err, errlen))
        return -1;
    ds_info("http", "listening on %s: /metrics /healthz /readyz", ds_http_address(r->http));
    if (r->hooks && r->hooks->http_listening)
        r->hooks->http_listening(r->hooks->opaque, ds_http_address(r->http), ds_http_port(r->http));
    return 0;
}
