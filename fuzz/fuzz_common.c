#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *ds_fuzz_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (cap - n < 4096) {
            char *p = realloc(buf, cap ? cap * 2 : 8192);
            if (!p) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
            cap = cap ? cap * 2 : 8192;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        if (r == 0)
            break;
        n += r;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

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
    char *v1 = ds_fuzz_slurp(DS_SOURCE_DIR "/tests/data/ArticleEvent.v1.avsc", &len);
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
