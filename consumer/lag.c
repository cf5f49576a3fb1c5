/* lag.c: consumer lag of any group, with a windowed status, the member of
 * each partition, and its table, JSON and Prometheus forms (see lag.h). May
 * call consumer/ (group, members) and common/. */
#include "lag.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "group.h"
#include "log.h"
#include "members.h"
#include "util.h"

/* How long one observation may wait for each kind of answer. */
#define LAG_TIMEOUT_MS 10000
#define LAG_PEEK_TIMEOUT_MS 5000

/* ---- status rules (pure) ------------------------------------------------ */

void ds_lag_track_init(ds_lag_track *t, int window)
{
    memset(t, 0, sizeof *t);
    t->window = window < 1 ? 1 : window > DS_LAG_WINDOW_MAX ? DS_LAG_WINDOW_MAX : window;
}

void ds_lag_track_add(ds_lag_track *t, ds_lag_obs o)
{
    if (t->n == 0 || t->obs[t->n - 1].committed != o.committed)
        t->since_ms = o.ts_ms;
    if (t->n == t->window) {
        memmove(t->obs, t->obs + 1, sizeof t->obs[0] * (size_t)(t->n - 1));
        t->n--;
    }
    t->obs[t->n++] = o;
}

ds_lag_status ds_lag_track_status(const ds_lag_track *t)
{
    const ds_lag_obs *o = t->obs;
    int n = t->n;
    for (int i = 1; i < n; i++)
        if (o[i - 1].committed >= 0 && o[i].committed >= 0 && o[i].committed < o[i - 1].committed)
            return DS_LAG_REWIND;
    if (n < 2 || n < t->window)
        return DS_LAG_OK;
    if (o[n - 1].lag > 0 && t->since_ms < o[0].ts_ms)
        return DS_LAG_STOP;
    int same = 1, lagging = 1, growing = 1;
    for (int i = 0; i < n; i++) {
        lagging &= o[i].lag > 0;
        if (i > 0) {
            same &= o[i].committed == o[0].committed;
            growing &= o[i].lag > o[i - 1].lag;
        }
    }
    if (same && lagging)
        return DS_LAG_STALL;
    if (growing)
        return DS_LAG_WARN;
    return DS_LAG_OK;
}

ds_lag_status ds_lag_combine(const ds_lag_status *st, size_t n)
{
    ds_lag_status out = DS_LAG_OK;
    for (size_t i = 0; i < n; i++) {
        if (st[i] == DS_LAG_STALL || st[i] == DS_LAG_STOP || st[i] == DS_LAG_REWIND || st[i] == DS_LAG_ERR)
            return DS_LAG_ERR;
        if (st[i] == DS_LAG_WARN)
            out = DS_LAG_WARN;
    }
    return out;
}

const char *ds_lag_status_name(ds_lag_status s)
{
    switch (s) {
    case DS_LAG_OK:
        return "OK";
    case DS_LAG_WARN:
        return "WARN";
    case DS_LAG_STALL:
        return "STALL";
    case DS_LAG_STOP:
        return "STOP";
    case DS_LAG_REWIND:
        return "REWIND";
    case DS_LAG_ERR:
        return "ERR";
    }
    return "?";
}

int ds_lag_exit_code(ds_lag_status s)
{
    return s == DS_LAG_OK ? 0 : s == DS_LAG_WARN ? DS_LAG_EXIT_WARN : DS_LAG_EXIT_ERR;
}

/* ---- observation ---------------------------------------------------------- */

struct ds_lag {
    const ds_config *cfg;
    ds_group *g;
    ds_lag_part *parts;
    size_t nparts;
    int window;
    int nobs;        /* observations taken so far */
    int64_t time_ms; /* of the last observation */
};

static void free_member(ds_lag_part *p)
{
    free(p->consumer_id);
    free(p->host);
    free(p->client_id);
    p->consumer_id = p->host = p->client_id = NULL;
}

