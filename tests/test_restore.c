/* ds_state_restore on the embedded broker, record by record: which
 * changelog records count against the committed offset, and the fallback
 * for a block whose every record lies at or past it (what compaction can
 * leave), whose deals must be republished. On a real cluster
 * (DEALSTREAM_TEST_BROKERS; "skipped" without one): a changelog the log
 * cleaner compacted, and a transaction left open on it. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>

#include "article.h"
#include "broker.h"
#include "codec.h"
#include "mention_bin.h"
#include "pipeline.h"
#include "state.h"
#include "testutil.h"
#include "util.h"

#define TOPIC "restore-state"

typedef struct keys {
    char k[16][32];
    int n;
} keys;

static int collect(void *opaque, const char *key, const void *val, size_t len)
{
    (void)val;
    (void)len;
    keys *ks = opaque;
    assert_true(ks->n < 16);
    snprintf(ks->k[ks->n++], sizeof ks->k[0], "%s", key);
    return 0;
}

/* Resolves the mentions of one sample article into rs; returns its block key. */
static void resolve_sample(ds_pipeline *pl, ds_resolver *rs, const char *name, char *block, size_t cap)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/../samples/%s", tu_test_dir(), name);
    size_t len;
    char *text = tu_slurp(path, &len);
    ds_text_article ta;
    char err[256];
    assert_int_equal(ds_article_parse_text(text, len, &ta, err, sizeof err), 0);
    ds_article a = {name, NULL, NULL, ta.body, ta.body_len, ta.published};
    const ds_mention *ms;
    ds_fail fail;
    int n = ds_pipeline_extract(pl, &a, &ms, &fail);
    assert_true(n >= 1);
    keys sink = {0};
    block[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (ms[i].role != DS_ROLE_PRIMARY)
            continue;
        snprintf(block, cap, "%s", ms[i].block_key);
        break;
    }
    assert_true(block[0] != '\0');
    /* copy: ms is reused by the next extraction */
    ds_mention copy[8];
    int nc = n < 8 ? n : 8;
    memcpy(copy, ms, (size_t)nc * sizeof *copy);
    for (int i = 0; i < nc; i++)
        if (strcmp(copy[i].block_key, block) == 0)
            assert_true(ds_pipeline_resolve_in(pl, rs, &copy[i], collect, &sink, &fail) >= 0);
    free(text);
}

/* Writes the state record of block (as rs holds it) for input_offset to
 * partition 0 of topic, timestamped ts (0: now). */
static void produce_state_to(rd_kafka_t *p, const char *topic, ds_pipeline *pl, avro_value_t *sval, ds_resolver *rs,
                             const char *block, int64_t input_offset, int64_t ts)
{
    ds_buf b;
    ds_buf_init(&b);
    assert_int_equal(ds_state_encode(pl->codec, rs, block, "dealstream-mentions", 0, input_offset, &b), 0);
    /* the direct encoding is the generic one, byte for byte */
    ds_buf g;
    ds_buf_init(&g);
    assert_int_equal(ds_state_encode_generic(pl->codec, sval, rs, block, 0, "dealstream-mentions", 0, input_offset, &g), 0);
    assert_int_equal(b.len, g.len);
    assert_memory_equal(b.data, g.data, g.len);
    ds_buf_free(&g);
    assert_int_equal(rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                                       RD_KAFKA_V_KEY(block, strlen(block)), RD_KAFKA_V_VALUE(b.data, b.len),
                                       RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                       RD_KAFKA_V_END),
                     0);
    ds_buf_free(&b);
}

static void produce_state(rd_kafka_t *p, ds_pipeline *pl, avro_value_t *sval, ds_resolver *rs, const char *block,
                          int64_t input_offset)
{
    produce_state_to(p, TOPIC, pl, sval, rs, block, input_offset, 0);
}

static size_t live_deals_of(ds_resolver *rs, const char *block, const ds_canon **out, size_t cap)
{
    const ds_canon **d;
    size_t n = ds_resolver_deals(rs, &d), k = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(d[i]->block_key, block) == 0 && !d[i]->retired_into[0] && k < cap)
            out[k++] = d[i];
    return k;
}

static void test_committed_offset_and_fallback(void **state)
{
    (void)state;
    char err[512];
    ds_broker *br = ds_broker_new(1, 1, NULL, err, sizeof err);
    assert_non_null(br);
    const char *bs = ds_broker_bootstraps(br);
    assert_int_equal(ds_broker_topic(br, TOPIC, 1), 0);

    ds_pipeline pl;
    assert_int_equal(ds_pipeline_init(&pl, tu_catalog_dir(), err, sizeof err), 0);
    avro_value_t sval;
    assert_int_equal(ds_codec_value_new(pl.codec, DS_SCHEMA_STATE, &sval), 0);
    ds_resolver *src = ds_resolver_new(pl.cat);
    ds_resolver_set_cross_block(src, 0);
    char ka[64], kb[64];
    resolve_sample(&pl, src, "02-k2-second-batch-signed.txt", ka, sizeof ka);
    resolve_sample(&pl, src, "03-missile-coproduction.txt", kb, sizeof kb);
    assert_string_not_equal(ka, kb);

    /* block A: a record below the committed offset (5) and a later one past
     * it; block B: only a record past it */
    rd_kafka_conf_t *pc = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(pc, "bootstrap.servers", bs, err, sizeof err), RD_KAFKA_CONF_OK);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, pc, err, sizeof err);
    assert_non_null(p);
    produce_state(p, &pl, &sval, src, ka, 3);
    produce_state(p, &pl, &sval, src, kb, 7);
    produce_state(p, &pl, &sval, src, ka, 9);
    assert_int_equal(rd_kafka_flush(p, 10000), 0);
    rd_kafka_destroy(p);

    ds_resolver *rs = ds_resolver_new(pl.cat);
    ds_resolver_set_cross_block(rs, 0);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", bs, err, sizeof err), RD_KAFKA_CONF_OK);
    keys out = {0};
    ds_restore_stats st;
    int rc = ds_state_restore(rs, &pl, conf, TOPIC, 0, 5, 30000, collect, &out, &st, err, sizeof err);
    if (rc)
        fprintf(stderr, "restore: %s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(st.records, 3);
    assert_int_equal(st.skipped, 2); /* the records of inputs 7 and 9 */
    assert_int_equal(st.blocks, 2);
    assert_int_equal(st.fallback, 1);
    assert_int_equal(ds_resolver_mentions(rs), ds_resolver_mentions(src));

    /* the fallback block's live deals, and only those, are republished */
    const ds_canon *want[8];
    size_t nb = live_deals_of(rs, kb, want, 8);
    assert_true(nb >= 1);
    assert_int_equal(out.n, (int)nb);
    for (size_t i = 0; i < nb; i++) {
        int found = 0;
        for (int j = 0; j < out.n; j++)
            found |= strcmp(out.k[j], want[i]->deal_id) == 0;
        assert_true(found);
    }
    const ds_canon *a_deals[8];
    size_t na = live_deals_of(rs, ka, a_deals, 8);
    assert_true(na >= 1);
    for (size_t i = 0; i < na; i++)
        for (int j = 0; j < out.n; j++)
            assert_string_not_equal(out.k[j], a_deals[i]->deal_id);

    /* committed 0 (a group that never committed): every record is past it,
     * each block restores from its latest record and is republished */
    ds_resolver *rs0 = ds_resolver_new(pl.cat);
    ds_resolver_set_cross_block(rs0, 0);
    conf = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", bs, err, sizeof err), RD_KAFKA_CONF_OK);
    keys all = {0};
    assert_int_equal(ds_state_restore(rs0, &pl, conf, TOPIC, 0, 0, 30000, collect, &all, &st, err, sizeof err), 0);
    assert_int_equal(st.skipped, 3);
    assert_int_equal(st.blocks, 2);
    assert_int_equal(st.fallback, 2);
    assert_int_equal(all.n, (int)(na + nb));

    ds_resolver_destroy(rs0);
    ds_resolver_destroy(rs);
    ds_resolver_destroy(src);
    avro_value_decref(&sval);
    ds_pipeline_fini(&pl);
    ds_broker_destroy(br);
}

