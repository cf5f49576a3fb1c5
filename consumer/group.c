/* group.c: reading a consumer group: committed offsets, watermarks, members
 * (see group.h). May call common/ and librdkafka. */
#include "group.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kafka.h"
#include "util.h"

struct ds_group {
    const ds_config *cfg;
    rd_kafka_t *rk;     /* consumer of the group, read_uncommitted: OffsetFetch, OffsetCommit */
    rd_kafka_t *stable; /* read_committed, for the last stable offset; NULL until used */
    rd_kafka_t *admin; /* admin requests, on a handle that is not a member */
    char *name;
};

/* A consumer handle that never subscribes and never commits on its own;
 * isolation: NULL for the configured isolation.level, else the one to set. */
static rd_kafka_t *consumer_new(const ds_config *cfg, const char *group, int eof, const char *isolation, char *err,
                                size_t errlen)
{
    rd_kafka_conf_t *conf = ds_kafka_conf(cfg, err, errlen);
    if (!conf)
        return NULL;
    if ((isolation && ds_kafka_set(conf, "isolation.level", isolation, err, errlen)) ||
        ds_kafka_set(conf, "group.id", group, err, errlen) ||
        ds_kafka_set(conf, "enable.auto.commit", "false", err, errlen) ||
        ds_kafka_set(conf, "enable.auto.offset.store", "false", err, errlen) ||
        ds_kafka_set(conf, "auto.offset.reset", "earliest", err, errlen) ||
        (eof && ds_kafka_set(conf, "enable.partition.eof", "true", err, errlen))) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    char e[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof e);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "%s", e);
        return NULL;
    }
    conf = NULL; /* now owned by rk */
    rd_kafka_poll_set_consumer(rk);
    return rk;
}

ds_group *ds_group_new(const ds_config *cfg, const char *group, char *err, size_t errlen)
{
    if (!group || !*group) {
        snprintf(err, errlen, "no group: give --group G");
        return NULL;
    }
    ds_group *g = calloc(1, sizeof *g);
    if (!g || !(g->name = strdup(group))) {
        snprintf(err, errlen, "out of memory");
        goto err;
    }
    g->cfg = cfg;
    /* read_uncommitted: committed offsets without waiting for open
     * transactions, and the high watermark as the log end */
    if (!(g->rk = consumer_new(cfg, group, 0, "read_uncommitted", err, errlen)))
        goto err;
    rd_kafka_conf_t *conf = ds_kafka_conf(cfg, err, errlen);
    if (!conf)
        goto err;
    char e[512];
    g->admin = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e);
    if (!g->admin) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "%s", e);
        goto err;
    }
    conf = NULL; /* now owned by g->admin */
    return g;
err:
    ds_group_destroy(g);
    return NULL;
}

void ds_group_destroy(ds_group *g)
{
    if (!g)
        return;
    if (g->rk) /* never subscribed: nothing to leave */
        rd_kafka_destroy_flags(g->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    if (g->stable)
        rd_kafka_destroy_flags(g->stable, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    if (g->admin)
        rd_kafka_destroy(g->admin);
    free(g->name);
    free(g);
}

const char *ds_group_name(const ds_group *g) { return g->name; }

rd_kafka_t *ds_group_handle(ds_group *g) { return g->admin; }

static int add_topic(ds_group *g, rd_kafka_topic_partition_list_t *list, const char *topic, int timeout_ms,
                     char *err, size_t errlen)
{
    int32_t *parts = NULL;
    int n = ds_kafka_partitions(g->rk, topic, timeout_ms, &parts, err, errlen);
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(list, topic, parts[i]);
    free(parts);
    return 0;
}

rd_kafka_topic_partition_list_t *ds_group_topic_partitions(ds_group *g, const char *spec, int with_parts,
                                                           int timeout_ms, char *err, size_t errlen)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(8);
    char *copy = strdup(spec);
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        goto err;
    }
    char *colon = with_parts ? strchr(copy, ':') : NULL;
    if (colon) {
        *colon = '\0';
        int32_t *parts = NULL;
        int n = ds_kafka_partitions(g->rk, copy, timeout_ms, &parts, err, errlen);
        if (n < 0)
            goto err;
        char *save = NULL;
        for (char *tok = strtok_r(colon + 1, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            char *end;
            errno = 0;
            long p = strtol(tok, &end, 10);
            int found = 0;
            for (int i = 0; i < n && !errno && end != tok && !*end; i++)
                found |= parts[i] == p;
            if (!found) {
                snprintf(err, errlen, "topic %s has no partition '%s' (it has %d)", copy, tok, n);
                free(parts);
                goto err;
            }
            if (!rd_kafka_topic_partition_list_find(list, copy, (int32_t)p))
                rd_kafka_topic_partition_list_add(list, copy, (int32_t)p);
        }
        free(parts);
        if (list->cnt == 0) {
            snprintf(err, errlen, "no partitions after '%s:'", copy);
            goto err;
        }
    } else {
        char *save = NULL;
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
            if (add_topic(g, list, tok, timeout_ms, err, errlen))
                goto err;
        if (list->cnt == 0) {
            snprintf(err, errlen, "no topic in '%s'", spec);
            goto err;
        }
    }
    free(copy);
    return list;
err:
    free(copy);
    rd_kafka_topic_partition_list_destroy(list);
    return NULL;
}

/* Waits for the result event of one admin request on q. */
static rd_kafka_event_t *admin_wait(rd_kafka_queue_t *q, rd_kafka_event_type_t type, int timeout_ms)
{
    int64_t deadline = ds_mono_ms() + timeout_ms + 1000;
    while (ds_mono_ms() < deadline) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 200);
        if (!ev)
            continue;
        if (rd_kafka_event_type(ev) == (int)type)
            return ev;
        rd_kafka_event_destroy(ev);
    }
    return NULL;
}

