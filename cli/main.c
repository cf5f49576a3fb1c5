/* dealstream: one binary, kcat-like subcommands. main parses the options,
 * answers --help, --version and -X list/dump, makes the checks a command
 * needs first (a catalog, a reachable broker) and calls the command's entry
 * point (cli/cmd_*.c, and run and replay in consumer/), which calls library
 * functions that the tests call too. May call anything. */
#include <ctype.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "cli.h"
#include "commands.h"
#include "config.h"
#include "kafka.h"
#include "log.h"

#ifndef DS_AVRO_VERSION
#define DS_AVRO_VERSION "unknown"
#endif

enum {
    NEEDS_CATALOG = 1, /* checked before the command runs */
    NEEDS_BROKER = 2,  /* probed before the command runs; the others probe after their own checks */
};

typedef struct command {
    const char *name;
    unsigned bit;
    int (*fn)(ds_config *cfg);
    const char *usage; /* after "dealstream " */
    const char *summary;
    unsigned needs;
} command;

static const command commands[] = {
    {"run", DS_CMD_RUN, ds_cmd_run, "run [OPTIONS]", "the processor: articles and deals in, canonical deals out",
     NEEDS_CATALOG | NEEDS_BROKER},
    {"produce", DS_CMD_PRODUCE, ds_cmd_produce, "produce [OPTIONS] [FILE...]",
     "publish articles (text files, JSON lines, stdin) or deal events (JSON lines) as Avro", 0},
    {"consume", DS_CMD_CONSUME, ds_cmd_consume, "consume -t TOPIC [OPTIONS]",
     "print a topic's records as JSON lines, or as kcat's -J envelope or -f format", 0},
    {"broker", DS_CMD_BROKER, ds_cmd_broker, "broker [OPTIONS]", "embedded Kafka-protocol broker for demos and tests",
     0},
    {"demo", DS_CMD_DEMO, ds_cmd_demo, "demo [OPTIONS] [FILE...]",
     "broker + sample articles + processor + table of canonical deals", NEEDS_CATALOG},
    {"extract", DS_CMD_EXTRACT, ds_cmd_extract, "extract [OPTIONS] [FILE...]",
     "print the deal mentions of articles as JSON lines", NEEDS_CATALOG},
    {"eval", DS_CMD_EVAL, ds_cmd_eval, "eval [OPTIONS] [CORPUS_DIR]",
     "score extraction and resolution against a labelled corpus", NEEDS_CATALOG},
    {"lag", DS_CMD_LAG, ds_cmd_lag, "lag [OPTIONS]",
     "consumer lag of any group: offsets, time lag, members, status (exit 0 OK, 3 WARN, 4 ERR, 1 failure, 2 usage)",
     0},
    {"replay", DS_CMD_REPLAY, ds_cmd_replay, "replay [OPTIONS]",
     "reprocess a bounded range of the input topics (--from/--to; --dry-run), progress and ETA, exits when done",
     NEEDS_CATALOG | NEEDS_BROKER},
    {"offsets", DS_CMD_OFFSETS, ds_cmd_offsets, "offsets reset [OPTIONS]",
     "reset a group's committed offsets, as kafka-consumer-groups --reset-offsets (--dry-run or --execute)", 0},
    {"config-reference", DS_CMD_CONFIG_REFERENCE, ds_cmd_config_reference, "config-reference",
     "print the table of options, environment variables and properties keys (Markdown)", 0},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out, "Usage: dealstream COMMAND [OPTIONS]\n"
                 "       dealstream -h | --help | -V | --version\n\n"
                 "Extracts, deduplicates and links arms-deal reports from Kafka topics.\n\nCommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-17s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'dealstream COMMAND --help' lists a command's options.\n"
                 "Exit codes: 0 success, 1 failure, 2 usage error; lag also 3 WARN, 4 ERR; replay 130 when interrupted.\n");
}

/* As kcat -V: our version and the libraries', as linked at run time where
 * they say so (avro-c does not: its version at build time). */
static void version(void)
{
    curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
    printf("dealstream %s (librdkafka %s, avro-c %s, libuv %s, jansson %s, libcurl %s)\n", DS_VERSION,
           rd_kafka_version_str(), DS_AVRO_VERSION, uv_version_string(), jansson_version_str(),
           cv ? cv->version : "?");
}

static int command_help(const command *c)
{
    printf("Usage: dealstream %s\n\n%c%s.\n\n", c->usage, toupper((unsigned char)c->summary[0]), c->summary + 1);
    ds_config_usage(stdout, c->bit);
    return 0;
}

/* -X list / -X dump: as kcat, print and exit, whatever else was asked. */
static int list_or_dump(const command *c, ds_config *cfg)
{
    char err[1024];
    if (cfg->xlist)
        ds_kafka_conf_list(stdout);
    if (cfg->xdump) {
        ds_config_dump(stdout, cfg, c->bit);
        if (ds_kafka_conf_dump(cfg, stdout, err, sizeof err)) {
            fprintf(stderr, "dealstream %s: %s\n", c->name, err);
            return 2;
        }
    }
    return 0;
}

static int run_command(const command *c, int argc, char **argv)
{
    ds_config cfg;
    char err[1024] = "";
    int rc;
    if (ds_config_parse(&cfg, c->bit, argc, argv, err, sizeof err)) {
        fprintf(stderr, "dealstream %s: %s\n", c->name, err);
        rc = 2;
    } else if (cfg.help) {
        rc = command_help(c);
    } else if (cfg.xlist || cfg.xdump) {
        rc = list_or_dump(c, &cfg);
    } else if (ds_log_setup(cfg.log_level, cfg.log_format)) {
        fprintf(stderr, "dealstream %s: bad log level or format\n", c->name);
        rc = 2;
    } else if ((c->needs & NEEDS_CATALOG) && (rc = ds_cli_catalog(&cfg, c->name)) != 0) {
        ;
    } else if ((c->needs & NEEDS_BROKER) && (rc = ds_cli_reach(&cfg, c->name)) != 0) {
        ;
    } else {
        rc = c->fn(&cfg);
    }
    ds_config_free(&cfg);
    return rc;
}

/* Makes every thread allocate from glibc's one main arena unless
 * MALLOC_ARENA_MAX says otherwise. librdkafka's threads allocate fetched
 * messages and the loop thread frees them; with an arena per thread (up to
 * 8 per core) the freed memory stays resident in arenas that the loop never
 * reuses, which made `run`'s peak RSS about 100 MB where its heap peaked at
 * about 50 MB (bench/README.md, "Memory and CPU per message on the real
 * broker"). Called before any thread starts. */
static void limit_malloc_arenas(void)
{
#ifdef __GLIBC__
    const char *v = getenv("MALLOC_ARENA_MAX");
    if (!v || !*v)
        mallopt(M_ARENA_MAX, 1);
#endif
}

int main(int argc, char **argv)
{
    limit_malloc_arenas();
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *a = argv[1];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 || strcmp(a, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0 || strcmp(a, "version") == 0) {
        version();
        return 0;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(a, commands[i].name) == 0)
            return run_command(&commands[i], argc - 1, argv + 1);
    fprintf(stderr, "dealstream: unknown command '%s'\n\n", a);
    usage(stderr);
    return 2;
}
