/* fuzz_jsonl: the bytes are a file of JSON lines. They are written to a
 * temporary file and read with ds_input_read (jsonl, then as a text article),
 * and every record goes through ds_codec_from_json for ArticleEvent and
 * DealEvent. A record that converts is encoded, decoded and turned back into
 * JSON, which must all succeed. Seeds from fuzz_seeds: the tests/data JSON records
 * (one line each) and tests/data/deals.jsonl. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "input.h"

static ds_codec *codec;
static avro_value_t vals[DS_SCHEMA__COUNT], back[DS_SCHEMA__COUNT];
static ds_buf enc;
static char path[256];

/* Releases everything at exit: LeakSanitizer cannot follow avro-c's
 * pointers into string buffers (it reports a value that is still alive as
 * leaked), so nothing may be alive when the process ends. */
static void cleanup(void)
{
    for (int id = 0; id < DS_SCHEMA__COUNT; id++) {
        avro_value_decref(&vals[id]);
        avro_value_decref(&back[id]);
    }
    ds_buf_free(&enc);
    ds_codec_destroy(codec);
    unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    codec = ds_fuzz_codec(NULL);
    for (int id = 0; id < DS_SCHEMA__COUNT; id++)
        if (ds_codec_value_new(codec, (ds_schema_id)id, &vals[id]) ||
            ds_codec_value_new(codec, (ds_schema_id)id, &back[id]))
            abort();
    ds_buf_init(&enc);
    /* /dev/shm keeps the per-input file write off the disk. */
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(path, sizeof path, "%s/ds-fuzz-jsonl-%ld.jsonl", dir, (long)getpid());
    atexit(cleanup);
    return 0;
}

static void convert(ds_schema_id id, json_t *rec)
{
    char err[512];
    int rc = ds_codec_from_json(codec, id, rec, &vals[id], err, sizeof err);
    if (rc != 0 && rc != DS_CODEC_EJSON && rc != DS_CODEC_ENOMEM) {
        fprintf(stderr, "fuzz_jsonl: from_json returned %d (%s)\n", rc, err);
        abort();
    }
    if (rc)
        return;
    ds_buf_reset(&enc);
    if (ds_codec_encode(codec, id, &vals[id], DS_FRAME_SINGLE_OBJECT, &enc)) {
        fprintf(stderr, "fuzz_jsonl: schema %d: a value read from JSON does not encode\n", (int)id);
        abort();
    }
    rc = ds_codec_decode(codec, id, enc.data, enc.len, &back[id], err, sizeof err);
    if (rc) {
        char *s = json_dumps(rec, JSON_COMPACT);
        fprintf(stderr, "fuzz_jsonl: schema %d: own encoding does not decode: %s\n%s\n", (int)id, err,
                s ? s : "?");
        abort();
    }
    json_t *j = ds_codec_to_json(codec, id, &back[id]);
    json_decref(j);
}

static int on_record(void *opaque, json_t *rec, const char *where)
{
    (void)opaque;
    (void)where;
    convert(DS_SCHEMA_ARTICLE, rec);
    convert(DS_SCHEMA_DEAL_EVENT, rec);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
    char err[512];
    size_t nbad = 0;
    if (ds_input_read(path, "jsonl", 0, on_record, NULL, NULL, &nbad, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_jsonl: %s\n", err);
        abort();
    }
    if (ds_input_read(path, "text", 1, on_record, NULL, NULL, &nbad, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_jsonl: %s\n", err);
        abort();
    }
    return 0;
}
