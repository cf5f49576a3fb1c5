/* schemagate.h: the schema registry in front of the processor's decoder.
 *
 * An input written with Confluent framing (magic 0, 4-byte schema id) can be
 * decoded once the codec knows the writer schema of its id. The gate asks
 * the registry (registry.h) without blocking: the first message of an
 * unknown id gets DS_GATE_WAIT while the registry's worker fetches it, and
 * the caller holds that message's partition (seek back to it, pause) until
 * on_wake reports an answer; while the registry is unreachable the worker
 * retries with backoff and the partition stays held, so nothing is dropped.
 * A 404, or a schema that is not one of ours, gives DS_GATE_FAIL with the
 * message a dead letter needs. Everything else (single-object encoding,
 * known ids, garbage for the decoder to name) passes.
 *
 * The gate also registers the processor's output schema under
 * "<topic>-value" at start, so the canonical records can be written with
 * Confluent framing.
 *
 * @locality the loop thread, except on_wake, which runs on the registry's
 * worker thread and must only wake the loop (uv_async_send). */
#ifndef DS_SCHEMAGATE_H
#define DS_SCHEMAGATE_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "config.h"

typedef struct ds_schema_gate ds_schema_gate;

enum { DS_GATE_PASS = 0, DS_GATE_WAIT = 1, DS_GATE_FAIL = 2 };

/* A gate on cfg's registry (schema_registry_url, _auth, _ca) adding the
 * schemas it fetches to codec. NULL with err set on failure. */
ds_schema_gate *ds_schema_gate_new(const ds_config *cfg, ds_codec *codec, void (*on_wake)(void *opaque),
                                   void *opaque, char *err, size_t errlen);
void ds_schema_gate_destroy(ds_schema_gate *g); /* accepts NULL */

/* Whether the input data can be decoded now: DS_GATE_PASS, DS_GATE_WAIT
 * (*id: the schema id being fetched) or DS_GATE_FAIL (msg: why, for the
 * dead letter; class "unknown-schema-id"). */
int ds_schema_gate_check(ds_schema_gate *g, const void *data, size_t len, int32_t *id, char *msg, size_t msglen);
/* The same for a schema id already read from a record's header. */
int ds_schema_gate_check_id(ds_schema_gate *g, int32_t id, char *msg, size_t msglen);

/* Registers the reader schema of sid under "<topic>-value" and sets its
 * Confluent id in the codec (blocking, with retries for up to timeout_ms:
 * call it at start-up). Returns 0 or -1 with err set. */
int ds_schema_gate_register(ds_schema_gate *g, ds_schema_id sid, const char *topic, int timeout_ms, char *err,
                            size_t errlen);

/* Ids added to the codec so far, and fetches that made a caller wait. */
size_t ds_schema_gate_known(const ds_schema_gate *g);
size_t ds_schema_gate_waits(const ds_schema_gate *g);

#endif
