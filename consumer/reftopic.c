/* reftopic.c: the reference table read from a compacted topic into a catalog
 * (see reftopic.h). May call common/, core/catalog, consumer/kafka. */
#include "reftopic.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "buf.h"
#include "kafka.h"
#include "log.h"
#include "util.h"

const char ds_reftopic_header[] = "ref\tsigned\tplace\tbuyer\tseller\tsupplier\tsystem_family\tvariants\tquantity\t"
                                  "value_amount\tvalue_currency\tvalue_usd\tstage\tbatch\tparent";

typedef struct rec {
    char *key;
    char *value; /* NULL: tombstone */
    int32_t partition;
    int64_t offset;
    int64_t ts; /* the record's timestamp, ms; -1 when it has none */
} rec;

typedef struct recs {
    rec *r;
    size_t n, cap;
} recs;

static void recs_free(recs *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        free(rs->r[i].key);
        free(rs->r[i].value);
    }
    free(rs->r);
}

static int rec_cmp(const void *pa, const void *pb)
{
    const rec *a = pa, *b = pb;
    int c = strcmp(a->key, b->key);
    if (c)
        return c;
    if (a->partition != b->partition)
        return a->partition < b->partition ? -1 : 1;
    return a->offset < b->offset ? -1 : a->offset > b->offset;
}

