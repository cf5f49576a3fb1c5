#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

typedef enum { OPT_STR, OPT_INT, OPT_FLAG } opt_type;

typedef struct opt {
    const char *flag;    /* long flag without "--" */
    char shortf;         /* short flag or 0 */
    const char *key;     /* properties key; env is derived from it */
    opt_type type;
    size_t offset;
    const char *def;     /* default, NULL for none */
    const char *choices; /* "a|b|c" or NULL */
    unsigned cmds;
    const char *help;
} opt;

#define O(f) offsetof(ds_config, f)

static const opt options[] = {
    {"brokers", 'b', "bootstrap.servers", OPT_STR, O(brokers), NULL, NULL, DS_CMD_KAFKA,
     "Kafka bootstrap servers (host:port,...)."},
    {"app-id", 0, "app.id", OPT_STR, O(app_id), "dealstream", NULL, DS_CMD_RUN | DS_CMD_DEMO | DS_CMD_REPLAY,
     "Application id: the default consumer group, and the prefix of internal topics."},
    {"group", 'G', "group.id", OPT_STR, O(group), NULL, NULL,
     DS_CMD_RUN | DS_CMD_CONSUME | DS_CMD_LAG | DS_CMD_OFFSETS | DS_CMD_REPLAY,
     "Consumer group id (run: defaults to the app id; consume, replay: none, no commits; lag, offsets: the group "
     "to inspect)."},
    {"articles-topic", 0, "topic.articles", OPT_STR, O(articles_topic), "articles", NULL,
     DS_CMD_RUN | DS_CMD_PRODUCE | DS_CMD_DEMO | DS_CMD_REPLAY, "Topic of ArticleEvent records."},
    {"deals-topic", 0, "topic.deals", OPT_STR, O(deals_topic), "deals", NULL,
     DS_CMD_RUN | DS_CMD_PRODUCE | DS_CMD_DEMO | DS_CMD_REPLAY, "Topic of DealEvent records."},
    {"canonical-topic", 0, "topic.canonical", OPT_STR, O(canonical_topic), "deals.canonical", NULL,
     DS_CMD_RUN | DS_CMD_DEMO | DS_CMD_REPLAY, "Output topic of CanonicalDeal records (compacted)."},
    {"topic", 't', "topic", OPT_STR, O(topic), NULL, NULL,
     DS_CMD_PRODUCE | DS_CMD_CONSUME | DS_CMD_LAG | DS_CMD_OFFSETS | DS_CMD_REPLAY,
     "Topic to read (consume) or write (produce; default by --type); lag, replay: T[,T2...] (replay: default the "
     "articles and deals topics); offsets reset: T[:P,P...]."},
    {"type", 0, "input.type", OPT_STR, O(input_type), "article", "article|deal|reference",
     DS_CMD_PRODUCE | DS_CMD_EXTRACT,
     "Record type of the input (reference: the rows of a reference.tsv, produce only, keyed by ref)."},
    {"format", 0, "input.format", OPT_STR, O(input_format), "auto", "auto|text|jsonl",
     DS_CMD_PRODUCE | DS_CMD_EXTRACT,
     "Input format: text (article file, 'date YYYY-MM-DD' first line), jsonl, or auto by extension."},
    {"offset", 'o', "consume.offset", OPT_STR, O(offset), "beginning", "beginning|end|stored",
     DS_CMD_CONSUME, "Where consume starts."},
    {"count", 'c', "consume.count", OPT_INT, O(count), "0", NULL, DS_CMD_CONSUME | DS_CMD_LAG,
     "Stop after this many messages (lag --watch: evaluations) (0: no limit)."},
    {"exit", 'e', "exit.at.end", OPT_FLAG, O(exit_at_end), NULL, NULL, DS_CMD_CONSUME | DS_CMD_RUN,
     "Exit once every assigned partition is read to its end (run: and all work is committed)."},
    {"catalog", 0, "catalog.dir", OPT_STR, O(catalog_dir), DS_DATA_DIR "/catalog", NULL,
     DS_CMD_RUN | DS_CMD_DEMO | DS_CMD_EXTRACT | DS_CMD_EVAL | DS_CMD_REPLAY | DS_CMD_PRODUCE,
     "Directory of the catalog (countries, companies, systems, rates, reference contracts)."},
    {"reference-topic", 0, "reference.topic", OPT_STR, O(reference_topic), NULL, NULL, DS_CMD_RUN | DS_CMD_REPLAY,
     "Read the reference table of known contracts from this compacted topic (key: ref, value: a reference.tsv "
     "row; publish one with produce --type reference) instead of the catalog's reference.tsv."},
    {"commit-interval-ms", 0, "commit.interval.ms", OPT_INT, O(commit_interval_ms), "100", NULL,
     DS_CMD_RUN | DS_CMD_DEMO, "Longest time a batch stays open before its outputs are flushed and offsets committed."},
    {"guarantee", 0, "processing.guarantee", OPT_STR, O(guarantee), "exactly-once", "exactly-once|at-least-once",
     DS_CMD_RUN | DS_CMD_DEMO,
     "exactly-once: outputs and consumed offsets commit in one Kafka transaction per batch; at-least-once: "
     "idempotent producer, offsets committed after delivery."},
    {"http-listen", 0, "http.listen", OPT_STR, O(http_listen), "127.0.0.1:9464", NULL, DS_CMD_RUN,
     "Address of the HTTP server of /metrics, /healthz and /readyz: HOST:PORT (HOST an IPv4 address, [IPv6], "
     "localhost, or empty for every interface; port 0: any free port, logged); off or empty: no server."},
    {"max-message-bytes", 0, "max.message.bytes", OPT_INT, O(max_message_bytes), "1048576", NULL,
     DS_CMD_RUN | DS_CMD_DEMO | DS_CMD_REPLAY, "Inputs larger than this are dead-lettered."},
    {"dedup-retention-days", 0, "dedup.retention.days", OPT_INT, O(dedup_retention_days), "30", NULL,
     DS_CMD_RUN | DS_CMD_REPLAY,
     "Event-time retention of seen-article fingerprints: a copy published later than this after the source it "
     "repeats is a new source (0: forever)."},
    {"partitions", 'p', "broker.partitions", OPT_INT, O(partitions), "4", NULL,
     DS_CMD_BROKER | DS_CMD_DEMO, "Partitions of each topic the embedded broker creates."},
    {"topic-partitions", 0, "topics.partitions", OPT_INT, O(topic_partitions), "0", NULL, DS_CMD_RUN,
     "Partitions of the topics run creates when they are missing (<app>-mentions, <app>-state, the canonical "
     "topic); 0: as many as the articles topic has."},
    {"replication-factor", 0, "topics.replication.factor", OPT_INT, O(replication_factor), "0", NULL, DS_CMD_RUN,
     "Replication factor of the topics run creates; 0: the broker's default.replication.factor."},
    {"schema-registry", 0, "schema.registry.url", OPT_STR, O(schema_registry_url), NULL, NULL,
     DS_CMD_PRODUCE | DS_CMD_CONSUME | DS_CMD_RUN | DS_CMD_REPLAY,
     "Schema registry URL (Confluent REST API). Set: produce registers its schema as <topic>-value and "
     "writes Confluent framing; consume, run and replay fetch unknown schema ids (run and replay hold a "
     "partition while the registry does not answer) and write canonical records with Confluent framing."},
    {"schema-registry-auth", 0, "schema.registry.basic.auth.user.info", OPT_STR, O(schema_registry_auth), NULL,
     NULL, DS_CMD_PRODUCE | DS_CMD_CONSUME | DS_CMD_RUN | DS_CMD_REPLAY, "user:password for the schema registry's HTTP basic auth."},
    {"schema-registry-ca", 0, "schema.registry.ssl.ca.location", OPT_STR, O(schema_registry_ca), NULL, NULL,
     DS_CMD_PRODUCE | DS_CMD_CONSUME | DS_CMD_RUN | DS_CMD_REPLAY, "CA bundle (PEM file) to verify an https schema registry."},
    {"log-level", 0, "log.level", OPT_STR, O(log_level), "info", "error|warn|info|debug", DS_CMD_ALL,
     "Log level."},
    {"log-format", 0, "log.format", OPT_STR, O(log_format), "text", "text|json", DS_CMD_ALL,
     "Log line format."},
    {"watch", 'w', "lag.watch.seconds", OPT_INT, O(lag_watch), "0", NULL, DS_CMD_LAG,
     "Evaluate every SECONDS until interrupted (or --count evaluations); 0: once."},
    {"window", 0, "lag.window", OPT_INT, O(lag_window), "5", NULL, DS_CMD_LAG,
     "Observations in the sliding window the lag status is judged over (2..64)."},
    {"json", 0, "lag.json", OPT_FLAG, O(json), NULL, NULL, DS_CMD_LAG,
     "Print one JSON object per evaluation instead of a table."},
    {"to-earliest", 0, NULL, OPT_FLAG, O(to_earliest), NULL, NULL, DS_CMD_OFFSETS, "Reset to the log start."},
    {"to-latest", 0, NULL, OPT_FLAG, O(to_latest), NULL, NULL, DS_CMD_OFFSETS, "Reset to the log end."},
    {"to-datetime", 0, NULL, OPT_STR, O(to_datetime), NULL, NULL, DS_CMD_OFFSETS,
     "Reset to the first offset at or after YYYY-MM-DDTHH:MM:SS[.sss][Z|+hh:mm] (UTC without a zone)."},
    {"to-offset", 0, NULL, OPT_STR, O(to_offset), NULL, NULL, DS_CMD_OFFSETS,
     "Reset to this offset (clamped to the log start and end)."},
    {"shift-by", 0, NULL, OPT_STR, O(shift_by), NULL, NULL, DS_CMD_OFFSETS,
     "Move the committed offset by N (negative: back), clamped to the log."},
    {"dry-run", 0, NULL, OPT_FLAG, O(dry_run), NULL, NULL, DS_CMD_OFFSETS | DS_CMD_REPLAY,
     "Print the plan (replay: the range per partition), change nothing."},
    {"from", 0, NULL, OPT_STR, O(from), "earliest", NULL, DS_CMD_REPLAY,
     "Where the range starts: earliest, committed (the --group's offsets), an offset N for every partition, "
     "[T:]P=N[,...] per partition (only those are replayed), a date-time YYYY-MM-DDTHH:MM:SS[Z|+hh:mm], or a "
     "duration ago (90s, 30m, 6h, 2d)."},
    {"to", 0, NULL, OPT_STR, O(to), "latest", NULL, DS_CMD_REPLAY,
     "Where the range ends (exclusive): latest (the log end when replay starts), an offset N, [T:]P=N[,...], a "
     "date-time, or a duration ago."},
    {"output-topic", 0, NULL, OPT_STR, O(output_topic), NULL, NULL, DS_CMD_REPLAY,
     "Write canonical records here instead of the canonical topic."},
    {"fresh-state", 0, NULL, OPT_FLAG, O(fresh_state), NULL, NULL, DS_CMD_REPLAY,
     "Start from empty state instead of the processor's state (<app>-state): every deal of the range is "
     "written, as the processor would write it from scratch."},
    {"progress", 0, "replay.progress.seconds", OPT_INT, O(progress_seconds), "5", NULL, DS_CMD_REPLAY,
     "Seconds between progress lines when stderr is not a terminal (a terminal gets a live bar); 0: none."},
    {"execute", 0, NULL, OPT_FLAG, O(execute), NULL, NULL, DS_CMD_OFFSETS, "Commit the new offsets for the group."},
    {"force", 0, NULL, OPT_FLAG, O(force), NULL, NULL, DS_CMD_OFFSETS,
     "Execute even when the broker cannot tell whether the group has members (never when it has)."},
    {"help", 'h', NULL, OPT_FLAG, O(help), NULL, NULL, DS_CMD_ALL, "Show this help."},
};
#define NOPTIONS (sizeof options / sizeof options[0])

