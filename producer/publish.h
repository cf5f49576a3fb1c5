/* publish.h: queueing records on a producer, including dead letters.
 * @locality the thread that polls rk. */
#ifndef DS_PUBLISH_H
#define DS_PUBLISH_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

/* Queues one message (value copied). When the local queue is full, serves
 * delivery reports for up to 100 ms at a time until there is room (so the
 * caller's memory stays bounded). opaque is handed to the delivery report.
 * hdrs (may be NULL) is consumed. Returns 0, or -1 after logging the error. */
int ds_publish(rd_kafka_t *rk, const char *topic, const void *key, size_t keylen, const void *val, size_t len,
               rd_kafka_headers_t *hdrs, void *opaque);

/* As ds_publish, to an explicit partition (RD_KAFKA_PARTITION_UA: the
 * partitioner chooses by key). */
int ds_publish_partition(rd_kafka_t *rk, const char *topic, int32_t partition, const void *key, size_t keylen,
                         const void *val, size_t len, rd_kafka_headers_t *hdrs, void *opaque);

/* Dead-letter headers, named as Kafka Connect's DLQ names them so existing
 * tooling reads them. */
#define DS_DLQ_H_TOPIC "__connect.errors.topic"
#define DS_DLQ_H_PARTITION "__connect.errors.partition"
#define DS_DLQ_H_OFFSET "__connect.errors.offset"
#define DS_DLQ_H_STAGE "__connect.errors.stage"
#define DS_DLQ_H_CLASS "__connect.errors.class.name"
#define DS_DLQ_H_MESSAGE "__connect.errors.exception.message"

/* Queues the original key and bytes of a failed input on "<topic>.dlq" with
 * the error headers above. */
int ds_publish_dlq(rd_kafka_t *rk, const char *topic, int32_t partition, int64_t offset, const void *key,
                   size_t keylen, const void *val, size_t len, const char *stage, const char *cls,
                   const char *msg, void *opaque);

#endif
