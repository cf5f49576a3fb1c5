/* `dealstream produce`: publishes articles or deal events as Avro. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "commands.h"
#include "input.h"
#include "kafka.h"
#include "log.h"
#include "publish.h"

typedef struct produce_ctx {
    rd_kafka_t *rk;
    ds_codec *codec;
    ds_schema_id sid;
    const char *topic;
    const char *key_field;
    avro_value_t val;
    ds_buf buf;
    size_t queued, failed_encode;
    int quiet;
} produce_ctx;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
    (void)rk;
    size_t *failed = opaque;
    if (rkm->err) {
        (*failed)++;
        ds_error("produce", "delivery to %s [%d] failed: %s", rd_kafka_topic_name(rkm->rkt), (int)rkm->partition,
                 rd_kafka_err2str(rkm->err));
    }
}

static void on_bad(void *opaque, const char *where, const char *what)
{
    (void)opaque;
    ds_error("produce", "%s: %s", where, what);
}

static int on_record(void *opaque, json_t *rec, const char *where)
{
    produce_ctx *p = opaque;
    char err[512];
    int rc = ds_codec_from_json(p->codec, p->sid, rec, &p->val, err, sizeof err);
    if (rc) {
        ds_error("produce", "%s: %s", where, err);
        p->failed_encode++;
        return 0;
    }
    const char *key = json_string_value(json_object_get(rec, p->key_field));
    ds_buf_reset(&p->buf);
    if (ds_codec_encode(p->codec, p->sid, &p->val, DS_FRAME_SINGLE_OBJECT, &p->buf)) {
        ds_error("produce", "%s: cannot encode: %s", where, avro_strerror());
        p->failed_encode++;
        return 0;
    }
    if (ds_publish(p->rk, p->topic, key, key ? strlen(key) : 0, p->buf.data, p->buf.len, NULL, NULL)) {
        p->failed_encode++;
        return 0;
    }
    p->queued++;
    return 0;
}

int ds_cmd_produce(ds_config *cfg)
{
    char err[1024];
    int is_article = strcmp(cfg->input_type, "deal") != 0;
    produce_ctx p = {0};
    size_t failed_delivery = 0, nbad = 0;
    int rc = 1;
    p.sid = is_article ? DS_SCHEMA_ARTICLE : DS_SCHEMA_DEAL_EVENT;
    p.topic = cfg->topic ? cfg->topic : is_article ? cfg->articles_topic : cfg->deals_topic;
    p.key_field = is_article ? "article_id" : "source_id";
    ds_buf_init(&p.buf);

    rd_kafka_conf_t *conf = ds_kafka_conf(cfg, err, sizeof err);
    if (!conf) {
        fprintf(stderr, "dealstream produce: %s\n", err);
        return 2;
    }
    if (ds_kafka_set(conf, "enable.idempotence", "true", err, sizeof err) ||
        ds_kafka_set(conf, "linger.ms", "5", err, sizeof err)) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "dealstream produce: %s\n", err);
        return 2;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_opaque(conf, &failed_delivery);
    p.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!p.rk) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "dealstream produce: %s\n", err);
        return 1;
    }
    conf = NULL; /* now owned by rk */
    p.codec = ds_codec_new(err, sizeof err);
    if (!p.codec || ds_codec_value_new(p.codec, p.sid, &p.val)) {
        fprintf(stderr, "dealstream produce: %s\n", err);
        goto out;
    }
    int nfiles = cfg->nargs ? cfg->nargs : 1;
    int read_failed = 0;
    for (int i = 0; i < nfiles; i++) {
        const char *path = cfg->nargs ? cfg->args[i] : "-";
        if (ds_input_read(path, cfg->input_format, is_article, on_record, &p, on_bad, &nbad, err, sizeof err)) {
            ds_error("produce", "%s", err);
            read_failed = 1;
        }
    }
    rd_kafka_resp_err_t fe = rd_kafka_flush(p.rk, 30000);
    size_t undelivered = (size_t)rd_kafka_outq_len(p.rk);
    if (fe)
        ds_error("produce", "%zu messages still queued after 30 s: %s", undelivered, rd_kafka_err2str(fe));
    size_t delivered = p.queued - failed_delivery - (fe ? undelivered : 0);
    ds_info("produce", "%zu delivered to %s, %zu failed delivery, %zu rejected input", delivered, p.topic,
            failed_delivery + (fe ? undelivered : 0), p.failed_encode + nbad);
    rc = (read_failed || failed_delivery || fe || p.failed_encode || nbad) ? 1 : 0;
out:
    if (p.val.self)
        avro_value_decref(&p.val);
    ds_codec_destroy(p.codec);
    ds_buf_free(&p.buf);
    rd_kafka_destroy(p.rk);
    return rc;
}
