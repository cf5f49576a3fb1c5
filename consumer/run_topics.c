/* run_topics.c: the topics `run` checks at start. The inputs must exist (run
 * names the missing ones and refuses); <app>-mentions, <app>-state and the
 * canonical topic are created with the Admin API when missing, the last two
 * compacted. Every look-up lists all topics, a request no broker answers by
 * creating one (a topic named in a metadata request is created with the
 * broker's defaults where auto.create.topics.enable is on). May call
 * librdkafka and consumer/kafka.c. */
#include "run_internal.h"

#define CREATE_TIMEOUT_MS 30000
#define CONTROLLER_WAIT_MS 3000

/* Partition counts of the topics named in names[0..n) (-1: missing), from
 * one metadata request for all topics. Returns 0 or -1 with err. */
static int topic_counts(rd_kafka_t *rk, const char *const *names, int n, int *counts, char *err, size_t errlen)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, NULL, &md, METADATA_MS);
    if (e) {
        snprintf(err, errlen, "metadata: %s", rd_kafka_err2str(e));
        return -1;
    }
    for (int k = 0; k < n; k++) {
        counts[k] = -1;
        for (int i = 0; i < md->topic_cnt; i++)
            if (strcmp(md->topics[i].topic, names[k]) == 0 && !md->topics[i].err)
                counts[k] = md->topics[i].partition_cnt;
    }
    rd_kafka_metadata_destroy(md);
    return 0;
}

/* Whether the cluster's controller is one of its brokers. */
static int has_controller(rd_kafka_t *rk)
{
    int32_t ctl = rd_kafka_controllerid(rk, CONTROLLER_WAIT_MS);
    const struct rd_kafka_metadata *md = NULL;
    int found = 0;
    if (ctl < 0 || rd_kafka_metadata(rk, 0, NULL, &md, METADATA_MS))
        return 0;
    for (int i = 0; i < md->broker_cnt; i++)
        found |= md->brokers[i].id == ctl;
    rd_kafka_metadata_destroy(md);
    return found;
}

/* Creates topic with nparts partitions (compacted when compact), waiting for
 * the controller. Returns 0 (also when another instance created it first);
 * 1 when the broker has no CreateTopics (the embedded one); -1 with err. */
static int create_topic(rd_kafka_t *rk, const ds_config *cfg, const char *topic, int nparts, int compact, char *err,
                        size_t errlen)
{
    char e[512];
    int rc = -1;
    int rf = cfg->replication_factor > 0 ? (int)cfg->replication_factor : -1;
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, nparts, rf, e, sizeof e);
    rd_kafka_AdminOptions_t *opt = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_event_t *ev = NULL;
    if (!nt) {
        snprintf(err, errlen, "creating %s: %s", topic, e);
        goto out;
    }
    /* CreateTopics goes to the controller; a cluster whose controller is
     * none of its brokers (the embedded broker) creates topics on a
     * metadata request instead */
    if (!has_controller(rk)) {
        rc = 1;
        goto out;
    }
    if (compact && rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact")) {
        snprintf(err, errlen, "creating %s: cleanup.policy", topic);
        goto out;
    }
    rd_kafka_AdminOptions_set_request_timeout(opt, CREATE_TIMEOUT_MS, e, sizeof e);
    rd_kafka_AdminOptions_set_operation_timeout(opt, CREATE_TIMEOUT_MS, e, sizeof e);
    rd_kafka_CreateTopics(rk, &nt, 1, opt, q);
    ev = rd_kafka_queue_poll(q, CREATE_TIMEOUT_MS + 5000);
    rd_kafka_resp_err_t kerr = ev ? rd_kafka_event_error(ev) : RD_KAFKA_RESP_ERR__TIMED_OUT;
    const char *kmsg = ev && kerr ? rd_kafka_event_error_string(ev) : rd_kafka_err2str(kerr);
    if (!kerr) {
        size_t cnt = 0;
        const rd_kafka_topic_result_t **trs =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
        if (cnt == 1) {
            kerr = rd_kafka_topic_result_error(trs[0]);
            kmsg = rd_kafka_topic_result_error_string(trs[0]);
        }
    }
    if (!kerr || kerr == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        if (!kerr)
            ds_info("run", "created topic %s: %d partition(s), replication factor %s%s", topic, nparts,
                    rf > 0 ? "as --replication-factor" : "the broker's default", compact ? ", compacted" : "");
        rc = 0;
    } else if (kerr == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE || kerr == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION) {
        rc = 1;
    } else {
        snprintf(err, errlen, "creating topic %s (%d partitions%s): %s", topic, nparts, compact ? ", compacted" : "",
                 kmsg ? kmsg : rd_kafka_err2str(kerr));
    }
out:
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(opt);
    if (nt)
        rd_kafka_NewTopic_destroy(nt);
    return rc;
}

/* Waits until the metadata lists topic (just created); a broker without
 * CreateTopics (the embedded one) creates it on this request instead.
 * Returns its partition count, or -1 with err. */
