/* consume.c: any topic read as kcat reads it (offset forms, partitions,
 * counts, end of partition), each message decoded by schema fingerprint or
 * registry id. May call schemas/ (codec, registry), consumer/kafka,
 * producer/publish (the dead-letter header names) and common/. */
#include "consume.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "kafka.h"
#include "log.h"
#include "publish.h"
#include "registry.h"
#include "util.h"

/* How long the reader waits for metadata and timestamp look-ups. */
#define CONSUME_TIMEOUT_MS 10000

static const char *const schema_names[DS_SCHEMA__COUNT] = {"ArticleEvent", "DealEvent", "DealMention",
                                                           "CanonicalDeal", "StateRecord"};

static volatile sig_atomic_t consume_stop;

static void on_signal(int sig)
{
    (void)sig;
    consume_stop = 1;
}

/* ---- offset forms ---------------------------------------------------------- */

/* A non-negative integer. */
static int parse_i64(const char *s, int64_t *v) { return ds_parse_i64(s, v) || *v < 0 ? -1 : 0; }

/* One form of -o into range; *starts counts the start forms seen. */
static int parse_form(const char *f, ds_consume_range *range, int *starts, char *err, size_t errlen)
{
    if (strncmp(f, "e@", 2) == 0) {
        if (range->end_ms >= 0 || parse_i64(f + 2, &range->end_ms)) {
            snprintf(err, errlen, "-o %s: expected one e@MS, MS a time in ms since the epoch", f);
            return -1;
        }
        return 0;
    }
    ++*starts;
    if (strcmp(f, "beginning") == 0) {
        range->from = DS_FROM_BEGINNING;
    } else if (strcmp(f, "end") == 0) {
        range->from = DS_FROM_END;
    } else if (strcmp(f, "stored") == 0) {
        range->from = DS_FROM_STORED;
    } else if (strncmp(f, "s@", 2) == 0) {
        range->from = DS_FROM_TIME;
        if (parse_i64(f + 2, &range->value)) {
            snprintf(err, errlen, "-o %s: expected s@MS, MS a time in ms since the epoch", f);
            return -1;
        }
    } else if (f[0] == '-') {
        range->from = DS_FROM_TAIL;
        if (parse_i64(f + 1, &range->value) || range->value == 0) {
            snprintf(err, errlen, "-o %s: expected -N, N > 0 messages before the end", f);
            return -1;
        }
    } else if (parse_i64(f, &range->value) == 0) {
        range->from = DS_FROM_OFFSET;
    } else {
        snprintf(err, errlen, "-o %s: expected beginning, end, stored, N, -N, s@MS or e@MS", f);
        return -1;
    }
    return 0;
}

int ds_consume_parse_range(const char *spec, ds_consume_range *range, char *err, size_t errlen)
{
    *range = (ds_consume_range){.from = DS_FROM_BEGINNING, .end_ms = -1};
    if (!spec)
        return 0;
    char *copy = strdup(spec);
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int starts = 0, rc = 0;
    char *save = NULL;
    for (char *f = strtok_r(copy, ",", &save); f && rc == 0; f = strtok_r(NULL, ",", &save))
        rc = parse_form(f, range, &starts, err, errlen);
    if (rc == 0 && starts > 1) {
        snprintf(err, errlen, "-o %s: more than one start (give one of beginning, end, stored, N, -N, s@MS)", spec);
        rc = -1;
    }
    free(copy);
    return rc;
}

/* ---- the reader ------------------------------------------------------------ */

/* Schema-registry ids seen so far, and the reader each maps to. */
typedef struct confluent_ids {
    ds_registry *reg;
    int32_t cid[64];
    ds_schema_id sid[64];
    int n;
} confluent_ids;

/* Per assigned partition: what ends it and what it skips. */
typedef struct part_state {
    int32_t partition;
    int64_t start;   /* the offset (or logical offset) assigned */
    int64_t skip_ms; /* s@ on a broker that cannot look it up: skip messages before this time; -1: none */
    int at_end;      /* reached its end at least once */
    int past_end_ms; /* reached its e@ time: paused */
    int64_t next;    /* the offset after the last record read (or -o N); -1: not known */
    ds_kafka_end end; /* -e: the high watermark to reach (see stable_end) */
} part_state;

