/* The direct DealEvent reader (deal_bin.h) against the generic decoder: the
 * same fields for every event it reads, the same mention or the same
 * classified failure out of ds_pipeline_mentions as the generic path gives
 * (ds_codec_decode, then ds_pipeline_normalize), for well-formed events of
 * every shape and for truncated, mutated and hand-made malformed bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec.h"
#include "deal_bin.h"
#include "mention_bin.h"
#include "pipeline.h"
#include "testutil.h"
#include "util.h"

static ds_pipeline pl;
static avro_value_t gval;
static const ds_input in_tmpl = {DS_INPUT_DEAL, "deals", 3, 42, NULL, 0};

static int setup(void **state)
{
    (void)state;
    char err[512];
    assert_int_equal(ds_pipeline_init(&pl, tu_catalog_dir(), err, sizeof err), 0);
    assert_int_equal(ds_codec_value_new(pl.codec, DS_SCHEMA_DEAL_EVENT, &gval), 0);
    assert_int_equal(pl.deal_direct, 1); /* the reader fits the schema it was written for */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    avro_value_decref(&gval);
    ds_pipeline_fini(&pl);
    return 0;
}

/* ---- comparing the two paths ------------------------------------------- */

static void assert_same_str(const char *a, const char *b)
{
    if (!a || !b) {
        assert_ptr_equal(a, b);
        return;
    }
    assert_string_equal(a, b);
}

/* Field for field; numbers only where their presence says they count. */
static void assert_same_event(const ds_deal_event *a, const ds_deal_event *b)
{
    assert_same_str(a->source_id, b->source_id);
    assert_int_equal(a->source_id_len, b->source_id_len);
    assert_same_str(a->source, b->source);
    assert_int_equal(a->reported, b->reported);
    assert_same_str(a->buyer, b->buyer);
    assert_same_str(a->seller, b->seller);
    assert_same_str(a->supplier, b->supplier);
    assert_same_str(a->system, b->system);
    assert_int_equal(a->has_quantity, b->has_quantity);
    if (a->has_quantity)
        assert_int_equal(a->quantity, b->quantity);
    assert_int_equal(a->has_value, b->has_value);
    assert_int_equal(a->amount_ok, b->amount_ok);
    if (a->amount_ok)
        assert_int_equal(a->amount, b->amount);
    assert_same_str(a->currency, b->currency);
    assert_int_equal(a->stage, b->stage);
    assert_int_equal(a->status, b->status);
    assert_int_equal(a->has_signing_date, b->has_signing_date);
    if (a->has_signing_date)
        assert_int_equal(a->signing_date, b->signing_date);
    assert_same_str(a->place, b->place);
    assert_int_equal(a->has_batch, b->has_batch);
    if (a->has_batch)
        assert_int_equal(a->batch, b->batch);
    assert_same_str(a->parent_ref, b->parent_ref);
}

/* What one path made of a message. */
typedef struct {
    int n;
    ds_mention m;
    ds_fail fail;
} outcome;

/* The generic path, as ds_pipeline_mentions took it before the direct
 * reader: the codec's decode, then the normaliser on the generic value. */
static void generic_outcome(const void *data, size_t len, outcome *o)
{
    ds_input in = in_tmpl;
    char err[512];
    memset(o, 0, sizeof *o);
    int rc = ds_codec_decode(pl.codec, DS_SCHEMA_DEAL_EVENT, data, len, &gval, err, sizeof err);
    if (rc) {
        o->n = -1;
        o->fail.stage = "decode";
        o->fail.cls = ds_codec_strerror(rc);
        snprintf(o->fail.msg, sizeof o->fail.msg, "%s", err);
        return;
    }
    o->n = ds_pipeline_normalize(&pl, &gval, &in, &o->m, &o->fail) ? -1 : 1;
}

typedef struct {
    size_t total, direct, failed;
} tally;

/* Runs one message through ds_pipeline_mentions and through the generic
 * path, asserts the same mention or the same stage, class and message, and,
 * when the direct reader accepts the body, the same fields as the generic
 * decoder's. Returns 1 when the pipeline took the direct path (its strings
 * then point into event.text). */
