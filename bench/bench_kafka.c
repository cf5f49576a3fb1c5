/* bench_kafka: the Kafka side of the processor benchmark (bench/run.sh).
 *
 *   bench_kafka gen     -b BROKERS --type deal|article -n N [--blocks B] [--topic T] [--partitions P]
 *   bench_kafka drain   -b BROKERS -t TOPIC
 *   bench_kafka span    -b BROKERS -t TOPIC[,TOPIC...]
 *   bench_kafka latency -b BROKERS --rate R --seconds S [--blocks B] [--warmup S]
 *                       [-t INPUT] [--out-topic CANONICAL]
 *   bench_kafka restore -b BROKERS [--app-id A]
 *   bench_kafka relay   -b BROKERS -t TOPIC [--mid-topic T] [--out-topic T]
 *   bench_kafka topics  -b BROKERS --create NAME:PARTITIONS[:compact][,...]
 *
 * Every mode prints one JSON object on stdout (the figures) and a line of
 * prose on stderr.
 *
 * gen: publishes N DealEvents or N articles to a broker. Deal event i is its
 *   own deal: block i % B (buyer, seller and system family taken from the
 *   catalog), executive contract number i / B + 1 of that block, signed in a
 *   year of its own, so deals neither merge nor share an id; each causes one
 *   new canonical record. Article i is a labelled-corpus article (copy 0 as
 *   written, further copies with the sentences of each paragraph shuffled and
 *   an id of their own) padded with shuffled sentences of the corpus's
 *   negative articles (no deal) to a length drawn from 2,048-4,095 bytes.
 *   With --vary-buyers, copy c >= 1 names another buyer country (one of 30,
 *   in turn) wherever the corpus names its buyer, so copies are deals of
 *   other blocks instead of more reports of the same deal.
 *   After the flush it checks every partition's log start offset: the
 *   embedded broker keeps about 5 MiB per partition, and a partition that
 *   dropped data makes the run meaningless (exit 1).
 * drain: the ceiling; a bare librdkafka consumer (assign, poll, nothing else)
 *   reads TOPIC from the beginning to its end; time from the first message
 *   to the last.
 * span: reads topics to their end; counts, bytes, and the first and last
 *   message timestamps (CreateTime, stamped by the producing client).
 * latency: produces deal events at R per second for S seconds, each with
 *   `reported` set to the wall clock when it is sent, while a read_committed
 *   consumer of the canonical topic takes, for every source id it has not
 *   seen yet in a record's `sources`, now minus that source's `published`
 *   (the processor copies `reported` there). Inputs sent during the first
 *   --warmup seconds are not counted.
 * restore: rebuilds one resolver per partition of <app>-state from the
 *   changelog with ds_state_restore, as the processor does on assignment,
 *   and reports the time and the deals restored.
 * relay: the processor's Kafka traffic without its work, the ceiling of its
 *   topology: one exactly-once client pair reads TOPIC and writes each
 *   record's bytes to bench-relay-mid (the repartition), reads those back and
 *   writes each twice, to bench-relay-out (the canonical record and the
 *   changelog record); a transaction commits every 10,000 records read, with
 *   their offsets, as the processor's batches do. Time from the first record
 *   read to the last commit.
 * topics: creates topics with the Admin API (a real cluster creates none
 *   with the partitions and compaction a run needs by itself). */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "article.h"
#include "catalog.h"
#include "codec.h"
#include "kafka.h"
#include "pipeline.h"
#include "resolve.h"
#include "state.h"
#include "util.h"
#include "bench_corpus.h"
#include "bench_rng.h"

static const char *brokers;

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench_kafka: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
    char e[512];
    if (rd_kafka_conf_set(conf, k, v, e, sizeof e) != RD_KAFKA_CONF_OK)
        die("%s=%s: %s", k, v, e);
}

static rd_kafka_conf_t *base_conf(void)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", brokers);
    set(conf, "log_level", "3");
    return conf;
}

static int npartitions(rd_kafka_t *rk, const char *topic)
{
    int32_t *parts = NULL;
    char err[512] = "";
    for (int tries = 0; tries < 20; tries++) {
        int n = ds_kafka_partitions(rk, topic, 10000, &parts, err, sizeof err);
        free(parts);
        parts = NULL;
        if (n > 0)
            return n;
        usleep(100000);
    }
    die("topic %s: %s", topic, err);
    return -1;
}

/* ---- record builders ------------------------------------------------------- */

static void rfc3339(int64_t ms, char out[64])
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

typedef struct deal_gen {
    const ds_catalog *cat;
    const char **countries; /* iso3 codes */
    size_t ncountries;
    const char **families;  /* family root ids */
    const char **origins;
    size_t nfamilies;
    long blocks;
} deal_gen;

static void deal_gen_init(deal_gen *g, const ds_catalog *cat, long blocks)
{
    g->cat = cat;
    g->blocks = blocks;
    g->countries = malloc(cat->ncountries * sizeof *g->countries);
    g->families = malloc(cat->nsystems * sizeof *g->families);
    g->origins = malloc(cat->nsystems * sizeof *g->origins);
    for (size_t i = 0; i < cat->ncountries; i++)
        g->countries[g->ncountries++] = cat->countries[i].iso3;
    for (size_t i = 0; i < cat->nsystems; i++)
        if (strcmp(cat->systems[i].id, cat->systems[i].family) == 0) {
            g->origins[g->nfamilies] = cat->systems[i].origin;
            g->families[g->nfamilies++] = cat->systems[i].id;
        }
    if (g->ncountries < 2 || g->nfamilies < 1)
        die("catalog too small for deal events");
}

static void deal_gen_fini(deal_gen *g)
{
    free(g->countries);
    free(g->families);
    free(g->origins);
}

