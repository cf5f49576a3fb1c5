/* The bad-input corpus (tests/badinput/) on the embedded broker: every
 * malformed message is dead-lettered with the right headers and its original
 * bytes, and the good records around it are processed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <openssl/evp.h>

#include "broker.h"
#include "codec.h"
#include "demo.h"
#include "input.h"
#include "kafka.h"
#include "log.h"
#include "publish.h"
#include "testutil.h"

#define ARTICLES "bi.articles"
#define DEALS "bi.deals"

/* One row of the table in tests/badinput/README.md. */
typedef struct row {
    char file[128], input[16], stage[32], cls[64], msg[64];
    char *data;
    size_t len;
    int32_t partition;
    int64_t offset; /* where it was produced */
    int seen;
    int cut; /* the dead letter must be truncated (the original exceeds the producer's limit) */
} row;

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    size_t i = 0;
    while (s[i] == ' ')
        i++;
    memmove(s, s + i, strlen(s + i) + 1);
}

/* Parses the table rows that name a .bin file. */
static row *read_table(int *n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/badinput/README.md", tu_test_dir());
    size_t len;
    char *text = tu_slurp(path, &len);
    row *rows = calloc(64, sizeof *rows);
    *n = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "| ", 2) != 0 || !strstr(line, ".bin |"))
            continue;
        assert_true(*n < 64);
        row *r = &rows[*n];
        char *cells[6] = {r->file, r->input, r->stage, r->cls, r->msg, NULL};
        size_t caps[5] = {sizeof r->file, sizeof r->input, sizeof r->stage, sizeof r->cls, sizeof r->msg};
        char *p = line + 1;
        for (int c = 0; c < 5; c++) {
            char *bar = strchr(p, '|');
            assert_non_null(bar);
            *bar = '\0';
            snprintf(cells[c], caps[c], "%s", p);
            trim(cells[c]);
            p = bar + 1;
        }
        snprintf(path, sizeof path, "%s/badinput/%s", tu_test_dir(), r->file);
        r->data = tu_slurp(path, &r->len);
        (*n)++;
    }
    free(text);
    return rows;
}

#define L10 "\xc5\x81\xc5\x81\xc5\x81\xc5\x81\xc5\x81\xc5\x81\xc5\x81\xc5\x81\xc5\x81\xc5\x81" /* 10 x "Ł" */
#define L30 L10 L10 L10
#define L40 L10 L10 L10 L10
/* "연합뉴스 국방전문 통신사 서울 본사" twice: 98 bytes */
#define KOREAN_OUTLET_HALF                                                                                         \
    "\xec\x97\xb0\xed\x95\xa9\xeb\x89\xb4\xec\x8a\xa4 \xea\xb5\xad\xeb\xb0\xa9\xec\xa0\x84\xeb\xac\xb8 " \
    "\xed\x86\xb5\xec\x8b\xa0\xec\x82\xac \xec\x84\x9c\xec\x9a\xb8 \xeb\xb3\xb8\xec\x82\xac "
#define KOREAN_OUTLET KOREAN_OUTLET_HALF KOREAN_OUTLET_HALF

/* The good records: the sample articles and the valid lines of deals.jsonl,
 * encoded as the produce command encodes them. */
typedef struct goods {
    ds_codec *codec;
    avro_value_t val;
    ds_schema_id sid;
    ds_buf bufs[8];
    char keys[8][128];
    int n;
} goods;

