/* publish.c: producing one record with headers to a topic or partition, and
 * dead letters (see publish.h). May call common/ and librdkafka. */
#include "publish.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

int ds_publish(rd_kafka_t *rk, const char *topic, const void *key, size_t keylen, const void *val, size_t len,
               rd_kafka_headers_t *hdrs, void *opaque)
{
    return ds_publish_partition(rk, topic, RD_KAFKA_PARTITION_UA, key, keylen, val, len, hdrs, opaque);
}

int ds_publish_partition(rd_kafka_t *rk, const char *topic, int32_t partition, const void *key, size_t keylen,
                         const void *val, size_t len, rd_kafka_headers_t *hdrs, void *opaque)
{
    for (;;) {
        rd_kafka_resp_err_t err;
        if (hdrs)
            err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_KEY(key, keylen),
                                    RD_KAFKA_V_VALUE((void *)val, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                    RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
        else
            err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_KEY(key, keylen),
                                    RD_KAFKA_V_VALUE((void *)val, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                    RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
        if (!err)
            return 0; /* hdrs now owned by the message */
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            ds_error("publish", "cannot queue a message for %s: %s", topic, rd_kafka_err2str(err));
            if (hdrs)
                rd_kafka_headers_destroy(hdrs);
            return -1;
        }
        rd_kafka_poll(rk, 100);
    }
}

int ds_publish_dlq(rd_kafka_t *rk, const char *topic, int32_t partition, int64_t offset, const void *key,
                   size_t keylen, const void *val, size_t len, const char *stage, const char *cls,
                   const char *msg, void *opaque)
{
    char dlq[512], p[16], o[24];
    snprintf(dlq, sizeof dlq, "%s.dlq", topic);
    snprintf(p, sizeof p, "%" PRId32, partition);
    snprintf(o, sizeof o, "%" PRId64, offset);
    rd_kafka_headers_t *h = rd_kafka_headers_new(6);
    rd_kafka_header_add(h, DS_DLQ_H_TOPIC, -1, topic, -1);
    rd_kafka_header_add(h, DS_DLQ_H_PARTITION, -1, p, -1);
    rd_kafka_header_add(h, DS_DLQ_H_OFFSET, -1, o, -1);
    rd_kafka_header_add(h, DS_DLQ_H_STAGE, -1, stage, -1);
    rd_kafka_header_add(h, DS_DLQ_H_CLASS, -1, cls, -1);
    rd_kafka_header_add(h, DS_DLQ_H_MESSAGE, -1, msg, -1);
    ds_warn("dlq", "%s [%" PRId32 "] offset %" PRId64 ": %s (%s): %s", topic, partition, offset, stage, cls, msg);
    return ds_publish(rk, dlq, key, keylen, val, len, h, opaque);
}
