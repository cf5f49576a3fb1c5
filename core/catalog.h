/*
 * catalog.h - the static world knowledge of dealstream: countries, companies,
 * authorities, weapon systems, exchange rates and the reference table of known
 * contracts, loaded from the TSV files in data/catalog/.
 *
 * A catalog is immutable once loaded: every function taking a const ds_catalog *
 * may be called from any thread concurrently. ds_fold keeps no state and is
 * thread-safe too.
 *
 * Ownership: ds_catalog_load returns a catalog owned by the caller, released with
 * ds_catalog_destroy. Every pointer reachable from it (names, alias texts, array
 * elements) is owned by the catalog and valid until ds_catalog_destroy.
 */
#ifndef DEALSTREAM_CATALOG_H
#define DEALSTREAM_CATALOG_H

#include <stddef.h>

typedef enum {
    DS_ENT_COUNTRY,
    DS_ENT_COMPANY,
    DS_ENT_AUTHORITY,
    DS_ENT_SYSTEM
} ds_ent_kind;

/* ds_alias.flags */
#define DS_ALIAS_NAME      0x01u /* the entity's canonical name */
#define DS_ALIAS_ADJECTIVE 0x02u /* country adjective/demonym: "Polish", "Korean" */
#define DS_ALIAS_METONYM   0x04u /* capital standing for the government: "Seoul" */
#define DS_ALIAS_ACRONYM   0x08u /* the alias is a 2-3 letter capitals-only acronym
                                  * ("US", "U.S.", "KAI", "MON", "L&T"); folded it may
                                  * collide with ordinary words ("us", "mon"), so a
                                  * matcher should require the original case. Cleared
                                  * when the same entity also lists the text in another
                                  * spelling. */

typedef struct {
    char iso3[4];
    char *name;
    char *capital; /* first capital listed, NULL if none */
} ds_country;

typedef struct {
    char *id, *name;
    char *country;    /* iso3 */
    char *parent;     /* company id or NULL */
    char *renamed_to; /* company id or NULL */
    int renamed_year; /* 0 when renamed_to is NULL */
    char *role;       /* prime | local_producer | joint_venture | holding */
} ds_company;

typedef struct {
    char *id, *name;
    char *country; /* iso3 */
} ds_authority;

typedef struct {
    char *id;
    char *family;     /* id of the family root (a system whose id == family) */
    char *name;
    char *category;   /* tank, howitzer, aircraft, rocket_launcher, ... */
    char *maker;      /* company id */
    char *origin;     /* iso3 of the design */
    char *variant_of; /* system id in the same family, NULL for roots */
} ds_system;

typedef struct {
    char *text;       /* folded form, see ds_fold; NUL-terminated */
    size_t len;       /* strlen(text) */
    ds_ent_kind kind;
    int index;        /* into the kind's array */
    unsigned flags;   /* DS_ALIAS_* */
} ds_alias;

typedef struct {
    char cur[4];
    int year;
    double units_per_usd;
} ds_rate;

#define DS_REF_MAX_PARENTS 4

typedef struct {
    char *ref;
    int signed_date;  /* days since 1970-01-01, or -1 */
    char *place;      /* NULL if unknown */
    char *buyer;      /* iso3 */
    char *seller;     /* iso3 */
    char *supplier;   /* company ids separated by '|' */
    char *family;     /* system family id */
    char *variants;   /* system ids separated by '|', NULL if none */
    long quantity;    /* -1 unknown */
    double value_amount;  /* <0 unknown */
    char value_currency[4]; /* "" when value_amount unknown */
    double value_usd; /* <0 unknown */
    char *stage;      /* framework | executive | option | joint_venture */
    int batch;        /* executive ordinal within the framework, 0 if none */
    int nparents;
    struct {
        char *ref;
        char *relation; /* executes_framework | next_batch | option_exercise |
                         * enabled_by_jv */
    } parents[DS_REF_MAX_PARENTS];
} ds_refdeal;

typedef struct ds_catalog {
    ds_country *countries;
    size_t ncountries;
    ds_company *companies;
    size_t ncompanies;
    ds_authority *authorities;
    size_t nauthorities;
    ds_system *systems;
    size_t nsystems;
    /* Sorted by text (bytewise), then kind, then index. One entry per distinct
     * (text, entity); the same text may name several entities ("ministry of
     * national defense" is POL's and KOR's). Longest-first is the matcher's job. */
    ds_alias *aliases;
    size_t naliases;
    ds_rate *rates;
    size_t nrates;
    ds_refdeal *refs;
    size_t nrefs;
    void *priv; /* string storage; not for callers */
    void *index; /* hashed look-ups by id; not for callers */
} ds_catalog;

