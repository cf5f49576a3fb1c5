/*
 * test_catalog.c - catalog loader and ds_fold.
 *
 * Usage: test_catalog [CATALOG_DIR]   (or DEALSTREAM_CATALOG_DIR; default data/catalog)
 *
 * The shipped catalog is loaded once for the lookup tests; the malformed-catalog tests
 * write a small valid catalog into a temporary directory, break one file, and assert
 * the error names the file and line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "catalog.h"

static const char *g_dir = "data/catalog";
static ds_catalog *g_cat;

static int group_setup(void **state)
{
    char err[512];
    (void)state;
    g_cat = ds_catalog_load(g_dir, err, sizeof(err));
    if (!g_cat) {
        fprintf(stderr, "cannot load %s: %s\n", g_dir, err);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    ds_catalog_destroy(g_cat);
    g_cat = NULL;
    return 0;
}

/* ---- shipped catalog ---------------------------------------------------- */

static void test_counts(void **state)
{
    (void)state;
    assert_true(g_cat->ncountries >= 249); /* every ISO 3166-1 entry */
    assert_true(g_cat->ncompanies >= 150);
    assert_true(g_cat->nauthorities >= 50);
    assert_true(g_cat->nsystems >= 400);
    assert_true(g_cat->nrates >= 40 * 27); /* 40 currencies, 2000-2026 */
    assert_int_equal(g_cat->nrefs, 14); /* every row of DOMAIN.md's chain table */
    assert_true(g_cat->naliases > g_cat->nsystems + g_cat->ncompanies + g_cat->ncountries);
}

static void test_required_families(void **state)
{
    static const char *const fam[] = {"K2", "K9", "K10", "FA-50", "K239", "CGR-080",
                                      "CTM-290", "AS21", "KF-21", "M1", "HIMARS",
                                      "AH-64", "PATRIOT", "F-35", "F-16"};
    (void)state;
    for (size_t i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
        const ds_system *s = ds_catalog_system(g_cat, fam[i]);
        assert_non_null(s);
        assert_string_equal(s->family, fam[i]);
        assert_null(s->variant_of);
    }
}

static void test_systems(void **state)
{
    (void)state;
    const ds_system *s = ds_catalog_system(g_cat, "K2PL");
    assert_non_null(s);
    assert_string_equal(s->variant_of, "K2");
    assert_string_equal(s->family, "K2");
    assert_string_equal(s->category, "tank");

    const ds_system *a = ds_catalog_system(g_cat, "HOMAR-A");
    const ds_system *k = ds_catalog_system(g_cat, "HOMAR-K");
    assert_non_null(a);
    assert_non_null(k);
    assert_string_equal(a->family, "HIMARS");
    assert_string_equal(k->family, "K239");
    assert_string_equal(a->origin, "USA");
    assert_string_equal(k->origin, "KOR");

    s = ds_catalog_system(g_cat, "AS9");
    assert_non_null(s);
    assert_string_equal(s->family, "K9");
    assert_string_equal(s->maker, "HANWHA_DEFENCE_AUSTRALIA");
    assert_string_equal(s->origin, "KOR");
    assert_null(ds_catalog_system(g_cat, "NO-SUCH"));
}

static void test_companies(void **state)
{
    (void)state;
    const ds_company *c = ds_catalog_company(g_cat, "HANWHA_DEFENSE");
    assert_non_null(c);
    assert_string_equal(c->renamed_to, "HANWHA_AEROSPACE");
    assert_int_equal(c->renamed_year, 2022);

    c = ds_catalog_company(g_cat, "HANWHA_DEFENCE_AUSTRALIA");
    assert_non_null(c);
    assert_string_equal(c->country, "AUS");
    assert_string_equal(c->parent, "HANWHA_AEROSPACE");

    c = ds_catalog_company(g_cat, "BUMAR_LABEDY");
    assert_non_null(c);
    assert_string_equal(c->parent, "PGZ");

    c = ds_catalog_company(g_cat, "HANWHA_WB");
    assert_non_null(c);
    assert_string_equal(c->role, "joint_venture");

    c = ds_catalog_company(g_cat, "HYUNDAI_ROTEM");
    assert_non_null(c);
    assert_null(c->renamed_to);
    assert_int_equal(c->renamed_year, 0);
}

static void test_countries_and_authorities(void **state)
{
    (void)state;
    const ds_country *p = ds_catalog_country(g_cat, "POL");
    assert_non_null(p);
    assert_string_equal(p->name, "Poland");
    assert_string_equal(p->capital, "Warsaw");
    assert_non_null(ds_catalog_country(g_cat, "PRK"));
    assert_null(ds_catalog_country(g_cat, "XXX"));

    const ds_authority *a = ds_catalog_authority(g_cat, "KR_DAPA");
    assert_non_null(a);
    assert_string_equal(a->country, "KOR");
}

