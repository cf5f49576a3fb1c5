/* mention_bin.h: a DealMention's Avro binary body, written and read
 * directly from a ds_mention (see mention_bin.c). */
#ifndef DS_MENTION_BIN_H
#define DS_MENTION_BIN_H

#include <stddef.h>

#include "buf.h"
#include "mention.h"
#include "util.h"

/* Appends the Avro binary encoding of m (DealMention, no framing) to out:
 * the bytes ds_mention_to_avro() and ds_codec_encode() would write. Returns
 * 0, or -1 when out of memory (out unaltered). */
int ds_mention_write(const ds_mention *m, ds_buf *out);

/* Reads a DealMention body of exactly len bytes, written with this
 * version's schema, into m. Every length, count, union branch and enum is
 * checked against the bytes and the schema, and strings for UTF-8, so
 * hostile bytes fail without reading past data. Returns 0, or -1 with a
 * message naming the field and byte in err. Items beyond ds_mention's
 * capacity are read and dropped, as ds_mention_from_avro() does. */
int ds_mention_read(const void *data, size_t len, ds_mention *m, char *err, size_t errlen);

/* Avro binary primitives for records built around mentions: a long (or
 * int, or enum index, or array block count) as a zigzag varint, and a
 * string as its length and bytes. Return 0 or -1 (out of memory). */
int ds_avro_put_long(ds_buf *out, int64_t v);
int ds_avro_put_string(ds_buf *out, const char *s);
/* ["null", "string"]: null for NULL or "". */
int ds_avro_put_opt_string(ds_buf *out, const char *s);
/* ["null", "long"] (or int): null unless present. */
int ds_avro_put_opt_long(ds_buf *out, int64_t v, int present);
/* The fields of a Value record (not the union around it). */
int ds_avro_put_value_record(ds_buf *out, const ds_value *v);

#endif
