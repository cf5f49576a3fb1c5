/* `dealstream demo`: embedded broker, sample articles, processor, table; and
 * the table and the canonical topic's reader the end-to-end tests share.
 * May call broker/, consumer/ (consume, run), common/. */
#include "demo.h"

#include <glob.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "commands.h"
#include "consume.h"
#include "log.h"
#include "paths.h"
#include "run.h"
#include "util.h"

static int collect(void *opaque, json_t *rec, const rd_kafka_message_t *rkm)
{
    (void)rkm;
    json_t *all = opaque;
    const char *id = json_string_value(json_object_get(rec, "deal_id"));
    if (!id)
        return 0;
    json_t *old = json_object_get(all, id);
    json_int_t rev = json_integer_value(json_object_get(rec, "revision"));
    if (!old || json_integer_value(json_object_get(old, "revision")) < rev)
        json_object_set(all, id, rec);
    return 0;
}

json_t *ds_demo_canonical(const char *brokers, const char *topic, char *err, size_t errlen)
{
    ds_config cfg;
    char *argv[] = {"consume", "-b", (char *)brokers, "-t", (char *)topic, "-e", "-q", NULL};
    if (ds_config_parse(&cfg, DS_CMD_CONSUME, 7, argv, err, errlen)) {
        ds_config_free(&cfg);
        return NULL;
    }
    json_t *all = json_object();
    int rc = ds_consume(&cfg, collect, all, err, errlen);
    ds_config_free(&cfg);
    if (rc) {
        json_decref(all);
        return NULL;
    }
    /* drop retired ids */
    const char *key;
    json_t *v, *tmp;
    json_object_foreach_safe(all, tmp, key, v) {
        if (!json_is_null(json_object_get(v, "retired_into")))
            json_object_del(all, key);
    }
    return all;
}

static int cmp_deal(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    const char *fields[] = {"buyer", "family", "signing_date", "deal_id"};
    for (int i = 0; i < 4; i++) {
        const char *s = json_string_value(json_object_get(x, fields[i]));
        const char *t = json_string_value(json_object_get(y, fields[i]));
        int c = strcmp(s ? s : "", t ? t : "");
        if (c)
            return c;
    }
    return 0;
}

static const char *str_or(json_t *o, const char *k, const char *def)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : def;
}

/* "180+81": the quantity and the extra items' quantities; "-" when none. */
static void deal_quantity(json_t *d, char *out, size_t cap)
{
    snprintf(out, cap, "-");
    json_t *q = json_object_get(d, "quantity");
    if (!json_is_integer(q))
        return;
    int len = snprintf(out, cap, "%lld", (long long)json_integer_value(q));
    json_t *ex;
    size_t k;
    json_array_foreach(json_object_get(d, "extras"), k, ex) if (len > 0 && (size_t)len < cap) len +=
        snprintf(out + len, cap - (size_t)len, "+%lld", (long long)json_integer_value(json_object_get(ex, "quantity")));
}

/* "$6.50B" from the value in USD; "-" when none. */
static void deal_value(json_t *d, char *out, size_t cap)
{
    const char *usd = json_string_value(json_object_get(json_object_get(d, "value"), "usd"));
    if (usd)
        snprintf(out, cap, "$%.2fB", atof(usd) / 1e9);
    else
        snprintf(out, cap, "-");
}

/* The signing date, else the signing year, else "-". */
static void deal_signed(json_t *d, char *out, size_t cap)
{
    const char *sd = str_or(d, "signing_date", NULL);
    json_t *sy = json_object_get(d, "signing_year");
    if (sd)
        snprintf(out, cap, "%s", sd);
    else if (json_is_integer(sy))
        snprintf(out, cap, "%lld", (long long)json_integer_value(sy));
    else
        snprintf(out, cap, "-");
}

/* The deal a link points at: the canonical deal with that id, else one
 * whose sources name the target or its reference-table ref. NULL when the
 * deals read hold neither. */
