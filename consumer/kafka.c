/* kafka.c: librdkafka glue: client configuration from ds_config, logging,
 * assign-only readers, partition counts (see kafka.h). May call common/ and
 * librdkafka. */
#include "kafka.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"
#include "util.h"

int ds_kafka_set(rd_kafka_conf_t *conf, const char *key, const char *value, char *err, size_t errlen)
{
    char e[512];
    if (rd_kafka_conf_set(conf, key, value, e, sizeof e) != RD_KAFKA_CONF_OK) {
        snprintf(err, errlen, "kafka property %s: %s", key, e);
        return -1;
    }
    return 0;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    ds_log_level lvl = level <= LOG_ERR ? DS_LOG_ERROR
                       : level == LOG_WARNING ? DS_LOG_WARN
                       : level <= LOG_INFO    ? DS_LOG_INFO
                                              : DS_LOG_DEBUG;
    if (!ds_log_enabled(lvl))
        return;
    char comp[64];
    snprintf(comp, sizeof comp, "rdkafka:%s", fac ? fac : "");
    ds_log(lvl, comp, "%s", buf);
}

void ds_kafka_conf_set_log(rd_kafka_conf_t *conf) { rd_kafka_conf_set_log_cb(conf, log_cb); }

void ds_kafka_conf_list(FILE *out) { rd_kafka_conf_properties_show(out); }

int ds_kafka_conf_dump(const ds_config *cfg, FILE *out, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    for (size_t i = 0; i < cfg->nrdkafka; i++)
        if (ds_kafka_set(conf, cfg->rdkafka[i].key, cfg->rdkafka[i].value, err, errlen)) {
            rd_kafka_conf_destroy(conf);
            return -1;
        }
    fprintf(out, "# librdkafka properties (effective, defaults included)\n");
    size_t n;
    const char **arr = rd_kafka_conf_dump(conf, &n);
    for (size_t i = 0; i + 1 < n; i += 2)
        fprintf(out, "%s = %s\n", arr[i], ds_config_is_secret(arr[i]) ? "****" : arr[i + 1]);
    rd_kafka_conf_dump_free(arr, n);
    const rd_kafka_topic_conf_t *tconf = rd_kafka_conf_get_default_topic_conf(conf);
    if (tconf) {
        fprintf(out, "# librdkafka topic properties\n");
        arr = rd_kafka_topic_conf_dump((rd_kafka_topic_conf_t *)tconf, &n);
        for (size_t i = 0; i + 1 < n; i += 2)
            fprintf(out, "%s = %s\n", arr[i], ds_config_is_secret(arr[i]) ? "****" : arr[i + 1]);
        rd_kafka_conf_dump_free(arr, n);
    }
    rd_kafka_conf_destroy(conf);
    return 0;
}

rd_kafka_conf_t *ds_kafka_conf(const ds_config *cfg, char *err, size_t errlen)
{
    int have_bootstrap = 0;
    for (size_t i = 0; i < cfg->nrdkafka; i++)
        if ((strcmp(cfg->rdkafka[i].key, "bootstrap.servers") == 0 ||
             strcmp(cfg->rdkafka[i].key, "metadata.broker.list") == 0) &&
            cfg->rdkafka[i].value[0])
            have_bootstrap = 1;
    if (!have_bootstrap) {
        snprintf(err, errlen,
                 "no Kafka brokers configured: give -b host:port (or DEALSTREAM_BOOTSTRAP_SERVERS, "
                 "or bootstrap.servers in a -F file); 'dealstream broker' starts an embedded one");
        return NULL;
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    ds_kafka_conf_set_log(conf);
    for (size_t i = 0; i < cfg->nrdkafka; i++)
        if (ds_kafka_set(conf, cfg->rdkafka[i].key, cfg->rdkafka[i].value, err, errlen)) {
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    return conf;
}

int ds_kafka_partitions(rd_kafka_t *rk, const char *topic, int timeout_ms, int32_t **parts, char *err,
                        size_t errlen)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
    rd_kafka_topic_destroy(rkt);
    if (e) {
        snprintf(err, errlen, "metadata for topic %s: %s", topic, rd_kafka_err2str(e));
        return -1;
    }
    int n = -1;
    for (int i = 0; i < md->topic_cnt; i++) {
        if (strcmp(md->topics[i].topic, topic) != 0)
            continue;
        if (md->topics[i].err) {
            snprintf(err, errlen, "topic %s: %s", topic, rd_kafka_err2str(md->topics[i].err));
            break;
        }
        n = md->topics[i].partition_cnt;
        *parts = malloc(sizeof **parts * (size_t)(n ? n : 1));
        if (!*parts) {
            snprintf(err, errlen, "out of memory");
            n = -1;
            break;
        }
        for (int p = 0; p < n; p++)
            (*parts)[p] = md->topics[i].partitions[p].id;
    }
    if (n < 0 && !err[0])
        snprintf(err, errlen, "topic %s not found", topic);
    rd_kafka_metadata_destroy(md);
    return n;
}

rd_kafka_t *ds_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf, const char *what, char *err, size_t errlen)
{
    char e[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, e, sizeof e);
    if (!rk) {
        snprintf(err, errlen, "%s: %s", what, e);
        rd_kafka_conf_destroy(conf);
    }
    return rk; /* conf now owned by rk */
}