static void errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void env_name(const opt *o, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "DEALSTREAM_");
    for (const char *k = o->key; *k && n + 1 < cap; k++)
        out[n++] = *k == '.' ? '_' : (char)toupper((unsigned char)*k);
    out[n] = '\0';
}

static int set_opt(ds_config *cfg, const opt *o, const char *val, const char *where, char *err,
                   size_t errlen)
{
    char *field = (char *)cfg + o->offset;
    if (o->choices) {
        size_t vl = strlen(val);
        const char *c = o->choices;
        int ok = 0;
        while (*c) {
            const char *bar = strchr(c, '|');
            size_t cl = bar ? (size_t)(bar - c) : strlen(c);
            if (cl == vl && strncmp(c, val, vl) == 0)
                ok = 1;
            c += cl + (bar != NULL);
        }
        if (!ok) {
            errf(err, errlen, "%s: invalid value '%s' for %s (expected %s)", where, val, o->key ? o->key : o->flag,
                 o->choices);
            return -1;
        }
    }
    switch (o->type) {
    case OPT_STR: {
        char **s = (char **)(void *)field;
        char *dup = strdup(val);
        if (!dup) {
            errf(err, errlen, "out of memory");
            return -1;
        }
        free(*s);
        *s = dup;
        return 0;
    }
    case OPT_INT: {
        char *end;
        errno = 0;
        long v = strtol(val, &end, 10);
        if (errno || end == val || *end || v < 0) {
            errf(err, errlen, "%s: '%s' is not a non-negative integer (%s)", where, val, o->key ? o->key : o->flag);
            return -1;
        }
        *(long *)(void *)field = v;
        return 0;
    }
    case OPT_FLAG: {
        int on = strcmp(val, "true") == 0 || strcmp(val, "1") == 0 || strcmp(val, "yes") == 0;
        int off = strcmp(val, "false") == 0 || strcmp(val, "0") == 0 || strcmp(val, "no") == 0;
        if (!on && !off) {
            errf(err, errlen, "%s: '%s' is not a boolean (%s)", where, val, o->key ? o->key : o->flag);
            return -1;
        }
        *(int *)(void *)field = on;
        return 0;
    }
    }
    return -1;
}

