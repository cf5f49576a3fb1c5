/* kafka.c: librdkafka glue: client configuration from ds_config, logging,
 * assign-only readers, partition counts (see kafka.h). May call common/ and
 * librdkafka. */
#include "kafka.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

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

int ds_kafka_default(rd_kafka_conf_t *conf, const ds_config *cfg, const char *key, const char *value, char *err,
                     size_t errlen)
{
    for (size_t i = 0; i < cfg->nrdkafka; i++)
        if (strcmp(cfg->rdkafka[i].key, key) == 0)
            return 0;
    return ds_kafka_set(conf, key, value, err, errlen);
}
