/* codec.c: the codec object, framing, writer-schema resolution, and the
 * pre-scan that makes decoding safe on hostile input.
 *
 * Why a pre-scan: avro-c trusts lengths and counts. A corrupt varint that
 * claims a 2^40-byte string makes it malloc 2^40 bytes; a block count of
 * 2^60 nulls loops forever appending. So before avro-c sees a body, the
 * writer schema tree walks it once and checks every length and count
 * against the bytes that remain, union and enum indexes, int ranges,
 * booleans, nesting depth and UTF-8, and that the record ends exactly at
 * the end of the message. Only then does avro_value_read() run.
 *
 * Why a bridge schema: avro-c 1.11's resolver rejects a reader field the
 * writer lacks ("Reader field x doesn't appear in writer"; its resolved
 * reader says "NIY: Default values"). For such writers the codec resolves
 * into a copy of the reader schema without those fields, then copies that
 * value into the reader value and fills the missing fields from the
 * defaults in the reader schema JSON. */
#include "codec_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DS__MAX_VALUE_DEPTH 64

typedef struct ds__reader {
    ds__schema *tree;
    avro_schema_t schema;
    avro_value_iface_t *iface;
    uint64_t fp;
    char *pcf;
    int32_t cid;
} ds__reader;

typedef struct ds__writer {
    ds_schema_id reader;
    uint64_t fp;
    int32_t cid;
    ds__schema *tree;                 /* drives the pre-scan */
    avro_schema_t wschema;
    avro_schema_t bridge_schema;      /* NULL when no reader field is missing */
    avro_value_iface_t *bridge_iface;
    avro_value_t bridge;              /* scratch value of bridge_schema */
    avro_value_iface_t *resolver;
    avro_value_t resolved;
} ds__writer;

struct ds_codec {
    ds__reader r[DS_SCHEMA__COUNT];
    ds__writer **w;
    size_t n_w;
    avro_reader_t reader;
    avro_writer_t writer;
    size_t max_message;
};

static const char *const schema_names[DS_SCHEMA__COUNT] = {
    "ArticleEvent", "DealEvent", "DealMention", "CanonicalDeal", "StateRecord",
};

static int cfail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int cfail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

const char *ds_codec_strerror(int err)
{
    switch (err) {
    case DS_CODEC_OK: return "ok";
    case DS_CODEC_EEMPTY: return "empty";
    case DS_CODEC_EMAGIC: return "bad-magic";
    case DS_CODEC_ETRUNCATED_HEADER: return "truncated-header";
    case DS_CODEC_EFINGERPRINT: return "unknown-fingerprint";
    case DS_CODEC_ESCHEMA_ID: return "unknown-schema-id";
    case DS_CODEC_ECORRUPT: return "corrupt";
    case DS_CODEC_ETRAILING: return "trailing-bytes";
    case DS_CODEC_EUTF8: return "bad-utf8";
    case DS_CODEC_ETOOBIG: return "too-big";
    case DS_CODEC_EJSON: return "bad-json";
    case DS_CODEC_ESCHEMA: return "bad-schema";
    case DS_CODEC_EINVAL: return "invalid-argument";
    case DS_CODEC_ENOMEM: return "out-of-memory";
    default: return "unknown-error";
    }
}

/* ---- lifecycle ---------------------------------------------------------- */

static void writer_free(ds__writer *w)
{
    if (!w)
        return;
    if (w->resolved.iface)
        avro_value_decref(&w->resolved);
    if (w->resolver)
        avro_value_iface_decref(w->resolver);
    if (w->bridge.iface)
        avro_value_decref(&w->bridge);
    if (w->bridge_iface)
        avro_value_iface_decref(w->bridge_iface);
    if (w->bridge_schema)
        avro_schema_decref(w->bridge_schema);
    if (w->wschema)
        avro_schema_decref(w->wschema);
    ds__schema_free(w->tree);
    free(w);
}

static int schema_fingerprint(ds__schema *tree, uint64_t *fp, char **pcf)
{
    ds_buf b;
    ds_buf_init(&b);
    if (ds__pcf(tree, &b)) {
        ds_buf_free(&b);
        return DS_CODEC_ENOMEM;
    }
    *fp = ds_crc64_avro(b.data, b.len);
    if (pcf)
        *pcf = (char *)ds_buf_cstr(&b); /* ownership moves to *pcf */
    else
        ds_buf_free(&b);
    return 0;
}

