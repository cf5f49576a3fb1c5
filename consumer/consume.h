/* consume.h: reading a topic as decoded records (the consume command, the
 * demo and the tests). */
#ifndef DS_CONSUME_H
#define DS_CONSUME_H

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "config.h"

/* Called per message with its JSON form: the decoded record when the value
 * is an Avro record of one of our schemas, else an envelope
 * {"topic","partition","offset","key","headers","value_base64","error"}.
 * Return non-zero to stop. */
typedef int (*ds_consume_fn)(void *opaque, json_t *rec, const rd_kafka_message_t *rkm);

/* Reads cfg->topic from cfg->offset (beginning|end|stored), with the group
 * cfg->group if set (and then commits), else by assigning every partition.
 * Stops after cfg->count messages when > 0, at the end of every partition
 * when cfg->exit_at_end, or on SIGINT/SIGTERM. Returns 0, or -1 with err set. */
int ds_consume(const ds_config *cfg, ds_consume_fn fn, void *opaque, char *err, size_t errlen);

#endif