typedef struct reader {
    const ds_config *cfg;
    ds_consume_range range;
    rd_kafka_t *rk;
    ds_codec *codec;
    avro_value_t vals[DS_SCHEMA__COUNT];
    confluent_ids ids;
    part_state *parts;
    int nparts;
    long seen;
} reader;

/* Finds the reader of a Confluent schema id, fetching the writer schema from
 * the registry the first time. consume is a blocking poll loop, not an event
 * loop, so it waits here while the registry is down (the message is kept,
 * never skipped), until SIGINT/SIGTERM. Returns 0, or -1 with the error in
 * derr (404, or a schema that is not one of ours). */
static int confluent_reader(confluent_ids *ids, ds_codec *codec, int32_t cid, ds_schema_id *sid, char *derr,
                            size_t derrlen)
{
    for (int i = 0; i < ids->n; i++)
        if (ids->cid[i] == cid) {
            *sid = ids->sid[i];
            return 0;
        }
    char *schema = NULL;
    int r;
    int64_t since = ds_mono_ms();
    while ((r = ds_registry_schema_wait(ids->reg, cid, 1000, &schema)) == DS_REG_ETIMEDOUT && !consume_stop)
        if (ds_mono_ms() - since >= 10000) {
            ds_warn("consume", "still waiting for the schema registry to answer for schema id %d", (int)cid);
            since = ds_mono_ms();
        }
    if (r == DS_REG_ENOTFOUND) {
        snprintf(derr, derrlen, "unknown-schema-id: the schema registry has no schema id %d", (int)cid);
        return -1;
    }
    if (r) {
        snprintf(derr, derrlen, "schema id %d: %s", (int)cid, ds_registry_strerror(r));
        return -1;
    }
    char e[200];
    r = ds_registry_codec_add(codec, cid, schema, sid, e, sizeof e);
    free(schema);
    if (r) {
        snprintf(derr, derrlen, "%s: %s", ds_codec_strerror(r), e);
        return -1;
    }
    if (ids->n < (int)(sizeof ids->cid / sizeof ids->cid[0])) {
        ids->cid[ids->n] = cid;
        ids->sid[ids->n++] = *sid;
    }
    return 0;
}

/* Decodes rkm's value into m: by fingerprint (single-object encoding) or by
 * registry id (Confluent framing). m->value is a new reference or NULL. */