/* Deal event i as JSON: block i % blocks, batch i / blocks + 1. */
static json_t *deal_json(const deal_gen *g, long i, int64_t reported_ms, char *key, size_t keylen)
{
    long b = i % g->blocks, k = i / g->blocks + 1;
    size_t nc = g->ncountries;
    size_t buyer = (size_t)b % nc;
    size_t seller = ((size_t)b / nc) % (nc - 1);
    if (seller >= buyer)
        seller++;
    size_t fam = ((size_t)b / nc / (nc - 1)) % g->nfamilies;
    char rep[64], sd[48], amount[48];
    rfc3339(reported_ms, rep);
    int year = 1900 + (int)(k % 200);
    snprintf(sd, sizeof sd, "%04d-%02d-%02d", year, (int)(b % 12) + 1, (int)(b % 28) + 1);
    snprintf(amount, sizeof amount, "%ld000000.00", 10 + (i * 7919) % 5000);
    snprintf(key, keylen, "bench-%ld", i);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:{s:s, s:s}, s:s, s:s, s:s, s:I}", "source_id", key,
                     "source", "bench", "reported", rep, "buyer", g->countries[buyer], "seller",
                     g->countries[seller], "system", g->families[fam], "quantity", (json_int_t)(10 + i % 500),
                     "value", "amount", amount, "currency", "USD", "stage", "executive", "status", "signed",
                     "signing_date", sd, "batch", (json_int_t)(k % 99 + 1));
}

/* Sentences of body: ends after ". ", "! ", "? " or at a paragraph break. */
static int sentences(const char *body, size_t len, span *out, int cap)
{
    int n = 0;
    size_t s = 0;
    for (size_t i = 0; i < len && n < cap; i++) {
        int stop = ((body[i] == '.' || body[i] == '!' || body[i] == '?') && i + 1 < len && body[i + 1] == ' ') ||
                   (body[i] == '\n' && i + 1 < len && body[i + 1] == '\n');
        if (stop) {
            out[n++] = (span){s, i + 2 - s};
            s = i + 2;
            i++;
        }
    }
    if (s < len && n < cap)
        out[n++] = (span){s, len - s};
    return n;
}

/* Appends body with the sentences of each paragraph shuffled. */
static void append_shuffled(ds_buf *out, const char *body, size_t len)
{
    if (ds_buf_reserve(out, len) == 0) {
        shuffle_sentences((char *)out->data + out->len, body, len);
        out->len += len;
        out->data[out->len] = '\0';
    }
}

typedef struct article_gen {
    bench_src *arts;
    int n;
    int *pos, npos; /* articles with a deal */
    int *neg, nneg; /* negative articles: the padding */
    int vary;       /* --vary-buyers: copy c names buyer country c instead of the corpus's */
    ds_buf body, tmp;
} article_gen;

/* The buyers of the corpus, and the countries (name, adjective) that copies
 * of its articles buy for instead under --vary-buyers, so that the copies
 * of one article are deals of other blocks rather than more reports of one
 * deal. Capitals used as metonyms become the country's name. */
static const char *const corpus_buyers[][2] = {
    {"Poland", "Polish"},       {"Australia", "Australian"}, {"Egypt", "Egyptian"},   {"Romania", "Romanian"},
    {"Norway", "Norwegian"},    {"Estonia", "Estonian"},     {"Finland", "Finnish"},  {"India", "Indian"},
    {"Philippines", "Philippine"}, {"Malaysia", "Malaysian"}, {"Warsaw", "Polish"},   {"Canberra", "Australian"},
    {"Cairo", "Egyptian"},      {"Bucharest", "Romanian"},
};
static const char *const other_buyers[][2] = {
    {"Spain", "Spanish"},     {"Sweden", "Swedish"},     {"Turkey", "Turkish"},       {"Japan", "Japanese"},
    {"Canada", "Canadian"},   {"Brazil", "Brazilian"},   {"Saudi Arabia", "Saudi"},   {"Qatar", "Qatari"},
    {"Indonesia", "Indonesian"}, {"Thailand", "Thai"},   {"Vietnam", "Vietnamese"},   {"Latvia", "Latvian"},
    {"Lithuania", "Lithuanian"}, {"Slovakia", "Slovak"}, {"Hungary", "Hungarian"},    {"Greece", "Greek"},
    {"Netherlands", "Dutch"}, {"Belgium", "Belgian"},    {"Denmark", "Danish"},       {"Portugal", "Portuguese"},
    {"Austria", "Austrian"},  {"Bulgaria", "Bulgarian"}, {"Croatia", "Croatian"},     {"Morocco", "Moroccan"},
    {"Mexico", "Mexican"},    {"Colombia", "Colombian"}, {"Peru", "Peruvian"},        {"Chile", "Chilean"},
    {"Oman", "Omani"},        {"Kazakhstan", "Kazakh"},
};
#define NCORPUS_BUYERS (sizeof corpus_buyers / sizeof corpus_buyers[0])
#define NOTHER_BUYERS (sizeof other_buyers / sizeof other_buyers[0])

static int word_at(const char *p, size_t left, const char *w, int prev_alnum)
{
    size_t n = strlen(w);
    return !prev_alnum && left >= n && memcmp(p, w, n) == 0 &&
           (left == n || !(isalnum((unsigned char)p[n]) || p[n] == '-'));
}

/* Rewrites every corpus buyer's name and adjective in in[0..len) as those
 * of other_buyers[target] into out. */
static void rewrite_buyers(ds_buf *out, const char *in, size_t len, size_t target)
{
    ds_buf_reset(out);
    for (size_t i = 0; i < len;) {
        int prev = i > 0 && (isalnum((unsigned char)in[i - 1]) || in[i - 1] == '-');
        size_t k;
        int done = 0;
        for (k = 0; k < NCORPUS_BUYERS && !done; k++)
            for (int f = 0; f < 2 && !done; f++)
                if (word_at(in + i, len - i, corpus_buyers[k][f], prev)) {
                    /* a capital stands for its country */
                    const char *to = other_buyers[target][k >= 10 ? 0 : f];
                    ds_buf_append(out, to, strlen(to));
                    i += strlen(corpus_buyers[k][f]);
                    done = 1;
                }
        if (!done)
            ds_buf_append(out, in + i++, 1);
    }
}