static int check_message(const void *data, size_t len, tally *t, outcome *out)
{
    static outcome direct, generic;
    ds_input in = in_tmpl;
    in.data = data;
    in.len = len;
    const ds_mention *ms = NULL;
    memset(&direct, 0, sizeof direct);
    pl.event.source_id = NULL; /* set again by whichever path reads the event */
    direct.n = ds_pipeline_mentions(&pl, &in, &ms, &direct.fail);
    if (direct.n == 1)
        direct.m = ms[0];
    int took_direct = pl.event.source_id == pl.event.text;
    generic_outcome(data, len, &generic);
    assert_int_equal(direct.n, generic.n);
    if (direct.n == 1) {
        assert_memory_equal(&direct.m, &generic.m, sizeof direct.m);
    } else {
        assert_string_equal(direct.fail.stage, generic.fail.stage);
        assert_string_equal(direct.fail.cls, generic.fail.cls);
        assert_string_equal(direct.fail.msg, generic.fail.msg);
    }
    /* the reader on its own: what it accepts, the generic decoder reads the same */
    unsigned char hdr[DS_FRAME_HEADER_MAX];
    size_t hlen;
    static ds_deal_event e, g;
    char err[256];
    assert_int_equal(ds_codec_frame_header(pl.codec, DS_SCHEMA_DEAL_EVENT, DS_FRAME_SINGLE_OBJECT, hdr, &hlen), 0);
    if (len >= hlen && memcmp(data, hdr, hlen) == 0 &&
        ds_deal_event_read((const char *)data + hlen, len - hlen, &e, err, sizeof err) == 0) {
        assert_int_equal(ds_codec_decode(pl.codec, DS_SCHEMA_DEAL_EVENT, data, len, &gval, err, sizeof err), 0);
        ds_deal_event_from_avro(&gval, &g);
        assert_same_event(&e, &g);
        assert_true(took_direct);
    }
    if (t) {
        t->total++;
        t->direct += (size_t)took_direct;
        t->failed += direct.n < 0;
    }
    if (out)
        *out = direct;
    return took_direct;
}

/* ---- building events ----------------------------------------------------- */

/* The single-object encoding of a DealEvent given as JSON text, through the
 * generic encoder. */
static void encode_json(const char *text, ds_buf *out)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (!j)
        fail_msg("bad test JSON: %s: %s", jerr.text, text);
    char err[256];
    int rc = ds_codec_from_json(pl.codec, DS_SCHEMA_DEAL_EVENT, j, &gval, err, sizeof err);
    if (rc)
        fail_msg("%s: %s", err, text);
    ds_buf_reset(out);
    assert_int_equal(ds_codec_encode(pl.codec, DS_SCHEMA_DEAL_EVENT, &gval, DS_FRAME_SINGLE_OBJECT, out), 0);
    json_decref(j);
}

static const char base_event[] =
    "{\"source_id\":\"AU-2025-K2-E2\",\"source\":\"procurement-feed\",\"reported\":\"2025-08-01T14:00:00.000Z\","
    "\"buyer\":\"POL\",\"seller\":\"KOR\",\"supplier\":\"HYUNDAI_ROTEM\",\"system\":\"K2\",\"quantity\":180,"
    "\"value\":{\"amount\":\"6500000000.00\",\"currency\":\"USD\"},\"stage\":\"executive\",\"status\":\"signed\","
    "\"signing_date\":\"2025-08-01\",\"place\":\"Gliwice\",\"batch\":2,\"parent_ref\":\"PL-K2-FW\"}";

/* The base event with the fields of patch (a JSON object) set over it. */
static void encode_patched(const char *patch, ds_buf *out)
{
    json_error_t jerr;
    json_t *b = json_loads(base_event, 0, &jerr), *p = json_loads(patch, 0, &jerr);
    if (!b || !p)
        fail_msg("bad test JSON: %s", patch);
    assert_int_equal(json_object_update(b, p), 0);
    char *text = json_dumps(b, JSON_COMPACT);
    encode_json(text, out);
    free(text);
    json_decref(b);
    json_decref(p);
}