static void decode(reader *r, const rd_kafka_message_t *rkm, ds_consumed *m, char *derr, size_t derrlen)
{
    *m = (ds_consumed){.rkm = rkm, .schema_id = -1, .error = derr};
    snprintf(derr, derrlen, "not a dealstream Avro record");
    const unsigned char *p = rkm->payload;
    if (!p) {
        m->value = json_null();
        m->error = NULL;
    } else if (rkm->len >= 10 && p[0] == 0xC3 && p[1] == 0x01) {
        uint64_t fp = 0;
        for (int b = 0; b < 8; b++)
            fp |= (uint64_t)p[2 + b] << (8 * b);
        for (int i = 0; i < DS_SCHEMA__COUNT; i++)
            if (ds_codec_fingerprint(r->codec, (ds_schema_id)i) == fp) {
                if (ds_codec_decode(r->codec, (ds_schema_id)i, p, rkm->len, &r->vals[i], derr, derrlen) == 0) {
                    m->value = ds_codec_to_json(r->codec, (ds_schema_id)i, &r->vals[i]);
                    m->type = schema_names[i];
                }
                break;
            }
    } else if (r->ids.reg && rkm->len >= 5 && p[0] == 0x00) {
        int32_t cid = (int32_t)((uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4]);
        ds_schema_id sid;
        m->schema_id = cid;
        if (confluent_reader(&r->ids, r->codec, cid, &sid, derr, derrlen) == 0 &&
            ds_codec_decode(r->codec, sid, p, rkm->len, &r->vals[sid], derr, derrlen) == 0) {
            m->value = ds_codec_to_json(r->codec, sid, &r->vals[sid]);
            m->type = schema_names[sid];
        }
    }
    if (m->value)
        m->error = NULL;
    rd_kafka_headers_t *hdrs = NULL;
    const void *hv;
    size_t hs;
    m->dead_letter = rd_kafka_message_headers(rkm, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
                     rd_kafka_header_get_last(hdrs, DS_DLQ_H_CLASS, &hv, &hs) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

/* A consumer that assigns, never subscribes and never commits by itself;
 * offsets are stored as messages are handed out, for --commit. */
static rd_kafka_t *reader_consumer(const ds_config *cfg, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = ds_kafka_conf(cfg, err, errlen);
    if (!conf)
        return NULL;
    char gid[128];
    const char *group = cfg->group;
    if (!group) {
        /* librdkafka needs a group id even for assign(); nothing is committed */
        snprintf(gid, sizeof gid, "dealstream-consume-%d", (int)getpid());
        group = gid;
    }
    if (ds_kafka_set(conf, "enable.auto.offset.store", "true", err, errlen)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return ds_kafka_reader(conf, group, err, errlen); /* takes conf */
}

/* The partitions to read: cfg->partition ("0,2"), each checked to exist,
 * or every partition of the topic. Returns the count or -1 with err set;
 * *out is malloc'd. */
static int pick_partitions(reader *r, int32_t **out, char *err, size_t errlen)
{
    int32_t *all = NULL;
    int n = ds_kafka_partitions(r->rk, r->cfg->topic, CONSUME_TIMEOUT_MS, &all, err, errlen);
    if (n < 0 || !r->cfg->partition) {
        *out = all;
        return n;
    }
    int32_t *picked = calloc((size_t)n + 1, sizeof *picked);
    char *copy = strdup(r->cfg->partition), *save = NULL;
    int k = 0, rc = 0;
    for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
        int64_t p;
        int found = 0;
        for (int i = 0; parse_i64(tok, &p) == 0 && i < n; i++)
            found |= all[i] == p;
        if (!found) {
            snprintf(err, errlen, "topic %s has no partition '%s' (it has %d)", r->cfg->topic, tok, n);
            rc = -1;
        } else if (k < n) {
            picked[k++] = (int32_t)p;
        }
    }
    if (!copy || !picked) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    free(copy);
    free(all);
    if (rc) {
        free(picked);
        return -1;
    }
    *out = picked;
    return k;
}

/* s@MS: each partition's first offset at or after the time. A broker that
 * cannot look offsets up by time (the embedded one answers -1 for all) is
 * read from the beginning instead, skipping what precedes the time, which
 * gives the same messages. */
static void start_at_time(reader *r)
{
    rd_kafka_topic_partition_list_t *q = rd_kafka_topic_partition_list_new(r->nparts);
    for (int i = 0; i < r->nparts; i++)
        rd_kafka_topic_partition_list_add(q, r->cfg->topic, r->parts[i].partition)->offset = r->range.value;
    rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(r->rk, q, CONSUME_TIMEOUT_MS);
    for (int i = 0; i < r->nparts; i++) {
        int64_t off = e ? -1 : q->elems[i].offset;
        if (off >= 0 && !q->elems[i].err) {
            r->parts[i].start = off;
        } else {
            r->parts[i].start = RD_KAFKA_OFFSET_BEGINNING;
            r->parts[i].skip_ms = r->range.value;
        }
    }
    rd_kafka_topic_partition_list_destroy(q);
}

/* Assigns every partition picked at the start -o names. Returns 0 or -1. */
static int assign_partitions(reader *r, char *err, size_t errlen)
{
    int32_t *ids = NULL;
    int n = pick_partitions(r, &ids, err, errlen);
    if (n < 0)
        return -1;
    r->parts = calloc((size_t)n + 1, sizeof *r->parts);
    if (!r->parts) {
        free(ids);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r->nparts = n;
    for (int i = 0; i < n; i++) {
        part_state *ps = &r->parts[i];
        ps->partition = ids[i];
        ps->skip_ms = -1;
        ds_kafka_end_init(&ps->end, -1);
        ps->next = r->range.from == DS_FROM_OFFSET ? r->range.value : -1;
        switch (r->range.from) {
        case DS_FROM_BEGINNING:
        case DS_FROM_TIME:
            ps->start = RD_KAFKA_OFFSET_BEGINNING;
            break;
        case DS_FROM_END:
            ps->start = RD_KAFKA_OFFSET_END;
            break;
        case DS_FROM_STORED:
            ps->start = RD_KAFKA_OFFSET_STORED;
            break;
        case DS_FROM_OFFSET:
            ps->start = r->range.value;
            break;
        case DS_FROM_TAIL:
            ps->start = RD_KAFKA_OFFSET_TAIL(r->range.value);
            break;
        }
    }
    free(ids);
    if (r->range.from == DS_FROM_TIME)
        start_at_time(r);
    rd_kafka_topic_partition_list_t *as = rd_kafka_topic_partition_list_new(n ? n : 1);
    for (int i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(as, r->cfg->topic, r->parts[i].partition)->offset = r->parts[i].start;
    rd_kafka_resp_err_t ke = rd_kafka_assign(r->rk, as);
    rd_kafka_topic_partition_list_destroy(as);
    if (ke) {
        snprintf(err, errlen, "cannot read %s: %s", r->cfg->topic, rd_kafka_err2str(ke));
        return -1;
    }
    return 0;
}

static part_state *state_of(reader *r, int32_t partition)
{
    for (int i = 0; i < r->nparts; i++)
        if (r->parts[i].partition == partition)
            return &r->parts[i];
    return NULL;
}

/* True once every partition is done: past its e@ time, or (with -e) at its
 * end. Partitions are counted, never end-of-partition events. */
static int all_done(const reader *r)
{
    if (!r->cfg->exit_at_end && r->range.end_ms < 0)
        return 0;
    for (int i = 0; i < r->nparts; i++)
        if (!r->parts[i].past_end_ms && !(r->cfg->exit_at_end && r->parts[i].at_end))
            return 0;
    return 1;
}

/* A message past the partition's e@ time: the partition is done, and
 * paused so that it fetches no more. */
static void end_partition(reader *r, part_state *ps)
{
    ps->past_end_ms = 1;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, r->cfg->topic, ps->partition);
    rd_kafka_pause_partitions(r->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
}

/* Logs at error level the records an automatic offset reset jumped over
 * when rkm follows ps->next: retention deleted them before they were
 * read (see ds_kafka_offsets_lost). */
static void note_jump(reader *r, part_state *ps, const rd_kafka_message_t *rkm)
{
    int64_t lo = -1, hi = -1;
    if (ps->next >= 0 && rkm->offset > ps->next &&
        rd_kafka_get_watermark_offsets(r->rk, r->cfg->topic, rkm->partition, &lo, &hi) == 0) {
        int64_t lost = ds_kafka_offsets_lost(ps->next, rkm->offset, lo);
        if (lost > 0)
            ds_error("consume",
                     "%s [%" PRId32 "]: offset reset: wanted offset %" PRId64 ", got %" PRId64 " (log start %" PRId64
                     "): %" PRId64 " record(s) skipped, deleted by retention before they were read",
                     r->cfg->topic, rkm->partition, ps->next, rkm->offset, lo, lost);
    }
    ps->next = rkm->offset + 1;
}

/* Whether the end-of-partition event rkm of ps is its end for -e. A
 * read_committed consumer (the default) reaches its end at the last stable
 * offset, which stays below the high watermark while a transaction on the
 * partition is open, and also for a moment after a commit returned, until
 * the broker has written its markers: the transaction's records are then
 * committed but not yet readable. So the first event below the high
 * watermark sets the end there, and a later event (once the transactions
 * open then have ended) must reach it; the wait is told once unless -q. */
static int stable_end(reader *r, part_state *ps, const rd_kafka_message_t *rkm)
{
    int at = ds_kafka_end_at(r->rk, r->cfg->topic, rkm->partition, rkm->offset, &ps->end);
    if (at == DS_KAFKA_END_WAITS && !r->cfg->quiet)
        fprintf(stderr,
                "%% Waiting at offset %" PRId64 " of topic %s [%" PRId32 "] for the transaction open below the high "
                "watermark %" PRId64 " to end\n",
                rkm->offset, r->cfg->topic, rkm->partition, ps->end.end);
    return at == 1;
}

/* Handles one message or event. Returns 1 to stop, else 0. */
static int handle(reader *r, rd_kafka_message_t *rkm, ds_consumed_fn fn, void *opaque)
{
    part_state *ps = state_of(r, rkm->partition);
    if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (ps && !ps->at_end && r->cfg->exit_at_end && !stable_end(r, ps, rkm))
            return 0;
        if (ps && !ps->at_end && !r->cfg->quiet)
            fprintf(stderr, "%% Reached end of topic %s [%" PRId32 "] at offset %" PRId64 "\n", r->cfg->topic,
                    rkm->partition, rkm->offset);
        if (ps)
            ps->at_end = 1;
        return all_done(r);
    }
    if (rkm->err) {
        ds_warn("consume", "%s [%" PRId32 "]: %s", r->cfg->topic, rkm->partition, rd_kafka_message_errstr(rkm));
        return 0;
    }
    if (!ps || ps->past_end_ms)
        return 0;
    note_jump(r, ps, rkm);
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(rkm, &tstype);
    if (ps->skip_ms >= 0) {
        if (ts >= 0 && ts < ps->skip_ms)
            return 0;
        ps->skip_ms = -1; /* the first message at or after the time: all from here */
    }
    if (r->range.end_ms >= 0 && ts >= r->range.end_ms) {
        end_partition(r, ps);
        return all_done(r);
    }
    char derr[256];
    ds_consumed m;
    decode(r, rkm, &m, derr, sizeof derr);
    int stop = fn(opaque, &m);
    json_decref(m.value);
    return stop || (r->cfg->count > 0 && ++r->seen >= r->cfg->count);
}

/* --commit: the position reached of every partition, for the group. */
static int commit_position(reader *r, char *err, size_t errlen)
{
    rd_kafka_resp_err_t e = rd_kafka_commit(r->rk, NULL, 0);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR__NO_OFFSET)
        return 0;
    snprintf(err, errlen, "committing the offsets of group %s: %s%s", r->cfg->group, rd_kafka_err2str(e),
             e == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID || e == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
                     e == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS
                 ? " (the group has active members, whose own commits would overwrite ours)"
                 : "");
    return -1;
}

int ds_consume_check(const ds_config *cfg, ds_consume_range *range, char *err, size_t errlen)
{
    if (!cfg->topic) {
        snprintf(err, errlen, "no topic: give -t TOPIC");
        return DS_CONSUME_EUSAGE;
    }
    if (ds_consume_parse_range(cfg->offset, range, err, errlen))
        return DS_CONSUME_EUSAGE;
    if (!cfg->offset && cfg->group)
        range->from = DS_FROM_STORED;
    if (range->from == DS_FROM_STORED && !cfg->group) {
        snprintf(err, errlen, "-o stored reads a group's committed offsets: give -G GROUP");
        return DS_CONSUME_EUSAGE;
    }
    if (cfg->commit && !cfg->group) {
        snprintf(err, errlen, "--commit commits a group's offsets: give -G GROUP");
        return DS_CONSUME_EUSAGE;
    }
    return 0;
}

static void reader_fini(reader *r)
{
    for (int i = 0; i < DS_SCHEMA__COUNT; i++)
        if (r->vals[i].self)
            avro_value_decref(&r->vals[i]);
    ds_codec_destroy(r->codec);
    ds_registry_destroy(r->ids.reg);
    free(r->parts);
    if (r->rk) {
        rd_kafka_consumer_close(r->rk);
        rd_kafka_destroy(r->rk);
    }
}

/* The codec, its values and the registry client. Returns 0 or -1. */
static int reader_decoders(reader *r, char *err, size_t errlen)
{
    if (!(r->codec = ds_codec_new(err, errlen)))
        return -1;
    if (r->cfg->schema_registry_url) {
        ds_registry_conf rconf = {.url = r->cfg->schema_registry_url,
                                  .basic_auth = r->cfg->schema_registry_auth,
                                  .ca_location = r->cfg->schema_registry_ca};
        if (!(r->ids.reg = ds_registry_new(&rconf, err, errlen)))
            return -1;
    }
    for (int i = 0; i < DS_SCHEMA__COUNT; i++)
        if (ds_codec_value_new(r->codec, (ds_schema_id)i, &r->vals[i])) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    return 0;
}

int ds_consume_each(const ds_config *cfg, ds_consumed_fn fn, void *opaque, char *err, size_t errlen)
{
    reader r = {.cfg = cfg};
    int rc = ds_consume_check(cfg, &r.range, err, errlen);
    if (rc)
        return rc;
    rc = -1;
    if (!(r.rk = reader_consumer(cfg, err, errlen)) || reader_decoders(&r, err, errlen) ||
        assign_partitions(&r, err, errlen))
        goto out;
    consume_stop = 0;
    void (*old_int)(int) = signal(SIGINT, on_signal);
    void (*old_term)(int) = signal(SIGTERM, on_signal);
    int stop = all_done(&r); /* no partition at all */
    while (!stop && !consume_stop) {
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(r.rk, 200);
        if (!rkm)
            continue;
        stop = handle(&r, rkm, fn, opaque);
        rd_kafka_message_destroy(rkm);
    }
    signal(SIGINT, old_int);
    signal(SIGTERM, old_term);
    rc = cfg->commit ? commit_position(&r, err, errlen) : 0;
out:
    reader_fini(&r);
    return rc;
}

/* ---- the JSON-lines form ---------------------------------------------------- */

static json_t *headers_json(const rd_kafka_message_t *rkm)
{
    json_t *h = json_object();
    rd_kafka_headers_t *hdrs = NULL;
    if (rd_kafka_message_headers(rkm, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char *name;
        const void *val;
        size_t size;
        for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; i++)
            json_object_set_new(h, name, val ? json_stringn_nocheck(val, size) : json_null());
    }
    return h;
}

static json_t *base64_json(const unsigned char *p, size_t n)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *s = malloc(4 * ((n + 2) / 3) + 1);
    if (!s)
        return json_null();
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        s[o++] = b64[v >> 18 & 63];
        s[o++] = b64[v >> 12 & 63];
        s[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
        s[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    s[o] = '\0';
    json_t *j = json_string(s);
    free(s);
    return j;
}

static json_t *envelope(const rd_kafka_message_t *rkm, const char *error)
{
    json_t *o = json_object();
    json_object_set_new(o, "topic", json_string(rd_kafka_topic_name(rkm->rkt)));
    json_object_set_new(o, "partition", json_integer(rkm->partition));
    json_object_set_new(o, "offset", json_integer(rkm->offset));
    json_object_set_new(o, "key", rkm->key ? json_stringn_nocheck(rkm->key, rkm->key_len) : json_null());
    json_object_set_new(o, "headers", headers_json(rkm));
    json_object_set_new(o, "value_base64", base64_json(rkm->payload, rkm->len));
    if (error)
        json_object_set_new(o, "error", json_string(error));
    return o;
}

json_t *ds_consumed_json(const ds_consumed *m)
{
    if (m->dead_letter) {
        json_t *env = envelope(m->rkm, NULL);
        json_object_set(env, "record", m->value ? m->value : json_null());
        return env;
    }
    if (m->value)
        return json_incref(m->value);
    return envelope(m->rkm, m->error);
}

typedef struct legacy {
    ds_consume_fn fn;
    void *opaque;
} legacy;

static int legacy_fn(void *opaque, const ds_consumed *m)
{
    legacy *l = opaque;
    json_t *rec = ds_consumed_json(m);
    int stop = l->fn(l->opaque, rec, m->rkm);
    json_decref(rec);
    return stop;
}

int ds_consume(const ds_config *cfg, ds_consume_fn fn, void *opaque, char *err, size_t errlen)
{
    legacy l = {fn, opaque};
    return ds_consume_each(cfg, legacy_fn, &l, err, errlen);
}