static int add_good(void *opaque, json_t *rec, const char *where)
{
    goods *g = opaque;
    char err[256];
    (void)where;
    const char *id = json_string_value(json_object_get(rec, g->sid == DS_SCHEMA_ARTICLE ? "article_id" : "source_id"));
    if (g->sid == DS_SCHEMA_DEAL_EVENT && strcmp(id, "feed-bad-country") == 0)
        return 0;
    assert_true(g->n < 8);
    /* names longer than their fixed fields, in characters of 2 and 3 bytes:
     * cut whole, their deals still reach deals.canonical */
    if (g->sid == DS_SCHEMA_ARTICLE)
        json_object_set_new(rec, "outlet", json_string(KOREAN_OUTLET));
    if (g->sid == DS_SCHEMA_DEAL_EVENT && strcmp(id, "feed-ro-k9-2024") == 0) {
        json_object_set_new(rec, "place", json_string(L30));
        json_object_set_new(rec, "source", json_string(L40));
    }
    assert_int_equal(ds_codec_from_json(g->codec, g->sid, rec, &g->val, err, sizeof err), 0);
    ds_buf_init(&g->bufs[g->n]);
    assert_int_equal(ds_codec_encode(g->codec, g->sid, &g->val, DS_FRAME_SINGLE_OBJECT, &g->bufs[g->n]), 0);
    snprintf(g->keys[g->n], sizeof g->keys[g->n], "%s", id);
    g->n++;
    return 0;
}

static void load_goods(goods *g, ds_codec *codec, ds_schema_id sid)
{
    char err[256];
    memset(g, 0, sizeof *g);
    g->codec = codec;
    g->sid = sid;
    assert_int_equal(ds_codec_value_new(codec, sid, &g->val), 0);
    if (sid == DS_SCHEMA_ARTICLE) {
        int n;
        char **samples = tu_glob(DS_SOURCE_DIR "/samples", "*.txt", &n);
        assert_int_equal(n, 4);
        for (int i = 0; i < n; i++)
            assert_int_equal(ds_input_read(samples[i], "text", 1, add_good, g, NULL, NULL, err, sizeof err), 0);
        tu_glob_free(samples);
    } else {
        char path[1024];
        size_t nbad = 0;
        snprintf(path, sizeof path, "%s/data/deals.jsonl", tu_test_dir());
        assert_int_equal(ds_input_read(path, "jsonl", 0, add_good, g, NULL, &nbad, err, sizeof err), 0);
        assert_int_equal(g->n, 2);
    }
    avro_value_decref(&g->val);
}

static void free_goods(goods *g)
{
    for (int i = 0; i < g->n; i++)
        ds_buf_free(&g->bufs[i]);
}

/* The header every bad record is produced with: its dead letter keeps it. */
#define ORIGIN_HEADER "x-origin"

/* Produces one message to partition 0 (with an ORIGIN_HEADER of origin,
 * when given) and waits for its offset. */
static int64_t put_with(rd_kafka_t *rk, const char *topic, const char *key, const void *val, size_t len,
                        const char *origin)
{
    rd_kafka_headers_t *h = rd_kafka_headers_new(1);
    if (origin)
        rd_kafka_header_add(h, ORIGIN_HEADER, -1, origin, -1);
    assert_int_equal(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                                       RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE((void *)val, len),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(h),
                                       RD_KAFKA_V_END),
                     0); /* h now owned by the message */
    assert_int_equal(rd_kafka_flush(rk, 10000), 0);
    int64_t lo, hi;
    assert_int_equal(rd_kafka_query_watermark_offsets(rk, topic, 0, &lo, &hi, 10000), 0);
    return hi - 1;
}

static int64_t put(rd_kafka_t *rk, const char *topic, const char *key, const void *val, size_t len)
{
    return put_with(rk, topic, key, val, len, NULL);
}

/* Reads every partition of topic from the beginning to its end, raw, and
 * hands each message to fn (messages must not outlive the consumer). Returns
 * the count. */