rd_kafka_t *ds_kafka_reader(rd_kafka_conf_t *conf, const char *group, char *err, size_t errlen)
{
    if (ds_kafka_set(conf, "group.id", group, err, errlen) ||
        ds_kafka_set(conf, "enable.auto.commit", "false", err, errlen) ||
        ds_kafka_set(conf, "enable.partition.eof", "true", err, errlen) ||
        ds_kafka_set(conf, "auto.offset.reset", "earliest", err, errlen)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_t *rk = ds_kafka_new(RD_KAFKA_CONSUMER, conf, "consumer", err, errlen);
    if (rk)
        rd_kafka_poll_set_consumer(rk);
    return rk;
}

int ds_kafka_topic_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms, char *err, size_t errlen)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
    if (e) {
        snprintf(err, errlen, "metadata: %s", rd_kafka_err2str(e));
        return -1;
    }
    int n = 0;
    for (int i = 0; i < md->topic_cnt; i++)
        if (strcmp(md->topics[i].topic, topic) == 0 && !md->topics[i].err)
            n = md->topics[i].partition_cnt;
    rd_kafka_metadata_destroy(md);
    return n;
}

int64_t ds_kafka_offsets_lost(int64_t expected, int64_t got, int64_t lo)
{
    if (expected < 0 || got <= expected || lo <= expected)
        return 0;
    return (got < lo ? got : lo) - expected;
}

int ds_kafka_default(rd_kafka_conf_t *conf, const ds_config *cfg, const char *key, const char *value, char *err,
                     size_t errlen)
{
    for (size_t i = 0; i < cfg->nrdkafka; i++)
        if (strcmp(cfg->rdkafka[i].key, key) == 0)
            return 0;
    return ds_kafka_set(conf, key, value, err, errlen);
}

/* What the probe's error callback saw last. */
typedef struct probe {
    char reason[512];
    int all_down;
} probe;

static void probe_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk, (void)level, (void)fac, (void)buf; /* the probe's result says it once */
}

/* Keeps the reason of a broker failure, as a reader wants it: "Connect to
 * ipv4#127.0.0.1:1 failed: Connection refused (after 0ms in state
 * CONNECT)" becomes "connection refused". */
static void probe_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)rk;
    probe *p = opaque;
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        p->all_down = 1;
        return;
    }
    const char *r = reason;
    const char *failed = strstr(r, " failed: ");
    if (failed && strncmp(r, "Connect to", 10) != 0 && strstr(r, ": Connect to"))
        failed = strstr(strstr(r, ": Connect to"), " failed: ");
    if (failed)
        r = failed + 9;
    else if (strstr(r, "/bootstrap: "))
        r = strstr(r, "/bootstrap: ") + 12;
    size_t n = strcspn(r, "(");
    while (n > 0 && r[n - 1] == ' ')
        n--;
    if (n == 0)
        n = strlen(r);
    snprintf(p->reason, sizeof p->reason, "%.*s", (int)n, r);
    if (p->reason[0] && isupper((unsigned char)p->reason[0]) && !isupper((unsigned char)p->reason[1]))
        p->reason[0] = (char)tolower((unsigned char)p->reason[0]);
}