static void article_gen_init(article_gen *g, const char *dir)
{
    g->arts = bench_corpus_load("bench_kafka", dir, &g->n);
    g->pos = malloc((size_t)g->n * sizeof *g->pos);
    g->neg = malloc((size_t)g->n * sizeof *g->neg);
    for (int i = 0; i < g->n; i++) {
        if (g->arts[i].negative)
            g->neg[g->nneg++] = i;
        else
            g->pos[g->npos++] = i;
    }
    if (!g->npos || !g->nneg)
        die("corpus needs articles with and without deals");
    ds_buf_init(&g->body);
    ds_buf_init(&g->tmp);
}

static void article_gen_fini(article_gen *g)
{
    bench_corpus_free(g->arts, g->n);
    free(g->pos);
    free(g->neg);
    ds_buf_free(&g->body);
    ds_buf_free(&g->tmp);
}

static json_t *article_json(article_gen *g, long i, char *key, size_t keylen)
{
    const bench_src *a = &g->arts[g->pos[i % g->npos]];
    long copy = i / g->npos;
    ds_buf_reset(&g->body);
    if (copy == 0)
        ds_buf_append(&g->body, a->ta.body, a->ta.body_len);
    else
        append_shuffled(&g->body, a->ta.body, a->ta.body_len);
    size_t target = 2048 + (size_t)(rng() % 2048);
    while (g->body.len < target) {
        const bench_src *pad = &g->arts[g->neg[rng() % (uint64_t)g->nneg]];
        span sent[512];
        int ns = sentences(pad->ta.body, pad->ta.body_len, sent, 512);
        ds_buf_append(&g->body, "\n\n", 2);
        for (int k = 0; k < ns && g->body.len < target; k++) {
            const span *s = &sent[rng() % (uint64_t)ns];
            if (g->body.len + s->len >= 4096)
                break;
            ds_buf_append(&g->body, pad->ta.body + s->off, s->len);
        }
        if (g->body.len + 64 >= 4096)
            break;
    }
    if (g->vary && copy > 0) {
        rewrite_buyers(&g->tmp, (const char *)g->body.data, g->body.len, (size_t)(copy - 1) % NOTHER_BUYERS);
        ds_buf_reset(&g->body);
        ds_buf_append(&g->body, g->tmp.data, g->tmp.len);
    }
    snprintf(key, keylen, "%s-c%ld", a->name, copy);
    char pub[64];
    rfc3339(a->ta.published, pub);
    json_t *o = json_pack("{s:s, s:s, s:s%, s:s}", "article_id", key, "published", pub, "body", g->body.data,
                          g->body.len, "language", "en");
    json_object_set_new(o, "outlet", a->outlet ? json_string(a->outlet) : json_null());
    json_object_set_new(o, "title", a->title ? json_string(a->title) : json_null());
    return o;
}

/* ---- producing --------------------------------------------------------------- */

static volatile long delivery_failures;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (rkm->err) {
        delivery_failures++;
        fprintf(stderr, "bench_kafka: delivery failed: %s\n", rd_kafka_err2str(rkm->err));
    }
}

/* An idempotent producer; transactional when tid is not NULL. */
static rd_kafka_t *new_producer(const char *linger, const char *tid)
{
    rd_kafka_conf_t *conf = base_conf();
    set(conf, "linger.ms", linger);
    if (tid)
        set(conf, "transactional.id", tid);
    set(conf, "enable.idempotence", "true");
    set(conf, "queue.buffering.max.messages", "1000000");
    set(conf, "queue.buffering.max.kbytes", "2000000");
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    char e[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e);
    if (!rk)
        die("producer: %s", e);
    return rk;
}

static void produce(rd_kafka_t *rk, const char *topic, const char *key, const void *val, size_t len,
                    int64_t ts_ms)
{
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE((void *)val, len),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP(ts_ms), RD_KAFKA_V_END);
        if (!err)
            return;
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            die("produce to %s: %s", topic, rd_kafka_err2str(err));
        rd_kafka_poll(rk, 50);
    }
}

/* Exits 1 when a partition of topic lost data to the broker's retention. */
static int64_t check_retention(rd_kafka_t *rk, const char *topic, int64_t *total)
{
    int n = npartitions(rk, topic);
    int64_t dropped = 0;
    *total = 0;
    for (int p = 0; p < n; p++) {
        int64_t lo, hi;
        rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 10000);
        if (e)
            die("watermarks of %s [%d]: %s", topic, p, rd_kafka_err2str(e));
        dropped += lo;
        *total += hi;
    }
    return dropped;
}

static const char *catalog_dir = DS_DATA_DIR "/catalog";
static int vary_buyers;
static const char *corpus_dir = DS_SOURCE_DIR "/tests/corpus";

