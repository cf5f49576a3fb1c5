/* config.c: the option table, command-line and -F/-X parsing, help text (see
 * config.h). May call only common/. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"
#include "util.h"

typedef enum { OPT_STR, OPT_INT, OPT_FLAG } opt_type;

/* A description of an option for some of its commands. */
typedef struct opt_help {
    unsigned cmds;
    const char *text;
} opt_help;

typedef struct opt {
    const char *flag;    /* long flag without "--" */
    char shortf;         /* short flag or 0 */
    const char *key;     /* properties key; env is derived from it; NULL: a flag only */
    opt_type type;
    size_t offset;
    const char *def;     /* default, NULL for none */
    const char *choices; /* "a|b|c" or NULL */
    unsigned cmds;
    const char *help;    /* for the commands per does not name */
    opt_help per[5];     /* descriptions of their own for some commands; first match wins */
    const char *metavar; /* what --help shows after the flag; NULL: the choices, N or VALUE */
    const char *data;    /* default: this directory of the shipped data (paths.h) */
    int multi;           /* a repeated flag appends ",value" instead of replacing */
} opt;

#define O(f) offsetof(ds_config, f)
#define REGISTRY_CMDS (DS_CMD_PRODUCE | DS_CMD_CONSUME | DS_CMD_RUN | DS_CMD_REPLAY)

/* Options applying to several commands share one row; where a command uses
 * one differently, per gives that command's own description. Two rows may
 * share a flag when their commands differ (-p: consume, broker). */