rd_kafka_topic_partition_list_t *ds_group_list(ds_group *g, int timeout_ms, char *err, size_t errlen)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(g->admin);
    rd_kafka_ListConsumerGroupOffsets_t *req = rd_kafka_ListConsumerGroupOffsets_new(g->name, NULL);
    rd_kafka_AdminOptions_t *opts = rd_kafka_AdminOptions_new(g->admin, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
    char e[256];
    rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, e, sizeof e);
    rd_kafka_ListConsumerGroupOffsets(g->admin, &req, 1, opts, q);
    rd_kafka_ListConsumerGroupOffsets_destroy(req);
    rd_kafka_AdminOptions_destroy(opts);
    rd_kafka_topic_partition_list_t *out = NULL;
    rd_kafka_event_t *ev = admin_wait(q, RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT, timeout_ms);
    if (!ev) {
        snprintf(err, errlen, "listing the offsets of group %s: no answer in %d ms", g->name, timeout_ms);
        goto out;
    }
    if (rd_kafka_event_error(ev)) {
        snprintf(err, errlen, "listing the offsets of group %s: %s", g->name, rd_kafka_event_error_string(ev));
        goto out;
    }
    size_t n = 0;
    const rd_kafka_group_result_t **res =
        rd_kafka_ListConsumerGroupOffsets_result_groups(rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
    out = rd_kafka_topic_partition_list_new(8);
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_error_t *ge = rd_kafka_group_result_error(res[i]);
        if (ge) {
            snprintf(err, errlen, "listing the offsets of group %s: %s", g->name, rd_kafka_error_string(ge));
            rd_kafka_topic_partition_list_destroy(out);
            out = NULL;
            goto out;
        }
        const rd_kafka_topic_partition_list_t *parts = rd_kafka_group_result_partitions(res[i]);
        for (int j = 0; parts && j < parts->cnt; j++)
            if (!parts->elems[j].err && parts->elems[j].offset >= 0)
                rd_kafka_topic_partition_list_add(out, parts->elems[j].topic, parts->elems[j].partition)->offset =
                    parts->elems[j].offset;
    }
    rd_kafka_topic_partition_list_sort(out, NULL, NULL);
out:
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    return out;
}

int ds_group_committed(ds_group *g, rd_kafka_topic_partition_list_t *parts, int timeout_ms, char *err,
                       size_t errlen)
{
    for (int i = 0; i < parts->cnt; i++)
        parts->elems[i].offset = RD_KAFKA_OFFSET_INVALID;
    rd_kafka_resp_err_t e = rd_kafka_committed(g->rk, parts, timeout_ms);
    if (e) {
        snprintf(err, errlen, "committed offsets of group %s: %s", g->name, rd_kafka_err2str(e));
        return -1;
    }
    for (int i = 0; i < parts->cnt; i++)
        if (parts->elems[i].err) {
            snprintf(err, errlen, "committed offset of group %s on %s [%d]: %s", g->name, parts->elems[i].topic,
                     (int)parts->elems[i].partition, rd_kafka_err2str(parts->elems[i].err));
            return -1;
        }
    return 0;
}

/* Errors with which a broker refuses a commit from outside a live group. */
static int member_error(rd_kafka_resp_err_t e)
{
    return e == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID || e == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
           e == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS;
}

