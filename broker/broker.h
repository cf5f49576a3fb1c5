/* broker.h: the embedded Kafka-protocol broker (librdkafka's mock cluster).
 *
 * It serves the Kafka protocol on loopback from threads of its own, so a
 * ds_broker can be used by other handles in this process or other processes.
 * Limits (see README): bounded per-partition retention, no offsets_for_times,
 * transactions protocol-only. */
#ifndef DS_BROKER_H
#define DS_BROKER_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stddef.h>

typedef struct ds_broker ds_broker;

/* Starts a cluster of nbrokers and creates each topic of the NULL-terminated
 * list with the given partition count (other topics are created on first
 * use). Returns NULL with err set on failure. */
ds_broker *ds_broker_new(int nbrokers, int partitions, const char *const *topics, char *err, size_t errlen);
/* "127.0.0.1:port,..." for bootstrap.servers; valid until destroy. */
const char *ds_broker_bootstraps(const ds_broker *broker);
rd_kafka_mock_cluster_t *ds_broker_cluster(ds_broker *broker);
/* Creates one more topic. Returns 0 or -1. */
int ds_broker_topic(ds_broker *broker, const char *topic, int partitions);
void ds_broker_destroy(ds_broker *broker); /* accepts NULL */

/* The topics a dealstream deployment with this app id uses, NULL-terminated,
 * in a static buffer (not thread-safe). */
const char *const *ds_broker_default_topics(const char *app_id);

#endif