int ds_config_set_rdkafka(ds_config *cfg, const char *key, const char *value)
{
    for (size_t i = 0; i < cfg->nrdkafka; i++)
        if (strcmp(cfg->rdkafka[i].key, key) == 0) {
            char *v = strdup(value);
            if (!v)
                return -1;
            free(cfg->rdkafka[i].value);
            cfg->rdkafka[i].value = v;
            return 0;
        }
    ds_kv *kv = realloc(cfg->rdkafka, (cfg->nrdkafka + 1) * sizeof *kv);
    if (!kv)
        return -1;
    cfg->rdkafka = kv;
    kv[cfg->nrdkafka].key = strdup(key);
    kv[cfg->nrdkafka].value = strdup(value);
    if (!kv[cfg->nrdkafka].key || !kv[cfg->nrdkafka].value) {
        free(kv[cfg->nrdkafka].key);
        free(kv[cfg->nrdkafka].value);
        return -1;
    }
    cfg->nrdkafka++;
    return 0;
}

static const opt *find_key(const char *key)
{
    for (size_t i = 0; i < NOPTIONS; i++)
        if (options[i].key && strcmp(options[i].key, key) == 0)
            return &options[i];
    return NULL;
}

/* Applies one key=value from a file or -X: ours go to the table, the rest to
 * librdkafka. bootstrap.servers is both. */