ds_codec *ds_codec_new(char *err, size_t errlen)
{
    ds_codec *codec = calloc(1, sizeof *codec);
    if (!codec) {
        cfail(err, errlen, DS_CODEC_ENOMEM, "out of memory");
        return NULL;
    }
    codec->max_message = DS_CODEC_DEFAULT_MAX_MESSAGE;
    for (int id = 0; id < DS_SCHEMA__COUNT; id++) {
        ds__reader *r = &codec->r[id];
        const char *json = ds_schema_json[id];
        char why[256] = "";
        r->cid = -1;
        if (ds__schema_compile(json, &r->tree, why, sizeof why)) {
            cfail(err, errlen, DS_CODEC_ESCHEMA, "%s: %s", schema_names[id], why);
            goto err;
        }
        if (schema_fingerprint(r->tree, &r->fp, &r->pcf)) {
            cfail(err, errlen, DS_CODEC_ENOMEM, "out of memory");
            goto err;
        }
        if (avro_schema_from_json_length(json, strlen(json), &r->schema)) {
            r->schema = NULL;
            cfail(err, errlen, DS_CODEC_ESCHEMA, "%s: avro-c: %s", schema_names[id], avro_strerror());
            goto err;
        }
        if (!(r->iface = avro_generic_class_from_schema(r->schema))) {
            cfail(err, errlen, DS_CODEC_ESCHEMA, "%s: avro-c: %s", schema_names[id], avro_strerror());
            goto err;
        }
    }
    static const char empty[1];
    codec->reader = avro_reader_memory(empty, 0);
    codec->writer = avro_writer_memory(empty, 0);
    if (!codec->reader || !codec->writer) {
        cfail(err, errlen, DS_CODEC_ENOMEM, "out of memory");
        goto err;
    }
    /* data written before the last compatible schema changes */
    for (size_t h = 0; h < ds_schema_history_count; h++)
        if (ds_codec_add_writer(codec, ds_schema_history[h].id, ds_schema_history[h].json, -1, err, errlen))
            goto err;
    return codec;
err:
    ds_codec_destroy(codec);
    return NULL;
}

void ds_codec_destroy(ds_codec *codec)
{
    if (!codec)
        return;
    for (size_t i = 0; i < codec->n_w; i++)
        writer_free(codec->w[i]);
    free(codec->w);
    for (int id = 0; id < DS_SCHEMA__COUNT; id++) {
        ds__reader *r = &codec->r[id];
        if (r->iface)
            avro_value_iface_decref(r->iface);
        if (r->schema)
            avro_schema_decref(r->schema);
        free(r->pcf);
        ds__schema_free(r->tree);
    }
    if (codec->reader)
        avro_reader_free(codec->reader);
    if (codec->writer)
        avro_writer_free(codec->writer);
    free(codec);
}

static int valid_id(ds_schema_id id) { return (int)id >= 0 && id < DS_SCHEMA__COUNT; }

avro_schema_t ds_codec_schema(ds_codec *codec, ds_schema_id id)
{
    return valid_id(id) ? codec->r[id].schema : NULL;
}

uint64_t ds_codec_fingerprint(ds_codec *codec, ds_schema_id id)
{
    return valid_id(id) ? codec->r[id].fp : 0;
}

const char *ds_codec_pcf(ds_codec *codec, ds_schema_id id)
{
    return valid_id(id) ? codec->r[id].pcf : NULL;
}

void ds_codec_set_max_message(ds_codec *codec, size_t max) { codec->max_message = max; }
size_t ds_codec_max_message(const ds_codec *codec) { return codec->max_message; }

int ds_codec_set_confluent_id(ds_codec *codec, ds_schema_id id, int32_t confluent_id)
{
    if (!valid_id(id) || confluent_id < 0)
        return DS_CODEC_EINVAL;
    codec->r[id].cid = confluent_id;
    return 0;
}

int32_t ds_codec_confluent_id(ds_codec *codec, ds_schema_id id)
{
    return valid_id(id) ? codec->r[id].cid : -1;
}

int ds_codec_value_new(ds_codec *codec, ds_schema_id id, avro_value_t *out)
{
    if (!valid_id(id))
        return DS_CODEC_EINVAL;
    return avro_generic_value_new(codec->r[id].iface, out) ? DS_CODEC_ENOMEM : 0;
}

