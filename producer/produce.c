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
#include "registry.h"

typedef struct produce_ctx {
    rd_kafka_t *rk;
    ds_codec *codec;
    ds_schema_id sid;
    const char *topic;
    const char *key_field;
    avro_value_t val;
    ds_buf buf;
    ds_framing framing;
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
    if (ds_codec_encode(p->codec, p->sid, &p->val, p->framing, &p->buf)) {
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

/* How long produce waits for an unreachable registry before giving up:
 * nothing has been sent then, so failing loses nothing. */
#define REGISTER_TIMEOUT_MS 30000

/* Registers the schema of the records as "<topic>-value" and switches the
 * output to Confluent framing with the id the registry gave. */
static int use_registry(const ds_config *cfg, produce_ctx *p, char *err, size_t errlen)
{
    ds_registry_conf rc = {.url = cfg->schema_registry_url,
                           .basic_auth = cfg->schema_registry_auth,
                           .ca_location = cfg->schema_registry_ca};
    ds_registry *reg = ds_registry_new(&rc, err, errlen);
    if (!reg)
        return -1;
    char subject[512];
    ds_registry_subject(p->topic, subject, sizeof subject);
    int32_t id;
    int r = ds_registry_register(reg, subject, ds_schema_json[p->sid], REGISTER_TIMEOUT_MS, &id, err, errlen);
    ds_registry_destroy(reg);
    if (r)
        return -1;
    if (ds_codec_set_confluent_id(p->codec, p->sid, id)) {
        snprintf(err, errlen, "schema registry gave an invalid id %d", (int)id);
        return -1;
    }
    p->framing = DS_FRAME_CONFLUENT;
    ds_info("produce", "schema registered as %s, id %d: writing Confluent framing", subject, (int)id);
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
    p.framing = DS_FRAME_SINGLE_OBJECT;
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
    if (cfg->schema_registry_url && use_registry(cfg, &p, err, sizeof err)) {
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
