/* eval.c: `dealstream eval`, scores of the extractor and the resolver
 * against the labelled corpus. The rules are in eval.h. */
#include "eval.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "input.h"
#include "pipeline.h"
#include "util.h"

#ifndef DS_SOURCE_DIR
#define DS_SOURCE_DIR "."
#endif
#ifndef DS_DATA_DIR
#define DS_DATA_DIR "data"
#endif

const char *const ds_eval_field_names[DS_EF__COUNT] = {"buyer",  "seller", "system",       "quantity", "value_usd",
                                                       "stage",  "status", "signing_date", "batch"};

/* ---- labels ------------------------------------------------------------- */

enum { DATE_NONE, DATE_YEAR, DATE_MONTH, DATE_DAY };

typedef struct gold {
    ds_role role;
    char ref[24];
    char buyer[4], seller[4], family[24];
    char fam_norm[24];    /* the label's designation normalised (designation_key) */
    char fam_cat[24];     /* the catalog family its text names as an alias, "" if none */
    int64_t quantity;     /* -1: null */
    int has_value;
    double usd;           /* -1: null */
    double amount;        /* -1: null */
    char cur[4];
    int stage, status;    /* -1: unknown name */
    char date[11];        /* as labelled, "" when null */
    int date_prec;
    int year, month;
    int32_t days;
    int batch;            /* 0: null */
} gold;

typedef struct article {
    char id[128];         /* the stem, also the article id given by ds_input_read */
    gold *gold;
    size_t ngold;
    ds_mention *pred;
    size_t npred;
    int *gpair, *ppair;   /* index of the paired mention or -1 */
    int *gnear;           /* 1 when gold i is in a near pair */
} article;

static int name_index(const char *const *names, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

/* Copies the string member key of o (null: ""). Returns -1 when the key is
 * absent or neither a string nor null. */
static int jstr(json_t *o, const char *key, char *out, size_t cap)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return -1;
    if (json_is_null(v)) {
        out[0] = '\0';
        return 0;
    }
    if (!json_is_string(v))
        return -1;
    ds_strlcpy(out, json_string_value(v), cap);
    return 0;
}

/* Reads a number member (null: dflt). */
static int jnum(json_t *o, const char *key, double dflt, double *out)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return -1;
    if (json_is_null(v)) {
        *out = dflt;
        return 0;
    }
    if (!json_is_number(v))
        return -1;
    *out = json_number_value(v);
    return 0;
}

static int parse_label_date(gold *g, char *err, size_t errlen)
{
    size_t n = strlen(g->date);
    g->date_prec = DATE_NONE;
    if (n == 0)
        return 0;
    char buf[16];
    if (n == 4 && sscanf(g->date, "%4d", &g->year) == 1) {
        g->date_prec = DATE_YEAR;
        return 0;
    }
    if (n == 7 && sscanf(g->date, "%4d-%2d", &g->year, &g->month) == 2 && g->month >= 1 && g->month <= 12) {
        g->date_prec = DATE_MONTH;
        return 0;
    }
    if (n == 10 && ds_parse_date(g->date, n, &g->days) == 0) {
        int d;
        ds_civil_from_days(g->days, &g->year, &g->month, &d);
        g->date_prec = DATE_DAY;
        return 0;
    }
    ds_strlcpy(buf, g->date, sizeof buf);
    snprintf(err, errlen, "bad signing_date '%s'", buf);
    return -1;
}

/* The words of a designation, upper case, each its letters and digits
 * only, one space between ("IRIS-T SLM", "Iris-T SLM" -> "IRIST SLM";
 * "David's Sling" -> "DAVIDS SLING"). */
static void designation_key(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; *s && n + 1 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80)
            out[n++] = (char)c;
        else if (c >= 'a' && c <= 'z')
            out[n++] = (char)(c - 'a' + 'A');
        else if ((c == ' ' || c == '/' || c == '_') && n && out[n - 1] != ' ')
            out[n++] = ' ';
    }
    while (n && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

/* Designation keys a and b name one family: equal, or one is the other's
 * first words ("SPIKE" and "SPIKE LR2": a variant written out). */
static int designation_fits(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > nb) {
        const char *t = a;
        a = b;
        b = t;
        size_t tn = na;
        na = nb;
        nb = tn;
    }
    return na >= 2 && memcmp(a, b, na) == 0 && (b[na] == '\0' || b[na] == ' ');
}

/* Fills the designation forms of g's system: its key, and the catalog
 * family a catalog alias of that text belongs to ("LEOPARD 2" -> LEOPARD2,
 * "CHEONGUNG" -> KM-SAM). */
static void label_system(const ds_catalog *cat, gold *g)
{
    designation_key(g->family, g->fam_norm, sizeof g->fam_norm);
    g->fam_cat[0] = '\0';
    if (!cat || !g->family[0])
        return;
    char folded[96];
    long n = ds_fold(g->family, strlen(g->family), folded, sizeof folded, NULL, NULL);
    const ds_alias *al;
    size_t na = n > 0 ? ds_catalog_aliases(cat, folded, (size_t)n, &al) : 0;
    for (size_t i = 0; i < na; i++)
        if (al[i].kind == DS_ENT_SYSTEM) {
            ds_strlcpy(g->fam_cat, cat->systems[al[i].index].family, sizeof g->fam_cat);
            return;
        }
    const ds_system *sy = ds_catalog_system(cat, g->family);
    if (sy)
        ds_strlcpy(g->fam_cat, sy->family, sizeof g->fam_cat);
}

/* The label's system is family fam: the same id, the family of a catalog
 * alias of the label's text, or the same designation written otherwise
 * (designation_fits). */
static int family_eq(const gold *g, const char *fam)
{
    if (strcmp(g->family, fam) == 0 || (g->fam_cat[0] && strcmp(g->fam_cat, fam) == 0))
        return 1;
    char key[24];
    designation_key(fam, key, sizeof key);
    return g->fam_norm[0] && designation_fits(key, g->fam_norm);
}

/* Parses a label file into a->gold, with cat for the systems' aliases.
 * Returns 0 or -1 with err. */