static int read_raw(const char *bs, const char *topic, void (*fn)(rd_kafka_message_t *, void *), void *opaque)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bs, err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", "test_badinput.reader", err, sizeof err);
    rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err);
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    assert_non_null(rk);
    int32_t *parts = NULL;
    int np = ds_kafka_partitions(rk, topic, 10000, &parts, err, sizeof err);
    assert_true(np > 0);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(np);
    for (int i = 0; i < np; i++)
        rd_kafka_topic_partition_list_add(l, topic, parts[i])->offset = RD_KAFKA_OFFSET_BEGINNING;
    assert_int_equal(rd_kafka_assign(rk, l), 0);
    rd_kafka_topic_partition_list_destroy(l);
    free(parts);
    int eofs = 0, n = 0;
    while (eofs < np) {
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(rk, 10000);
        assert_non_null(rkm); /* no stall */
        if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            eofs++;
            rd_kafka_message_destroy(rkm);
            continue;
        }
        assert_int_equal(rkm->err, 0);
        fn(rkm, opaque);
        rd_kafka_message_destroy(rkm);
        n++;
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return n;
}

static const char *hdr(const rd_kafka_message_t *rkm, const char *name, char *buf, size_t cap)
{
    rd_kafka_headers_t *h = NULL;
    const void *v;
    size_t sz;
    buf[0] = '\0';
    if (rd_kafka_message_headers(rkm, &h) || rd_kafka_header_get_last(h, name, &v, &sz))
        return NULL;
    snprintf(buf, cap, "%.*s", (int)sz, (const char *)v);
    return buf;
}

/* A truncated dead letter: the start of the original in whole KiB, within
 * the producer's default message.max.bytes, and headers with the original's
 * size and SHA-256. Returns the number of mismatches. */
static int check_truncated(const rd_kafka_message_t *m, const row *r)
{
    char b[128], size[24], sha[65];
    unsigned char md[32];
    unsigned int mdlen = 0;
    int bad = 0;
    assert_true(EVP_Digest(r->data, r->len, md, &mdlen, EVP_sha256(), NULL) && mdlen == 32);
    for (int i = 0; i < 32; i++)
        snprintf(sha + 2 * i, 3, "%02x", md[i]);
    snprintf(size, sizeof size, "%zu", r->len);
    if (m->len >= r->len || m->len % 1024 != 0 || m->len + m->key_len > 1000000 - 1024 ||
        memcmp(m->payload, r->data, m->len) != 0) {
        fprintf(stderr, "%s: truncated dead letter of %zu bytes is not a whole-KiB start of the %zu\n", r->file,
                m->len, r->len);
        bad++;
    }
    const char *got = hdr(m, DS_DLQ_H_TRUNCATED, b, sizeof b);
    if (!got || strcmp(got, "value") != 0) {
        fprintf(stderr, "%s: %s is '%s'\n", r->file, DS_DLQ_H_TRUNCATED, got ? got : "(none)");
        bad++;
    }
    got = hdr(m, DS_DLQ_H_ORIGINAL_SIZE, b, sizeof b);
    if (!got || strcmp(got, size) != 0) {
        fprintf(stderr, "%s: %s is '%s', want %s\n", r->file, DS_DLQ_H_ORIGINAL_SIZE, got ? got : "(none)", size);
        bad++;
    }
    got = hdr(m, DS_DLQ_H_ORIGINAL_SHA256, b, sizeof b);
    if (!got || strcmp(got, sha) != 0) {
        fprintf(stderr, "%s: %s is '%s', want %s\n", r->file, DS_DLQ_H_ORIGINAL_SHA256, got ? got : "(none)", sha);
        bad++;
    }
    return bad;
}

typedef struct dlq_check {
    const char *topic, *dlq;
    row *rows;
    int nrows, bad;
} dlq_check;

