/* Inputs at their edges, without a broker: long names in fixed fields stay
 * valid UTF-8 through extraction and the mentions topic's encoding, times
 * outside the years 1 .. 9999 are refused where they are decoded (and the
 * functions that compute with times survive them anyway: under UBSan a
 * signed overflow aborts), and a text article may start with a byte order
 * mark. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "article.h"
#include "pipeline.h"
#include "testutil.h"
#include "util.h"

#define L10 "\xc5\x81\xc5\x81\xc5\x81\xc5\x81\xc5\x81\xc5\x81\xc5\x81\xc5\x81\xc5\x81\xc5\x81" /* 10 x "Ł" */
/* "연합뉴스 국방전문" (26 bytes) */
#define KO "\xec\x97\xb0\xed\x95\xa9\xeb\x89\xb4\xec\x8a\xa4 \xea\xb5\xad\xeb\xb0\xa9\xec\xa0\x84\xeb\xac\xb8 "

static ds_pipeline pl;

static int setup(void **state)
{
    (void)state;
    char err[512];
    if (ds_pipeline_init(&pl, tu_catalog_dir(), err, sizeof err)) {
        fprintf(stderr, "catalog: %s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ds_pipeline_fini(&pl);
    return 0;
}

/* The first sample article as an ArticleEvent in JSON, with outlet. */
static json_t *sample_article(const char *outlet)
{
    size_t len;
    char path[1024];
    snprintf(path, sizeof path, "%s/samples/01-k2-signing-planned.txt", DS_SOURCE_DIR);
    char *text = tu_slurp(path, &len);
    ds_text_article ta;
    char err[256];
    assert_int_equal(ds_article_parse_text(text, len, &ta, err, sizeof err), 0);
    json_t *rec = json_pack("{s:s, s:I, s:s, s:s#, s:s}", "article_id", "utf8-outlet", "published",
                            (json_int_t)ta.published, "outlet", outlet, "body", ta.body, (int)ta.body_len,
                            "language", "en");
    free(text);
    assert_non_null(rec);
    return rec;
}

/* Every mention of rec (an ArticleEvent or DealEvent in JSON) goes through
 * the mentions topic's encoding and decodes back; returns the count, with
 * the last decoded mention in *out. */
static int round_trip(ds_input_kind kind, json_t *rec, ds_mention *out)
{
    const ds_mention *ms;
    ds_fail fail;
    ds_input in = {kind, "t", 0, 0, NULL, 0};
    int n = ds_pipeline_mentions_json(&pl, kind, rec, &in, &ms, &fail);
    if (n < 0)
        fprintf(stderr, "%s (%s): %s\n", fail.stage, fail.cls, fail.msg);
    assert_true(n > 0);
    for (int i = 0; i < n; i++) {
        ds_buf b;
        ds_buf_init(&b);
        assert_int_equal(ds_pipeline_encode_mention(&pl, &ms[i], &b), 0);
        int rc = ds_pipeline_decode_mention(&pl, b.data, b.len, out, &fail);
        if (rc)
            fprintf(stderr, "mention %d: %s (%s): %s\n", i, fail.stage, fail.cls, fail.msg);
        assert_int_equal(rc, 0);
        ds_buf_free(&b);
    }
    return n;
}

/* Forty "Ł" (80 bytes) in an outlet of 64, and Korean outlet names of 3
 * bytes a character: the mentions keep whole characters and decode. */
static void test_long_outlets(void **state)
{
    (void)state;
    ds_mention m;
    json_t *rec = sample_article(L10 L10 L10 L10);
    assert_true(round_trip(DS_INPUT_ARTICLE, rec, &m) > 0);
    assert_int_equal(strlen(m.src.outlet), 62);
    assert_memory_equal(m.src.outlet, L10 L10 L10 L10, 62);
    json_decref(rec);
    rec = sample_article(KO KO KO KO);
    assert_true(round_trip(DS_INPUT_ARTICLE, rec, &m) > 0);
    assert_int_equal(strlen(m.src.outlet), 61); /* 2 x 26, then 3 syllables */
    assert_memory_equal(m.src.outlet, KO KO KO, 61);
    json_decref(rec);
}

static json_t *deal_event(void)
{
    json_error_t je;
    json_t *rec = json_loads("{\"source_id\":\"feed-utf8\",\"source\":\"procurement-feed\","
                             "\"reported\":\"2024-07-10T09:00:00.000Z\",\"buyer\":\"ROU\",\"seller\":\"KOR\","
                             "\"supplier\":null,\"system\":\"K9A1\",\"quantity\":54,"
                             "\"value\":{\"amount\":\"1000000000.00\",\"currency\":\"USD\"},"
                             "\"stage\":\"executive\",\"status\":\"signed\",\"signing_date\":\"2024-07-09\","
                             "\"place\":null,\"batch\":1,\"parent_ref\":null}",
                             0, &je);
    assert_non_null(rec);
    return rec;
}

/* Thirty "Ł" in a place of 48 bytes, forty in the source (the outlet). */
static void test_long_place(void **state)
{
    (void)state;
    ds_mention m;
    json_t *rec = deal_event();
    json_object_set_new(rec, "place", json_string(L10 L10 L10));
    json_object_set_new(rec, "source", json_string(L10 L10 L10 L10));
    assert_int_equal(round_trip(DS_INPUT_DEAL, rec, &m), 1);
    assert_int_equal(strlen(m.place), 46);
    assert_memory_equal(m.place, L10 L10 L10, 46);
    assert_int_equal(strlen(m.src.outlet), 62);
    json_decref(rec);
}

/* The class and the field a deal event with field = value fails with. */
static void expect_deal_fail(const char *field, json_t *value, const char *cls, const char *in_msg)
{
    json_t *rec = deal_event();
    json_object_set_new(rec, field, value);
    const ds_mention *ms;
    ds_fail fail;
    ds_input in = {DS_INPUT_DEAL, "t", 0, 0, NULL, 0};
    int n = ds_pipeline_mentions_json(&pl, DS_INPUT_DEAL, rec, &in, &ms, &fail);
    if (n >= 0 || strcmp(fail.cls, cls) != 0 || !strstr(fail.msg, in_msg))
        fprintf(stderr, "%s: got %d %s: %s; want %s with '%s'\n", field, n, n < 0 ? fail.cls : "", n < 0 ? fail.msg : "",
                cls, in_msg);
    assert_int_equal(n, -1);
    assert_string_equal(fail.cls, cls);
    assert_non_null(strstr(fail.msg, in_msg));
    json_decref(rec);
}

/* Times outside the years 1 .. 9999 as Avro longs: refused before any
 * arithmetic, with their own class. */
static void test_times_out_of_range(void **state)
{
    (void)state;
    expect_deal_fail("reported", json_integer(INT64_MIN + 1), "time-out-of-range", "reported -9223372036854775807");
    expect_deal_fail("reported", json_integer(INT64_MAX), "time-out-of-range", "reported");
    expect_deal_fail("reported", json_integer(DS_MIN_MS - 1), "time-out-of-range", "reported");
    expect_deal_fail("signing_date", json_integer(INT32_MAX), "time-out-of-range", "signing_date 2147483647");
    expect_deal_fail("signing_date", json_integer(INT32_MIN + 1), "time-out-of-range", "signing_date");
    expect_deal_fail("signing_date", json_integer(DS_MAX_DAYS + 1), "time-out-of-range", "signing_date");
    /* the first and the last day are fine */
    ds_mention m;
    json_t *rec = deal_event();
    json_object_set_new(rec, "reported", json_integer(DS_MIN_MS));
    json_object_set_new(rec, "signing_date", json_integer(DS_MAX_DAYS));
    assert_int_equal(round_trip(DS_INPUT_DEAL, rec, &m), 1);
    json_decref(rec);

    json_t *art = sample_article("wire");
    json_object_set_new(art, "published", json_integer(-185542587100800000LL));
    const ds_mention *ms;
    ds_fail fail;
    ds_input in = {DS_INPUT_ARTICLE, "t", 0, 0, NULL, 0};
    assert_int_equal(ds_pipeline_mentions_json(&pl, DS_INPUT_ARTICLE, art, &in, &ms, &fail), -1);
    assert_string_equal(fail.cls, "time-out-of-range");
    assert_non_null(strstr(fail.msg, "published -185542587100800000"));
    json_decref(art);
    /* RFC 3339 in JSON: year 0 is not a date, nor is the hour before year 1 */
    art = sample_article("wire");
    json_object_set_new(art, "published", json_string("0000-12-31T00:00:00Z"));
    assert_int_equal(ds_pipeline_mentions_json(&pl, DS_INPUT_ARTICLE, art, &in, &ms, &fail), -1);
    assert_string_equal(fail.stage, "decode");
    json_object_set_new(art, "published", json_string("0001-01-01T00:30:00+01:00"));
    assert_int_equal(ds_pipeline_mentions_json(&pl, DS_INPUT_ARTICLE, art, &in, &ms, &fail), -1);
    json_decref(art);
    int32_t days;
    assert_int_equal(ds_parse_date("0000-01-01", 10, &days), -1);
    assert_int_equal(ds_parse_date("0001-01-01", 10, &days), 0);
    assert_int_equal(days, DS_MIN_DAYS);
    assert_int_equal(ds_parse_date("9999-12-31", 10, &days), 0);
    assert_int_equal(days, DS_MAX_DAYS);
}

/* A mention read back from <app>-mentions with its times out of range is
 * refused (the resolver computes with them); the resolver and the JSON
 * writer survive extreme times given directly. */
static void test_extreme_times_downstream(void **state)
{
    (void)state;
    json_t *rec = deal_event();
    const ds_mention *ms;
    ds_fail fail;
    ds_input in = {DS_INPUT_DEAL, "t", 0, 0, NULL, 0};
    assert_int_equal(ds_pipeline_mentions_json(&pl, DS_INPUT_DEAL, rec, &in, &ms, &fail), 1);
    json_decref(rec);
    ds_mention m = *ms;
    const int64_t times[] = {INT64_MIN + 1, INT64_MAX, -185542587100800000LL};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        m.src.published = times[i];
        ds_buf b;
        ds_buf_init(&b);
        assert_int_equal(ds_pipeline_encode_mention(&pl, &m, &b), 0);
        ds_mention back;
        assert_int_equal(ds_pipeline_decode_mention(&pl, b.data, b.len, &back, &fail), -1);
        assert_string_equal(fail.cls, "time-out-of-range");
        assert_non_null(strstr(fail.msg, "source.published"));
        ds_buf_free(&b);
        /* straight into a resolver: no overflow (minute_of), whatever it decides */
        ds_resolver *rs = ds_resolver_new(pl.cat);
        ds_changes ch = {0};
        assert_true(ds_resolver_add(rs, &m, &ch) >= 0);
        ds_resolver_destroy(rs);
    }
    m.src.published = 1720602000000;
    m.signing_date = INT32_MAX;
    ds_buf b;
    ds_buf_init(&b);
    assert_int_equal(ds_pipeline_encode_mention(&pl, &m, &b), 0);
    ds_mention back;
    assert_int_equal(ds_pipeline_decode_mention(&pl, b.data, b.len, &back, &fail), -1);
    assert_non_null(strstr(fail.msg, "signing_date"));
    ds_buf_free(&b);

    /* consume's JSON: RFC 3339 inside the range, the integer outside it */
    avro_value_t v;
    assert_int_equal(ds_codec_value_new(pl.codec, DS_SCHEMA_ARTICLE, &v), 0);
    json_t *art = json_pack("{s:s, s:I, s:s, s:s}", "article_id", "x", "published", (json_int_t)(INT64_MIN + 1),
                            "body", "b", "language", "en");
    char err[256];
    assert_int_equal(ds_codec_from_json(pl.codec, DS_SCHEMA_ARTICLE, art, &v, err, sizeof err), 0);
    json_t *out = ds_codec_to_json(pl.codec, DS_SCHEMA_ARTICLE, &v);
    assert_non_null(out);
    assert_true(json_is_integer(json_object_get(out, "published")));
    json_decref(out);
    json_object_set_new(art, "published", json_integer(DS_MAX_MS));
    assert_int_equal(ds_codec_from_json(pl.codec, DS_SCHEMA_ARTICLE, art, &v, err, sizeof err), 0);
    out = ds_codec_to_json(pl.codec, DS_SCHEMA_ARTICLE, &v);
    assert_string_equal(json_string_value(json_object_get(out, "published")), "9999-12-31T23:59:59.999Z");
    json_decref(out);
    json_decref(art);
    avro_value_decref(&v);
}

/* Currencies, amounts and quantities of a deal event: each a class. */
static void test_deal_values(void **state)
{
    (void)state;
    const char *bad[] = {"usd", "XYZ", "XAU", "US", "USDX"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *v = json_pack("{s:s, s:s}", "amount", "1000.00", "currency", bad[i]);
        char want[16];
        snprintf(want, sizeof want, "'%s'", bad[i]);
        expect_deal_fail("value", v, "unknown-currency", want);
    }
    expect_deal_fail("value", json_pack("{s:s, s:s}", "amount", "-1000.00", "currency", "EUR"), "negative-amount",
                     "negative");
    expect_deal_fail("quantity", json_integer(0), "bad-quantity", "quantity 0");
    expect_deal_fail("quantity", json_integer(-3), "bad-quantity", "quantity -3");
    char id[200];
    memset(id, 'x', sizeof id - 1);
    id[sizeof id - 1] = '\0';
    expect_deal_fail("source_id", json_string(id), "id-too-long", "199 bytes");
    /* a currency of the catalog other than USD, and a zero amount, are fine */
    ds_mention m;
    json_t *rec = deal_event();
    json_object_set_new(rec, "value", json_pack("{s:s, s:s}", "amount", "0.00", "currency", "KRW"));
    assert_int_equal(round_trip(DS_INPUT_DEAL, rec, &m), 1);
    assert_string_equal(m.value.currency, "KRW");
    json_decref(rec);
}

/* A byte order mark before the date line: the date still counts. */
static void test_text_article_bom(void **state)
{
    (void)state;
    const char text[] = "\xEF\xBB\xBF" "date 2025-07-30\nTitle\n\nBody text.\n";
    ds_text_article ta;
    char err[256];
    assert_int_equal(ds_article_parse_text(text, sizeof text - 1, &ta, err, sizeof err), 0);
    int32_t days;
    assert_int_equal(ds_parse_date("2025-07-30", 10, &days), 0);
    assert_true(ta.published == (int64_t)days * 86400000);
    assert_int_equal(ta.title_len, 5);
    assert_memory_equal(ta.body, "Title", 5);
    char id[16];
    ds_article_id_from_path("/a/" L10 ".txt", id, sizeof id); /* cut whole */
    assert_int_equal(strlen(id), 14);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_outlets),
        cmocka_unit_test(test_long_place),
        cmocka_unit_test(test_times_out_of_range),
        cmocka_unit_test(test_extreme_times_downstream),
        cmocka_unit_test(test_deal_values),
        cmocka_unit_test(test_text_article_bom),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