/* Who owns each partition now. A broker that cannot describe groups, or a
 * failed description, leaves the columns empty: lag is about offsets. */
static void observe_members(ds_lag *lag)
{
    ds_members mm;
    char err[512];
    int rc = ds_members_describe(ds_group_handle(lag->g), ds_group_name(lag->g), LAG_TIMEOUT_MS, &mm, err, sizeof err);
    for (size_t i = 0; i < lag->nparts; i++) {
        ds_lag_part *p = &lag->parts[i];
        free_member(p);
        const ds_member *m = rc == 0 ? ds_members_owner(&mm, p->topic, p->partition) : NULL;
        if (m) {
            p->consumer_id = strdup(m->member_id);
            p->host = strdup(m->host);
            p->client_id = strdup(m->client_id);
        }
    }
    if (rc == 0)
        ds_members_free(&mm);
    else if (rc != DS_MEMBERS_EUNSUPPORTED)
        ds_debug("lag", "%s", err);
}

void ds_lag_destroy(ds_lag *lag)
{
    if (!lag)
        return;
    for (size_t i = 0; i < lag->nparts; i++) {
        free(lag->parts[i].topic);
        free_member(&lag->parts[i]);
    }
    free(lag->parts);
    ds_group_destroy(lag->g);
    free(lag);
}

ds_lag *ds_lag_new(const ds_config *cfg, const char *group, const char *topics, int window, char *err,
                   size_t errlen)
{
    rd_kafka_topic_partition_list_t *list = NULL;
    ds_lag *lag = calloc(1, sizeof *lag);
    if (!lag) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    lag->cfg = cfg;
    lag->window = window;
    if (!(lag->g = ds_group_new(cfg, group, err, errlen)))
        goto err;
    if (topics) {
        list = ds_group_topic_partitions(lag->g, topics, 0, LAG_TIMEOUT_MS, err, errlen);
    } else {
        list = ds_group_list(lag->g, LAG_TIMEOUT_MS, err, errlen);
        if (list && list->cnt == 0) {
            snprintf(err, errlen,
                     "the broker listed no committed offsets for group %s: either it has none, or the broker "
                     "cannot list a group's offsets without topics (the embedded broker cannot); give --topic T",
                     group);
            goto err;
        }
    }
    if (!list)
        goto err;
    rd_kafka_topic_partition_list_sort(list, NULL, NULL); /* topic, then partition */
    lag->parts = calloc((size_t)list->cnt, sizeof *lag->parts);
    if (!lag->parts) {
        snprintf(err, errlen, "out of memory");
        goto err;
    }
    for (int i = 0; i < list->cnt; i++) {
        ds_lag_part *p = &lag->parts[lag->nparts++];
        if (!(p->topic = strdup(list->elems[i].topic))) {
            snprintf(err, errlen, "out of memory");
            goto err;
        }
        p->partition = list->elems[i].partition;
        p->committed = DS_LAG_NONE;
        p->time_lag_ms = -1;
        ds_lag_track_init(&p->track, window);
    }
    rd_kafka_topic_partition_list_destroy(list);
    return lag;
err:
    if (list)
        rd_kafka_topic_partition_list_destroy(list);
    ds_lag_destroy(lag);
    return NULL;
}

/* What one observation reads of one partition. */
typedef struct lag_read {
    int64_t committed; /* the group's, or < 0 for none */
    int64_t lo, hi;    /* log start, high watermark */
    int64_t lso;       /* last stable offset */
    int64_t ts;        /* timestamp at the committed offset, or DS_PEEK_* */
    int64_t end;       /* at DS_PEEK_END: where the read_committed read ended */
} lag_read;

/* Committed offsets first, then the log ends: a commit racing the look-up
 * then shows as lag, never as a negative lag. None of these reads waits for
 * an open transaction. Returns 0 or -1 with err set. */
