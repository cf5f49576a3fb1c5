/* state.h: the changelog of resolver state, topic <app>-state
 * (schemas/StateRecord.avsc, key block_key, compacted).
 *
 * Partition p of <app>-state belongs to partition p of <app>-mentions: when
 * a batch closes, the processor writes the whole state of every block the
 * batch's mentions from mentions partition p changed to state partition p,
 * with the offset of the block's last mention in the batch as input_offset.
 * On assignment of mentions partition p it
 * rebuilds a resolver from state partition p (ds_state_restore) before
 * consuming.
 *
 * @locality the thread that owns the resolver and the codec. */
#ifndef DS_STATE_H
#define DS_STATE_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "codec.h"
#include "pipeline.h"
#include "resolve.h"

/* Appends the StateRecord of block_key (as the resolver holds it now) to out,
 * single-object encoded, written directly (mention_bin.h). Returns 0, or -1
 * (unknown block, out of memory; out unaltered). */
int ds_state_encode(ds_codec *codec, ds_resolver *rs, const char *block_key, const char *input_topic,
                    int32_t input_partition, int64_t input_offset, ds_buf *out);

/* The same record through avro-c's generic values (sval: a reusable value of
 * DS_SCHEMA_STATE): the reference the direct encoding is tested against. */
int ds_state_encode_generic(ds_codec *codec, avro_value_t *sval, ds_resolver *rs, const char *block_key,
                            const char *input_topic, int32_t input_partition, int64_t input_offset, ds_buf *out);

typedef struct ds_restore_stats {
    uint64_t records;  /* read from the partition */
    uint64_t skipped;  /* input_offset at or past the committed offset */
    uint64_t blocks;   /* restored */
    uint64_t mentions; /* in the restored blocks */
    uint64_t fallback; /* blocks whose only records were past the committed offset */
    int64_t ms;        /* wall time of the whole restore */
} ds_restore_stats;

/* Rebuilds rs (fresh, cross-block links as the caller set them) from
 * partition `partition` of topic: reads it read_committed from the beginning
 * until its position reaches the high watermark, with a short-lived consumer
 * of its own (conf is consumed: it becomes that consumer's configuration, no
 * group), keeps the latest record per block key among those whose
 * input_offset is below `committed` (the group's committed offset of the
 * matching mentions partition; pass 0 when there is none), restores them,
 * and runs ds_resolver_restore_finish. A block whose every record is at or
 * past `committed` (compaction can leave only those) is restored from its
 * latest one and its live deals are republished: reprocessing its mentions
 * would otherwise change nothing and an undelivered output would stay lost.
 * Records to publish (normally none) are emitted through emit. Blocks the
 * calling thread for the restore; gives up after timeout_ms.
 * Returns 0; DS_RESTORE_UNSTABLE with the reason in err when the read stopped
 * at the last stable offset below the high watermark (a transaction on the
 * partition is open, or its commit marker not yet written: nothing was
 * restored, call again later); or -1 with a message in err. After a
 * non-zero return rs holds partial state and must be destroyed. */
#define DS_RESTORE_UNSTABLE 1
int ds_state_restore(ds_resolver *rs, ds_pipeline *pl, rd_kafka_conf_t *conf, const char *topic,
                     int32_t partition, int64_t committed, int timeout_ms, ds_emit_fn emit, void *opaque,
                     ds_restore_stats *st, char *err, size_t errlen);

/* ds_state_restore for a command that can wait, blocking its thread: while
 * the partition is not stable (DS_RESTORE_UNSTABLE) it logs why once and
 * tries again with backoff (100 ms doubling to 2 s) until timeout_ms have
 * passed, a transaction a stopped writer left open being aborted after its
 * transaction.timeout.ms. conf is consumed; each try reads with a copy.
 * Returns 0, or -1 with a message in err (for an unstable partition, the
 * last reason and how long it waited). */
int ds_state_restore_wait(ds_resolver *rs, ds_pipeline *pl, rd_kafka_conf_t *conf, const char *topic,
                          int32_t partition, int64_t committed, int timeout_ms, ds_emit_fn emit, void *opaque,
                          ds_restore_stats *st, char *err, size_t errlen);

#endif
