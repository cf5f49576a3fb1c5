/* kafka.h: librdkafka glue shared by every command.
 * @locality: any thread, but each rd_kafka_t is driven by one loop. */
#ifndef DS_KAFKA_H
#define DS_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

/* Builds a librdkafka configuration from cfg's pass-through properties.
 * Fails (NULL, message in err) when no bootstrap servers are configured or a
 * property is rejected by librdkafka. */
rd_kafka_conf_t *ds_kafka_conf(const ds_config *cfg, char *err, size_t errlen);
/* Routes librdkafka's own log lines of conf through ds_log (text or JSON
 * lines, our levels), with the component "rdkafka:<facility>". ds_kafka_conf
 * does this already; for configurations built by hand (the mock cluster).
 * The callback runs on librdkafka's threads; ds_log is thread-safe. */
void ds_kafka_conf_set_log(rd_kafka_conf_t *conf);
/* -X list: prints librdkafka's table of configuration properties. */
void ds_kafka_conf_list(FILE *out);
/* -X dump, librdkafka half: applies cfg's pass-through properties to a fresh
 * configuration (without requiring bootstrap servers) and prints every
 * resulting property, defaults included, as "key = value", secrets (see
 * ds_config_is_secret) masked as "****". Returns 0, or -1 with err set when
 * librdkafka rejects a property. */
int ds_kafka_conf_dump(const ds_config *cfg, FILE *out, char *err, size_t errlen);
/* Sets a property dealstream prefers unless the user gave the key (-X, a
 * properties file): our defaults never override a user's tuning. */
int ds_kafka_default(rd_kafka_conf_t *conf, const ds_config *cfg, const char *key, const char *value, char *err,
                     size_t errlen);
/* Sets one property, with the librdkafka message in err on failure. */
int ds_kafka_set(rd_kafka_conf_t *conf, const char *key, const char *value, char *err, size_t errlen);
/* Lists the partitions of topic (metadata request, bounded by timeout_ms).
 * Returns the count (>= 0) or -1 with err set; *parts is malloc'd. */
int ds_kafka_partitions(rd_kafka_t *rk, const char *topic, int timeout_ms, int32_t **parts, char *err,
                        size_t errlen);

/* A keyed partitioner of librdkafka (rd_kafka_msg_partitioner_*); rkt and
 * the opaques may be NULL for the consistent ones. */
typedef int32_t (*ds_partitioner_fn)(const rd_kafka_topic_t *rkt, const void *key, size_t keylen, int32_t nparts,
                                     void *rkt_opaque, void *msg_opaque);
/* The partitioner the producer is configured with (`partitioner`,
 * consistent_random by default), so that block keys map to the
 * <app>-mentions partitions `run` resolves them in; a partitioner that is
 * not keyed is replaced by consistent_random, with a warning. */
ds_partitioner_fn ds_kafka_partitioner(const ds_config *cfg);
/* The block keys one <app>-mentions partition holds, as partition_of
 * places them. */
typedef struct ds_block_owner {
    ds_partitioner_fn partition_of;
    int32_t partition, nparts;
} ds_block_owner;
/* Whether block_key's mentions go to the partition of owner (a
 * ds_block_owner): the filter of ds_resolver_set_references. */
int ds_kafka_owns_block(const char *block_key, void *owner);

/* The records a consumer skipped when its next message of a partition is
 * at offset got while it expected offset expected (the one after the last
 * it read, or the committed offset it started from), given the partition's
 * log start offset lo as last fetched: the offsets [expected, min(got, lo))
 * no longer exist on the broker, so an automatic offset reset
 * (auto.offset.reset after "Offset out of range") jumped over them. A gap
 * above the log start is not a loss (transaction markers, aborted or
 * compacted records) and gives 0, as do unknown values (negative). */
int64_t ds_kafka_offsets_lost(int64_t expected, int64_t got, int64_t lo);

