/* state.h: the changelog of resolver state, topic <app>-state
 * (schemas/StateRecord.avsc, key block_key#chunk, compacted).
 *
 * Partition p of <app>-state belongs to partition p of <app>-mentions: when
 * a batch closes, the processor writes, for every block the batch's
 * mentions from mentions partition p changed, the chunks of the block that
 * changed (resolve.h, "changelog chunks") to state partition p, with the
 * offset of the block's last mention in the batch as input_offset, and a
 * tombstone for each chunk that emptied (headers DS_STATE_H_BLOCK and
 * DS_STATE_H_INPUT_OFFSET, since it has no value). No record outgrows a
 * chunk, whatever the size of the block. Records of earlier versions (key
 * block_key, the whole block, chunk 0) are still restored; a block's first
 * write after the upgrade replaces its record by chunks and a tombstone.
 * On assignment of mentions partition p the processor rebuilds a resolver
 * from state partition p (ds_state_restore_read, on a worker thread) before
 * consuming.
 *
 * @locality the thread that owns the resolver and the codec; a restore may
 * run on a thread of its own (ds_state_restore_read). */
#ifndef DS_STATE_H
#define DS_STATE_H

#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "codec.h"
#include "pipeline.h"
#include "resolve.h"

/* Headers of a chunk's tombstone: its block key, and the input offset of
 * the batch that deleted it (decimal). */
#define DS_STATE_H_BLOCK "dealstream.state.block"
#define DS_STATE_H_INPUT_OFFSET "dealstream.state.input.offset"

/* Appends the StateRecord of chunk `chunk` of block_key (as the resolver
 * holds it now) to out, single-object encoded, written directly
 * (mention_bin.h). Chunk 0 is the whole block in one record, as versions
 * before chunked changelogs wrote it (tests read it back). Returns 0, or -1
 * (unknown block or chunk, out of memory; out unaltered). */
int ds_state_encode_chunk(ds_codec *codec, ds_resolver *rs, const char *block_key, uint32_t chunk,
                          const char *input_topic, int32_t input_partition, int64_t input_offset, ds_buf *out);
/* ds_state_encode_chunk of chunk 0: the whole block. */
int ds_state_encode(ds_codec *codec, ds_resolver *rs, const char *block_key, const char *input_topic,
                    int32_t input_partition, int64_t input_offset, ds_buf *out);

/* The same record through avro-c's generic values (sval: a reusable value of
 * DS_SCHEMA_STATE): the reference the direct encoding is tested against. */
int ds_state_encode_generic(ds_codec *codec, avro_value_t *sval, ds_resolver *rs, const char *block_key,
                            uint32_t chunk, const char *input_topic, int32_t input_partition, int64_t input_offset,
                            ds_buf *out);

/* The changelog key of a chunk: block_key#chunk, or block_key for chunk 0. */
void ds_state_key(const char *block_key, uint32_t chunk, char *key, size_t keylen);

/* Queues one changelog record: key, value (NULL, 0: a tombstone) and
 * headers (consumed; may be NULL). Returns 0 or -1. */
typedef int (*ds_state_put_fn)(void *opaque, const char *key, const void *val, size_t len, rd_kafka_headers_t *hdrs);

/* Writes, through put, the changelog of block_key's changes since its last
 * write (ds_resolver_chunks_dirty, in its order): each changed chunk's
 * record, each emptied chunk's tombstone, then marks them written. A record
 * longer than max_bytes (0: no check) is refused before it is queued: it
 * would be refused by the producer. scratch is reused. Returns the number of
 * records queued, or -1 with err (the block is then still marked changed). */
int ds_state_write_block(ds_codec *codec, ds_resolver *rs, const char *block_key, const char *input_topic,
                         int32_t input_partition, int64_t input_offset, size_t max_bytes, ds_buf *scratch,
                         ds_state_put_fn put, void *opaque, char *err, size_t errlen);

/* Where a block's changelog records go: the input they were written as
 * of, the size limit (0: no check), a scratch buffer, and put. */
