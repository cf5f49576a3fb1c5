/* The direct DealMention codec (mention_bin.h) against the generic one: the
 * same bytes for every mention the corpus yields, the same mention read
 * back, and hostile bytes refused with the field named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "article.h"
#include "catalog.h"
#include "codec.h"
#include "extract.h"
#include "mention_bin.h"
#include "resolve.h"
#include "testutil.h"
#include "util.h"

static ds_catalog *cat;
static ds_extractor *ex;
static ds_codec *codec;
static avro_value_t gval;

/* Every mention of the corpus, with source fields as the processor sets them. */
static ds_mention *all;
static size_t nall;

static int setup(void **state)
{
    (void)state;
    char err[512];
    cat = ds_catalog_load(tu_catalog_dir(), err, sizeof err);
    assert_non_null(cat);
    ex = ds_extractor_new(cat);
    codec = ds_codec_new(err, sizeof err);
    assert_non_null(ex);
    assert_non_null(codec);
    assert_int_equal(ds_codec_value_new(codec, DS_SCHEMA_MENTION, &gval), 0);

    char dir[1024];
    snprintf(dir, sizeof dir, "%s/corpus", tu_test_dir());
    int n;
    char **paths = tu_glob(dir, "*.txt", &n);
    assert_true(n >= 60);
    for (int i = 0; i < n; i++) {
        size_t len;
        char *text = tu_slurp(paths[i], &len);
        ds_text_article ta;
        assert_int_equal(ds_article_parse_text(text, len, &ta, err, sizeof err), 0);
        char id[128];
        ds_article_id_from_path(paths[i], id, sizeof id);
        ds_article a = {id, i % 2 ? "Outlet" : NULL, NULL, ta.body, ta.body_len, ta.published};
        const ds_mention *ms;
        int k = ds_extract(ex, &a, &ms, err, sizeof err);
        assert_true(k >= 0);
        all = realloc(all, (nall + (size_t)k) * sizeof *all);
        assert_non_null(all);
        for (int j = 0; j < k; j++) {
            ds_mention *m = &all[nall++];
            *m = ms[j];
            ds_strlcpy(m->src.topic, "articles", sizeof m->src.topic);
            m->src.partition = i % 7;
            m->src.offset = (int64_t)i * 1000003 - 5; /* negative for the first */
        }
        free(text);
    }
    tu_glob_free(paths);
    assert_true(nall >= 80);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(all);
    avro_value_decref(&gval);
    ds_codec_destroy(codec);
    ds_extractor_destroy(ex);
    ds_catalog_destroy(cat);
    return 0;
}

/* The generic encoding's body (after the 10-byte single-object header). */
static void generic_body(const ds_mention *m, ds_buf *out)
{
    ds_buf_reset(out);
    assert_int_equal(avro_value_reset(&gval), 0);
    assert_int_equal(ds_mention_to_avro(m, &gval), 0);
    assert_int_equal(ds_codec_encode(codec, DS_SCHEMA_MENTION, &gval, DS_FRAME_SINGLE_OBJECT, out), 0);
    assert_true(out->len > 10);
    memmove(out->data, out->data + 10, out->len - 10);
    out->len -= 10;
}

static void assert_same_mention(const ds_mention *a, const ds_mention *b)
{
    /* both start from ds_mention_init's zeroes and copy NUL-terminated
     * strings, so equal mentions are equal bytes */
    if (memcmp(a, b, sizeof *a) != 0)
        fail_msg("mention %s read back differs", a->mention_id);
}

/* Same bytes as the generic path for every corpus mention, and both readers
 * give back the mention that was written. */
/* The block key joins buyer, seller and family with '|', "?" for an
 * unknown part; the longest parts the fields hold fit whole. */