static int load_label(const char *path, const ds_catalog *cat, article *a, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        snprintf(err, errlen, "%s: %s (line %d)", path, je.text, je.line);
        return -1;
    }
    json_t *ms = json_object_get(root, "mentions");
    if (!json_is_array(ms)) {
        snprintf(err, errlen, "%s: no \"mentions\" array", path);
        json_decref(root);
        return -1;
    }
    size_t n = json_array_size(ms);
    a->gold = calloc(n ? n : 1, sizeof *a->gold);
    if (!a->gold) {
        snprintf(err, errlen, "%s: out of memory", path);
        json_decref(root);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(ms, i);
        gold *g = &a->gold[i];
        char role[16], stage[24], status[16], what[64] = "";
        double q, batch, combined_unused;
        if (!json_is_object(o)) {
            snprintf(what, sizeof what, "not an object");
        } else if (jstr(o, "role", role, sizeof role) || jstr(o, "ref", g->ref, sizeof g->ref) ||
                   jstr(o, "buyer", g->buyer, sizeof g->buyer) || jstr(o, "seller", g->seller, sizeof g->seller) ||
                   jstr(o, "system", g->family, sizeof g->family) || jnum(o, "quantity", -1, &q) ||
                   jnum(o, "value_amount", -1, &g->amount) || jstr(o, "value_currency", g->cur, sizeof g->cur) ||
                   jnum(o, "value_usd", -1, &g->usd) || jstr(o, "stage", stage, sizeof stage) ||
                   jstr(o, "status", status, sizeof status) || jstr(o, "signing_date", g->date, sizeof g->date) ||
                   jnum(o, "batch", 0, &batch)) {
            snprintf(what, sizeof what, "a key is missing or of the wrong type");
        } else {
            (void)jnum(o, "value_combined", 0, &combined_unused);
            g->role = strcmp(role, "context") == 0 ? DS_ROLE_CONTEXT : DS_ROLE_PRIMARY;
            if (strcmp(role, "primary") != 0 && strcmp(role, "context") != 0)
                snprintf(what, sizeof what, "bad role '%s'", role);
            g->quantity = (int64_t)llround(q);
            g->batch = (int)llround(batch);
            g->has_value = g->usd >= 0 || g->amount >= 0;
            g->stage = name_index(ds_stage_names, DS_STAGE__COUNT, stage);
            g->status = name_index(ds_status_names, DS_STATUS__COUNT, status);
            if (g->stage < 0)
                snprintf(what, sizeof what, "bad stage '%s'", stage);
            else if (g->status < 0)
                snprintf(what, sizeof what, "bad status '%s'", status);
            else if (!what[0])
                parse_label_date(g, what, sizeof what);
            label_system(cat, g);
        }
        if (what[0]) {
            snprintf(err, errlen, "%s: mention %zu: %s", path, i, what);
            json_decref(root);
            return -1;
        }
    }
    a->ngold = n;
    json_decref(root);
    return 0;
}

/* ---- field comparison ----------------------------------------------------- */

static int within(double got, double want, double tol)
{
    if (want == 0)
        return got == 0;
    return fabs(got - want) <= tol * fabs(want);
}

/* 1 correct, 0 wrong, -1 not scored. */
static int field_ok(const gold *g, const ds_mention *m, int f)
{
    switch (f) {
    case DS_EF_BUYER:
        return strcmp(g->buyer, m->buyer) == 0;
    case DS_EF_SELLER:
        return strcmp(g->seller, m->seller) == 0;
    case DS_EF_SYSTEM:
        return family_eq(g, m->family);
    case DS_EF_QUANTITY:
        return g->quantity == (m->quantity < 0 ? -1 : m->quantity);
    case DS_EF_VALUE:
        if (!g->has_value || !m->value.set)
            return !g->has_value && !m->value.set;
        if (m->value.usd >= 0 && g->usd >= 0 && within((double)m->value.usd / 100.0, g->usd, 0.02))
            return 1;
        /* The stated figure itself (label and extractor may convert at
         * different rates). */
        return g->amount >= 0 && strcmp(g->cur, m->value.currency) == 0 &&
               within((double)m->value.amount / 100.0, g->amount, 0.02);
    case DS_EF_STAGE:
        return g->stage == (int)m->stage;
    case DS_EF_STATUS:
        return g->status == (int)m->status;
    case DS_EF_SIGNING_DATE:
        switch (g->date_prec) {
        case DATE_YEAR:
            return -1;
        case DATE_NONE:
            return m->signing_date == DS_NO_DATE;
        case DATE_DAY:
            return m->signing_date == g->days;
        default: {
            if (m->signing_date == DS_NO_DATE)
                return m->signing_year == g->year;
            int y, mo, d;
            ds_civil_from_days(m->signing_date, &y, &mo, &d);
            return y == g->year && mo == g->month;
        }
        }
    case DS_EF_BATCH:
        return g->batch == m->batch;
    }
    return -1;
}

static int nkeys(const gold *g, const ds_mention *m)
{
    return (strcmp(g->buyer, m->buyer) == 0) + (strcmp(g->seller, m->seller) == 0) +
           family_eq(g, m->family);
}

static int agreement(const gold *g, const ds_mention *m)
{
    int s = 0;
    for (int f = DS_EF_QUANTITY; f < DS_EF__COUNT; f++)
        s += field_ok(g, m, f) == 1;
    return s;
}

typedef struct cand {
    int g, p, score;
} cand;

static int cand_cmp(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->score != y->score)
        return y->score - x->score;
    if (x->g != y->g)
        return x->g - y->g;
    return x->p - y->p;
}

/* Greedy pairing of the still unpaired mentions; need_keys = 3 (strict) or
 * 2 (near). */
static int pair_pass(article *a, int need_keys, int near)
{
    size_t cap = a->ngold * a->npred, nc = 0;
    if (cap == 0)
        return 0;
    cand *cs = malloc(cap * sizeof *cs);
    if (!cs)
        return -1;
    for (size_t i = 0; i < a->ngold; i++) {
        if (a->gpair[i] >= 0)
            continue;
        for (size_t j = 0; j < a->npred; j++) {
            if (a->ppair[j] >= 0 || a->pred[j].role != a->gold[i].role)
                continue;
            int k = nkeys(&a->gold[i], &a->pred[j]);
            if (k < need_keys)
                continue;
            cs[nc++] = (cand){(int)i, (int)j, k * 16 + agreement(&a->gold[i], &a->pred[j])};
        }
    }
    qsort(cs, nc, sizeof *cs, cand_cmp);
    for (size_t c = 0; c < nc; c++) {
        if (a->gpair[cs[c].g] >= 0 || a->ppair[cs[c].p] >= 0)
            continue;
        a->gpair[cs[c].g] = cs[c].p;
        a->ppair[cs[c].p] = cs[c].g;
        a->gnear[cs[c].g] = near;
    }
    free(cs);
    return 0;
}

/* ---- formatting ------------------------------------------------------------ */

/* 2600000000 -> "2.6e9". */
static void fmt_num(double v, char *out, size_t cap)
{
    if (v == 0) {
        snprintf(out, cap, "0");
        return;
    }
    int e = (int)floor(log10(fabs(v)));
    double man = v / pow(10, e);
    if (fabs(man) >= 9.9995) {  /* rounding up to 10 */
        man /= 10;
        e++;
    }
    if (e >= -2 && e <= 4)
        snprintf(out, cap, "%.4g", v);
    else
        snprintf(out, cap, "%.4ge%d", man, e);
}

