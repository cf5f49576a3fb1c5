/* codec.h: the Avro codec for dealstream's five record types.
 *
 * One ds_codec holds the reader schemas compiled into the library (see
 * embed.cmake), their Parsing Canonical Forms and CRC-64-AVRO fingerprints,
 * avro-c generic value classes, registered writer schemas for evolution, and
 * a reusable avro-c reader and writer. Nothing is parsed per message.
 *
 * Wire forms (the reader detects which from the first bytes):
 *   single object: C3 01, 8-byte little-endian fingerprint, Avro binary body
 *   Confluent:     00, 4-byte big-endian schema-registry id, Avro binary body
 *
 * JSON form: one JSON value per record, mapped one-to-one from the schema
 * (see ds_codec_to_json). It is the file form of every record.
 *
 * @locality A codec and every value it hands out are used from one thread
 * at a time: decoding reuses one reader, resolvers and scratch values. Give
 * each thread its own codec. The free functions (ds_crc64_avro,
 * ds_schema_pcf, ds_decimal_*, ds_codec_strerror) are thread-safe. */
#ifndef DS_CODEC_H
#define DS_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include <avro.h>
#include <jansson.h>

#include "buf.h"

typedef enum {
    DS_SCHEMA_ARTICLE,    /* dealstream.ArticleEvent */
    DS_SCHEMA_DEAL_EVENT, /* dealstream.DealEvent */
    DS_SCHEMA_MENTION,    /* dealstream.DealMention */
    DS_SCHEMA_CANONICAL,  /* dealstream.CanonicalDeal */
    DS_SCHEMA_STATE,      /* dealstream.StateRecord */
    DS_SCHEMA__COUNT
} ds_schema_id;

/* The schema texts (the .avsc files in schemas/), generated into the build by
 * embed.cmake. Indexed by ds_schema_id. */
extern const char *const ds_schema_json[DS_SCHEMA__COUNT];

/* Earlier versions of the schemas (schemas/history/), still readable: every
 * codec registers each as a writer of its schema (ds_codec_add_writer). */
typedef struct ds_schema_version {
    ds_schema_id id;
    const char *json;
} ds_schema_version;
extern const ds_schema_version ds_schema_history[];
extern const size_t ds_schema_history_count;

/* Error codes. Every function of this module returns 0 or one of these.
 * The decode classes are what the DLQ records; ds_codec_strerror() gives
 * each a stable short name for headers and metrics. */
typedef enum {
    DS_CODEC_OK = 0,
    DS_CODEC_EEMPTY = -1,            /* "empty": zero-length message */
    DS_CODEC_EMAGIC = -2,            /* "bad-magic": neither C3 01 nor 00 */
    DS_CODEC_ETRUNCATED_HEADER = -3, /* "truncated-header" */
    DS_CODEC_EFINGERPRINT = -4,      /* "unknown-fingerprint" */
    DS_CODEC_ESCHEMA_ID = -5,        /* "unknown-schema-id": Confluent id */
    DS_CODEC_ECORRUPT = -6,          /* "corrupt": body does not parse */
    DS_CODEC_ETRAILING = -7,         /* "trailing-bytes" after the record */
    DS_CODEC_EUTF8 = -8,             /* "bad-utf8": string not UTF-8 (or has NUL) */
    DS_CODEC_ETOOBIG = -9,           /* "too-big": over the configured maximum */
    DS_CODEC_EJSON = -10,            /* "bad-json": JSON does not fit the schema */
    DS_CODEC_ESCHEMA = -11,          /* "bad-schema": unparsable or incompatible schema */
    DS_CODEC_EINVAL = -12,           /* "invalid-argument" */
    DS_CODEC_ENOMEM = -13,           /* "out-of-memory" */
} ds_codec_err;

typedef enum { DS_FRAME_SINGLE_OBJECT, DS_FRAME_CONFLUENT } ds_framing;

typedef struct ds_codec ds_codec;

#define DS_CODEC_DEFAULT_MAX_MESSAGE ((size_t)1 << 20)

/* Returns the stable class name of a ds_codec_err ("bad-magic",
 * "unknown-fingerprint", ...); "unknown-error" for anything else. */
const char *ds_codec_strerror(int err);

/* Creates a codec for the embedded schemas. On error NULL is returned and a
 * message is written to err (which may be NULL when errlen is 0). */
ds_codec *ds_codec_new(char *err, size_t errlen);

/* Frees the codec, its schemas, classes and registered writers. Accepts
 * NULL. Values made by ds_codec_value_new() hold their own references and
 * may outlive the codec. */
void ds_codec_destroy(ds_codec *codec);

/* Accessors for the reader schema of id. The schema and the PCF string stay
 * owned by the codec; do not decref or free them. */
avro_schema_t ds_codec_schema(ds_codec *codec, ds_schema_id id);
uint64_t ds_codec_fingerprint(ds_codec *codec, ds_schema_id id);
const char *ds_codec_pcf(ds_codec *codec, ds_schema_id id);

/* Sets the largest message ds_codec_decode() accepts, header included
 * (default DS_CODEC_DEFAULT_MAX_MESSAGE, 1 MiB). */
void ds_codec_set_max_message(ds_codec *codec, size_t max);
/* The largest message ds_codec_decode() accepts (as set above). */
size_t ds_codec_max_message(const ds_codec *codec);

/* Sets the schema-registry id under which the current reader schema of id
 * is registered. Confluent-framed encoding needs it, and decoding accepts it.
 * Returns 0, or DS_CODEC_EINVAL for a negative id. */
int ds_codec_set_confluent_id(ds_codec *codec, ds_schema_id id, int32_t confluent_id);