static json_t *link_target(json_t *deals, json_t *link)
{
    const char *target = str_or(link, "target", NULL), *ref = str_or(link, "target_ref", NULL);
    json_t *d = target ? json_object_get(deals, target) : NULL;
    if (d)
        return d;
    const char *key;
    json_t *v, *src;
    size_t k;
    json_object_foreach(deals, key, v) json_array_foreach(json_object_get(v, "sources"), k, src)
    {
        const char *id = str_or(src, "id", "");
        if ((target && strcmp(id, target) == 0) || (ref && strcmp(id, ref) == 0))
            return v;
    }
    return NULL;
}

/* The words of a table of (symbol, words) pairs for key; key itself when
 * the table has none. */
static const char *words_for(const char *const (*table)[2], size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(key, table[i][0]) == 0)
            return table[i][1];
    return key;
}

static const char *const relation_table[][2] = {{"executes_framework", "executes"},
                                                {"next_batch", "next batch of"},
                                                {"option_exercise", "option under"},
                                                {"enabled_by_jv", "enabled by"}};
static const char *const stage_table[][2] = {{"executive", "executive contract"},
                                             {"framework", "framework agreement"},
                                             {"joint_venture", "joint venture"},
                                             {"loa", "letter of acceptance"}};

/* How a link line names a relation ("next batch of") and a stage
 * ("executive contract"). */
#define relation_words(rel) words_for(relation_table, sizeof relation_table / sizeof relation_table[0], rel)
#define stage_words(stage) words_for(stage_table, sizeof stage_table / sizeof stage_table[0], stage)

/* A reference-table row in the words of a link line: "2022-08-26
 * executive contract, 180 K2, $3.37B, as the reference table has it". */
static void describe_ref(const ds_refdeal *ref, char *out, size_t cap)
{
    char when[16] = "-", qty[32] = "-", val[32] = "-";
    if (ref->signed_date >= 0) {
        int y, m, d;
        ds_civil_from_days(ref->signed_date, &y, &m, &d);
        snprintf(when, sizeof when, "%04d-%02d-%02d", y % 10000, m % 100, d % 100);
    }
    if (ref->quantity >= 0)
        snprintf(qty, sizeof qty, "%ld", ref->quantity);
    if (ref->value_usd >= 0)
        snprintf(val, sizeof val, "$%.2fB", ref->value_usd / 1e9);
    snprintf(out, cap, "%s %s, %s %s, %s, as the reference table has it", when,
             stage_words(ref->stage ? ref->stage : "-"), qty, ref->family ? ref->family : "-", val);
}

/* "link: next batch of 2022-08-26 executive contract, 180 K2GF, $3.37B
 * (deal c893..., PL-K2-E1; via state: batch 2 follows batch 1, ...)". A
 * parent that is not among the deals read but is a row of cat's reference
 * table is described from the row. */
static void print_link(FILE *out, json_t *deals, const ds_catalog *cat, json_t *link)
{
    const char *ref = str_or(link, "target_ref", NULL);
    char what[160];
    json_t *t = link_target(deals, link);
    if (t) {
        char when[16], qty[64], val[32];
        deal_signed(t, when, sizeof when);
        deal_quantity(t, qty, sizeof qty);
        deal_value(t, val, sizeof val);
        snprintf(what, sizeof what, "%s %s, %s %s, %s", when, stage_words(str_or(t, "stage", "-")), qty,
                 str_or(t, "system", str_or(t, "family", "-")), val);
    } else {
        const char *refname = ref ? ref : str_or(link, "target", NULL); /* older records name rows */
        const ds_refdeal *row = cat && refname ? ds_catalog_ref(cat, refname) : NULL;
        if (row)
            describe_ref(row, what, sizeof what);
        else
            snprintf(what, sizeof what, "a deal not among the canonical deals read");
    }
    fprintf(out, "%16s link: %s %s (deal %s%s%s; via %s", "", relation_words(str_or(link, "relation", "?")), what,
            str_or(link, "target", "?"), ref ? ", " : "", ref ? ref : "", str_or(link, "via", "?"));
    const char *basis = str_or(link, "basis", NULL);
    if (basis)
        fprintf(out, ": %s", basis);
    fprintf(out, ")\n");
}