static void fmt_gold_value(const gold *g, char *out, size_t cap)
{
    char a[32];
    if (!g->has_value) {
        snprintf(out, cap, "null");
    } else if (g->usd >= 0) {
        fmt_num(g->usd, a, sizeof a);
        snprintf(out, cap, "%s", a);
    } else {
        fmt_num(g->amount, a, sizeof a);
        snprintf(out, cap, "%s %s", g->cur, a);
    }
}

static void fmt_pred_value(const ds_mention *m, char *out, size_t cap)
{
    char a[32], b[32];
    if (!m->value.set) {
        snprintf(out, cap, "null");
        return;
    }
    fmt_num((double)m->value.amount / 100.0, a, sizeof a);
    if (m->value.usd >= 0) {
        fmt_num((double)m->value.usd / 100.0, b, sizeof b);
        if (strcmp(m->value.currency, "USD") == 0)
            snprintf(out, cap, "%s", b);
        else
            snprintf(out, cap, "%s (%s %s)", b, m->value.currency, a);
    } else {
        snprintf(out, cap, "%s %s (no USD)", m->value.currency, a);
    }
}

static void fmt_pred_date(const ds_mention *m, char *out, size_t cap)
{
    if (m->signing_date != DS_NO_DATE) {
        char d[16];
        ds_format_date(m->signing_date, d);
        snprintf(out, cap, "%s", d);
    } else if (m->signing_year) {
        snprintf(out, cap, "%d (year only)", m->signing_year);
    } else {
        snprintf(out, cap, "null");
    }
}

static void fmt_qty(int64_t q, char *out, size_t cap)
{
    if (q < 0)
        snprintf(out, cap, "null");
    else
        snprintf(out, cap, "%lld", (long long)q);
}

static void fmt_batch(int b, char *out, size_t cap)
{
    if (b <= 0)
        snprintf(out, cap, "null");
    else
        snprintf(out, cap, "%d", b);
}

static void field_expected(const gold *g, int f, char *out, size_t cap)
{
    switch (f) {
    case DS_EF_BUYER: snprintf(out, cap, "%s", g->buyer[0] ? g->buyer : "null"); break;
    case DS_EF_SELLER: snprintf(out, cap, "%s", g->seller[0] ? g->seller : "null"); break;
    case DS_EF_SYSTEM: snprintf(out, cap, "%s", g->family[0] ? g->family : "null"); break;
    case DS_EF_QUANTITY: fmt_qty(g->quantity, out, cap); break;
    case DS_EF_VALUE: fmt_gold_value(g, out, cap); break;
    case DS_EF_STAGE: snprintf(out, cap, "%s", ds_stage_names[g->stage]); break;
    case DS_EF_STATUS: snprintf(out, cap, "%s", ds_status_names[g->status]); break;
    case DS_EF_SIGNING_DATE: snprintf(out, cap, "%s", g->date[0] ? g->date : "null"); break;
    default: fmt_batch(g->batch, out, cap); break;
    }
}

static void field_got(const ds_mention *m, int f, char *out, size_t cap)
{
    switch (f) {
    case DS_EF_BUYER: snprintf(out, cap, "%s", m->buyer[0] ? m->buyer : "null"); break;
    case DS_EF_SELLER: snprintf(out, cap, "%s", m->seller[0] ? m->seller : "null"); break;
    case DS_EF_SYSTEM: snprintf(out, cap, "%s", m->family[0] ? m->family : "null"); break;
    case DS_EF_QUANTITY: fmt_qty(m->quantity, out, cap); break;
    case DS_EF_VALUE: fmt_pred_value(m, out, cap); break;
    case DS_EF_STAGE: snprintf(out, cap, "%s", ds_stage_names[m->stage]); break;
    case DS_EF_STATUS: snprintf(out, cap, "%s", ds_status_names[m->status]); break;
    case DS_EF_SIGNING_DATE: fmt_pred_date(m, out, cap); break;
    default: fmt_batch(m->batch, out, cap); break;
    }
}

static const char *role_name(ds_role r)
{
    return r == DS_ROLE_PRIMARY ? "primary" : "context";
}

static void print_missing(FILE *out, const article *a, const gold *g)
{
    char q[24], v[64], b[16];
    fmt_qty(g->quantity, q, sizeof q);
    fmt_gold_value(g, v, sizeof v);
    fmt_batch(g->batch, b, sizeof b);
    fprintf(out, "%s %s %s %s: missing (%s<-%s qty %s value %s %s %s date %s batch %s)\n", a->id,
            role_name(g->role), g->ref[0] ? g->ref : "-", g->family[0] ? g->family : "null",
            g->buyer[0] ? g->buyer : "?", g->seller[0] ? g->seller : "?", q, v, ds_stage_names[g->stage],
            ds_status_names[g->status], g->date[0] ? g->date : "null", b);
}

static void print_spurious(FILE *out, const article *a, const ds_mention *m)
{
    char q[24], v[96], d[32], b[16];
    fmt_qty(m->quantity, q, sizeof q);
    fmt_pred_value(m, v, sizeof v);
    fmt_pred_date(m, d, sizeof d);
    fmt_batch(m->batch, b, sizeof b);
    fprintf(out, "%s %s spurious %s: %s<-%s qty %s value %s %s %s date %s batch %s\n", a->id, role_name(m->role),
            m->family[0] ? m->family : "null", m->buyer[0] ? m->buyer : "?", m->seller[0] ? m->seller : "?", q, v,
            ds_stage_names[m->stage], ds_status_names[m->status], d, b);
}

static double ratio(size_t n, size_t d)
{
    return d ? (double)n / (double)d : 1.0;
}