static void test_rates(void **state)
{
    (void)state;
    double krw = ds_catalog_rate(g_cat, "KRW", 2025);
    assert_true(krw >= 1200 && krw <= 1500);
    assert_true(ds_catalog_rate(g_cat, "USD", 2022) == 1.0);
    double pln = ds_catalog_rate(g_cat, "PLN", 2022);
    assert_true(pln > 4.0 && pln < 5.0);
    /* nearest-year fallback on both sides */
    assert_true(ds_catalog_rate(g_cat, "KRW", 1990) == ds_catalog_rate(g_cat, "KRW", 2000));
    assert_true(ds_catalog_rate(g_cat, "KRW", 2040) == ds_catalog_rate(g_cat, "KRW", 2026));
    assert_true(ds_catalog_rate(g_cat, "XXX", 2022) < 0);
}

static void test_refs(void **state)
{
    (void)state;
    const ds_refdeal *d = ds_catalog_ref(g_cat, "PL-K2-E2");
    assert_non_null(d);
    assert_int_equal(d->nparents, 2);
    int fw = 0, nb = 0;
    for (int i = 0; i < d->nparents; i++) {
        if (!strcmp(d->parents[i].ref, "PL-K2-FW") &&
            !strcmp(d->parents[i].relation, "executes_framework"))
            fw++;
        if (!strcmp(d->parents[i].ref, "PL-K2-E1") &&
            !strcmp(d->parents[i].relation, "next_batch"))
            nb++;
    }
    assert_int_equal(fw, 1);
    assert_int_equal(nb, 1);
    assert_int_equal(d->signed_date, 20301); /* 2025-08-01 */
    assert_int_equal(d->quantity, 180);
    assert_int_equal(d->batch, 2);
    assert_string_equal(d->value_currency, "KRW");
    assert_true(d->value_usd == 6500000000.0);
    assert_string_equal(d->family, "K2");

    d = ds_catalog_ref(g_cat, "PL-K2-FW");
    assert_non_null(d);
    assert_int_equal(d->nparents, 0);
    assert_true(d->value_amount < 0);
    assert_true(d->value_usd < 0);
    assert_string_equal(d->value_currency, "");
    assert_string_equal(d->stage, "framework");
    assert_int_equal(d->signed_date, 19200); /* 2022-07-27 */

    d = ds_catalog_ref(g_cat, "PL-K239-E3");
    assert_non_null(d);
    assert_string_equal(d->family, "CGR-080");
    assert_int_equal(d->batch, 3);
    int jv = 0;
    for (int i = 0; i < d->nparents; i++)
        jv += !strcmp(d->parents[i].ref, "PL-CGR-JV") &&
              !strcmp(d->parents[i].relation, "enabled_by_jv");
    assert_int_equal(jv, 1);

    d = ds_catalog_ref(g_cat, "PL-CGR-JV");
    assert_non_null(d);
    assert_int_equal(d->quantity, -1);
    assert_string_equal(d->stage, "joint_venture");
}

/* Every alias of text resolves to exactly the expected entities. */
static int alias_has(const char *text, ds_ent_kind kind, const char *id)
{
    const ds_alias *a;
    size_t n = ds_catalog_aliases(g_cat, text, strlen(text), &a);
    for (size_t i = 0; i < n; i++) {
        if (a[i].kind != kind)
            continue;
        const char *eid = kind == DS_ENT_COUNTRY     ? g_cat->countries[a[i].index].iso3
                          : kind == DS_ENT_COMPANY   ? g_cat->companies[a[i].index].id
                          : kind == DS_ENT_AUTHORITY ? g_cat->authorities[a[i].index].id
                                                     : g_cat->systems[a[i].index].id;
        if (!strcmp(eid, id))
            return (int)a[i].flags | 0x100;
    }
    return 0;
}

static void test_aliases(void **state)
{
    (void)state;
    /* sorted by text */
    for (size_t i = 1; i < g_cat->naliases; i++)
        assert_true(strcmp(g_cat->aliases[i - 1].text, g_cat->aliases[i].text) <= 0);

    assert_true(alias_has("korea", DS_ENT_COUNTRY, "KOR"));
    assert_false(alias_has("korea", DS_ENT_COUNTRY, "PRK"));
    assert_true(alias_has("korean", DS_ENT_COUNTRY, "KOR") & DS_ALIAS_ADJECTIVE);
    assert_false(alias_has("korean", DS_ENT_COUNTRY, "PRK"));
    assert_true(alias_has("dprk", DS_ENT_COUNTRY, "PRK"));
    assert_true(alias_has("warsaw", DS_ENT_COUNTRY, "POL") & DS_ALIAS_METONYM);
    assert_true(alias_has("poland", DS_ENT_COUNTRY, "POL") & DS_ALIAS_NAME);
    assert_true(alias_has("us", DS_ENT_COUNTRY, "USA") & DS_ALIAS_ACRONYM);
    /* "Singapore" is name and capital: the name wins */
    int sg = alias_has("singapore", DS_ENT_COUNTRY, "SGP");
    assert_true(sg & DS_ALIAS_NAME);
    assert_false(sg & DS_ALIAS_METONYM);

    assert_true(alias_has("homar-k", DS_ENT_SYSTEM, "HOMAR-K"));
    assert_false(alias_has("homar-k", DS_ENT_SYSTEM, "HOMAR-A"));
    assert_true(alias_has("wisla", DS_ENT_SYSTEM, "PATRIOT"));
    assert_true(alias_has("cgr-80", DS_ENT_SYSTEM, "CGR-080"));
    assert_true(alias_has("ktssm", DS_ENT_SYSTEM, "CTM-290"));
    assert_true(alias_has("bumar-labedy", DS_ENT_COMPANY, "BUMAR_LABEDY"));
    assert_true(alias_has("hrc", DS_ENT_COMPANY, "HYUNDAI_ROTEM"));
    assert_true(alias_has("agencja uzbrojenia", DS_ENT_AUTHORITY, "PL_ARMAMENT_AGENCY"));
    assert_true(alias_has("ministry of national defense", DS_ENT_AUTHORITY, "PL_MOD"));
    assert_true(alias_has("ministry of national defense", DS_ENT_AUTHORITY, "KR_MND"));

    const ds_alias *a;
    assert_int_equal(ds_catalog_aliases(g_cat, "no such alias", 13, &a), 0);
    assert_null(a);
    /* key need not be NUL-terminated */
    assert_true(ds_catalog_aliases(g_cat, "k2plXXXX", 4, &a) >= 1);
    assert_string_equal(a->text, "k2pl");
}

