/* registry.h: a client of a Confluent-compatible schema registry.
 *
 * Two requests of the registry's REST API are used:
 *   POST /subjects/<subject>/versions   {"schema": "..."} -> {"id": N}
 *   GET  /schemas/ids/<id>              -> {"schema": "..."}
 * Subjects follow the topic-name strategy: "<topic>-value"
 * (ds_registry_subject()).
 *
 * Schemas fetched by id are cached for the life of the client (an id never
 * changes its schema). Fetches run on the client's own worker thread, so a
 * caller on an event loop asks with ds_registry_schema(), which never blocks,
 * and is told through the on_ready callback when an answer has arrived.
 * While the registry is unreachable or answers 5xx (or 401/403, 429), the
 * worker retries with exponential backoff, without limit: the caller keeps
 * the message and pauses; nothing is dropped. Only a 404 is a definite
 * "no such id"; it is remembered for notfound_ttl_ms and then asked again.
 *
 * Basic auth ("user:password") and a CA bundle for https pass through to
 * libcurl.
 *
 * @locality Every function may be called from any thread. on_ready runs on
 * the worker thread: it must only wake the owner (e.g. uv_async_send()). */
#ifndef DS_REGISTRY_H
#define DS_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"

typedef struct ds_registry ds_registry;

typedef struct ds_registry_conf {
    const char *url;          /* base URL, e.g. http://schema-registry:8081 */
    const char *basic_auth;   /* "user:password", or NULL */
    const char *ca_location;  /* PEM CA bundle for https, or NULL (system store) */
    int backoff_min_ms;       /* first retry delay; 0: 100 */
    int backoff_max_ms;       /* longest retry delay; 0: 10000 */
    int request_timeout_ms;   /* one HTTP request; 0: 10000 */
    int notfound_ttl_ms;      /* how long a 404 is believed; 0: 60000 */
    void (*on_ready)(void *opaque); /* a fetch finished (found or 404); may be NULL */
    void *opaque;
} ds_registry_conf;

/* Error codes: functions return 0 or one of these. */
enum {
    DS_REG_OK = 0,
    DS_REG_EPENDING = -1,  /* not in the cache yet: a fetch is under way */
    DS_REG_ENOTFOUND = -2, /* the registry answered 404 */
    DS_REG_ETIMEDOUT = -3, /* no answer within the caller's timeout (registry down) */
    DS_REG_EREJECTED = -4, /* the registry refused a registration (409 incompatible, 422, 401...) */
    DS_REG_EINVAL = -5,
    DS_REG_ENOMEM = -6,
};

/* Returns a short stable name of an error code. */
const char *ds_registry_strerror(int err);

/* Creates a client and starts its worker thread; conf's strings are copied.
 * On error NULL is returned with a message in err. */
ds_registry *ds_registry_new(const ds_registry_conf *conf, char *err, size_t errlen);

/* Stops the worker (an HTTP request in flight is aborted) and frees the
 * client. Accepts NULL. */
void ds_registry_destroy(ds_registry *reg);

/* Looks id up without blocking. 0: *schema_json is a malloc'd copy of the
 * writer schema (caller frees). DS_REG_EPENDING: a fetch has been queued (or
 * is being retried); on_ready will be called when it finishes.
 * DS_REG_ENOTFOUND: the registry has no such id. */
int ds_registry_schema(ds_registry *reg, int32_t id, char **schema_json);

/* As ds_registry_schema, but waits up to timeout_ms (< 0: forever) for the
 * fetch. Returns 0, DS_REG_ENOTFOUND or DS_REG_ETIMEDOUT. Blocks: not for
 * an event-loop thread. */
int ds_registry_schema_wait(ds_registry *reg, int32_t id, int timeout_ms, char **schema_json);

/* Registers schema_json under subject (or finds it registered already) and
 * sets *id. Retries, with backoff, while the registry is unreachable or
 * answers 5xx, for up to timeout_ms (< 0: forever). Returns 0,
 * DS_REG_EREJECTED with the registry's message in err, or DS_REG_ETIMEDOUT
 * with the last failure in err. The schema is then in the id cache. Blocks,
 * on the caller's thread: call it at start-up, before an event loop runs. */
int ds_registry_register(ds_registry *reg, const char *subject, const char *schema_json, int timeout_ms,
                         int32_t *id, char *err, size_t errlen);

/* Writes "<topic>-value" (the topic-name strategy) into out. */
void ds_registry_subject(const char *topic, char *out, size_t cap);

/* HTTP requests sent so far (every attempt counts). */
long ds_registry_requests(ds_registry *reg);

/* Codec glue: makes a writer schema fetched for confluent_id known to codec.
 * The reader schema is chosen by the writer's full name (namespace.name);
 * a writer identical to the reader (same Parsing Canonical Form) just gets
 * the id, any other is added with ds_codec_add_writer(). Sets *reader.
 * Returns 0 or a ds_codec_err (DS_CODEC_ESCHEMA: unparsable, no reader of
 * that name, or not resolvable) with a message in err. */
int ds_registry_codec_add(ds_codec *codec, int32_t confluent_id, const char *schema_json, ds_schema_id *reader,
                          char *err, size_t errlen);

#endif
