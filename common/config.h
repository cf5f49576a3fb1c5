/* config.h: every dealstream option, from one table.
 *
 * Each option can be given as a command-line flag, as an environment
 * variable (DEALSTREAM_ + the property key upper-cased, dots as '_') and as a
 * key in a properties file (-F). Precedence: flag > environment > file >
 * default (the catalog's default is the share/dealstream/catalog found next
 * to the binary, see paths.h). Keys in a properties file that are not dealstream options, and
 * every -X key=value, pass through to librdkafka. The same table renders
 * --help and the configuration reference (ds_config_reference()). */
#ifndef DS_CONFIG_H
#define DS_CONFIG_H

#include <stddef.h>
#include <stdio.h>

/* The largest properties file (-F) read; a larger one, or one that is not
 * a regular file, is refused. */
#define DS_CONFIG_FILE_MAX (1024 * 1024)

/* Commands, as a bit mask naming which commands an option applies to. */
enum {
    DS_CMD_RUN = 1 << 0,
    DS_CMD_PRODUCE = 1 << 1,
    DS_CMD_CONSUME = 1 << 2,
    DS_CMD_BROKER = 1 << 3,
    DS_CMD_DEMO = 1 << 4,
    DS_CMD_EXTRACT = 1 << 5,
    DS_CMD_EVAL = 1 << 6,
    DS_CMD_CONFIG_REFERENCE = 1 << 7,
    DS_CMD_LAG = 1 << 12,
    DS_CMD_OFFSETS = 1 << 13,
    DS_CMD_REPLAY = 1 << 14,
    DS_CMD_KAFKA = DS_CMD_RUN | DS_CMD_PRODUCE | DS_CMD_CONSUME | DS_CMD_LAG | DS_CMD_OFFSETS | DS_CMD_REPLAY,
    DS_CMD_ALL = 0xffff,
};

typedef struct ds_kv {
    char *key;
    char *value;
} ds_kv;

typedef struct ds_config {
    char *brokers;
    char *app_id;
    char *group;
    char *articles_topic;
    char *deals_topic;
    char *canonical_topic;
    char *topic;
    char *catalog_dir;
    char *reference_topic; /* run, replay: the reference table from this topic, not the catalog's file */
    char *log_level;
    char *log_format;
    char *input_type;
    char *input_format;
    char *offset; /* consume -o; NULL: beginning, or stored with -G; repeated flags joined by ',' */
    /* Schema registry (Confluent REST API); NULL url: none. */
    char *schema_registry_url;
    char *schema_registry_auth; /* "user:password" for HTTP basic auth */
    char *schema_registry_ca;   /* CA bundle (PEM) for https */
    char *guarantee;            /* run: "exactly-once" or "at-least-once" */
    char *http_listen;          /* run: HOST:PORT of /metrics, /healthz, /readyz; "off" or "": none */
    long commit_interval_ms;
    long shutdown_timeout; /* seconds */
    long max_message_bytes;
    long max_body_bytes;
    long dedup_retention_days;
    long state_max_mentions_per_block; /* 0: no cap */
    long canonical_max_sources;        /* 0: list every source */
    long partitions;
    long topic_partitions;   /* run: of the internal topics it creates (0: as the articles topic) */
    long replication_factor; /* run: of the topics it creates (0: the broker's default) */
    long count;
    int exit_at_end;
    /* consume, as kcat */
    char *partition;      /* -p P[,P...]; NULL: every partition */
    char *consume_format; /* -f */
    char *delimiter;      /* -D, after each message */
    char *key_delimiter;  /* -K: print the key and this before the value */
    int envelope;         /* -J */
    int quiet;            /* -q: errors only */
    int commit;           /* --commit: commit the -G group's offsets of what was read */
    int help;
    /* -X list / -X dump were given: print and exit instead of running. */
    int xlist;
    int xdump;
    /* lag */
    long lag_watch;  /* seconds between evaluations; 0: evaluate once */
    long lag_window; /* observations in the status window */
    int json;
    int prometheus; /* lag --prometheus */
    char *listen;   /* lag --listen HOST:PORT */
    /* offsets reset: actions are flags only, never read from a file or the
     * environment */
    int to_earliest;
    int to_latest;
    int to_current;
    int all_topics;
    char *by_duration;
    char *from_file;
    int export_csv;
    char *to_datetime;
    char *to_offset; /* strings: --shift-by may be negative */
    char *shift_by;
    int dry_run;
    /* replay: the range, where it goes, how it reports */
    char *from;
    char *to;
    char *output_topic;
    char *eval_split;        /* eval: corpus | dev | test; NULL: corpus and dev */
    int fresh_state;
    long progress_seconds;
    long txn_wait_seconds; /* replay: the longest wait for a transaction open below the end; 0: derived */
    int execute;
    int force;
    /* broker */
    char *address_file;
    int wait;
    /* librdkafka pass-through properties, in the order given. */
    ds_kv *rdkafka;
    size_t nrdkafka;
    /* Positional arguments (not owned: point into argv). */
    char **args;
    int nargs;
} ds_config;

/* Fills cfg with defaults, then applies properties file(s) named by -F,
 * the environment and the flags of argv (argv[0] is the command name).
 * cmd is the DS_CMD_* bit of the command being run; options that do not
 * apply to it are rejected. Returns 0, or -1 with a message in err. */
int ds_config_parse(ds_config *cfg, unsigned cmd, int argc, char **argv, char *err, size_t errlen);
void ds_config_free(ds_config *cfg);
/* Prints the options of cmd for --help, each with the description it has
 * for that command. */
void ds_config_usage(FILE *out, unsigned cmd);
/* Checks that cfg->catalog_dir holds a catalog (its countries.tsv can be
 * read). Returns 0, or -1 with a message in err that names the directory
 * and the two ways to give another one (--catalog, DEALSTREAM_CATALOG_DIR). */
int ds_config_check_catalog(const ds_config *cfg, char *err, size_t errlen);
/* Prints the whole table as a Markdown reference (options with a
 * properties key; per-command descriptions prefixed with their commands). */
void ds_config_reference(FILE *out);
/* Prints the dealstream half of -X dump: every option of cmd as
 * "key = value" (unset ones with an empty value); ds_kafka_conf_dump()
 * prints the librdkafka half. Values of secret keys (see
 * ds_config_is_secret) are printed as "****". */
void ds_config_dump(FILE *out, const ds_config *cfg, unsigned cmd);
/* True when a key names a secret whose value must never be printed: it
 * contains "password", "secret", "sasl.oauthbearer", "ssl.key", "token" or
 * "basic.auth" (the registry's user:password). */
int ds_config_is_secret(const char *key);
/* Adds a librdkafka property (replacing an earlier value of the key). */
int ds_config_set_rdkafka(ds_config *cfg, const char *key, const char *value);

#endif
