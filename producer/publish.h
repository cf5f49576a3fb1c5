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

/* As ds_publish_partition without headers, to a topic handle of rk's
 * (rd_kafka_topic_new): a producer writing many records to a few topics
 * saves the look-up of the topic by name, about 600 instructions a record
 * in librdkafka 2.0.2. */
int ds_publish_rkt(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int32_t partition, const void *key, size_t keylen,
                   const void *val, size_t len, void *opaque);

/* Dead-letter headers, named as Kafka Connect's DLQ names them so existing
 * tooling reads them. */
#define DS_DLQ_H_TOPIC "__connect.errors.topic"
#define DS_DLQ_H_PARTITION "__connect.errors.partition"
#define DS_DLQ_H_OFFSET "__connect.errors.offset"
#define DS_DLQ_H_STAGE "__connect.errors.stage"
#define DS_DLQ_H_CLASS "__connect.errors.class.name"
#define DS_DLQ_H_MESSAGE "__connect.errors.exception.message"
/* Added when the dead letter does not carry the whole original: what was
 * cut ("value", "value,key", "value,key,headers", ...), the original value's
 * size in bytes and its SHA-256 (64 hex digits), and how many original
 * headers were left out. */
#define DS_DLQ_H_TRUNCATED "dealstream.dlq.truncated"
#define DS_DLQ_H_ORIGINAL_SIZE "dealstream.dlq.original.size"
#define DS_DLQ_H_ORIGINAL_SHA256 "dealstream.dlq.original.sha256"
#define DS_DLQ_H_HEADERS_DROPPED "dealstream.dlq.headers.dropped"

/* The smallest producer message.max.bytes a dead letter needs: its error
 * headers, a key and the start of the value. */
#define DS_DLQ_MIN_MESSAGE_BYTES (64 * 1024)

/* Why an input is dead-lettered. */
typedef struct ds_dlq_reason {
    const char *stage, *cls, *msg;
} ds_dlq_reason;

/* How one dead letter is laid out within limit bytes (the producer's
 * message.max.bytes): how much of the key and value it carries and whether
 * the original headers fit. Pure; exposed for the tests. */
typedef struct ds_dlq_plan {
    size_t keylen, len;   /* bytes of the original key and value carried */
    int keep_headers;     /* 1: the original headers are copied */
} ds_dlq_plan;

/* Plans a dead letter of an original of keylen + len bytes with original
 * headers of hdrsize serialized bytes, in limit bytes. The value, when cut,
 * keeps a whole number of KiB. */
ds_dlq_plan ds_dlq_plan_make(size_t limit, size_t keylen, size_t len, size_t hdrsize);

/* The producer's message.max.bytes. */
size_t ds_dlq_limit(rd_kafka_t *rk);
/* Bytes a record's key and value may take under rk's message.max.bytes:
 * the limit less room for librdkafka's per-message framing. */
#define DS_RECORD_OVERHEAD 512
size_t ds_record_limit(rd_kafka_t *rk);

/* Start-up check of the producer's message.max.bytes against
 * --max-message-bytes (max_input): fails (-1, err set) when a dead letter
 * cannot fit its headers; logs once when the largest accepted inputs would
 * be dead-lettered with a truncated value. Returns 0 otherwise. */
int ds_dlq_check_limits(rd_kafka_t *rk, long max_input, const char *what, char *err, size_t errlen);

/* Queues a failed input rkm on "<its topic>.dlq": its key, value and
 * headers, as Kafka Connect does, plus the error headers above naming its
 * topic, partition and offset. A dead letter that would exceed the
 * producer's message.max.bytes carries the first whole KiB of the value that
 * fit (and the key and original headers as far as they fit) with the
 * DS_DLQ_H_TRUNCATED, _ORIGINAL_SIZE and _ORIGINAL_SHA256 headers, so it is
 * always accepted. Returns 0, or -1 after logging (the producer refused it
 * for another reason). */
int ds_publish_dead_letter(rd_kafka_t *rk, const rd_kafka_message_t *rkm, const ds_dlq_reason *why, void *opaque);

#endif