/* Returns the schema-registry id set by ds_codec_set_confluent_id(), or -1. */
int32_t ds_codec_confluent_id(ds_codec *codec, ds_schema_id id);

/* Registers another writer schema whose data decodes into the reader schema
 * of `reader`: identified on the wire by its CRC-64-AVRO fingerprint, and by
 * confluent_id unless that is -1. Resolution follows Avro's rules through
 * avro-c's resolved writer (promotions, reordered and dropped fields, enum
 * symbols by name); reader fields the writer lacks get their schema default,
 * which avro-c itself does not implement (see codec.c). Returns 0, or
 * DS_CODEC_ESCHEMA with a message when the writer schema does not parse or
 * cannot be resolved (e.g. a missing reader field without a default). */
int ds_codec_add_writer(ds_codec *codec, ds_schema_id reader, const char *writer_json,
                        int32_t confluent_id, char *err, size_t errlen);

/* Makes a generic avro-c value of the reader schema of id in *out. The
 * caller owns it (avro_value_decref()) and should reuse it across messages:
 * ds_codec_decode() and ds_codec_from_json() reset it first. Returns 0 or
 * DS_CODEC_ENOMEM. */
int ds_codec_value_new(ds_codec *codec, ds_schema_id id, avro_value_t *out);

/* The framing header of the reader schema of id: single-object (C3 01 and
 * the fingerprint) or Confluent (0 and the registry id; needs
 * ds_codec_set_confluent_id() first). For bodies written without avro-c.
 * Returns 0 (hdr holds *hlen bytes) or DS_CODEC_EINVAL. */
#define DS_FRAME_HEADER_MAX 10
int ds_codec_frame_header(ds_codec *codec, ds_schema_id id, ds_framing framing,
                          unsigned char hdr[DS_FRAME_HEADER_MAX], size_t *hlen);

/* Appends the framed encoding of val, a value of the reader schema of id,
 * to out. DS_FRAME_CONFLUENT needs ds_codec_set_confluent_id() first.
 * Returns 0, DS_CODEC_EINVAL (wrong schema or no Confluent id),
 * DS_CODEC_ENOMEM, or DS_CODEC_ECORRUPT if avro-c cannot write the value.
 * On error out is unaltered. Strings are not checked for UTF-8 here. */
int ds_codec_encode(ds_codec *codec, ds_schema_id id, avro_value_t *val, ds_framing framing,
                    ds_buf *out);

/* Decodes one framed message into out, a value of the reader schema of id
 * (reset first), resolving registered older writers. Returns 0 or a negative
 * ds_codec_err with a one-line message in err (err may be NULL when errlen
 * is 0). The body is validated against the writer schema before avro-c sees
 * it (lengths against remaining bytes, union and enum indexes, UTF-8, int
 * ranges, nesting), so hostile input neither crashes nor makes avro-c
 * allocate out of proportion: every string, byte and array element avro-c
 * materialises is backed by input bytes (elements of zero-byte types are
 * capped at the maximum message size). After an error out holds an
 * unspecified but valid value. */
int ds_codec_decode(ds_codec *codec, ds_schema_id id, const void *data, size_t len,
                    avro_value_t *out, char *err, size_t errlen);

/* Returns val, a value of the reader schema of id, as a new JSON value
 * (caller json_decref()s), or NULL on allocation failure or a value that
 * has no JSON form (a decimal not fitting int64). The mapping:
 *   record -> object with every field in schema order; array -> array;
 *   map -> object; ["null", X] -> null or the plain X value; other unions ->
 *   null or {"<type name>": value} (Avro JSON encoding); enum -> symbol;
 *   bytes -> base64; numbers -> numbers (NaN/Infinity as strings);
 *   long timestamp-millis -> "2025-08-01T00:00:00.000Z" (a number outside
 *   years 0000-9999); int date -> "2025-08-01";
 *   bytes decimal -> "6500000000.00" (exactly `scale` decimals). */
json_t *ds_codec_to_json(ds_codec *codec, ds_schema_id id, avro_value_t *val);

/* Sets out (reset first), a value of the reader schema of id, from json
 * (the mapping of ds_codec_to_json; timestamps and dates also as numbers,
 * timestamps with any RFC 3339 offset, decimals also as JSON numbers).
 * A missing field takes its schema default; a missing field without one, an
 * unknown field, a wrong type, a decimal with more than `scale` decimals or
 * beyond int64, or a string with NUL is an error. Returns 0, or
 * DS_CODEC_EJSON with a message naming the field path (e.g.
 * "value.amount: ..."), or DS_CODEC_ENOMEM. */
int ds_codec_from_json(ds_codec *codec, ds_schema_id id, json_t *json, avro_value_t *out,
                       char *err, size_t errlen);

/* Reads a decimal's unscaled value from an Avro bytes value (big-endian
 * two's complement, any length whose value fits int64). Returns 0, or
 * DS_CODEC_EINVAL when the value is not bytes, empty, or out of range. */
int ds_decimal_get(avro_value_t *bytes_val, int64_t *unscaled);

/* Sets an Avro bytes value to the minimal big-endian two's complement of
 * unscaled. Returns 0 or DS_CODEC_EINVAL / DS_CODEC_ENOMEM. */
int ds_decimal_set(avro_value_t *bytes_val, int64_t unscaled);

/* CRC-64-AVRO (Rabin) fingerprint of data, as in the Avro specification. */
uint64_t ds_crc64_avro(const void *data, size_t len);

/* Appends the Parsing Canonical Form of the schema JSON text to out.
 * Returns 0, DS_CODEC_ESCHEMA with a message, or DS_CODEC_ENOMEM. */
int ds_schema_pcf(const char *schema_json, ds_buf *out, char *err, size_t errlen);

#endif