static double f1(double p, double r)
{
    return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

static void prf_finish(ds_eval_prf *x)
{
    x->p = ratio(x->tp, x->pred);
    x->r = ratio(x->tp, x->gold);
    x->f1 = f1(x->p, x->r);
}

/* ---- scoring of one article --------------------------------------------------- */

static int score_article(article *a, ds_eval_result *res, FILE *out)
{
    size_t ng = a->ngold, np = a->npred;
    a->gpair = malloc((ng ? ng : 1) * sizeof *a->gpair);
    a->gnear = calloc(ng ? ng : 1, sizeof *a->gnear);
    a->ppair = malloc((np ? np : 1) * sizeof *a->ppair);
    if (!a->gpair || !a->gnear || !a->ppair)
        return -1;
    for (size_t i = 0; i < ng; i++)
        a->gpair[i] = -1;
    for (size_t j = 0; j < np; j++)
        a->ppair[j] = -1;
    if (pair_pass(a, 3, 0) || pair_pass(a, 2, 1))
        return -1;

    if (ng == 0) {
        res->negatives++;
        if (np == 0)
            res->negatives_clean++;
    }
    for (size_t i = 0; i < ng; i++) {
        const gold *g = &a->gold[i];
        ds_eval_prf *x = g->role == DS_ROLE_PRIMARY ? &res->primary : &res->context;
        x->gold++;
        res->overall.gold++;
        int j = a->gpair[i];
        if (j >= 0 && !a->gnear[i]) {
            x->tp++;
            res->overall.tp++;
        }
        if (j < 0) {
            if (out)
                print_missing(out, a, g);
            res->miss_lines++;
            continue;
        }
        if (g->role != DS_ROLE_PRIMARY) {
            if (a->gnear[i]) {  /* a context near pair: one line naming the key difference */
                for (int f = DS_EF_BUYER; f <= DS_EF_SYSTEM; f++) {
                    if (field_ok(g, &a->pred[j], f) != 0)
                        continue;
                    char e[64], gt[96];
                    field_expected(g, f, e, sizeof e);
                    field_got(&a->pred[j], f, gt, sizeof gt);
                    if (out)
                        fprintf(out, "%s context %s %s: %s expected %s got %s [near match: missing + spurious]\n",
                                a->id, g->ref, g->family[0] ? g->family : "null", ds_eval_field_names[f], e, gt);
                    res->miss_lines++;
                }
            }
            continue;
        }
        res->primary_pairs++;
        res->near_pairs += a->gnear[i] != 0;
        for (int f = 0; f < DS_EF__COUNT; f++) {
            int ok = field_ok(g, &a->pred[j], f);
            if (ok < 0)
                continue;
            res->fields[f].total++;
            if (ok) {
                res->fields[f].correct++;
                continue;
            }
            char e[64], gt[96];
            field_expected(g, f, e, sizeof e);
            field_got(&a->pred[j], f, gt, sizeof gt);
            if (out)
                fprintf(out, "%s primary %s %s: %s expected %s got %s%s\n", a->id, g->ref,
                        g->family[0] ? g->family : "null", ds_eval_field_names[f], e, gt,
                        a->gnear[i] ? " [near match: missing + spurious]" : "");
            res->miss_lines++;
        }
    }
    for (size_t j = 0; j < np; j++) {
        const ds_mention *m = &a->pred[j];
        (m->role == DS_ROLE_PRIMARY ? &res->primary : &res->context)->pred++;
        res->overall.pred++;
        if (a->ppair[j] < 0) {
            if (out)
                print_spurious(out, a, m);
            res->miss_lines++;
        }
    }
    return 0;
}

/* ---- reading the corpus --------------------------------------------------------- */

typedef struct read_ctx {
    ds_pipeline *pl;
    article *a;
    char err[600];
    int failed;
} read_ctx;

static int ignore_emit(void *opaque, const char *key, const void *val, size_t len)
{
    (void)opaque;
    (void)key;
    (void)val;
    (void)len;
    return 0;
}

static void on_bad(void *opaque, const char *where, const char *what)
{
    read_ctx *x = opaque;
    snprintf(x->err, sizeof x->err, "%s: %s", where, what);
    x->failed = 1;
}

static int on_record(void *opaque, json_t *rec, const char *where)
{
    read_ctx *x = opaque;
    const ds_mention *ms;
    ds_fail fail;
    ds_input in = {DS_INPUT_ARTICLE, "", -1, -1, NULL, 0};
    json_t *id = json_object_get(rec, "article_id");
    if (json_is_string(id))
        ds_strlcpy(x->a->id, json_string_value(id), sizeof x->a->id);
    int n = ds_pipeline_mentions_json(x->pl, DS_INPUT_ARTICLE, rec, &in, &ms, &fail);
    if (n < 0) {
        snprintf(x->err, sizeof x->err, "%s: %s (%s): %s", where, fail.stage, fail.cls, fail.msg);
        x->failed = 1;
        return 1;
    }
    ds_mention *copy = realloc(x->a->pred, ((size_t)n + x->a->npred + 1) * sizeof *copy);
    if (!copy) {
        snprintf(x->err, sizeof x->err, "%s: out of memory", where);
        x->failed = 1;
        return 1;
    }
    x->a->pred = copy;
    memcpy(copy + x->a->npred, ms, (size_t)n * sizeof *copy);
    size_t first = x->a->npred;
    x->a->npred += (size_t)n;
    for (size_t i = first; i < x->a->npred; i++) {
        if (ds_pipeline_resolve(x->pl, &copy[i], ignore_emit, NULL, &fail) < 0) {
            snprintf(x->err, sizeof x->err, "%s: %s (%s): %s", where, fail.stage, fail.cls, fail.msg);
            x->failed = 1;
            return 1;
        }
    }
    return 0;
}

static int is_article_name(const char *s)
{
    size_t n = strlen(s);
    return n > 8 && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9' &&
           s[3] == '-' && strcmp(s + n - 4, ".txt") == 0;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the NNN-*.txt files of dir; NULL (errno) on failure. */
static char **list_articles(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **names = NULL;
    size_t cnt = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!is_article_name(e->d_name))
            continue;
        if (ds_reserve(&names, &cap, cnt + 1, sizeof *names, 64))
            goto oom;
        if (!(names[cnt] = strdup(e->d_name)))
            goto oom;
        cnt++;
    }
    closedir(d);
    if (cnt)
        qsort(names, cnt, sizeof *names, str_cmp);
    *n = cnt;
    if (!names)
        names = calloc(1, sizeof *names);
    return names;
oom:
    closedir(d);
    for (size_t i = 0; i < cnt; i++)
        free(names[i]);
    free(names);
    errno = ENOMEM;
    return NULL;
}

/* ---- resolution scores ------------------------------------------------------------- */

typedef struct gref {
    const char *ref;
    const char *family;      /* of its first primary label mention */
    const ds_refdeal *row;   /* NULL: no reference row */
    int found;
} gref;

static const gold *primary_of(const article *a, const char *ref)
{
    for (size_t i = 0; i < a->ngold; i++)
        if (a->gold[i].role == DS_ROLE_PRIMARY && strcmp(a->gold[i].ref, ref) == 0)
            return &a->gold[i];
    return NULL;
}

static const article *article_by_id(const article *arts, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(arts[i].id, id) == 0)
            return &arts[i];
    return NULL;
}

/* The label mention g could be the deal d: same buyer, seller and family (a
 * null label system fits any family). */
static int family_fits(const gold *g, const ds_canon *d)
{
    return g && strcmp(g->buyer, d->buyer) == 0 && strcmp(g->seller, d->seller) == 0 &&
           (g->family[0] == '\0' || family_eq(g, d->family));
}

static int is_dup(const ds_canon_source *s)
{
    return s->duplicate_of && s->duplicate_of[0];
}

