/* lag.h: consumer lag of any group, and its status over a sliding window.
 *
 * One observation reads, per partition, the group's committed offset
 * (OffsetFetch, without joining the group and without waiting for stable
 * offsets), the log start, the log end (the high watermark) and the last
 * stable offset, and the timestamp of the oldest unconsumed message (the
 * message at the committed offset). From them:
 *   offset lag = log end - committed (no commit: log end - log start);
 *   time lag   = now - timestamp of the message at the committed offset
 *                (0 when the offset lag is 0).
 * When the read_committed fetch at the committed offset reaches the high
 * watermark without a message, what lies between committed and end is
 * transaction markers (or aborted data): the partition is caught up and both
 * lags are 0. When it stops at a last stable offset below the high
 * watermark, an open transaction holds the consumer back: the lag stands,
 * and the time lag is that of the transaction's first message.
 *
 * Status rules, per partition, over the last `window` observations (oldest
 * first; a window is full when it holds `window` observations). They are
 * checked in this order and the first that holds wins:
 *   REWIND  the committed offset moved backwards between two observations of
 *           the window;
 *   STOP    the window is full, lag > 0 in its last observation, and the
 *           committed offset has not changed for longer than the window's
 *           time span (last minus first observation time): it already had
 *           its current value in the observation before the window;
 *   STALL   the window is full, the committed offset is the same in every
 *           observation of it, and lag > 0 in every one;
 *   WARN    the window is full and the lag grew at every step;
 *   OK      anything else (a single observation is always OK).
 * The group (and each topic) is ERR when any partition is STALL, STOP or
 * REWIND, else WARN when any is WARN, else OK.
 *
 * OffsetFetch carries no commit time, so "no commits" is inferred from an
 * unchanged committed offset: STOP cannot tell a consumer that stopped
 * committing from one that keeps committing the same offset, as Burrow can.
 * @locality: one thread per ds_lag. */
#ifndef DS_LAG_H
#define DS_LAG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

typedef enum {
    DS_LAG_OK,
    DS_LAG_WARN,
    DS_LAG_STALL,
    DS_LAG_STOP,
    DS_LAG_REWIND,
    DS_LAG_ERR, /* a group or topic only */
} ds_lag_status;

/* Exit codes of `dealstream lag`: 0 OK, 1 failure, 2 usage error, and: */
#define DS_LAG_EXIT_WARN 3
#define DS_LAG_EXIT_ERR 4

#define DS_LAG_WINDOW_MAX 64
#define DS_LAG_NONE (-1) /* no committed offset */

typedef struct ds_lag_obs {
    int64_t ts_ms;     /* when it was observed (wall clock) */
    int64_t committed; /* DS_LAG_NONE when the group has none */
    int64_t lag;       /* offset lag */
} ds_lag_obs;

/* The observations of one partition: the last `window` of them, and the
 * time the committed offset was first seen with its current value. */
typedef struct ds_lag_track {
    ds_lag_obs obs[DS_LAG_WINDOW_MAX];
    int n;
    int window;
    int64_t since_ms;
} ds_lag_track;

void ds_lag_track_init(ds_lag_track *t, int window); /* window clamped to 1..DS_LAG_WINDOW_MAX */
void ds_lag_track_add(ds_lag_track *t, ds_lag_obs o);
/* The status rules above; pure. */
ds_lag_status ds_lag_track_status(const ds_lag_track *t);
/* ERR, WARN or OK of a set of partition statuses; pure. */
ds_lag_status ds_lag_combine(const ds_lag_status *st, size_t n);
const char *ds_lag_status_name(ds_lag_status s);
/* 0, DS_LAG_EXIT_WARN or DS_LAG_EXIT_ERR. */
int ds_lag_exit_code(ds_lag_status s);

typedef struct ds_lag_part {
    char *topic;
    int32_t partition;
    int64_t committed; /* DS_LAG_NONE when none */
    int64_t log_start, log_end; /* log_end: the high watermark */
    int64_t last_stable;        /* the last stable offset: below log_end while a transaction is open */
    int64_t lag;
    int64_t time_lag_ms; /* -1 when unknown */
    ds_lag_status status;
    ds_lag_track track;
    int markers; /* lag 0 although log end > committed: only transaction markers (or aborted data) lie between */
    /* The member the partition is assigned to (DescribeGroups), NULL when
     * none or when the broker cannot tell (the embedded one). */
    char *consumer_id, *host, *client_id;
} ds_lag_part;

typedef struct ds_lag ds_lag;

/* Monitors group on topics ("T1,T2"; NULL: every partition the group has
 * committed offsets for, which needs a broker that lists them). Returns NULL
 * with err set on failure. */
ds_lag *ds_lag_new(const ds_config *cfg, const char *group, const char *topics, int window, char *err,
                   size_t errlen);
void ds_lag_destroy(ds_lag *lag); /* accepts NULL */
/* Takes one observation of every partition and updates the statuses.
 * Returns 0, or -1 with err set (the previous figures are kept). */
int ds_lag_observe(ds_lag *lag, char *err, size_t errlen);
const ds_lag_part *ds_lag_parts(const ds_lag *lag, size_t *n);
ds_lag_status ds_lag_group_status(const ds_lag *lag);
/* The last observation as one JSON object:
 * {"time", "group", "status", "window", "observations", "lag", "time_lag_ms",
 *  "topics": [{"topic", "status", "lag", "time_lag_ms",
 *              "partitions": [{"partition", "committed", "log_start",
 *                              "log_end", "last_stable", "lag",
 *                              "time_lag_ms", "status",
 *                              "markers", "consumer_id", "host",
 *                              "client_id"}]}]}
 * committed, time_lag_ms and the member fields are null when unknown; totals: lags summed,
 * time lags the maximum. New reference. */
json_t *ds_lag_json(const ds_lag *lag);
/* The last observation as a table (LAST-STABLE beside LOG-END), with
 * kafka-consumer-groups' member columns (CONSUMER-ID, HOST, CLIENT-ID), a
 * note under it when a lag of 0 stands for transaction markers, and one
 * when a last stable offset below the log end holds consumers back. */
void ds_lag_print(const ds_lag *lag, FILE *out);
/* The last observation of each of n groups in the Prometheus text format
 * (what kafka-lag-exporter and Burrow's exporters give), one family at a
 * time:
 *   dealstream_lag_offsets{group,topic,partition,consumer_id,member_host,client_id}
 *   dealstream_lag_seconds{group,topic,partition}          (when known)
 *   dealstream_lag_committed_offset{group,topic,partition} (when committed)
 *   dealstream_lag_log_end_offset{group,topic,partition}
 *   dealstream_lag_last_stable_offset{group,topic,partition}
 *   dealstream_lag_partition_status{group,topic,partition,status} 1 for the
 *       partition's status, 0 for the others (OK WARN STALL STOP REWIND)
 *   dealstream_lag_group_offsets{group}, dealstream_lag_group_seconds{group}
 *   dealstream_lag_group_status{group,status} 1 for OK, WARN or ERR, 0 else. */
void ds_lag_prometheus(ds_lag *const *lags, size_t n, FILE *out);

#endif