/* Checks one dead letter against its row. */
static void check_one(rd_kafka_message_t *m, void *opaque)
{
    dlq_check *dc = opaque;
    const char *topic = dc->topic, *dlq = dc->dlq;
    row *rows = dc->rows;
    int nrows = dc->nrows;
    char b[512];
    int bad = 0;
    {
        row *r = NULL;
        for (int k = 0; k < nrows; k++)
            if (m->key && strlen(rows[k].file) == m->key_len && memcmp(rows[k].file, m->key, m->key_len) == 0)
                r = &rows[k];
        if (!r) {
            fprintf(stderr, "%s: unexpected dead letter with key %.*s\n", dlq, (int)m->key_len, (char *)m->key);
            dc->bad++;
            return;
        }
        r->seen++;
        char want[32];
        struct {
            const char *h, *want;
        } checks[] = {
            {DS_DLQ_H_TOPIC, topic}, {DS_DLQ_H_PARTITION, "0"}, {DS_DLQ_H_OFFSET, want},
            {DS_DLQ_H_STAGE, r->stage}, {DS_DLQ_H_CLASS, r->cls}, {ORIGIN_HEADER, r->file},
        };
        snprintf(want, sizeof want, "%lld", (long long)r->offset);
        for (size_t c = 0; c < sizeof checks / sizeof checks[0]; c++) {
            const char *got = hdr(m, checks[c].h, b, sizeof b);
            if (!got || strcmp(got, checks[c].want) != 0) {
                fprintf(stderr, "%s: header %s is '%s', want '%s'\n", r->file, checks[c].h, got ? got : "(none)",
                        checks[c].want);
                bad++;
            }
        }
        const char *msg = hdr(m, DS_DLQ_H_MESSAGE, b, sizeof b);
        if (!msg || !strstr(msg, r->msg)) {
            fprintf(stderr, "%s: message '%s' does not contain '%s'\n", r->file, msg ? msg : "(none)", r->msg);
            bad++;
        }
        if (r->cut) {
            bad += check_truncated(m, r);
        } else if (m->len != r->len || (r->len && memcmp(m->payload, r->data, r->len) != 0)) {
            fprintf(stderr, "%s: dead letter holds %zu bytes, not the original %zu\n", r->file, m->len, r->len);
            bad++;
        }
    }
    dc->bad += bad;
}

/* Checks each dead letter of one DLQ topic against its row; returns the
 * number of mismatches. */
static int check_dlq(const char *bs, const char *topic, row *rows, int nrows)
{
    char dlq[128];
    snprintf(dlq, sizeof dlq, "%s.dlq", topic);
    dlq_check dc = {topic, dlq, rows, nrows, 0};
    read_raw(bs, dlq, check_one, &dc);
    return dc.bad;
}

/* Produces rows between good records on the two input topics, runs the
 * processor with args over them, and asserts that every row lands once in
 * its DLQ with the right headers and that the good records reach
 * deals.canonical. */
