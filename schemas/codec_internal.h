/* codec_internal.h: shared between the codec's source files; not public.
 *
 * avro-c drops logical types, defaults and namespaces-as-written, so the
 * codec keeps its own tree of each schema, compiled from the JSON text with
 * jansson: it drives the Parsing Canonical Form, the JSON mapping, default
 * values and the pre-scan that validates bytes before avro-c reads them. */
#ifndef DS_CODEC_INTERNAL_H
#define DS_CODEC_INTERNAL_H

#include "codec.h"

typedef enum {
    DS__NULL, DS__BOOLEAN, DS__INT, DS__LONG, DS__FLOAT, DS__DOUBLE, DS__BYTES, DS__STRING,
    DS__RECORD, DS__ENUM, DS__ARRAY, DS__MAP, DS__UNION, DS__FIXED
} ds__type;

typedef enum { DS__LT_NONE, DS__LT_TIMESTAMP_MILLIS, DS__LT_DATE, DS__LT_DECIMAL } ds__logical;

struct ds__snode;

typedef struct ds__field {
    const char *name;       /* borrowed from the schema's JSON */
    struct ds__snode *type;
    json_t *def;            /* borrowed; NULL when the field has no default */
} ds__field;

typedef struct ds__snode {
    ds__type type;
    ds__logical logical;
    int scale;                  /* decimal */
    char *fullname;             /* named types (owned) */
    json_t *json;               /* the defining JSON object, borrowed; NULL for primitives by name */
    size_t index;               /* position in ds__schema.nodes */
    size_t n;                   /* fields, symbols or branches */
    ds__field *fields;          /* record */
    const char **symbols;       /* enum, borrowed */
    struct ds__snode **branches;/* union */
    struct ds__snode *items;    /* array items, map values */
    size_t fixed_size;
    int min_size;               /* least encoded size in bytes; -1 while unknown */
    int null_union;             /* union of exactly null and one other type: index of the other, else -1 */
} ds__snode;

typedef struct ds__schema {
    json_t *json;               /* owned */
    ds__snode **nodes;          /* owned, every node */
    size_t n_nodes, cap;
    ds__snode *root;
} ds__schema;

/* Compiles schema JSON (text) into a tree. Returns 0 or DS_CODEC_ESCHEMA /
 * DS_CODEC_ENOMEM with a message. */
int ds__schema_compile(const char *text, ds__schema **out, char *err, size_t errlen);
/* Same from a parsed JSON value; takes a reference to json. */
int ds__schema_compile_json(json_t *json, ds__schema **out, char *err, size_t errlen);
void ds__schema_free(ds__schema *s);
/* Returns the named node with this full name, or NULL. */
ds__snode *ds__schema_find(const ds__schema *s, const char *fullname);

/* Appends the Parsing Canonical Form of s to out. 0 or DS_CODEC_ENOMEM. */
int ds__pcf(const ds__schema *s, ds_buf *out);

/* 1 when s[0..len) is valid UTF-8 without NUL, else 0. */
int ds__utf8_valid(const char *s, size_t len);

/* The JSON mapping (json.c). */
json_t *ds__to_json(const ds__snode *n, avro_value_t *v);
int ds__from_json(const ds__snode *n, json_t *j, avro_value_t *v, char *err, size_t errlen);
/* Sets v from a schema default (Avro's default encoding: first union
 * branch, bytes as ISO-8859-1 code points). */
int ds__set_default(const ds__snode *n, json_t *def, avro_value_t *v, char *err, size_t errlen);
/* Copies src (a value of a schema equal to n's except for record fields it
 * lacks) into dst (a value of n), filling those fields with defaults. */
int ds__copy_with_defaults(const ds__snode *n, avro_value_t *src, avro_value_t *dst, char *err,
                           size_t errlen);

/* Formatting helpers shared with the tests through the public API. */
int ds__decimal_parse(const char *s, size_t len, int scale, int64_t *out, const char **why);
/* Big-endian two's complement to int64 (sign extension beyond 8 bytes
 * allowed); 0 or -1. */
int ds__decimal_from_be(const unsigned char *b, size_t size, int64_t *unscaled);
int ds__decimal_format(int64_t unscaled, int scale, char *buf, size_t buflen);

#endif
