/* publish.c: producing one record with headers to a topic or partition, and
 * dead letters that always fit the producer's message.max.bytes (see
 * publish.h). May call common/, librdkafka and libcrypto (SHA-256). */
#include "publish.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "log.h"

/* librdkafka's bound on a message's framing (RD_KAFKAP_MESSAGE_V2_MAX_OVERHEAD,
 * 36 bytes) with slack, and the room kept for the truncation headers. */
#define DLQ_FRAMING 64
#define DLQ_TRUNC_HEADERS 512

/* What a producev result means for ds_publish*: 0 queued, -1 failed (logged),
 * 1 the local queue was full and delivery reports were served for up to
 * 100 ms, so try again. */
static int queued_or_retry(rd_kafka_t *rk, const char *topic, rd_kafka_resp_err_t err)
{
    if (!err)
        return 0;
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        ds_error("publish", "cannot queue a message for %s: %s", topic, rd_kafka_err2str(err));
        return -1;
    }
    rd_kafka_poll(rk, 100);
    return 1;
}

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
        int rc = queued_or_retry(rk, topic, err);
        if (rc <= 0) {
            if (rc < 0 && hdrs)
                rd_kafka_headers_destroy(hdrs);
            return rc; /* on 0, hdrs now owned by the message */
        }
    }
}

