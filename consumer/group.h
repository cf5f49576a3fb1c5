/* group.h: any consumer group's committed offsets, read and written without
 * joining the group, and the partition look-ups that go with them (log start
 * and end, the message at an offset). What `lag` and `offsets reset` share.
 *
 * A ds_group owns one consumer handle with group.id set to the group and
 * enable.auto.commit off. It never subscribes, so it never becomes a member:
 * OffsetFetch and OffsetCommit are sent as a simple (generation -1) client.
 * It reads read_uncommitted: OffsetFetch does not ask for stable offsets, so
 * it answers at once while a transaction holding offsets for the group is
 * open (as kafka-consumer-groups does), and the log end is the high
 * watermark. The last stable offset comes from a second, read_committed
 * handle, made on first use. Every call is blocking and bounded by its
 * timeout_ms.
 * @locality: one thread per ds_group. */
#ifndef DS_GROUP_H
#define DS_GROUP_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* ds_group_members(): the broker cannot describe groups (the embedded one). */
#define DS_GROUP_EUNSUPPORTED (-2)
/* ds_group_commit(): the broker refused a commit from outside the group's
 * generation (unknown member, illegal generation, rebalance in progress):
 * the group has live members. */
#define DS_GROUP_EACTIVE (-3)
/* ds_group_members(): members of an uncounted number (KIP-848). */
#define DS_GROUP_ESOME (-4)
/* ds_group_peek(): what was found at an offset, when not a timestamp. */
#define DS_PEEK_END (-2)     /* the partition's end: no message at or after it */
#define DS_PEEK_UNKNOWN (-1) /* no answer in time, or a message without timestamp */

typedef struct ds_group ds_group;

/* Connects as group (cfg gives the brokers and pass-through properties;
 * it must outlive g). Returns NULL with err set on failure. */
ds_group *ds_group_new(const ds_config *cfg, const char *group, char *err, size_t errlen);
void ds_group_destroy(ds_group *g); /* accepts NULL */
const char *ds_group_name(const ds_group *g);
/* The handle of g that is not a member, for requests of other modules
 * (members.h); owned by g. */
rd_kafka_t *ds_group_handle(ds_group *g);

/* Expands a topic list into partitions (offsets left INVALID): "T1,T2" gives
 * every partition of each topic (metadata); "T:0,2" (with_parts set) gives
 * the named ones of one topic, each checked to exist. Returns a new list or
 * NULL with err set. */
rd_kafka_topic_partition_list_t *ds_group_topic_partitions(ds_group *g, const char *spec, int with_parts,
                                                           int timeout_ms, char *err, size_t errlen);
/* Every partition the group has a committed offset for, on any topic
 * (ListConsumerGroupOffsets without partitions), offsets set. An empty list
 * is not an error: the group has none, or the broker cannot list them (the
 * embedded broker answers an empty list). NULL with err set on failure. */
rd_kafka_topic_partition_list_t *ds_group_list(ds_group *g, int timeout_ms, char *err, size_t errlen);
/* Sets the offset of each element of parts to the group's committed offset,
 * RD_KAFKA_OFFSET_INVALID where it has none (OffsetFetch). Returns 0 or -1. */
int ds_group_committed(ds_group *g, rd_kafka_topic_partition_list_t *parts, int timeout_ms, char *err,
                       size_t errlen);
/* Commits offsets (each element's offset) for the group, synchronously.
 * Returns 0, DS_GROUP_EACTIVE, or -1 with err naming the first partition
 * that failed. */
int ds_group_commit(ds_group *g, const rd_kafka_topic_partition_list_t *offsets, char *err, size_t errlen);
/* Active members of the group (DescribeGroups): the count (>= 0),
 * DS_GROUP_ESOME with err saying why when the group has members that
 * DescribeGroups does not count (the consumer protocol's, KIP-848, whose
 * state ListGroups gives), DS_GROUP_EUNSUPPORTED when the broker does not
 * answer the request, or -1 with err set. */
int ds_group_members(ds_group *g, int timeout_ms, char *err, size_t errlen);
/* Log start and end (high watermark) offsets of one partition. Returns 0 or
 * -1. */
int ds_group_watermarks(ds_group *g, const char *topic, int32_t partition, int64_t *lo, int64_t *hi,
                        int timeout_ms, char *err, size_t errlen);
/* The last stable offset of one partition: the end a read_committed
 * consumer reaches, below the high watermark while a transaction on the
 * partition is open. Returns 0 or -1. */
int ds_group_last_stable(ds_group *g, const char *topic, int32_t partition, int64_t *lso, int timeout_ms,
                         char *err, size_t errlen);
/* offsets_for_times: replaces each element's offset (a time in ms) by the
 * first offset at or after it, -1 when there is none. Returns 0, or -1 with
 * err set when the broker did not answer. */
int ds_group_offsets_for_times(ds_group *g, rd_kafka_topic_partition_list_t *times, int timeout_ms, char *err,
                               size_t errlen);
/* Reads, for each element of at whose offset is >= 0 (or
 * RD_KAFKA_OFFSET_BEGINNING), the first message at or after that offset with
 * a short-lived consumer of its own (assign(), no group, no commit;
 * isolation.level as configured, read_committed by default, or
 * read_uncommitted when uncommitted is set) and stores in ts[i] its
 * timestamp (ms), DS_PEEK_END when the fetch reached the partition's end
 * first, or DS_PEEK_UNKNOWN. At DS_PEEK_END, end[i] (when end is not NULL)
 * is the offset of that end: read_committed, the last stable offset, so an
 * end at the high watermark means only commit markers or aborted data were
 * left and one below it means an open transaction comes next. Elements with
 * other offsets get DS_PEEK_UNKNOWN. Waits at most timeout_ms in all.
 * Returns 0 or -1. */
int ds_group_peek(const ds_config *cfg, const rd_kafka_topic_partition_list_t *at, int uncommitted, int64_t *ts,
                  int64_t *end, int timeout_ms, char *err, size_t errlen);

#endif
