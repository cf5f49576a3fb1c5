/* produce.c: publishes articles, deal events or reference rows as Avro
 * (the produce command and the demo). May call schemas/, core/ (input,
 * catalog), consumer/kafka and producer/publish. */
#include "produce.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "input.h"
#include "kafka.h"
#include "log.h"
#include "publish.h"
#include "reftopic.h"
#include "registry.h"
#include "util.h"

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

/* --type reference: each row of a reference.tsv (validated as the
 * processor would load it) as one record keyed by its ref. Returns the
 * number queued, or -1 after logging why. */
static long produce_reference(const ds_config *cfg, rd_kafka_t *rk, const char *topic, const char *path)
{
    size_t len;
    char *text = ds_read_file(path, &len);
    if (!text) {
        ds_error("produce", "%s: cannot read", path);
        return -1;
    }
    char err[1024];
    ds_catalog *cat = ds_catalog_load_refs(cfg->catalog_dir, text, len, path, NULL, 0, err, sizeof err);
    if (!cat) {
        ds_error("produce", "%s", err);
        free(text);
        return -1;
    }
    ds_catalog_destroy(cat);
    long queued = 0;
    int lineno = 0, header = 0;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        size_t ll = strlen(line);
        if (ll && line[ll - 1] == '\r')
            line[--ll] = '\0';
        if (!ll || line[0] == '#' || strspn(line, " \t") == ll)
            continue;
        if (!header) {
            header = 1;
            if (strcmp(line, ds_reftopic_header) != 0) {
                ds_error("produce", "%s:%d: the header must be the columns of reference.tsv in its order: %s", path,
                         lineno, ds_reftopic_header);
                queued = -1;
                break;
            }
            continue;
        }
        size_t klen = strcspn(line, "\t");
        if (ds_publish(rk, topic, line, klen, line, ll, NULL, NULL)) {
            queued = -1;
            break;
        }
        queued++;
    }
    free(text);
    return queued;
}

/* A producer for cfg: idempotent, linger 5 ms unless the user set it,
 * delivery failures counted into *failed. NULL with err set. */
static rd_kafka_t *producer_new(const ds_config *cfg, size_t *failed, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = ds_kafka_conf(cfg, err, errlen);
    if (!conf)
        return NULL;
    if (ds_kafka_set(conf, "enable.idempotence", "true", err, errlen) ||
        ds_kafka_default(conf, cfg, "linger.ms", "5", err, errlen)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_opaque(conf, failed);
    return ds_kafka_new(RD_KAFKA_PRODUCER, conf, "producer", err, errlen); /* takes conf */
}

/* --type reference: every file's rows, then a flush. Returns 0 or -1. */
static int produce_references(const ds_config *cfg, rd_kafka_t *rk, const size_t *failed_delivery)
{
    long total = 0;
    for (int i = 0; i < cfg->nargs && total >= 0; i++) {
        long n = produce_reference(cfg, rk, cfg->topic, cfg->args[i]);
        total = n < 0 ? -1 : total + n;
    }
    rd_kafka_resp_err_t fe = rd_kafka_flush(rk, 30000);
    ds_info("produce", "%ld reference row(s) queued to %s, %zu failed delivery", total < 0 ? 0 : total, cfg->topic,
            *failed_delivery + (size_t)rd_kafka_outq_len(rk));
    return total < 0 || fe || *failed_delivery ? -1 : 0;
}

/* Articles or deal events from every file (stdin without files), then a
 * flush. Returns 0 when every record was delivered, else -1. */
static int produce_records(const ds_config *cfg, produce_ctx *p, int is_article, const size_t *failed_delivery)
{
    char err[1024];
    size_t nbad = 0;
    int nfiles = cfg->nargs ? cfg->nargs : 1;
    int read_failed = 0;
    for (int i = 0; i < nfiles; i++) {
        const char *path = cfg->nargs ? cfg->args[i] : "-";
        if (ds_input_read(path, cfg->input_format, is_article, on_record, p, on_bad, &nbad, err, sizeof err)) {
            ds_error("produce", "%s", err);
            read_failed = 1;
        }
    }
    rd_kafka_resp_err_t fe = rd_kafka_flush(p->rk, 30000);
    size_t undelivered = (size_t)rd_kafka_outq_len(p->rk);
    if (fe)
        ds_error("produce", "%zu messages still queued after 30 s: %s", undelivered, rd_kafka_err2str(fe));
    size_t delivered = p->queued - *failed_delivery - (fe ? undelivered : 0);
    ds_info("produce", "%zu delivered to %s, %zu failed delivery, %zu rejected input", delivered, p->topic,
            *failed_delivery + (fe ? undelivered : 0), p->failed_encode + nbad);
    return (read_failed || *failed_delivery || fe || p->failed_encode || nbad) ? -1 : 0;
}

int ds_produce(const ds_config *cfg, char *err, size_t errlen)
{
    int is_article = strcmp(cfg->input_type, "deal") != 0;
    int is_reference = strcmp(cfg->input_type, "reference") == 0;
    if (is_reference && (!cfg->topic || cfg->nargs == 0)) {
        snprintf(err, errlen, "--type reference needs -t TOPIC and a reference.tsv file");
        return DS_PRODUCE_EUSAGE;
    }
    produce_ctx p = {0};
    size_t failed_delivery = 0;
    int rc = -1;
    p.sid = is_article ? DS_SCHEMA_ARTICLE : DS_SCHEMA_DEAL_EVENT;
    p.topic = cfg->topic ? cfg->topic : is_article ? cfg->articles_topic : cfg->deals_topic;
    p.key_field = is_article ? "article_id" : "source_id";
    p.framing = DS_FRAME_SINGLE_OBJECT;
    ds_buf_init(&p.buf);
    if (!(p.rk = producer_new(cfg, &failed_delivery, err, errlen)))
        return DS_PRODUCE_EUSAGE;
    if (is_reference) {
        rc = produce_references(cfg, p.rk, &failed_delivery);
        if (rc)
            snprintf(err, errlen, "not every reference row was delivered (see above)");
        goto out;
    }
    p.codec = ds_codec_new(err, errlen);
    if (!p.codec || ds_codec_value_new(p.codec, p.sid, &p.val))
        goto out;
    if (cfg->schema_registry_url && use_registry(cfg, &p, err, errlen))
        goto out;
    rc = produce_records(cfg, &p, is_article, &failed_delivery);
    if (rc)
        snprintf(err, errlen, "not every record was delivered (see above)");
out:
    if (p.val.self)
        avro_value_decref(&p.val);
    ds_codec_destroy(p.codec);
    ds_buf_free(&p.buf);
    rd_kafka_destroy(p.rk);
    return rc;
}
