/* fuzz_decode_single: the bytes are one message, decoded into every reader
 * schema (the header decides whether it is single-object, Confluent or
 * garbage). Seeds from fuzz_seeds: valid single-object encodings of the
 * tests/data records and of a v1 ArticleEvent, so mutations start past the
 * fingerprint check. A value that decodes is also turned into JSON, back
 * into Avro and re-encoded, which must succeed.
 *
 * A DealMention is also read by the direct reader (mention_bin.h), which the
 * processor uses first: whatever it accepts, the generic decoder must accept
 * and read into the same mention; the direct writer must write what the
 * generic encoding does; and a mention written, read and written again must
 * give the same bytes. A DealEvent is likewise read by the direct reader of
 * deal_bin.h: whatever it accepts, the generic decoder must accept and read
 * into the same fields. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deal_bin.h"
#include "fuzz_common.h"
#include "mention_bin.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    ds_fuzz_values_init();
    return 0;
}

/* Whether data starts with the single-object header of schema id (*hlen:
 * its length). */
static int single_object_of(ds_schema_id id, const uint8_t *data, size_t size, size_t *hlen)
{
    unsigned char hdr[DS_FRAME_HEADER_MAX];
    return ds_codec_frame_header(ds_fuzz_v.codec, id, DS_FRAME_SINGLE_OBJECT, hdr, hlen) == 0 && size >= *hlen &&
           memcmp(data, hdr, *hlen) == 0;
}

/* The direct reader against the generic one, on a DealMention message. */
static void check_direct_mention(const uint8_t *data, size_t size)
{
    size_t hlen;
    char err[512];
    if (!single_object_of(DS_SCHEMA_MENTION, data, size, &hlen))
        return;
    static ds_mention direct, generic, again;
    if (ds_mention_read(data + hlen, size - hlen, &direct, err, sizeof err) != 0)
        return;
    avro_value_t *v = &ds_fuzz_v.vals[DS_SCHEMA_MENTION];
    if (ds_codec_decode(ds_fuzz_v.codec, DS_SCHEMA_MENTION, data, size, v, err, sizeof err) != 0 ||
        ds_mention_from_avro(v, &generic, err, sizeof err) != 0 || memcmp(&direct, &generic, sizeof direct) != 0) {
        fprintf(stderr, "direct reader accepted a mention the generic path reads otherwise: %s\n", err);
        abort();
    }
    /* the writers agree on any mention read, and a mention written, read
     * and written again gives the same bytes (absent values such as a
     * negative quantity are written as null, so the first write normalises) */
    static ds_buf first, again_bytes;
    ds_buf_reset(&first);
    ds_buf_reset(&again_bytes);
    ds_buf_reset(&ds_fuzz_v.out);
    if (ds_mention_write(&direct, &first) || avro_value_reset(v) || ds_mention_to_avro(&direct, v) ||
        ds_codec_encode(ds_fuzz_v.codec, DS_SCHEMA_MENTION, v, DS_FRAME_SINGLE_OBJECT, &ds_fuzz_v.out) ||
        ds_fuzz_v.out.len != first.len + hlen || memcmp(ds_fuzz_v.out.data + hlen, first.data, first.len) != 0) {
        fprintf(stderr, "the direct writer and the generic encoding differ\n");
        abort();
    }
    if (ds_mention_read(first.data, first.len, &again, err, sizeof err) || ds_mention_write(&again, &again_bytes) ||
        again_bytes.len != first.len || memcmp(again_bytes.data, first.data, first.len) != 0) {
        fprintf(stderr, "a mention written, read and written again differs: %s\n", err);
        abort();
    }
}

static int same_str(const char *a, const char *b) { return a && b ? strcmp(a, b) == 0 : a == b; }

/* Whether two readings of a DealEvent have the same fields. */
static int same_event(const ds_deal_event *a, const ds_deal_event *b)
{
    return same_str(a->source_id, b->source_id) && a->source_id_len == b->source_id_len &&
           same_str(a->source, b->source) && a->reported == b->reported && same_str(a->buyer, b->buyer) &&
           same_str(a->seller, b->seller) && same_str(a->supplier, b->supplier) && same_str(a->system, b->system) &&
           a->has_quantity == b->has_quantity && (!a->has_quantity || a->quantity == b->quantity) &&
           a->has_value == b->has_value && a->amount_ok == b->amount_ok && (!a->amount_ok || a->amount == b->amount) &&
           same_str(a->currency, b->currency) && a->stage == b->stage && a->status == b->status &&
           a->has_signing_date == b->has_signing_date && (!a->has_signing_date || a->signing_date == b->signing_date) &&
           same_str(a->place, b->place) && a->has_batch == b->has_batch && (!a->has_batch || a->batch == b->batch) &&
           same_str(a->parent_ref, b->parent_ref);
}

/* The direct reader against the generic one, on a DealEvent message. */
static void check_direct_deal(const uint8_t *data, size_t size)
{
    size_t hlen;
    char err[512];
    if (!single_object_of(DS_SCHEMA_DEAL_EVENT, data, size, &hlen))
        return;
    static ds_deal_event direct, generic;
    if (ds_deal_event_read(data + hlen, size - hlen, &direct, err, sizeof err) != 0)
        return;
    avro_value_t *v = &ds_fuzz_v.vals[DS_SCHEMA_DEAL_EVENT];
    if (ds_codec_decode(ds_fuzz_v.codec, DS_SCHEMA_DEAL_EVENT, data, size, v, err, sizeof err) != 0) {
        fprintf(stderr, "direct reader accepted a deal event the generic decoder refuses: %s\n", err);
        abort();
    }
    ds_deal_event_from_avro(v, &generic);
    if (!same_event(&direct, &generic)) {
        fprintf(stderr, "direct reader read a deal event otherwise than the generic decoder\n");
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_direct_mention(data, size);
    check_direct_deal(data, size);
    char err[512];
    for (int id = 0; id < DS_SCHEMA__COUNT; id++) {
        int rc = ds_codec_decode(ds_fuzz_v.codec, (ds_schema_id)id, data, size, &ds_fuzz_v.vals[id], err, sizeof err);
        if (rc > 0 || rc < DS_CODEC_ENOMEM)
            abort();
        if (rc == 0)
            ds_fuzz_roundtrip((ds_schema_id)id, DS_FRAME_SINGLE_OBJECT);
    }
    return 0;
}