/* ---- writer schemas ------------------------------------------------------ */

static const char *short_name(const char *fullname)
{
    const char *dot = strrchr(fullname, '.');
    return dot ? dot + 1 : fullname;
}

/* The writer record a reader record resolves against: same full name, or
 * else the one record with the same short name (avro-c matches on that). */
static const ds__snode *writer_record(const ds__schema *w, const ds__snode *rn)
{
    const ds__snode *match = ds__schema_find(w, rn->fullname);
    if (match)
        return match->type == DS__RECORD ? match : NULL;
    for (size_t i = 0; i < w->n_nodes; i++) {
        const ds__snode *n = w->nodes[i];
        if (n->type == DS__RECORD && strcmp(short_name(n->fullname), short_name(rn->fullname)) == 0) {
            if (match)
                return NULL;
            match = n;
        }
    }
    return match;
}

/* Builds the reader schema minus the fields the writer lacks. *bridge is
 * NULL when nothing is missing. */
static int make_bridge(const ds__schema *rtree, const ds__schema *wtree, avro_schema_t *bridge,
                       char *err, size_t errlen)
{
    json_t *bj = json_deep_copy(rtree->json);
    ds__schema *btree = NULL;
    char *text = NULL;
    size_t removed = 0;
    int rc = DS_CODEC_ENOMEM;
    *bridge = NULL;
    if (!bj || (rc = ds__schema_compile_json(bj, &btree, err, errlen)))
        goto out;
    for (size_t i = 0; i < btree->n_nodes; i++) {
        const ds__snode *rn = btree->nodes[i];
        const ds__snode *wn;
        if (rn->type != DS__RECORD || !(wn = writer_record(wtree, rn)))
            continue;
        json_t *fields = json_object_get(rn->json, "fields");
        for (size_t f = rn->n; f-- > 0;) {
            int present = 0;
            for (size_t k = 0; k < wn->n && !present; k++)
                present = strcmp(wn->fields[k].name, rn->fields[f].name) == 0;
            if (present)
                continue;
            if (!rn->fields[f].def) {
                rc = cfail(err, errlen, DS_CODEC_ESCHEMA,
                           "reader field %s.%s is missing from the writer schema and has no default",
                           rn->fullname, rn->fields[f].name);
                goto out;
            }
            if (json_array_remove(fields, f))
                goto out;
            removed++;
        }
    }
    rc = 0;
    if (!removed)
        goto out;
    /* btree points into bj, whose field arrays just changed. */
    ds__schema_free(btree);
    btree = NULL;
    if (!(text = json_dumps(bj, JSON_COMPACT))) {
        rc = DS_CODEC_ENOMEM;
        goto out;
    }
    if (avro_schema_from_json_length(text, strlen(text), bridge)) {
        *bridge = NULL;
        rc = cfail(err, errlen, DS_CODEC_ESCHEMA, "bridge schema: avro-c: %s", avro_strerror());
    }
out:
    free(text);
    ds__schema_free(btree);
    json_decref(bj);
    return rc;
}

int ds_codec_add_writer(ds_codec *codec, ds_schema_id reader, const char *writer_json,
                        int32_t confluent_id, char *err, size_t errlen)
{
    if (!valid_id(reader) || !writer_json || confluent_id < -1)
        return cfail(err, errlen, DS_CODEC_EINVAL, "invalid argument");
    ds__reader *r = &codec->r[reader];
    ds__writer *w = calloc(1, sizeof *w);
    int rc = DS_CODEC_ENOMEM;
    if (!w)
        goto err;
    w->reader = reader;
    w->cid = confluent_id;
    if ((rc = ds__schema_compile(writer_json, &w->tree, err, errlen)))
        goto err;
    if ((rc = schema_fingerprint(w->tree, &w->fp, NULL)))
        goto err;
    if (avro_schema_from_json_length(writer_json, strlen(writer_json), &w->wschema)) {
        w->wschema = NULL;
        rc = cfail(err, errlen, DS_CODEC_ESCHEMA, "writer schema: avro-c: %s", avro_strerror());
        goto err;
    }
    if ((rc = make_bridge(r->tree, w->tree, &w->bridge_schema, err, errlen)))
        goto err;
    avro_schema_t target = r->schema;
    if (w->bridge_schema) {
        rc = DS_CODEC_ENOMEM;
        if (!(w->bridge_iface = avro_generic_class_from_schema(w->bridge_schema)) ||
            avro_generic_value_new(w->bridge_iface, &w->bridge))
            goto err;
        target = w->bridge_schema;
    }
    if (!(w->resolver = avro_resolved_writer_new(w->wschema, target))) {
        rc = cfail(err, errlen, DS_CODEC_ESCHEMA, "writer schema does not resolve into %s: %s",
                   schema_names[reader], avro_strerror());
        goto err;
    }
    if (avro_resolved_writer_new_value(w->resolver, &w->resolved)) {
        rc = DS_CODEC_ENOMEM;
        goto err;
    }
    ds__writer **ws = realloc(codec->w, (codec->n_w + 1) * sizeof *ws);
    if (!ws) {
        rc = DS_CODEC_ENOMEM;
        goto err;
    }
    codec->w = ws;
    codec->w[codec->n_w++] = w;
    w = NULL; /* now owned by codec */
    return 0;
err:
    if (rc == DS_CODEC_ENOMEM)
        cfail(err, errlen, rc, "out of memory");
    writer_free(w);
    return rc;
}

