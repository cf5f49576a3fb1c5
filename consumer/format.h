/* format.h: how consume prints a message: kcat's -f format strings (parsed
 * once into tokens), its -J envelope, and the default JSON lines with kcat's
 * -K key and -D message delimiters. */
#ifndef DS_FORMAT_H
#define DS_FORMAT_H

#include <jansson.h>
#include <stdio.h>

#include "consume.h"

typedef struct ds_format ds_format;

/* Parses a format string: %t topic, %p partition, %o offset, %k key, %K key
 * length (-1 for none), %s the value (the decoded record as compact JSON,
 * null for a tombstone, else the raw bytes), %S value length (-1 for a
 * tombstone), %R that length as a 4-byte big-endian integer, %T timestamp
 * (ms; -1 for none), %h headers (name=value,...), %c the value's record
 * type ("-" for none), %% a percent sign; and the escapes \n \r \t \\,
 * \xHH (hex) and \NNN (decimal, as kcat reads them). Returns NULL with err
 * naming the token on failure. */
ds_format *ds_format_parse(const char *fmt, char *err, size_t errlen);
void ds_format_destroy(ds_format *f); /* accepts NULL */
/* Prints m by f. Returns 0, or -1 on a write error. */
int ds_format_print(const ds_format *f, FILE *out, const ds_consumed *m);

/* The escapes above, resolved, into out (NUL-terminated; embedded NULs are
 * kept and *len says how long). Returns 0, or -1 when out is too small. */
int ds_format_unescape(const char *s, char *out, size_t cap, size_t *len);

/* kcat's -J envelope: {"topic", "partition", "offset", "tstype", "ts",
 * "broker", "headers" (only when there are some: [name, value, ...]),
 * "key" (a string or null), "payload" (the decoded record; null for a
 * tombstone; else the value as a string, with "payload_error"), and
 * "value_schema_id" for Confluent framing}. New reference. */
json_t *ds_format_envelope(const ds_consumed *m);

#endif