static int apply_kv(ds_config *cfg, unsigned cmd, const char *key, const char *val, const char *where,
                    char *err, size_t errlen)
{
    const opt *o = find_key(key);
    if (o && (o->cmds & cmd))
        return set_opt(cfg, o, val, where, err, errlen);
    if (o && strcmp(key, "group.id") != 0)
        return 0; /* an option of another command: harmless in a shared file */
    if (ds_config_set_rdkafka(cfg, key, val)) {
        errf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int load_properties(ds_config *cfg, unsigned cmd, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        errf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[4096];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#' || *s == '!')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            errf(err, errlen, "%s:%d: expected key=value", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        char where[512];
        snprintf(where, sizeof where, "%s:%d", path, lineno);
        rc = apply_kv(cfg, cmd, trim(s), trim(eq + 1), where, err, errlen);
    }
    fclose(f);
    return rc;
}

static const opt *find_long(const char *name)
{
    for (size_t i = 0; i < NOPTIONS; i++)
        if (strcmp(options[i].flag, name) == 0)
            return &options[i];
    return NULL;
}

static const opt *find_short(char shortf)
{
    for (size_t i = 0; i < NOPTIONS; i++)
        if (options[i].shortf == shortf)
            return &options[i];
    return NULL;
}

int ds_config_parse(ds_config *cfg, unsigned cmd, int argc, char **argv, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->args = calloc((size_t)argc + 1, sizeof *cfg->args);
    if (!cfg->args) {
        errf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < NOPTIONS; i++)
        if (options[i].def && set_opt(cfg, &options[i], options[i].def, "default", err, errlen))
            return -1;

    /* Properties files first, then the environment, then flags. */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "-F") == 0 || strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc) {
                errf(err, errlen, "%s needs a file name", argv[i]);
                return -1;
            }
            if (load_properties(cfg, cmd, argv[++i], err, errlen))
                return -1;
        }
    }
    for (size_t i = 0; i < NOPTIONS; i++) {
        if (!options[i].key || !(options[i].cmds & cmd))
            continue;
        char name[128];
        env_name(&options[i], name, sizeof name);
        const char *v = getenv(name);
        if (v && set_opt(cfg, &options[i], v, name, err, errlen))
            return -1;
    }

    int only_args = 0;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (only_args || a[0] != '-' || a[1] == '\0') {
            cfg->args[cfg->nargs++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_args = 1;
            continue;
        }
        if (strcmp(a, "-F") == 0 || strcmp(a, "--config") == 0) {
            i++;
            continue;
        }
        if (strcmp(a, "-X") == 0) {
            if (i + 1 >= argc) {
                errf(err, errlen, "-X needs key=value");
                return -1;
            }
            char *kv = argv[++i];
            if (strcmp(kv, "list") == 0 || strcmp(kv, "dump") == 0) {
                *(kv[0] == 'l' ? &cfg->xlist : &cfg->xdump) = 1;
                continue;
            }
            char *eq = strchr(kv, '=');
            if (!eq || eq == kv) {
                errf(err, errlen, "-X %s: expected key=value", kv);
                return -1;
            }
            char key[256];
            size_t kl = (size_t)(eq - kv) < sizeof key - 1 ? (size_t)(eq - kv) : sizeof key - 1;
            memcpy(key, kv, kl);
            key[kl] = '\0';
            if (apply_kv(cfg, cmd, key, eq + 1, "-X", err, errlen))
                return -1;
            continue;
        }
        const opt *o;
        const char *val = NULL;
        char flagname[128];
        if (a[1] == '-') {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t nl = eq ? (size_t)(eq - name) : strlen(name);
            if (nl >= sizeof flagname)
                nl = sizeof flagname - 1;
            memcpy(flagname, name, nl);
            flagname[nl] = '\0';
            o = find_long(flagname);
            if (eq)
                val = eq + 1;
        } else {
            if (a[2] != '\0') {
                errf(err, errlen, "unknown option '%s' (try --help)", a);
                return -1;
            }
            o = find_short(a[1]);
        }
        if (!o || !(o->cmds & cmd)) {
            errf(err, errlen, "unknown option '%s' (try --help)", a);
            return -1;
        }
        if (o->type == OPT_FLAG) {
            if (set_opt(cfg, o, val ? val : "true", a, err, errlen))
                return -1;
            continue;
        }
        if (!val) {
            if (i + 1 >= argc) {
                errf(err, errlen, "option '%s' needs a value", a);
                return -1;
            }
            val = argv[++i];
        }
        if (set_opt(cfg, o, val, a, err, errlen))
            return -1;
    }
    if (cfg->brokers && ds_config_set_rdkafka(cfg, "bootstrap.servers", cfg->brokers)) {
        errf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

void ds_config_free(ds_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < NOPTIONS; i++)
        if (options[i].type == OPT_STR) {
            char **s = (char **)(void *)((char *)cfg + options[i].offset);
            free(*s);
            *s = NULL;
        }
    for (size_t i = 0; i < cfg->nrdkafka; i++) {
        free(cfg->rdkafka[i].key);
        free(cfg->rdkafka[i].value);
    }
    free(cfg->rdkafka);
    free(cfg->args);
    memset(cfg, 0, sizeof *cfg);
}