static char *dup_bytes(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

/* Reads every partition of topic from its start to the end seen now. */
/* Appends a copy of record m (key, value, position, timestamp) to out.
 * Returns 0, or -1 with err set: a record without a key, or no memory. */
static int keep_record(const char *topic, const rd_kafka_message_t *m, recs *out, char *err, size_t errlen)
{
    if (!m->key || m->key_len == 0) {
        snprintf(err, errlen, "reference topic %s [%" PRId32 "] offset %" PRId64 ": record without a key", topic,
                 m->partition, m->offset);
        return -1;
    }
    if (ds_reserve(&out->r, &out->cap, out->n + 1, sizeof *out->r, 64))
        goto nomem;
    rec *r = &out->r[out->n];
    r->key = dup_bytes(m->key, m->key_len);
    r->value = m->payload ? dup_bytes(m->payload, m->len) : NULL;
    r->partition = m->partition;
    r->offset = m->offset;
    r->ts = rd_kafka_message_timestamp(m, NULL);
    if (!r->key || (m->payload && !r->value)) {
        free(r->key);
        free(r->value);
        goto nomem;
    }
    out->n++;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
    return -1;
}

/* Assigns rk every partition 0..np-1 of topic that holds records, from its
 * low watermark; next[i] is set to the low and hi[i] to the high
 * watermark, both asked of wm (read_uncommitted: the high watermark, where
 * rk's read_committed query would give the last stable offset, short of a
 * transaction open or not yet marked). Returns the number of partitions
 * assigned (0: the topic is empty), or -1 with err set. */
static int assign_to_ends(rd_kafka_t *rk, rd_kafka_t *wm, const char *topic, int np, int timeout_ms, int64_t *next,
                          int64_t *hi, char *err, size_t errlen)
{
    rd_kafka_topic_partition_list_t *a = rd_kafka_topic_partition_list_new(np);
    int open = 0;
    for (int32_t p = 0; p < np; p++) {
        int64_t lo = 0;
        rd_kafka_resp_err_t ke = rd_kafka_query_watermark_offsets(wm, topic, p, &lo, &hi[p], timeout_ms);
        if (ke) {
            rd_kafka_topic_partition_list_destroy(a);
            snprintf(err, errlen, "reference topic %s [%" PRId32 "]: %s", topic, p, rd_kafka_err2str(ke));
            return -1;
        }
        next[p] = lo;
        if (hi[p] > lo) {
            rd_kafka_topic_partition_list_add(a, topic, p)->offset = lo;
            open++;
        }
    }
    rd_kafka_resp_err_t ke = open ? rd_kafka_assign(rk, a) : RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_topic_partition_list_destroy(a);
    if (ke) {
        snprintf(err, errlen, "reference topic %s: assign: %s", topic, rd_kafka_err2str(ke));
        return -1;
    }
    return open;
}

/* Whether the end-of-partition event m, at offset m->offset of partition
 * i, reaches hi[i] (its high watermark when the read began): below it, the
 * event is at the last stable offset, held by a transaction open below the
 * end (or committed, its markers not yet written), which the read waits
 * for, telling it once; ends[i] keeps the wait. */
static int partition_done(const char *topic, rd_kafka_t *rk, const rd_kafka_message_t *m, const int64_t *hi,
                          ds_kafka_end *ends)
{
    int32_t i = m->partition;
    int at = ds_kafka_end_at(rk, topic, i, m->offset, &ends[i]);
    if (at == DS_KAFKA_END_WAITS)
        ds_info("catalog",
                "reference topic %s [%" PRId32 "]: waiting at offset %" PRId64 " (the last stable offset) for the "
                "transaction open below the high watermark %" PRId64 " to end before the table is loaded",
                topic, i, m->offset, hi[i]);
    return at == 1;
}

/* The error of a read not done within timeout_ms, naming a wait for a
 * transaction when one is under way. */
static void timed_out(const char *topic, int np, const int64_t *hi, const int64_t *next, const ds_kafka_end *ends,
                      int timeout_ms, char *err, size_t errlen)
{
    for (int p = 0; p < np; p++)
        if (next[p] < hi[p] && ends[p].waiting >= 0) {
            snprintf(err, errlen,
                     "reference topic %s [%d]: not read to its end after %d ms: a transaction open below the high "
                     "watermark %" PRId64 " did not end (waiting at offset %" PRId64 ")",
                     topic, p, timeout_ms, hi[p], ends[p].waiting);
            return;
        }
    snprintf(err, errlen, "reference topic %s: not read to its end after %d ms", topic, timeout_ms);
}

/* Reads every record of topic, from each partition's start to the high
 * watermark it had when the read began, into out (in arrival order): every
 * record committed by then, waiting for transactions open below it.
 * Returns 0, or -1 with err set (the topic missing, a record without a
 * key, a fatal consumer error, or the end not reached within timeout_ms). */
static int read_topic(const ds_config *cfg, const char *topic, int timeout_ms, recs *out, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = ds_kafka_conf(cfg, err, errlen);
    if (!conf)
        return -1;
    char group[300];
    snprintf(group, sizeof group, "%s.reference", cfg->app_id ? cfg->app_id : "dealstream");
    rd_kafka_t *rk = ds_kafka_reader(conf, group, err, errlen);
    if (!rk)
        return -1;
    int rc = -1;
    int64_t *hi = NULL, *next = NULL;
    ds_kafka_end *ends = NULL;
    rd_kafka_t *wm = ds_kafka_watermarks_handle(cfg, err, errlen);
    if (!wm)
        goto out;
    char e[512];
    int np = ds_kafka_topic_partition_count(rk, topic, timeout_ms, e, sizeof e);
    if (np <= 0) {
        snprintf(err, errlen, "reference topic %s: %s", topic, np < 0 ? e : "does not exist");
        goto out;
    }
    hi = calloc((size_t)np, sizeof *hi);
    next = calloc((size_t)np, sizeof *next);
    ends = calloc((size_t)np, sizeof *ends);
    if (!hi || !next || !ends) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    int open = assign_to_ends(rk, wm, topic, np, timeout_ms, next, hi, err, errlen);
    if (open < 0)
        goto out;
    for (int p = 0; p < np; p++)
        ds_kafka_end_init(&ends[p], hi[p]);
    int64_t deadline = ds_mono_ms() + timeout_ms;
    while (open > 0) {
        int64_t left = deadline - ds_mono_ms();
        if (left <= 0) {
            timed_out(topic, np, hi, next, ends, timeout_ms, err, errlen);
            goto out;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, (int)(left < 500 ? left : 500));
        if (!m)
            continue;
        int32_t i = m->partition;
        if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            snprintf(err, errlen, "reference topic %s: %s", topic, rd_kafka_message_errstr(m));
            int fatal = m->err == RD_KAFKA_RESP_ERR__FATAL;
            rd_kafka_message_destroy(m);
            if (fatal)
                goto out;
            continue;
        }
        if (i < 0 || i >= np || next[i] >= hi[i]) {
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (partition_done(topic, rk, m, hi, ends))
                next[i] = hi[i]; /* markers or compacted-away offsets up to the end */
        } else {
            next[i] = m->offset + 1;
            if (keep_record(topic, m, out, err, errlen)) {
                rd_kafka_message_destroy(m);
                goto out;
            }
        }
        if (next[i] >= hi[i])
            open--;
        rd_kafka_message_destroy(m);
    }
    rc = 0;
out:
    free(hi);
    free(next);
    free(ends);
    if (wm)
        rd_kafka_destroy(wm);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}

