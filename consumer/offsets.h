/* offsets.h: `dealstream offsets reset`, as kafka-consumer-groups
 * --reset-offsets: plans new committed offsets for a group and, with
 * execute, commits them.
 *
 * The scope must be named: a topic (or some of its partitions), every
 * topic the group has offsets for, or the partitions of a file.
 *
 * The group must have no active members: their own commits would overwrite
 * the reset, and Kafka refuses commits from outside a live generation. When
 * the broker cannot describe the group (the embedded broker has no
 * DescribeGroups) membership is unknown, and executing needs force. */
#ifndef DS_OFFSETS_H
#define DS_OFFSETS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <librdkafka/rdkafka.h>

#include "config.h"

struct ds_group;

/* ds_offsets_reset() results besides 0 and -1 (other failure): */
#define DS_OFFSETS_EACTIVE (-2)    /* the group has active members */
#define DS_OFFSETS_EUNCHECKED (-3) /* membership unknown and no force */
#define DS_OFFSETS_ETIME (-4)      /* the broker did not answer a timestamp look-up */

typedef enum {
    DS_RESET_EARLIEST,
    DS_RESET_LATEST,
    DS_RESET_DATETIME, /* value: ms since the epoch */
    DS_RESET_OFFSET,   /* value: the offset */
    DS_RESET_SHIFT,    /* value: signed shift */
    DS_RESET_CURRENT,  /* the committed offset, or the log end where there is none */
    DS_RESET_FILE,     /* each of rows' targets (clamped to the log); rows are the scope */
} ds_reset_to;

typedef struct ds_reset_row {
    char *topic;
    int32_t partition;
    int64_t current; /* -1 when the group has no committed offset */
    int64_t target;
    int64_t log_start, log_end;
} ds_reset_row;

/* The scope is topic, or every partition the group has committed offsets
 * for (all_topics, as kafka-consumer-groups --all-topics), or the rows of
 * DS_RESET_FILE; one of the three, as kafka-consumer-groups requires. */
typedef struct ds_reset_spec {
    ds_reset_to to;
    int64_t value;
    const char *topic; /* "T" or "T:P,P..." */
    int all_topics;
    const ds_reset_row *rows; /* DS_RESET_FILE: topic, partition and target of each */
    size_t nrows;
    int execute; /* 0: dry run */
    int force;
    int timeout_ms; /* per request; 0: 10 s */
} ds_reset_spec;

/* ds_reset_plan.members: the group has members the broker does not count
 * (the consumer protocol's, KIP-848); they block an execute too. */
#define DS_RESET_MEMBERS_UNCOUNTED (-2)

typedef struct ds_reset_plan {
    ds_reset_row *rows;
    size_t n;
    int members;  /* active members, -1 when the broker could not tell, or
                   * DS_RESET_MEMBERS_UNCOUNTED */
    char members_why[320]; /* for DS_RESET_MEMBERS_UNCOUNTED: what the broker said */
    int executed; /* the new offsets were committed */
} ds_reset_plan;

/* Plans the reset of group's offsets and, when spec->execute, commits it.
 * plan is filled whenever the plan could be made (also on EACTIVE and
 * EUNCHECKED); free it with ds_reset_plan_free. Returns 0, -1,
 * DS_OFFSETS_EACTIVE, DS_OFFSETS_EUNCHECKED or DS_OFFSETS_ETIME, with err set
 * on failure. */
int ds_offsets_reset(const ds_config *cfg, const char *group, const ds_reset_spec *spec, ds_reset_plan *plan,
                     char *err, size_t errlen);
void ds_reset_plan_free(ds_reset_plan *plan);
void ds_reset_plan_print(const ds_reset_plan *plan, FILE *out);
/* The plan as kafka-consumer-groups --export writes it: one
 * "topic,partition,new-offset" line per partition. */
void ds_reset_plan_print_csv(const ds_reset_plan *plan, FILE *out);
/* Reads a --from-file CSV: "topic,partition,offset" lines, or
 * "group,topic,partition,offset" lines (rows of other groups are skipped);
 * blank lines and '#' comments are skipped. Fills *rows (topic, partition
 * and target of each; free with ds_reset_rows_free). Returns 0, or -1 with
 * err naming file and line. */
int ds_reset_rows_read(const char *path, const char *group, ds_reset_row **rows, size_t *n, char *err,
                       size_t errlen);
void ds_reset_rows_free(ds_reset_row *rows, size_t n);
/* Parses a duration: ISO-8601 PnDTnHnMnS as kafka-consumer-groups
 * --by-duration takes it (P1DT2H, PT30M, PT0.5S), or as replay takes it
 * (90s, 30m, 6h, 2d, 1w). Returns 0 with *ms set, or -1. */
int ds_offsets_parse_duration(const char *s, int64_t *ms);
/* For each element of q (topic, partition), the first offset whose message
 * is at or after `when` (ms), clamped to [log_start[i], log_end[i]], or
 * log_end[i] when there is none, into its offset field. Kafka answers -1 for
 * "none", and so does a broker that cannot look offsets up by timestamp (the
 * embedded one): the two are told apart by reading the timestamp of the
 * partition's last message. Returns 0, -1, or DS_OFFSETS_ETIME (the broker
 * cannot answer), with err set on failure. */
int ds_offsets_at_time(const ds_config *cfg, struct ds_group *g, rd_kafka_topic_partition_list_t *q, int64_t when,
                       const int64_t *log_start, const int64_t *log_end, int timeout_ms, char *err, size_t errlen);
/* Parses YYYY-MM-DDTHH:MM:SS[.sss][Z|+hh:mm|-hh:mm] (UTC without a zone; a
 * space may replace the T) into ms since the epoch. Returns 0 or -1. */
int ds_parse_datetime(const char *s, int64_t *ms);

#endif