/* ---- ds_fold ------------------------------------------------------------ */

static void fold_eq(const char *in, const char *want)
{
    char out[256];
    size_t bad = 0;
    long n = ds_fold(in, strlen(in), out, sizeof(out), NULL, &bad);
    assert_true(n >= 0);
    assert_true((size_t)n <= strlen(in));
    out[n] = '\0';
    assert_string_equal(out, want);
}

static void test_fold(void **state)
{
    (void)state;
    fold_eq("Bumar-\xC5\x81\x61\x62\xC4\x99\x64y", "bumar-labedy"); /* Bumar-Łabędy */
    fold_eq("Bumar-Łabędy", "bumar-labedy");
    fold_eq("\xE2\x80\x9Cquotes\xE2\x80\x9D", "\"quotes\"");       /* “quotes” */
    fold_eq("it\xE2\x80\x99s \xE2\x80\x98x\xE2\x80\x99", "it's 'x'");
    fold_eq("K2\xC2\xA0PL", "k2 pl");                             /* NBSP */
    fold_eq("180\xE2\x80\xAFtanks", "180 tanks");                 /* U+202F */
    fold_eq("CGR\xE2\x80\x93" "080 \xE2\x80\x94 K\xE2\x80\x91" "9", "cgr-080 - k-9");
    fold_eq("ZAŻÓŁĆ GĘŚLĄ JAŹŃ", "zazolc gesla jazn");
    fold_eq("Stra\xC3\x9F" "e \xC3\x86sir M\xC3\xBCller", "strasse aesir muller");
    fold_eq("Vi\xE1\xBB\x87t Nam", "viet nam");                   /* Việt Nam */
    fold_eq("T\xC3\xBCrkiye", "turkiye");
    fold_eq("soft\xC2\xADhyphen\xEF\xBB\xBF", "softhyphen");       /* SHY, BOM removed */
    fold_eq("\xEF\xBC\xAB\xEF\xBC\x92", "k2");                     /* fullwidth Ｋ２ */
    fold_eq("\xED\x95\x9C\xED\x99\x94 K9", "\xED\x95\x9C\xED\x99\x94 k9"); /* 한화 kept */
    fold_eq("", "");
}

static void test_fold_map(void **state)
{
    (void)state;
    const char *in = "A\xC5\x81" "b\xE2\x80\x9C\xED\x95\x9C"; /* A Ł b “ 한 */
    char out[32];
    unsigned map[32];
    long n = ds_fold(in, strlen(in), out, sizeof(out), map, NULL);
    assert_int_equal(n, 7);
    assert_memory_equal(out, "alb\"\xED\x95\x9C", 7);
    const unsigned want[] = {0, 1, 3, 4, 7, 8, 9};
    for (int i = 0; i < 7; i++)
        assert_int_equal(map[i], want[i]);
}

static void bad_utf8(const char *in, size_t len, size_t want_off)
{
    char out[64];
    size_t bad = 12345;
    assert_int_equal(ds_fold(in, len, out, sizeof(out), NULL, &bad), -1);
    assert_int_equal(bad, want_off);
}

static void test_fold_invalid(void **state)
{
    (void)state;
    bad_utf8("abc\xC3(", 5, 3);            /* bad continuation */
    bad_utf8("ab\xC0\xAF", 4, 2);          /* overlong */
    bad_utf8("x\xED\xA0\x80", 4, 1);       /* surrogate */
    bad_utf8("\xF4\x90\x80\x80", 4, 0);    /* > U+10FFFF */
    bad_utf8("ok \xE2\x80", 5, 3);         /* truncated at end */
    bad_utf8("\x80", 1, 0);                /* stray continuation */
    bad_utf8("\xC5\x81\xFF", 3, 2);        /* invalid byte after valid char */
    bad_utf8("\xE0\x80\xAF", 3, 0);        /* overlong 3-byte */
}