/*
 * Loads every file of the catalog from dir: countries.tsv, companies.tsv,
 * authorities.tsv, systems.tsv, rates.tsv, reference.tsv.
 *
 * File format: UTF-8, tab-separated; lines starting with '#' and blank lines are
 * ignored; the first other line is a header naming the columns (order free, extra
 * columns ignored, every expected column required); '-' or an empty field means
 * "none"; list fields are separated by '|'.
 *
 * Every row is validated: column count, numbers, dates, enumerations, duplicate
 * ids, invalid UTF-8, and cross references (countries, companies, family roots,
 * variants, parents, currencies of reference values).
 *
 * On success returns a new catalog. On error returns NULL and, if err != NULL,
 * writes a NUL-terminated message "path:line: what is wrong" (or "path: what"
 * when no line applies) into err, truncated to errlen.
 */
ds_catalog *ds_catalog_load(const char *dir, char *err, size_t errlen);

/*
 * As ds_catalog_load, with the reference table read from refs (refs_len bytes:
 * the text of a reference.tsv, header included) instead of dir/reference.tsv;
 * NULL refs reads the file. Messages name origin instead of the file, or, for
 * a line whose label is set, line_labels[line] (1-based, nlabels entries) in
 * place of "origin:line", so rows read from a topic are named by partition
 * and offset.
 */
ds_catalog *ds_catalog_load_refs(const char *dir, const char *refs, size_t refs_len, const char *origin,
                                 const char *const *line_labels, size_t nlabels, char *err, size_t errlen);

/* Frees the catalog and everything it owns. Accepts NULL. */
void ds_catalog_destroy(ds_catalog *cat);

/*
 * Currency units per USD for cur ("KRW") in year (hashed). When the year is
 * missing falls back to the nearest year listed for that currency (the later
 * one on a tie; a binary search over the rates in (currency, year) order). Returns <0 if the currency is
 * unknown.
 */
double ds_catalog_rate(const ds_catalog *cat, const char *cur, int year);

/* Lookups by id; return NULL when absent. Hashed: constant time whatever the
 * size of the tables. */
const ds_system *ds_catalog_system(const ds_catalog *cat, const char *id);
const ds_company *ds_catalog_company(const ds_catalog *cat, const char *id);
const ds_country *ds_catalog_country(const ds_catalog *cat, const char *iso3);
const ds_authority *ds_catalog_authority(const ds_catalog *cat, const char *id);
const ds_refdeal *ds_catalog_ref(const ds_catalog *cat, const char *ref);

/*
 * Aliases whose folded text equals the len bytes at folded (which need not be
 * NUL-terminated). Returns how many there are and sets *first to the first of
 * them (they are adjacent in cat->aliases); returns 0 and sets *first to NULL
 * when none. O(log naliases).
 */
size_t ds_catalog_aliases(const ds_catalog *cat, const char *folded, size_t len,
                          const ds_alias **first);

/*
 * Folds UTF-8 text for matching: ASCII lowercase; Latin letters with diacritics
 * (Latin-1, Extended-A/B, Extended Additional) to their ASCII base (Ł->l, ą->a,
 * ß->ss, æ->ae, ệ->e, ...); typographic quotes to ' and "; hyphens, en/em dashes
 * and U+2011 to '-'; NBSP, U+202F and the other Unicode spaces to ' '; U+2026 to
 * "..."; soft hyphen, zero-width characters and BOM removed; fullwidth ASCII to
 * ASCII. Any other character (Hangul, Cyrillic, ...) is copied unchanged.
 *
 * Writes into out (capacity outcap bytes, no NUL is appended); the output is never
 * longer than the input, so outcap >= len always suffices. If map != NULL, also
 * sets map[i] to the byte offset in the input of output byte i (map needs room
 * for as many entries as out); replaced characters map every output byte to the
 * start of the input character.
 *
 * Returns the output length. Returns -1 on invalid UTF-8 (overlong forms,
 * surrogates, code points above U+10FFFF, truncated or stray bytes) and sets
 * *bad_off (if bad_off != NULL) to the input offset of the first invalid
 * sequence. Returns -2 when outcap is too small and sets *bad_off to the input
 * offset of the character that did not fit. out is unspecified on error.
 */
long ds_fold(const char *in, size_t len, char *out, size_t outcap, unsigned *map,
             size_t *bad_off);

#endif /* DEALSTREAM_CATALOG_H */
