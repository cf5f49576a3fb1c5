/* members.c: a group's members and their partitions, and the cluster's
 * groups (see members.h). Through rd_kafka_list_groups(), not the Admin
 * API's DescribeConsumerGroups, for the reason group.c gives. May call
 * consumer/kafka and common/. */
#include "members.h"

#include <stdlib.h>
#include <string.h>

#include "kafka.h"

/* A big-endian reader over bytes that fails once it runs out. */
typedef struct rd {
    const unsigned char *p;
    size_t left;
    int bad;
} rd;

static int64_t rd_int(rd *r, int bytes)
{
    if (r->bad || r->left < (size_t)bytes) {
        r->bad = 1;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | r->p[i];
    r->p += bytes;
    r->left -= (size_t)bytes;
    return bytes == 2 ? (int16_t)v : bytes == 4 ? (int32_t)v : (int64_t)v;
}

rd_kafka_topic_partition_list_t *ds_members_parse_assignment(const void *data, size_t len)
{
    rd r = {data, len, 0};
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(4);
    if (!data || len == 0)
        return list; /* no assignment yet */
    rd_int(&r, 2); /* version */
    int64_t ntopics = rd_int(&r, 4);
    for (int64_t t = 0; !r.bad && t < ntopics; t++) {
        int64_t tl = rd_int(&r, 2);
        if (tl < 0 || (size_t)tl > r.left) {
            r.bad = 1;
            break;
        }
        char topic[512];
        snprintf(topic, sizeof topic, "%.*s", (int)tl, (const char *)r.p);
        r.p += tl;
        r.left -= (size_t)tl;
        int64_t np = rd_int(&r, 4);
        for (int64_t i = 0; !r.bad && i < np; i++) {
            int32_t p = (int32_t)rd_int(&r, 4);
            if (!r.bad)
                rd_kafka_topic_partition_list_add(list, topic, p);
        }
    }
    if (r.bad || ntopics < 0) {
        rd_kafka_topic_partition_list_destroy(list);
        return NULL;
    }
    return list;
}

void ds_members_free(ds_members *mm)
{
    for (size_t i = 0; mm && i < mm->n; i++) {
        free(mm->m[i].member_id);
        free(mm->m[i].client_id);
        free(mm->m[i].host);
        if (mm->m[i].assignment)
            rd_kafka_topic_partition_list_destroy(mm->m[i].assignment);
    }
    if (mm) {
        free(mm->m);
        mm->m = NULL;
        mm->n = 0;
    }
}

/* Copies one member's fields. Returns 0 or -1 (out of memory). */
static int copy_member(const struct rd_kafka_group_info *gi, const struct rd_kafka_group_member_info *mi,
                       ds_member *m)
{
    m->member_id = strdup(mi->member_id ? mi->member_id : "");
    m->client_id = strdup(mi->client_id ? mi->client_id : "");
    m->host = strdup(mi->client_host ? mi->client_host : "");
    if (gi->protocol_type && strcmp(gi->protocol_type, "consumer") == 0)
        m->assignment = ds_members_parse_assignment(mi->member_assignment, (size_t)mi->member_assignment_size);
    if (!m->assignment)
        m->assignment = rd_kafka_topic_partition_list_new(1);
    return m->member_id && m->client_id && m->host ? 0 : -1;
}

int ds_members_describe(rd_kafka_t *rk, const char *group, int timeout_ms, ds_members *out, char *err,
                        size_t errlen)
{
    memset(out, 0, sizeof *out);
    const struct rd_kafka_group_list *list = NULL;
    rd_kafka_resp_err_t e = rd_kafka_list_groups(rk, group, &list, timeout_ms);
    if (e) {
        snprintf(err, errlen, "describing group %s: %s", group, rd_kafka_err2str(e));
        if (list)
            rd_kafka_group_list_destroy(list);
        return e == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE ? DS_MEMBERS_EUNSUPPORTED : -1;
    }
    int rc = 0;
    for (int i = 0; rc == 0 && i < list->group_cnt; i++) {
        const struct rd_kafka_group_info *gi = &list->groups[i];
        if (strcmp(gi->group, group) != 0 || gi->member_cnt <= 0)
            continue;
        out->m = calloc((size_t)gi->member_cnt, sizeof *out->m);
        if (!out->m) {
            rc = -1;
            break;
        }
        for (int k = 0; rc == 0 && k < gi->member_cnt; k++)
            rc = copy_member(gi, &gi->members[k], &out->m[out->n++]);
    }
    rd_kafka_group_list_destroy(list);
    if (rc) {
        snprintf(err, errlen, "out of memory");
        ds_members_free(out);
    }
    return rc;
}

const ds_member *ds_members_owner(const ds_members *mm, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < mm->n; i++)
        if (rd_kafka_topic_partition_list_find(mm->m[i].assignment, topic, partition))
            return &mm->m[i];
    return NULL;
}

void ds_groups_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int ds_groups_list(const ds_config *cfg, int timeout_ms, char ***names, size_t *n, char *err, size_t errlen)
{
    *names = NULL;
    *n = 0;
    rd_kafka_conf_t *conf = ds_kafka_conf(cfg, err, errlen);
    if (!conf)
        return -1;
    rd_kafka_t *rk = ds_kafka_new(RD_KAFKA_PRODUCER, conf, "client", err, errlen); /* takes conf */
    if (!rk)
        return -1;
    const struct rd_kafka_group_list *list = NULL;
    rd_kafka_resp_err_t e = rd_kafka_list_groups(rk, NULL, &list, timeout_ms);
    int rc = 0;
    if (e) {
        snprintf(err, errlen, "listing the groups: %s", rd_kafka_err2str(e));
        rc = e == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE ? DS_MEMBERS_EUNSUPPORTED : -1;
    } else if (list->group_cnt > 0 && !(*names = calloc((size_t)list->group_cnt, sizeof **names))) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    for (int i = 0; rc == 0 && list && i < list->group_cnt; i++) {
        const char *pt = list->groups[i].protocol_type;
        /* consumer groups, and the empty type of groups that only hold commits */
        if (pt && *pt && strcmp(pt, "consumer") != 0)
            continue;
        if (!((*names)[*n] = strdup(list->groups[i].group))) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        } else {
            ++*n;
        }
    }
    if (list)
        rd_kafka_group_list_destroy(list);
    rd_kafka_destroy(rk);
    if (rc) {
        ds_groups_free(*names, *n);
        *names = NULL;
        *n = 0;
    } else if (*n > 1) {
        qsort(*names, *n, sizeof **names, cmp_name);
    }
    return rc;
}