typedef struct ds_state_target {
    const char *topic;
    int32_t partition;
    int64_t offset;
    size_t max_bytes;
    ds_buf *scratch;
    ds_state_put_fn put;
    void *opaque;
} ds_state_target;

/* A block's changelog being written a few chunks at a time: zeroed before
 * the first step of a block. */
typedef struct ds_state_writer {
    const ds_state_chunk *cs; /* the resolver's list of changed chunks (ds_resolver_chunks_dirty) */
    size_t n, next;
} ds_state_writer;

/* ds_state_write_block in steps of at most max chunks (0: all of them),
 * each step going on where w stopped: the resolver must not change between
 * the steps of a block. Returns 1 when chunks are left, 0 once the block is
 * written (its chunks marked written), or -1 with err (the block is then
 * still marked changed). */
int ds_state_write_step(ds_codec *codec, ds_resolver *rs, const char *block_key, const ds_state_target *to,
                        ds_state_writer *w, size_t max, char *err, size_t errlen);

typedef struct ds_restore_stats {
    uint64_t records;    /* read from the partition */
    uint64_t skipped;    /* input_offset at or past the committed offset */
    uint64_t tombstones; /* among the records */
    uint64_t chunks;     /* records restored (a block has one or more) */
    uint64_t blocks;     /* restored */
    uint64_t mentions; /* in the restored blocks */
    uint64_t fallback; /* blocks whose only records were past the committed offset */
    int64_t ms;        /* wall time of the whole restore */
} ds_restore_stats;

/* The work of a restore, without publishing: rebuilds rs (fresh,
 * cross-block links as the caller set them) from partition `partition` of
 * topic: reads it read_committed from the beginning
 * until its position reaches the high watermark, with a short-lived consumer
 * of its own (conf is consumed: it becomes that consumer's configuration, no
 * group), keeps per key the latest record (or tombstone) among those whose
 * input_offset is below `committed` (the group's committed offset of the
 * matching mentions partition; pass 0 when there is none), restores each
 * block from its keys' records, and runs ds_resolver_restore_finish. A block
 * with a key whose every record is at or past `committed` (compaction can
 * leave only those, and a chunk opened since has only those) is restored
 * from each of its keys' latest records and its live deals are republished:
 * reprocessing its mentions would otherwise change nothing and an
 * undelivered output would stay lost.
 * The deals to publish (normally none: those ds_resolver_restore_finish
 * changed, then the fallback blocks' live deals) are listed in *publish:
 * its items array is the caller's to free(), its records rs's, valid until
 * the next ds_resolver_add or destroy. Blocks the calling thread for the
 * restore; gives up after timeout_ms, or once *cancel (may be NULL) is
 * non-zero: within POLL_CANCEL_MS (100 ms) while reading, before the next
 * block while restoring blocks (not during ds_resolver_restore_finish,
 * which recomputes them). Touches nothing but rs,
 * codec and its own reader, so that it may run on a thread of its own: rs
 * and codec must then be that thread's for the call (the catalog rs was
 * created with is only read).
 * Returns 0; DS_RESTORE_UNSTABLE with the reason in err when the read stopped
 * at the last stable offset below the high watermark (a transaction on the
 * partition is open, or its commit marker not yet written: nothing was
 * restored, call again later); DS_RESTORE_CANCELLED with err; or -1 with a
 * message in err. After a non-zero return rs holds partial state and must
 * be destroyed, and *publish is empty. */
#define DS_RESTORE_UNSTABLE 1
#define DS_RESTORE_CANCELLED 2
int ds_state_restore_read(ds_resolver *rs, ds_codec *codec, rd_kafka_conf_t *conf, const char *topic,
                          int32_t partition, int64_t committed, int timeout_ms, const atomic_int *cancel,
                          ds_changes *publish, ds_restore_stats *st, char *err, size_t errlen);

/* ds_state_restore_read with pl's codec, no cancel, then the deals to
 * publish emitted through emit (pl's canonical encoding), on the calling
 * thread: the restore of a command that owns its thread (replay, tests,
 * benchmarks). Returns as ds_state_restore_read; -1 with err when a
 * record cannot be emitted. */
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