/* Whether a source is a report (not a copy, not a reference-table row). */
static int is_report(const ds_canon_source *s)
{
    return !is_dup(s) && s->kind != DS_SRC_REFERENCE;
}

/* Whether some report (not only the reference table) made the deal. */
static int reported(const ds_canon *d)
{
    for (size_t s = 0; s < d->nsources; s++)
        if (is_report(&d->sources[s]))
            return 1;
    return 0;
}

/* Index of the gold ref a deal matches, or -1. */
static int match_deal(const ds_canon *d, const article *arts, size_t nart, const gref *refs, size_t nref)
{
    size_t nondup = 0;
    for (size_t s = 0; s < d->nsources; s++)
        nondup += is_report(&d->sources[s]);
    int best = -1;
    size_t best_votes = 0, best_tie = 0;
    for (size_t r = 0; r < nref; r++) {
        size_t votes = 0, tie = 0;
        for (size_t s = 0; s < d->nsources; s++) {
            if (!is_report(&d->sources[s]))
                continue;
            const article *a = article_by_id(arts, nart, d->sources[s].id);
            const gold *g = a ? primary_of(a, refs[r].ref) : NULL;
            if (!family_fits(g, d))
                continue;
            votes++;
            tie += (g->quantity >= 0 && g->quantity == d->quantity) + (g->batch == d->batch) +
                   (g->stage == (int)d->stage);
        }
        if (votes > best_votes || (votes == best_votes && votes > 0 && tie > best_tie)) {
            best = (int)r;
            best_votes = votes;
            best_tie = tie;
        }
    }
    return best >= 0 && 2 * best_votes > nondup ? best : -1;
}

typedef struct b3item {
    int ref;    /* index into refs */
    long deal;  /* index into deals, or -1 - item index (a singleton) */
} b3item;

/* What the resolution scores share: the gold refs and B-cubed items of the
 * articles, the resolver's deals and the ref each deal matches. */
typedef struct resctx {
    const article *arts;
    size_t nart;
    gref *refs;
    size_t nref;
    b3item *items;
    size_t nitems;
    const ds_canon **deals;
    size_t ndeals;
    int *dref; /* per deal: index into refs, or -1 */
} resctx;

/* Fills x->refs with the gold refs of primary label mentions in order of
 * first appearance, and x->items with one B-cubed item per (article, ref),
 * its deal set to the article index for now. */
static void collect_refs(resctx *x, const ds_catalog *cat)
{
    for (size_t i = 0; i < x->nart; i++) {
        for (size_t k = 0; k < x->arts[i].ngold; k++) {
            const gold *g = &x->arts[i].gold[k];
            if (g->role != DS_ROLE_PRIMARY || !g->ref[0] || primary_of(&x->arts[i], g->ref) != g)
                continue;
            size_t r;
            for (r = 0; r < x->nref; r++)
                if (strcmp(x->refs[r].ref, g->ref) == 0)
                    break;
            if (r == x->nref) {
                x->refs[x->nref].ref = g->ref;
                x->refs[x->nref].family = g->family;
                x->refs[x->nref].row = ds_catalog_ref(cat, g->ref);
                x->nref++;
            }
            x->items[x->nitems].ref = (int)r;
            x->items[x->nitems].deal = (long)i; /* article index for now */
            x->nitems++;
        }
    }
}

/* Matches each deal to a ref (x->dref), marks the refs found, and sets the
 * deal precision, recall and F1 of res. */
static void score_deals(resctx *x, ds_eval_result *res)
{
    res->pred_deals = x->ndeals;
    res->gold_deals = x->nref;
    for (size_t d = 0; d < x->ndeals; d++) {
        x->dref[d] = match_deal(x->deals[d], x->arts, x->nart, x->refs, x->nref);
        if (x->dref[d] >= 0) {
            res->pred_deals_matched++;
            x->refs[x->dref[d]].found = 1;
        }
    }
    for (size_t r = 0; r < x->nref; r++)
        res->gold_deals_found += x->refs[r].found;
    res->deal_p = ratio(res->pred_deals_matched, res->pred_deals);
    res->deal_r = ratio(res->gold_deals_found, res->gold_deals);
    res->deal_f1 = f1(res->deal_p, res->deal_r);
}

/* Puts each B-cubed item in the deal that holds its article and fits its
 * family (the one matching its ref first), or a singleton of its own, and
 * sets the B-cubed precision, recall and F1 of res. */
static void score_bcubed(resctx *x, ds_eval_result *res)
{
    b3item *items = x->items;
    for (size_t it = 0; it < x->nitems; it++) {
        const article *a = &x->arts[items[it].deal];
        const gold *g = primary_of(a, x->refs[items[it].ref].ref);
        long pick = -1;
        for (size_t d = 0; d < x->ndeals; d++) {
            int has = 0;
            for (size_t s = 0; s < x->deals[d]->nsources && !has; s++)
                has = strcmp(x->deals[d]->sources[s].id, a->id) == 0;
            if (!has || !family_fits(g, x->deals[d]))
                continue;
            if (pick < 0 || (x->dref[d] == items[it].ref && x->dref[pick] != items[it].ref))
                pick = (long)d;
        }
        items[it].deal = pick >= 0 ? pick : -1 - (long)it;
    }
    double bp = 0, br = 0;
    for (size_t i = 0; i < x->nitems; i++) {
        size_t same_deal = 0, same_ref = 0, both = 0;
        for (size_t j = 0; j < x->nitems; j++) {
            int sd = items[j].deal == items[i].deal, sr = items[j].ref == items[i].ref;
            same_deal += sd;
            same_ref += sr;
            both += sd && sr;
        }
        bp += (double)both / (double)same_deal;
        br += (double)both / (double)same_ref;
    }
    res->b3_items = x->nitems;
    res->b3_p = x->nitems ? bp / (double)x->nitems : 1.0;
    res->b3_r = x->nitems ? br / (double)x->nitems : 1.0;
    res->b3_f1 = f1(res->b3_p, res->b3_r);
}

/* Link k points at parent p of a reference row: the same relation, and a
 * target ref equal to the parent's or a target deal matched to it. */
static int link_hits_parent(const resctx *x, const ds_canon_link *k, const ds_refdeal *row, int p)
{
    if (strcmp(row->parents[p].relation, ds_relation_names[k->relation]) != 0)
        return 0;
    if (strcmp(k->target_ref, row->parents[p].ref) == 0)
        return 1;
    for (size_t e = 0; e < x->ndeals; e++)
        if (x->dref[e] >= 0 && strcmp(x->refs[x->dref[e]].ref, row->parents[p].ref) == 0 &&
            strcmp(x->deals[e]->deal_id, k->target) == 0)
            return 1;
    return 0;
}

/* Counts the predicted links and, of those on deals with a reference row,
 * the ones that name a parent of the row; prints the others to out. */