int ds_publish_rkt(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int32_t partition, const void *key, size_t keylen,
                   const void *val, size_t len, void *opaque)
{
    for (;;) {
        rd_kafka_resp_err_t err =
            rd_kafka_producev(rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_KEY(key, keylen),
                              RD_KAFKA_V_VALUE((void *)val, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
        int rc = queued_or_retry(rk, rd_kafka_topic_name(rkt), err);
        if (rc <= 0)
            return rc;
    }
}

/* A header's share of the serialized size: name, value and two varints. */
static size_t header_size(size_t namelen, size_t vallen) { return namelen + vallen + 10; }

/* The serialized size of hdrs (NULL: none), as librdkafka counts it against
 * message.max.bytes, rounded up. */
static size_t headers_size(const rd_kafka_headers_t *hdrs)
{
    size_t n = 0;
    const char *name;
    const void *val;
    size_t sz;
    for (size_t i = 0; hdrs && rd_kafka_header_get_all(hdrs, i, &name, &val, &sz) == RD_KAFKA_RESP_ERR_NO_ERROR; i++)
        n += header_size(strlen(name), sz);
    return n + 5;
}

ds_dlq_plan ds_dlq_plan_make(size_t room, size_t keylen, size_t len, size_t hdrsize)
{
    ds_dlq_plan p = {keylen, len, 1};
    if (keylen <= room && hdrsize <= room - keylen && len <= room - keylen - hdrsize)
        return p;
    /* the value gives way first; the key and the original headers only when
     * either alone takes more than a quarter of the room */
    if (p.keylen > room / 4)
        p.keylen = room / 4;
    if (hdrsize > room / 4) {
        p.keep_headers = 0;
        hdrsize = 0;
    }
    size_t left = room - p.keylen - hdrsize;
    if (p.len > left)
        p.len = left / 1024 * 1024;
    return p;
}

size_t ds_dlq_limit(rd_kafka_t *rk)
{
    char v[32];
    size_t sz = sizeof v;
    if (rd_kafka_conf_get(rd_kafka_conf(rk), "message.max.bytes", v, &sz) != RD_KAFKA_CONF_OK)
        return 1000000; /* librdkafka's default */
    long n = strtol(v, NULL, 10);
    return n > 0 ? (size_t)n : 1000000;
}

size_t ds_record_limit(rd_kafka_t *rk)
{
    size_t limit = ds_dlq_limit(rk);
    return limit > 2 * DS_RECORD_OVERHEAD ? limit - DS_RECORD_OVERHEAD : limit / 2;
}

int ds_dlq_check_limits(rd_kafka_t *rk, long max_input, const char *what, char *err, size_t errlen)
{
    size_t limit = ds_dlq_limit(rk);
    if (limit < DS_DLQ_MIN_MESSAGE_BYTES) {
        snprintf(err, errlen,
                 "%s: the producer's message.max.bytes=%zu leaves no room for a dead letter's headers "
                 "(at least %d; --max-message-bytes is %ld)",
                 what, limit, DS_DLQ_MIN_MESSAGE_BYTES, max_input);
        return -1;
    }
    size_t room = limit - DLQ_FRAMING - DLQ_TRUNC_HEADERS - 2048; /* the error headers, message included */
    if (max_input > 0 && (size_t)max_input > room)
        ds_info(what,
                "inputs of up to %ld bytes (--max-message-bytes) are accepted but the producer's "
                "message.max.bytes is %zu: a dead letter of an input over %zu bytes carries its first KiBs, "
                "its size and its SHA-256",
                max_input, limit, room);
    return 0;
}

/* Lowercase hex SHA-256 of data into out. Returns 0 or -1. */
static int sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
        return -1;
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < mdlen; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
    return 0;
}

/* The failed input a dead letter is about. */
typedef struct dlq_source {
    const char *topic;
    int32_t partition;
    int64_t offset;
    const void *key, *val;
    size_t keylen, len;
    rd_kafka_headers_t *hdrs; /* a copy of the original headers, or NULL; consumed */
    size_t nhdrs;
} dlq_source;

/* Adds the headers that say what a dead letter left out of src. */
static void add_truncation(rd_kafka_headers_t *h, const dlq_source *src, const ds_dlq_plan *p)
{
    char what[40], size[24], sha[65], dropped[24];
    int cut_val = p->len < src->len, cut_key = p->keylen < src->keylen;
    snprintf(what, sizeof what, "%s%s%s", cut_val ? "value" : "", cut_key ? (cut_val ? ",key" : "key") : "",
             !p->keep_headers ? (cut_val || cut_key ? ",headers" : "headers") : "");
    snprintf(size, sizeof size, "%zu", src->len);
    rd_kafka_header_add(h, DS_DLQ_H_TRUNCATED, -1, what, -1);
    rd_kafka_header_add(h, DS_DLQ_H_ORIGINAL_SIZE, -1, size, -1);
    if (sha256_hex(src->val ? src->val : "", src->len, sha) == 0)
        rd_kafka_header_add(h, DS_DLQ_H_ORIGINAL_SHA256, -1, sha, -1);
    if (!p->keep_headers) {
        snprintf(dropped, sizeof dropped, "%zu", src->nhdrs);
        rd_kafka_header_add(h, DS_DLQ_H_HEADERS_DROPPED, -1, dropped, -1);
    }
}

/* Queues the dead letter of src (see ds_publish_dead_letter). */
static int publish_dlq(rd_kafka_t *rk, dlq_source *src, const ds_dlq_reason *why, void *opaque)
{
    char dlq[512], p[16], o[24];
    snprintf(dlq, sizeof dlq, "%s.dlq", src->topic);
    snprintf(p, sizeof p, "%" PRId32, src->partition);
    snprintf(o, sizeof o, "%" PRId64, src->offset);
    rd_kafka_headers_t *h = src->hdrs;
    src->hdrs = NULL; /* now owned here */
    const char *names[] = {DS_DLQ_H_TOPIC, DS_DLQ_H_PARTITION, DS_DLQ_H_OFFSET,
                           DS_DLQ_H_STAGE, DS_DLQ_H_CLASS,     DS_DLQ_H_MESSAGE};
    const char *vals[] = {src->topic, p, o, why->stage, why->cls, why->msg};
    size_t own = DLQ_FRAMING + DLQ_TRUNC_HEADERS;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        own += header_size(strlen(names[i]), strlen(vals[i]));
    size_t limit = ds_dlq_limit(rk);
    ds_dlq_plan plan = ds_dlq_plan_make(limit > own ? limit - own : 0, src->keylen, src->len, h ? headers_size(h) : 0);
    if (!plan.keep_headers && h) {
        rd_kafka_headers_destroy(h);
        h = NULL;
    }
    if (!h)
        h = rd_kafka_headers_new(10);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        rd_kafka_header_add(h, names[i], -1, vals[i], -1);
    int cut = plan.len < src->len || plan.keylen < src->keylen || !plan.keep_headers;
    if (cut)
        add_truncation(h, src, &plan);
    ds_warn("dlq", "%s [%" PRId32 "] offset %" PRId64 ": %s (%s): %s%s", src->topic, src->partition, src->offset,
            why->stage, why->cls, why->msg, cut ? " (the dead letter is truncated to fit message.max.bytes)" : "");
    return ds_publish(rk, dlq, src->key, plan.keylen, src->val, plan.len, h, opaque);
}

int ds_publish_dead_letter(rd_kafka_t *rk, const rd_kafka_message_t *rkm, const ds_dlq_reason *why, void *opaque)
{
    dlq_source src = {rd_kafka_topic_name(rkm->rkt), rkm->partition, rkm->offset, rkm->key, rkm->payload,
                      rkm->key_len, rkm->len, NULL, 0};
    rd_kafka_headers_t *orig = NULL;
    if (rd_kafka_message_headers(rkm, &orig) == RD_KAFKA_RESP_ERR_NO_ERROR && orig) {
        src.nhdrs = rd_kafka_header_cnt(orig);
        src.hdrs = rd_kafka_headers_copy(orig);
    }
    return publish_dlq(rk, &src, why, opaque);
}