/* Events of every shape the schema allows, and the values the normaliser
 * refuses. */
static const char *const patches[] = {
    "{}",
    "{\"seller\":null}", "{\"supplier\":null}", "{\"supplier\":\"Hanwha Aerospace\"}",
    "{\"supplier\":\"No Such Works\"}", "{\"supplier\":\"\"}", "{\"seller\":\"\"}", "{\"seller\":\"XXX\"}",
    "{\"system\":\"K-2\"}", "{\"system\":\"K2GF\"}", "{\"system\":\"Black Panther\"}", "{\"system\":\"DEATH-STAR\"}",
    "{\"system\":\"\"}", "{\"buyer\":\"XXX\"}", "{\"buyer\":\"\"}", "{\"buyer\":\"pol\"}",
    "{\"quantity\":null}", "{\"quantity\":0}", "{\"quantity\":-5}", "{\"quantity\":1}",
    "{\"quantity\":9223372036854775807}", "{\"quantity\":-9223372036854775808}",
    "{\"value\":null}", "{\"value\":{\"amount\":\"1.00\",\"currency\":\"EUR\"}}",
    "{\"value\":{\"amount\":\"8980000000000.00\",\"currency\":\"KRW\"}}",
    "{\"value\":{\"amount\":\"0.00\",\"currency\":\"USD\"}}",
    "{\"value\":{\"amount\":\"-1000000000.00\",\"currency\":\"USD\"}}",
    "{\"value\":{\"amount\":\"92233720368547758.07\",\"currency\":\"USD\"}}",
    "{\"value\":{\"amount\":\"-92233720368547758.08\",\"currency\":\"USD\"}}",
    "{\"value\":{\"amount\":\"1.27\",\"currency\":\"USD\"}}", "{\"value\":{\"amount\":\"1.28\",\"currency\":\"USD\"}}",
    "{\"value\":{\"amount\":\"5.00\",\"currency\":\"usd\"}}", "{\"value\":{\"amount\":\"5.00\",\"currency\":\"XAU\"}}",
    "{\"value\":{\"amount\":\"5.00\",\"currency\":\"XYZ\"}}", "{\"value\":{\"amount\":\"5.00\",\"currency\":\"DOLLARS\"}}",
    "{\"value\":{\"amount\":\"5.00\",\"currency\":\"\"}}",
    "{\"stage\":\"intent\"}", "{\"stage\":\"selection\"}", "{\"stage\":\"approval\"}", "{\"stage\":\"framework\"}",
    "{\"stage\":\"loa\"}", "{\"stage\":\"option\"}", "{\"stage\":\"joint_venture\"}", "{\"stage\":\"delivery\"}",
    "{\"status\":\"planned\"}", "{\"status\":\"delivered\"}",
    "{\"signing_date\":null}", "{\"signing_date\":\"0001-01-01\"}", "{\"signing_date\":\"9999-12-31\"}",
    "{\"signing_date\":-719163}", "{\"signing_date\":2932897}", "{\"signing_date\":2147483647}",
    "{\"signing_date\":-2147483648}",
    "{\"reported\":\"0001-01-01T00:00:00.000Z\"}", "{\"reported\":-62135596801000}", "{\"reported\":0}",
    "{\"reported\":9223372036854775807}", "{\"reported\":-9223372036854775807}",
    "{\"place\":null}", "{\"place\":\"\"}", "{\"place\":\"Gliwice \\u2013 \\u0141ab\\u0119dy\"}",
    "{\"batch\":null}", "{\"batch\":0}", "{\"batch\":1}", "{\"batch\":99}", "{\"batch\":100}", "{\"batch\":-1}",
    "{\"batch\":2147483647}",
    "{\"parent_ref\":null}", "{\"parent_ref\":\"\"}", "{\"parent_ref\":\"PL-NOWHERE\"}",
    "{\"parent_ref\":\"PL-K2-E1\",\"stage\":\"option\"}",
    "{\"source_id\":\"\"}", "{\"source\":\"\"}", "{\"source_id\":\"\\u00e9t\\u00e9-\\ud83d\\ude80\"}",
    "{\"seller\":null,\"supplier\":null,\"quantity\":null,\"value\":null,\"signing_date\":null,\"place\":null,"
    "\"batch\":null,\"parent_ref\":null}",
};