void ds_config_usage(FILE *out, unsigned cmd)
{
    fprintf(out, "Options:\n");
    for (size_t i = 0; i < NOPTIONS; i++) {
        const opt *o = &options[i];
        if (!(o->cmds & cmd))
            continue;
        char left[96];
        int n = 0;
        if (o->shortf)
            n = snprintf(left, sizeof left, "  -%c, --%s", o->shortf, o->flag);
        else
            n = snprintf(left, sizeof left, "      --%s", o->flag);
        if (o->type != OPT_STR && o->type != OPT_INT)
            ;
        else if (n > 0 && (size_t)n < sizeof left)
            snprintf(left + n, sizeof left - (size_t)n, " %s", o->choices ? o->choices : o->type == OPT_INT ? "N" : "VALUE");
        fprintf(out, "%-40s %s", left, o->help);
        if (o->def)
            fprintf(out, " [default: %s]", o->def);
        fputc('\n', out);
    }
    if (cmd & DS_CMD_KAFKA) {
        fprintf(out, "%-40s %s\n", "  -X key=value", "librdkafka property (or a dealstream key), as in kcat.");
        fprintf(out, "%-40s %s\n", "  -X list", "List librdkafka's configuration properties and exit.");
        fprintf(out, "%-40s %s\n", "  -X dump", "Print the effective configuration (secrets masked) and exit.");
        fprintf(out, "%-40s %s\n", "  -F, --config FILE", "Properties file: dealstream keys and librdkafka properties.");
    }
    fprintf(out, "\nEvery option is also read from DEALSTREAM_<KEY> (key upper-cased, dots as '_').\n");
}

