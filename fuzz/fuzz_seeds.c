/* fuzz_seeds: writes the seed corpora of the codec fuzz targets.
 *
 *   fuzz_seeds OUTDIR
 *
 * Reads tests/data/<Schema>.json for every schema, converts it with
 * ds_codec_from_json and writes into OUTDIR:
 *   decode_single/<Schema>.bin     single-object encoding (C3 01 fp body)
 *   decode_confluent/<Schema>.bin  selector byte + Avro body
 *   jsonl/<Schema>.jsonl           the record as one JSON line
 * plus a v1 ArticleEvent (the registered older writer) in both decode forms,
 * the records again with extreme times (<Schema>.time-N: timestamps of
 * INT64_MIN + 1, INT64_MAX and -185542587100800000, dates of INT32_MAX and
 * INT32_MIN + 1, the edges of years 1 and 9999) in all three forms, and
 * tests/data/deals.jsonl in jsonl/. The directories must exist. */
#include <stdint.h>
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

/* The time fields of each schema's sample, as "field" or "record.field",
 * and whether each is a date (int days) or a timestamp (long ms). */
typedef struct time_field {
    ds_schema_id id;
    const char *path;
    int is_date;
} time_field;

static const time_field time_fields[] = {
    {DS_SCHEMA_ARTICLE, "published", 0},          {DS_SCHEMA_DEAL_EVENT, "reported", 0},
    {DS_SCHEMA_DEAL_EVENT, "signing_date", 1},    {DS_SCHEMA_MENTION, "source.published", 0},
    {DS_SCHEMA_MENTION, "signing_date", 1},       {DS_SCHEMA_MENTION, "announce_date", 1},
    {DS_SCHEMA_CANONICAL, "updated", 0},          {DS_SCHEMA_CANONICAL, "signing_date", 1},
};

/* Sets path of rec to v (v is consumed). */
static void set_path(json_t *rec, const char *path, json_t *v)
{
    const char *dot = strchr(path, '.');
    if (dot) {
        char head[64];
        snprintf(head, sizeof head, "%.*s", (int)(dot - path), path);
        rec = json_object_get(rec, head);
        path = dot + 1;
    }
    if (json_is_object(rec))
        json_object_set_new(rec, path, v);
    else
        json_decref(v);
}

/* Writes the sample j of schema id with each time field at each extreme,
 * in the three seed forms. Returns 0, or 1 when a file cannot be written. */
static int put_extreme_times(ds_codec *codec, const char *dir, ds_schema_id id, json_t *j)
{
    static const json_int_t ms[] = {INT64_MIN + 1, INT64_MAX, -185542587100800000LL, DS_MIN_MS - 1, DS_MAX_MS + 1,
                                    DS_MIN_MS, DS_MAX_MS};
    static const json_int_t days[] = {INT32_MAX, INT32_MIN + 1, DS_MIN_DAYS - 1, DS_MAX_DAYS + 1, DS_MIN_DAYS,
                                      DS_MAX_DAYS};
    int rc = 0, k = 0;
    char err[512], file[256];
    for (size_t f = 0; f < sizeof time_fields / sizeof time_fields[0]; f++) {
        if (time_fields[f].id != id)
            continue;
        const json_int_t *vals = time_fields[f].is_date ? days : ms;
        size_t n = time_fields[f].is_date ? sizeof days / sizeof days[0] : sizeof ms / sizeof ms[0];
        for (size_t i = 0; i < n; i++, k++) {
            json_t *c = json_deep_copy(j);
            set_path(c, time_fields[f].path, json_integer(vals[i]));
            char *line = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER);
            snprintf(file, sizeof file, "%s.time-%d.jsonl", names[id], k);
            if (!line || put(dir, "jsonl", file, line, strlen(line)))
                rc = 1;
            free(line);
            avro_value_t v;
            if (ds_codec_value_new(codec, id, &v) == 0) {
                snprintf(file, sizeof file, "%s.time-%d", names[id], k);
                if (ds_codec_from_json(codec, id, c, &v, err, sizeof err) == 0 &&
                    put_encodings(codec, dir, id, &v, id, file))
                    rc = 1;
                avro_value_decref(&v);
            }
            json_decref(c);
        }
    }
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
        } else if (put_encodings(codec, dir, (ds_schema_id)id, &v, id, names[id]) ||
                   put_extreme_times(codec, dir, (ds_schema_id)id, j)) {
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