/* A string of n bytes "xxx...". */
static char *repeat(size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, 'x', n);
    s[n] = '\0';
    return s;
}

static void test_same_as_generic(void **state)
{
    (void)state;
    ds_buf b;
    ds_buf_init(&b);
    tally t = {0};
    for (size_t i = 0; i < sizeof patches / sizeof *patches; i++) {
        encode_patched(patches[i], &b);
        check_message(b.data, b.len, &t, NULL);
    }
    /* every one read directly; the normaliser refused some either way */
    assert_int_equal(t.direct, t.total);
    assert_true(t.failed >= 20 && t.failed < t.total - 20);

    /* the test data's events */
    char path[1024];
    snprintf(path, sizeof path, "%s/data/DealEvent.json", tu_test_dir());
    size_t len;
    char *text = tu_slurp(path, &len);
    encode_json(text, &b);
    outcome o;
    assert_int_equal(check_message(b.data, b.len, NULL, &o), 1);
    assert_int_equal(o.n, 1);
    assert_string_equal(o.m.src.id, "AU-2025-K2-E2");
    assert_string_equal(o.m.suppliers[0].company, "HYUNDAI_ROTEM");
    assert_int_equal(o.m.value.amount, 650000000000LL);
    assert_int_equal(o.m.batch, 2);
    assert_int_equal(o.m.nrels, 1);
    assert_string_equal(o.m.rels[0].ref, "PL-K2-FW");
    assert_string_equal(o.m.src.topic, "deals");
    assert_int_equal(o.m.src.offset, 42);
    free(text);
    snprintf(path, sizeof path, "%s/data/deals.jsonl", tu_test_dir());
    text = tu_slurp(path, &len);
    int lines = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        encode_json(line, &b);
        assert_int_equal(check_message(b.data, b.len, NULL, NULL), 1);
    }
    assert_int_equal(lines, 3);
    free(text);

    /* ids at and over the limit, and strings past the direct reader's room:
     * those go to the generic decoder, with the same outcome */
    const size_t sizes[] = {127, 128, 200, 1000, 5000};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        char *s = repeat(sizes[i]), patch[6000];
        snprintf(patch, sizeof patch, "{\"source_id\":\"%s\"}", s);
        encode_patched(patch, &b);
        assert_int_equal(check_message(b.data, b.len, NULL, &o), sizes[i] < DS_DEAL_TEXT_MAX - 64);
        assert_int_equal(o.n, sizes[i] < DS_ID_MAX ? 1 : -1);
        if (o.n < 0)
            assert_string_equal(o.fail.cls, "id-too-long");
        snprintf(patch, sizeof patch, "{\"place\":\"%s\"}", s);
        encode_patched(patch, &b);
        assert_int_equal(check_message(b.data, b.len, NULL, &o), sizes[i] < DS_DEAL_TEXT_MAX - 64);
        assert_int_equal(o.n, 1);
        free(s);
    }
    ds_buf_free(&b);
}

/* Confluent framing under the id the codec has for DealEvent is read
 * directly too; any other id is the generic decoder's error. */