void ds_config_reference(FILE *out)
{
    fprintf(out, "| flag | environment | properties key | default | description |\n");
    fprintf(out, "|---|---|---|---|---|\n");
    for (size_t i = 0; i < NOPTIONS; i++) {
        const opt *o = &options[i];
        if (!o->key)
            continue;
        char env[128];
        env_name(o, env, sizeof env);
        fprintf(out, "| `--%s` | `%s` | `%s` | %s | %s |\n", o->flag, env, o->key, o->def ? o->def : "", o->help);
    }
}

int ds_config_is_secret(const char *key)
{
    static const char *const marks[] = {"password", "secret", "sasl.oauthbearer", "ssl.key", "token",
                                        "basic.auth"};
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
        if (strstr(key, marks[i]))
            return 1;
    return 0;
}

void ds_config_dump(FILE *out, const ds_config *cfg, unsigned cmd)
{
    fprintf(out, "# dealstream options\n");
    for (size_t i = 0; i < NOPTIONS; i++) {
        const opt *o = &options[i];
        if (!o->key || !(o->cmds & cmd))
            continue;
        const char *field = (const char *)cfg + o->offset;
        char num[32];
        const char *v = "";
        switch (o->type) {
        case OPT_STR:
            v = *(char *const *)(const void *)field;
            break;
        case OPT_INT:
            snprintf(num, sizeof num, "%ld", *(const long *)(const void *)field);
            v = num;
            break;
        case OPT_FLAG:
            v = *(const int *)(const void *)field ? "true" : "false";
            break;
        }
        fprintf(out, "%s = %s\n", o->key, v && *v && ds_config_is_secret(o->key) ? "****" : v ? v : "");
    }
}
