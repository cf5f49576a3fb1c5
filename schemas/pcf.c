/* pcf.c: Parsing Canonical Form and the CRC-64-AVRO fingerprint.
 *
 * Both follow the Avro specification ("Parsing Canonical Form for Schemas",
 * "Schema Fingerprints"). The canonical form is printed from the compiled
 * tree, which already applied PRIMITIVES and FULLNAMES; printing applies
 * STRIP (only name, type, fields, symbols, items, values, size), ORDER,
 * STRINGS (jansson already unescaped), INTEGERS and WHITESPACE. */
#include "codec_internal.h"

#include <stdlib.h>
#include <string.h>

#define CRC64_AVRO_EMPTY 0xc15d213aa4d7a795ULL

uint64_t ds_crc64_avro(const void *data, size_t len)
{
    /* The table is 2 KiB of arithmetic; building it per call keeps this
     * function free of shared state. It is called once per schema. */
    uint64_t table[256];
    for (unsigned i = 0; i < 256; i++) {
        uint64_t fp = i;
        for (int j = 0; j < 8; j++)
            fp = (fp >> 1) ^ (CRC64_AVRO_EMPTY & (0 - (fp & 1)));
        table[i] = fp;
    }
    const unsigned char *p = data;
    uint64_t fp = CRC64_AVRO_EMPTY;
    for (size_t i = 0; i < len; i++)
        fp = (fp >> 8) ^ table[(fp ^ p[i]) & 0xff];
    return fp;
}

static int put_string(ds_buf *out, const char *s)
{
    if (ds_buf_putc(out, '"'))
        return -1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int rc;
        if (*p == '"' || *p == '\\')
            rc = ds_buf_putc(out, '\\') || ds_buf_putc(out, (char)*p);
        else if (*p < 0x20)
            rc = ds_buf_printf(out, "\\u%04x", *p);
        else
            rc = ds_buf_putc(out, (char)*p);
        if (rc)
            return -1;
    }
    return ds_buf_putc(out, '"');
}

static const char *const type_names[] = {
    [DS__NULL] = "null", [DS__BOOLEAN] = "boolean", [DS__INT] = "int", [DS__LONG] = "long",
    [DS__FLOAT] = "float", [DS__DOUBLE] = "double", [DS__BYTES] = "bytes", [DS__STRING] = "string",
    [DS__RECORD] = "record", [DS__ENUM] = "enum", [DS__ARRAY] = "array", [DS__MAP] = "map",
    [DS__UNION] = "union", [DS__FIXED] = "fixed",
};

static int print(const ds__snode *n, unsigned char *seen, ds_buf *out)
{
    if (n->type <= DS__STRING)
        return put_string(out, type_names[n->type]);
    if (n->fullname) {
        if (seen[n->index])
            return put_string(out, n->fullname);
        seen[n->index] = 1;
        if (ds_buf_append_str(out, "{\"name\":") || put_string(out, n->fullname) ||
            ds_buf_printf(out, ",\"type\":\"%s\"", type_names[n->type]))
            return -1;
    }
    switch (n->type) {
    case DS__RECORD:
        if (ds_buf_append_str(out, ",\"fields\":["))
            return -1;
        for (size_t i = 0; i < n->n; i++) {
            if ((i && ds_buf_putc(out, ',')) || ds_buf_append_str(out, "{\"name\":") ||
                put_string(out, n->fields[i].name) || ds_buf_append_str(out, ",\"type\":") ||
                print(n->fields[i].type, seen, out) || ds_buf_putc(out, '}'))
                return -1;
        }
        return ds_buf_append_str(out, "]}");
    case DS__ENUM:
        if (ds_buf_append_str(out, ",\"symbols\":["))
            return -1;
        for (size_t i = 0; i < n->n; i++)
            if ((i && ds_buf_putc(out, ',')) || put_string(out, n->symbols[i]))
                return -1;
        return ds_buf_append_str(out, "]}");
    case DS__FIXED:
        return ds_buf_printf(out, ",\"size\":%zu}", n->fixed_size);
    case DS__ARRAY:
    case DS__MAP:
        if (ds_buf_printf(out, "{\"type\":\"%s\",\"%s\":", type_names[n->type],
                          n->type == DS__ARRAY ? "items" : "values") ||
            print(n->items, seen, out))
            return -1;
        return ds_buf_putc(out, '}');
    case DS__UNION:
        if (ds_buf_putc(out, '['))
            return -1;
        for (size_t i = 0; i < n->n; i++)
            if ((i && ds_buf_putc(out, ',')) || print(n->branches[i], seen, out))
                return -1;
        return ds_buf_putc(out, ']');
    default:
        return -1;
    }
}

int ds__pcf(const ds__schema *s, ds_buf *out)
{
    unsigned char *seen = calloc(s->n_nodes ? s->n_nodes : 1, 1);
    if (!seen)
        return DS_CODEC_ENOMEM;
    size_t len = out->len;
    int rc = print(s->root, seen, out);
    free(seen);
    if (rc) {
        out->len = len;
        return DS_CODEC_ENOMEM;
    }
    return 0;
}

int ds_schema_pcf(const char *schema_json, ds_buf *out, char *err, size_t errlen)
{
    ds__schema *s = NULL;
    int rc = ds__schema_compile(schema_json, &s, err, errlen);
    if (rc)
        return rc;
    rc = ds__pcf(s, out);
    ds__schema_free(s);
    return rc;
}
