/* fuzz_seeds: writes the seed corpora of the codec fuzz targets.
 *
 *   fuzz_seeds OUTDIR
 *
 * Reads tests/data/<Schema>.json for every schema, converts it with
 * ds_codec_from_json and writes into OUTDIR:
 *   decode_single/<Schema>.bin     single-object encoding (C3 01 fp body)
 *   decode_confluent/<Schema>.bin  selector byte + Avro body
 *   jsonl/<Schema>.jsonl           the record as one JSON line
 * plus a v1 ArticleEvent (the registered older writer) in both decode forms
 * and tests/data/deals.jsonl in jsonl/. The directories must exist. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "util.h"

static const char *const names[DS_SCHEMA__COUNT] = {"ArticleEvent", "DealEvent", "DealMention", "CanonicalDeal",
                                                    "StateRecord"};

static int put(const char *dir, const char *sub, const char *name, const void *p, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
        perror(path);
        return -1;
    }
    return 0;
}

/* Writes val (of reader schema id) framed as single-object under fp, and as
 * selector + body for the Confluent target. */
static int put_encodings(ds_codec *codec, const char *dir, ds_schema_id id, avro_value_t *val, int selector,
                         const char *name)
{
    ds_buf b;
    ds_buf_init(&b);
    if (ds_codec_encode(codec, id, val, DS_FRAME_SINGLE_OBJECT, &b))
        return -1;
    char file[256];
    snprintf(file, sizeof file, "%s.bin", name);
    int rc = put(dir, "decode_single", file, b.data, b.len);
    b.data[9] = (char)selector; /* body follows the 10-byte header */
    rc |= put(dir, "decode_confluent", file, b.data + 9, b.len - 9);
    ds_buf_free(&b);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_seeds OUTDIR\n");
        return 2;
    }
    const char *dir = argv[1];
    ds_codec *codec = ds_fuzz_codec(NULL);
    char err[512], path[1024];
    int rc = 0;
    for (int id = 0; id < DS_SCHEMA__COUNT; id++) {
        snprintf(path, sizeof path, "%s/tests/data/%s.json", DS_SOURCE_DIR, names[id]);
        json_error_t je;
        json_t *j = json_load_file(path, 0, &je);
        if (!j) {
            fprintf(stderr, "fuzz_seeds: %s: %s\n", path, je.text);
            rc = 1;
            continue;
        }
        char *line = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        char file[256];
        snprintf(file, sizeof file, "%s.jsonl", names[id]);
        if (!line || put(dir, "jsonl", file, line, strlen(line)))
            rc = 1;
        free(line);
        avro_value_t v;
        if (ds_codec_value_new(codec, (ds_schema_id)id, &v))
            return 1;
        if (ds_codec_from_json(codec, (ds_schema_id)id, j, &v, err, sizeof err)) {
            fprintf(stderr, "fuzz_seeds: %s: %s\n", path, err);
            rc = 1;
        } else if (put_encodings(codec, dir, (ds_schema_id)id, &v, id, names[id])) {
            rc = 1;
        }
        /* The v1 ArticleEvent: encode the record under the v1 schema. */
        if (id == DS_SCHEMA_ARTICLE && !rc) {
            size_t len;
            char *v1 = ds_read_file(DS_SOURCE_DIR "/tests/data/ArticleEvent.v1.avsc", &len);
            avro_schema_t s1;
            if (!v1 || avro_schema_from_json_length(v1, len, &s1)) {
                fprintf(stderr, "fuzz_seeds: v1 schema: %s\n", avro_strerror());
                rc = 1;
            } else {
                /* A v1 value holding the v1 fields of the record, written
                 * through avro-c's own JSON-free path: copy field by field. */
                avro_value_iface_t *cls = avro_generic_class_from_schema(s1);
                avro_value_t w;
                avro_generic_value_new(cls, &w);
                size_t nf = 0;
                avro_value_get_size(&w, &nf);
                for (size_t i = 0; i < nf; i++) {
                    const char *fname;
                    avro_value_t dst, src;
                    avro_value_get_by_index(&w, i, &dst, &fname);
                    if (avro_value_get_by_name(&v, fname, &src, NULL) == 0)
                        avro_value_copy_fast(&dst, &src);
                }
                char body[65536];
                avro_writer_t wr = avro_writer_memory(body, sizeof body);
                if (avro_value_write(wr, &w)) {
                    fprintf(stderr, "fuzz_seeds: v1 value: %s\n", avro_strerror());
                    rc = 1;
                } else {
                    size_t blen = (size_t)avro_writer_tell(wr);
                    unsigned long long fp;
                    ds_codec *c2 = ds_fuzz_codec(&fp);
                    ds_codec_destroy(c2);
                    unsigned char *m = malloc(blen + 10);
                    m[0] = 0xc3;
                    m[1] = 0x01;
                    for (int k = 0; k < 8; k++)
                        m[2 + k] = (unsigned char)(fp >> (8 * k));
                    memcpy(m + 10, body, blen);
                    rc |= put(dir, "decode_single", "ArticleEvent.v1.bin", m, blen + 10);
                    m[9] = DS_SCHEMA__COUNT; /* the v1 selector */
                    rc |= put(dir, "decode_confluent", "ArticleEvent.v1.bin", m + 9, blen + 1);
                    free(m);
                }
                avro_writer_free(wr);
                avro_value_decref(&w);
                avro_value_iface_decref(cls);
                avro_schema_decref(s1);
            }
            free(v1);
        }
        avro_value_decref(&v);
        json_decref(j);
    }
    size_t len;
    char *deals = ds_read_file(DS_SOURCE_DIR "/tests/data/deals.jsonl", &len);
    if (!deals || put(dir, "jsonl", "deals.jsonl", deals, len))
        rc = 1;
    free(deals);
    ds_codec_destroy(codec);
    return rc;
}