int ds_kafka_probe(const ds_config *cfg, int timeout_ms, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = ds_kafka_conf(cfg, err, errlen);
    if (!conf)
        return DS_KAFKA_ECONF;
    probe p = {.reason = ""};
    char servers[1024] = "?";
    size_t sz = sizeof servers;
    rd_kafka_conf_get(conf, "bootstrap.servers", servers, &sz);
    rd_kafka_conf_set_log_cb(conf, probe_log_cb);
    rd_kafka_conf_set_error_cb(conf, probe_error_cb);
    rd_kafka_conf_set_opaque(conf, &p);
    rd_kafka_t *rk = ds_kafka_new(RD_KAFKA_PRODUCER, conf, "client", err, errlen); /* takes conf */
    if (!rk)
        return DS_KAFKA_ECONF;
    int64_t deadline = ds_mono_ms() + timeout_ms;
    int rc = DS_KAFKA_EUNREACHABLE;
    while (!p.all_down) {
        const struct rd_kafka_metadata *md = NULL;
        if (rd_kafka_metadata(rk, 0, NULL, &md, 200) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            rd_kafka_metadata_destroy(md);
            rc = 0;
            break;
        }
        rd_kafka_poll(rk, 0); /* serves the error callback */
        if (ds_mono_ms() >= deadline)
            break;
    }
    if (rc) {
        rd_kafka_poll(rk, 0);
        if (p.reason[0])
            snprintf(err, errlen, "cannot reach %s (%s)", servers, p.reason);
        else
            snprintf(err, errlen, "cannot reach %s (no answer in %d s)", servers, (timeout_ms + 999) / 1000);
    }
    rd_kafka_destroy(rk);
    return rc;
}

ds_partitioner_fn ds_kafka_partitioner(const ds_config *cfg)
{
    char err[256], v[64] = "consistent_random";
    size_t vl = sizeof v;
    rd_kafka_conf_t *conf = ds_kafka_conf(cfg, err, sizeof err);
    if (conf) {
        if (rd_kafka_conf_get(conf, "partitioner", v, &vl) != RD_KAFKA_CONF_OK)
            snprintf(v, sizeof v, "consistent_random");
        rd_kafka_conf_destroy(conf);
    }
    static const struct {
        const char *name;
        ds_partitioner_fn fn;
    } fns[] = {
        {"consistent", rd_kafka_msg_partitioner_consistent},
        {"consistent_random", rd_kafka_msg_partitioner_consistent_random},
        {"murmur2", rd_kafka_msg_partitioner_murmur2},
        {"murmur2_random", rd_kafka_msg_partitioner_murmur2_random},
        {"fnv1a", rd_kafka_msg_partitioner_fnv1a},
        {"fnv1a_random", rd_kafka_msg_partitioner_fnv1a_random},
    };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        if (strcmp(fns[i].name, v) == 0)
            return fns[i].fn;
    ds_warn("kafka", "partitioner %s is not keyed; mentions are resolved as with consistent_random", v);
    return rd_kafka_msg_partitioner_consistent_random;
}

int ds_kafka_owns_block(const char *block_key, void *owner)
{
    const ds_block_owner *o = owner;
    if (o->nparts <= 1)
        return 1;
    return o->partition_of(NULL, block_key, strlen(block_key), o->nparts, NULL, NULL) == o->partition;
}

void ds_kafka_end_init(ds_kafka_end *e, int64_t end)
{
    e->end = end;
    e->waiting = -1;
    e->since_ms = 0;
}

int ds_kafka_end_at(rd_kafka_t *rk, const char *topic, int32_t partition, int64_t eof, ds_kafka_end *e)
{
    if (e->end < 0) {
        int64_t lo = 0, hi = -1;
        if (rd_kafka_get_watermark_offsets(rk, topic, partition, &lo, &hi) || hi < 0)
            hi = eof; /* no figure: the event is the end, as librdkafka says */
        e->end = hi;
    }
    if (eof >= e->end) {
        ds_kafka_end_init(e, -1);
        return 1;
    }
    if (e->waiting == eof)
        return 0;
    int first = e->waiting < 0;
    if (first)
        e->since_ms = ds_mono_ms();
    e->waiting = eof;
    return first ? DS_KAFKA_END_WAITS : 0;
}

rd_kafka_t *ds_kafka_watermarks_handle(const ds_config *cfg, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = ds_kafka_conf(cfg, err, errlen);
    if (!conf)
        return NULL;
    if (ds_kafka_set(conf, "isolation.level", "read_uncommitted", err, errlen)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return ds_kafka_new(RD_KAFKA_CONSUMER, conf, "watermarks", err, errlen); /* conf now owned */
}

int ds_kafka_txn_timeout_ms(rd_kafka_t *rk)
{
    char v[64];
    size_t sz = sizeof v;
    long ms = 60000;
    if (rd_kafka_conf_get(rd_kafka_conf(rk), "transaction.timeout.ms", v, &sz) == RD_KAFKA_CONF_OK)
        ms = strtol(v, NULL, 10);
    return ms > 0 && ms <= INT32_MAX ? (int)ms : 60000;
}
