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

static char path[256];

static void cleanup(void)
{
    unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    ds_fuzz_values_init();
    /* /dev/shm keeps the per-input file write off the disk. */
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(path, sizeof path, "%s/ds-fuzz-jsonl-%ld.jsonl", dir, (long)getpid());
    atexit(cleanup);
    return 0;
}

static void convert(ds_schema_id id, json_t *rec)
{
    char err[512];
    int rc = ds_codec_from_json(ds_fuzz_v.codec, id, rec, &ds_fuzz_v.vals[id], err, sizeof err);
    if (rc != 0 && rc != DS_CODEC_EJSON && rc != DS_CODEC_ENOMEM) {
        fprintf(stderr, "fuzz_jsonl: from_json returned %d (%s)\n", rc, err);
        abort();
    }
    if (rc)
        return;
    ds_buf_reset(&ds_fuzz_v.out);
    if (ds_codec_encode(ds_fuzz_v.codec, id, &ds_fuzz_v.vals[id], DS_FRAME_SINGLE_OBJECT, &ds_fuzz_v.out)) {
        fprintf(stderr, "fuzz_jsonl: schema %d: a value read from JSON does not encode\n", (int)id);
        abort();
    }
    rc = ds_codec_decode(ds_fuzz_v.codec, id, ds_fuzz_v.out.data, ds_fuzz_v.out.len, &ds_fuzz_v.again[id], err, sizeof err);
    if (rc) {
        char *s = json_dumps(rec, JSON_COMPACT);
        fprintf(stderr, "fuzz_jsonl: schema %d: own encoding does not decode: %s\n%s\n", (int)id, err,
                s ? s : "?");
        abort();
    }
    json_t *j = ds_codec_to_json(ds_fuzz_v.codec, id, &ds_fuzz_v.again[id]);
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