static int await_topic(rd_kafka_t *rk, const char *topic, int by_request, char *err, size_t errlen)
{
    int64_t deadline = ds_mono_ms() + CREATE_TIMEOUT_MS;
    int n = -1;
    while (n < 0 && ds_mono_ms() < deadline) {
        if (by_request) {
            int32_t *parts = NULL;
            char e[256] = "";
            n = ds_kafka_partitions(rk, topic, METADATA_MS, &parts, e, sizeof e);
            free(parts);
        } else if (topic_counts(rk, &topic, 1, &n, err, errlen)) {
            return -1;
        }
        if (n <= 0) {
            n = -1;
            rd_kafka_poll(rk, 100); /* the controller propagates new topics within moments */
        }
    }
    if (n < 0)
        snprintf(err, errlen, "topic %s not listed by the cluster %d s after it was created", topic,
                 CREATE_TIMEOUT_MS / 1000);
    return n;
}

/* Creates a missing topic; returns its partition count, or -1 with err. */
static int ensure_topic(rd_kafka_t *rk, const ds_config *cfg, const char *topic, int nparts, int compact, char *err,
                        size_t errlen)
{
    int c = create_topic(rk, cfg, topic, nparts, compact, err, errlen);
    return c < 0 ? -1 : await_topic(rk, topic, c == 1, err, errlen);
}

/* Sizes the per-partition tables of the runner for nparts partitions. */
static int size_tables(runner *r, int nparts, char *err, size_t errlen)
{
    r->nparts = nparts;
    r->rs = calloc((size_t)nparts, sizeof *r->rs);
    r->produced_hi = malloc((size_t)nparts * sizeof *r->produced_hi);
    r->consumed_next = calloc((size_t)nparts, sizeof *r->consumed_next);
    r->committed_seen = malloc((size_t)nparts * sizeof *r->committed_seen);
    r->ref_owners = malloc((size_t)nparts * sizeof *r->ref_owners);
    if (!r->rs || !r->produced_hi || !r->consumed_next || !r->committed_seen || !r->ref_owners) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    ds_partitioner_fn fn = ds_kafka_partitioner(r->cfg);
    for (int p = 0; p < nparts; p++) {
        r->produced_hi[p] = r->committed_seen[p] = -1;
        r->ref_owners[p] = (ds_block_owner){fn, p, nparts};
    }
    return 0;
}

int run_check_topics(runner *r, char *err, size_t errlen)
{
    const ds_config *cfg = r->cfg;
    enum { ARTICLES, DEALS, MENTIONS, STATE, CANONICAL, NTOPICS };
    const char *names[NTOPICS] = {cfg->articles_topic, cfg->deals_topic, r->mtopic, r->stopic,
                                  cfg->canonical_topic};
    int n[NTOPICS];
    if (topic_counts(r->producer, names, NTOPICS, n, err, errlen))
        return -1;
    if (n[ARTICLES] < 0 || n[DEALS] < 0) {
        snprintf(err, errlen, "input topic%s %s%s%s not found on the cluster: create %s (run creates only %s, %s and %s)",
                 n[ARTICLES] < 0 && n[DEALS] < 0 ? "s" : "", n[ARTICLES] < 0 ? names[ARTICLES] : "",
                 n[ARTICLES] < 0 && n[DEALS] < 0 ? " and " : "", n[DEALS] < 0 ? names[DEALS] : "",
                 n[ARTICLES] < 0 && n[DEALS] < 0 ? "them" : "it", r->mtopic, r->stopic, names[CANONICAL]);
        return -1;
    }
    /* one count for the two internal topics: the existing one's, else the option's */
    int want = cfg->topic_partitions > 0 ? (int)cfg->topic_partitions : n[ARTICLES];
    if (n[MENTIONS] > 0)
        want = n[MENTIONS];
    else if (n[STATE] > 0)
        want = n[STATE];
    if (n[MENTIONS] < 0 && (n[MENTIONS] = ensure_topic(r->producer, cfg, r->mtopic, want, 0, err, errlen)) < 0)
        return -1;
    if (n[STATE] < 0 && (n[STATE] = ensure_topic(r->producer, cfg, r->stopic, want, 1, err, errlen)) < 0)
        return -1;
    int canon = cfg->topic_partitions > 0 ? (int)cfg->topic_partitions : n[ARTICLES];
    if (n[CANONICAL] < 0 && ensure_topic(r->producer, cfg, names[CANONICAL], canon, 1, err, errlen) < 0)
        return -1;
    if (n[MENTIONS] != n[STATE] || n[MENTIONS] == 0) {
        snprintf(err, errlen,
                 "%s has %d partition(s) and %s has %d: they must be equal and non-zero, since partition p of "
                 "the changelog holds the state of partition p of the mentions (recreate %s with %d)",
                 r->mtopic, n[MENTIONS], r->stopic, n[STATE], r->stopic, n[MENTIONS]);
        return -1;
    }
    r->subscribed_parts = n[ARTICLES] + n[DEALS] + n[MENTIONS];
    return size_tables(r, n[MENTIONS], err, errlen);
}