static rd_kafka_conf_t *conf_for_mock(const char *bs)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", bs, err, sizeof err), RD_KAFKA_CONF_OK);
    return conf;
}

static rd_kafka_t *producer_for_mock(const char *bs)
{
    char err[256];
    rd_kafka_conf_t *conf = conf_for_mock(bs);
    assert_int_equal(rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err), RD_KAFKA_CONF_OK);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    assert_non_null(p);
    return p;
}

/* ---- chunked changelogs ----------------------------------------------------- */

#define CHUNK_TOPIC "restore-chunks"
#define CHUNK_LIMIT 8192 /* the producer limit these tests check records against */

/* What put_record queued: counts, and the largest record. */
typedef struct sink {
    rd_kafka_t *p;
    int records, tombstones;
    size_t largest;
    char first_key[128];
    const char *topic; /* NULL: CHUNK_TOPIC */
} sink;

static int put_record(void *opaque, const char *key, const void *val, size_t len, rd_kafka_headers_t *hdrs)
{
    sink *s = opaque;
    if (!s->records++)
        snprintf(s->first_key, sizeof s->first_key, "%s", key);
    s->tombstones += val == NULL;
    if (len + strlen(key) > s->largest)
        s->largest = len + strlen(key);
    rd_kafka_resp_err_t e;
    const char *topic = s->topic ? s->topic : CHUNK_TOPIC;
    if (hdrs)
        e = rd_kafka_producev(s->p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                              RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE((void *)val, len),
                              RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    else
        e = rd_kafka_producev(s->p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                              RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE((void *)val, len),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    return e ? -1 : 0;
}

/* Deal event i of block EST|KOR|K9: an intent published in 2000 for i < 300
 * (they expire once contracts of 2003 on arrive), else an executive
 * contract of its own, 20 days after the previous one. */
static ds_mention k9_event(int i)
{
    ds_mention m;
    ds_mention_init(&m);
    snprintf(m.mention_id, sizeof m.mention_id, "m-%06d", i);
    snprintf(m.block_key, sizeof m.block_key, "EST|KOR|K9");
    m.role = DS_ROLE_PRIMARY;
    m.src.kind = DS_SRC_DEAL_EVENT;
    snprintf(m.src.id, sizeof m.src.id, "feed-%06d", i);
    snprintf(m.src.topic, sizeof m.src.topic, "deals");
    m.src.offset = i;
    strcpy(m.buyer, "EST");
    strcpy(m.seller, "KOR");
    strcpy(m.system, "K9");
    strcpy(m.family, "K9");
    int32_t day = i < 300 ? ds_days_from_civil(2000, 1, 1) + i / 2 : ds_days_from_civil(2003, 1, 1) + (i - 300) * 20;
    m.src.published = (int64_t)day * 86400000LL + 9 * 3600000LL;
    if (i < 300) {
        m.stage = DS_STAGE_INTENT;
        m.status = DS_STATUS_PLANNED;
    } else {
        m.stage = DS_STAGE_EXECUTIVE;
        m.status = DS_STATUS_SIGNED;
        m.signing_date = day;
        m.quantity = 10 + i % 7;
        m.batch = i - 299;
    }
    return m;
}

/* Restores partition 0 of CHUNK_TOPIC into a fresh resolver (committed:
 * every record below it). */
static ds_resolver *restore_chunks(ds_pipeline *pl, const char *bs, ds_restore_stats *st)
{
    char err[512];
    ds_resolver *rs = ds_resolver_new(pl->cat);
    ds_resolver_set_cross_block(rs, 0);
    ds_resolver_set_retention(rs, 30);
    ds_resolver_set_chunk_bytes(rs, CHUNK_LIMIT / 2);
    keys out = {0};
    int rc = ds_state_restore(rs, pl, conf_for_mock(bs), CHUNK_TOPIC, 0, INT64_MAX, 30000, collect, &out, st, err,
                              sizeof err);
    if (rc)
        fprintf(stderr, "restore: %s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(out.n, 0); /* nothing republished: the state is what was written */
    return rs;
}

/* Asserts a and b hold the same live and retired deals, revision for revision. */
static void assert_same_state(ds_resolver *a, ds_resolver *b)
{
    const ds_canon **da, **db;
    size_t n = ds_resolver_deals(a, &da);
    const ds_canon **copy = malloc((n ? n : 1) * sizeof *copy);
    memcpy(copy, da, n * sizeof *copy);
    assert_int_equal(ds_resolver_deals(b, &db), n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(copy[i]->deal_id, db[i]->deal_id);
        assert_int_equal(copy[i]->revision, db[i]->revision);
        assert_true(copy[i]->content_hash == db[i]->content_hash);
    }
    free(copy);
    assert_int_equal(ds_resolver_mentions(a), ds_resolver_mentions(b));
}

/* What the chunk tests share: a broker with CHUNK_TOPIC, a pipeline, a
 * source resolver as run configures one (30-day retention, chunks of half
 * CHUNK_LIMIT) and a producer to the topic. */
typedef struct chunk_env {
    ds_broker *br;
    const char *bs;
    ds_pipeline pl;
    ds_resolver *src;
    sink sk;
} chunk_env;

static void chunk_env_init(chunk_env *e)
{
    char err[512];
    memset(e, 0, sizeof *e);
    e->br = ds_broker_new(1, 1, NULL, err, sizeof err);
    assert_non_null(e->br);
    e->bs = ds_broker_bootstraps(e->br);
    assert_int_equal(ds_broker_topic(e->br, CHUNK_TOPIC, 1), 0);
    assert_int_equal(ds_pipeline_init(&e->pl, tu_catalog_dir(), err, sizeof err), 0);
    e->src = ds_resolver_new(e->pl.cat);
    ds_resolver_set_cross_block(e->src, 0);
    ds_resolver_set_retention(e->src, 30);
    ds_resolver_set_chunk_bytes(e->src, CHUNK_LIMIT / 2);
    e->sk.p = producer_for_mock(e->bs);
}

static void chunk_env_fini(chunk_env *e)
{
    ds_resolver_destroy(e->src);
    rd_kafka_destroy(e->sk.p);
    ds_pipeline_fini(&e->pl);
    ds_broker_destroy(e->br);
}

/* put of a record kept in memory: key, NUL, length, value, headers' count. */
static int keep_record(void *opaque, const char *key, const void *val, size_t len, rd_kafka_headers_t *hdrs)
{
    ds_buf *b = opaque;
    ds_buf_printf(b, "%s%c%zu:", key, 0, len);
    if (len)
        ds_buf_append(b, val, len);
    ds_buf_printf(b, "|%zu\n", hdrs ? rd_kafka_header_cnt(hdrs) : (size_t)0);
    if (hdrs)
        rd_kafka_headers_destroy(hdrs);
    return 0;
}

/* A new resolver set up as chunk_env's. */
static ds_resolver *chunk_resolver(ds_pipeline *pl)
{
    ds_resolver *rs = ds_resolver_new(pl->cat);
    ds_resolver_set_cross_block(rs, 0);
    ds_resolver_set_retention(rs, 30);
    ds_resolver_set_chunk_bytes(rs, CHUNK_LIMIT / 2);
    return rs;
}

/* A block's changelog written a chunk per step (as `run` writes it between
 * slices of its loop) is the changelog written whole: the same records in
 * the same order, every step but the last saying chunks are left, the
 * block clean after it. */
static void test_chunked_steps(void **state)
{
    (void)state;
    char err[512];
    ds_pipeline pl;
    assert_int_equal(ds_pipeline_init(&pl, tu_catalog_dir(), err, sizeof err), 0);
    ds_resolver *whole = chunk_resolver(&pl), *steps = chunk_resolver(&pl);
    ds_buf a, b, scratch;
    ds_buf_init(&a);
    ds_buf_init(&b);
    ds_buf_init(&scratch);
    int total = 0, batches = 0;
    for (int i = 0; i < 2000; i++) {
        ds_mention m = k9_event(i);
        ds_changes ch;
        assert_int_equal(ds_resolver_add(whole, &m, &ch), 0);
        assert_int_equal(ds_resolver_add(steps, &m, &ch), 0);
        if (i % 500 != 499)
            continue;
        int n = ds_state_write_block(pl.codec, whole, "EST|KOR|K9", "dealstream-mentions", 0, i, CHUNK_LIMIT,
                                     &scratch, keep_record, &a, err, sizeof err);
        if (n < 0)
            fail_msg("write: %s", err);
        ds_state_target to = {"dealstream-mentions", 0, i, CHUNK_LIMIT, &scratch, keep_record, &b};
        ds_state_writer w = {0};
        int rc, nsteps = 0;
        while ((rc = ds_state_write_step(pl.codec, steps, "EST|KOR|K9", &to, &w, 1, err, sizeof err)) == 1)
            nsteps++;
        if (rc < 0)
            fail_msg("step: %s", err);
        assert_int_equal(w.n, (size_t)n);
        assert_int_equal(nsteps, n > 0 ? n - 1 : 0);
        total += n;
        batches++;
    }
    printf("chunked steps: %d records in %d batches, %zu bytes\n", total, batches, a.len);
    assert_true(total > 20); /* the first batch alone writes about 30 chunks */
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    const ds_state_chunk *cs;
    size_t ncs;
    assert_int_equal(ds_resolver_chunks_dirty(steps, "EST|KOR|K9", &cs, &ncs), 0);
    assert_int_equal(ncs, 0);
    ds_buf_free(&a);
    ds_buf_free(&b);
    ds_buf_free(&scratch);
    ds_resolver_destroy(whole);
    ds_resolver_destroy(steps);
    ds_pipeline_fini(&pl);
}

/* A block of 300 intents and 1,700 contracts, written chunk by chunk in
 * batches of 100 under a 4 KiB chunk size: every record stays under the
 * limit (the whole block would be about 400 KB), a batch writes only the
 * chunks it changed, the expired intents leave their chunks as tombstones,
 * and a restore (also of the restored state, written again) gives the same
 * deals, revisions and mentions. */
static void test_chunked_block(void **state)
{
    (void)state;
    char err[512];
    chunk_env e;
    chunk_env_init(&e);
    ds_pipeline *pl = &e.pl;
    ds_resolver *src = e.src;
    const char *bs = e.bs;
    sink *sk = &e.sk;
    ds_buf scratch;
    ds_buf_init(&scratch);
    int last_batch = 0;
    for (int i = 0; i < 2000; i++) {
        ds_mention m = k9_event(i);
        ds_changes ch;
        assert_int_equal(ds_resolver_add(src, &m, &ch), 0);
        if (i % 100 != 99)
            continue;
        int before = sk->records;
        int n = ds_state_write_block(pl->codec, src, "EST|KOR|K9", "dealstream-mentions", 0, i, CHUNK_LIMIT, &scratch,
                                     put_record, sk, err, sizeof err);
        if (n < 0)
            fail_msg("write: %s", err);
        assert_int_equal(sk->records - before, n);
        last_batch = n;
    }
    /* one more contract: its chunk (and the chunk of any deal it changed) only */
    ds_mention m = k9_event(2000);
    ds_changes ch;
    assert_int_equal(ds_resolver_add(src, &m, &ch), 0);
    int one = ds_state_write_block(pl->codec, src, "EST|KOR|K9", "dealstream-mentions", 0, 2000, CHUNK_LIMIT, &scratch,
                                   put_record, sk, err, sizeof err);
    printf("chunked block: %d records (%d tombstones), largest %zu bytes, last batch %d records, one mention %d, "
           "%zu expired\n", sk->records, sk->tombstones, sk->largest, last_batch, one, ds_resolver_expired(src));
    assert_true(one >= 1 && one <= 2);
    assert_true(last_batch < 20); /* of about 110 chunks */
    assert_true(sk->largest <= CHUNK_LIMIT / 2); /* the chunk size: the estimate bounds the encoding */
    assert_true(sk->tombstones >= 1);
    assert_true(ds_resolver_expired(src) >= 200); /* swept in steps of at least 1/16 of the block */
    assert_int_equal(ds_resolver_mentions(src), 2001 - ds_resolver_expired(src));
    assert_int_equal(rd_kafka_flush(sk->p, 10000), 0);

    ds_restore_stats st;
    ds_resolver *rs = restore_chunks(pl, bs, &st);
    assert_int_equal(st.records, (uint64_t)sk->records);
    assert_int_equal(st.tombstones, (uint64_t)sk->tombstones);
    assert_int_equal(st.blocks, 1);
    assert_int_equal(st.fallback, 0);
    printf("restored: %" PRIu64 " chunks, %zu mentions in %" PRId64 " ms\n", st.chunks, ds_resolver_mentions(rs), st.ms);
    assert_true(st.chunks > 50);
    assert_same_state(src, rs);
    /* restored, nothing is to be written; both go on alike */
    const ds_state_chunk *cs;
    size_t ncs;
    assert_int_equal(ds_resolver_chunks_dirty(rs, "EST|KOR|K9", &cs, &ncs), 0);
    assert_int_equal(ncs, 0);
    ds_mention m2 = k9_event(2001);
    assert_int_equal(ds_resolver_add(src, &m2, &ch), 0);
    assert_int_equal(ds_resolver_add(rs, &m2, &ch), 0);
    assert_same_state(src, rs);
    assert_true(ds_state_write_block(pl->codec, rs, "EST|KOR|K9", "dealstream-mentions", 0, 2001, CHUNK_LIMIT,
                                     &scratch, put_record, sk, err, sizeof err) >= 1);
    assert_int_equal(rd_kafka_flush(sk->p, 10000), 0);
    ds_resolver *rs2 = restore_chunks(pl, bs, &st);
    assert_same_state(src, rs2);

    ds_resolver_destroy(rs2);
    ds_resolver_destroy(rs);
    ds_buf_free(&scratch);
    chunk_env_fini(&e);
}

/* ---- reference rows across restores ------------------------------------------ */

#define REF_ORDERS 12 /* orders of the corpus' mentions, each restored twice */

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* The mentions of the first 24 corpus articles (test_faults' inputs). */
static void corpus_mentions(tu_mentions *ms)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/corpus", tu_test_dir());
    int nf;
    char **files = tu_glob(dir, "*.txt", &nf);
    assert_true(nf >= 24);
    for (int i = 0; i < 24; i++)
        tu_article_mentions(ms, files[i]);
    tu_glob_free(files);
}

/* Appends update u to ms. */
static void push_mention(tu_mentions *ms, const ds_mention *u)
{
    if (ms->n == ms->cap) {
        ms->cap = ms->cap ? 2 * ms->cap : 16;
        ms->m = realloc(ms->m, ms->cap * sizeof *ms->m);
        assert_non_null(ms->m);
    }
    ms->m[ms->n++] = *u;
}

/* An update of the deal base reports: stage st, its own mention and
 * source id, published days after base, quantity q. */
static ds_mention update_of(const ds_mention *base, ds_stage st, const char *id, int days, int64_t q)
{
    ds_mention u = *base;
    ds_strlcpy(u.mention_id, id, sizeof u.mention_id);
    ds_strlcpy(u.src.id, id, sizeof u.src.id);
    u.src.published += (int64_t)days * 86400000LL;
    u.src.text_hash = 0;
    u.src.offset = -1;
    u.stage = st;
    u.status = st == DS_STAGE_DELIVERY ? DS_STATUS_DELIVERED : DS_STATUS_CANCELLED;
    u.quantity = q;
    u.nvariants = u.nextras = u.nrels = 0;
    u.value.set = 0;
    return u;
}

/* Appends updates to the first signed, dated contract of ms: a delivery of
 * it, two deliveries of a 1999 contract of its block and a cancellation
 * of a 1998 one, neither reported (deals known by their updates only). */
static void add_orphan_updates(tu_mentions *ms)
{
    const ds_mention *base = NULL;
    for (size_t i = 0; i < ms->n && !base; i++)
        if (ms->m[i].role == DS_ROLE_PRIMARY && ms->m[i].stage == DS_STAGE_EXECUTIVE &&
            ms->m[i].status == DS_STATUS_SIGNED && ms->m[i].signing_date != DS_NO_DATE &&
            ms->m[i].src.kind != DS_SRC_REFERENCE)
            base = &ms->m[i];
    assert_non_null(base);
    ds_mention b = *base, u[4];
    u[0] = update_of(&b, DS_STAGE_DELIVERY, "0rphan-delivery", 400, 1);
    b.signing_date = DS_NO_DATE;
    b.signing_year = 1999;
    b.batch = 0;
    u[1] = update_of(&b, DS_STAGE_DELIVERY, "0rphan-1999-a", 10, 2);
    u[2] = update_of(&b, DS_STAGE_DELIVERY, "0rphan-1999-b", 40, 6);
    b.signing_year = 1998;
    u[3] = update_of(&b, DS_STAGE_CANCELLATION, "0rphan-1998", 20, 7);
    for (int i = 0; i < 4; i++)
        push_mention(ms, &u[i]);
}

/* How many of deals (by id) are known only through updates. */
static size_t inferred_deals(json_t *deals)
{
    size_t n = 0;
    const char *id;
    json_t *d;
    json_object_foreach(deals, id, d) {
        json_t *ev = json_object_get(d, "evidence"), *e;
        size_t k;
        int inferred = 0;
        json_array_foreach(ev, k, e)
            inferred |= strcmp(json_string_value(json_object_get(e, "field")), "inferred_from_update") == 0;
        n += inferred;
    }
    return n;
}

/* A resolver as run sets one up for a mentions partition, owning every
 * reference row (one partition). */
static ds_resolver *row_resolver(ds_pipeline *pl)
{
    ds_resolver *rs = chunk_resolver(pl);
    ds_resolver_set_references(rs, NULL, NULL);
    return rs;
}

/* The live deals of rs by id, as tu_comparable leaves a canonical topic's. */
static json_t *live_deals(ds_codec *codec, ds_resolver *rs)
{
    const ds_canon **d;
    size_t n = ds_resolver_deals(rs, &d);
    json_t *all = json_object();
    for (size_t i = 0; i < n; i++) {
        avro_value_t val;
        assert_int_equal(ds_codec_value_new(codec, DS_SCHEMA_CANONICAL, &val), 0);
        assert_int_equal(ds_canon_to_avro(d[i], &val), 0);
        json_t *j = ds_codec_to_json(codec, DS_SCHEMA_CANONICAL, &val);
        assert_non_null(j);
        avro_value_decref(&val);
        json_object_set_new(all, d[i]->deal_id, j);
    }
    return tu_comparable(all);
}

/* The blocks changed since the last write: the open batch's. */
typedef struct dirty_set {
    char key[64][64];
    int n;
} dirty_set;

static void dirty_add(dirty_set *ds, const char *key)
{
    for (int i = 0; i < ds->n; i++)
        if (strcmp(ds->key[i], key) == 0)
            return;
    assert_true(ds->n < 64);
    snprintf(ds->key[ds->n++], sizeof ds->key[0], "%s", key);
}

/* The end of a batch: the changelog of every block it changed, as of the
 * input offset of its last mention (the mentions are numbered in arrival
 * order), and none left changed. */
static void end_batch(chunk_env *e, ds_resolver *rs, dirty_set *ds, int64_t offset)
{
    char err[512];
    ds_buf scratch;
    ds_buf_init(&scratch);
    for (int i = 0; i < ds->n; i++)
        if (ds_state_write_block(e->pl.codec, rs, ds->key[i], "dealstream-mentions", 0, offset, CHUNK_LIMIT, &scratch,
                                 put_record, &e->sk, err, sizeof err) < 0)
            fail_msg("write %s: %s", ds->key[i], err);
    ds->n = 0;
    ds_buf_free(&scratch);
    assert_int_equal(rd_kafka_flush(e->sk.p, 10000), 0);
}

/* The resolver of a member that takes the partition over: restored from
 * the changelog written so far, republishing nothing. */
static ds_resolver *take_over(chunk_env *e)
{
    char err[512];
    ds_resolver *rs = row_resolver(&e->pl);
    keys out = {0};
    ds_restore_stats st;
    if (ds_state_restore(rs, &e->pl, conf_for_mock(e->bs), CHUNK_TOPIC, 0, INT64_MAX, 30000, collect, &out, &st,
                         err, sizeof err))
        fail_msg("restore: %s", err);
    assert_int_equal(out.n, 0);
    return rs;
}

/* Rows whose deal holds reports too: what the test must exercise. */
static size_t rows_with_reports(json_t *deals)
{
    size_t n = 0;
    const char *id;
    json_t *d;
    json_object_foreach(deals, id, d) {
        json_t *srcs = json_object_get(d, "sources"), *s;
        size_t k, rows = 0;
        json_array_foreach(srcs, k, s)
            rows += strcmp(json_string_value(json_object_get(s, "kind")), "reference") == 0;
        n += rows && json_array_size(srcs) > rows;
    }
    return n;
}

/* Reference rows are deals, reports merge into them and links point at
 * them; none of it may depend on which member resolved what. The corpus'
 * mentions in REF_ORDERS orders, the changelog written at the end of
 * batches of random length (the rows' blocks once seeded, as a restore's
 * batch writes them), and the partition taken over at two random points by
 * a member that restores it from that changelog and goes on: after a
 * rebalance (the open batch committed) and after a kill (the open batch
 * lost, its mentions read again). The deals (rows' deals with their
 * reports and links included, and the deals known only by updates, one of
 * them by two) equal those of the mentions added in one go to one
 * resolver. */
static void test_reference_rows_restored(void **state)
{
    (void)state;
    char err[512];
    ds_pipeline pl;
    assert_int_equal(ds_pipeline_init(&pl, tu_catalog_dir(), err, sizeof err), 0);
    tu_mentions ms = {&pl, NULL, 0, 0};
    corpus_mentions(&ms);
    add_orphan_updates(&ms);
    ds_resolver *one = row_resolver(&pl);
    ds_changes ch;
    assert_int_equal(ds_resolver_seed_references(one, &ch), 0);
    for (size_t i = 0; i < ms.n; i++)
        assert_int_equal(ds_resolver_add(one, &ms.m[i], &ch), 0);
    json_t *want = live_deals(pl.codec, one);
    printf("reference rows restored: %zu mentions, %zu deals, %zu rows' deals with reports\n", ms.n,
           json_object_size(want), rows_with_reports(want));
    assert_true(rows_with_reports(want) >= 5); /* reports merge into rows' deals: the case under test */
    assert_int_equal(inferred_deals(want), 2); /* the 1999 and 1998 contracts; the delivery of a reported one attaches */
    size_t *order = calloc(ms.n, sizeof *order);
    assert_non_null(order);
    for (uint64_t seed = 1; seed <= REF_ORDERS; seed++) {
        uint64_t s = seed * 7919;
        for (size_t i = 0; i < ms.n; i++)
            order[i] = i;
        for (size_t i = ms.n - 1; i > 0; i--) {
            size_t j = (size_t)(lcg(&s) % (i + 1)), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        size_t cut[2] = {(size_t)(lcg(&s) % (ms.n + 1)), (size_t)(lcg(&s) % (ms.n + 1))};
        chunk_env e;
        chunk_env_init(&e);
        ds_resolver *rs = row_resolver(&e.pl);
        dirty_set ds = {.n = 0};
        assert_int_equal(ds_resolver_seed_references(rs, &ch), 0);
        for (size_t i = 0; i < e.pl.cat->nrefs; i++)
            if (e.pl.cat->refs[i].buyer[0]) {
                char key[64];
                snprintf(key, sizeof key, "%s|%s|%s", e.pl.cat->refs[i].buyer, e.pl.cat->refs[i].seller,
                         e.pl.cat->refs[i].family);
                dirty_add(&ds, key);
            }
        end_batch(&e, rs, &ds, -1);
        size_t batch_start = 0;
        int taken = 0;
        for (size_t i = 0; i < ms.n; i++) {
            if (taken == 0 && i == cut[0]) {
                /* a rebalance: the open batch is committed first */
                end_batch(&e, rs, &ds, (int64_t)i - 1);
                batch_start = i;
                ds_resolver_destroy(rs);
                rs = take_over(&e);
                taken = 1;
            } else if (taken == 1 && i >= cut[1]) {
                /* a member killed: its open batch is lost and read again */
                ds.n = 0;
                i = batch_start;
                ds_resolver_destroy(rs);
                rs = take_over(&e);
                taken = 2;
            }
            const ds_mention *m = &ms.m[order[i]];
            assert_int_equal(ds_resolver_add(rs, m, &ch), 0);
            dirty_add(&ds, m->block_key);
            if (lcg(&s) % 4 == 0) {
                end_batch(&e, rs, &ds, (int64_t)i);
                batch_start = i + 1;
            }
        }
        json_t *got = live_deals(e.pl.codec, rs);
        char what[96];
        snprintf(what, sizeof what, "order %llu, taken over before mentions %zu and %zu", (unsigned long long)seed,
                 cut[0], cut[1]);
        if (tu_deal_diffs(what, want, got, 20))
            fail_msg("%s: the deals differ from one resolver's", what);
        json_decref(got);
        ds_resolver_destroy(rs);
        chunk_env_fini(&e);
    }
    free(order);
    json_decref(want);
    ds_resolver_destroy(one);
    free(ms.m);
    ds_pipeline_fini(&pl);
}

/* The StateRecord fingerprint of the schema before chunks (history). */
static uint64_t unchunked_fingerprint(void)
{
    for (size_t h = 0; h < ds_schema_history_count; h++) {
        if (ds_schema_history[h].id != DS_SCHEMA_STATE || strstr(ds_schema_history[h].json, "memorandum") == NULL)
            continue;
        return tu_schema_fingerprint(ds_schema_history[h].json);
    }
    fail_msg("no StateRecord.2 in the schema history");
    return 0;
}

/* Appends the whole-block StateRecord of block as the version before
 * chunks wrote it (schemas/history/StateRecord.2.avsc) to out. */
static void legacy_record(ds_resolver *rs, const char *block, int64_t input_offset, ds_buf *out)
{
    const ds_mention *const *ms;
    const ds_deal_rev *revs;
    size_t nms, nrevs;
    assert_int_equal(ds_resolver_block_state(rs, block, &ms, &nms, &revs, &nrevs), 0);
    assert_true(nms > 0 && nrevs > 0);
    uint64_t fp = unchunked_fingerprint();
    unsigned char hdr[10] = {0xC3, 0x01};
    for (int i = 0; i < 8; i++)
        hdr[2 + i] = (unsigned char)(fp >> (8 * i));
    int e = ds_buf_append(out, hdr, sizeof hdr);
    e |= ds_avro_put_string(out, block) | ds_avro_put_string(out, "dealstream-mentions");
    e |= ds_avro_put_long(out, 0) | ds_avro_put_long(out, input_offset) | ds_avro_put_long(out, (int64_t)nms);
    for (size_t i = 0; i < nms; i++)
        e |= ds_mention_write(ms[i], out);
    e |= ds_avro_put_long(out, 0) | ds_avro_put_long(out, (int64_t)nrevs);
    for (size_t i = 0; i < nrevs; i++)
        e |= ds_avro_put_string(out, revs[i].deal_id) | ds_avro_put_long(out, revs[i].revision) |
             ds_avro_put_long(out, (int64_t)revs[i].content_hash);
    e |= ds_avro_put_long(out, 0);
    assert_int_equal(e, 0);
}

/* A whole-block record as the version before chunks wrote it (its schema,
 * its key) restores; the block's next write replaces it by chunks and a
 * tombstone of the old key, and a restore of that gives the same state. */
static void test_unchunked_record_upgrade(void **state)
{
    (void)state;
    char err[512];
    chunk_env e;
    chunk_env_init(&e);
    ds_pipeline *pl = &e.pl;
    ds_resolver *src = e.src;
    const char *bs = e.bs;
    ds_changes ch;
    for (int i = 300; i < 340; i++) {
        ds_mention m = k9_event(i);
        assert_int_equal(ds_resolver_add(src, &m, &ch), 0);
    }
    /* the whole block as the previous version wrote it: its schema's
     * fingerprint, no retired flags, no chunk */
    ds_buf old;
    ds_buf_init(&old);
    legacy_record(src, "EST|KOR|K9", 339, &old);
    sink *sk = &e.sk;
    assert_int_equal(put_record(sk, "EST|KOR|K9", old.data, old.len, NULL), 0);
    assert_int_equal(rd_kafka_flush(sk->p, 10000), 0);

    ds_restore_stats st;
    ds_resolver *rs = restore_chunks(pl, bs, &st);
    assert_int_equal(st.blocks, 1);
    assert_int_equal(st.chunks, 1);
    assert_same_state(src, rs);
    /* its next write: the chunks, then the old key deleted */
    const ds_state_chunk *cs;
    size_t ncs;
    assert_int_equal(ds_resolver_chunks_dirty(rs, "EST|KOR|K9", &cs, &ncs), 0);
    assert_true(ncs >= 2);
    assert_int_equal(cs[ncs - 1].chunk, 0);
    assert_int_equal(cs[ncs - 1].gone, 1);
    sk->records = sk->tombstones = 0;
    int n = ds_state_write_block(pl->codec, rs, "EST|KOR|K9", "dealstream-mentions", 0, 340, CHUNK_LIMIT, &old,
                                 put_record, sk, err, sizeof err);
    assert_int_equal(n, (int)ncs);
    assert_int_equal(sk->tombstones, 1);
    assert_int_equal(rd_kafka_flush(sk->p, 10000), 0);
    ds_resolver *rs2 = restore_chunks(pl, bs, &st);
    assert_int_equal(st.tombstones, 1);
    assert_int_equal(st.chunks, (uint64_t)n - 1);
    assert_same_state(src, rs2);

    ds_resolver_destroy(rs2);
    ds_resolver_destroy(rs);
    ds_buf_free(&old);
    chunk_env_fini(&e);
}

/* ---- a real cluster ------------------------------------------------------- */

static rd_kafka_t *producer_for(const char *bs, const char *txid, const char *txn_timeout_ms)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", bs, err, sizeof err), RD_KAFKA_CONF_OK);
    assert_int_equal(rd_kafka_conf_set(conf, "linger.ms", "0", err, sizeof err), RD_KAFKA_CONF_OK);
    if (txid) {
        assert_int_equal(rd_kafka_conf_set(conf, "transactional.id", txid, err, sizeof err), RD_KAFKA_CONF_OK);
        assert_int_equal(rd_kafka_conf_set(conf, "transaction.timeout.ms", txn_timeout_ms, err, sizeof err),
                         RD_KAFKA_CONF_OK);
    }
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    assert_non_null(p);
    return p;
}

static rd_kafka_conf_t *conf_for(const char *bs)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", bs, err, sizeof err), RD_KAFKA_CONF_OK);
    return conf;
}

typedef struct blocks2 {
    ds_pipeline pl;
    avro_value_t sval;
    ds_resolver *src;
    char k[2][64];
} blocks2;

/* Two blocks of the samples, resolved into b->src. */
static void blocks2_init(blocks2 *b)
{
    char err[512];
    assert_int_equal(ds_pipeline_init(&b->pl, tu_catalog_dir(), err, sizeof err), 0);
    assert_int_equal(ds_codec_value_new(b->pl.codec, DS_SCHEMA_STATE, &b->sval), 0);
    b->src = ds_resolver_new(b->pl.cat);
    ds_resolver_set_cross_block(b->src, 0);
    resolve_sample(&b->pl, b->src, "02-k2-second-batch-signed.txt", b->k[0], sizeof b->k[0]);
    resolve_sample(&b->pl, b->src, "03-missile-coproduction.txt", b->k[1], sizeof b->k[1]);
    assert_string_not_equal(b->k[0], b->k[1]);
}

static void blocks2_fini(blocks2 *b)
{
    ds_resolver_destroy(b->src);
    avro_value_decref(&b->sval);
    ds_pipeline_fini(&b->pl);
}

/* A compacted changelog after the log cleaner ran: block A's records below
 * the committed offset are gone (only its latest, past it, is left), so A
 * restores from that one and is republished (the compaction fallback); C
 * keeps its record below the committed offset and is restored from it, not
 * republished. */
static void test_compacted_changelog(void **state)
{
    (void)state;
    const char *bs = getenv("DEALSTREAM_TEST_BROKERS");
    if (!bs || !*bs) {
        printf("skipped: the log cleaner needs a real cluster (the embedded broker never compacts); set "
               "DEALSTREAM_TEST_BROKERS\n");
        skip();
    }
    char topic[64], err[512];
    snprintf(topic, sizeof topic, "dealstream-compacted-%d", (int)getpid());
    const char *const configs[] = {"cleanup.policy", "compact", "segment.ms", "100", "min.cleanable.dirty.ratio",
                                   "0.01", "min.compaction.lag.ms", "0", NULL};
    tu_create_topic(bs, topic, 1, configs);
    blocks2 b;
    blocks2_init(&b);
    /* one record per batch, a second apart by timestamp: every record
     * starts a new segment (segment.ms counts record time), so all but the
     * last become cleanable */
    const int blk[] = {0, 1, 0, 0, 0, 1};
    const int64_t in[] = {1, 2, 3, 5, 8, 11};
    int64_t ts0 = ds_now_ms() - 600000;
    rd_kafka_t *p = producer_for(bs, NULL, NULL);
    for (int i = 0; i < 6; i++) {
        produce_state_to(p, topic, &b.pl, &b.sval, b.src, b.k[blk[i]], in[i], ts0 + 1000LL * i);
        assert_int_equal(rd_kafka_flush(p, 10000), 0);
    }
    rd_kafka_destroy(p);
    /* the cleaner keeps C@2, A@8 and the active segment's C@11 */
    int64_t deadline = ds_mono_ms() + 120000;
    size_t n = tu_count_records(bs, topic);
    while (n > 3 && ds_mono_ms() < deadline) {
        struct timespec ts = {0, 500 * 1000000L};
        nanosleep(&ts, NULL); /* poll interval: the cleaner looks for work every second */
        n = tu_count_records(bs, topic);
    }
    assert_int_equal(n, 3);

    ds_resolver *rs = ds_resolver_new(b.pl.cat);
    ds_resolver_set_cross_block(rs, 0);
    keys out = {0};
    ds_restore_stats st;
    int rc = ds_state_restore(rs, &b.pl, conf_for(bs), topic, 0, 6, 30000, collect, &out, &st, err, sizeof err);
    if (rc)
        fprintf(stderr, "restore: %s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(st.records, 3);
    assert_int_equal(st.skipped, 2); /* A@8, C@11 */
    assert_int_equal(st.blocks, 2);
    assert_int_equal(st.fallback, 1);
    assert_int_equal(ds_resolver_mentions(rs), ds_resolver_mentions(b.src));
    /* republished: the live deals of A, none of C */
    const ds_canon *d[8];
    size_t na = live_deals_of(rs, b.k[0], d, 8);
    assert_true(na >= 1);
    for (size_t i = 0; i < na; i++) {
        int found = 0;
        for (int j = 0; j < out.n; j++)
            found |= strcmp(out.k[j], d[i]->deal_id) == 0;
        assert_true(found);
    }
    assert_int_equal(out.n, (int)na);
    size_t nc = live_deals_of(rs, b.k[1], d, 8);
    assert_true(nc >= 1);
    for (size_t i = 0; i < nc; i++)
        for (int j = 0; j < out.n; j++)
            assert_string_not_equal(out.k[j], d[i]->deal_id);
    ds_resolver_destroy(rs);
    blocks2_fini(&b);
}

/* A transaction left open on the changelog: the restore says the partition
 * is not stable (restoring up to the last stable offset could miss a
 * commit); the waiting form, as replay uses it, gets through once the
 * broker aborts the transaction after its transaction.timeout.ms, and
 * restores only the committed record. */
static void test_open_transaction_waits(void **state)
{
    (void)state;
    const char *bs = getenv("DEALSTREAM_TEST_BROKERS");
    if (!bs || !*bs) {
        printf("skipped: transactions need a real cluster; set DEALSTREAM_TEST_BROKERS\n");
        skip();
    }
    char topic[64], txid[64], err[512];
    snprintf(topic, sizeof topic, "dealstream-restore-open-%d", (int)getpid());
    snprintf(txid, sizeof txid, "dealstream-restore-open-%d", (int)getpid());
    tu_create_topic(bs, topic, 1, NULL);
    blocks2 b;
    blocks2_init(&b);
    rd_kafka_t *p = producer_for(bs, NULL, NULL);
    produce_state_to(p, topic, &b.pl, &b.sval, b.src, b.k[0], 1, 0);
    assert_int_equal(rd_kafka_flush(p, 10000), 0);
    rd_kafka_destroy(p);
    rd_kafka_t *tp = producer_for(bs, txid, "3000");
    assert_null(rd_kafka_init_transactions(tp, 30000));
    assert_null(rd_kafka_begin_transaction(tp));
    produce_state_to(tp, topic, &b.pl, &b.sval, b.src, b.k[1], 2, 0);
    assert_int_equal(rd_kafka_flush(tp, 10000), 0);

    ds_resolver *rs = ds_resolver_new(b.pl.cat);
    ds_resolver_set_cross_block(rs, 0);
    keys out = {0};
    ds_restore_stats st;
    int rc = ds_state_restore(rs, &b.pl, conf_for(bs), topic, 0, 10, 30000, collect, &out, &st, err, sizeof err);
    assert_int_equal(rc, DS_RESTORE_UNSTABLE);
    assert_non_null(strstr(err, "a transaction is open between offset 1 and the high watermark 2"));
    assert_int_equal(ds_resolver_mentions(rs), 0);
    /* nothing is committed or aborted by the test: the broker ends it */
    rc = ds_state_restore_wait(rs, &b.pl, conf_for(bs), topic, 0, 10, 60000, collect, &out, &st, err, sizeof err);
    if (rc)
        fprintf(stderr, "restore: %s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(st.records, 1);
    assert_int_equal(st.blocks, 1);
    assert_int_equal(st.fallback, 0);
    assert_int_equal(out.n, 0);
    assert_true(ds_resolver_mentions(rs) > 0);
    rd_kafka_destroy(tp);
    ds_resolver_destroy(rs);
    blocks2_fini(&b);
}

/* ---- retired ids across restores ---------------------------------------- */

#define CHAINS 3 /* contract years 2021.. of block EST|KOR|K9 */

/* Mention k of chain c, in arrival order: 0 a delivery naming only the
 * contract year (no contract known: the deal it implies), 1 batch 2 of
 * that year (which takes the delivery), 2 batch 1, signed earlier (which
 * takes it from batch 2: a delivery goes to the earliest contract). */
static ds_mention chain_event(int c, int k)
{
    int year = 2021 + c;
    ds_mention m = k9_event(300 + c);
    snprintf(m.mention_id, sizeof m.mention_id, "ch%d-%d", c, k);
    snprintf(m.src.id, sizeof m.src.id, "chain-%d-%d", c, k);
    m.src.offset = c * 3 + k;
    if (k == 0) {
        m.stage = DS_STAGE_DELIVERY;
        m.status = DS_STATUS_DELIVERED;
        m.signing_date = DS_NO_DATE;
        m.signing_year = year;
        m.batch = 0;
        m.quantity = 4;
        m.src.published = (int64_t)ds_days_from_civil(year + 1, 6, 1) * 86400000LL;
        return m;
    }
    m.batch = 3 - k;
    m.quantity = 12;
    m.signing_date = ds_days_from_civil(year, k == 1 ? 9 : 3, 1);
    m.src.published = (int64_t)m.signing_date * 86400000LL + 9 * 3600000LL;
    return m;
}

/* The last record published for every id, as the compacted canonical
 * topic keeps it. */
typedef struct lastpub {
    char id[32][17], into[32][17];
    int64_t revision[32];
    uint64_t hash[32];
    int n;
} lastpub;

static void lastpub_add(lastpub *p, const ds_changes *ch)
{
    for (size_t i = 0; i < ch->n; i++) {
        const ds_canon *c = ch->items[i];
        int k = 0;
        while (k < p->n && strcmp(p->id[k], c->deal_id) != 0)
            k++;
        if (k == p->n) {
            assert_true(p->n < 32);
            snprintf(p->id[p->n++], sizeof p->id[0], "%s", c->deal_id);
        } else if (c->revision <= p->revision[k]) {
            continue; /* a record read again: the topic's is newer */
        }
        snprintf(p->into[k], sizeof p->into[0], "%s", c->retired_into);
        p->revision[k] = c->revision;
        p->hash[k] = c->content_hash;
    }
}

/* Asserts got holds what want holds: the same ids, each retired into the
 * same deal (or live) with the same content. */
static void lastpub_same(const lastpub *want, const lastpub *got, const char *what)
{
    int retired = 0;
    for (int k = 0; k < want->n; k++) {
        int j = 0;
        while (j < got->n && strcmp(got->id[j], want->id[k]) != 0)
            j++;
        if (j == got->n)
            fail_msg("%s: %s never published", what, want->id[k]);
        if (strcmp(want->into[k], got->into[j]) != 0)
            fail_msg("%s: %s retired into '%s', not '%s'", what, want->id[k], got->into[j], want->into[k]);
        if (want->hash[k] != got->hash[j])
            fail_msg("%s: %s has other content", what, want->id[k]);
        retired += want->into[k][0] != 0;
    }
    assert_int_equal(got->n, want->n);
    assert_int_equal(retired, CHAINS); /* every delivery's inferred id, retired into its batch 1 */
}

/* The chains' mentions in arrival order: each chain's delivery, batch 2,
 * batch 1 in that order, the chains interleaved by seed (0: one after
 * the other). */
static int chain_order(ds_mention *ms, uint64_t seed)
{
    int next[CHAINS] = {0}, n = 0;
    uint64_t s = seed * 7919;
    while (n < CHAINS * 3) {
        int c = seed ? (int)(lcg(&s) % CHAINS) : n / 3;
        while (next[c] == 3)
            c = (c + 1) % CHAINS;
        ms[n++] = chain_event(c, next[c]++);
    }
    return n;
}

/* The final record of every id published, retired ones included, is a
 * function of the set of mentions: deliveries whose contracts arrive later
 * (batch 2, which takes the delivery, then batch 1, which takes it from
 * batch 2), fed to one resolver, equal those of a resolver whose
 * partition was taken over at any point by one restored from the
 * changelog written after every mention: an id retired into batch 2
 * before the restore is retired into batch 1 after it. */
static void test_retired_ids_restored(void **state)
{
    (void)state;
    char err[512];
    for (uint64_t seed = 0; seed < 2; seed++) { /* the chains one after the other, then interleaved */
        ds_mention ms[CHAINS * 3];
        int n = chain_order(ms, seed);
        chunk_env e;
        chunk_env_init(&e);
        lastpub want = {.n = 0};
        ds_resolver *one = chunk_resolver(&e.pl);
        ds_changes ch;
        for (int i = 0; i < n; i++) {
            assert_int_equal(ds_resolver_add(one, &ms[i], &ch), 0);
            lastpub_add(&want, &ch);
        }
        assert_int_equal(ds_resolver_deal_count(one), CHAINS * 2);
        ds_resolver_destroy(one);
        for (int cut = 1; cut < n; cut++) {
            ds_buf scratch;
            ds_buf_init(&scratch);
            lastpub got = {.n = 0};
            ds_resolver *rs = chunk_resolver(&e.pl);
            char topic[64];
            snprintf(topic, sizeof topic, "retired-%llu-%d", (unsigned long long)seed, cut);
            assert_int_equal(ds_broker_topic(e.br, topic, 1), 0);
            for (int i = 0; i < n; i++) {
                if (i == cut) {
                    assert_int_equal(rd_kafka_flush(e.sk.p, 10000), 0);
                    ds_resolver_destroy(rs);
                    rs = chunk_resolver(&e.pl);
                    keys out = {0};
                    ds_restore_stats st;
                    if (ds_state_restore(rs, &e.pl, conf_for_mock(e.bs), topic, 0, INT64_MAX, 30000, collect, &out,
                                         &st, err, sizeof err))
                        fail_msg("restore: %s", err);
                    assert_int_equal(out.n, 0); /* nothing republished: the state is what was written */
                    assert_int_equal(st.blocks, 1);
                }
                assert_int_equal(ds_resolver_add(rs, &ms[i], &ch), 0);
                lastpub_add(&got, &ch);
                if (i < cut) {
                    sink ts = {.p = e.sk.p, .topic = topic};
                    if (ds_state_write_block(e.pl.codec, rs, "EST|KOR|K9", "dealstream-mentions", 0, i, CHUNK_LIMIT,
                                             &scratch, put_record, &ts, err, sizeof err) < 0)
                        fail_msg("write: %s", err);
                }
            }
            char what[64];
            snprintf(what, sizeof what, "seed %llu, restored before mention %d", (unsigned long long)seed, cut);
            lastpub_same(&want, &got, what);
            ds_resolver_destroy(rs);
            ds_buf_free(&scratch);
        }
        chunk_env_fini(&e);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_committed_offset_and_fallback),
        cmocka_unit_test(test_chunked_block),
        cmocka_unit_test(test_chunked_steps),
        cmocka_unit_test(test_reference_rows_restored),
        cmocka_unit_test(test_retired_ids_restored),
        cmocka_unit_test(test_unchunked_record_upgrade),
        cmocka_unit_test(test_compacted_changelog),
        cmocka_unit_test(test_open_transaction_waits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