/* ---- encoding ------------------------------------------------------------- */

int ds_codec_frame_header(ds_codec *codec, ds_schema_id id, ds_framing framing,
                          unsigned char hdr[DS_FRAME_HEADER_MAX], size_t *hlen)
{
    if (!valid_id(id))
        return DS_CODEC_EINVAL;
    const ds__reader *r = &codec->r[id];
    if (framing == DS_FRAME_SINGLE_OBJECT) {
        hdr[0] = 0xc3;
        hdr[1] = 0x01;
        for (int i = 0; i < 8; i++)
            hdr[2 + i] = (unsigned char)(r->fp >> (8 * i));
        *hlen = 10;
    } else if (framing == DS_FRAME_CONFLUENT && r->cid >= 0) {
        uint32_t cid = (uint32_t)r->cid;
        hdr[0] = 0x00;
        for (int i = 0; i < 4; i++)
            hdr[1 + i] = (unsigned char)(cid >> (24 - 8 * i));
        *hlen = 5;
    } else {
        return DS_CODEC_EINVAL;
    }
    return 0;
}

int ds_codec_encode(ds_codec *codec, ds_schema_id id, avro_value_t *val, ds_framing framing,
                    ds_buf *out)
{
    if (!valid_id(id) || avro_value_get_schema(val) != codec->r[id].schema)
        return DS_CODEC_EINVAL;
    unsigned char hdr[DS_FRAME_HEADER_MAX];
    size_t hlen, size;
    if (ds_codec_frame_header(codec, id, framing, hdr, &hlen))
        return DS_CODEC_EINVAL;
    /* One pass: write into the room the buffer has (at least 256 bytes),
     * and only when that is too small (avro-c's memory writer fails with
     * ENOSPC) size the value and write again. avro_value_sizeof walks the
     * whole value, which cost as much as the write itself. */
    size_t room = out->cap > out->len + hlen + 1 ? out->cap - out->len - hlen - 1 : 0;
    if (room < 256) {
        room = 256;
        if (ds_buf_reserve(out, hlen + room))
            return DS_CODEC_ENOMEM;
    }
    char *dst = out->data + out->len;
    avro_writer_memory_set_dest(codec->writer, dst + hlen, (int64_t)room);
    int wr = avro_value_write(codec->writer, val);
    if (wr == 0) {
        size = (size_t)avro_writer_tell(codec->writer);
    } else {
        if (wr != ENOSPC || avro_value_sizeof(val, &size))
            return DS_CODEC_ECORRUPT;
        if (size > SIZE_MAX - hlen - 1 || ds_buf_reserve(out, hlen + size))
            return DS_CODEC_ENOMEM;
        dst = out->data + out->len;
        avro_writer_memory_set_dest(codec->writer, dst + hlen, (int64_t)size);
        if (avro_value_write(codec->writer, val))
            return DS_CODEC_ECORRUPT;
    }
    memcpy(dst, hdr, hlen);
    out->len += hlen + size;
    out->data[out->len] = '\0';
    return 0;
}

/* ---- the pre-scan --------------------------------------------------------- */

typedef struct {
    const unsigned char *p, *end;
    size_t zero_budget; /* elements of zero-byte item types still allowed */
    char *err;
    size_t errlen;
    int pathed; /* err already starts with a field path */
} scan_t;