static void score_pred_links(const resctx *x, ds_eval_result *res, FILE *out)
{
    for (size_t d = 0; d < x->ndeals; d++) {
        const ds_canon *c = x->deals[d];
        res->pred_links += c->nlinks;
        if (x->dref[d] < 0 || !x->refs[x->dref[d]].row)
            continue;
        const ds_refdeal *row = x->refs[x->dref[d]].row;
        for (size_t l = 0; l < c->nlinks; l++) {
            const ds_canon_link *k = &c->links[l];
            res->links_checked++;
            int ok = 0;
            for (int p = 0; p < row->nparents && !ok; p++)
                ok = link_hits_parent(x, k, row, p);
            res->links_correct += ok;
            if (!ok && out)
                fprintf(out, "link %s (%s) %s -> %s%s%s: not a parent in the reference table\n", c->deal_id,
                        x->refs[x->dref[d]].ref, ds_relation_names[k->relation], k->target,
                        k->target_ref[0] ? " ref " : "", k->target_ref);
            if (!ok)
                res->miss_lines++;
        }
    }
}

/* Counts the parents of the reference rows and the ones some link of a
 * deal matched to the row names; prints the missing ones to out. */
static void score_gold_links(const resctx *x, ds_eval_result *res, FILE *out)
{
    for (size_t r = 0; r < x->nref; r++) {
        const ds_refdeal *row = x->refs[r].row;
        if (!row)
            continue;
        for (int p = 0; p < row->nparents; p++) {
            res->gold_links++;
            int found = 0;
            for (size_t d = 0; d < x->ndeals && !found; d++) {
                if (x->dref[d] != (int)r)
                    continue;
                for (size_t l = 0; l < x->deals[d]->nlinks && !found; l++)
                    found = link_hits_parent(x, &x->deals[d]->links[l], row, p);
            }
            res->gold_links_found += found;
            if (!found) {
                if (out)
                    fprintf(out, "link %s -> %s %s: missing%s\n", x->refs[r].ref, row->parents[p].relation,
                            row->parents[p].ref, x->refs[r].found ? "" : " (no deal matches the ref)");
                res->miss_lines++;
            }
        }
    }
    res->link_p = ratio(res->links_correct, res->links_checked);
    res->link_r = ratio(res->gold_links_found, res->gold_links);
    res->link_f1 = f1(res->link_p, res->link_r);
}

/* Prints the deals that match no ref and the refs no deal matches to out,
 * and counts them as miss lines. */
static void report_deal_misses(const resctx *x, ds_eval_result *res, FILE *out)
{
    if (out) {
        for (size_t d = 0; d < x->ndeals; d++) {
            if (x->dref[d] >= 0)
                continue;
            const ds_canon *c = x->deals[d];
            fprintf(out, "deal %s %s %s: matches no ref; sources", c->deal_id, c->block_key, ds_stage_names[c->stage]);
            for (size_t s = 0; s < c->nsources; s++)
                fprintf(out, " %.3s%s", c->sources[s].id, is_dup(&c->sources[s]) ? "(dup)" : "");
            fputc('\n', out);
        }
        for (size_t r = 0; r < x->nref; r++)
            if (!x->refs[r].found)
                fprintf(out, "ref %s: no deal matches it\n", x->refs[r].ref);
    }
    for (size_t d = 0; d < x->ndeals; d++)
        res->miss_lines += x->dref[d] < 0;
    for (size_t r = 0; r < x->nref; r++)
        res->miss_lines += !x->refs[r].found;
}

/* Scores the resolver's deals against the gold refs of arts: deal P/R,
 * B-cubed, links, and the misses printed to out (may be NULL). Returns 0 or
 * -1 when out of memory. */
static int resolution_scores(ds_pipeline *pl, const article *arts, size_t nart, ds_eval_result *res, FILE *out)
{
    int rc = -1;
    resctx x = {.arts = arts, .nart = nart};
    size_t cap = 0;
    for (size_t i = 0; i < nart; i++)
        cap += arts[i].ngold;
    x.refs = calloc(cap + 1, sizeof *x.refs);
    x.items = calloc(cap + 1, sizeof *x.items);
    if (!x.refs || !x.items)
        goto done;
    collect_refs(&x, pl->cat);
    const ds_canon **all;
    size_t nall = ds_resolver_deals(pl->rs, &all);
    x.deals = malloc((nall + 1) * sizeof *x.deals); /* the deals of the reports; rows alone predict nothing */
    x.dref = malloc((nall + 1) * sizeof *x.dref);
    if (!x.deals || !x.dref)
        goto done;
    for (size_t d = 0; d < nall; d++)
        if (reported(all[d]))
            x.deals[x.ndeals++] = all[d];
    score_deals(&x, res);
    score_bcubed(&x, res);
    score_pred_links(&x, res, out);
    score_gold_links(&x, res, out);
    report_deal_misses(&x, res, out);
    rc = 0;
done:
    free(x.refs);
    free(x.items);
    free(x.deals);
    free(x.dref);
    return rc;
}

/* ---- report ------------------------------------------------------------------------- */

static void print_prf(FILE *out, const char *name, const ds_eval_prf *x)
{
    fprintf(out, "  %-8s gold %4zu  pred %4zu  tp %4zu   P %.3f  R %.3f  F1 %.3f\n", name, x->gold, x->pred, x->tp,
            x->p, x->r, x->f1);
}

static void print_report(FILE *out, const ds_eval_result *res)
{
    fprintf(out, "\n== Extraction: mentions (strict pairs: same role, buyer, seller, family) ==\n");
    print_prf(out, "primary", &res->primary);
    print_prf(out, "context", &res->context);
    print_prf(out, "overall", &res->overall);
    fprintf(out, "  negatives with no mention: %zu/%zu\n", res->negatives_clean, res->negatives);
    fprintf(out, "\n== Field accuracy over %zu primary pairs (%zu strict + %zu near) ==\n", res->primary_pairs,
            res->primary_pairs - res->near_pairs, res->near_pairs);
    for (int f = 0; f < DS_EF__COUNT; f++)
        fprintf(out, "  %-13s %4zu/%-4zu %.3f\n", ds_eval_field_names[f], res->fields[f].correct,
                res->fields[f].total, res->fields[f].acc);
    fprintf(out, "\n== Resolution ==\n");
    fprintf(out, "  deals      predicted %zu, matched %zu  P %.3f | gold refs %zu, found %zu  R %.3f | F1 %.3f\n",
            res->pred_deals, res->pred_deals_matched, res->deal_p, res->gold_deals, res->gold_deals_found,
            res->deal_r, res->deal_f1);
    fprintf(out, "  B-cubed    %zu items  P %.3f  R %.3f  F1 %.3f\n", res->b3_items, res->b3_p, res->b3_r,
            res->b3_f1);
    fprintf(out,
            "  links      predicted %zu (%zu checkable), correct %zu  P %.3f | gold %zu, found %zu  R %.3f | F1 "
            "%.3f\n",
            res->pred_links, res->links_checked, res->links_correct, res->link_p, res->gold_links,
            res->gold_links_found, res->link_r, res->link_f1);
    if (res->errors)
        fprintf(out, "\nERRORS: %zu file(s) could not be evaluated (see above)\n", res->errors);
}

