/* dealstream: one binary, kcat-like subcommands. main only parses options
 * and calls library functions that the tests call too. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "kafka.h"
#include "log.h"

typedef struct command {
    const char *name;
    unsigned bit;
    int (*fn)(ds_config *cfg);
    const char *args;
    const char *summary;
} command;

static const command commands[] = {
    {"run", DS_CMD_RUN, ds_cmd_run, "", "the processor: articles and deals in, canonical deals out"},
    {"produce", DS_CMD_PRODUCE, ds_cmd_produce, "[FILE...]",
     "publish articles (text files, JSON lines, stdin) or deal events (JSON lines) as Avro"},
    {"consume", DS_CMD_CONSUME, ds_cmd_consume, "", "print a topic's records as JSON lines"},
    {"broker", DS_CMD_BROKER, ds_cmd_broker, "", "embedded Kafka-protocol broker for demos and tests"},
    {"demo", DS_CMD_DEMO, ds_cmd_demo, "", "broker + sample articles + processor + table of canonical deals"},
    {"extract", DS_CMD_EXTRACT, ds_cmd_extract, "[FILE...]", "print the deal mentions of articles as JSON lines"},
    {"eval", DS_CMD_EVAL, ds_cmd_eval, "[CORPUS_DIR]",
     "score extraction and resolution against a labelled corpus"},
    {"lag", DS_CMD_LAG, ds_cmd_lag, "",
     "consumer lag of any group: offsets, time lag, status (exit 0 OK, 3 WARN, 4 ERR, 1 failure, 2 usage)"},
    {"replay", DS_CMD_REPLAY, ds_cmd_replay, "",
     "reprocess a bounded range of the input topics (--from/--to; --dry-run), progress and ETA, exits when done"},
    {"offsets", DS_CMD_OFFSETS, ds_cmd_offsets, "reset",
     "reset a group's committed offsets (--to-...; --dry-run or --execute)"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out, "Usage: dealstream COMMAND [OPTIONS]\n\n"
                 "Extracts, deduplicates and links arms-deal reports from Kafka topics.\n\nCommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'dealstream COMMAND --help' lists a command's options.\n"
                 "Exit codes: 0 success, 1 failure, 2 usage error; lag also 3 WARN, 4 ERR; replay 130 when interrupted.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("dealstream %s\n", DS_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "config-reference") == 0) {
        ds_config_reference(stdout);
        return 0;
    }
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(argv[1], commands[i].name) != 0)
            continue;
        ds_config cfg;
        char err[1024] = "";
        if (ds_config_parse(&cfg, commands[i].bit, argc - 1, argv + 1, err, sizeof err)) {
            fprintf(stderr, "dealstream %s: %s\n", commands[i].name, err);
            ds_config_free(&cfg);
            return 2;
        }
        if (cfg.help) {
            printf("Usage: dealstream %s [OPTIONS] %s\n\n%s.\n\n", commands[i].name, commands[i].args,
                   commands[i].summary);
            ds_config_usage(stdout, commands[i].bit);
            ds_config_free(&cfg);
            return 0;
        }
        if (cfg.xlist || cfg.xdump) {
            /* as kcat: print and exit, whatever else was asked */
            int rc = 0;
            if (cfg.xlist)
                ds_kafka_conf_list(stdout);
            if (cfg.xdump) {
                ds_config_dump(stdout, &cfg, commands[i].bit);
                if (ds_kafka_conf_dump(&cfg, stdout, err, sizeof err)) {
                    fprintf(stderr, "dealstream %s: %s\n", commands[i].name, err);
                    rc = 2;
                }
            }
            ds_config_free(&cfg);
            return rc;
        }
        if (ds_log_setup(cfg.log_level, cfg.log_format)) {
            fprintf(stderr, "dealstream: bad log level or format\n");
            ds_config_free(&cfg);
            return 2;
        }
        int rc = commands[i].fn(&cfg);
        ds_config_free(&cfg);
        return rc;
    }
    fprintf(stderr, "dealstream: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