static void test_block_key(void **state)
{
    (void)state;
    ds_mention m;
    ds_mention_init(&m);
    strcpy(m.buyer, "POL");
    strcpy(m.seller, "KOR");
    strcpy(m.family, "K9");
    ds_mention_block_key(&m);
    assert_string_equal(m.block_key, "POL|KOR|K9");
    m.buyer[0] = '\0';
    m.family[0] = '\0';
    ds_mention_block_key(&m);
    assert_string_equal(m.block_key, "?|KOR|?");
    memset(m.family, 'F', sizeof m.family - 1);
    m.family[sizeof m.family - 1] = '\0';
    strcpy(m.buyer, "USA");
    ds_mention_block_key(&m);
    assert_int_equal(strlen(m.block_key), 3 + 1 + 3 + 1 + sizeof m.family - 1);
    assert_memory_equal(m.block_key, "USA|KOR|FFF", 11);
}

static void test_same_bytes_as_generic(void **state)
{
    (void)state;
    ds_buf g, d;
    ds_buf_init(&g);
    ds_buf_init(&d);
    size_t with_value = 0, with_evidence = 0;
    for (size_t i = 0; i < nall; i++) {
        const ds_mention *m = &all[i];
        with_value += m->value.set;
        with_evidence += m->nevidence > 0;
        generic_body(m, &g);
        ds_buf_reset(&d);
        assert_int_equal(ds_mention_write(m, &d), 0);
        if (g.len != d.len || memcmp(g.data, d.data, g.len) != 0)
            fail_msg("mention %zu (%s): %zu bytes direct, %zu generic", i, m->mention_id, d.len, g.len);

        ds_mention back, gen;
        char err[256];
        assert_int_equal(ds_mention_read(d.data, d.len, &back, err, sizeof err), 0);
        ds_buf framed;
        ds_buf_init(&framed);
        assert_int_equal(ds_codec_encode(codec, DS_SCHEMA_MENTION, &gval, DS_FRAME_SINGLE_OBJECT, &framed), 0);
        assert_int_equal(ds_codec_decode(codec, DS_SCHEMA_MENTION, framed.data, framed.len, &gval, err, sizeof err), 0);
        assert_int_equal(ds_mention_from_avro(&gval, &gen, err, sizeof err), 0);
        ds_buf_free(&framed);
        assert_same_mention(&back, &gen);
        assert_string_equal(back.mention_id, m->mention_id);
        assert_int_equal(back.src.offset, m->src.offset);
        assert_int_equal(back.value.amount, m->value.amount);
        assert_int_equal(back.nevidence, m->nevidence);
    }
    /* the corpus exercises the optional parts */
    print_message("%zu mentions, %zu with a value, %zu with evidence\n", nall, with_value, with_evidence);
    assert_true(with_value >= 40);
    assert_true(with_evidence >= 80);
    ds_buf_free(&g);
    ds_buf_free(&d);
}

/* Extremes the corpus does not reach: negative and huge numbers, decimals
 * of every width, strings at their capacity, every array full. */