static void run_corpus(row *rows, int nrows, char **args)
{
    char err[256];
    ds_codec *codec = ds_codec_new(err, sizeof err);
    assert_non_null(codec);
    goods ga, gd;
    load_goods(&ga, codec, DS_SCHEMA_ARTICLE);
    load_goods(&gd, codec, DS_SCHEMA_DEAL_EVENT);

    ds_broker *b = ds_broker_new(1, 4, ds_broker_default_topics("dealstream"), err, sizeof err);
    assert_non_null(b);
    const char *bs = ds_broker_bootstraps(b);
    assert_int_equal(ds_broker_topic(b, ARTICLES, 1), 0);
    assert_int_equal(ds_broker_topic(b, DEALS, 1), 0);

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bs, err, sizeof err);
    rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof err);
    rd_kafka_conf_set(conf, "message.max.bytes", "4000000", err, sizeof err); /* the inputs over 1 MiB */
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    assert_non_null(rk);
    /* good, bad, good, bad, ... good on each topic */
    int ia = 0, id = 0, nin = 0;
    put(rk, ARTICLES, ga.keys[0], ga.bufs[0].data, ga.bufs[0].len);
    put(rk, DEALS, gd.keys[0], gd.bufs[0].data, gd.bufs[0].len);
    nin += 2;
    for (int i = 0; i < nrows; i++) {
        row *r = &rows[i];
        int art = strcmp(r->input, "article") == 0;
        assert_true(art || strcmp(r->input, "deal") == 0);
        r->offset = put_with(rk, art ? ARTICLES : DEALS, r->file, r->len ? r->data : NULL, r->len, r->file);
        goods *g = art ? &ga : &gd;
        int k = art ? ++ia % g->n : ++id % g->n;
        put(rk, art ? ARTICLES : DEALS, g->keys[k], g->bufs[k].data, g->bufs[k].len);
        nin += 2;
    }
    rd_kafka_destroy(rk);

    ds_run_stats st;
    assert_int_equal(tu_run(bs, &st, args), 0);
    assert_int_equal(st.consumed, nin);
    assert_int_equal(st.dead_letters, nrows);

    int bad = check_dlq(bs, ARTICLES, rows, nrows) + check_dlq(bs, DEALS, rows, nrows);
    for (int i = 0; i < nrows; i++)
        if (rows[i].seen != 1) {
            fprintf(stderr, "%s: dead-lettered %d time(s), want once\n", rows[i].file, rows[i].seen);
            bad++;
        }
    assert_int_equal(bad, 0);

    /* the good records around them were processed */
    json_t *deals = ds_demo_canonical(bs, "deals.canonical", err, sizeof err);
    assert_non_null(deals);
    int k2 = 0, jv = 0, rou = 0, k2e1 = 0;
    const char *key;
    json_t *d;
    json_object_foreach(deals, key, d) {
        int reported = tu_reported(d); /* not the reference table's row alone */
        if (!reported)
            continue;
        const char *fam = json_string_value(json_object_get(d, "family"));
        const char *stage = json_string_value(json_object_get(d, "stage"));
        const char *buyer = json_string_value(json_object_get(d, "buyer"));
        const char *date = json_string_value(json_object_get(d, "signing_date"));
        if (fam && strcmp(fam, "K2") == 0 && date && strcmp(date, "2025-08-01") == 0)
            k2++;
        if (fam && strcmp(fam, "K2") == 0 && date && strcmp(date, "2022-08-26") == 0)
            k2e1++;
        if (stage && strcmp(stage, "joint_venture") == 0)
            jv++;
        if (buyer && strcmp(buyer, "ROU") == 0 && fam && strcmp(fam, "K9") == 0) {
            rou++;
            /* 30 "Ł" (60 bytes) in a 48-byte field: 23 of them, whole */
            const char *place = json_string_value(json_object_get(d, "place"));
            assert_non_null(place);
            assert_int_equal(strlen(place), 46);
            assert_memory_equal(place, L30, 46);
        }
    }
    assert_int_equal(k2, 1);
    assert_int_equal(k2e1, 1);
    assert_int_equal(jv, 1);
    assert_int_equal(rou, 1);
    json_decref(deals);

    ds_broker_destroy(b);
    free_goods(&ga);
    free_goods(&gd);
    ds_codec_destroy(codec);
}

static void free_rows(row *rows, int nrows)
{
    for (int i = 0; i < nrows; i++)
        free(rows[i].data);
    free(rows);
}

/* The corpus as committed, with the small limits it was written for. */
static void test_corpus_to_dlq(void **state)
{
    (void)state;
    int nrows;
    row *rows = read_table(&nrows);
    assert_true(nrows >= 15);
    char *args[] = {"--articles-topic", ARTICLES, "--deals-topic", DEALS, "--max-message-bytes", "8192",
                    "--max-body-bytes", "4096", NULL};
    run_corpus(rows, nrows, args);
    free_rows(rows, nrows);
}