/* ---- entry points ----------------------------------------------------------------------- */

/* Frees what article a owns and clears it. */
static void article_clear(article *a)
{
    free(a->gold);
    free(a->pred);
    free(a->gpair);
    free(a->gnear);
    free(a->ppair);
    memset(a, 0, sizeof *a);
}

/* Reads the article file name of corpus_dir and its label into a (the label
 * first: no mention of an unlabelled article enters the resolver) and scores
 * its mentions into res, printing misses to report. Returns 0, -1 with the
 * reason in err, or -2 when out of memory before anything was read. */
static int eval_article(ds_pipeline *pl, const char *corpus_dir, const char *name, article *a, ds_eval_result *res,
                        FILE *report, char *err, size_t errsz)
{
    size_t dl = strlen(corpus_dir), nl = strlen(name);
    char *path = malloc(dl + nl + 8);
    if (!path)
        return -2;
    snprintf(path, dl + nl + 8, "%s/%s", corpus_dir, name);
    ds_strlcpy(a->id, name, sizeof a->id);
    a->id[nl - 4 < sizeof a->id ? nl - 4 : sizeof a->id - 1] = '\0';
    char *label = malloc(dl + nl + 8);
    int ok = label != NULL;
    if (ok) {
        snprintf(label, dl + nl + 8, "%s/%.*s.json", corpus_dir, (int)(nl - 4), name);
        if (access(label, F_OK) != 0) {
            snprintf(err, errsz, "%s: missing label", label);
            ok = 0;
        } else {
            ok = load_label(label, pl->cat, a, err, errsz) == 0;
        }
    } else {
        snprintf(err, errsz, "out of memory");
    }
    if (ok) {
        read_ctx x = {pl, a, "", 0};
        size_t nbad = 0;
        char rerr[600];
        if (ds_input_read(path, "text", 1, on_record, &x, on_bad, &nbad, rerr, sizeof rerr) == -1) {
            snprintf(err, errsz, "%s", rerr);
            ok = 0;
        } else if (x.failed || nbad) {
            snprintf(err, errsz, "%s", x.err[0] ? x.err : "unreadable article");
            ok = 0;
        }
    }
    if (ok && score_article(a, res, report)) {
        snprintf(err, errsz, "%s: out of memory", path);
        ok = 0;
    }
    free(label);
    free(path);
    return ok ? 0 : -1;
}

/* Turns the counts of res into precision, recall, F1 and field accuracy. */
static void finish_mention_scores(ds_eval_result *res)
{
    prf_finish(&res->primary);
    prf_finish(&res->context);
    prf_finish(&res->overall);
    for (int f = 0; f < DS_EF__COUNT; f++)
        res->fields[f].acc = ratio(res->fields[f].correct, res->fields[f].total);
}

/* Scores every labelled article of corpus_dir, then the resolver's deals
 * (see eval.h): the named steps above, in order. */
int ds_eval_run(const char *corpus_dir, const char *catalog_dir, ds_eval_result *res, FILE *report)
{
    memset(res, 0, sizeof *res);
    if (!catalog_dir)
        catalog_dir = DS_DATA_DIR "/catalog";
    char err[1024];
    ds_pipeline pl;
    if (ds_pipeline_init(&pl, catalog_dir, err, sizeof err)) {
        if (report)
            fprintf(report, "error: catalog: %s\n", err);
        res->errors = 1;
        return -1;
    }
    /* the reference table's rows are deals, as on deals.canonical */
    ds_changes seeded;
    ds_resolver_set_references(pl.rs, NULL, NULL);
    if (ds_resolver_seed_references(pl.rs, &seeded)) {
        if (report)
            fprintf(report, "error: out of memory\n");
        ds_pipeline_fini(&pl);
        res->errors = 1;
        return -1;
    }
    size_t nnames = 0;
    char **names = list_articles(corpus_dir, &nnames);
    if (!names) {
        if (report)
            fprintf(report, "error: %s: %s\n", corpus_dir, strerror(errno));
        ds_pipeline_fini(&pl);
        res->errors = 1;
        return -1;
    }
    article *arts = calloc(nnames + 1, sizeof *arts);
    size_t nart = 0;
    int rc = 0;
    if (!arts) {
        if (report)
            fprintf(report, "error: out of memory\n");
        res->errors = 1;
        rc = -1;
        goto done;
    }
    if (report)
        fprintf(report, "corpus: %s (%zu articles)\ncatalog: %s\n\n== Misses ==\n", corpus_dir, nnames,
                catalog_dir);
    for (size_t i = 0; i < nnames; i++) {
        int r = eval_article(&pl, corpus_dir, names[i], &arts[nart], res, report, err, sizeof err);
        if (r == 0) {
            nart++;
            continue;
        }
        if (r == -1 && report)
            fprintf(report, "error: %s\n", err);
        res->errors++;
        article_clear(&arts[nart]);
    }
    res->articles = nart;
    finish_mention_scores(res);
    if (resolution_scores(&pl, arts, nart, res, report)) {
        if (report)
            fprintf(report, "error: out of memory\n");
        res->errors++;
    }
    if (report) {
        fprintf(report, "(%zu miss lines)\n", res->miss_lines);
        print_report(report, res);
    }
    rc = res->errors ? -1 : 0;
done:
    for (size_t i = 0; i < nart; i++)
        article_clear(&arts[i]);
    free(arts);
    for (size_t i = 0; i < nnames; i++)
        free(names[i]);
    free(names);
    ds_pipeline_fini(&pl);
    return rc;
}

static json_t *prf_json(const ds_eval_prf *x)
{
    return json_pack("{s:I,s:I,s:I,s:f,s:f,s:f}", "gold", (json_int_t)x->gold, "pred", (json_int_t)x->pred, "tp",
                     (json_int_t)x->tp, "precision", x->p, "recall", x->r, "f1", x->f1);
}

