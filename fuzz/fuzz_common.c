#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"


ds_schema_id ds_fuzz_reader_of(int w)
{
    return w < DS_SCHEMA__COUNT ? (ds_schema_id)w : DS_SCHEMA_ARTICLE;
}

ds_codec *ds_fuzz_codec(unsigned long long *v1_fp)
{
    char err[512];
    ds_codec *codec = ds_codec_new(err, sizeof err);
    if (!codec) {
        fprintf(stderr, "fuzz: ds_codec_new: %s\n", err);
        abort();
    }
    for (int id = 0; id < DS_SCHEMA__COUNT; id++)
        if (ds_codec_set_confluent_id(codec, (ds_schema_id)id, DS_FUZZ_CID_BASE + id)) {
            fprintf(stderr, "fuzz: ds_codec_set_confluent_id failed\n");
            abort();
        }
    size_t len;
    char *v1 = ds_read_file(DS_SOURCE_DIR "/tests/data/ArticleEvent.v1.avsc", &len);
    if (!v1) {
        fprintf(stderr, "fuzz: cannot read %s\n", DS_SOURCE_DIR "/tests/data/ArticleEvent.v1.avsc");
        abort();
    }
    if (ds_codec_add_writer(codec, DS_SCHEMA_ARTICLE, v1, DS_FUZZ_CID_V1, err, sizeof err)) {
        fprintf(stderr, "fuzz: ds_codec_add_writer: %s\n", err);
        abort();
    }
    if (v1_fp) {
        ds_buf pcf = {0};
        if (ds_schema_pcf(v1, &pcf, err, sizeof err)) {
            fprintf(stderr, "fuzz: ds_schema_pcf: %s\n", err);
            abort();
        }
        *v1_fp = ds_crc64_avro(pcf.data, pcf.len);
        ds_buf_free(&pcf);
    }
    free(v1);
    return codec;
}

ds_fuzz_values ds_fuzz_v;

static void values_cleanup(void)
{
    for (int id = 0; id < DS_SCHEMA__COUNT; id++) {
        avro_value_decref(&ds_fuzz_v.vals[id]);
        avro_value_decref(&ds_fuzz_v.again[id]);
    }
    ds_buf_free(&ds_fuzz_v.out);
    ds_codec_destroy(ds_fuzz_v.codec);
}

void ds_fuzz_values_init(void)
{
    ds_fuzz_v.codec = ds_fuzz_codec(NULL);
    for (int id = 0; id < DS_SCHEMA__COUNT; id++)
        if (ds_codec_value_new(ds_fuzz_v.codec, (ds_schema_id)id, &ds_fuzz_v.vals[id]) ||
            ds_codec_value_new(ds_fuzz_v.codec, (ds_schema_id)id, &ds_fuzz_v.again[id]))
            abort();
    ds_buf_init(&ds_fuzz_v.out);
    atexit(values_cleanup);
}

void ds_fuzz_roundtrip(ds_schema_id id, ds_framing framing)
{
    char err[512];
    ds_codec *codec = ds_fuzz_v.codec;
    json_t *j = ds_codec_to_json(codec, id, &ds_fuzz_v.vals[id]);
    if (!j)
        return; /* documented: a decimal beyond int64 has no JSON form */
    int rc = ds_codec_from_json(codec, id, j, &ds_fuzz_v.again[id], err, sizeof err);
    if (rc) {
        char *s = json_dumps(j, JSON_COMPACT);
        fprintf(stderr, "fuzz: schema %d: decoded value does not read back from its JSON: %s\n%s\n", (int)id,
                err, s ? s : "?");
        abort();
    }
    json_decref(j);
    ds_buf_reset(&ds_fuzz_v.out);
    if (ds_codec_encode(codec, id, &ds_fuzz_v.again[id], framing, &ds_fuzz_v.out)) {
        fprintf(stderr, "fuzz: schema %d: decoded value does not encode\n", (int)id);
        abort();
    }
}