static void test_confluent(void **state)
{
    (void)state;
    ds_buf so, cf;
    ds_buf_init(&so);
    ds_buf_init(&cf);
    encode_json(base_event, &so);
    outcome a, c;
    assert_int_equal(check_message(so.data, so.len, NULL, &a), 1);
    const unsigned char hdr[5] = {0, 0, 0, 0x30, 0x39}; /* id 12345 */
    assert_int_equal(ds_buf_append(&cf, hdr, 5), 0);
    assert_int_equal(ds_buf_append(&cf, so.data + 10, so.len - 10), 0);
    assert_int_equal(check_message(cf.data, cf.len, NULL, &c), 0);
    assert_int_equal(c.n, -1);
    assert_string_equal(c.fail.cls, "unknown-schema-id");
    assert_int_equal(ds_codec_set_confluent_id(pl.codec, DS_SCHEMA_DEAL_EVENT, 12345), 0);
    assert_int_equal(check_message(cf.data, cf.len, NULL, &c), 1);
    assert_int_equal(c.n, 1);
    assert_memory_equal(&a.m, &c.m, sizeof a.m);
    ds_buf_free(&so);
    ds_buf_free(&cf);
}

/* Currencies in turns, known and not: each judged on its own (the
 * normaliser remembers the last currency it found a rate for). */
static void test_currency_turns(void **state)
{
    (void)state;
    const char *const turns[][2] = {{"USD", NULL}, {"XAU", "unknown-currency"}, {"EUR", NULL},
                                    {"XAU", "unknown-currency"}, {"EUR", NULL}, {"KRW", NULL},
                                    {"EUX", "unknown-currency"}, {"USD", NULL}, {"usd", "unknown-currency"}};
    ds_buf b;
    ds_buf_init(&b);
    for (size_t i = 0; i < sizeof turns / sizeof *turns; i++) {
        char patch[128];
        snprintf(patch, sizeof patch, "{\"value\":{\"amount\":\"5.00\",\"currency\":\"%s\"}}", turns[i][0]);
        encode_patched(patch, &b);
        outcome o;
        assert_int_equal(check_message(b.data, b.len, NULL, &o), 1);
        if (turns[i][1]) {
            assert_int_equal(o.n, -1);
            assert_string_equal(o.fail.cls, turns[i][1]);
        } else {
            assert_int_equal(o.n, 1);
            assert_string_equal(o.m.value.currency, turns[i][0]);
        }
    }
    ds_buf_free(&b);
}

/* ---- hand-made bodies ---------------------------------------------------- */

enum {
    F_SOURCE_ID, F_SOURCE, F_REPORTED, F_BUYER, F_SELLER, F_SUPPLIER, F_SYSTEM, F_QUANTITY, F_VALUE, F_STAGE,
    F_STATUS, F_SIGNING_DATE, F_PLACE, F_BATCH, F_PARENT_REF, F__COUNT
};

/* Field k of the base event, as Avro binary. */
static void put_field(ds_buf *o, int k)
{
    switch (k) {
    case F_SOURCE_ID: ds_avro_put_string(o, "AU-2025-K2-E2"); break;
    case F_SOURCE: ds_avro_put_string(o, "procurement-feed"); break;
    case F_REPORTED: ds_avro_put_long(o, 1754056800000LL); break;
    case F_BUYER: ds_avro_put_string(o, "POL"); break;
    case F_SELLER: ds_avro_put_opt_string(o, "KOR"); break;
    case F_SUPPLIER: ds_avro_put_opt_string(o, "HYUNDAI_ROTEM"); break;
    case F_SYSTEM: ds_avro_put_string(o, "K2"); break;
    case F_QUANTITY: ds_avro_put_opt_long(o, 180, 1); break;
    case F_VALUE: /* 650000000000 hundredths: 97 57 04 e4 00, and a 00 for the sign */
        ds_avro_put_long(o, 1);
        ds_avro_put_long(o, 6);
        ds_buf_append(o, "\x00\x97\x57\x04\xe4\x00", 6);
        ds_avro_put_string(o, "USD");
        break;
    case F_STAGE: ds_avro_put_long(o, 5); break;
    case F_STATUS: ds_avro_put_long(o, 1); break;
    case F_SIGNING_DATE: ds_avro_put_opt_long(o, 20301, 1); break;
    case F_PLACE: ds_avro_put_opt_string(o, "Gliwice"); break;
    case F_BATCH: ds_avro_put_opt_long(o, 2, 1); break;
    case F_PARENT_REF: ds_avro_put_opt_string(o, "PL-K2-FW"); break;
    }
}