/* The record that stands for the key of rs->r[first]; *end is set past that
 * key's records. Within a partition the last offset is the latest. A key
 * that is in several partitions (the topic was written with another
 * partitioner, or repartitioned) has no order between them: the record
 * with the newest timestamp wins, the earlier partition on a tie, and the
 * ambiguity is logged. */
static const rec *latest(const recs *rs, size_t first, size_t *end)
{
    const rec *best = NULL;
    size_t e = first, parts = 0;
    while (e < rs->n && strcmp(rs->r[e].key, rs->r[first].key) == 0)
        e++;
    for (size_t i = first; i < e; i++) {
        if (i + 1 < e && rs->r[i + 1].partition == rs->r[i].partition)
            continue;
        parts++;
        if (!best || rs->r[i].ts > best->ts)
            best = &rs->r[i];
    }
    if (parts > 1)
        ds_warn("catalog",
                "reference key %s is in %zu partitions; the record at [%" PRId32 "] offset %" PRId64
                " has the newest timestamp and is taken (publish with `dealstream produce --type reference`, "
                "which keeps each key in one partition)",
                best->key, parts, best->partition, best->offset);
    *end = e;
    return best;
}

ds_catalog *ds_reftopic_catalog(const ds_config *cfg, int timeout_ms, char *err, size_t errlen)
{
    if (!cfg->reference_topic || !cfg->reference_topic[0])
        return ds_catalog_load(cfg->catalog_dir, err, errlen);
    const char *topic = cfg->reference_topic;
    recs rs = {0};
    ds_catalog *cat = NULL;
    ds_buf text;
    ds_buf_init(&text);
    char **labels = NULL;
    if (read_topic(cfg, topic, timeout_ms, &rs, err, errlen))
        goto out;
    /* each key's records in partition and offset order */
    if (rs.n)
        qsort(rs.r, rs.n, sizeof *rs.r, rec_cmp);
    labels = calloc(rs.n + 2, sizeof *labels);
    if (!labels || ds_buf_append(&text, ds_reftopic_header, strlen(ds_reftopic_header)) ||
        ds_buf_append(&text, "\n", 1)) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    size_t line = 1, rows = 0, removed = 0;
    for (size_t i = 0, end; i < rs.n; i = end) {
        const rec *r = latest(&rs, i, &end);
        if (!r->value) {
            removed++;
            continue;
        }
        char where[512];
        snprintf(where, sizeof where, "reference topic %s [%" PRId32 "] offset %" PRId64 " (key %s)", topic,
                 r->partition, r->offset, r->key);
        size_t klen = strlen(r->key);
        if (strchr(r->value, '\n') || strchr(r->value, '\r')) {
            snprintf(err, errlen, "%s: the value must be one row of reference.tsv, without line breaks", where);
            goto out;
        }
        if (strncmp(r->value, r->key, klen) != 0 || r->value[klen] != '\t') {
            snprintf(err, errlen, "%s: the row's ref column does not match the key", where);
            goto out;
        }
        if (!(labels[++line] = strdup(where)) || ds_buf_append(&text, r->value, strlen(r->value)) ||
            ds_buf_append(&text, "\n", 1)) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        rows++;
    }
    if (rows == 0) {
        snprintf(err, errlen,
                 "reference topic %s holds no row (%zu record(s) read, %zu tombstone(s)); publish a table with "
                 "`dealstream produce --type reference -t %s reference.tsv`",
                 topic, rs.n, removed, topic);
        goto out;
    }
    char origin[300];
    snprintf(origin, sizeof origin, "reference topic %s", topic);
    cat = ds_catalog_load_refs(cfg->catalog_dir, (const char *)text.data, text.len, origin,
                               (const char *const *)labels, line + 1, err, errlen);
    if (cat)
        ds_info("catalog", "reference table: %zu row(s) from topic %s (%zu record(s) read, %zu removed by tombstones)",
                rows, topic, rs.n, removed);
out:
    for (size_t i = 0; labels && i < rs.n + 2; i++)
        free(labels[i]);
    free(labels);
    ds_buf_free(&text);
    recs_free(&rs);
    return cat;
}