int ds_group_commit(ds_group *g, const rd_kafka_topic_partition_list_t *offsets, char *err, size_t errlen)
{
    rd_kafka_topic_partition_list_t *copy = rd_kafka_topic_partition_list_copy(offsets);
    rd_kafka_resp_err_t e = rd_kafka_commit(g->rk, copy, 0);
    int rc = 0;
    if (e) {
        snprintf(err, errlen, "committing offsets for group %s: %s", g->name, rd_kafka_err2str(e));
        rc = member_error(e) ? DS_GROUP_EACTIVE : -1;
    }
    for (int i = 0; !rc && i < copy->cnt; i++)
        if (copy->elems[i].err) {
            snprintf(err, errlen, "committing %s [%d] for group %s: %s", copy->elems[i].topic,
                     (int)copy->elems[i].partition, g->name, rd_kafka_err2str(copy->elems[i].err));
            rc = member_error(copy->elems[i].err) ? DS_GROUP_EACTIVE : -1;
        }
    rd_kafka_topic_partition_list_destroy(copy);
    return rc;
}

/* The state ListGroups gives group g (rd_kafka_consumer_group_state_name),
 * into state; "" when the group is not listed. Returns 0, or -1 with err
 * set. */
static int listed_state(ds_group *g, int timeout_ms, char *state, size_t cap, char *err, size_t errlen)
{
    state[0] = '\0';
    rd_kafka_queue_t *q = rd_kafka_queue_new(g->admin);
    rd_kafka_AdminOptions_t *opts = rd_kafka_AdminOptions_new(g->admin, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
    char e[256];
    rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, e, sizeof e);
    rd_kafka_ListConsumerGroups(g->admin, opts, q);
    rd_kafka_AdminOptions_destroy(opts);
    int rc = -1;
    rd_kafka_event_t *ev = admin_wait(q, RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT, timeout_ms);
    if (!ev) {
        snprintf(err, errlen, "listing groups: no answer in %d ms", timeout_ms);
    } else if (rd_kafka_event_error(ev)) {
        snprintf(err, errlen, "listing groups: %s", rd_kafka_event_error_string(ev));
    } else {
        size_t n = 0;
        const rd_kafka_ConsumerGroupListing_t **gl =
            rd_kafka_ListConsumerGroups_result_valid(rd_kafka_event_ListConsumerGroups_result(ev), &n);
        for (size_t i = 0; i < n; i++)
            if (strcmp(rd_kafka_ConsumerGroupListing_group_id(gl[i]), g->name) == 0)
                snprintf(state, cap, "%s",
                         rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupListing_state(gl[i])));
        rc = 0;
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    return rc;
}

/* A group that DescribeGroups calls Dead may be a group of the consumer
 * protocol (KIP-848), which DescribeGroups does not describe: ListGroups
 * gives its state. Returns 0 (no members), DS_GROUP_ESOME with err saying
 * why, or -1. */
static int consumer_protocol_members(ds_group *g, int timeout_ms, char *err, size_t errlen)
{
    char state[64];
    if (listed_state(g, timeout_ms, state, sizeof state, err, errlen))
        return -1;
    if (!state[0] || strcmp(state, "Empty") == 0 || strcmp(state, "Dead") == 0)
        return 0;
    snprintf(err, errlen,
             "group %s is a group of the consumer protocol (KIP-848) in state %s: it has members, which "
             "DescribeGroups does not count",
             g->name, strcmp(state, "Unknown") == 0 ? "Assigning or Reconciling" : state);
    return DS_GROUP_ESOME;
}

/* DescribeGroups through rd_kafka_list_groups(), not the AdminAPI's
 * DescribeConsumerGroups: against a broker without DescribeGroups (the
 * embedded one), librdkafka 2.0.2 never lets a handle that sent
 * DescribeConsumerGroups be destroyed, while rd_kafka_list_groups() answers
 * "not supported" cleanly. */
int ds_group_members(ds_group *g, int timeout_ms, char *err, size_t errlen)
{
    const struct rd_kafka_group_list *list = NULL;
    rd_kafka_resp_err_t e = rd_kafka_list_groups(g->admin, g->name, &list, timeout_ms);
    if (e) {
        snprintf(err, errlen, "describing group %s: %s", g->name, rd_kafka_err2str(e));
        if (list)
            rd_kafka_group_list_destroy(list);
        return e == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE ? DS_GROUP_EUNSUPPORTED : -1;
    }
    int rc = 0, dead = 0; /* a group the coordinator does not know has no members */
    for (int i = 0; i < list->group_cnt; i++) {
        const struct rd_kafka_group_info *gi = &list->groups[i];
        if (strcmp(gi->group, g->name) != 0)
            continue;
        if (gi->err && gi->err != RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) {
            snprintf(err, errlen, "describing group %s: %s", g->name, rd_kafka_err2str(gi->err));
            rc = gi->err == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE ? DS_GROUP_EUNSUPPORTED : -1;
            break;
        }
        rc = gi->member_cnt;
        dead = gi->state && strcmp(gi->state, "Dead") == 0;
    }
    rd_kafka_group_list_destroy(list);
    return rc == 0 && dead ? consumer_protocol_members(g, timeout_ms, err, errlen) : rc;
}