/* The base event's single-object message with field k's bytes replaced by
 * raw (n bytes; k -1: none replaced), then extra bytes appended. */
static void message_with(ds_buf *o, int k, const char *raw, size_t n)
{
    unsigned char hdr[DS_FRAME_HEADER_MAX];
    size_t hlen;
    ds_buf_reset(o);
    assert_int_equal(ds_codec_frame_header(pl.codec, DS_SCHEMA_DEAL_EVENT, DS_FRAME_SINGLE_OBJECT, hdr, &hlen), 0);
    assert_int_equal(ds_buf_append(o, hdr, hlen), 0);
    for (int f = 0; f < F__COUNT; f++) {
        if (f == k)
            assert_int_equal(ds_buf_append(o, raw, n), 0);
        else
            put_field(o, f);
    }
}

typedef struct {
    int field;
    const char *raw;
    size_t n;
    const char *cls;  /* the class both paths give */
    const char *msg;  /* a part of the message */
} crafted;

#define RAW(s) s, sizeof s - 1

static const crafted cases[] = {
    {F_SOURCE_ID, RAW("\x09" "AU-2025"), "corrupt", "source_id: negative string length -5"},
    {F_SOURCE_ID, RAW("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01"), "corrupt", "source_id: varint overflows"},
    {F_REPORTED, RAW("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02"), "corrupt", "reported: varint overflows 64 bits"},
    {F_REPORTED, RAW("\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01"), NULL, NULL}, /* INT64_MAX: past the years */
    {F_BUYER, RAW("\x06\xc3\x28\xff"), "bad-utf8", "buyer: string is not valid UTF-8"},
    {F_BUYER, RAW("\x04\xc0\xaf"), "bad-utf8", "buyer:"},
    {F_SYSTEM, RAW("\x06K\x00" "2"), "bad-utf8", "system:"},
    {F_SYSTEM, RAW("\x7e" "K2"), "corrupt", "string length 63 exceeds"},
    {F_SELLER, RAW("\x04\x06KOR"), "corrupt", "seller: union branch 2 out of range"},
    {F_SELLER, RAW("\x01"), "corrupt", "union branch -1"},
    {F_STAGE, RAW("\x12"), "corrupt", "enum dealstream.Stage index 9"},
    {F_STATUS, RAW("\x01"), "corrupt", "enum dealstream.Status index -1"},
    {F_SIGNING_DATE, RAW("\x02\x80\x80\x80\x80\x10"), "corrupt", "signing_date: int out of range"},
    {F_BATCH, RAW("\x02\x81\x80\x80\x80\x10"), "corrupt", "batch: int out of range: -2147483649"},
    {F_VALUE, RAW("\x02\x00\x06USD"), "corrupt", "value.amount: decimal of 0 bytes"},
    {F_VALUE, RAW("\x02\x12\x01\x00\x00\x00\x00\x00\x00\x00\x00\x06USD"), "corrupt", "decimal of 9 bytes"},
    /* nine bytes that only extend the sign: valid, read by the generic decoder */
    {F_VALUE, RAW("\x02\x12\x00\x00\x00\x00\x97\x57\x04\xe4\x00\x06USD"), NULL, NULL},
    {F_VALUE, RAW("\x02\x12\xff\xff\xff\xff\xff\xff\xff\xff\x9c\x06USD"), NULL, NULL}, /* -100: negative */
    {F_VALUE, RAW("\x02\x02\x01\x06USD"), NULL, NULL},                              /* 0.01 USD */
    {F_VALUE, RAW("\x02\x02\x01\x06U\xff" "D"), "bad-utf8", "value.currency:"},
    {F_PARENT_REF, RAW("\x02"), "corrupt", "parent_ref: truncated body (in a varint)"},
    {F_PARENT_REF, RAW("\x02\x10PL-K2"), "corrupt", "exceeds"},
    {F_PARENT_REF, RAW("\x00\x00"), "trailing-bytes", "1 bytes left after the record"},
};