static int read_offsets(ds_lag *lag, lag_read *rd, char *err, size_t errlen)
{
    size_t n = lag->nparts;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(list, lag->parts[i].topic, lag->parts[i].partition);
    int rc = ds_group_committed(lag->g, list, LAG_TIMEOUT_MS, err, errlen);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const ds_lag_part *p = &lag->parts[i];
        rd[i].committed = list->elems[i].offset;
        if (ds_group_watermarks(lag->g, p->topic, p->partition, &rd[i].lo, &rd[i].hi, LAG_TIMEOUT_MS, err, errlen) ||
            ds_group_last_stable(lag->g, p->topic, p->partition, &rd[i].lso, LAG_TIMEOUT_MS, err, errlen))
            rc = -1;
    }
    rd_kafka_topic_partition_list_destroy(list);
    return rc;
}

/* The timestamp of the oldest unconsumed message of every partition that
 * lags, read read_committed, as the group's consumers read. Where that read
 * ends below the high watermark, an open transaction holds the consumer
 * back: its oldest unconsumed message is the transaction's first, read
 * again read_uncommitted. Returns 0 or -1 with err set. */
static int read_oldest(ds_lag *lag, lag_read *rd, char *err, size_t errlen)
{
    size_t n = lag->nparts;
    int64_t *ts = calloc(n + 1, sizeof *ts), *end = calloc(n + 1, sizeof *end);
    rd_kafka_topic_partition_list_t *at = rd_kafka_topic_partition_list_new((int)n);
    int rc = ts && end ? 0 : -1, stuck = 0;
    if (rc)
        snprintf(err, errlen, "out of memory");
    for (int pass = 0; rc == 0 && pass < 2 && (pass == 0 || stuck); pass++) {
        rd_kafka_topic_partition_list_destroy(at);
        at = rd_kafka_topic_partition_list_new((int)n);
        for (size_t i = 0; i < n; i++) {
            int64_t c = rd[i].committed;
            int want = pass == 0 ? (c >= 0 ? rd[i].hi - c : rd[i].hi - rd[i].lo) > 0
                                 : rd[i].ts == DS_PEEK_END && rd[i].end < rd[i].hi;
            rd_kafka_topic_partition_list_add(at, lag->parts[i].topic, lag->parts[i].partition)->offset =
                !want ? RD_KAFKA_OFFSET_INVALID : c >= 0 ? c : RD_KAFKA_OFFSET_BEGINNING;
        }
        if (ds_group_peek(lag->cfg, at, pass, ts, end, LAG_PEEK_TIMEOUT_MS, err, errlen)) {
            rc = -1;
            break;
        }
        for (size_t i = 0; i < n; i++) {
            if (pass == 0) {
                rd[i].ts = ts[i];
                rd[i].end = ts[i] == DS_PEEK_END ? end[i] : -1;
                stuck |= ts[i] == DS_PEEK_END && end[i] < rd[i].hi;
            } else if (at->elems[i].offset != RD_KAFKA_OFFSET_INVALID) {
                rd[i].ts = ts[i] >= 0 ? ts[i] : DS_PEEK_UNKNOWN;
            }
        }
    }
    rd_kafka_topic_partition_list_destroy(at);
    free(ts);
    free(end);
    return rc;
}

/* A partition's figures from what was read, and its status. */
static void apply_read(ds_lag_part *p, const lag_read *rd, int64_t now)
{
    int64_t c = rd->committed;
    p->committed = c >= 0 ? c : DS_LAG_NONE;
    p->log_start = rd->lo;
    p->log_end = rd->hi;
    p->last_stable = rd->lso;
    p->lag = c >= 0 ? rd->hi - c : rd->hi - rd->lo;
    if (p->lag < 0)
        p->lag = 0;
    /* the read_committed read reached the high watermark: nothing is left
     * but transaction markers or aborted data */
    p->markers = p->lag > 0 && rd->ts == DS_PEEK_END && rd->end >= rd->hi;
    if (p->lag == 0 || p->markers) {
        p->lag = 0;
        p->time_lag_ms = 0;
    } else {
        p->time_lag_ms = rd->ts >= 0 ? (now > rd->ts ? now - rd->ts : 0) : -1;
    }
    ds_lag_track_add(&p->track, (ds_lag_obs){.ts_ms = now, .committed = p->committed, .lag = p->lag});
    p->status = ds_lag_track_status(&p->track);
}