/* Long ASCII runs (folded eight bytes at a time) agree byte for byte with
 * the one-byte rule, around the letters' edges ('@' 'A' 'Z' '[' '`' 'a' 'z'
 * '{'), across a multi-byte character and at every length and room. */
static void test_fold_ascii_runs(void **state)
{
    (void)state;
    const char *in = "@AZ[`az{ KF-21 Boramae, 48 JETS; \xC5\x81 Mixed Case Text_0123456789~\x7F!";
    size_t len = strlen(in);
    char out[128];
    unsigned map[128];
    size_t cut = (size_t)(strchr(in, '\xC5') - in) + 1;
    for (size_t l = 0; l <= len; l++) {
        if (l == cut)
            continue; /* inside the two bytes of the Polish letter */
        long n = ds_fold(in, l, out, sizeof out, map, NULL);
        assert_true(n >= 0);
        size_t k = 0;
        for (size_t i = 0; i < l; i++) {
            unsigned char c = (unsigned char)in[i];
            if (c == 0xC5) { /* "\xC5\x81" (L with stroke) folds to "l" */
                assert_int_equal(out[k], 'l');
                assert_int_equal(map[k], i);
                k++;
                i++;
                continue;
            }
            assert_int_equal((unsigned char)out[k], c >= 'A' && c <= 'Z' ? c + 32 : c);
            assert_int_equal(map[k], i);
            k++;
        }
        assert_int_equal(n, (long)k);
    }
    /* too little room stops at the same byte as before */
    size_t bad = 0;
    assert_int_equal(ds_fold("ABCDEFGHIJKL", 12, out, 9, map, &bad), -2);
    assert_int_equal(bad, 9);
    assert_memory_equal(out, "abcdefghi", 9);
}

static void test_fold_outcap(void **state)
{
    (void)state;
    char out[4];
    size_t bad = 0;
    assert_int_equal(ds_fold("abcdef", 6, out, 4, NULL, &bad), -2);
    assert_int_equal(bad, 4);
    assert_int_equal(ds_fold("ab\xC3\x86", 4, out, 3, NULL, &bad), -2); /* Æ -> ae */
    assert_int_equal(bad, 2);
    assert_int_equal(ds_fold("ab\xC3\x86", 4, out, 4, NULL, &bad), 4);
}

/* ---- malformed catalogs ------------------------------------------------- */

static const char *const k_files[] = {"countries.tsv", "companies.tsv", "authorities.tsv",
                                      "systems.tsv", "rates.tsv", "reference.tsv"};
enum { F_COUNTRIES, F_COMPANIES, F_AUTHORITIES, F_SYSTEMS, F_RATES, F_REFERENCE, F_N };

static const char *const k_good[F_N] = {
    "# comment\n"
    "iso3\tname\taliases\tadjectives\tcapital\n"
    "POL\tPoland\t-\tPolish\tWarsaw\n"
    "\n"
    "KOR\tSouth Korea\tKorea|ROK\tSouth Korean|Korean\tSeoul\n",

    "id\tname\tcountry\tparent\taliases\trenamed_to\trenamed_year\trole\n"
    "HANWHA_AEROSPACE\tHanwha Aerospace\tKOR\t-\t-\t-\t-\tprime\n"
    "HANWHA_DEFENSE\tHanwha Defense\tKOR\t-\tHanwha Defence\tHANWHA_AEROSPACE\t2022\tprime\n"
    "PGZ\tPolska Grupa Zbrojeniowa\tPOL\t-\tPGZ\t-\t-\t-\n",

    "id\tname\tcountry\taliases\n"
    "KR_DAPA\tDefense Acquisition Program Administration\tKOR\tDAPA\n",

    "id\tfamily\tname\tcategory\tmaker\torigin\taliases\tvariant_of\n"
    "K9\tK9\tK9 Thunder\thowitzer\tHANWHA_AEROSPACE\tKOR\tK9|K-9\t-\n"
    "K9A1\tK9\tK9A1\thowitzer\tHANWHA_AEROSPACE\tKOR\t-\tK9\n",

    "# rates\n"
    "currency\tyear\tunits_per_usd\n"
    "USD\t2022\t1\n"
    "KRW\t2022\t1291.9\n",

    "ref\tsigned\tplace\tbuyer\tseller\tsupplier\tsystem_family\tvariants\tquantity\t"
    "value_amount\tvalue_currency\tvalue_usd\tstage\tbatch\tparent\n"
    "PL-K9-FW\t2022-07-27\t-\tPOL\tKOR\tHANWHA_DEFENSE\tK9\tK9A1\t672\t-\t-\t-\tframework\t-\t-\n"
    "PL-K9-E1\t2022-08-26\tMorąg\tPOL\tKOR\tHANWHA_DEFENSE\tK9\tK9A1\t212\t2400000000\tUSD\t"
    "2400000000\texecutive\t1\tPL-K9-FW:executes_framework\n",
};

typedef struct {
    char dir[64];
} tmpcat;

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
    assert_int_equal(fclose(fp), 0);
}

