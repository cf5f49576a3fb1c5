/* deal_bin.h: a DealEvent as the normaliser reads it, filled directly from
 * its Avro binary body or from a generic avro-c value (see deal_bin.c). */
#ifndef DS_DEAL_BIN_H
#define DS_DEAL_BIN_H

#include <avro.h>
#include <stddef.h>
#include <stdint.h>

/* Room for every string of one event read directly, each with its NUL. */
#define DS_DEAL_TEXT_MAX 1024

/* The fields of a DealEvent (schemas/DealEvent.avsc). Strings are
 * NUL-terminated, without NUL inside, and NULL when null; they point into
 * text (read directly) or into the avro-c value they were taken from, so a
 * ds_deal_event is valid only as long as that source and is not copied. */
typedef struct ds_deal_event {
    const char *source_id, *source, *buyer, *seller, *supplier, *system, *place, *parent_ref;
    size_t source_id_len;
    int64_t reported;            /* DS_NO_TIME when absent */
    int has_quantity;
    int64_t quantity;
    int has_value;               /* the value union holds a Money record */
    int amount_ok;               /* and its amount is a decimal that fits 64 bits */
    int64_t amount;              /* unscaled, hundredths */
    const char *currency;        /* NULL when absent */
    int stage, status;           /* symbol indexes of the DealEvent enums; -1 when absent */
    int has_signing_date;
    int64_t signing_date;        /* days since the epoch */
    int has_batch;
    int64_t batch;
    char text[DS_DEAL_TEXT_MAX]; /* the strings of a directly read event */
} ds_deal_event;

/* Reads a DealEvent body of exactly len bytes (no framing), written with
 * this version's schema, into e. It accepts only what the codec's
 * validation accepts and reads it as avro-c would: lengths and varints
 * against the bytes, union branches, enum indexes, int ranges, UTF-8
 * without NUL, decimals that fit 64 bits, nothing after the record.
 * Returns 0, or -1 with a message naming the field and byte in err (which
 * may be NULL when errlen is 0) for bytes it refuses, and for strings of
 * more than DS_DEAL_TEXT_MAX bytes in all (valid, but left to the generic
 * decoder). After a failure e->source_id is NULL and the rest of e
 * unspecified. */
int ds_deal_event_read(const void *data, size_t len, ds_deal_event *e, char *err, size_t errlen);

/* Whether s, the DealEvent reader schema, is the one ds_deal_event_read
 * was written for: its fields' names and types in order, the enums'
 * symbol counts. When the schema changes and the reader does not, the
 * caller uses the generic decoder only. */
int ds_deal_event_schema_ok(avro_schema_t s);

/* Fills e from val, a generic value of the DealEvent reader schema (decoded,
 * resolved from another writer, or read from JSON); e->text is not used. */
void ds_deal_event_from_avro(avro_value_t *val, ds_deal_event *e);

#endif
