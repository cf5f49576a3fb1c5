/* mention_bin.h: a DealMention's Avro binary body, written and read
 * directly from a ds_mention (see mention_bin.c). */
#ifndef DS_MENTION_BIN_H
#define DS_MENTION_BIN_H

#include <stddef.h>
#include <stdint.h>

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

/* Reading records that embed mentions (StateRecord): a cursor over the bytes
 * [p, end). Every read checks the bytes and, on the first failure, records
 * the field and leaves the cursor failed; later reads do nothing useful, so
 * callers check once at the end with ds_avro_cursor_error(). */
typedef struct ds_avro_cursor {
    const unsigned char *p, *end;
    const char *failed;             /* the field that stopped the read */
    const unsigned char *block_end; /* where an array block given with its byte size must end */
} ds_avro_cursor;

/* One DealMention at the cursor, as ds_mention_read() without the end check. */
void ds_mention_read_at(ds_avro_cursor *c, ds_mention *m);
int64_t ds_avro_get_long(ds_avro_cursor *c, const char *field);
/* A string into dst (cap bytes with its NUL; longer is a failure, as is
 * invalid UTF-8 or a NUL). */
void ds_avro_get_string(ds_avro_cursor *c, const char *field, char *dst, size_t cap);
/* An array's next block count, 0 at its end (see the Avro specification). */
int64_t ds_avro_get_block(ds_avro_cursor *c, const char *field);
/* An int (a long within 32 bits). */
int32_t ds_avro_get_int(ds_avro_cursor *c, const char *field);
/* An enum index below nsymbols, or a union branch (nsymbols: the branches;
 * 2 for ["null", X], where 1 is X). */
int ds_avro_get_enum(ds_avro_cursor *c, const char *field, int nsymbols);
/* A decimal's unscaled value: bytes, big-endian two's complement of 1 to 8
 * bytes (longer is a failure, although it may fit 64 bits). */
int64_t ds_avro_get_decimal(ds_avro_cursor *c, const char *field);
/* 0 when the cursor has not failed; else -1 with "<record>.<field>: cannot be
 * read at byte N of LEN" in err (data: the start of the bytes). */
int ds_avro_cursor_error(const ds_avro_cursor *c, const char *record, const void *data, char *err, size_t errlen);

/* Writes v as a zigzag varint (1 to 10 bytes) at p; returns the end. */
static inline unsigned char *ds_avro_varint(unsigned char *p, int64_t v)
{
    uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    while (u >= 0x80) {
        *p++ = (unsigned char)(u | 0x80);
        u >>= 7;
    }
    *p++ = (unsigned char)u;
    return p;
}

/* Avro binary primitives for records built around mentions: a long (or
 * int, or enum index, or array block count) as a zigzag varint, and a
 * string as its length and bytes. Return 0 or -1 (out of memory; out
 * unaltered). Each reserves room once: the canonical and state records are
 * written a field at a time, about 40 fields a record. */
int ds_avro_put_long(ds_buf *out, int64_t v);
int ds_avro_put_string(ds_buf *out, const char *s);
/* ["null", "string"]: null for NULL or "". */
int ds_avro_put_opt_string(ds_buf *out, const char *s);
/* ["null", "long"] (or int): null unless present. */
int ds_avro_put_opt_long(ds_buf *out, int64_t v, int present);
/* The fields of a Value record (not the union around it). */
int ds_avro_put_value_record(ds_buf *out, const ds_value *v);

#endif