static int tmp_setup(void **state)
{
    tmpcat *t = calloc(1, sizeof(*t));
    if (!t)
        return -1;
    snprintf(t->dir, sizeof(t->dir), "/tmp/ds_catalog_XXXXXX");
    if (!mkdtemp(t->dir)) {
        free(t);
        return -1;
    }
    for (int i = 0; i < F_N; i++)
        write_file(t->dir, k_files[i], k_good[i]);
    *state = t;
    return 0;
}

static int tmp_teardown(void **state)
{
    tmpcat *t = *state;
    char path[256];
    for (int i = 0; i < F_N; i++) {
        snprintf(path, sizeof(path), "%s/%s", t->dir, k_files[i]);
        unlink(path);
    }
    rmdir(t->dir);
    free(t);
    return 0;
}

/* Replaces file f with text, loads, and asserts failure with want in the message. */
static void expect_error(tmpcat *t, int f, const char *text, const char *want)
{
    char err[512];
    if (f >= 0)
        write_file(t->dir, k_files[f], text);
    ds_catalog *cat = ds_catalog_load(t->dir, err, sizeof(err));
    if (cat || !strstr(err, want))
        fprintf(stderr, "want '%s', got '%s'\n", want, cat ? "(loaded)" : err);
    assert_null(cat);
    assert_non_null(strstr(err, want));
    if (f >= 0)
        write_file(t->dir, k_files[f], k_good[f]);
}

static void test_tmp_good(void **state)
{
    tmpcat *t = *state;
    char err[512];
    ds_catalog *cat = ds_catalog_load(t->dir, err, sizeof(err));
    if (!cat)
        fprintf(stderr, "%s\n", err);
    assert_non_null(cat);
    assert_int_equal(cat->ncountries, 2);
    assert_int_equal(cat->nrefs, 2);
    assert_string_equal(ds_catalog_ref(cat, "PL-K9-E1")->place, "Morąg");
    assert_string_equal(ds_catalog_company(cat, "PGZ")->role, "prime"); /* default */
    assert_true(ds_catalog_rate(cat, "KRW", 2030) == 1291.9);
    ds_catalog_destroy(cat);
    ds_catalog_destroy(NULL);
}

/* The nearest listed year of a currency whose years have gaps and whose
 * rows are not in order: the closer neighbour, the later one on a tie, never
 * another currency's row. */
static void test_tmp_rate_gaps(void **state)
{
    tmpcat *t = *state;
    char err[512];
    write_file(t->dir, k_files[F_RATES],
               "currency\tyear\tunits_per_usd\n"
               "USD\t2022\t1\n"
               "KRW\t2010\t1100\n"
               "AUD\t2015\t1.3\n"
               "KRW\t2004\t1000\n"
               "PLN\t2000\t4\n"
               "KRW\t2020\t1200\n");
    ds_catalog *cat = ds_catalog_load(t->dir, err, sizeof(err));
    write_file(t->dir, k_files[F_RATES], k_good[F_RATES]);
    if (!cat)
        fprintf(stderr, "%s\n", err);
    assert_non_null(cat);
    assert_true(ds_catalog_rate(cat, "KRW", 2010) == 1100); /* listed */
    assert_true(ds_catalog_rate(cat, "KRW", 2006) == 1000); /* 2 from 2004, 4 from 2010 */
    assert_true(ds_catalog_rate(cat, "KRW", 2008) == 1100); /* 4 from 2004, 2 from 2010 */
    assert_true(ds_catalog_rate(cat, "KRW", 2007) == 1100); /* a tie: the later year */
    assert_true(ds_catalog_rate(cat, "KRW", 2015) == 1200); /* a tie between 2010 and 2020 */
    assert_true(ds_catalog_rate(cat, "KRW", 1950) == 1000);
    assert_true(ds_catalog_rate(cat, "KRW", 0) == 1000);
    assert_true(ds_catalog_rate(cat, "KRW", 2999) == 1200);
    assert_true(ds_catalog_rate(cat, "AUD", 2030) == 1.3); /* its only row, not PLN's or KRW's */
    assert_true(ds_catalog_rate(cat, "PLN", 1990) == 4);
    assert_true(ds_catalog_rate(cat, "JPY", 2022) < 0); /* between AUD and KRW in order */
    assert_true(ds_catalog_rate(cat, "ZZZ", 2022) < 0); /* after the last */
    assert_true(ds_catalog_rate(cat, "AAA", 2022) < 0); /* before the first */
    ds_catalog_destroy(cat);
}

static void test_bad_columns(void **state)
{
    expect_error(*state, F_COUNTRIES,
                 "iso3\tname\taliases\tadjectives\tcapital\n"
                 "POL\tPoland\t-\tPolish\tWarsaw\n"
                 "KOR\tSouth Korea\tKorea\tKorean\n",
                 "countries.tsv:3: expected 5 columns, got 4");
    expect_error(*state, F_SYSTEMS, "id\tfamily\tname\n", "systems.tsv:1: missing column");
}

