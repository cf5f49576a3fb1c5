/* ds_state_restore on the embedded broker, record by record: which
 * changelog records count against the committed offset, and the fallback
 * for a block whose every record lies at or past it (what compaction can
 * leave), whose deals must be republished. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>

#include "article.h"
#include "broker.h"
#include "pipeline.h"
#include "state.h"
#include "testutil.h"

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

static void produce_state(rd_kafka_t *p, ds_pipeline *pl, avro_value_t *sval, ds_resolver *rs, const char *block,
                          int64_t input_offset)
{
    ds_buf b;
    ds_buf_init(&b);
    assert_int_equal(ds_state_encode(pl->codec, rs, block, "dealstream-mentions", 0, input_offset, &b), 0);
    /* the direct encoding is the generic one, byte for byte */
    ds_buf g;
    ds_buf_init(&g);
    assert_int_equal(ds_state_encode_generic(pl->codec, sval, rs, block, "dealstream-mentions", 0, input_offset, &g), 0);
    assert_int_equal(b.len, g.len);
    assert_memory_equal(b.data, g.data, g.len);
    ds_buf_free(&g);
    assert_int_equal(rd_kafka_producev(p, RD_KAFKA_V_TOPIC(TOPIC), RD_KAFKA_V_PARTITION(0),
                                       RD_KAFKA_V_KEY(block, strlen(block)), RD_KAFKA_V_VALUE(b.data, b.len),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                     0);
    ds_buf_free(&b);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_committed_offset_and_fallback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