static const opt options[] = {
    {"brokers", 'b', "bootstrap.servers", OPT_STR, O(brokers), NULL, NULL, DS_CMD_KAFKA,
     "Kafka bootstrap servers.", .metavar = "HOST:PORT[,...]"},
    {"app-id", 0, "app.id", OPT_STR, O(app_id), "dealstream", NULL, DS_CMD_RUN | DS_CMD_DEMO | DS_CMD_REPLAY,
     "Application id: the consumer group (unless --group), the prefix of the internal topics (<app>-mentions, "
     "<app>-state) and of each client's client.id (<app>-<host>-<pid>).",
     .per = {{DS_CMD_DEMO, "Application id of the demo's processor (and of its internal topics)."},
             {DS_CMD_REPLAY, "Application id of the processor whose state (<app>-state) replay starts from."}},
     .metavar = "ID"},
    {"group", 'G', "group.id", OPT_STR, O(group), NULL, NULL,
     DS_CMD_RUN | DS_CMD_CONSUME | DS_CMD_LAG | DS_CMD_OFFSETS | DS_CMD_REPLAY, "Consumer group (default: the app id).",
     .per = {{DS_CMD_CONSUME, "Start at this group's committed offsets (-o stored is then the default) without "
                              "joining the group; nothing is committed unless --commit."},
             {DS_CMD_LAG, "The group to report (--prometheus without it: every group the broker lists)."},
             {DS_CMD_OFFSETS, "The group whose committed offsets are reset."},
             {DS_CMD_REPLAY, "Commit the offsets of the range read so far for this group, so that --from committed "
                             "resumes (none: nothing is committed); not the processor's own group (its app id)."}},
     .metavar = "GROUP"},
    {"articles-topic", 0, "topic.articles", OPT_STR, O(articles_topic), "articles", NULL,
     DS_CMD_RUN | DS_CMD_PRODUCE | DS_CMD_DEMO | DS_CMD_REPLAY, "Topic of ArticleEvent records.", .metavar = "TOPIC"},
    {"deals-topic", 0, "topic.deals", OPT_STR, O(deals_topic), "deals", NULL,
     DS_CMD_RUN | DS_CMD_PRODUCE | DS_CMD_DEMO | DS_CMD_REPLAY, "Topic of DealEvent records.", .metavar = "TOPIC"},
    {"canonical-topic", 0, "topic.canonical", OPT_STR, O(canonical_topic), "deals.canonical", NULL,
     DS_CMD_RUN | DS_CMD_DEMO | DS_CMD_REPLAY, "Output topic of CanonicalDeal records (compacted).",
     .metavar = "TOPIC"},
    {"topic", 't', "topic", OPT_STR, O(topic), NULL, NULL,
     DS_CMD_PRODUCE | DS_CMD_CONSUME | DS_CMD_LAG | DS_CMD_OFFSETS | DS_CMD_REPLAY, "Topic to read.",
     .per = {{DS_CMD_PRODUCE, "Topic to write (default: --articles-topic or --deals-topic, by --type)."},
             {DS_CMD_LAG, "Topics to report, T[,T2...] (default: every topic the group has committed offsets for)."},
             {DS_CMD_OFFSETS, "Scope of the reset: one topic T, or some of its partitions T:P[,P...]."},
             {DS_CMD_REPLAY, "Input topics to replay, T[,T2...] (default: the articles and deals topics)."}},
     .metavar = "TOPIC"},
    {"type", 0, "input.type", OPT_STR, O(input_type), "article", "article|deal|reference",
     DS_CMD_PRODUCE | DS_CMD_EXTRACT, "Record type of the input (reference: produce only).",
     .per = {{DS_CMD_PRODUCE, "Record type of the input; reference: the rows of a reference.tsv, keyed by ref."},
             {DS_CMD_EXTRACT, "Record type of the input: articles, or deal events (JSON lines)."}}},
    {"format", 0, "input.format", OPT_STR, O(input_format), "auto", "auto|text|jsonl",
     DS_CMD_PRODUCE | DS_CMD_EXTRACT,
     "Input format: text (article file, 'date YYYY-MM-DD' first line), jsonl, or auto by extension."},
    {"offset", 'o', "consume.offset", OPT_STR, O(offset), NULL, NULL, DS_CMD_CONSUME,
     "Where to start, as kcat: beginning, end, stored (the -G group's committed offsets), N (an offset), -N (N "
     "before the end), s@MS (the first message at or after MS ms since the epoch); e@MS stops each partition "
     "before its first message at or after MS (give -o twice: -o s@A -o e@B). Default: beginning, or stored with -G.",
     .metavar = "OFFSET", .multi = 1},
    {"partition", 'p', "consume.partition", OPT_STR, O(partition), NULL, NULL, DS_CMD_CONSUME,
     "Read only these partitions (default: every partition).", .metavar = "P[,P...]"},
    {"count", 'c', "consume.count", OPT_INT, O(count), "0", NULL, DS_CMD_CONSUME | DS_CMD_LAG,
     "Exit after N messages (0: no limit).",
     .per = {{DS_CMD_LAG, "With --watch: exit after N evaluations (0: no limit)."}}},
    {"exit", 'e', "exit.at.end", OPT_FLAG, O(exit_at_end), NULL, NULL, DS_CMD_CONSUME | DS_CMD_RUN,
     "Exit once every partition read is at its end (each partition counted once).",
     .per = {{DS_CMD_RUN, "Exit once every assigned partition is read to its end, every mention is resolved and all "
                          "work is committed."}}},
    {"format", 'f', "consume.format", OPT_STR, O(consume_format), NULL, NULL, DS_CMD_CONSUME,
     "Print each message by a kcat format string: %t topic, %p partition, %o offset, %k key, %K key length, %s "
     "value (the decoded record as JSON; null for a tombstone), %S value length, %T timestamp (ms), %h headers "
     "(name=value,...), %c the value's record type, %% a percent sign; escapes \\n \\r \\t \\xHH \\NNN.",
     .metavar = "FORMAT"},
    {"json", 'J', "consume.json", OPT_FLAG, O(envelope), NULL, NULL, DS_CMD_CONSUME,
     "Print each message in kcat's JSON envelope: topic, partition, offset, tstype, ts, broker, headers, key, "
     "payload (the decoded record; null for a tombstone) and payload_error when it does not decode."},
    {"key-delimiter", 'K', "consume.key.delimiter", OPT_STR, O(key_delimiter), NULL, NULL, DS_CMD_CONSUME,
     "Print each message's key, then this delimiter, before its value (as kcat -K).", .metavar = "DELIM"},
    {"delimiter", 'D', "consume.delimiter", OPT_STR, O(delimiter), "\\n", NULL, DS_CMD_CONSUME,
     "Delimiter printed after each message (not with -f or -J).", .metavar = "DELIM"},
    {"quiet", 'q', "quiet", OPT_FLAG, O(quiet), NULL, NULL, DS_CMD_CONSUME | DS_CMD_PRODUCE,
     "Print errors only on stderr: no end-of-partition lines.",
     .per = {{DS_CMD_PRODUCE, "Print errors only on stderr (no summary line)."}}},
    {"commit", 0, NULL, OPT_FLAG, O(commit), NULL, NULL, DS_CMD_CONSUME,
     "With -G: commit the offsets of what was read for the group, when done (refused while the group has members)."},
    {"catalog", 0, "catalog.dir", OPT_STR, O(catalog_dir), NULL, NULL,
     DS_CMD_RUN | DS_CMD_DEMO | DS_CMD_EXTRACT | DS_CMD_EVAL | DS_CMD_REPLAY | DS_CMD_PRODUCE,
     "Directory of the catalog (countries, companies, systems, rates, reference contracts). Default: "
     "share/dealstream/catalog of the installation (<prefix>/share/dealstream/catalog) or of the build tree, found "
     "next to the binary.",
     .per = {{DS_CMD_PRODUCE, "Catalog the rows of --type reference are checked against (default: the installed "
                              "one, see run --help)."}},
     .metavar = "DIR", .data = "catalog"},
    {"reference-topic", 0, "reference.topic", OPT_STR, O(reference_topic), NULL, NULL, DS_CMD_RUN | DS_CMD_REPLAY,
     "Read the reference table of known contracts from this compacted topic (key: ref, value: a reference.tsv "
     "row; publish one with produce --type reference) instead of the catalog's reference.tsv.",
     .metavar = "TOPIC"},
    {"commit-interval-ms", 0, "commit.interval.ms", OPT_INT, O(commit_interval_ms), "100", NULL,
     DS_CMD_RUN | DS_CMD_DEMO, "Longest time a batch stays open before its outputs are flushed and offsets committed.",
     .metavar = "MS"},
    {"shutdown-timeout", 0, "shutdown.timeout.seconds", OPT_INT, O(shutdown_timeout), "10", NULL,
     DS_CMD_RUN | DS_CMD_DEMO,
     "Longest time from SIGTERM or SIGINT to exit: the open batch is committed in the first 40% of it (then "
     "aborted); past it the process exits with code 1, leaving its batch uncommitted.",
     .metavar = "SECONDS"},
    {"guarantee", 0, "processing.guarantee", OPT_STR, O(guarantee), "exactly-once", "exactly-once|at-least-once",
     DS_CMD_RUN | DS_CMD_DEMO,
     "exactly-once: outputs and consumed offsets commit in one Kafka transaction per batch; at-least-once: "
     "idempotent producer, offsets committed after delivery."},
    {"http-listen", 0, "http.listen", OPT_STR, O(http_listen), "127.0.0.1:9464", NULL, DS_CMD_RUN,
     "Address of the HTTP server of /metrics, /healthz and /readyz: HOST:PORT (HOST an IPv4 address, [IPv6], "
     "localhost, or empty for every interface; port 0: any free port, logged); off or empty: no server. A second "
     "processor on one host needs a port of its own.",
     .metavar = "HOST:PORT"},
    {"max-message-bytes", 0, "max.message.bytes", OPT_INT, O(max_message_bytes), "1048576", NULL,
     DS_CMD_RUN | DS_CMD_DEMO | DS_CMD_REPLAY, "Inputs larger than this are dead-lettered.", .metavar = "BYTES"},
    {"max-body-bytes", 0, "max.body.bytes", OPT_INT, O(max_body_bytes), "524288", NULL,
     DS_CMD_RUN | DS_CMD_DEMO | DS_CMD_REPLAY | DS_CMD_EXTRACT,
     "Articles whose body is longer than this are dead-lettered (class body-too-big).", .metavar = "BYTES"},
    {"dedup-retention-days", 0, "dedup.retention.days", OPT_INT, O(dedup_retention_days), "30", NULL,
     DS_CMD_RUN | DS_CMD_REPLAY,
     "Event-time retention of seen-article fingerprints: a copy published later than this after the source it "
     "repeats is a new source (0: forever).",
     .metavar = "DAYS"},
    {"state-max-mentions-per-block", 0, "state.max.mentions.per.block", OPT_INT, O(state_max_mentions_per_block), "0",
     NULL, DS_CMD_RUN | DS_CMD_REPLAY,
     "Most mentions one block (one buyer, seller and family) may hold; a new mention of a full block is dead-lettered "
     "(class block-full), counted and warned about (0: no cap).",
     .metavar = "N"},
    {"canonical-max-sources", 0, "canonical.max.sources", OPT_INT, O(canonical_max_sources), "1000", NULL,
     DS_CMD_RUN | DS_CMD_REPLAY,
     "Most sources a canonical record lists (the earliest published, then by id; sources_total gives them all, "
     "truncated says so); halved for a record that would still exceed the producer's message.max.bytes (0: list "
     "all, within that limit alone).",
     .metavar = "N"},
    {"partitions", 'p', "broker.partitions", OPT_INT, O(partitions), "4", NULL, DS_CMD_BROKER | DS_CMD_DEMO,
     "Partitions of each topic the embedded broker creates."},
    {"address-file", 0, "broker.address.file", OPT_STR, O(address_file), NULL, NULL, DS_CMD_BROKER,
     "Once the broker is ready, write its bootstrap address to FILE (atomically: a temporary file renamed into "
     "place); removed when the broker stops.",
     .metavar = "FILE"},
    {"wait", 0, NULL, OPT_FLAG, O(wait), NULL, NULL, DS_CMD_BROKER,
     "Start no broker: wait (at most 30 s) until the broker writing --address-file answers, print its address, "
     "exit 0."},
    {"topic-partitions", 0, "topics.partitions", OPT_INT, O(topic_partitions), "0", NULL, DS_CMD_RUN,
     "Partitions of the topics run creates when they are missing (<app>-mentions, <app>-state, the canonical "
     "topic); 0: as many as the articles topic has.", .metavar = "N"},
    {"replication-factor", 0, "topics.replication.factor", OPT_INT, O(replication_factor), "0", NULL, DS_CMD_RUN,
     "Replication factor of the topics run creates; 0: the broker's default.replication.factor.", .metavar = "N"},
    {"schema-registry", 0, "schema.registry.url", OPT_STR, O(schema_registry_url), NULL, NULL, REGISTRY_CMDS,
     "Schema registry URL (Confluent REST API): fetch unknown schema ids (a partition is held while the registry "
     "does not answer) and write canonical records with Confluent framing.",
     .per = {{DS_CMD_PRODUCE, "Schema registry URL (Confluent REST API): register the schema as <topic>-value "
                              "and write Confluent framing."},
             {DS_CMD_CONSUME, "Schema registry URL (Confluent REST API): fetch the writer schemas of Confluent-"
                              "framed records by id."}},
     .metavar = "URL"},
    {"schema-registry-auth", 0, "schema.registry.basic.auth.user.info", OPT_STR, O(schema_registry_auth), NULL,
     NULL, REGISTRY_CMDS, "user:password for the schema registry's HTTP basic auth.", .metavar = "USER:PASSWORD"},
    {"schema-registry-ca", 0, "schema.registry.ssl.ca.location", OPT_STR, O(schema_registry_ca), NULL, NULL,
     REGISTRY_CMDS, "CA bundle (PEM file) to verify an https schema registry.", .metavar = "FILE"},
    {"log-level", 0, "log.level", OPT_STR, O(log_level), "info", "error|warn|info|debug", DS_CMD_ALL,
     "Log level."},
    {"log-format", 0, "log.format", OPT_STR, O(log_format), "text", "text|json", DS_CMD_ALL,
     "Log line format."},
    {"watch", 'w', "lag.watch.seconds", OPT_INT, O(lag_watch), "0", NULL, DS_CMD_LAG,
     "Evaluate every SECONDS until interrupted (or --count evaluations); 0: once (with --listen: every 15 s).",
     .metavar = "SECONDS"},
    {"window", 0, "lag.window", OPT_INT, O(lag_window), "5", NULL, DS_CMD_LAG,
     "Observations in the sliding window the lag status is judged over (2..64)."},
    {"json", 0, "lag.json", OPT_FLAG, O(json), NULL, NULL, DS_CMD_LAG,
     "Print one JSON object per evaluation instead of a table."},
    {"prometheus", 0, NULL, OPT_FLAG, O(prometheus), NULL, NULL, DS_CMD_LAG,
     "Print the lag in the Prometheus text format, of --group or of every group the broker lists, and exit."},
    {"listen", 0, "lag.listen", OPT_STR, O(listen), NULL, NULL, DS_CMD_LAG,
     "Serve the --prometheus text on GET /metrics at HOST:PORT (port 0: any free port, logged), refreshed every "
     "--watch seconds, until interrupted.",
     .metavar = "HOST:PORT"},
    {"all-topics", 0, NULL, OPT_FLAG, O(all_topics), NULL, NULL, DS_CMD_OFFSETS,
     "Scope of the reset: every topic the group has committed offsets for."},
    {"to-earliest", 0, NULL, OPT_FLAG, O(to_earliest), NULL, NULL, DS_CMD_OFFSETS, "Reset to the log start."},
    {"to-latest", 0, NULL, OPT_FLAG, O(to_latest), NULL, NULL, DS_CMD_OFFSETS, "Reset to the log end."},
    {"to-current", 0, NULL, OPT_FLAG, O(to_current), NULL, NULL, DS_CMD_OFFSETS,
     "Reset to the committed offset (the log end where there is none): with --export, a backup."},
    {"to-datetime", 0, NULL, OPT_STR, O(to_datetime), NULL, NULL, DS_CMD_OFFSETS,
     "Reset to the first offset at or after a time, YYYY-MM-DDTHH:MM:SS[.sss][Z|+hh:mm] (UTC without a zone).",
     .metavar = "TIME"},
    {"by-duration", 0, NULL, OPT_STR, O(by_duration), NULL, NULL, DS_CMD_OFFSETS,
     "Reset to the first offset at or after now minus a duration: PnDTnHnMnS (as kafka-consumer-groups), or "
     "90s, 30m, 6h, 2d, 1w.",
     .metavar = "DURATION"},
    {"to-offset", 0, NULL, OPT_STR, O(to_offset), NULL, NULL, DS_CMD_OFFSETS,
     "Reset to this offset (clamped to the log start and end).", .metavar = "N"},
    {"shift-by", 0, NULL, OPT_STR, O(shift_by), NULL, NULL, DS_CMD_OFFSETS,
     "Move the committed offset by N (negative: back), clamped to the log.", .metavar = "N"},
    {"from-file", 0, NULL, OPT_STR, O(from_file), NULL, NULL, DS_CMD_OFFSETS,
     "Reset to the offsets of a CSV file of topic,partition,offset lines (as --export prints; "
     "group,topic,partition,offset lines too); its partitions are the scope.",
     .metavar = "FILE"},
    {"export", 0, NULL, OPT_FLAG, O(export_csv), NULL, NULL, DS_CMD_OFFSETS,
     "Print the plan as CSV, topic,partition,new-offset per line (what --from-file reads), instead of the table."},
    {"dry-run", 0, NULL, OPT_FLAG, O(dry_run), NULL, NULL, DS_CMD_OFFSETS | DS_CMD_REPLAY,
     "Print the plan, change nothing.",
     .per = {{DS_CMD_REPLAY, "Print the range per partition, read and write nothing."}}},
    {"from", 0, NULL, OPT_STR, O(from), "earliest", NULL, DS_CMD_REPLAY,
     "Where the range starts: earliest, committed (the --group's offsets), an offset N for every partition, "
     "[T:]P=N[,...] per partition (only those are replayed), a date-time YYYY-MM-DDTHH:MM:SS[Z|+hh:mm], or a "
     "duration ago (90s, 30m, 6h, 2d).",
     .metavar = "FROM"},
    {"to", 0, NULL, OPT_STR, O(to), "latest", NULL, DS_CMD_REPLAY,
     "Where the range ends (exclusive): latest (the log end when replay starts), an offset N, [T:]P=N[,...], a "
     "date-time, or a duration ago.",
     .metavar = "TO"},
    {"output-topic", 0, NULL, OPT_STR, O(output_topic), NULL, NULL, DS_CMD_REPLAY,
     "Write canonical records here instead of the canonical topic.", .metavar = "TOPIC"},
    {"fresh-state", 0, NULL, OPT_FLAG, O(fresh_state), NULL, NULL, DS_CMD_REPLAY,
     "Start from empty state instead of the processor's state (<app>-state): every deal of the range is "
     "written, as the processor would write it from scratch."},
    {"split", 0, NULL, OPT_STR, O(eval_split), NULL, "corpus|dev|test|holdout|holdout2|holdout3", DS_CMD_EVAL,
     "Corpus to score: corpus (tests/corpus), dev, test, holdout, holdout2 or holdout3 (tests/blind/dev, "
     "tests/blind/test, tests/blind/holdout, tests/blind/holdout2, tests/blind/holdout3). Default: corpus and dev; "
     "the held-out splits are scored only when named."},
    {"progress", 0, "replay.progress.seconds", OPT_INT, O(progress_seconds), "5", NULL, DS_CMD_REPLAY,
     "Seconds between progress lines when stderr is not a terminal (a terminal gets a live bar); 0: none.",
     .metavar = "SECONDS"},
    {"transaction-wait", 0, "replay.transaction.wait.seconds", OPT_INT, O(txn_wait_seconds), "0", NULL,
     DS_CMD_REPLAY,
     "Longest wait, per partition, for a transaction open below the end of the range (its records, once "
     "committed, are replayed); past it, replay fails naming the partition. 0: transaction.timeout.ms (-X, "
     "60000 by default) plus 10 s, the time the broker takes to abort the transaction of a writer that died.",
     .metavar = "SECONDS"},
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

/* Opens a properties file for reading: a regular file of at most
 * DS_CONFIG_FILE_MAX bytes (a device such as /dev/zero would never end, a
 * directory reads as empty). NULL with err set otherwise. */
static FILE *open_properties(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st)) {
        errf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        errf(err, errlen, "%s: not a regular file (a properties file is expected)", path);
        return NULL;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        errf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode) || st.st_size > DS_CONFIG_FILE_MAX) {
        errf(err, errlen, "%s: longer than %d bytes (a properties file is expected)", path, DS_CONFIG_FILE_MAX);
        fclose(f);
        return NULL;
    }
    return f;
}