int ds_lag_observe(ds_lag *lag, char *err, size_t errlen)
{
    lag_read *rd = calloc(lag->nparts + 1, sizeof *rd);
    if (!rd) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (read_offsets(lag, rd, err, errlen) || read_oldest(lag, rd, err, errlen)) {
        free(rd);
        return -1;
    }
    int64_t now = ds_now_ms();
    for (size_t i = 0; i < lag->nparts; i++)
        apply_read(&lag->parts[i], &rd[i], now);
    free(rd);
    observe_members(lag);
    lag->time_ms = now;
    lag->nobs++;
    return 0;
}

const ds_lag_part *ds_lag_parts(const ds_lag *lag, size_t *n)
{
    *n = lag->nparts;
    return lag->parts;
}

/* Status of the partitions [from, to). */
static ds_lag_status combine_range(const ds_lag *lag, size_t from, size_t to)
{
    ds_lag_status out = DS_LAG_OK;
    for (size_t i = from; i < to; i++) {
        ds_lag_status s = ds_lag_combine(&lag->parts[i].status, 1);
        if (s == DS_LAG_ERR)
            return s;
        if (s == DS_LAG_WARN)
            out = s;
    }
    return out;
}

ds_lag_status ds_lag_group_status(const ds_lag *lag) { return combine_range(lag, 0, lag->nparts); }

/* The end of the run of partitions of the topic that starts at i. */
static size_t topic_end(const ds_lag *lag, size_t i)
{
    size_t j = i + 1;
    while (j < lag->nparts && strcmp(lag->parts[j].topic, lag->parts[i].topic) == 0)
        j++;
    return j;
}

static void totals(const ds_lag *lag, size_t from, size_t to, int64_t *sum, int64_t *tmax)
{
    *sum = 0;
    *tmax = 0;
    for (size_t i = from; i < to; i++) {
        *sum += lag->parts[i].lag;
        if (lag->parts[i].time_lag_ms < 0)
            *tmax = -1; /* one unknown makes the maximum unknown */
        else if (*tmax >= 0 && lag->parts[i].time_lag_ms > *tmax)
            *tmax = lag->parts[i].time_lag_ms;
    }
}

