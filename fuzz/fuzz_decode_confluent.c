/* fuzz_decode_confluent: the first byte picks a registered writer (the five
 * reader schemas under their Confluent ids, or the v1 ArticleEvent writer
 * that resolves into ArticleEvent); the rest is the Avro body, framed as
 * 00 + big-endian id + body and decoded into that writer's reader schema.
 * A value that decodes is round-tripped through JSON and re-encoded. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

static ds_codec *codec;
static avro_value_t vals[DS_SCHEMA__COUNT], again[DS_SCHEMA__COUNT];
static ds_buf out;

/* Releases everything at exit: LeakSanitizer cannot follow avro-c's
 * pointers into string buffers (it reports a value that is still alive as
 * leaked), so nothing may be alive when the process ends. */
static void cleanup(void)
{
    for (int id = 0; id < DS_SCHEMA__COUNT; id++) {
        avro_value_decref(&vals[id]);
        avro_value_decref(&again[id]);
    }
    ds_buf_free(&out);
    ds_codec_destroy(codec);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    codec = ds_fuzz_codec(NULL);
    for (int id = 0; id < DS_SCHEMA__COUNT; id++)
        if (ds_codec_value_new(codec, (ds_schema_id)id, &vals[id]) ||
            ds_codec_value_new(codec, (ds_schema_id)id, &again[id]))
            abort();
    ds_buf_init(&out);
    atexit(cleanup);
    return 0;
}

static void roundtrip(ds_schema_id id)
{
    char err[512];
    json_t *j = ds_codec_to_json(codec, id, &vals[id]);
    if (!j)
        return; /* documented: a decimal beyond int64 has no JSON form */
    int rc = ds_codec_from_json(codec, id, j, &again[id], err, sizeof err);
    if (rc) {
        char *s = json_dumps(j, JSON_COMPACT);
        fprintf(stderr, "fuzz: schema %d: decoded value does not read back from its JSON: %s\n%s\n", (int)id,
                err, s ? s : "?");
        abort();
    }
    json_decref(j);
    ds_buf_reset(&out);
    if (ds_codec_encode(codec, id, &again[id], DS_FRAME_CONFLUENT, &out)) {
        fprintf(stderr, "fuzz: schema %d: decoded value does not encode\n", (int)id);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int w = data[0] % DS_FUZZ_NWRITERS;
    ds_schema_id id = ds_fuzz_reader_of(w);
    uint32_t cid = (uint32_t)(w < DS_SCHEMA__COUNT ? DS_FUZZ_CID_BASE + w : DS_FUZZ_CID_V1);
    unsigned char hdr[5] = {0, (unsigned char)(cid >> 24), (unsigned char)(cid >> 16), (unsigned char)(cid >> 8),
                            (unsigned char)cid};
    /* An exact-size copy, so that ASan sees a read past the end. */
    unsigned char *m = malloc(size + 4);
    if (!m)
        return 0;
    memcpy(m, hdr, 5);
    memcpy(m + 5, data + 1, size - 1);
    char err[512];
    int rc = ds_codec_decode(codec, id, m, size + 4, &vals[id], err, sizeof err);
    free(m);
    if (rc > 0 || rc < DS_CODEC_ENOMEM)
        abort();
    if (rc == 0)
        roundtrip(id);
    return 0;
}