static int load_properties(ds_config *cfg, unsigned cmd, const char *path, char *err, size_t errlen)
{
    FILE *f = open_properties(path, err, errlen);
    if (!f)
        return -1;
    char line[4096];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        if (ftell(f) > DS_CONFIG_FILE_MAX) { /* it grew while being read */
            errf(err, errlen, "%s: longer than %d bytes (a properties file is expected)", path, DS_CONFIG_FILE_MAX);
            rc = -1;
            break;
        }
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

/* The option of cmd with this long flag (two rows may share a flag when
 * their commands differ); an option of another command when cmd has none,
 * so that the caller can say it is unknown here. */
static const opt *find_long(const char *name, unsigned cmd)
{
    const opt *other = NULL;
    for (size_t i = 0; i < NOPTIONS; i++)
        if (strcmp(options[i].flag, name) == 0) {
            if (options[i].cmds & cmd)
                return &options[i];
            other = &options[i];
        }
    return other;
}

static const opt *find_short(char shortf, unsigned cmd)
{
    const opt *other = NULL;
    for (size_t i = 0; i < NOPTIONS; i++)
        if (options[i].shortf == shortf) {
            if (options[i].cmds & cmd)
                return &options[i];
            other = &options[i];
        }
    return other;
}

/* Properties files named by -F/--config, in order. */
static int parse_files(ds_config *cfg, unsigned cmd, int argc, char **argv, char *err, size_t errlen)
{
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
    return 0;
}

static int parse_env(ds_config *cfg, unsigned cmd, char *err, size_t errlen)
{
    for (size_t i = 0; i < NOPTIONS; i++) {
        if (!options[i].key || !(options[i].cmds & cmd))
            continue;
        char name[128];
        env_name(&options[i], name, sizeof name);
        const char *v = getenv(name);
        if (v && set_opt(cfg, &options[i], v, name, err, errlen))
            return -1;
    }
    return 0;
}

/* -X key=value, -X list, -X dump. */
static int parse_x(ds_config *cfg, unsigned cmd, char *kv, char *err, size_t errlen)
{
    if (strcmp(kv, "list") == 0 || strcmp(kv, "dump") == 0) {
        *(kv[0] == 'l' ? &cfg->xlist : &cfg->xdump) = 1;
        return 0;
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
    return apply_kv(cfg, cmd, key, eq + 1, "-X", err, errlen);
}

/* Sets a value given on the command line; a repeated flag of a multi option
 * (flagged in *given) appends to the earlier value. */
static int set_flag_value(ds_config *cfg, const opt *o, const char *val, const char *where, unsigned char *given,
                          char *err, size_t errlen)
{
    char **s = (char **)(void *)((char *)cfg + o->offset);
    if (o->multi && *given && *s) {
        size_t n = strlen(*s) + strlen(val) + 2;
        char *joined = malloc(n);
        if (!joined) {
            errf(err, errlen, "out of memory");
            return -1;
        }
        snprintf(joined, n, "%s,%s", *s, val);
        int rc = set_opt(cfg, o, joined, where, err, errlen);
        free(joined);
        return rc;
    }
    *given = 1;
    return set_opt(cfg, o, val, where, err, errlen);
}

/* One flag at argv[*i] (a long --name[=value], or short -x, -xVALUE or
 * grouped flags -qe, as getopt takes them); consumes its value. */
static int parse_flag(ds_config *cfg, unsigned cmd, int argc, char **argv, int *i, unsigned char *given, char *err,
                      size_t errlen)
{
    char *a = argv[*i];
    for (const char *p = a + 1;;) {
        const opt *o;
        const char *val = NULL;
        if (a[1] == '-') {
            char flagname[128];
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t nl = eq ? (size_t)(eq - name) : strlen(name);
            if (nl >= sizeof flagname)
                nl = sizeof flagname - 1;
            memcpy(flagname, name, nl);
            flagname[nl] = '\0';
            o = find_long(flagname, cmd);
            if (eq)
                val = eq + 1;
        } else {
            o = find_short(*p, cmd);
            if (o && p[1])
                val = o->type == OPT_FLAG ? NULL : p + 1;
        }
        if (!o || !(o->cmds & cmd)) {
            if (a[1] != '-' && p != a + 1)
                errf(err, errlen, "unknown option '-%c' in '%s' (try --help)", *p, a);
            else
                errf(err, errlen, "unknown option '%s' (try --help)", a);
            return -1;
        }
        if (o->type == OPT_FLAG) {
            if (set_opt(cfg, o, val ? val : "true", a, err, errlen))
                return -1;
            if (a[1] == '-' || !*++p)
                return 0;
            continue; /* the next of grouped short flags */
        }
        if (!val) {
            if (*i + 1 >= argc) {
                errf(err, errlen, "option '%s' needs a value", a);
                return -1;
            }
            val = argv[++*i];
        }
        return set_flag_value(cfg, o, val, a, &given[o - options], err, errlen);
    }
}

/* Flags and positional arguments, over what files and environment set. */
static int parse_argv(ds_config *cfg, unsigned cmd, int argc, char **argv, char *err, size_t errlen)
{
    unsigned char given[NOPTIONS] = {0};
    int only_args = 0;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (only_args || a[0] != '-' || a[1] == '\0') {
            cfg->args[cfg->nargs++] = a;
        } else if (strcmp(a, "--") == 0) {
            only_args = 1;
        } else if (strcmp(a, "-F") == 0 || strcmp(a, "--config") == 0) {
            i++;
        } else if (strcmp(a, "-X") == 0) {
            if (i + 1 >= argc) {
                errf(err, errlen, "-X needs key=value");
                return -1;
            }
            if (parse_x(cfg, cmd, argv[++i], err, errlen))
                return -1;
        } else if (parse_flag(cfg, cmd, argc, argv, &i, given, err, errlen)) {
            return -1;
        }
    }
    return 0;
}

static int has_rdkafka(const ds_config *cfg, const char *key)
{
    for (size_t i = 0; i < cfg->nrdkafka; i++)
        if (strcmp(cfg->rdkafka[i].key, key) == 0)
            return 1;
    return 0;
}

/* What follows from the options as given: the brokers for librdkafka, the
 * shipped catalog by default, errors only with -q, and each processor's
 * client.id <app>-<host>-<pid>, which tells instances apart in
 * kafka-consumer-groups --members and lag. */
static int derive(ds_config *cfg, unsigned cmd, char *err, size_t errlen)
{
    if (cfg->brokers && ds_config_set_rdkafka(cfg, "bootstrap.servers", cfg->brokers))
        goto oom;
    for (size_t i = 0; i < NOPTIONS; i++) {
        const opt *o = &options[i];
        char **s = (char **)(void *)((char *)cfg + o->offset);
        char path[4096];
        if (!o->data || !(o->cmds & cmd) || (*s && **s))
            continue;
        free(*s); /* an empty value (DEALSTREAM_CATALOG_DIR=) is the default too */
        *s = NULL;
        if (ds_data_path(o->data, path, sizeof path) == 0 && !(*s = strdup(path)))
            goto oom;
    }
    if (cfg->quiet && set_opt(cfg, find_key("log.level"), "error", "-q", err, errlen))
        return -1;
    if (cmd == DS_CMD_RUN && !has_rdkafka(cfg, "client.id")) {
        char host[256] = "", id[512];
        if (gethostname(host, sizeof host - 1) || !host[0])
            snprintf(host, sizeof host, "host");
        snprintf(id, sizeof id, "%s-%s-%ld", cfg->app_id, host, (long)getpid());
        if (ds_config_set_rdkafka(cfg, "client.id", id))
            goto oom;
    }
    return 0;
oom:
    errf(err, errlen, "out of memory");
    return -1;
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
    if (parse_files(cfg, cmd, argc, argv, err, errlen) || parse_env(cfg, cmd, err, errlen) ||
        parse_argv(cfg, cmd, argc, argv, err, errlen))
        return -1;
    return derive(cfg, cmd, err, errlen);
}

int ds_config_check_catalog(const ds_config *cfg, char *err, size_t errlen)
{
    char where[4096];
    if (!cfg->catalog_dir) {
        ds_data_path("catalog", where, sizeof where);
        errf(err, errlen, "no catalog: none installed or in the build tree (looked in %s); give --catalog DIR or "
                          "set DEALSTREAM_CATALOG_DIR",
             where);
        return -1;
    }
    snprintf(where, sizeof where, "%s/countries.tsv", cfg->catalog_dir);
    FILE *f = fopen(where, "r");
    if (!f) {
        errf(err, errlen, "catalog %s: cannot open countries.tsv (%s); give --catalog DIR or set "
                          "DEALSTREAM_CATALOG_DIR",
             cfg->catalog_dir, strerror(errno));
        return -1;
    }
    fclose(f);
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

/* The description o has for cmd. */
static const char *help_for(const opt *o, unsigned cmd)
{
    for (size_t i = 0; i < sizeof o->per / sizeof o->per[0] && o->per[i].cmds; i++)
        if (o->per[i].cmds & cmd)
            return o->per[i].text;
    return o->help;
}

/* "LEFT  text", the text wrapped at spaces to lines of HELP_WIDTH, its
 * continuation lines indented under its start. */
#define HELP_WIDTH 110
#define HELP_INDENT 41
static void print_wrapped(FILE *out, const char *left, const char *text)
{
    int col = fprintf(out, "%-40s", left);
    if (col > HELP_INDENT - 1) {
        fprintf(out, "\n%*s", HELP_INDENT - 1, "");
        col = HELP_INDENT - 1;
    }
    for (const char *w = text; *w;) {
        size_t len = strcspn(w, " ");
        if (col + 1 + (int)len > HELP_WIDTH && col > HELP_INDENT) {
            fprintf(out, "\n%*s", HELP_INDENT - 1, "");
            col = HELP_INDENT - 1;
        }
        col += fprintf(out, " %.*s", (int)len, w);
        w += len;
        while (*w == ' ')
            w++;
    }
    fputc('\n', out);
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
        if (o->type != OPT_FLAG && n > 0 && (size_t)n < sizeof left)
            snprintf(left + n, sizeof left - (size_t)n, " %s",
                     o->metavar   ? o->metavar
                     : o->choices ? o->choices
                     : o->type == OPT_INT ? "N"
                                          : "VALUE");
        char text[8192], path[4096];
        int n2 = snprintf(text, sizeof text, "%s", help_for(o, cmd));
        if (o->def)
            snprintf(text + n2, sizeof text - (size_t)n2, " [default: %s]", o->def);
        else if (o->data && ds_data_path(o->data, path, sizeof path) == 0)
            snprintf(text + n2, sizeof text - (size_t)n2, " [default here: %s]", path);
        else if (o->data)
            snprintf(text + n2, sizeof text - (size_t)n2, " [default: none found; looked in %s]", path);
        print_wrapped(out, left, text);
    }
    if (cmd & DS_CMD_KAFKA) {
        fprintf(out, "%-40s %s\n", "  -X key=value", "librdkafka property (or a dealstream key), as in kcat.");
        fprintf(out, "%-40s %s\n", "  -X list", "List librdkafka's configuration properties and exit.");
        fprintf(out, "%-40s %s\n", "  -X dump", "Print the effective configuration (secrets masked) and exit.");
        fprintf(out, "%-40s %s\n", "  -F, --config FILE", "Properties file: dealstream keys and librdkafka properties.");
    }
    fprintf(out, "\nEvery option with a key is also read from DEALSTREAM_<KEY> (key upper-cased, dots as '_'); "
                 "'dealstream config-reference' lists them.\n");
}

/* The names of the commands of a mask, "run, replay". */
static void command_names(unsigned cmds, char *out, size_t cap)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{DS_CMD_RUN, "run"},         {DS_CMD_PRODUCE, "produce"}, {DS_CMD_CONSUME, "consume"},
                 {DS_CMD_BROKER, "broker"},   {DS_CMD_DEMO, "demo"},       {DS_CMD_EXTRACT, "extract"},
                 {DS_CMD_EVAL, "eval"},       {DS_CMD_LAG, "lag"},         {DS_CMD_OFFSETS, "offsets"},
                 {DS_CMD_REPLAY, "replay"}};
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0] && n < cap; i++)
        if (cmds & names[i].bit)
            n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? ", " : "", names[i].name);
}