static void test_crafted(void **state)
{
    (void)state;
    ds_buf o, g;
    ds_buf_init(&o);
    ds_buf_init(&g);
    /* the builder writes what the generic encoder does */
    message_with(&o, -1, NULL, 0);
    encode_json(base_event, &g);
    assert_int_equal(o.len, g.len);
    assert_memory_equal(o.data, g.data, o.len);
    outcome base, r;
    assert_int_equal(check_message(o.data, o.len, NULL, &base), 1);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const crafted *c = &cases[i];
        message_with(&o, c->field, c->raw, c->n);
        check_message(o.data, o.len, NULL, &r);
        if (!c->cls)
            continue; /* valid bytes: checked below */
        if (r.n != -1 || strcmp(r.fail.cls, c->cls) != 0 || !strstr(r.fail.msg, c->msg))
            fail_msg("case %zu: got %d %s \"%s\", expected %s \"%s\"", i, r.n, r.n < 0 ? r.fail.cls : "",
                     r.n < 0 ? r.fail.msg : "", c->cls, c->msg);
        assert_string_equal(r.fail.stage, "decode");
    }
    /* the valid ones: the sign-extended decimal reads as the minimal one */
    message_with(&o, F_VALUE, RAW("\x02\x12\x00\x00\x00\x00\x97\x57\x04\xe4\x00\x06USD"));
    assert_int_equal(check_message(o.data, o.len, NULL, &r), 0);
    assert_int_equal(r.n, 1);
    assert_memory_equal(&r.m, &base.m, sizeof r.m);
    message_with(&o, F_VALUE, RAW("\x02\x12\xff\xff\xff\xff\xff\xff\xff\xff\x9c\x06USD"));
    check_message(o.data, o.len, NULL, &r);
    assert_string_equal(r.fail.cls, "negative-amount");
    message_with(&o, F_REPORTED, RAW("\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01"));
    assert_int_equal(check_message(o.data, o.len, NULL, &r), 1);
    assert_int_equal(r.n, -1);
    assert_string_equal(r.fail.cls, "time-out-of-range");
    assert_non_null(strstr(r.fail.msg, "reported 9223372036854775807"));
    ds_buf_free(&o);
    ds_buf_free(&g);
}

/* Every truncation and thousands of one-byte changes of several events:
 * never a different outcome from the generic path. */
static void test_mutations(void **state)
{
    (void)state;
    ds_buf b;
    ds_buf_init(&b);
    tally cuts = {0}, muts = {0};
    uint64_t rng = 0x9e3779b97f4a7c15ULL;
    const char *const shapes[] = {"{}", "{\"seller\":null,\"supplier\":null,\"value\":null,\"place\":null}",
                                  "{\"system\":\"Black Panther\",\"batch\":null,\"parent_ref\":null}",
                                  "{\"value\":{\"amount\":\"1.00\",\"currency\":\"EUR\"},\"quantity\":null}"};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        encode_patched(shapes[s], &b);
        for (size_t cut = 0; cut < b.len; cut++) {
            /* a copy of exactly cut bytes, so ASan sees any over-read */
            char *p = malloc(cut ? cut : 1);
            memcpy(p, b.data, cut);
            outcome o;
            check_message(p, cut, &cuts, &o);
            assert_int_equal(o.n, -1);
            free(p);
        }
        for (int k = 0; k < 1500; k++) {
            char *p = malloc(b.len);
            memcpy(p, b.data, b.len);
            int changes = 1 + (int)(rng % 3);
            for (int c = 0; c < changes; c++) {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                /* the header stays, mostly: the body is what the reader reads */
                size_t at = k % 10 == 0 ? rng % b.len : 10 + rng % (b.len - 10);
                p[at] = (char)(rng >> 40);
            }
            check_message(p, b.len, &muts, NULL);
            free(p);
        }
    }
    /* no truncation read directly; the changes took both paths and both outcomes */
    assert_int_equal(cuts.direct, 0);
    assert_int_equal(cuts.failed, cuts.total);
    assert_true(muts.direct > muts.total / 10 && muts.direct < muts.total);
    assert_true(muts.failed > muts.total / 10 && muts.failed < muts.total);
    ds_buf_free(&b);
}