/* Appends a generated row. */
static row *add_row(row *rows, int *n, const char *file, const char *input, const char *stage, const char *cls,
                    const char *msg, char *data, size_t len, int cut)
{
    row *r = &rows[(*n)++];
    memset(r, 0, sizeof *r);
    snprintf(r->file, sizeof r->file, "%s", file);
    snprintf(r->input, sizeof r->input, "%s", input);
    snprintf(r->stage, sizeof r->stage, "%s", stage);
    snprintf(r->cls, sizeof r->cls, "%s", cls);
    snprintf(r->msg, sizeof r->msg, "%s", msg);
    r->data = data;
    r->len = len;
    r->cut = cut;
    return r;
}

/* Encodes a valid article whose body is body_len bytes of sentences (with
 * bad at byte 100 when given), as the produce command would. */
static char *big_article(ds_codec *codec, const char *id, size_t body_len, const char *bad, size_t *len)
{
    char err[256];
    const char *sentence = "The ministry said on Monday that talks with several suppliers continue. ";
    size_t sl = strlen(sentence);
    char *body = malloc(body_len + 1);
    for (size_t i = 0; i < body_len; i++)
        body[i] = sentence[i % sl];
    body[body_len] = '\0';
    json_t *rec = json_pack("{s:s, s:s, s:s}", "article_id", id, "body", body, "language", "en");
    free(body);
    avro_value_t val;
    ds_buf buf;
    ds_buf_init(&buf);
    assert_int_equal(ds_codec_value_new(codec, DS_SCHEMA_ARTICLE, &val), 0);
    assert_int_equal(ds_codec_from_json(codec, DS_SCHEMA_ARTICLE, rec, &val, err, sizeof err), 0);
    assert_int_equal(ds_codec_encode(codec, DS_SCHEMA_ARTICLE, &val, DS_FRAME_SINGLE_OBJECT, &buf), 0);
    avro_value_decref(&val);
    json_decref(rec);
    if (bad) {
        /* the body is the last string but one (language follows): byte 100 of it
         * lies well inside the value */
        char *at = memmem(buf.data, buf.len, sentence, sl);
        assert_non_null(at);
        memcpy(at + 100, bad, strlen(bad));
    }
    *len = buf.len;
    return (char *)buf.data; /* ds_buf's storage is malloc'd: the caller frees it */
}

/* The corpus with real-size limits: 1 MiB inputs, the producer's default
 * message.max.bytes of 1,000,000, the 512 KiB body limit. The 8 KiB cases
 * of the table are replaced by inputs just over those limits, two of them
 * larger than the producer accepts, so their dead letters are truncated. */
static void test_corpus_real_limits(void **state)
{
    (void)state;
    char err[256];
    int ntable, n = 0;
    row *table = read_table(&ntable);
    row *rows = calloc((size_t)ntable + 8, sizeof *rows);
    for (int i = 0; i < ntable; i++) {
        if (strcmp(table[i].cls, "too-big") == 0 || strcmp(table[i].cls, "body-too-big") == 0) {
            free(table[i].data);
            continue;
        }
        rows[n++] = table[i];
    }
    free(table);
    ds_codec *codec = ds_codec_new(err, sizeof err);
    assert_non_null(codec);
    size_t len;
    char *data = big_article(codec, "big-valid", 1048740 - 40, NULL, &len);
    assert_true(len > 1048576);
    add_row(rows, &n, "article-over-1mib.bin", "article", "validate", "too-big", "max.message.bytes", data, len, 1);
    data = big_article(codec, "big-bad-utf8", 1010044 - 40, "\xc3\x28\xff", &len);
    assert_true(len > 1000000 && len < 1048576);
    add_row(rows, &n, "article-bad-utf8-1mb.bin", "article", "decode", "bad-utf8", "UTF-8", data, len, 1);
    data = big_article(codec, "big-body", 600 * 1024, NULL, &len);
    add_row(rows, &n, "article-body-600kib.bin", "article", "validate", "body-too-big", "max-body-bytes", data, len, 0);
    ds_codec_destroy(codec);
    char *args[] = {"--articles-topic", ARTICLES, "--deals-topic", DEALS, "--max-message-bytes", "1048576", NULL};
    run_corpus(rows, n, args);
    free_rows(rows, n);
}

