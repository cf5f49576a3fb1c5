/* consume.h: reading a topic as decoded records, as kcat reads one (the
 * consume command, the demo and the tests).
 *
 * The reader never joins a group: it assigns the partitions itself, from
 * the start the offset forms below give, so it takes nothing from the
 * members of a group it names (-G) and cannot rebalance them. With a group,
 * "stored" starts at its committed offsets; they move only with --commit,
 * which commits the position reached (the offset after the last message
 * read) of each partition once reading is done. */
#ifndef DS_CONSUME_H
#define DS_CONSUME_H

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdint.h>

#include "config.h"

/* ds_consume() results besides 0 and -1: */
#define DS_CONSUME_EUSAGE (-2) /* the options cannot work (err says why) */

/* Where each partition starts (-o). */
typedef enum {
    DS_FROM_BEGINNING,
    DS_FROM_END,
    DS_FROM_STORED, /* the group's committed offset; the beginning where none */
    DS_FROM_OFFSET, /* value: an absolute offset */
    DS_FROM_TAIL,   /* value: this many messages before the end */
    DS_FROM_TIME,   /* value: the first message at or after this time (ms) */
} ds_from;

typedef struct ds_consume_range {
    ds_from from;
    int64_t value;
    int64_t end_ms; /* e@: stop each partition before its first message at or after this time; -1: none */
} ds_consume_range;

/* Parses kcat's offset forms, comma-separated as repeated -o flags give
 * them: beginning | end | stored | N | -N | s@MS | e@MS (an e@ combines with
 * one start). NULL gives beginning. Returns 0, or -1 with err naming the
 * form that is wrong. */
int ds_consume_parse_range(const char *spec, ds_consume_range *range, char *err, size_t errlen);

/* Checks what the options alone tell (a topic; the offset forms; stored and
 * --commit only with a group) and fills range. Returns 0, or
 * DS_CONSUME_EUSAGE with err set. */
int ds_consume_check(const ds_config *cfg, ds_consume_range *range, char *err, size_t errlen);

/* One message as read. */
typedef struct ds_consumed {
    const rd_kafka_message_t *rkm;
    /* The value decoded as a record of one of our schemas (borrowed);
     * JSON null for a tombstone; NULL when it is not such a record. */
    json_t *value;
    const char *type;  /* the record's schema name ("CanonicalDeal"), NULL when none */
    const char *error; /* why value is NULL */
    int32_t schema_id; /* Confluent framing: the registry's schema id; else -1 */
    int dead_letter;   /* carries the dead-letter headers */
} ds_consumed;

/* Called per message; return non-zero to stop. */
typedef int (*ds_consumed_fn)(void *opaque, const ds_consumed *m);

/* Reads cfg->topic (partitions cfg->partition, or all) from cfg->offset,
 * with cfg->group's committed offsets for "stored" (the default with a
 * group). Stops after cfg->count messages when > 0; when every partition
 * read is done: at its end with cfg->exit_at_end (each partition counted
 * once, however often it reaches its end), or past its e@ time; or on
 * SIGINT/SIGTERM. With cfg->commit (needs a group) it commits the position
 * reached. Prints "% Reached end of topic T [P] at offset N" on stderr
 * unless cfg->quiet. Returns 0, DS_CONSUME_EUSAGE, or -1, with err set. */
int ds_consume_each(const ds_config *cfg, ds_consumed_fn fn, void *opaque, char *err, size_t errlen);

/* The JSON-lines form of a message, what `consume` prints by default: the
 * decoded record; JSON null for a tombstone; for a dead letter an envelope
 * with its headers and "record" (the decoded record or null); for anything
 * else an envelope {"topic","partition","offset","key","headers",
 * "value_base64","error"}. New reference. */
json_t *ds_consumed_json(const ds_consumed *m);

/* Called per message with ds_consumed_json()'s form (borrowed). Return
 * non-zero to stop. */
typedef int (*ds_consume_fn)(void *opaque, json_t *rec, const rd_kafka_message_t *rkm);

/* ds_consume_each() with the JSON-lines form. Returns 0, DS_CONSUME_EUSAGE
 * or -1, with err set. */
int ds_consume(const ds_config *cfg, ds_consume_fn fn, void *opaque, char *err, size_t errlen);

#endif