static int cmd_gen(const char *type, long n, long blocks, const char *topic)
{
    int deal = strcmp(type, "deal") == 0;
    if (!topic)
        topic = deal ? "deals" : "articles";
    char err[1024];
    ds_codec *codec = ds_codec_new(err, sizeof err);
    ds_catalog *cat = ds_catalog_load(catalog_dir, err, sizeof err);
    if (!codec || !cat)
        die("%s", err);
    ds_schema_id sid = deal ? DS_SCHEMA_DEAL_EVENT : DS_SCHEMA_ARTICLE;
    avro_value_t val;
    if (ds_codec_value_new(codec, sid, &val))
        die("out of memory");
    deal_gen dg = {0};
    article_gen ag = {0};
    if (deal)
        deal_gen_init(&dg, cat, blocks);
    else
        article_gen_init(&ag, corpus_dir);
    ag.vary = vary_buyers;
    rd_kafka_t *rk = new_producer("20", NULL);
    npartitions(rk, topic);
    ds_buf buf;
    ds_buf_init(&buf);
    uint64_t bytes = 0;
    size_t minsz = SIZE_MAX, maxsz = 0;
    int64_t now = ds_now_ms();
    double t0 = mono_s();
    for (long i = 0; i < n; i++) {
        char key[192];
        json_t *j = deal ? deal_json(&dg, i, now, key, sizeof key) : article_json(&ag, i, key, sizeof key);
        if (!j || ds_codec_from_json(codec, sid, j, &val, err, sizeof err))
            die("record %ld: %s", i, j ? err : "json");
        json_decref(j);
        ds_buf_reset(&buf);
        if (ds_codec_encode(codec, sid, &val, DS_FRAME_SINGLE_OBJECT, &buf))
            die("encode: %s", avro_strerror());
        produce(rk, topic, key, buf.data, buf.len, now);
        bytes += buf.len;
        if (buf.len < minsz)
            minsz = buf.len;
        if (buf.len > maxsz)
            maxsz = buf.len;
        rd_kafka_poll(rk, 0);
    }
    if (rd_kafka_flush(rk, 120000))
        die("flush: %d messages undelivered", rd_kafka_outq_len(rk));
    double dt = mono_s() - t0;
    int64_t total;
    int64_t dropped = check_retention(rk, topic, &total);
    printf("{\"topic\":\"%s\",\"type\":\"%s\",\"messages\":%ld,\"bytes\":%" PRIu64
           ",\"mean_bytes\":%.0f,\"min_bytes\":%zu,\"max_bytes\":%zu,\"log_end_total\":%" PRId64
           ",\"dropped_by_retention\":%" PRId64 ",\"seconds\":%.3f,\"delivery_failures\":%ld}\n",
           topic, type, n, bytes, n ? (double)bytes / (double)n : 0.0, n ? minsz : 0, maxsz, total, dropped, dt,
           delivery_failures);
    fprintf(stderr, "gen: %ld %s records, %.1f MB (%.0f bytes mean) to %s in %.1f s\n", n, type, bytes / 1e6,
            n ? (double)bytes / (double)n : 0.0, topic, dt);
    ds_buf_free(&buf);
    avro_value_decref(&val);
    rd_kafka_destroy(rk);
    if (deal)
        deal_gen_fini(&dg);
    else
        article_gen_fini(&ag);
    ds_catalog_destroy(cat);
    ds_codec_destroy(codec);
    if (dropped)
        die("%s: %" PRId64 " messages dropped by the broker's per-partition retention: use more partitions", topic,
            dropped);
    return delivery_failures ? 1 : 0;
}

/* ---- consuming --------------------------------------------------------------- */

static rd_kafka_t *new_consumer(const char *group, const char *extra_key, const char *extra_val)
{
    rd_kafka_conf_t *conf = base_conf();
    set(conf, "group.id", group);
    set(conf, "enable.partition.eof", "true");
    set(conf, "enable.auto.commit", "false");
    set(conf, "auto.offset.reset", "earliest");
    set(conf, "isolation.level", "read_committed");
    if (extra_key)
        set(conf, extra_key, extra_val);
    char e[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof e);
    if (!rk)
        die("consumer: %s", e);
    rd_kafka_poll_set_consumer(rk);
    return rk;
}

/* Assigns every partition of the comma-separated topics; returns the count. */
static int assign_all(rd_kafka_t *rk, const char *topics, int64_t offset)
{
    rd_kafka_topic_partition_list_t *as = rd_kafka_topic_partition_list_new(64);
    char *dup = strdup(topics), *save = NULL;
    for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int n = npartitions(rk, t);
        for (int p = 0; p < n; p++)
            rd_kafka_topic_partition_list_add(as, t, p)->offset = offset;
    }
    free(dup);
    int cnt = as->cnt;
    rd_kafka_resp_err_t e = rd_kafka_assign(rk, as);
    rd_kafka_topic_partition_list_destroy(as);
    if (e)
        die("assign: %s", rd_kafka_err2str(e));
    return cnt;
}

/* drain and span: read to the end of every partition. */
static int cmd_read(const char *topics, int is_drain)
{
    rd_kafka_t *rk = new_consumer("bench-read", NULL, NULL);
    double t_start = mono_s();
    int nparts = assign_all(rk, topics, RD_KAFKA_OFFSET_BEGINNING);
    int eofs = 0;
    uint64_t msgs = 0, bytes = 0;
    int64_t ts_min = INT64_MAX, ts_max = INT64_MIN;
    double t_first = 0, t_last = 0;
    char *seen_eof = calloc((size_t)nparts * 4 + 64, 1);
    while (eofs < nparts) {
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(rk, 1000);
        if (!rkm)
            continue;
        if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            eofs++;
        } else if (rkm->err) {
            fprintf(stderr, "bench_kafka: %s\n", rd_kafka_message_errstr(rkm));
        } else {
            double t = mono_s();
            if (!msgs)
                t_first = t;
            t_last = t;
            msgs++;
            bytes += rkm->len + rkm->key_len;
            if (!is_drain) {
                int64_t ts = rd_kafka_message_timestamp(rkm, NULL);
                if (ts < ts_min)
                    ts_min = ts;
                if (ts > ts_max)
                    ts_max = ts;
            }
        }
        rd_kafka_message_destroy(rkm);
    }
    double t_end = mono_s();
    free(seen_eof);
    if (is_drain) {
        double dt = t_last - t_first;
        printf("{\"topic\":\"%s\",\"messages\":%" PRIu64 ",\"bytes\":%" PRIu64
               ",\"first_to_last_s\":%.4f,\"wall_s\":%.4f,\"msgs_per_s\":%.0f,\"mb_per_s\":%.2f}\n",
               topics, msgs, bytes, dt, t_end - t_start, dt > 0 ? (double)msgs / dt : 0.0,
               dt > 0 ? (double)bytes / dt / 1e6 : 0.0);
        fprintf(stderr, "drain: %" PRIu64 " messages, %.1f MB in %.3f s (first to last): %.0f msg/s\n", msgs,
                bytes / 1e6, dt, dt > 0 ? (double)msgs / dt : 0.0);
    } else {
        printf("{\"topic\":\"%s\",\"messages\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"ts_first_ms\":%" PRId64
               ",\"ts_last_ms\":%" PRId64 "}\n",
               topics, msgs, bytes, msgs ? ts_min : 0, msgs ? ts_max : 0);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return 0;
}