void ds_demo_print(FILE *out, json_t *deals) { ds_demo_print_with(out, deals, NULL); }

void ds_demo_print_with(FILE *out, json_t *deals, const ds_catalog *cat)
{
    size_t n = json_object_size(deals), i = 0;
    json_t **arr = calloc(n ? n : 1, sizeof *arr);
    const char *key;
    json_t *v;
    json_object_foreach(deals, key, v) arr[i++] = v;
    qsort(arr, n, sizeof *arr, cmp_deal);
    fprintf(out, "%-16s %-8s %-13s %-9s %-10s %-9s %-13s %-9s %-10s %s\n", "DEAL", "PARTIES", "SUPPLIER", "SYSTEM",
            "QUANTITY", "VALUE_USD", "STAGE", "STATUS", "SIGNED", "PLACE");
    for (i = 0; i < n; i++) {
        json_t *d = arr[i];
        char qty[64], val[32], who[32], when[16];
        deal_quantity(d, qty, sizeof qty);
        deal_value(d, val, sizeof val);
        deal_signed(d, when, sizeof when);
        json_t *sup = json_array_get(json_object_get(d, "suppliers"), 0);
        snprintf(who, sizeof who, "%s<-%s", str_or(d, "buyer", "?"), str_or(d, "seller", "?"));
        fprintf(out, "%-16s %-8s %-13.13s %-9s %-10s %-9s %-13s %-9s %-10s %s\n", str_or(d, "deal_id", "?"), who,
                sup ? str_or(sup, "company", "-") : "-", str_or(d, "system", str_or(d, "family", "-")), qty, val,
                str_or(d, "stage", "-"), str_or(d, "status", "-"), when, str_or(d, "place", "-"));
        json_t *src;
        size_t k;
        fprintf(out, "%16s sources:", "");
        json_array_foreach(json_object_get(d, "sources"), k, src)
            fprintf(out, " %s%s%s", str_or(src, "id", "?"),
                    json_is_null(json_object_get(src, "duplicate_of")) ? "" : " (copy)",
                    strcmp(str_or(src, "kind", ""), "reference") == 0 ? " (reference table)" : "");
        if (json_is_true(json_object_get(d, "truncated")))
            fprintf(out, " ... (%lld in all)", (long long)json_integer_value(json_object_get(d, "sources_total")));
        fputc('\n', out);
        const char *basis = str_or(d, "value_basis", NULL);
        if (basis)
            fprintf(out, "%16s value: %s\n", "", basis);
        json_t *dl = json_object_get(d, "delivered");
        if (json_is_integer(dl))
            fprintf(out, "%16s delivered: %lld\n", "", (long long)json_integer_value(dl));
        json_t *link;
        json_array_foreach(json_object_get(d, "links"), k, link) print_link(out, deals, cat, link);
    }
    free(arr);
}

/* The article files to publish: the arguments, else the installed (or
 * build tree's) samples found through *g, which the caller frees with
 * globfree when gl_pathv is set. Returns the count, or -1 after saying why. */
static int demo_files(const ds_config *cfg, glob_t *g, char ***files)
{
    *files = cfg->args;
    if (cfg->nargs > 0)
        return cfg->nargs;
    char dir[4096], pattern[4200];
    if (ds_data_path("samples", dir, sizeof dir)) {
        fprintf(stderr, "dealstream demo: no sample articles installed or in the build tree (looked in %s); "
                        "give article files as arguments\n",
                dir);
        return -1;
    }
    snprintf(pattern, sizeof pattern, "%s/*.txt", dir);
    if (glob(pattern, 0, NULL, g) || g->gl_pathc == 0) {
        fprintf(stderr, "dealstream demo: no sample articles (*.txt) in %s\n", dir);
        return -1;
    }
    *files = g->gl_pathv;
    return (int)g->gl_pathc;
}

/* Step 1: publishes the files to the articles topic through `produce`.
 * Returns 0, or non-zero after saying so. */