int ds_group_watermarks(ds_group *g, const char *topic, int32_t partition, int64_t *lo, int64_t *hi,
                        int timeout_ms, char *err, size_t errlen)
{
    rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(g->rk, topic, partition, lo, hi, timeout_ms);
    if (e) {
        snprintf(err, errlen, "log start and end of %s [%d]: %s", topic, (int)partition, rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

int ds_group_last_stable(ds_group *g, const char *topic, int32_t partition, int64_t *lso, int timeout_ms,
                         char *err, size_t errlen)
{
    if (!g->stable && !(g->stable = consumer_new(g->cfg, g->name, 0, "read_committed", err, errlen)))
        return -1;
    int64_t lo = 0;
    rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(g->stable, topic, partition, &lo, lso, timeout_ms);
    if (e) {
        snprintf(err, errlen, "last stable offset of %s [%d]: %s", topic, (int)partition, rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

int ds_group_offsets_for_times(ds_group *g, rd_kafka_topic_partition_list_t *times, int timeout_ms, char *err,
                               size_t errlen)
{
    rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(g->rk, times, timeout_ms);
    if (e) {
        snprintf(err, errlen, "%s", rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

int ds_group_peek(const ds_config *cfg, const rd_kafka_topic_partition_list_t *at, int uncommitted, int64_t *ts,
                  int64_t *end, int timeout_ms, char *err, size_t errlen)
{
    rd_kafka_topic_partition_list_t *as = rd_kafka_topic_partition_list_new(at->cnt ? at->cnt : 1);
    int pending = 0;
    for (int i = 0; i < at->cnt; i++) {
        ts[i] = DS_PEEK_UNKNOWN;
        if (at->elems[i].offset >= 0 || at->elems[i].offset == RD_KAFKA_OFFSET_BEGINNING) {
            rd_kafka_topic_partition_list_add(as, at->elems[i].topic, at->elems[i].partition)->offset =
                at->elems[i].offset;
            pending++;
        }
    }
    if (!pending) {
        rd_kafka_topic_partition_list_destroy(as);
        return 0;
    }
    /* librdkafka wants a group id even for assign(); nothing is committed */
    char gid[96];
    snprintf(gid, sizeof gid, "dealstream-peek-%d", (int)getpid());
    rd_kafka_t *rk = consumer_new(cfg, gid, 1, uncommitted ? "read_uncommitted" : NULL, err, errlen);
    if (!rk) {
        rd_kafka_topic_partition_list_destroy(as);
        return -1;
    }
    rd_kafka_resp_err_t e = rd_kafka_assign(rk, as);
    int rc = 0;
    if (e) {
        snprintf(err, errlen, "reading at the committed offsets: %s", rd_kafka_err2str(e));
        rc = -1;
    }
    /* done[i]: the first message or the end of the partition was seen */
    char *done = calloc((size_t)at->cnt, 1);
    int64_t deadline = ds_mono_ms() + timeout_ms;
    while (!rc && pending > 0 && ds_mono_ms() < deadline) {
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(rk, 100);
        if (!rkm)
            continue;
        if (rkm->rkt && (!rkm->err || rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)) {
            const char *topic = rd_kafka_topic_name(rkm->rkt);
            for (int i = 0; i < at->cnt; i++) {
                if (done[i] || at->elems[i].partition != rkm->partition || strcmp(at->elems[i].topic, topic) != 0)
                    continue;
                if (at->elems[i].offset >= 0 && rkm->offset < at->elems[i].offset)
                    continue; /* before the asked offset: not ours to judge */
                if (rkm->err) {
                    ts[i] = DS_PEEK_END;
                    if (end)
                        end[i] = rkm->offset;
                } else {
                    rd_kafka_timestamp_type_t tstype;
                    int64_t t = rd_kafka_message_timestamp(rkm, &tstype);
                    ts[i] = tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE || t < 0 ? DS_PEEK_UNKNOWN : t;
                }
                done[i] = 1;
                pending--;
            }
        }
        rd_kafka_message_destroy(rkm);
    }
    free(done);
    rd_kafka_topic_partition_list_destroy(as);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}
