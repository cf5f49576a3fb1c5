/* kafka.h: librdkafka glue shared by every command.
 * @locality: any thread, but each rd_kafka_t is driven by one loop. */
#ifndef DS_KAFKA_H
#define DS_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "config.h"

/* Builds a librdkafka configuration from cfg's pass-through properties.
 * Fails (NULL, message in err) when no bootstrap servers are configured or a
 * property is rejected by librdkafka. */
rd_kafka_conf_t *ds_kafka_conf(const ds_config *cfg, char *err, size_t errlen);
/* Sets one property, with the librdkafka message in err on failure. */
int ds_kafka_set(rd_kafka_conf_t *conf, const char *key, const char *value, char *err, size_t errlen);
/* Lists the partitions of topic (metadata request, bounded by timeout_ms).
 * Returns the count (>= 0) or -1 with err set; *parts is malloc'd. */
int ds_kafka_partitions(rd_kafka_t *rk, const char *topic, int timeout_ms, int32_t **parts, char *err,
                        size_t errlen);

#endif