int ds_eval_write_json(const ds_eval_result *res, const char *corpus_dir, const char *path)
{
    json_t *fields = json_object();
    for (int f = 0; f < DS_EF__COUNT && fields; f++)
        json_object_set_new(fields, ds_eval_field_names[f],
                            json_pack("{s:I,s:I,s:f}", "correct", (json_int_t)res->fields[f].correct, "total",
                                      (json_int_t)res->fields[f].total, "accuracy", res->fields[f].acc));
    json_t *o = json_pack(
        "{s:s, s:I, s:I, s:I, s:I,"
        " s:{s:o, s:o, s:o, s:I, s:I, s:o, s:I},"
        " s:{s:{s:I,s:I,s:I,s:I,s:f,s:f,s:f}, s:{s:I,s:f,s:f,s:f},"
        "    s:{s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:f}}}",
        "corpus", corpus_dir ? corpus_dir : "", "articles", (json_int_t)res->articles, "negatives",
        (json_int_t)res->negatives, "negatives_clean", (json_int_t)res->negatives_clean, "errors",
        (json_int_t)res->errors, "extraction", "primary", prf_json(&res->primary), "context",
        prf_json(&res->context), "overall", prf_json(&res->overall), "primary_pairs",
        (json_int_t)res->primary_pairs, "near_pairs", (json_int_t)res->near_pairs, "fields", fields,
        "miss_lines", (json_int_t)res->miss_lines, "resolution", "deals", "predicted", (json_int_t)res->pred_deals,
        "matched", (json_int_t)res->pred_deals_matched, "gold", (json_int_t)res->gold_deals, "found",
        (json_int_t)res->gold_deals_found, "precision", res->deal_p, "recall", res->deal_r, "f1", res->deal_f1,
        "bcubed", "items", (json_int_t)res->b3_items, "precision", res->b3_p, "recall", res->b3_r, "f1",
        res->b3_f1, "links", "predicted", (json_int_t)res->pred_links, "checked", (json_int_t)res->links_checked,
        "correct", (json_int_t)res->links_correct, "gold", (json_int_t)res->gold_links, "found",
        (json_int_t)res->gold_links_found, "precision", res->link_p, "recall", res->link_r, "f1", res->link_f1);
    if (!o) {
        errno = ENOMEM;
        return -1;
    }
    int rc = json_dump_file(o, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (rc && !errno)
        errno = EIO;
    return rc ? -1 : 0;
}

/* The command line as typed, from /proc (falls back to a reconstruction). */
static void command_line(const ds_config *cfg, const char *corpus, char *out, size_t cap)
{
    size_t n = 0;
    FILE *f = fopen("/proc/self/cmdline", "rb");
    if (f) {
        n = fread(out, 1, cap - 1, f);
        fclose(f);
        for (size_t i = 0; i + 1 < n; i++)
            if (out[i] == '\0')
                out[i] = ' ';
        out[n] = '\0';
    }
    if (n == 0)
        snprintf(out, cap, "dealstream eval%s%s", cfg->nargs ? " " : "", cfg->nargs ? corpus : "");
}

/* One line of the closing table: a split's deal, mention and field scores. */
static void print_summary_line(const char *name, const ds_eval_result *r)
{
    size_t fc = 0, ft = 0;
    for (int f = 0; f < DS_EF__COUNT; f++) {
        fc += r->fields[f].correct;
        ft += r->fields[f].total;
    }
    printf("  %-7s %4zu articles  deals P %.3f R %.3f F1 %.3f | primary F1 %.3f mentions F1 %.3f | fields %.3f"
           " | %zu miss lines%s\n",
           name, r->articles, r->deal_p, r->deal_r, r->deal_f1, r->primary.f1, r->overall.f1,
           ft ? (double)fc / (double)ft : 1.0, r->miss_lines, r->errors ? " (errors)" : "");
}

int ds_eval_main(ds_config *cfg, const char *corpus_dir, const char *blind_dir)
{
    if (cfg->nargs > 1) {
        fprintf(stderr, "dealstream eval: expected at most one CORPUS_DIR, got %d arguments\n", cfg->nargs);
        return 2;
    }
    if (cfg->nargs && cfg->eval_split) {
        fprintf(stderr, "dealstream eval: give a CORPUS_DIR or --split, not both\n");
        return 2;
    }
    /* the splits to score: the test split only when named */
    typedef struct { const char *name, *dir; int optional; } split;
    split splits[2];
    int nsplits = 0;
    const char *sp = cfg->eval_split;
    static char dev[4096], test[4096];
    snprintf(dev, sizeof dev, "%s/dev", blind_dir ? blind_dir : "");
    /* the held-out splits (test, holdout, holdout2, holdout3) are scored only when named */
    int held = sp && (strcmp(sp, "test") == 0 || strcmp(sp, "holdout") == 0 || strcmp(sp, "holdout2") == 0 ||
                      strcmp(sp, "holdout3") == 0);
    snprintf(test, sizeof test, "%s/%s", blind_dir ? blind_dir : "", held ? sp : "test");
    if (cfg->nargs)
        splits[nsplits++] = (split){"", cfg->args[0], 0};
    else if ((!sp || strcmp(sp, "corpus") == 0) && corpus_dir)
        splits[nsplits++] = (split){"corpus", corpus_dir, 0};
    if (!cfg->nargs && (!sp || strcmp(sp, "dev") == 0) && blind_dir)
        splits[nsplits++] = (split){"dev", dev, !sp};
    if (!cfg->nargs && held && blind_dir)
        splits[nsplits++] = (split){sp, test, 0};
    if (nsplits == 0) {
        fprintf(stderr, "dealstream eval: no %s corpus installed or in the build tree; give CORPUS_DIR\n",
                sp && strcmp(sp, "corpus") != 0 ? "blind" : "labelled");
        return 1;
    }
    char cmd[1024];
    command_line(cfg, cfg->nargs ? cfg->args[0] : "", cmd, sizeof cmd);
    printf("dealstream eval\ncommand: %s\n", cmd);
    ds_eval_result res[2];
    int rc = 0, ran[2] = {0, 0};
    for (int i = 0; i < nsplits; i++) {
        if (splits[i].optional && access(splits[i].dir, F_OK) != 0)
            continue; /* no blind corpus in this tree */
        if (nsplits > 1)
            printf("\n======== split %s ========\n", splits[i].name);
        rc |= ds_eval_run(splits[i].dir, cfg->catalog_dir, &res[i], stdout);
        ran[i] = 1;
    }
    if (nsplits > 1 && ran[1]) {
        printf("\n== Summary ==\n");
        for (int i = 0; i < nsplits; i++)
            if (ran[i])
                print_summary_line(splits[i].name, &res[i]);
    }
    fflush(stdout);
    const char *jpath = getenv("DS_EVAL_JSON");
    if (jpath && *jpath && ran[0]) {
        /* the first split's figures (the corpus, or the one named) */
        if (ds_eval_write_json(&res[0], splits[0].dir, jpath)) {
            fprintf(stderr, "dealstream eval: %s: %s\n", jpath, strerror(errno));
            rc = -1;
        }
    }
    return rc ? 1 : 0;
}