static void test_extremes(void **state)
{
    (void)state;
    static const int64_t amounts[] = {0, 1, -1, 127, 128, -128, -129, 32767, 32768, INT64_MAX, INT64_MIN,
                                      650000000000LL};
    ds_buf g, d;
    ds_buf_init(&g);
    ds_buf_init(&d);
    for (size_t i = 0; i < sizeof amounts / sizeof amounts[0]; i++) {
        ds_mention m = all[0];
        m.value.set = 1;
        m.value.amount = amounts[i];
        m.value.usd = amounts[i] < 0 ? -1 : amounts[i];
        m.value.combined = (int)(i % 2);
        memset(m.src.id, 'x', sizeof m.src.id - 1);
        m.src.id[sizeof m.src.id - 1] = '\0';
        m.src.published = INT64_MIN + 1;
        m.src.text_hash = UINT64_MAX - i;
        m.nsuppliers = DS_MAX_SUPPLIERS;
        m.nvariants = DS_MAX_VARIANTS;
        m.nextras = DS_MAX_EXTRAS;
        m.nrels = DS_MAX_RELS;
        m.nevidence = DS_MAX_EVIDENCE;
        m.ndelivery_years = DS_MAX_DELIVERY_YEARS;
        for (int k = 0; k < DS_MAX_SUPPLIERS; k++)
            snprintf(m.suppliers[k].company, sizeof m.suppliers[k].company, "Company Łabędy %d", k);
        for (int k = 0; k < DS_MAX_VARIANTS; k++) {
            snprintf(m.variants[k].system, sizeof m.variants[k].system, "V%d", k);
            m.variants[k].quantity = -k;
        }
        for (int k = 0; k < DS_MAX_EXTRAS; k++) {
            snprintf(m.extras[k].what, sizeof m.extras[k].what, "item %d", k);
            m.extras[k].quantity = INT64_MAX - k;
        }
        for (int k = 0; k < DS_MAX_RELS; k++)
            m.rels[k] = (ds_relhint){(ds_relation)(k % DS_REL__COUNT), "", k ? 2020 + k : 0, k - 1, k};
        for (int k = 0; k < DS_MAX_EVIDENCE; k++) {
            snprintf(m.evidence[k].field, sizeof m.evidence[k].field, "f%d", k);
            m.evidence[k].start = INT32_MIN + k;
            m.evidence[k].end = INT32_MAX - k;
        }
        for (int k = 0; k < DS_MAX_DELIVERY_YEARS; k++)
            m.delivery_years[k] = 2025 + k;
        generic_body(&m, &g);
        ds_buf_reset(&d);
        assert_int_equal(ds_mention_write(&m, &d), 0);
        assert_int_equal(d.len, g.len);
        assert_memory_equal(d.data, g.data, g.len);
        ds_mention back;
        char err[256];
        assert_int_equal(ds_mention_read(d.data, d.len, &back, err, sizeof err), 0);
        assert_int_equal(back.value.amount, amounts[i]);
        assert_int_equal(back.extras[3].quantity, INT64_MAX - 3);
        assert_int_equal(back.evidence[15].start, INT32_MIN + 15);
        assert_string_equal(back.suppliers[2].company, "Company Łabędy 2");
        assert_int_equal(back.src.text_hash, UINT64_MAX - i);
    }
    ds_buf_free(&g);
    ds_buf_free(&d);
}

/* Every truncation and many corruptions of real mentions: refused or read,
 * never a read past the bytes (the suite runs under ASan too), and the
 * message names the field. */