static void format_time(int64_t ms, char *out, size_t cap)
{
    if (ms < 0) {
        snprintf(out, cap, "-");
        return;
    }
    int64_t s = ms / 1000;
    if (s < 60)
        snprintf(out, cap, "%.1fs", (double)ms / 1000.0);
    else if (s < 3600)
        snprintf(out, cap, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
    else if (s < 86400)
        snprintf(out, cap, "%" PRId64 "h%02" PRId64 "m", s / 3600, s % 3600 / 60);
    else
        snprintf(out, cap, "%" PRId64 "d%02" PRId64 "h", s / 86400, s % 86400 / 3600);
}

static void format_iso(int64_t ms, char *out, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

json_t *ds_lag_json(const ds_lag *lag)
{
    char iso[64];
    format_iso(lag->time_ms, iso, sizeof iso);
    int64_t sum, tmax;
    totals(lag, 0, lag->nparts, &sum, &tmax);
    json_t *o = json_object();
    json_object_set_new(o, "time", json_string(iso));
    json_object_set_new(o, "group", json_string(ds_group_name(lag->g)));
    json_object_set_new(o, "status", json_string(ds_lag_status_name(ds_lag_group_status(lag))));
    json_object_set_new(o, "window", json_integer(lag->window));
    json_object_set_new(o, "observations", json_integer(lag->nobs < lag->window ? lag->nobs : lag->window));
    json_object_set_new(o, "lag", json_integer(sum));
    json_object_set_new(o, "time_lag_ms", tmax >= 0 ? json_integer(tmax) : json_null());
    json_t *topics = json_array();
    for (size_t i = 0; i < lag->nparts;) {
        size_t end = topic_end(lag, i);
        totals(lag, i, end, &sum, &tmax);
        json_t *t = json_object();
        json_object_set_new(t, "topic", json_string(lag->parts[i].topic));
        json_object_set_new(t, "status", json_string(ds_lag_status_name(combine_range(lag, i, end))));
        json_object_set_new(t, "lag", json_integer(sum));
        json_object_set_new(t, "time_lag_ms", tmax >= 0 ? json_integer(tmax) : json_null());
        json_t *parts = json_array();
        for (; i < end; i++) {
            const ds_lag_part *p = &lag->parts[i];
            json_t *j = json_object();
            json_object_set_new(j, "partition", json_integer(p->partition));
            json_object_set_new(j, "committed", p->committed >= 0 ? json_integer(p->committed) : json_null());
            json_object_set_new(j, "log_start", json_integer(p->log_start));
            json_object_set_new(j, "log_end", json_integer(p->log_end));
            json_object_set_new(j, "last_stable", json_integer(p->last_stable));
            json_object_set_new(j, "lag", json_integer(p->lag));
            json_object_set_new(j, "time_lag_ms", p->time_lag_ms >= 0 ? json_integer(p->time_lag_ms) : json_null());
            json_object_set_new(j, "status", json_string(ds_lag_status_name(p->status)));
            json_object_set_new(j, "markers", json_boolean(p->markers));
            json_object_set_new(j, "consumer_id", p->consumer_id ? json_string(p->consumer_id) : json_null());
            json_object_set_new(j, "host", p->host ? json_string(p->host) : json_null());
            json_object_set_new(j, "client_id", p->client_id ? json_string(p->client_id) : json_null());
            json_array_append_new(parts, j);
        }
        json_object_set_new(t, "partitions", parts);
        json_array_append_new(topics, t);
    }
    json_object_set_new(o, "topics", topics);
    return o;
}

/* One partition's row: the figures, then kafka-consumer-groups' member
 * columns. Returns 1 when its lag of 0 stands for transaction markers, 2
 * when an open transaction holds the group back (the last stable offset is
 * below the log end and at or below the committed offset), 0 else. */
static int print_part(const ds_lag_part *p, FILE *out)
{
    char c[24], l[24], tl[32];
    if (p->committed >= 0)
        snprintf(c, sizeof c, "%" PRId64, p->committed);
    else
        snprintf(c, sizeof c, "-");
    format_time(p->time_lag_ms, tl, sizeof tl);
    int held = p->last_stable < p->log_end && p->lag > 0 && p->last_stable <= (p->committed >= 0 ? p->committed : p->log_start);
    snprintf(l, sizeof l, "%" PRId64 "%s", p->lag, p->markers ? "*" : held ? "+" : "");
    fprintf(out, "%-24s %9d %12s %12" PRId64 " %12" PRId64 " %12" PRId64 " %10s %9s %-7s %s %s %s\n", p->topic,
            (int)p->partition, c, p->log_start, p->log_end, p->last_stable, l, tl, ds_lag_status_name(p->status),
            p->consumer_id ? p->consumer_id : "-", p->host ? p->host : "-", p->client_id ? p->client_id : "-");
    return p->markers ? 1 : held ? 2 : 0;
}

void ds_lag_print(const ds_lag *lag, FILE *out)
{
    char iso[64], tl[32];
    format_iso(lag->time_ms, iso, sizeof iso);
    int w = lag->window, nobs = lag->nobs < w ? lag->nobs : w;
    fprintf(out, "group %s at %s: %s (window %d of %d observations)\n", ds_group_name(lag->g), iso,
            ds_lag_status_name(ds_lag_group_status(lag)), nobs, w);
    fprintf(out, "%-24s %9s %12s %12s %12s %12s %10s %9s %-7s %s %s %s\n", "TOPIC", "PARTITION", "COMMITTED",
            "LOG-START", "LOG-END", "LAST-STABLE", "LAG", "TIME-LAG", "STATUS", "CONSUMER-ID", "HOST", "CLIENT-ID");
    int64_t sum, tmax;
    int notes = 0; /* bit 1 << print_part() */
    for (size_t i = 0; i < lag->nparts;) {
        size_t end = topic_end(lag, i);
        const char *topic = lag->parts[i].topic;
        size_t from = i;
        for (; i < end; i++)
            notes |= 1 << print_part(&lag->parts[i], out);
        totals(lag, from, end, &sum, &tmax);
        format_time(tmax, tl, sizeof tl);
        fprintf(out, "%-24s %9s %12s %12s %12s %12s %10" PRId64 " %9s %s\n", topic, "total", "", "", "", "", sum, tl,
                ds_lag_status_name(combine_range(lag, from, end)));
    }
    totals(lag, 0, lag->nparts, &sum, &tmax);
    format_time(tmax, tl, sizeof tl);
    fprintf(out, "%-24s %9s %12s %12s %12s %12s %10" PRId64 " %9s %s\n", "(group)", "total", "", "", "", "", sum, tl,
            ds_lag_status_name(ds_lag_group_status(lag)));
    if (notes & 1 << 1)
        fprintf(out, "* LAG 0 although LOG-END > COMMITTED: what lies between is transaction markers (or aborted "
                     "records), which a consumer never receives.\n");
    if (notes & 1 << 2)
        fprintf(out, "+ held back by an open transaction: a read_committed consumer reads no further than "
                     "LAST-STABLE until the transaction commits, aborts or times out.\n");
}

/* ---- Prometheus text ---------------------------------------------------------- */

/* A label value with \\, \" and \n escaped, as the text format wants. */
static void put_label(FILE *out, const char *name, const char *value, int first)
{
    fprintf(out, "%s%s=\"", first ? "" : ",", name);
    for (const char *s = value ? value : ""; *s; s++) {
        if (*s == '\\' || *s == '"')
            fputc('\\', out);
        if (*s == '\n')
            fputs("\\n", out);
        else
            fputc(*s, out);
    }
    fputc('"', out);
}

static void family(FILE *out, const char *name, const char *help)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* name{group,topic,partition[,extra...]} (the braces left open). */
static void part_series(FILE *out, const char *name, const ds_lag *lag, const ds_lag_part *p)
{
    char part[16];
    snprintf(part, sizeof part, "%d", (int)p->partition);
    fprintf(out, "%s{", name);
    put_label(out, "group", ds_group_name(lag->g), 1);
    put_label(out, "topic", p->topic, 0);
    put_label(out, "partition", part, 0);
}

/* The per-partition families. */
static void prometheus_parts(ds_lag *const *lags, size_t n, FILE *out)
{
    static const ds_lag_status statuses[] = {DS_LAG_OK, DS_LAG_WARN, DS_LAG_STALL, DS_LAG_STOP, DS_LAG_REWIND};
    family(out, "dealstream_lag_offsets",
           "Offset lag of a group on a partition: log end minus committed offset (0 when only transaction markers "
           "lie between).");
    for (size_t g = 0; g < n; g++)
        for (size_t i = 0; i < lags[g]->nparts; i++) {
            const ds_lag_part *p = &lags[g]->parts[i];
            part_series(out, "dealstream_lag_offsets", lags[g], p);
            put_label(out, "consumer_id", p->consumer_id, 0);
            put_label(out, "member_host", p->host, 0);
            put_label(out, "client_id", p->client_id, 0);
            fprintf(out, "} %" PRId64 "\n", p->lag);
        }
    family(out, "dealstream_lag_seconds", "Time lag: age of the oldest message the group has not consumed.");
    for (size_t g = 0; g < n; g++)
        for (size_t i = 0; i < lags[g]->nparts; i++)
            if (lags[g]->parts[i].time_lag_ms >= 0) {
                part_series(out, "dealstream_lag_seconds", lags[g], &lags[g]->parts[i]);
                fprintf(out, "} %.3f\n", (double)lags[g]->parts[i].time_lag_ms / 1000.0);
            }
    family(out, "dealstream_lag_committed_offset", "The group's committed offset.");
    for (size_t g = 0; g < n; g++)
        for (size_t i = 0; i < lags[g]->nparts; i++)
            if (lags[g]->parts[i].committed >= 0) {
                part_series(out, "dealstream_lag_committed_offset", lags[g], &lags[g]->parts[i]);
                fprintf(out, "} %" PRId64 "\n", lags[g]->parts[i].committed);
            }
    family(out, "dealstream_lag_log_end_offset", "The partition's log end offset (high watermark).");
    for (size_t g = 0; g < n; g++)
        for (size_t i = 0; i < lags[g]->nparts; i++) {
            part_series(out, "dealstream_lag_log_end_offset", lags[g], &lags[g]->parts[i]);
            fprintf(out, "} %" PRId64 "\n", lags[g]->parts[i].log_end);
        }
    family(out, "dealstream_lag_last_stable_offset",
           "The partition's last stable offset: below the log end while a transaction is open.");
    for (size_t g = 0; g < n; g++)
        for (size_t i = 0; i < lags[g]->nparts; i++) {
            part_series(out, "dealstream_lag_last_stable_offset", lags[g], &lags[g]->parts[i]);
            fprintf(out, "} %" PRId64 "\n", lags[g]->parts[i].last_stable);
        }
    family(out, "dealstream_lag_partition_status", "1 for the partition's lag status over the window, 0 for the others.");
    for (size_t g = 0; g < n; g++)
        for (size_t i = 0; i < lags[g]->nparts; i++)
            for (size_t s = 0; s < sizeof statuses / sizeof statuses[0]; s++) {
                part_series(out, "dealstream_lag_partition_status", lags[g], &lags[g]->parts[i]);
                put_label(out, "status", ds_lag_status_name(statuses[s]), 0);
                fprintf(out, "} %d\n", lags[g]->parts[i].status == statuses[s]);
            }
}

void ds_lag_prometheus(ds_lag *const *lags, size_t n, FILE *out)
{
    static const ds_lag_status statuses[] = {DS_LAG_OK, DS_LAG_WARN, DS_LAG_ERR};
    prometheus_parts(lags, n, out);
    int64_t sum, tmax;
    family(out, "dealstream_lag_group_offsets", "Offset lag of a group, summed over its partitions.");
    for (size_t g = 0; g < n; g++) {
        totals(lags[g], 0, lags[g]->nparts, &sum, &tmax);
        fprintf(out, "dealstream_lag_group_offsets{");
        put_label(out, "group", ds_group_name(lags[g]->g), 1);
        fprintf(out, "} %" PRId64 "\n", sum);
    }
    family(out, "dealstream_lag_group_seconds", "Time lag of a group: the largest of its partitions'.");
    for (size_t g = 0; g < n; g++) {
        totals(lags[g], 0, lags[g]->nparts, &sum, &tmax);
        if (tmax < 0)
            continue;
        fprintf(out, "dealstream_lag_group_seconds{");
        put_label(out, "group", ds_group_name(lags[g]->g), 1);
        fprintf(out, "} %.3f\n", (double)tmax / 1000.0);
    }
    family(out, "dealstream_lag_group_status", "1 for the group's status (OK, WARN, ERR), 0 for the others.");
    for (size_t g = 0; g < n; g++)
        for (size_t s = 0; s < sizeof statuses / sizeof statuses[0]; s++) {
            fprintf(out, "dealstream_lag_group_status{");
            put_label(out, "group", ds_group_name(lags[g]->g), 1);
            put_label(out, "status", ds_lag_status_name(statuses[s]), 0);
            fprintf(out, "} %d\n", ds_lag_group_status(lags[g]) == statuses[s]);
        }
}
