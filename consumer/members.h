/* members.h: who is in a consumer group and which partitions each member
 * owns (DescribeGroups, as kafka-consumer-groups --describe --members
 * shows), and the groups a cluster has (ListGroups). Blocking calls
 * bounded by their timeouts.
 * @locality any thread; one ds_members per thread. */
#ifndef DS_MEMBERS_H
#define DS_MEMBERS_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* ds_members_describe(), ds_groups_list(): the broker does not answer the
 * request (the embedded broker has neither DescribeGroups nor ListGroups). */
#define DS_MEMBERS_EUNSUPPORTED (-2)

typedef struct ds_member {
    char *member_id; /* the CONSUMER-ID of kafka-consumer-groups */
    char *client_id;
    char *host; /* as the broker saw the client ("/127.0.0.1") */
    rd_kafka_topic_partition_list_t *assignment; /* never NULL; empty when none or not a consumer group */
} ds_member;

typedef struct ds_members {
    ds_member *m;
    size_t n;
} ds_members;

/* Describes group with rk (any handle of the cluster). Returns 0 with *out
 * filled (free with ds_members_free), DS_MEMBERS_EUNSUPPORTED, or -1 with
 * err set. */
int ds_members_describe(rd_kafka_t *rk, const char *group, int timeout_ms, ds_members *out, char *err,
                        size_t errlen);
void ds_members_free(ds_members *mm);
/* The member assigned topic [partition], or NULL. */
const ds_member *ds_members_owner(const ds_members *mm, const char *topic, int32_t partition);
/* Decodes a ConsumerProtocol assignment (version, [topic [partition]],
 * user data) into a new list. NULL when the bytes are not one. */
rd_kafka_topic_partition_list_t *ds_members_parse_assignment(const void *data, size_t len);

/* The consumer groups of the cluster of cfg (ListGroups through a handle of
 * its own): *names (malloc'd, each malloc'd; free with ds_groups_free),
 * sorted. Returns 0, DS_MEMBERS_EUNSUPPORTED, or -1 with err set. */
int ds_groups_list(const ds_config *cfg, int timeout_ms, char ***names, size_t *n, char *err, size_t errlen);
void ds_groups_free(char **names, size_t n);

#endif