void ds_config_reference(FILE *out)
{
    fprintf(out, "| flag | environment | properties key | default | description |\n");
    fprintf(out, "|---|---|---|---|---|\n");
    for (size_t i = 0; i < NOPTIONS; i++) {
        const opt *o = &options[i];
        if (!o->key)
            continue;
        char env[128], names[128];
        env_name(o, env, sizeof env);
        char def[160];
        snprintf(def, sizeof def, "%s", o->def ? o->def : "");
        if (o->data)
            snprintf(def, sizeof def, "`<prefix>/share/dealstream/%s`", o->data);
        fprintf(out, "| `--%s` | `%s` | `%s` | %s | ", o->flag, env, o->key, def);
        /* every command's description: the shared one for those per does not name */
        unsigned rest = o->cmds;
        for (size_t k = 0; k < sizeof o->per / sizeof o->per[0] && o->per[k].cmds; k++)
            rest &= ~o->per[k].cmds;
        int first = 1;
        if (rest) {
            if (o->per[0].cmds && rest != DS_CMD_ALL && rest != DS_CMD_KAFKA) {
                command_names(rest, names, sizeof names);
                fprintf(out, "%s: ", names);
            }
            fprintf(out, "%s", o->help);
            first = 0;
        }
        for (size_t k = 0; k < sizeof o->per / sizeof o->per[0] && o->per[k].cmds; k++) {
            command_names(o->per[k].cmds, names, sizeof names);
            fprintf(out, "%s%s: %s", first ? "" : " ", names, o->per[k].text);
            first = 0;
        }
        fprintf(out, " |\n");
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