/* ---- latency ----------------------------------------------------------------- */

typedef struct lat_ctx {
    double rate, seconds, warmup;
    long blocks;
    const ds_catalog *cat;
    volatile long sent, counted_from; /* inputs with index >= counted_from are measured */
    volatile int done;
    int64_t t0_ms;
    const char *topic; /* the input topic */
} lat_ctx;

static void *lat_producer(void *arg)
{
    lat_ctx *c = arg;
    char err[1024];
    ds_codec *codec = ds_codec_new(err, sizeof err);
    avro_value_t val;
    if (!codec || ds_codec_value_new(codec, DS_SCHEMA_DEAL_EVENT, &val))
        die("codec: %s", err);
    deal_gen dg = {0};
    deal_gen_init(&dg, c->cat, c->blocks);
    rd_kafka_t *rk = new_producer("0", NULL);
    ds_buf buf;
    ds_buf_init(&buf);
    long n = (long)(c->rate * c->seconds);
    double t0 = mono_s();
    c->counted_from = (long)(c->rate * c->warmup);
    for (long i = 0; i < n; i++) {
        double due = t0 + (double)i / c->rate;
        double wait = due - mono_s();
        if (wait > 0)
            usleep((useconds_t)(wait * 1e6));
        rd_kafka_poll(rk, 0);
        char key[64];
        int64_t now = ds_now_ms();
        json_t *j = deal_json(&dg, i, now, key, sizeof key);
        if (ds_codec_from_json(codec, DS_SCHEMA_DEAL_EVENT, j, &val, err, sizeof err))
            die("record %ld: %s", i, err);
        json_decref(j);
        ds_buf_reset(&buf);
        if (ds_codec_encode(codec, DS_SCHEMA_DEAL_EVENT, &val, DS_FRAME_SINGLE_OBJECT, &buf))
            die("encode");
        produce(rk, c->topic, key, buf.data, buf.len, now);
        c->sent = i + 1;
    }
    rd_kafka_flush(rk, 30000);
    c->done = 1;
    ds_buf_free(&buf);
    avro_value_decref(&val);
    rd_kafka_destroy(rk);
    ds_codec_destroy(codec);
    return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmd_latency(double rate, double seconds, double warmup, long blocks, const char *fetch_wait,
                       const char *in_topic, const char *out_topic)
{
    char err[1024];
    ds_catalog *cat = ds_catalog_load(catalog_dir, err, sizeof err);
    ds_codec *codec = ds_codec_new(err, sizeof err);
    if (!cat || !codec)
        die("%s", err);
    avro_value_t canon;
    if (ds_codec_value_new(codec, DS_SCHEMA_CANONICAL, &canon))
        die("out of memory");
    /* The embedded broker answers a fetch with no data only after
     * fetch.wait.max.ms, without waking on new data as Kafka does: keep the
     * measuring consumer's wait short. */
    rd_kafka_t *rk = new_consumer("bench-latency", "fetch.wait.max.ms", fetch_wait);
    assign_all(rk, out_topic, RD_KAFKA_OFFSET_BEGINNING);
    lat_ctx c = {.rate = rate, .seconds = seconds, .warmup = warmup, .blocks = blocks, .cat = cat, .topic = in_topic};
    long n = (long)(rate * seconds);
    char *seen = calloc((size_t)n + 1, 1);
    int64_t *lat = malloc(((size_t)n + 1) * sizeof *lat);
    long nlat = 0, nseen = 0, records = 0;
    pthread_t th;
    pthread_create(&th, NULL, lat_producer, &c);
    double idle_since = 0;
    while (nseen < n) {
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(rk, 100);
        if (!rkm) {
            if (c.done) {
                if (!idle_since)
                    idle_since = mono_s();
                else if (mono_s() - idle_since > 30)
                    break;
            }
            continue;
        }
        idle_since = 0;
        if (rkm->err) {
            rd_kafka_message_destroy(rkm);
            continue;
        }
        int64_t now = ds_now_ms();
        records++;
        if (ds_codec_decode(codec, DS_SCHEMA_CANONICAL, rkm->payload, rkm->len, &canon, err, sizeof err) == 0) {
            avro_value_t srcs, src, f, b;
            size_t ns = 0;
            avro_value_get_by_name(&canon, "sources", &srcs, NULL);
            avro_value_get_size(&srcs, &ns);
            for (size_t i = 0; i < ns; i++) {
                const char *id;
                size_t idl;
                int64_t pub;
                int disc;
                avro_value_get_by_index(&srcs, i, &src, NULL);
                avro_value_get_by_name(&src, "id", &f, NULL);
                avro_value_get_string(&f, &id, &idl);
                if (strncmp(id, "bench-", 6) != 0)
                    continue;
                long k = strtol(id + 6, NULL, 10);
                if (k < 0 || k >= n || seen[k])
                    continue;
                seen[k] = 1;
                nseen++;
                avro_value_get_by_name(&src, "published", &f, NULL);
                if (avro_value_get_discriminant(&f, &disc) || disc != 1 || avro_value_get_current_branch(&f, &b) ||
                    avro_value_get_long(&b, &pub))
                    continue;
                if (k >= c.counted_from)
                    lat[nlat++] = now - pub;
            }
        }
        rd_kafka_message_destroy(rkm);
    }
    pthread_join(th, NULL);
    qsort(lat, (size_t)nlat, sizeof *lat, cmp_i64);
#define PCT(q) (nlat ? lat[(size_t)fmin((double)nlat - 1, ceil((q) * (double)nlat) - 1)] : -1)
    double mean = 0;
    for (long i = 0; i < nlat; i++)
        mean += (double)lat[i];
    mean = nlat ? mean / (double)nlat : 0;
    printf("{\"rate\":%.0f,\"seconds\":%.0f,\"warmup_s\":%.0f,\"sent\":%ld,\"resolved\":%ld,\"measured\":%ld,"
           "\"canonical_records\":%ld,\"p50_ms\":%" PRId64 ",\"p90_ms\":%" PRId64 ",\"p99_ms\":%" PRId64
           ",\"max_ms\":%" PRId64 ",\"mean_ms\":%.1f,\"min_ms\":%" PRId64 "}\n",
           rate, seconds, warmup, c.sent, nseen, nlat, records, PCT(0.50), PCT(0.90), PCT(0.99),
           nlat ? lat[nlat - 1] : -1, mean, nlat ? lat[0] : -1);
    fprintf(stderr, "latency: %ld of %ld inputs out, %ld measured: p50 %" PRId64 " ms, p99 %" PRId64
                    " ms, max %" PRId64 " ms\n",
            nseen, c.sent, nlat, PCT(0.50), PCT(0.99), nlat ? lat[nlat - 1] : -1);
    free(seen);
    free(lat);
    avro_value_decref(&canon);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return nseen == n ? 0 : 1;
}

/* ---- restore ---------------------------------------------------------------- */

static int emit_none(void *opaque, const char *key, const void *val, size_t len)
{
    (void)key;
    (void)val;
    (void)len;
    (*(long *)opaque)++;
    return 0;
}

static int cmd_restore(const char *app_id)
{
    char err[1024], stopic[256];
    snprintf(stopic, sizeof stopic, "%s-state", app_id);
    ds_pipeline pl;
    if (ds_pipeline_init(&pl, catalog_dir, err, sizeof err))
        die("%s", err);
    rd_kafka_t *meta = new_consumer("bench-restore-meta", NULL, NULL);
    int n = npartitions(meta, stopic);
    rd_kafka_destroy(meta);
    uint64_t records = 0, blocks = 0, mentions = 0, deals = 0;
    int64_t ms_sum = 0;
    long republished = 0;
    ds_resolver **rs = calloc((size_t)n, sizeof *rs);
    double t0 = mono_s();
    for (int p = 0; p < n; p++) {
        rs[p] = ds_resolver_new(pl.cat);
        ds_resolver_set_cross_block(rs[p], 0);
        rd_kafka_conf_t *conf = base_conf();
        ds_restore_stats st = {0};
        if (ds_state_restore_wait(rs[p], &pl, conf, stopic, p, INT64_MAX, 300000, emit_none, &republished, &st, err,
                                  sizeof err))
            die("restore %s [%d]: %s", stopic, p, err);
        records += st.records;
        blocks += st.blocks;
        mentions += st.mentions;
        ms_sum += st.ms;
        deals += ds_resolver_deal_count(rs[p]);
    }
    double dt = mono_s() - t0;
    printf("{\"topic\":\"%s\",\"partitions\":%d,\"records\":%" PRIu64 ",\"blocks\":%" PRIu64 ",\"mentions\":%" PRIu64
           ",\"deals\":%" PRIu64 ",\"seconds\":%.3f,\"restore_ms_sum\":%" PRId64 ",\"republished\":%ld}\n",
           stopic, n, records, blocks, mentions, deals, dt, ms_sum, republished);
    fprintf(stderr, "restore: %" PRIu64 " records, %" PRIu64 " blocks, %" PRIu64 " deals in %.3f s\n", records,
            blocks, deals, dt);
    for (int p = 0; p < n; p++)
        ds_resolver_destroy(rs[p]);
    free(rs);
    ds_pipeline_fini(&pl);
    return 0;
}

/* ---- relay ------------------------------------------------------------------ */

static const char *relay_mid = "bench-relay-mid";
static const char *relay_out = "bench-relay-out";
#define RELAY_BATCH 10000

static void relay_commit(rd_kafka_t *prod, rd_kafka_t *cons, rd_kafka_topic_partition_list_t *offs)
{
    rd_kafka_error_t *e = NULL;
    if (offs->cnt) {
        rd_kafka_consumer_group_metadata_t *g = rd_kafka_consumer_group_metadata(cons);
        e = rd_kafka_send_offsets_to_transaction(prod, offs, g, 30000);
        rd_kafka_consumer_group_metadata_destroy(g);
    }
    if (!e)
        e = rd_kafka_commit_transaction(prod, 30000);
    if (e)
        die("relay: commit: %s", rd_kafka_error_string(e));
}

static int cmd_relay(const char *topic)
{
    char tid[64], group[64];
    snprintf(tid, sizeof tid, "bench-relay-%ld", (long)getpid());
    snprintf(group, sizeof group, "bench-relay-%ld", (long)getpid());
    rd_kafka_t *prod = new_producer("5", tid);
    rd_kafka_error_t *err = rd_kafka_init_transactions(prod, 30000);
    if (err)
        die("relay: init_transactions: %s", rd_kafka_error_string(err));
    int nin = npartitions(prod, topic);
    /* the mid and out topics: created beforehand (bench_kafka topics), or by
     * a broker that creates topics on their first metadata request */
    npartitions(prod, relay_mid);
    npartitions(prod, relay_out);
    rd_kafka_t *cons = new_consumer(group, NULL, NULL);
    char both[512];
    snprintf(both, sizeof both, "%s,%s", topic, relay_mid);
    int nparts = assign_all(cons, both, RD_KAFKA_OFFSET_BEGINNING);
    /* the input's size: the sum of its high watermarks */
    int64_t total = 0;
    for (int p = 0; p < nin; p++) {
        int64_t lo, hi;
        if (rd_kafka_query_watermark_offsets(cons, topic, p, &lo, &hi, 10000) == 0)
            total += hi - lo;
    }
    rd_kafka_topic_partition_list_t *offs = rd_kafka_topic_partition_list_new(nparts);
    if ((err = rd_kafka_begin_transaction(prod)))
        die("relay: begin_transaction: %s", rd_kafka_error_string(err));
    int64_t in = 0, mid = 0, batch = 0, commits = 0;
    double t_first = 0, t_progress = mono_s();
    while (mid < total) {
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(cons, 100);
        if (!rkm && batch) {
            /* idle with an open batch: its writes become readable (to a
             * read_committed consumer of Kafka) only once it commits */
            relay_commit(prod, cons, offs);
            commits++;
            batch = 0;
            if ((err = rd_kafka_begin_transaction(prod)))
                die("relay: begin_transaction: %s", rd_kafka_error_string(err));
        }
        if (!rkm || rkm->err) {
            if (rkm && rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "bench_kafka: %s\n", rd_kafka_message_errstr(rkm));
            if (rkm)
                rd_kafka_message_destroy(rkm);
            if (mono_s() - t_progress > 30)
                die("relay: no progress for 30 s at %" PRId64 " inputs and %" PRId64 " read back of %" PRId64
                    " (records dropped by the broker's retention?)",
                    in, mid, total);
            continue;
        }
        t_progress = mono_s();
        if (!in && !mid)
            t_first = mono_s();
        const char *t = rd_kafka_topic_name(rkm->rkt);
        int is_mid = strcmp(t, relay_mid) == 0;
        char key[256];
        size_t kl = rkm->key_len < sizeof key - 1 ? rkm->key_len : sizeof key - 1;
        memcpy(key, rkm->key ? rkm->key : "", kl);
        key[kl] = '\0';
        for (int k = 0; k < (is_mid ? 2 : 1); k++)
            produce(prod, is_mid ? relay_out : relay_mid, key, rkm->payload, rkm->len, 0);
        rd_kafka_topic_partition_t *o = rd_kafka_topic_partition_list_find(offs, t, rkm->partition);
        if (!o)
            o = rd_kafka_topic_partition_list_add(offs, t, rkm->partition);
        o->offset = rkm->offset + 1;
        *(is_mid ? &mid : &in) += 1;
        rd_kafka_message_destroy(rkm);
        rd_kafka_poll(prod, 0);
        if (++batch >= RELAY_BATCH || mid == total) {
            relay_commit(prod, cons, offs);
            commits++;
            batch = 0;
            if (mid < total && (err = rd_kafka_begin_transaction(prod)))
                die("relay: begin_transaction: %s", rd_kafka_error_string(err));
        }
    }
    double dt = mono_s() - t_first;
    printf("{\"topic\":\"%s\",\"inputs\":%" PRId64 ",\"reads\":%" PRId64 ",\"writes\":%" PRId64
           ",\"commits\":%" PRId64 ",\"seconds\":%.3f,\"msgs_per_s\":%.0f}\n",
           topic, in, in + mid, in + 2 * mid, commits, dt, dt > 0 ? (double)in / dt : 0.0);
    fprintf(stderr, "relay: %" PRId64 " inputs (%" PRId64 " reads, %" PRId64 " writes, %" PRId64
            " transactions) in %.3f s: %.0f inputs/s\n",
            in, in + mid, in + 2 * mid, commits, dt, dt > 0 ? (double)in / dt : 0.0);
    rd_kafka_topic_partition_list_destroy(offs);
    rd_kafka_consumer_close(cons);
    rd_kafka_destroy(cons);
    rd_kafka_destroy(prod);
    return delivery_failures ? 1 : 0;
}


/* ---- topics ----------------------------------------------------------------- */

/* One NewTopic from "NAME:PARTITIONS[:compact]"; dies on a malformed spec. */
static rd_kafka_NewTopic_t *new_topic(const char *spec, char name[256])
{
    char e[512];
    const char *c1 = strchr(spec, ':');
    if (!c1 || c1 - spec >= 256)
        die("topic %s: want NAME:PARTITIONS[:compact]", spec);
    memcpy(name, spec, (size_t)(c1 - spec));
    name[c1 - spec] = '\0';
    char *end;
    long parts = strtol(c1 + 1, &end, 10);
    if (parts < 1 || (*end && strcmp(end, ":compact") != 0))
        die("topic %s: want NAME:PARTITIONS[:compact]", spec);
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(name, (int)parts, -1, e, sizeof e);
    if (!nt)
        die("topic %s: %s", spec, e);
    if (*end && rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact"))
        die("topic %s: cleanup.policy", spec);
    return nt;
}

/* Waits until every partition of a new topic has a leader that answers a
 * watermark query (a topic is in the metadata before its partitions have
 * leaders, and clients that ask meanwhile get "Not leader for partition");
 * dies after 30 s. */
static void wait_ready(rd_kafka_t *rk, const char *topic)
{
    int n = npartitions(rk, topic);
    for (int p = 0; p < n; p++) {
        int64_t lo, hi;
        rd_kafka_resp_err_t e;
        double t0 = mono_s();
        while ((e = rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 5000)) != 0) {
            if (mono_s() - t0 > 30)
                die("topic %s [%d] has no leader after 30 s: %s", topic, p, rd_kafka_err2str(e));
            usleep(100000);
        }
    }
}

/* topics: creates each comma-separated NAME:PARTITIONS[:compact] with the
 * Admin API (replication factor: the broker's default), then waits until
 * every partition of each has a leader that answers. An existing topic is an
 * error: every run starts from topics of its own. */
static int cmd_topics(const char *specs)
{
    char e[512];
    rd_kafka_conf_t *conf = base_conf();
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e);
    if (!rk)
        die("admin client: %s", e);
    conf = NULL; /* now owned by rk */
    rd_kafka_NewTopic_t *nts[64];
    char names[64][256];
    size_t n = 0;
    char *dup = strdup(specs), *save = NULL;
    for (char *t = strtok_r(dup, ",", &save); t && n < 64; t = strtok_r(NULL, ",", &save)) {
        nts[n] = new_topic(t, names[n]);
        n++;
    }
    free(dup);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *opt = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(opt, 30000, e, sizeof e);
    rd_kafka_CreateTopics(rk, nts, n, opt, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 60000);
    if (!ev)
        die("CreateTopics: no answer in 60 s");
    if (rd_kafka_event_error(ev))
        die("CreateTopics: %s", rd_kafka_event_error_string(ev));
    size_t nres = 0;
    const rd_kafka_topic_result_t **res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &nres);
    int failed = 0;
    for (size_t i = 0; i < nres; i++)
        if (rd_kafka_topic_result_error(res[i])) {
            fprintf(stderr, "bench_kafka: create %s: %s\n", rd_kafka_topic_result_name(res[i]),
                    rd_kafka_topic_result_error_string(res[i]));
            failed++;
        }
    rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(opt);
    rd_kafka_queue_destroy(q);
    printf("{\"created\":%zu,\"failed\":%d}\n", nres - (size_t)failed, failed);
    for (size_t i = 0; i < n; i++) {
        if (!failed)
            wait_ready(rk, names[i]);
        rd_kafka_NewTopic_destroy(nts[i]);
    }
    rd_kafka_destroy(rk);
    return failed ? 1 : 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_kafka gen -b BROKERS --type deal|article -n N [--blocks B] [--topic T] [--vary-buyers]\n"
            "       bench_kafka drain -b BROKERS -t TOPIC\n"
            "       bench_kafka span -b BROKERS -t TOPIC[,TOPIC...]\n"
            "       bench_kafka latency -b BROKERS --rate R --seconds S [--warmup S] [--blocks B] [--fetch-wait-ms M]\n"
            "                           [-t INPUT] [--out-topic CANONICAL]\n"
            "       bench_kafka restore -b BROKERS [--app-id A]\n"
            "       bench_kafka relay -b BROKERS -t TOPIC [--mid-topic T] [--out-topic T]\n"
            "       bench_kafka topics -b BROKERS --create NAME:PARTITIONS[:compact][,...]\n"
            "common: [--catalog DIR] [--corpus DIR]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        usage();
    const char *mode = argv[1], *type = "deal", *topic = NULL, *app_id = "dealstream", *fetch_wait = "5";
    const char *out_topic = NULL, *create = NULL;
    long n = 0, blocks = 30000;
    double rate = 2000, seconds = 10, warmup = 1;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--vary-buyers")) {
            vary_buyers = 1;
            continue;
        }
        if (i + 1 >= argc)
            usage();
        const char *a = argv[i], *v = argv[++i];
        if (!strcmp(a, "-b"))
            brokers = v;
        else if (!strcmp(a, "--type"))
            type = v;
        else if (!strcmp(a, "-n"))
            n = strtol(v, NULL, 10);
        else if (!strcmp(a, "--blocks"))
            blocks = strtol(v, NULL, 10);
        else if (!strcmp(a, "-t") || !strcmp(a, "--topic"))
            topic = v;
        else if (!strcmp(a, "--rate"))
            rate = strtod(v, NULL);
        else if (!strcmp(a, "--seconds"))
            seconds = strtod(v, NULL);
        else if (!strcmp(a, "--warmup"))
            warmup = strtod(v, NULL);
        else if (!strcmp(a, "--app-id"))
            app_id = v;
        else if (!strcmp(a, "--out-topic"))
            out_topic = v;
        else if (!strcmp(a, "--mid-topic"))
            relay_mid = v;
        else if (!strcmp(a, "--create"))
            create = v;
        else if (!strcmp(a, "--fetch-wait-ms"))
            fetch_wait = v;
        else if (!strcmp(a, "--catalog"))
            catalog_dir = v;
        else if (!strcmp(a, "--corpus"))
            corpus_dir = v;
        else
            usage();
    }
    if (!brokers || blocks < 1)
        usage();
    if (!strcmp(mode, "gen")) {
        if (n < 1 || (strcmp(type, "deal") && strcmp(type, "article")))
            usage();
        return cmd_gen(type, n, blocks, topic);
    }
    if (!strcmp(mode, "drain") || !strcmp(mode, "span")) {
        if (!topic)
            usage();
        return cmd_read(topic, mode[0] == 'd');
    }
    if (!strcmp(mode, "latency"))
        return cmd_latency(rate, seconds, warmup, blocks, fetch_wait, topic ? topic : "deals",
                           out_topic ? out_topic : "deals.canonical");
    if (!strcmp(mode, "restore"))
        return cmd_restore(app_id);
    if (!strcmp(mode, "relay")) {
        if (!topic)
            usage();
        if (out_topic)
            relay_out = out_topic;
        return cmd_relay(topic);
    }
    if (!strcmp(mode, "topics")) {
        if (!create)
            usage();
        return cmd_topics(create);
    }
    usage();
    return 2;
}