/* A producer limit that cannot hold a dead letter's headers fails the
 * start, before anything is consumed. */
static void test_dlq_limit_checked(void **state)
{
    (void)state;
    char err[256];
    ds_broker *b = ds_broker_new(1, 1, ds_broker_default_topics("dealstream"), err, sizeof err);
    assert_non_null(b);
    ds_run_stats st;
    memset(&st, 0, sizeof st);
    char *args[] = {"-X", "message.max.bytes=20000", NULL};
    assert_int_equal(tu_run(ds_broker_bootstraps(b), &st, args), 1);
    assert_int_equal(st.consumed, 0);
    ds_broker_destroy(b);
}

/* A dead letter's layout: whole when it fits, else the value gives way in
 * whole KiB, and the key or the original headers only when one alone takes
 * more than a quarter of the room. */
static void test_dlq_plan(void **state)
{
    (void)state;
    ds_dlq_plan p = ds_dlq_plan_make(100000, 10, 5000, 200);
    assert_true(p.keylen == 10 && p.len == 5000 && p.keep_headers);
    p = ds_dlq_plan_make(100000, 10, 99790, 200); /* exactly fits */
    assert_true(p.keylen == 10 && p.len == 99790 && p.keep_headers);
    p = ds_dlq_plan_make(100000, 10, 99791, 200);
    assert_true(p.keylen == 10 && p.keep_headers);
    assert_int_equal(p.len, (100000 - 10 - 200) / 1024 * 1024);
    p = ds_dlq_plan_make(100000, 60000, 500000, 200); /* a huge key is cut to a quarter */
    assert_int_equal(p.keylen, 25000);
    assert_int_equal(p.len, (100000 - 25000 - 200) / 1024 * 1024);
    p = ds_dlq_plan_make(100000, 10, 500000, 40000); /* huge original headers are left out */
    assert_false(p.keep_headers);
    assert_int_equal(p.len, (100000 - 10) / 1024 * 1024);
    p = ds_dlq_plan_make(0, 10, 10, 10);
    assert_true(p.keylen == 0 && p.len == 0 && !p.keep_headers);
}

/* The corpus was written for the current schemas: a header whose
 * fingerprint went stale would turn every case into unknown-fingerprint. */
static void test_corpus_fingerprints(void **state)
{
    (void)state;
    char err[256];
    ds_codec *codec = ds_codec_new(err, sizeof err);
    assert_non_null(codec);
    int nrows;
    row *rows = read_table(&nrows);
    int checked = 0;
    for (int i = 0; i < nrows; i++) {
        row *r = &rows[i];
        if (strcmp(r->cls, "unknown-fingerprint") == 0 || r->len < 10 || (unsigned char)r->data[0] != 0xC3)
            continue;
        uint64_t fp = 0;
        for (int k = 0; k < 8; k++)
            fp |= (uint64_t)(unsigned char)r->data[2 + k] << (8 * k);
        ds_schema_id want = strcmp(r->input, "article") == 0 ? DS_SCHEMA_ARTICLE : DS_SCHEMA_DEAL_EVENT;
        if (fp != ds_codec_fingerprint(codec, want))
            fprintf(stderr, "%s: stale fingerprint; rerun tests/badinput/gen.py\n", r->file);
        assert_true(fp == ds_codec_fingerprint(codec, want));
        checked++;
    }
    assert_true(checked >= 10);
    for (int i = 0; i < nrows; i++)
        free(rows[i].data);
    free(rows);
    ds_codec_destroy(codec);
}

int main(void)
{
    ds_log_setup("warn", "text");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_fingerprints),
        cmocka_unit_test(test_dlq_plan),
        cmocka_unit_test(test_dlq_limit_checked),
        cmocka_unit_test(test_corpus_to_dlq),
        cmocka_unit_test(test_corpus_real_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