static void test_bad_rate(void **state)
{
    expect_error(*state, F_RATES,
                 "# rates\ncurrency\tyear\tunits_per_usd\nUSD\t2022\t1\nKRW\t2022\t12x4\n",
                 "rates.tsv:4:");
    expect_error(*state, F_RATES,
                 "currency\tyear\tunits_per_usd\nUSD\t2022\t1\n\nKRW\tabc\t1291\n",
                 "rates.tsv:4: bad year");
    expect_error(*state, F_RATES,
                 "currency\tyear\tunits_per_usd\nUSD\t2022\t1\nUSD\t2022\t1\n",
                 "rates.tsv:3: duplicate rate");
    expect_error(*state, F_RATES, "currency\tyear\tunits_per_usd\nUSD\t2022\t0\n",
                 "rates.tsv:2: bad units_per_usd");
}

static void test_unknown_country(void **state)
{
    expect_error(*state, F_COMPANIES,
                 "id\tname\tcountry\tparent\taliases\trenamed_to\trenamed_year\trole\n"
                 "HANWHA_AEROSPACE\tHanwha Aerospace\tKOR\t-\t-\t-\t-\tprime\n"
                 "HANWHA_DEFENSE\tHanwha Defense\tKOR\t-\t-\tHANWHA_AEROSPACE\t2022\tprime\n"
                 "PGZ\tPGZ\tXYZ\t-\t-\t-\t-\tprime\n",
                 "companies.tsv:4: unknown country 'XYZ'");
    expect_error(*state, F_SYSTEMS,
                 "id\tfamily\tname\tcategory\tmaker\torigin\taliases\tvariant_of\n"
                 "K9\tK9\tK9\thowitzer\tHANWHA_AEROSPACE\tKRX\t-\t-\n",
                 "systems.tsv:2: unknown country 'KRX'");
}

static void test_bad_references(void **state)
{
    tmpcat *t = *state;
    const char *hdr = "ref\tsigned\tplace\tbuyer\tseller\tsupplier\tsystem_family\tvariants\t"
                      "quantity\tvalue_amount\tvalue_currency\tvalue_usd\tstage\tbatch\t"
                      "parent\n";
    char buf[1024];

    snprintf(buf, sizeof(buf), "%sPL-X\t-\t-\tPOL\tKOR\tPGZ\tK2\t-\t-\t-\t-\t-\tframework\t-\t-\n",
             hdr);
    expect_error(t, F_REFERENCE, buf, "reference.tsv:2: unknown system_family 'K2'");
    /* a variant is not a family */
    snprintf(buf, sizeof(buf), "%sPL-X\t-\t-\tPOL\tKOR\tPGZ\tK9A1\t-\t-\t-\t-\t-\tframework\t-\t-\n",
             hdr);
    expect_error(t, F_REFERENCE, buf, "reference.tsv:2: unknown system_family 'K9A1'");
    snprintf(buf, sizeof(buf), "%sPL-X\t2022-02-30\t-\tPOL\tKOR\tPGZ\tK9\t-\t-\t-\t-\t-\t"
             "framework\t-\t-\n", hdr);
    expect_error(t, F_REFERENCE, buf, "reference.tsv:2: bad date '2022-02-30'");
    snprintf(buf, sizeof(buf), "%sPL-X\t-\t-\tPOL\tKOR\tPGZ\tK9\t-\t12a\t-\t-\t-\tframework\t-\t-\n",
             hdr);
    expect_error(t, F_REFERENCE, buf, "reference.tsv:2: bad quantity");
    snprintf(buf, sizeof(buf), "%sPL-X\t-\t-\tPOL\tKOR\tPGZ\tK9\t-\t-\t-\t-\t-\texecutive\t1\t"
             "PL-NOPE:executes_framework\n", hdr);
    expect_error(t, F_REFERENCE, buf, "reference.tsv:2: unknown parent ref 'PL-NOPE'");
    snprintf(buf, sizeof(buf), "%sPL-X\t-\t-\tPOL\tKOR\tPGZ\tK9\t-\t-\t-\t-\t-\texecutive\t1\t"
             "PL-X:sibling\n", hdr);
    expect_error(t, F_REFERENCE, buf, "reference.tsv:2: unknown relation 'sibling'");
    snprintf(buf, sizeof(buf), "%sPL-X\t-\t-\tPOL\tKOR\tPGZ\tK9\t-\t-\t5\tPLN\t-\texecutive\t1\t-\n",
             hdr);
    expect_error(t, F_REFERENCE, buf, "reference.tsv:2: unknown value_currency 'PLN'");
    snprintf(buf, sizeof(buf), "%sPL-X\t-\t-\tPOL\tKOR\tNOBODY\tK9\t-\t-\t-\t-\t-\tframework\t-\t-\n",
             hdr);
    expect_error(t, F_REFERENCE, buf, "reference.tsv:2: unknown supplier 'NOBODY'");
}