static int sfail(scan_t *s, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int sfail(scan_t *s, int code, const char *fmt, ...)
{
    if (s->err && s->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->err, s->errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* Prefixes the message of a failure inside field name with its name, so
 * that nested fields read "value.currency: ...". */
static void name_field(scan_t *s, const char *name)
{
    if (!s->err || !s->errlen)
        return;
    size_t nl = strlen(name), ml = strlen(s->err);
    const char *sep = s->pathed ? "." : ": ";
    size_t sl = strlen(sep);
    if (nl + sl + ml + 1 > s->errlen) /* keep the end of the message, not the path */
        return;
    memmove(s->err + nl + sl, s->err, ml + 1);
    memcpy(s->err, name, nl);
    memcpy(s->err + nl, sep, sl);
    s->pathed = 1;
}

static int scan_long(scan_t *s, int64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (s->p == s->end)
            return sfail(s, DS_CODEC_ECORRUPT, "truncated body (in a varint)");
        unsigned b = *s->p++;
        if (shift == 63 && b > 1)
            return sfail(s, DS_CODEC_ECORRUPT, "varint overflows 64 bits");
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = (int64_t)((v >> 1) ^ (0 - (v & 1)));
            return 0;
        }
    }
    return sfail(s, DS_CODEC_ECORRUPT, "varint longer than 10 bytes");
}

static size_t remaining(const scan_t *s) { return (size_t)(s->end - s->p); }

static int scan_length(scan_t *s, const char *what, size_t *len)
{
    int64_t l = 0;
    int rc = scan_long(s, &l);
    if (rc)
        return rc;
    if (l < 0)
        return sfail(s, DS_CODEC_ECORRUPT, "negative %s length %lld", what, (long long)l);
    if ((uint64_t)l > remaining(s))
        return sfail(s, DS_CODEC_ECORRUPT, "truncated body: %s length %lld exceeds the %zu bytes left", what, (long long)l,
                     remaining(s));
    *len = (size_t)l;
    return 0;
}

static int scan_value(scan_t *s, const ds__snode *n, int depth);

/* Arrays and maps: blocks of count items, a negative count followed by
 * the block's byte size, ended by a zero count. */
static int scan_blocks(scan_t *s, const ds__snode *n, int depth)
{
    int is_map = n->type == DS__MAP;
    size_t item_min = (size_t)n->items->min_size + (is_map ? 1 : 0);
    for (;;) {
        int64_t count;
        int rc = scan_long(s, &count);
        if (rc)
            return rc;
        if (count == 0)
            return 0;
        const unsigned char *block_end = NULL;
        if (count < 0) {
            if (count == INT64_MIN)
                return sfail(s, DS_CODEC_ECORRUPT, "bad block count");
            count = -count;
            size_t bytes;
            if ((rc = scan_length(s, "block", &bytes)))
                return rc;
            block_end = s->p + bytes;
        }
        if (item_min > 0) {
            if ((uint64_t)count > remaining(s) / item_min)
                return sfail(s, DS_CODEC_ECORRUPT, "block of %lld items exceeds the %zu bytes left",
                             (long long)count, remaining(s));
        } else {
            if ((uint64_t)count > s->zero_budget)
                return sfail(s, DS_CODEC_ECORRUPT, "block of %lld empty items is too many",
                             (long long)count);
            s->zero_budget -= (size_t)count;
        }
        for (int64_t i = 0; i < count; i++) {
            if (is_map) {
                size_t klen;
                if ((rc = scan_length(s, "map key", &klen)))
                    return rc;
                if (!ds__utf8_valid((const char *)s->p, klen))
                    return sfail(s, DS_CODEC_EUTF8, "map key is not valid UTF-8 (or contains NUL)");
                s->p += klen;
            }
            if ((rc = scan_value(s, n->items, depth + 1)))
                return rc;
        }
        if (block_end && s->p != block_end)
            return sfail(s, DS_CODEC_ECORRUPT, "block size does not match its items");
    }
}

static int scan_value(scan_t *s, const ds__snode *n, int depth)
{
    int rc = 0;
    int64_t l;
    size_t len;
    if (depth > DS__MAX_VALUE_DEPTH)
        return sfail(s, DS_CODEC_ECORRUPT, "value nested too deeply");
    switch (n->type) {
    case DS__NULL:
        return 0;
    case DS__BOOLEAN:
        if (s->p == s->end)
            return sfail(s, DS_CODEC_ECORRUPT, "truncated body (in a boolean)");
        if (*s->p > 1)
            return sfail(s, DS_CODEC_ECORRUPT, "boolean byte 0x%02x", *s->p);
        s->p++;
        return 0;
    case DS__INT:
        if ((rc = scan_long(s, &l)))
            return rc;
        if (l < INT32_MIN || l > INT32_MAX)
            return sfail(s, DS_CODEC_ECORRUPT, "int out of range: %lld", (long long)l);
        return 0;
    case DS__LONG:
        return scan_long(s, &l);
    case DS__FLOAT:
    case DS__DOUBLE:
    case DS__FIXED: {
        size_t need = n->type == DS__FLOAT ? 4 : n->type == DS__DOUBLE ? 8 : n->fixed_size;
        if (remaining(s) < need)
            return sfail(s, DS_CODEC_ECORRUPT, "truncated body (in a %s)",
                         n->type == DS__FIXED ? "fixed" : "floating-point number");
        s->p += need;
        return 0;
    }
    case DS__BYTES:
        if ((rc = scan_length(s, "bytes", &len)))
            return rc;
        if (n->logical == DS__LT_DECIMAL) {
            int64_t unscaled;
            if (ds__decimal_from_be(s->p, len, &unscaled))
                return sfail(s, DS_CODEC_ECORRUPT, "decimal of %zu bytes does not fit 64 bits", len);
        }
        s->p += len;
        return 0;
    case DS__STRING:
        if ((rc = scan_length(s, "string", &len)))
            return rc;
        if (!ds__utf8_valid((const char *)s->p, len))
            return sfail(s, DS_CODEC_EUTF8, "string is not valid UTF-8 (or contains NUL)");
        s->p += len;
        return 0;
    case DS__ENUM:
        if ((rc = scan_long(s, &l)))
            return rc;
        if (l < 0 || (uint64_t)l >= n->n)
            return sfail(s, DS_CODEC_ECORRUPT, "enum %s index %lld out of range", n->fullname, (long long)l);
        return 0;
    case DS__UNION:
        if ((rc = scan_long(s, &l)))
            return rc;
        if (l < 0 || (uint64_t)l >= n->n)
            return sfail(s, DS_CODEC_ECORRUPT, "union branch %lld out of range", (long long)l);
        return scan_value(s, n->branches[l], depth + 1);
    case DS__RECORD:
        for (size_t i = 0; i < n->n && !rc; i++)
            if ((rc = scan_value(s, n->fields[i].type, depth + 1)))
                name_field(s, n->fields[i].name);
        return rc;
    case DS__ARRAY:
    case DS__MAP:
        return scan_blocks(s, n, depth);
    }
    return sfail(s, DS_CODEC_ECORRUPT, "unknown schema node");
}

/* ---- decoding ------------------------------------------------------------- */

static ds__writer *find_writer(ds_codec *codec, ds_schema_id id, int by_fp, uint64_t fp, int32_t cid)
{
    for (size_t i = 0; i < codec->n_w; i++) {
        ds__writer *w = codec->w[i];
        if (w->reader == id && (by_fp ? w->fp == fp : (w->cid >= 0 && w->cid == cid)))
            return w;
    }
    return NULL;
}

/* Names the schema a fingerprint or id belongs to, for the message. */
static const char *other_schema(ds_codec *codec, int by_fp, uint64_t fp, int32_t cid)
{
    for (int id = 0; id < DS_SCHEMA__COUNT; id++)
        if (by_fp ? codec->r[id].fp == fp : codec->r[id].cid >= 0 && codec->r[id].cid == cid)
            return schema_names[id];
    /* an earlier version of another schema */
    for (size_t i = 0; i < codec->n_w; i++) {
        const ds__writer *w = codec->w[i];
        if (by_fp ? w->fp == fp : w->cid >= 0 && w->cid == cid)
            return schema_names[w->reader];
    }
    return NULL;
}

int ds_codec_decode(ds_codec *codec, ds_schema_id id, const void *data, size_t len,
                    avro_value_t *out, char *err, size_t errlen)
{
    if (!valid_id(id) || (!data && len) || avro_value_get_schema(out) != codec->r[id].schema)
        return cfail(err, errlen, DS_CODEC_EINVAL, "invalid argument");
    const ds__reader *r = &codec->r[id];
    const unsigned char *b = data;
    ds__writer *w = NULL;
    size_t hlen;
    if (len == 0)
        return cfail(err, errlen, DS_CODEC_EEMPTY, "empty message");
    if (len > codec->max_message)
        return cfail(err, errlen, DS_CODEC_ETOOBIG, "message of %zu bytes exceeds the maximum of %zu",
                     len, codec->max_message);
    if (b[0] == 0xc3) {
        if (len >= 2 && b[1] != 0x01)
            return cfail(err, errlen, DS_CODEC_EMAGIC, "bad magic c3 %02x (single-object needs c3 01)", b[1]);
        if (len < 10)
            return cfail(err, errlen, DS_CODEC_ETRUNCATED_HEADER,
                         "single-object header needs 10 bytes, message has %zu", len);
        uint64_t fp = 0;
        for (int i = 0; i < 8; i++)
            fp |= (uint64_t)b[2 + i] << (8 * i);
        if (fp != r->fp && !(w = find_writer(codec, id, 1, fp, 0))) {
            const char *other = other_schema(codec, 1, fp, 0);
            return cfail(err, errlen, DS_CODEC_EFINGERPRINT, "unknown fingerprint %016llx for %s%s%s",
                         (unsigned long long)fp, schema_names[id], other ? ": it is " : "",
                         other ? other : "");
        }
        hlen = 10;
    } else if (b[0] == 0x00) {
        if (len < 5)
            return cfail(err, errlen, DS_CODEC_ETRUNCATED_HEADER,
                         "Confluent header needs 5 bytes, message has %zu", len);
        int32_t cid = (int32_t)(((uint32_t)b[1] << 24) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 8) | b[4]);
        if (!(r->cid >= 0 && cid == r->cid) && !(w = find_writer(codec, id, 0, 0, cid))) {
            const char *other = other_schema(codec, 0, 0, cid);
            return cfail(err, errlen, DS_CODEC_ESCHEMA_ID, "unknown schema id %ld for %s%s%s", (long)cid,
                         schema_names[id], other ? ": it is " : "", other ? other : "");
        }
        hlen = 5;
    } else {
        return cfail(err, errlen, DS_CODEC_EMAGIC, "bad magic byte %02x (expected c3 01 or 00)", b[0]);
    }

    scan_t s = {b + hlen, b + len, codec->max_message, err, errlen};
    int rc = scan_value(&s, w ? w->tree->root : r->tree->root, 0);
    if (rc)
        return rc;
    if (s.p != s.end)
        return cfail(err, errlen, DS_CODEC_ETRAILING, "%zu bytes left after the record", remaining(&s));

    avro_reader_memory_set_source(codec->reader, (const char *)b + hlen, (int64_t)(len - hlen));
    if (!w) {
        rc = avro_value_read(codec->reader, out);
    } else if (!w->bridge_schema) {
        avro_resolved_writer_set_dest(&w->resolved, out);
        rc = avro_value_read(codec->reader, &w->resolved);
        avro_resolved_writer_clear_dest(&w->resolved);
    } else {
        avro_resolved_writer_set_dest(&w->resolved, &w->bridge);
        rc = avro_value_read(codec->reader, &w->resolved);
        avro_resolved_writer_clear_dest(&w->resolved);
        if (!rc && !(rc = avro_value_reset(out)))
            return ds__copy_with_defaults(r->tree->root, &w->bridge, out, err, errlen);
    }
    if (rc)
        return cfail(err, errlen, rc == ENOMEM ? DS_CODEC_ENOMEM : DS_CODEC_ECORRUPT, "avro-c: %s",
                     avro_strerror());
    return 0;
}

/* ---- JSON ------------------------------------------------------------------ */

json_t *ds_codec_to_json(ds_codec *codec, ds_schema_id id, avro_value_t *val)
{
    if (!valid_id(id) || avro_value_get_schema(val) != codec->r[id].schema)
        return NULL;
    return ds__to_json(codec->r[id].tree->root, val);
}

int ds_codec_from_json(ds_codec *codec, ds_schema_id id, json_t *json, avro_value_t *out, char *err,
                       size_t errlen)
{
    if (!valid_id(id) || !json || avro_value_get_schema(out) != codec->r[id].schema)
        return cfail(err, errlen, DS_CODEC_EINVAL, "invalid argument");
    return ds__from_json(codec->r[id].tree->root, json, out, err, errlen);
}
