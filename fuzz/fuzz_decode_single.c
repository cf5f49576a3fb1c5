/* fuzz_decode_single: the bytes are one message, decoded into every reader
 * schema (the header decides whether it is single-object, Confluent or
 * garbage). Seeds from fuzz_seeds: valid single-object encodings of the
 * tests/data records and of a v1 ArticleEvent, so mutations start past the
 * fingerprint check. A value that decodes is also turned into JSON, back
 * into Avro and re-encoded, which must succeed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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

/* Shared with fuzz_decode_confluent: the value decoded fine, so its JSON
 * form must read back and encode. */
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
    if (ds_codec_encode(codec, id, &again[id], DS_FRAME_SINGLE_OBJECT, &out)) {
        fprintf(stderr, "fuzz: schema %d: decoded value does not encode\n", (int)id);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    for (int id = 0; id < DS_SCHEMA__COUNT; id++) {
        int rc = ds_codec_decode(codec, (ds_schema_id)id, data, size, &vals[id], err, sizeof err);
        if (rc > 0 || rc < DS_CODEC_ENOMEM)
            abort();
        if (rc == 0)
            roundtrip((ds_schema_id)id);
    }
    return 0;
}