static void test_duplicates_and_xrefs(void **state)
{
    tmpcat *t = *state;
    expect_error(t, F_COUNTRIES,
                 "iso3\tname\taliases\tadjectives\tcapital\n"
                 "POL\tPoland\t-\t-\t-\nKOR\tKorea\t-\t-\t-\nPOL\tPolska\t-\t-\t-\n",
                 "countries.tsv:4: duplicate iso3 'POL' (first on line 2)");
    expect_error(t, F_COMPANIES,
                 "id\tname\tcountry\tparent\taliases\trenamed_to\trenamed_year\trole\n"
                 "HANWHA_AEROSPACE\tHanwha Aerospace\tKOR\t-\t-\t-\t-\tprime\n"
                 "HANWHA_DEFENSE\tHanwha Defense\tKOR\tNOPE\t-\t-\t-\tprime\n"
                 "PGZ\tPGZ\tPOL\t-\t-\t-\t-\tprime\n",
                 "companies.tsv:3: unknown parent 'NOPE'");
    expect_error(t, F_COMPANIES,
                 "id\tname\tcountry\tparent\taliases\trenamed_to\trenamed_year\trole\n"
                 "HANWHA_AEROSPACE\tHanwha Aerospace\tKOR\t-\t-\t-\t-\tprime\n"
                 "HANWHA_DEFENSE\tHanwha Defense\tKOR\t-\t-\tHANWHA_AEROSPACE\t20x2\tprime\n"
                 "PGZ\tPGZ\tPOL\t-\t-\t-\t-\tprime\n",
                 "companies.tsv:3: bad renamed_year");
    expect_error(t, F_SYSTEMS,
                 "id\tfamily\tname\tcategory\tmaker\torigin\taliases\tvariant_of\n"
                 "K9\tK9\tK9\thowitzer\tHANWHA_AEROSPACE\tKOR\t-\t-\n"
                 "K9A1\tK10\tK9A1\thowitzer\tHANWHA_AEROSPACE\tKOR\t-\tK9\n",
                 "systems.tsv:3: family 'K10' has no root row");
    expect_error(t, F_SYSTEMS,
                 "id\tfamily\tname\tcategory\tmaker\torigin\taliases\tvariant_of\n"
                 "K9\tK9\tK9\thowitzer\tHANWHA_AEROSPACE\tKOR\t-\t-\n"
                 "K9\tK9\tK9 again\thowitzer\tHANWHA_AEROSPACE\tKOR\t-\t-\n",
                 "systems.tsv:3: duplicate id 'K9' (first on line 2)");
    expect_error(t, F_SYSTEMS,
                 "id\tfamily\tname\tcategory\tmaker\torigin\taliases\tvariant_of\n"
                 "K9\tK9\tK9\tspaceship\tHANWHA_AEROSPACE\tKOR\t-\t-\n",
                 "systems.tsv:2: unknown category 'spaceship'");
    expect_error(t, F_AUTHORITIES, "id\tname\tcountry\taliases\nX\tX\tPOL\tA||B\n",
                 "authorities.tsv:2: empty item in aliases");
}

/* A world-sized catalog: 20,000 systems, 2,000 companies, 40 currencies
 * over 27 years. Every id is found (hashed look-ups), absent ids are not,
 * the nearest year answers for a year not listed, and a duplicate at the
 * end is still named with both lines. Speed is bench_extract's concern. */