static void test_hostile_bytes(void **state)
{
    (void)state;
    ds_buf d;
    ds_buf_init(&d);
    uint64_t rng = 0x9e3779b97f4a7c15ULL;
    size_t refused = 0, tries = 0;
    for (size_t i = 0; i < nall; i += 7) {
        ds_buf_reset(&d);
        assert_int_equal(ds_mention_write(&all[i], &d), 0);
        ds_mention m;
        char err[256];
        for (size_t cut = 0; cut < d.len; cut++) {
            /* a copy of exactly cut bytes, so ASan sees any over-read */
            char *p = malloc(cut ? cut : 1);
            memcpy(p, d.data, cut);
            err[0] = '\0';
            assert_int_equal(ds_mention_read(p, cut, &m, err, sizeof err), -1);
            assert_non_null(strstr(err, "DealMention."));
            assert_non_null(strstr(err, "cannot be read at byte"));
            free(p);
        }
        for (int k = 0; k < 200; k++) {
            char *p = malloc(d.len);
            memcpy(p, d.data, d.len);
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            p[rng % d.len] = (char)(rng >> 32);
            tries++;
            if (ds_mention_read(p, d.len, &m, err, sizeof err) != 0) {
                refused++;
                assert_non_null(strstr(err, "DealMention."));
            }
            free(p);
        }
    }
    assert_true(refused > 0 && refused < tries);

    /* named fields: a block key whose length runs past the end */
    ds_buf_reset(&d);
    assert_int_equal(ds_mention_write(&all[0], &d), 0);
    size_t idlen = strlen(all[0].mention_id);
    d.data[1 + idlen] = 0x7e; /* block_key's length: 63 */
    ds_mention m;
    char err[256];
    assert_int_equal(ds_mention_read(d.data, 1 + idlen + 1 + 10, &m, err, sizeof err), -1);
    assert_non_null(strstr(err, "DealMention.block_key:"));
    /* a varint of more than 64 bits as the role (ten bytes, the last above 1) */
    ds_buf_reset(&d);
    assert_int_equal(ds_mention_write(&all[0], &d), 0);
    {
        ds_buf v;
        ds_buf_init(&v);
        size_t role_at = 1 + idlen + 1 + strlen(all[0].block_key);
        assert_int_equal(ds_buf_append(&v, d.data, role_at), 0);
        assert_int_equal(ds_buf_append(&v, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02", 10), 0);
        assert_int_equal(ds_buf_append(&v, d.data + role_at + 1, d.len - role_at - 1), 0);
        assert_int_equal(ds_mention_read(v.data, v.len, &m, err, sizeof err), -1);
        assert_non_null(strstr(err, "DealMention.role:"));
        ds_buf_free(&v);
    }
    /* trailing bytes after a whole mention */
    ds_buf_reset(&d);
    assert_int_equal(ds_mention_write(&all[0], &d), 0);
    assert_int_equal(ds_buf_putc(&d, 0), 0);
    assert_int_equal(ds_mention_read(d.data, d.len, &m, err, sizeof err), -1);
    assert_non_null(strstr(err, "DealMention.(end):"));
    /* a role beyond the enum */
    ds_buf_reset(&d);
    assert_int_equal(ds_mention_write(&all[0], &d), 0);
    size_t at = 1 + idlen + 1 + strlen(all[0].block_key);
    d.data[at] = 4; /* zigzag 2: no such role */
    assert_int_equal(ds_mention_read(d.data, d.len, &m, err, sizeof err), -1);
    assert_non_null(strstr(err, "DealMention.role:"));
    ds_buf_free(&d);
}

/* An array written in blocks with byte sizes (negative counts), as other
 * Avro writers may: read like one block. */
static void test_sized_blocks(void **state)
{
    (void)state;
    ds_mention m = all[0];
    m.category[0] = '\0'; /* null, then false: the two bytes after the evidence */
    m.out_of_catalog = 0;
    m.nevidence = 2;
    ds_strlcpy(m.evidence[0].field, "quantity", sizeof m.evidence[0].field);
    m.evidence[0].start = 3;
    m.evidence[0].end = 9;
    ds_strlcpy(m.evidence[1].field, "value", sizeof m.evidence[1].field);
    m.evidence[1].start = 10;
    m.evidence[1].end = 20;
    ds_buf d;
    ds_buf_init(&d);
    assert_int_equal(ds_mention_write(&m, &d), 0);
    /* the evidence array comes last but for category (null: 0x00) and
     * out_of_catalog (false: 0x00): 0x04 (2 items), the items, 0x00 */
    const char item0[] = "\x10quantity\x06\x12", item1[] = "\x0avalue\x14\x28";
    size_t l0 = sizeof item0 - 1, l1 = sizeof item1 - 1;
    size_t tail = 1 + l0 + l1 + 1 + 2;
    assert_true(d.len > tail);
    char *start = d.data + d.len - tail;
    assert_int_equal(start[0], 4);
    assert_memory_equal(start + 1, item0, l0);
    /* rewrite as: block of -1 item (size l0), block of -1 item (size l1), end */
    ds_buf b;
    ds_buf_init(&b);
    assert_int_equal(ds_buf_append(&b, d.data, d.len - tail), 0);
    assert_int_equal(ds_buf_putc(&b, 0x01), 0); /* -1 */
    assert_int_equal(ds_buf_putc(&b, (char)(l0 * 2)), 0);
    assert_int_equal(ds_buf_append(&b, item0, l0), 0);
    assert_int_equal(ds_buf_putc(&b, 0x01), 0);
    assert_int_equal(ds_buf_putc(&b, (char)(l1 * 2)), 0);
    assert_int_equal(ds_buf_append(&b, item1, l1), 0);
    assert_int_equal(ds_buf_putc(&b, 0), 0);
    assert_int_equal(ds_buf_append(&b, "\0\0", 2), 0); /* category, out_of_catalog */
    ds_mention back;
    char err[256];
    assert_int_equal(ds_mention_read(b.data, b.len, &back, err, sizeof err), 0);
    assert_int_equal(back.nevidence, 2);
    assert_string_equal(back.evidence[1].field, "value");
    assert_int_equal(back.evidence[1].end, 20);
    /* a block whose byte size does not match its items is refused */
    b.data[d.len - tail + 1] = (char)(l0 * 2 + 2);
    assert_int_equal(ds_mention_read(b.data, b.len, &back, err, sizeof err), -1);
    assert_non_null(strstr(err, "DealMention.evidence:"));
    ds_buf_free(&b);
    ds_buf_free(&d);
}

/* Every deal the resolver makes of the corpus (and a reference table's
 * links, claims, retired ids): the direct CanonicalDeal body is the generic
 * one, byte for byte. */
static void test_canonical_same_bytes(void **state)
{
    (void)state;
    ds_resolver *rs = ds_resolver_new(cat);
    assert_non_null(rs);
    for (size_t i = 0; i < nall; i++) {
        ds_changes ch;
        all[i].src.published = all[i].src.published == DS_NO_TIME ? DS_NO_TIME : all[i].src.published + (int64_t)i;
        assert_true(ds_resolver_add(rs, &all[i], &ch) >= 0);
    }
    const ds_canon **deals;
    size_t n = ds_resolver_deals(rs, &deals);
    assert_true(n >= 30);
    avro_value_t cval;
    assert_int_equal(ds_codec_value_new(codec, DS_SCHEMA_CANONICAL, &cval), 0);
    ds_buf g, d;
    ds_buf_init(&g);
    ds_buf_init(&d);
    size_t links = 0, claims = 0, sources = 0;
    for (size_t i = 0; i < n; i++) {
        links += deals[i]->nlinks;
        claims += deals[i]->nclaims;
        sources += deals[i]->nsources;
        assert_int_equal(avro_value_reset(&cval), 0);
        assert_int_equal(ds_canon_to_avro(deals[i], &cval), 0);
        ds_buf_reset(&g);
        assert_int_equal(ds_codec_encode(codec, DS_SCHEMA_CANONICAL, &cval, DS_FRAME_SINGLE_OBJECT, &g), 0);
        ds_buf_reset(&d);
        assert_int_equal(ds_canon_write(deals[i], &d), 0);
        if (g.len != d.len + 10 || memcmp(g.data + 10, d.data, d.len) != 0)
            fail_msg("deal %s: %zu bytes direct, %zu generic", deals[i]->deal_id, d.len, g.len - 10);
    }
    print_message("%zu deals, %zu links, %zu value claims, %zu sources\n", n, links, claims, sources);
    assert_true(links >= 5);
    assert_true(claims >= n / 2);
    assert_true(sources >= n);
    ds_buf_free(&g);
    ds_buf_free(&d);
    avro_value_decref(&cval);
    ds_resolver_destroy(rs);
}

/* Decodes the CanonicalDeal body d (no framing) to JSON. */
static json_t *canon_json(const ds_buf *d, avro_value_t *val)
{
    unsigned char hdr[DS_FRAME_HEADER_MAX];
    size_t hlen = 0;
    assert_int_equal(ds_codec_frame_header(codec, DS_SCHEMA_CANONICAL, DS_FRAME_SINGLE_OBJECT, hdr, &hlen), 0);
    ds_buf f;
    ds_buf_init(&f);
    assert_int_equal(ds_buf_append(&f, hdr, hlen), 0);
    assert_int_equal(ds_buf_append(&f, d->data, d->len), 0);
    char err[256];
    assert_int_equal(ds_codec_decode(codec, DS_SCHEMA_CANONICAL, f.data, f.len, val, err, sizeof err), 0);
    ds_buf_free(&f);
    json_t *j = ds_codec_to_json(codec, DS_SCHEMA_CANONICAL, val);
    assert_non_null(j);
    return j;
}

/* A record capped at one source lists its first source (source order),
 * only that source's evidence and value claims, and the whole counts; a
 * cap no smaller than the list writes the record as ds_canon_write does. */
static void test_canonical_capped(void **state)
{
    (void)state;
    ds_resolver *rs = ds_resolver_new(cat);
    assert_non_null(rs);
    for (size_t i = 0; i < nall; i++) {
        ds_changes ch;
        assert_true(ds_resolver_add(rs, &all[i], &ch) >= 0);
    }
    const ds_canon **deals;
    size_t n = ds_resolver_deals(rs, &deals), capped = 0, evs = 0, claims = 0;
    avro_value_t val;
    assert_int_equal(ds_codec_value_new(codec, DS_SCHEMA_CANONICAL, &val), 0);
    ds_buf d, w;
    ds_buf_init(&d);
    ds_buf_init(&w);
    for (size_t i = 0; i < n; i++) {
        const ds_canon *c = deals[i];
        ds_buf_reset(&d);
        ds_buf_reset(&w);
        assert_int_equal(ds_canon_write_capped(c, c->nsources, &d), 0);
        assert_int_equal(ds_canon_write(c, &w), 0);
        assert_int_equal(d.len, w.len);
        assert_memory_equal(d.data, w.data, d.len);
        json_t *j = canon_json(&d, &val);
        assert_int_equal(json_integer_value(json_object_get(j, "sources_total")), c->nsources);
        assert_int_equal(json_integer_value(json_object_get(j, "evidence_total")), c->nevidence);
        assert_true(json_is_false(json_object_get(j, "truncated")));
        json_decref(j);
        if (c->nsources < 2)
            continue;
        capped++;
        ds_buf_reset(&d);
        assert_int_equal(ds_canon_write_capped(c, 1, &d), 1);
        assert_true(d.len < w.len);
        j = canon_json(&d, &val);
        json_t *src = json_object_get(j, "sources");
        assert_int_equal(json_array_size(src), 1);
        const char *first = c->sources[0].id;
        assert_string_equal(json_string_value(json_object_get(json_array_get(src, 0), "id")), first);
        assert_int_equal(json_integer_value(json_object_get(j, "sources_total")), c->nsources);
        assert_int_equal(json_integer_value(json_object_get(j, "evidence_total")), c->nevidence);
        assert_true(json_is_true(json_object_get(j, "truncated")));
        size_t k, want_ev = 0, want_claims = 0;
        for (size_t e = 0; e < c->nevidence; e++)
            want_ev += strcmp(c->evidence[e].source, first) == 0;
        for (size_t e = 0; e < c->nclaims; e++)
            for (size_t s = 0; s < c->claims[e].nsources; s++)
                want_claims += strcmp(c->claims[e].sources[s], first) == 0;
        evs += want_ev;
        claims += want_claims;
        json_t *x;
        assert_int_equal(json_array_size(json_object_get(j, "evidence")), want_ev);
        json_array_foreach(json_object_get(j, "evidence"), k, x)
            assert_string_equal(json_string_value(json_object_get(x, "source")), first);
        assert_int_equal(json_array_size(json_object_get(j, "value_claims")), want_claims);
        json_array_foreach(json_object_get(j, "value_claims"), k, x) {
            json_t *cs = json_object_get(x, "sources");
            assert_int_equal(json_array_size(cs), 1);
            assert_string_equal(json_string_value(json_array_get(cs, 0)), first);
        }
        json_decref(j);
    }
    assert_true(capped >= 5);
    assert_true(evs >= capped); /* the first source's evidence and claims were kept */
    assert_true(claims > 0);
    ds_buf_free(&d);
    ds_buf_free(&w);
    avro_value_decref(&val);
    ds_resolver_destroy(rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_key),
        cmocka_unit_test(test_same_bytes_as_generic),
        cmocka_unit_test(test_extremes),
        cmocka_unit_test(test_hostile_bytes),
        cmocka_unit_test(test_sized_blocks),
        cmocka_unit_test(test_canonical_same_bytes),
        cmocka_unit_test(test_canonical_capped),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
