/* `dealstream consume`: any topic as JSON lines. */
#include "consume.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "kafka.h"
#include "log.h"
#include "publish.h"
#include "registry.h"
#include "util.h"

static volatile sig_atomic_t consume_stop;

static void on_signal(int sig)
{
    (void)sig;
    consume_stop = 1;
}

static json_t *envelope(const rd_kafka_message_t *rkm, const char *error)
{
    json_t *o = json_object();
    json_object_set_new(o, "topic", json_string(rd_kafka_topic_name(rkm->rkt)));
    json_object_set_new(o, "partition", json_integer(rkm->partition));
    json_object_set_new(o, "offset", json_integer(rkm->offset));
    json_object_set_new(o, "key", rkm->key ? json_stringn_nocheck(rkm->key, rkm->key_len) : json_null());
    json_t *h = json_object();
    rd_kafka_headers_t *hdrs = NULL;
    if (rd_kafka_message_headers(rkm, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char *name;
        const void *val;
        size_t size;
        for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; i++)
            json_object_set_new(h, name, val ? json_stringn_nocheck(val, size) : json_null());
    }
    json_object_set_new(o, "headers", h);
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = rkm->payload;
    size_t n = rkm->len;
    char *s = malloc(4 * ((n + 2) / 3) + 1);
    size_t o2 = 0;
    for (size_t i = 0; s && i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        s[o2++] = b64[v >> 18 & 63];
        s[o2++] = b64[v >> 12 & 63];
        s[o2++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
        s[o2++] = i + 2 < n ? b64[v & 63] : '=';
    }
    if (s) {
        s[o2] = '\0';
        json_object_set_new(o, "value_base64", json_string(s));
    }
    free(s);
    if (error)
        json_object_set_new(o, "error", json_string(error));
    return o;
}

/* Schema-registry ids seen so far, and the reader each maps to. */
typedef struct confluent_ids {
    ds_registry *reg;
    int32_t cid[64];
    ds_schema_id sid[64];
    int n;
} confluent_ids;

/* Finds the reader of a Confluent schema id, fetching the writer schema from
 * the registry the first time. consume is a blocking poll loop, not an event
 * loop, so it waits here while the registry is down (the message is kept,
 * never skipped), until SIGINT/SIGTERM. Returns 0, or -1 with the error in
 * derr (404, or a schema that is not one of ours). */
static int confluent_reader(confluent_ids *ids, ds_codec *codec, int32_t cid, ds_schema_id *sid, char *derr,
                            size_t derrlen)
{
    for (int i = 0; i < ids->n; i++)
        if (ids->cid[i] == cid) {
            *sid = ids->sid[i];
            return 0;
        }
    char *schema = NULL;
    int r;
    int64_t since = ds_mono_ms();
    while ((r = ds_registry_schema_wait(ids->reg, cid, 1000, &schema)) == DS_REG_ETIMEDOUT && !consume_stop)
        if (ds_mono_ms() - since >= 10000) {
            ds_warn("consume", "still waiting for the schema registry to answer for schema id %d", (int)cid);
            since = ds_mono_ms();
        }
    if (r == DS_REG_ENOTFOUND) {
        snprintf(derr, derrlen, "unknown-schema-id: the schema registry has no schema id %d", (int)cid);
        return -1;
    }
    if (r) {
        snprintf(derr, derrlen, "schema id %d: %s", (int)cid, ds_registry_strerror(r));
        return -1;
    }
    char e[200];
    r = ds_registry_codec_add(codec, cid, schema, sid, e, sizeof e);
    free(schema);
    if (r) {
        snprintf(derr, derrlen, "%s: %s", ds_codec_strerror(r), e);
        return -1;
    }
    if (ids->n < (int)(sizeof ids->cid / sizeof ids->cid[0])) {
        ids->cid[ids->n] = cid;
        ids->sid[ids->n++] = *sid;
    }
    return 0;
}

int ds_consume(const ds_config *cfg, ds_consume_fn fn, void *opaque, char *err, size_t errlen)
{
    if (!cfg->topic) {
        snprintf(err, errlen, "no topic: give -t TOPIC");
        return -1;
    }
    rd_kafka_conf_t *conf = ds_kafka_conf(cfg, err, errlen);
    if (!conf)
        return -1;
    char gid[128];
    const char *group = cfg->group;
    if (!group) {
        /* librdkafka needs a group id even for assign(); nothing is committed */
        snprintf(gid, sizeof gid, "dealstream-consume-%d", (int)getpid());
        group = gid;
    }
    if (ds_kafka_set(conf, "group.id", group, err, errlen) ||
        ds_kafka_set(conf, "enable.partition.eof", "true", err, errlen) ||
        ds_kafka_set(conf, "auto.offset.reset", strcmp(cfg->offset, "end") == 0 ? "latest" : "earliest", err, errlen) ||
        ds_kafka_set(conf, "enable.auto.commit", cfg->group ? "true" : "false", err, errlen)) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    char e[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof e);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "%s", e);
        return -1;
    }
    conf = NULL; /* now owned by rk */
    rd_kafka_poll_set_consumer(rk);
    ds_codec *codec = ds_codec_new(err, errlen);
    avro_value_t vals[DS_SCHEMA__COUNT];
    memset(vals, 0, sizeof vals);
    int rc = -1, nparts = 0, neof = 0;
    int32_t *parts = NULL;
    confluent_ids ids = {0};
    if (!codec)
        goto out;
    if (cfg->schema_registry_url) {
        ds_registry_conf rconf = {.url = cfg->schema_registry_url,
                                  .basic_auth = cfg->schema_registry_auth,
                                  .ca_location = cfg->schema_registry_ca};
        if (!(ids.reg = ds_registry_new(&rconf, err, errlen)))
            goto out;
    }
    for (int i = 0; i < DS_SCHEMA__COUNT; i++)
        if (ds_codec_value_new(codec, (ds_schema_id)i, &vals[i])) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
    rd_kafka_resp_err_t ke;
    if (cfg->group && strcmp(cfg->offset, "stored") == 0) {
        rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(sub, cfg->topic, RD_KAFKA_PARTITION_UA);
        ke = rd_kafka_subscribe(rk, sub);
        rd_kafka_topic_partition_list_destroy(sub);
        nparts = -1; /* unknown: end-of-partition counting needs the assignment */
    } else {
        nparts = ds_kafka_partitions(rk, cfg->topic, 10000, &parts, err, errlen);
        if (nparts < 0)
            goto out;
        rd_kafka_topic_partition_list_t *as = rd_kafka_topic_partition_list_new(nparts);
        for (int i = 0; i < nparts; i++)
            rd_kafka_topic_partition_list_add(as, cfg->topic, parts[i])->offset =
                strcmp(cfg->offset, "end") == 0 ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING;
        ke = rd_kafka_assign(rk, as);
        rd_kafka_topic_partition_list_destroy(as);
    }
    if (ke) {
        snprintf(err, errlen, "cannot read %s: %s", cfg->topic, rd_kafka_err2str(ke));
        goto out;
    }
    consume_stop = 0;
    void (*old_int)(int) = signal(SIGINT, on_signal);
    void (*old_term)(int) = signal(SIGTERM, on_signal);
    long seen = 0;
    rc = 0;
    while (!consume_stop) {
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(rk, 200);
        if (!rkm)
            continue;
        if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            rd_kafka_message_destroy(rkm);
            if (cfg->exit_at_end && nparts >= 0 && ++neof >= nparts)
                break;
            continue;
        }
        if (rkm->err) {
            ds_warn("consume", "%s", rd_kafka_message_errstr(rkm));
            rd_kafka_message_destroy(rkm);
            continue;
        }
        /* which of our schemas: by fingerprint (single object) */
        json_t *rec = NULL;
        char derr[256] = "not a dealstream Avro record";
        const unsigned char *p = rkm->payload;
        if (rkm->len >= 10 && p[0] == 0xC3 && p[1] == 0x01) {
            uint64_t fp = 0;
            for (int b = 0; b < 8; b++)
                fp |= (uint64_t)p[2 + b] << (8 * b);
            for (int i = 0; i < DS_SCHEMA__COUNT; i++)
                if (ds_codec_fingerprint(codec, (ds_schema_id)i) == fp) {
                    if (ds_codec_decode(codec, (ds_schema_id)i, p, rkm->len, &vals[i], derr, sizeof derr) == 0)
                        rec = ds_codec_to_json(codec, (ds_schema_id)i, &vals[i]);
                    break;
                }
        } else if (ids.reg && rkm->len >= 5 && p[0] == 0x00) {
            int32_t cid = (int32_t)((uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4]);
            ds_schema_id sid;
            if (confluent_reader(&ids, codec, cid, &sid, derr, sizeof derr) == 0 &&
                ds_codec_decode(codec, sid, p, rkm->len, &vals[sid], derr, sizeof derr) == 0)
                rec = ds_codec_to_json(codec, sid, &vals[sid]);
        }
        /* a dead letter is shown with its error headers, and its record if it decodes */
        rd_kafka_headers_t *hdrs = NULL;
        const void *hv;
        size_t hs;
        if (rd_kafka_message_headers(rkm, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            rd_kafka_header_get_last(hdrs, DS_DLQ_H_CLASS, &hv, &hs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            json_t *env = envelope(rkm, NULL);
            json_object_set_new(env, "record", rec ? rec : json_null());
            rec = env;
        }
        if (!rec)
            rec = envelope(rkm, derr);
        int stop = fn(opaque, rec, rkm);
        json_decref(rec);
        rd_kafka_message_destroy(rkm);
        if (stop || (cfg->count > 0 && ++seen >= cfg->count))
            break;
    }
    signal(SIGINT, old_int);
    signal(SIGTERM, old_term);
out:
    for (int i = 0; i < DS_SCHEMA__COUNT; i++)
        if (vals[i].self)
            avro_value_decref(&vals[i]);
    ds_codec_destroy(codec);
    ds_registry_destroy(ids.reg);
    free(parts);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}