static void test_large_catalog(void **state)
{
    tmpcat *t = *state;
    enum { NSYS = 20000, NCO = 2000, NCUR = 40 };
    size_t cap = (size_t)NSYS * 96 + 4096;
    char *sys = malloc(cap), *co = malloc((size_t)NCO * 64 + 256), *rates = malloc((size_t)NCUR * 27 * 24 + 256);
    assert_non_null(sys);
    assert_non_null(co);
    assert_non_null(rates);
    size_t n = (size_t)snprintf(co, 256, "id\tname\tcountry\tparent\taliases\trenamed_to\trenamed_year\trole\n");
    for (int i = 0; i < NCO; i++)
        n += (size_t)sprintf(co + n, "CO%d\tCompany %d\t%s\t%s\t-\t-\t-\tprime\n", i, i, i % 2 ? "POL" : "KOR",
                             i ? "CO0" : "-");
    write_file(t->dir, k_files[F_COMPANIES], co);
    /* odd rows are variants of the even row before them */
    n = (size_t)snprintf(sys, 256, "id\tfamily\tname\tcategory\tmaker\torigin\taliases\tvariant_of\n");
    for (int i = 0; i < NSYS; i++) {
        char parent[16] = "-";
        if (i % 2)
            snprintf(parent, sizeof parent, "S%d", i - 1);
        n += (size_t)sprintf(sys + n, "S%d\tS%d\tSystem %d\thowitzer\tCO%d\tKOR\t-\t%s\n", i, i - i % 2, i,
                             i % NCO, parent);
    }
    write_file(t->dir, k_files[F_SYSTEMS], sys);
    n = (size_t)snprintf(rates, 256, "currency\tyear\tunits_per_usd\nUSD\t2022\t1\nKRW\t2022\t1291.9\n");
    for (int c = 0; c < NCUR; c++)
        for (int y = 2000; y <= 2026; y++)
            n += (size_t)sprintf(rates + n, "Q%c%c\t%d\t%d.5\n", 'A' + c / 26, 'A' + c % 26, y, y - 1990 + c);
    write_file(t->dir, k_files[F_RATES], rates);
    /* the reference rows name systems and companies of the good files */
    write_file(t->dir, k_files[F_REFERENCE], "ref\tsigned\tplace\tbuyer\tseller\tsupplier\tsystem_family\tvariants\t"
                                               "quantity\tvalue_amount\tvalue_currency\tvalue_usd\tstage\tbatch\tparent\n"
                                               "R1\t2022-07-27\t-\tPOL\tKOR\tCO1\tS10\tS11\t672\t-\t-\t-\tframework\t-\t-\n");
    char err[512];
    ds_catalog *cat = ds_catalog_load(t->dir, err, sizeof err);
    if (!cat)
        fail_msg("%s", err);
    assert_int_equal(cat->nsystems, NSYS);
    assert_int_equal(cat->ncompanies, NCO);
    for (int i = 0; i < NSYS; i++) {
        char id[16];
        snprintf(id, sizeof id, "S%d", i);
        const ds_system *sy = ds_catalog_system(cat, id);
        assert_non_null(sy);
        assert_string_equal(sy->id, id);
        assert_int_equal(sy - cat->systems, i);
    }
    for (int i = 0; i < NCO; i++) {
        char id[16];
        snprintf(id, sizeof id, "CO%d", i);
        assert_int_equal(ds_catalog_company(cat, id) - cat->companies, i);
    }
    assert_null(ds_catalog_system(cat, "S20000"));
    assert_null(ds_catalog_system(cat, "s1"));
    assert_null(ds_catalog_company(cat, "CO"));
    assert_non_null(ds_catalog_ref(cat, "R1"));
    assert_null(ds_catalog_ref(cat, "R2"));
    assert_string_equal(ds_catalog_country(cat, "KOR")->iso3, "KOR");
    assert_null(ds_catalog_country(cat, "XXX"));
    assert_true(ds_catalog_rate(cat, "QAB", 2010) == 2010 - 1990 + 1 + 0.5);
    assert_true(ds_catalog_rate(cat, "QAB", 1990) == 2000 - 1990 + 1 + 0.5); /* nearest listed year */
    assert_true(ds_catalog_rate(cat, "QZZ", 2010) < 0);
    ds_catalog_destroy(cat);
    /* a duplicate in the last row */
    n = strlen(sys);
    sprintf(sys + n, "S17\tS16\tAgain\thowitzer\tCO0\tKOR\t-\tS16\n");
    write_file(t->dir, k_files[F_SYSTEMS], sys);
    cat = ds_catalog_load(t->dir, err, sizeof err);
    assert_null(cat);
    assert_non_null(strstr(err, "systems.tsv:20002: duplicate id 'S17' (first on line 19)"));
    free(sys);
    free(co);
    free(rates);
    for (int f = 0; f < F_N; f++)
        write_file(t->dir, k_files[f], k_good[f]);
}

static void test_bad_utf8_and_missing(void **state)
{
    tmpcat *t = *state;
    expect_error(t, F_AUTHORITIES,
                 "id\tname\tcountry\taliases\n# ok\nKR_DAPA\tDAPA\tKOR\tDA\xC3(PA\n",
                 "authorities.tsv:3: invalid UTF-8 at column 20");
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", t->dir, k_files[F_RATES]);
    unlink(path);
    expect_error(t, -1, NULL, "rates.tsv: cannot open");
    write_file(t->dir, k_files[F_RATES], k_good[F_RATES]);
}

int main(int argc, char **argv)
{
    const char *env = getenv("DEALSTREAM_CATALOG_DIR");
    if (argc > 1)
        g_dir = argv[1];
    else if (env && *env)
        g_dir = env;

    const struct CMUnitTest shipped[] = {
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_required_families),
        cmocka_unit_test(test_systems),
        cmocka_unit_test(test_companies),
        cmocka_unit_test(test_countries_and_authorities),
        cmocka_unit_test(test_rates),
        cmocka_unit_test(test_refs),
        cmocka_unit_test(test_aliases),
    };
    const struct CMUnitTest fold[] = {
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_fold_map),
        cmocka_unit_test(test_fold_invalid),
        cmocka_unit_test(test_fold_outcap),
        cmocka_unit_test(test_fold_ascii_runs),
    };
    const struct CMUnitTest malformed[] = {
        cmocka_unit_test_setup_teardown(test_tmp_rate_gaps, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_tmp_good, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_bad_columns, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_bad_rate, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_country, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_bad_references, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_duplicates_and_xrefs, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_large_catalog, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_bad_utf8_and_missing, tmp_setup, tmp_teardown),
    };
    int failed = 0;
    failed += cmocka_run_group_tests_name("catalog_shipped", shipped, group_setup,
                                          group_teardown);
    failed += cmocka_run_group_tests_name("fold", fold, NULL, NULL);
    failed += cmocka_run_group_tests_name("catalog_malformed", malformed, NULL, NULL);
    return failed ? 1 : 0;
}