/* A writer schema other than this version's (one without place, as an
 * older producer might have) is resolved by the generic decoder, the
 * missing field taking its default. */
static void test_other_writer(void **state)
{
    (void)state;
    json_error_t jerr;
    json_t *w = json_loads(ds_schema_json[DS_SCHEMA_DEAL_EVENT], 0, &jerr);
    assert_non_null(w);
    json_t *fields = json_object_get(w, "fields");
    size_t i;
    json_t *f;
    json_array_foreach(fields, i, f) {
        if (strcmp(json_string_value(json_object_get(f, "name")), "place") == 0)
            break;
    }
    assert_int_equal(i, F_PLACE);
    assert_int_equal(json_array_remove(fields, i), 0);
    char *text = json_dumps(w, JSON_COMPACT);
    char err[512];
    assert_int_equal(ds_codec_add_writer(pl.codec, DS_SCHEMA_DEAL_EVENT, text, -1, err, sizeof err), 0);
    uint64_t fp = tu_schema_fingerprint(text);
    ds_buf o;
    ds_buf_init(&o);
    message_with(&o, F_PLACE, "", 0);
    for (int k = 0; k < 8; k++)
        o.data[2 + k] = (char)(fp >> (8 * k));
    outcome r;
    assert_int_equal(check_message(o.data, o.len, NULL, &r), 0);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.m.place, "");
    assert_string_equal(r.m.src.id, "AU-2025-K2-E2");
    assert_int_equal(r.m.quantity, 180);
    assert_int_equal(r.m.batch, 2);
    free(text);
    json_decref(w);
    ds_buf_free(&o);
}

/* The reader's check of the schema: the DealEvent schema passes; one with
 * a field less, a field of another type, or another number of stages does
 * not (the pipeline then reads every deal event generically). */
static void test_schema_check(void **state)
{
    (void)state;
    assert_int_equal(ds_deal_event_schema_ok(ds_codec_schema(pl.codec, DS_SCHEMA_DEAL_EVENT)), 1);
    assert_int_equal(ds_deal_event_schema_ok(ds_codec_schema(pl.codec, DS_SCHEMA_MENTION)), 0);
    assert_int_equal(ds_deal_event_schema_ok(NULL), 0);
    const char *const edits[][2] = {
        {"{\"name\": \"place\", \"type\": [\"null\", \"string\"], \"default\": null},", ""},
        {"{\"name\": \"quantity\", \"type\": [\"null\", \"long\"]", "{\"name\": \"quantity\", \"type\": [\"null\", \"int\"]"},
        {"\"joint_venture\", \"delivery\"]", "\"joint_venture\", \"delivery\", \"memorandum\"]"},
        {"{\"name\": \"currency\", \"type\": \"string\"", "{\"name\": \"currency\", \"type\": \"bytes\""},
    };
    const char *orig = ds_schema_json[DS_SCHEMA_DEAL_EVENT];
    for (size_t i = 0; i < sizeof edits / sizeof *edits; i++) {
        const char *at = strstr(orig, edits[i][0]);
        if (!at)
            fail_msg("edit %zu: '%s' is not in DealEvent.avsc", i, edits[i][0]);
        ds_buf t;
        ds_buf_init(&t);
        assert_int_equal(ds_buf_append(&t, orig, (size_t)(at - orig)), 0);
        assert_int_equal(ds_buf_append_str(&t, edits[i][1]), 0);
        assert_int_equal(ds_buf_append_str(&t, at + strlen(edits[i][0])), 0);
        avro_schema_t s;
        assert_int_equal(avro_schema_from_json_length(t.data, t.len, &s), 0);
        assert_int_equal(ds_deal_event_schema_ok(s), 0);
        avro_schema_decref(s);
        ds_buf_free(&t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_generic),
        cmocka_unit_test(test_confluent),
        cmocka_unit_test(test_currency_turns),
        cmocka_unit_test(test_crafted),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_other_writer),
        cmocka_unit_test(test_schema_check),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
