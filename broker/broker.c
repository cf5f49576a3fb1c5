/* broker.c: the embedded broker, librdkafka's mock cluster (see broker.h).
 * May call common/ and librdkafka. */
#include "broker.h"

#include <stdio.h>
#include <stdlib.h>
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