/* The end of one partition for a reader that must read every committed
 * record: its high watermark. A read_committed reader's end-of-partition
 * event comes at the last stable offset, which stays below the high
 * watermark while a transaction on the partition is open, and also for a
 * moment (up to ~200 ms under load) after commit_transaction returned,
 * until the broker has written the markers: records committed then are not
 * yet readable, and an end taken there silently cuts them off. */
typedef struct ds_kafka_end {
    int64_t end;      /* the offset to reach; -1: the high watermark the reader's fetches saw, taken at the first
                         event below it */
    int64_t waiting;  /* the last stable offset of the wait under way; -1: none */
    int64_t since_ms; /* when that wait began (ds_mono_ms) */
} ds_kafka_end;
/* ds_kafka_end_at() results besides 0 (waiting, as already told) and 1: */
#define DS_KAFKA_END_WAITS 2 /* a wait begins: tell what is waited for */
/* An end of nothing yet: e->end -1, no wait. */
void ds_kafka_end_init(ds_kafka_end *e, int64_t end);
/* Whether rk's end-of-partition event at offset eof of topic's partition
 * reaches the end e: 1 when eof is at or past e->end (or, e->end -1, the
 * high watermark rk last fetched, or rk has none), and e is reset to an
 * end of nothing; else DS_KAFKA_END_WAITS for the first event of a wait
 * (e->end fixed, e->waiting and e->since_ms set), 0 for the next ones: a
 * later event past the end follows once the transactions open below it
 * have ended. */
int ds_kafka_end_at(rd_kafka_t *rk, const char *topic, int32_t partition, int64_t eof, ds_kafka_end *e);
/* A handle that asks the broker for log starts and high watermarks
 * (rd_kafka_query_watermark_offsets reads the isolation level of its
 * handle: on a read_committed one, "the end" is the last stable offset):
 * cfg's settings with isolation.level=read_uncommitted. NULL with err set. */
rd_kafka_t *ds_kafka_watermarks_handle(const ds_config *cfg, char *err, size_t errlen);

/* The transaction.timeout.ms of rk's configuration (librdkafka's default
 * of 60 s if it cannot be read): the timeout of a producer's transactional
 * calls, and how long a transaction of a writer that died stays open. */
int ds_kafka_txn_timeout_ms(rd_kafka_t *rk);

/* ds_kafka_probe() results besides 0: */
#define DS_KAFKA_EUNREACHABLE (-1) /* no broker answered */
#define DS_KAFKA_ECONF (-2)        /* no brokers configured, or a property librdkafka rejects */

/* Asks the cluster of cfg for its metadata from a short-lived handle of its
 * own (cfg's settings, its librdkafka log lines not printed), for at most
 * timeout_ms, and gives up as soon as every bootstrap server has failed.
 * Returns 0 when a broker answered; DS_KAFKA_EUNREACHABLE with err as
 * "cannot reach HOST:PORT (REASON)", REASON as librdkafka's error callback
 * gave it (connection refused, a name that does not resolve, a failed TLS
 * handshake or SASL authentication) or "no answer in N s"; DS_KAFKA_ECONF
 * with err set. */
int ds_kafka_probe(const ds_config *cfg, int timeout_ms, char *err, size_t errlen);

/* rd_kafka_new that takes conf in every case (destroyed on failure); the
 * message in err is prefixed with what ("producer", ...). */
rd_kafka_t *ds_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf, const char *what, char *err, size_t errlen);
/* A consumer that reads with assign() only: group.id set to group (assign()
 * needs one; the group is never joined), no automatic commit, partition EOF
 * events on, earliest on an out-of-range offset, the consumer queue as the
 * poll queue. Takes conf. NULL with err set on failure. */
rd_kafka_t *ds_kafka_reader(rd_kafka_conf_t *conf, const char *group, char *err, size_t errlen);
/* Partition count of topic from the cluster's full metadata, which never
 * creates a topic (a request naming it may): > 0, 0 when it does not exist,
 * -1 with err set when the metadata request fails. */
int ds_kafka_topic_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms, char *err, size_t errlen);

#endif