static int demo_publish(const ds_config *cfg, const char *bs, char **files, int nfiles)
{
    char err[1024];
    char **pargv = calloc((size_t)nfiles + 8, sizeof *pargv);
    int pargc = 0;
    pargv[pargc++] = "produce";
    pargv[pargc++] = "-b";
    pargv[pargc++] = (char *)bs;
    pargv[pargc++] = "--log-level";
    pargv[pargc++] = cfg->log_level;
    for (int i = 0; i < nfiles; i++)
        pargv[pargc++] = files[i];
    ds_config pcfg;
    printf("== publishing %d article(s) to %s\n", nfiles, cfg->articles_topic);
    fflush(stdout);
    int prc = ds_config_parse(&pcfg, DS_CMD_PRODUCE, pargc, pargv, err, sizeof err) ? 2 : ds_cmd_produce(&pcfg);
    ds_config_free(&pcfg);
    free(pargv);
    if (prc)
        fprintf(stderr, "dealstream demo: publishing failed\n");
    return prc;
}

/* Step 2: runs the processor with -e until it has consumed everything,
 * its statistics in *st. Returns 0, or non-zero after saying why. */
static int demo_run(const ds_config *cfg, const char *bs, ds_run_stats *st)
{
    char err[1024], interval[32];
    snprintf(interval, sizeof interval, "%ld", cfg->commit_interval_ms);
    char *rargv[] = {"run", "-b", (char *)bs, "-e", "--app-id", cfg->app_id, "--catalog", cfg->catalog_dir,
                     "--articles-topic", cfg->articles_topic, "--deals-topic", cfg->deals_topic,
                     "--canonical-topic", cfg->canonical_topic, "--commit-interval-ms", interval,
                     "--log-level", cfg->log_level, "--http-listen", "off", NULL};
    ds_config rcfg;
    printf("== running the processor until it is idle\n");
    fflush(stdout);
    if (ds_config_parse(&rcfg, DS_CMD_RUN, 20, rargv, err, sizeof err)) {
        fprintf(stderr, "dealstream demo: %s\n", err);
        ds_config_free(&rcfg);
        return 1;
    }
    int rrc = ds_run(&rcfg, st);
    ds_config_free(&rcfg);
    return rrc;
}

/* Step 3: prints what landed on the canonical topic. Returns 0, or -1
 * after saying why. */
static int demo_report(const ds_config *cfg, const char *bs, const ds_run_stats *st)
{
    char err[1024];
    json_t *deals = ds_demo_canonical(bs, cfg->canonical_topic, err, sizeof err);
    if (!deals) {
        fprintf(stderr, "dealstream demo: %s\n", err);
        return -1;
    }
    printf("== %zu canonical deal(s) on %s (from %llu articles, %llu mentions, %llu records published)\n\n",
           json_object_size(deals), cfg->canonical_topic, (unsigned long long)st->consumed,
           (unsigned long long)st->mentions, (unsigned long long)st->produced);
    /* the reference table describes parents that are not published */
    ds_catalog *cat = ds_catalog_load(cfg->catalog_dir, err, sizeof err);
    ds_demo_print_with(stdout, deals, cat);
    ds_catalog_destroy(cat);
    json_decref(deals);
    return 0;
}

int ds_cmd_demo(ds_config *cfg)
{
    char err[1024];
    int rc = 1;
    ds_broker *broker = ds_broker_new(1, cfg->partitions > 0 ? (int)cfg->partitions : 4,
                                      ds_broker_default_topics(cfg->app_id), err, sizeof err);
    if (!broker) {
        fprintf(stderr, "dealstream demo: %s\n", err);
        return 1;
    }
    const char *bs = ds_broker_bootstraps(broker);
    printf("== embedded broker on %s\n", bs);
    glob_t g = {0};
    char **files;
    ds_run_stats st;
    int nfiles = demo_files(cfg, &g, &files);
    if (nfiles >= 0 && demo_publish(cfg, bs, files, nfiles) == 0 && demo_run(cfg, bs, &st) == 0 &&
        demo_report(cfg, bs, &st) == 0)
        rc = 0;
    if (g.gl_pathv)
        globfree(&g);
    ds_broker_destroy(broker);
    return rc;
}
