/* broker.c: the embedded broker, librdkafka's mock cluster (see broker.h).
 * May call common/ and librdkafka. */
#include "broker.h"

#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>

struct ds_broker {
    rd_kafka_t *rk; /* owns the mock cluster's lifetime */
    rd_kafka_mock_cluster_t *mcluster;
};

ds_broker *ds_broker_new(int nbrokers, int partitions, const char *const *topics, char *err, size_t errlen)
{
    ds_broker *broker = calloc(1, sizeof *broker);
    if (!broker) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char e[512];
    /* Quiet: this handle only hosts the cluster. */
    rd_kafka_conf_set(conf, "log_level", "3", e, sizeof e);
    broker->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e);
    if (!broker->rk) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "embedded broker: %s", e);
        goto err;
    }
    conf = NULL; /* now owned by rk */
    broker->mcluster = rd_kafka_mock_cluster_new(broker->rk, nbrokers);
    if (!broker->mcluster) {
        snprintf(err, errlen, "embedded broker: could not start the mock cluster");
        goto err;
    }
    for (size_t i = 0; topics && topics[i]; i++)
        if (ds_broker_topic(broker, topics[i], partitions)) {
            snprintf(err, errlen, "embedded broker: could not create topic %s", topics[i]);
            goto err;
        }
    return broker;
err:
    ds_broker_destroy(broker);
    return NULL;
}

const char *ds_broker_bootstraps(const ds_broker *broker)
{
    return rd_kafka_mock_cluster_bootstraps(broker->mcluster);
}

rd_kafka_mock_cluster_t *ds_broker_cluster(ds_broker *broker) { return broker->mcluster; }

int ds_broker_topic(ds_broker *broker, const char *topic, int partitions)
{
    int rf = 1;
    return rd_kafka_mock_topic_create(broker->mcluster, topic, partitions, rf) ? -1 : 0;
}

void ds_broker_destroy(ds_broker *broker)
{
    if (!broker)
        return;
    if (broker->mcluster)
        rd_kafka_mock_cluster_destroy(broker->mcluster);
    if (broker->rk)
        rd_kafka_destroy(broker->rk);
    free(broker);
}

const char *const *ds_broker_default_topics(const char *app_id)
{
    static char names[6][256];
    static const char *list[9];
    snprintf(names[0], sizeof names[0], "%s-mentions", app_id);
    snprintf(names[1], sizeof names[1], "%s-state", app_id);
    list[0] = "articles";
    list[1] = "deals";
    list[2] = "deals.canonical";
    list[3] = "articles.dlq";
    list[4] = "deals.dlq";
    list[5] = names[0];
    list[6] = names[1];
    list[7] = NULL;
    return list;
}

/* ---- `dealstream broker` ------------------------------------------------- */

#include <uv.h>

#include "commands.h"
#include "log.h"

static void broker_signal(uv_signal_t *s, int signum)
{
    ds_info("broker", "%s: stopping", signum == SIGINT ? "SIGINT" : "SIGTERM");
    uv_stop(s->loop);
}

static void broker_walk_close(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

int ds_cmd_broker(ds_config *cfg)
{
    char err[512];
    int partitions = cfg->partitions > 0 ? (int)cfg->partitions : 4;
    ds_broker *broker = ds_broker_new(1, partitions, ds_broker_default_topics(cfg->app_id), err, sizeof err);
    if (!broker) {
        fprintf(stderr, "dealstream broker: %s\n", err);
        return 1;
    }
    /* the address on stdout, alone, so scripts can read it */
    printf("%s\n", ds_broker_bootstraps(broker));
    fflush(stdout);
    ds_info("broker", "embedded broker on %s, %d partition(s) per topic; Ctrl-C stops it",
            ds_broker_bootstraps(broker), partitions);
    uv_loop_t loop;
    uv_signal_t sigint, sigterm;
    uv_loop_init(&loop);
    uv_signal_init(&loop, &sigint);
    uv_signal_init(&loop, &sigterm);
    uv_signal_start(&sigint, broker_signal, SIGINT);
    uv_signal_start(&sigterm, broker_signal, SIGTERM);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_walk(&loop, broker_walk_close, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    int rc = uv_loop_close(&loop) ? 1 : 0;
    ds_broker_destroy(broker);
    return rc;
}
