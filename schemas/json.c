/* json.c: the one-to-one JSON form of records, schema defaults, and the
 * decimal, timestamp and date helpers.
 *
 * avro-c ignores logical types, so every function here walks the codec's
 * schema tree alongside the avro_value_t. */
#include "codec_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- decimals ---------------------------------------------------------- */

int ds__decimal_format(int64_t unscaled, int scale, char *buf, size_t buflen)
{
    char digits[32];
    uint64_t mag = unscaled < 0 ? (uint64_t)0 - (uint64_t)unscaled : (uint64_t)unscaled;
    int n = snprintf(digits, sizeof digits, "%0*llu", scale + 1, (unsigned long long)mag);
    if (n < 0)
        return -1;
    int ip = n - scale; /* digits before the point */
    int w = snprintf(buf, buflen, "%s%.*s%s%.*s", unscaled < 0 ? "-" : "", ip, digits,
                     scale ? "." : "", scale, digits + ip);
    return w < 0 || (size_t)w >= buflen ? -1 : 0;
}

/* Parses [-+]digits[.digits][e[-+]digits] exactly; rejects values needing
 * more than `scale` decimals (other than trailing zeros) or beyond int64. */
int ds__decimal_parse(const char *s, size_t len, int scale, int64_t *out, const char **why)
{
    const char *p = s, *end = s + len;
    int neg = 0;
    *why = "not a decimal number";
    if (p < end && (*p == '-' || *p == '+'))
        neg = *p++ == '-';
    const char *int_start = p;
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    size_t int_len = (size_t)(p - int_start);
    const char *frac_start = p;
    size_t frac_len = 0;
    if (p < end && *p == '.') {
        frac_start = ++p;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        frac_len = (size_t)(p - frac_start);
    }
    if (int_len + frac_len == 0)
        return -1;
    long exp = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0;
        if (p < end && (*p == '-' || *p == '+'))
            eneg = *p++ == '-';
        if (p == end)
            return -1;
        while (p < end && *p >= '0' && *p <= '9') {
            if (exp > 100000)
                return -1;
            exp = exp * 10 + (*p++ - '0');
        }
        if (eneg)
            exp = -exp;
    }
    if (p != end)
        return -1;
    /* digits D = int . frac; value = D * 10^(int_len + exp - ndigits);
     * unscaled = D * 10^k with k = exp - frac_len + scale. */
    size_t ndigits = int_len + frac_len;
    long k = exp - (long)frac_len + scale;
    size_t keep = ndigits;
    if (k < 0) {
        if ((size_t)(-k) > ndigits)
            keep = 0;
        else
            keep = ndigits - (size_t)(-k);
        for (size_t i = keep; i < ndigits; i++) {
            char d = i < int_len ? int_start[i] : frac_start[i - int_len];
            if (d != '0') {
                *why = "too many decimal places";
                return -1;
            }
        }
        k = 0;
    }
    uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    *why = "out of range";
    for (size_t i = 0; i < keep; i++) {
        unsigned d = (unsigned)((i < int_len ? int_start[i] : frac_start[i - int_len]) - '0');
        if (v > (limit - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    for (long i = 0; i < k; i++) {
        if (v > limit / 10)
            return -1;
        v *= 10;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int ds__decimal_from_be(const unsigned char *b, size_t size, int64_t *unscaled)
{
    if (size == 0)
        return -1;
    /* Longer than 8 bytes is fine when the extra bytes only extend the sign. */
    unsigned char ext = (b[0] & 0x80) ? 0xff : 0x00;
    size_t skip = 0;
    while (size - skip > 8) {
        if (b[skip] != ext)
            return -1;
        skip++;
    }
    if (skip && ((b[skip] ^ ext) & 0x80))
        return -1;
    uint64_t v = (b[skip] & 0x80) ? UINT64_MAX : 0;
    for (size_t i = skip; i < size; i++)
        v = (v << 8) | b[i];
    *unscaled = (int64_t)v;
    return 0;
}

int ds_decimal_get(avro_value_t *bytes_val, int64_t *unscaled)
{
    const void *buf;
    size_t size;
    if (avro_value_get_type(bytes_val) == AVRO_FIXED) {
        if (avro_value_get_fixed(bytes_val, &buf, &size))
            return DS_CODEC_EINVAL;
    } else if (avro_value_get_type(bytes_val) != AVRO_BYTES ||
               avro_value_get_bytes(bytes_val, &buf, &size)) {
        return DS_CODEC_EINVAL;
    }
    return ds__decimal_from_be(buf, size, unscaled) ? DS_CODEC_EINVAL : 0;
}

int ds_decimal_set(avro_value_t *bytes_val, int64_t unscaled)
{
    unsigned char b[8];
    size_t n = 8;
    uint64_t v = (uint64_t)unscaled;
    for (int i = 7; i >= 0; i--, v >>= 8)
        b[i] = (unsigned char)(v & 0xff);
    /* Drop leading bytes that only repeat the sign of the next one. */
    size_t skip = 0;
    while (n - skip > 1 && ((b[skip] == 0x00 && !(b[skip + 1] & 0x80)) ||
                            (b[skip] == 0xff && (b[skip + 1] & 0x80))))
        skip++;
    if (avro_value_get_type(bytes_val) != AVRO_BYTES)
        return DS_CODEC_EINVAL;
    return avro_value_set_bytes(bytes_val, b + skip, n - skip) ? DS_CODEC_ENOMEM : 0;
}

/* ---- dates and times --------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date, and back
 * (H. Hinnant's civil calendar algorithms). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dim[m - 1];
}

/* Writes "YYYY-MM-DD" for days; -1 outside years 0001-9999. */
static int format_date(int64_t days, char *buf, size_t buflen)
{
    int64_t y;
    unsigned m, d;
    if (!ds_days_valid(days))
        return -1;
    civil_from_days(days, &y, &m, &d);
    snprintf(buf, buflen, "%04lld-%02u-%02u", (long long)y, m, d);
    return 0;
}

/* Writes RFC 3339 for ms; -1 outside years 0001-9999 (checked first: the
 * day arithmetic would overflow near INT64_MIN). */
static int format_timestamp(int64_t ms, char *buf, size_t buflen)
{
    if (!ds_ms_valid(ms))
        return -1;
    int64_t days = floor_div(ms, 86400000);
    int64_t rem = ms - days * 86400000;
    char date[16];
    if (format_date(days, date, sizeof date))
        return -1;
    snprintf(buf, buflen, "%sT%02d:%02d:%02d.%03dZ", date, (int)(rem / 3600000),
             (int)(rem / 60000 % 60), (int)(rem / 1000 % 60), (int)(rem % 1000));
    return 0;
}

static int parse_digits(const char **p, const char *end, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (*p >= end || **p < '0' || **p > '9')
            return -1;
        v = v * 10 + (**p - '0');
    }
    *out = v;
    return 0;
}

static int parse_date_part(const char **p, const char *end, int64_t *days)
{
    int y, m, d;
    if (parse_digits(p, end, 4, &y) || *p >= end || *(*p)++ != '-' ||
        parse_digits(p, end, 2, &m) || *p >= end || *(*p)++ != '-' ||
        parse_digits(p, end, 2, &d))
        return -1;
    if (y < 1 || m < 1 || m > 12 || d < 1 || (unsigned)d > days_in_month(y, (unsigned)m))
        return -1;
    *days = days_from_civil(y, (unsigned)m, (unsigned)d);
    return 0;
}

static int parse_date(const char *s, int32_t *out)
{
    const char *p = s, *end = s + strlen(s);
    int64_t days;
    if (parse_date_part(&p, end, &days) || p != end)
        return -1;
    *out = (int32_t)days;
    return 0;
}

/* RFC 3339: date "T" hh:mm:ss[.fraction] ("Z" | ("+"|"-") hh:mm). Digits
 * below the millisecond must be zero: the value is exact. */
static int parse_timestamp(const char *s, int64_t *out)
{
    const char *p = s, *end = s + strlen(s);
    int64_t days;
    int hh, mi, ss, ms = 0;
    if (parse_date_part(&p, end, &days) || p >= end || (*p != 'T' && *p != 't'))
        return -1;
    p++;
    if (parse_digits(&p, end, 2, &hh) || p >= end || *p++ != ':' || parse_digits(&p, end, 2, &mi) ||
        p >= end || *p++ != ':' || parse_digits(&p, end, 2, &ss))
        return -1;
    if (hh > 23 || mi > 59 || ss > 59)
        return -1;
    if (p < end && *p == '.') {
        p++;
        int nd = 0;
        for (; p < end && *p >= '0' && *p <= '9'; p++, nd++) {
            if (nd < 3)
                ms = ms * 10 + (*p - '0');
            else if (*p != '0')
                return -1;
        }
        if (nd == 0)
            return -1;
        for (; nd < 3; nd++)
            ms *= 10;
    }
    int64_t offset_min = 0;
    if (p < end && (*p == 'Z' || *p == 'z')) {
        p++;
    } else if (p < end && (*p == '+' || *p == '-')) {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (parse_digits(&p, end, 2, &oh) || p >= end || *p++ != ':' || parse_digits(&p, end, 2, &om) ||
            oh > 23 || om > 59)
            return -1;
        offset_min = sign * (oh * 60 + om);
    } else {
        return -1;
    }
    if (p != end)
        return -1;
    int64_t t = ((days * 24 + hh) * 60 + mi - offset_min) * 60000 + (int64_t)ss * 1000 + ms;
    if (!ds_ms_valid(t)) /* 0001-01-01T00:30:00+01:00 */
        return -1;
    *out = t;
    return 0;
}

/* ---- base64 -------------------------------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64_encode(const unsigned char *p, size_t len)
{
    char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        *o++ = b64[v >> 18];
        *o++ = b64[(v >> 12) & 63];
        *o++ = i + 1 < len ? b64[(v >> 6) & 63] : '=';
        *o++ = i + 2 < len ? b64[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

/* Decodes padded standard base64; returns the length or -1. */
static long base64_decode(const char *s, size_t len, unsigned char *out)
{
    if (len % 4)
        return -1;
    long n = 0;
    for (size_t i = 0; i < len; i += 4) {
        uint32_t v = 0;
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            char c = s[i + k];
            const char *pos = c ? strchr(b64, c) : NULL;
            if (c == '=' && i + 4 == len && k >= 2 && (k == 3 || s[i + 3] == '=')) {
                pad++;
                v <<= 6;
                continue;
            }
            if (!pos || pad)
                return -1;
            v = (v << 6) | (uint32_t)(pos - b64);
        }
        out[n++] = (unsigned char)(v >> 16);
        if (pad < 2)
            out[n++] = (unsigned char)(v >> 8);
        if (pad < 1)
            out[n++] = (unsigned char)v;
    }
    return n;
}

/* ---- avro -> JSON --------------------------------------------------------- */

static const char *branch_name(const ds__snode *n)
{
    static const char *const names[] = {"null", "boolean", "int", "long", "float", "double",
                                        "bytes", "string", "record", "enum", "array", "map",
                                        "union", "fixed"};
    return n->fullname ? n->fullname : names[n->type];
}

static json_t *real_to_json(double d)
{
    if (isnan(d))
        return json_string("NaN");
    if (isinf(d))
        return json_string(d > 0 ? "Infinity" : "-Infinity");
    return json_real(d);
}

/* Bytes or fixed as JSON: a decimal(p, scale) as its decimal string, other
 * bytes as base64. NULL when v does not hold what n says. */
static json_t *bytes_to_json(const ds__snode *n, avro_value_t *v)
{
    char buf[64];
    if (n->logical == DS__LT_DECIMAL && n->type == DS__BYTES) {
        int64_t unscaled;
        if (ds_decimal_get(v, &unscaled) || ds__decimal_format(unscaled, n->scale, buf, sizeof buf))
            return NULL;
        return json_string(buf);
    }
    const void *p;
    size_t size;
    if (n->type == DS__BYTES ? avro_value_get_bytes(v, &p, &size) : avro_value_get_fixed(v, &p, &size))
        return NULL;
    char *enc = base64_encode(p, size);
    json_t *j = enc ? json_string(enc) : NULL;
    free(enc);
    return j;
}

/* A record as a JSON object of its fields, in schema order. */
static json_t *record_to_json(const ds__snode *n, avro_value_t *v)
{
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    for (size_t i = 0; i < n->n; i++) {
        avro_value_t child;
        json_t *jc;
        if (avro_value_get_by_index(v, i, &child, NULL) || !(jc = ds__to_json(n->fields[i].type, &child)) ||
            json_object_set_new(obj, n->fields[i].name, jc)) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

/* An array as a JSON array, a map as a JSON object. */
static json_t *container_to_json(const ds__snode *n, avro_value_t *v)
{
    size_t size;
    json_t *out = n->type == DS__ARRAY ? json_array() : json_object();
    if (!out || avro_value_get_size(v, &size))
        goto err;
    for (size_t i = 0; i < size; i++) {
        avro_value_t child;
        const char *key = NULL;
        json_t *jc;
        if (avro_value_get_by_index(v, i, &child, &key) || !(jc = ds__to_json(n->items, &child)))
            goto err;
        if (n->type == DS__ARRAY ? json_array_append_new(out, jc) : json_object_set_new(out, key, jc))
            goto err;
    }
    return out;
err:
    json_decref(out);
    return NULL;
}

/* A union as Avro's JSON encoding: null as null, the branch's value bare
 * for ["null", T] unions, else {"branch name": value}. */
static json_t *union_to_json(const ds__snode *n, avro_value_t *v)
{
    int d;
    avro_value_t branch;
    if (avro_value_get_discriminant(v, &d) || d < 0 || (size_t)d >= n->n ||
        avro_value_get_current_branch(v, &branch))
        return NULL;
    const ds__snode *b = n->branches[d];
    json_t *jb = ds__to_json(b, &branch);
    if (!jb || b->type == DS__NULL || n->null_union >= 0)
        return jb;
    json_t *obj = json_object();
    if (!obj || json_object_set_new(obj, branch_name(b), jb)) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

json_t *ds__to_json(const ds__snode *n, avro_value_t *v)
{
    char buf[64];
    switch (n->type) {
    case DS__NULL:
        return json_null();
    case DS__BOOLEAN: {
        int b;
        return avro_value_get_boolean(v, &b) ? NULL : json_boolean(b);
    }
    case DS__INT: {
        int32_t i;
        if (avro_value_get_int(v, &i))
            return NULL;
        if (n->logical == DS__LT_DATE && format_date(i, buf, sizeof buf) == 0)
            return json_string(buf);
        return json_integer(i);
    }
    case DS__LONG: {
        int64_t l;
        if (avro_value_get_long(v, &l))
            return NULL;
        if (n->logical == DS__LT_TIMESTAMP_MILLIS && format_timestamp(l, buf, sizeof buf) == 0)
            return json_string(buf);
        return json_integer(l);
    }
    case DS__FLOAT: {
        float f;
        return avro_value_get_float(v, &f) ? NULL : real_to_json(f);
    }
    case DS__DOUBLE: {
        double d;
        return avro_value_get_double(v, &d) ? NULL : real_to_json(d);
    }
    case DS__STRING: {
        const char *s;
        size_t size;
        if (avro_value_get_string(v, &s, &size))
            return NULL;
        return json_stringn(s, size ? size - 1 : 0); /* avro-c counts the NUL */
    }
    case DS__BYTES:
    case DS__FIXED:
        return bytes_to_json(n, v);
    case DS__ENUM: {
        int e;
        if (avro_value_get_enum(v, &e) || e < 0 || (size_t)e >= n->n)
            return NULL;
        return json_string(n->symbols[e]);
    }
    case DS__RECORD:
        return record_to_json(n, v);
    case DS__ARRAY:
    case DS__MAP:
        return container_to_json(n, v);
    case DS__UNION:
        return union_to_json(n, v);
    }
    return NULL;
}

/* ---- JSON -> avro --------------------------------------------------------- */

typedef struct {
    char *err;
    size_t errlen;
    char path[512];
    size_t plen;
    int dflt; /* reading a schema default, not the JSON form */
} fjctx;

static int jfail(fjctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int jfail(fjctx *c, const char *fmt, ...)
{
    if (c->err && c->errlen) {
        int n = snprintf(c->err, c->errlen, "%s%s", c->plen ? c->path : "(record)",
                         c->dflt ? " (schema default)" : "");
        if (n >= 0 && (size_t)n < c->errlen) {
            snprintf(c->err + n, c->errlen - (size_t)n, ": ");
            va_list ap;
            va_start(ap, fmt);
            if ((size_t)n + 2 < c->errlen)
                vsnprintf(c->err + n + 2, c->errlen - (size_t)n - 2, fmt, ap);
            va_end(ap);
        }
    }
    return DS_CODEC_EJSON;
}

/* Appends ".name" (or "name" at the top) or "[i]" to the path; returns the
 * old length to restore. */
static size_t path_push(fjctx *c, const char *name, long idx)
{
    size_t old = c->plen;
    int n;
    size_t room = sizeof c->path - c->plen;
    if (name)
        n = snprintf(c->path + c->plen, room, "%s%s", c->plen ? "." : "", name);
    else
        n = snprintf(c->path + c->plen, room, "[%ld]", idx);
    if (n > 0)
        c->plen = (size_t)n >= room ? sizeof c->path - 1 : c->plen + (size_t)n;
    return old;
}

static void path_pop(fjctx *c, size_t old)
{
    c->plen = old;
    c->path[old] = '\0';
}

static const char *json_kind(json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE: case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static int avro_fail(fjctx *c, int rc)
{
    if (rc == ENOMEM)
        return DS_CODEC_ENOMEM;
    return jfail(c, "avro-c: %s", avro_strerror());
}

/* Shortest decimal text of a double that reads back exactly. */
static void shortest_double(double d, char *buf, size_t buflen)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, buflen, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            return;
    }
}

static int fj(fjctx *c, const ds__snode *n, json_t *j, avro_value_t *v);

static int fj_real(fjctx *c, json_t *j, double *out)
{
    if (json_is_number(j)) {
        *out = json_number_value(j);
        return 0;
    }
    const char *s = json_string_value(j);
    if (s && strcmp(s, "NaN") == 0)
        *out = NAN;
    else if (s && strcmp(s, "Infinity") == 0)
        *out = INFINITY;
    else if (s && strcmp(s, "-Infinity") == 0)
        *out = -INFINITY;
    else
        return jfail(c, "expected a number, got %s", json_kind(j));
    return 0;
}

static int fj_union(fjctx *c, const ds__snode *n, json_t *j, avro_value_t *v)
{
    size_t bi = n->n;
    json_t *jb = j;
    if (c->dflt) {
        bi = 0; /* a default is a value of the first branch */
    } else if (json_is_null(j)) {
        for (size_t i = 0; i < n->n; i++)
            if (n->branches[i]->type == DS__NULL)
                bi = i;
        if (bi == n->n)
            return jfail(c, "null is not allowed here");
    } else if (n->null_union >= 0) {
        bi = (size_t)n->null_union;
    } else {
        if (!json_is_object(j) || json_object_size(j) != 1)
            return jfail(c, "expected null or {\"<type>\": value} for a union, got %s", json_kind(j));
        const char *key = json_object_iter_key(json_object_iter(j));
        jb = json_object_iter_value(json_object_iter(j));
        for (size_t i = 0; i < n->n && bi == n->n; i++) {
            const char *bn = branch_name(n->branches[i]);
            const char *dot = strrchr(bn, '.');
            if (strcmp(bn, key) == 0 || (dot && strcmp(dot + 1, key) == 0))
                bi = i;
        }
        if (bi == n->n)
            return jfail(c, "\"%s\" is not a branch of this union", key);
    }
    avro_value_t branch;
    int rc = avro_value_set_branch(v, (int)bi, &branch);
    if (rc)
        return avro_fail(c, rc);
    return fj(c, n->branches[bi], jb, &branch);
}

static int fj_record(fjctx *c, const ds__snode *n, json_t *j, avro_value_t *v)
{
    if (!json_is_object(j))
        return jfail(c, "expected an object for record %s, got %s", n->fullname, json_kind(j));
    size_t found = 0;
    for (size_t i = 0; i < n->n; i++) {
        const ds__field *f = &n->fields[i];
        json_t *jf = json_object_get(j, f->name);
        avro_value_t child;
        int rc = avro_value_get_by_index(v, i, &child, NULL);
        if (rc)
            return avro_fail(c, rc);
        size_t old = path_push(c, f->name, 0);
        if (jf) {
            found++;
            rc = fj(c, f->type, jf, &child);
        } else if (f->def) {
            int was = c->dflt;
            c->dflt = 1;
            rc = fj(c, f->type, f->def, &child);
            c->dflt = was;
        } else {
            rc = jfail(c, "missing required field");
        }
        path_pop(c, old);
        if (rc)
            return rc;
    }
    if (found != json_object_size(j)) {
        const char *key;
        json_t *value;
        json_object_foreach(j, key, value) {
            int known = 0;
            for (size_t i = 0; i < n->n && !known; i++)
                known = strcmp(n->fields[i].name, key) == 0;
            if (!known) {
                size_t old = path_push(c, key, 0);
                int rc = jfail(c, "unknown field");
                path_pop(c, old);
                return rc;
            }
        }
    }
    return 0;
}

static int fj_bytes(fjctx *c, const ds__snode *n, json_t *j, avro_value_t *v)
{
    int rc;
    if (n->logical == DS__LT_DECIMAL && !c->dflt && n->type == DS__BYTES) {
        int64_t unscaled;
        const char *why = "expected a decimal string or number";
        char buf[64];
        const char *s = NULL;
        size_t len = 0;
        if (json_is_string(j)) {
            s = json_string_value(j);
            len = json_string_length(j);
        } else if (json_is_integer(j)) {
            snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(j));
            s = buf;
            len = strlen(buf);
        } else if (json_is_real(j)) {
            shortest_double(json_real_value(j), buf, sizeof buf);
            s = buf;
            len = strlen(buf);
        }
        if (!s || ds__decimal_parse(s, len, n->scale, &unscaled, &why))
            return jfail(c, "%s (decimal with scale %d)", why, n->scale);
        rc = ds_decimal_set(v, unscaled);
        return rc == DS_CODEC_ENOMEM ? rc : rc ? jfail(c, "cannot set decimal") : 0;
    }
    if (!json_is_string(j))
        return jfail(c, "expected a %s string, got %s", c->dflt ? "bytes" : "base64", json_kind(j));
    const char *s = json_string_value(j);
    size_t len = json_string_length(j);
    unsigned char *raw = malloc(len + 1);
    if (!raw)
        return DS_CODEC_ENOMEM;
    long n_raw = 0;
    if (c->dflt) {
        /* Defaults spell bytes as code points 0-255. */
        const unsigned char *p = (const unsigned char *)s;
        for (size_t i = 0; i < len; i++) {
            if (p[i] < 0x80) {
                raw[n_raw++] = p[i];
            } else if ((p[i] == 0xc2 || p[i] == 0xc3) && i + 1 < len) {
                raw[n_raw++] = (unsigned char)(((p[i] & 0x03) << 6) | (p[i + 1] & 0x3f));
                i++;
            } else {
                n_raw = -1;
                break;
            }
        }
    } else {
        n_raw = base64_decode(s, len, raw);
    }
    if (n_raw < 0) {
        free(raw);
        return jfail(c, "%s", c->dflt ? "bytes default has a code point above 255" : "invalid base64");
    }
    if (n->type == DS__FIXED && (size_t)n_raw != n->fixed_size) {
        free(raw);
        return jfail(c, "fixed %s needs %zu bytes, got %ld", n->fullname, n->fixed_size, n_raw);
    }
    rc = n->type == DS__FIXED ? avro_value_set_fixed(v, raw, (size_t)n_raw)
                              : avro_value_set_bytes(v, raw, (size_t)n_raw);
    free(raw);
    return rc ? avro_fail(c, rc) : 0;
}

/* An int, or a date given as "YYYY-MM-DD". */
static int fj_int(fjctx *c, const ds__snode *n, json_t *j, avro_value_t *v)
{
    int32_t i;
    if (n->logical == DS__LT_DATE && json_is_string(j)) {
        if (parse_date(json_string_value(j), &i))
            return jfail(c, "expected a date \"YYYY-MM-DD\", got \"%s\"", json_string_value(j));
    } else if (json_is_integer(j) && json_integer_value(j) >= INT32_MIN &&
               json_integer_value(j) <= INT32_MAX) {
        i = (int32_t)json_integer_value(j);
    } else {
        return jfail(c, "expected %s, got %s", n->logical == DS__LT_DATE ? "a date" : "a 32-bit integer",
                     json_kind(j));
    }
    int rc = avro_value_set_int(v, i);
    return rc ? avro_fail(c, rc) : 0;
}

/* A long, or a timestamp-millis given as RFC 3339. */
static int fj_long(fjctx *c, const ds__snode *n, json_t *j, avro_value_t *v)
{
    int64_t l;
    if (n->logical == DS__LT_TIMESTAMP_MILLIS && json_is_string(j)) {
        if (parse_timestamp(json_string_value(j), &l))
            return jfail(c, "expected an RFC 3339 timestamp, got \"%s\"", json_string_value(j));
    } else if (json_is_integer(j)) {
        l = json_integer_value(j);
    } else {
        return jfail(c, "expected %s, got %s",
                     n->logical == DS__LT_TIMESTAMP_MILLIS ? "a timestamp" : "an integer", json_kind(j));
    }
    int rc = avro_value_set_long(v, l);
    return rc ? avro_fail(c, rc) : 0;
}

/* A string: no NUL inside, valid UTF-8. */
static int fj_string(fjctx *c, json_t *j, avro_value_t *v)
{
    if (!json_is_string(j))
        return jfail(c, "expected a string, got %s", json_kind(j));
    if (strlen(json_string_value(j)) != json_string_length(j))
        return jfail(c, "string contains NUL");
    /* jansson checks UTF-8 when it parses, but not in json_stringn_nocheck
     * (core/input.c builds text articles that way): check here too, or
     * the record encodes and then fails to decode as bad-utf8. */
    if (!ds__utf8_valid(json_string_value(j), json_string_length(j)))
        return jfail(c, "string is not valid UTF-8");
    int rc = avro_value_set_string(v, json_string_value(j));
    return rc ? avro_fail(c, rc) : 0;
}

/* An enum symbol by name. */
static int fj_enum(fjctx *c, const ds__snode *n, json_t *j, avro_value_t *v)
{
    const char *s = json_string_value(j);
    if (!s)
        return jfail(c, "expected a symbol of enum %s, got %s", n->fullname, json_kind(j));
    for (size_t i = 0; i < n->n; i++)
        if (strcmp(n->symbols[i], s) == 0)
            return avro_value_set_enum(v, (int)i) ? avro_fail(c, EINVAL) : 0;
    return jfail(c, "\"%s\" is not a symbol of enum %s", s, n->fullname);
}

/* An array, each item at its index in the error path. */
static int fj_array(fjctx *c, const ds__snode *n, json_t *j, avro_value_t *v)
{
    int rc;
    if (!json_is_array(j))
        return jfail(c, "expected an array, got %s", json_kind(j));
    for (size_t i = 0; i < json_array_size(j); i++) {
        avro_value_t child;
        if ((rc = avro_value_append(v, &child, NULL)))
            return avro_fail(c, rc);
        size_t old = path_push(c, NULL, (long)i);
        rc = fj(c, n->items, json_array_get(j, i), &child);
        path_pop(c, old);
        if (rc)
            return rc;
    }
    return 0;
}

/* A map, each value under its key in the error path. */
static int fj_map(fjctx *c, const ds__snode *n, json_t *j, avro_value_t *v)
{
    int rc;
    if (!json_is_object(j))
        return jfail(c, "expected an object for a map, got %s", json_kind(j));
    const char *key;
    json_t *jv;
    json_object_foreach(j, key, jv) {
        avro_value_t child;
        if (!ds__utf8_valid(key, strlen(key))) /* json_object_set_nocheck keys */
            return jfail(c, "map key is not valid UTF-8");
        if ((rc = avro_value_add(v, key, &child, NULL, NULL)))
            return avro_fail(c, rc);
        size_t old = path_push(c, key, 0);
        rc = fj(c, n->items, jv, &child);
        path_pop(c, old);
        if (rc)
            return rc;
    }
    return 0;
}

static int fj(fjctx *c, const ds__snode *n, json_t *j, avro_value_t *v)
{
    int rc = 0;
    switch (n->type) {
    case DS__NULL:
        if (!json_is_null(j))
            return jfail(c, "expected null, got %s", json_kind(j));
        rc = avro_value_set_null(v);
        break;
    case DS__BOOLEAN:
        if (!json_is_boolean(j))
            return jfail(c, "expected a boolean, got %s", json_kind(j));
        rc = avro_value_set_boolean(v, json_is_true(j));
        break;
    case DS__INT:
        return fj_int(c, n, j, v);
    case DS__LONG:
        return fj_long(c, n, j, v);
    case DS__FLOAT:
    case DS__DOUBLE: {
        double d;
        if ((rc = fj_real(c, j, &d)))
            return rc;
        rc = n->type == DS__FLOAT ? avro_value_set_float(v, (float)d) : avro_value_set_double(v, d);
        break;
    }
    case DS__STRING:
        return fj_string(c, j, v);
    case DS__BYTES:
    case DS__FIXED:
        return fj_bytes(c, n, j, v);
    case DS__ENUM:
        return fj_enum(c, n, j, v);
    case DS__RECORD:
        return fj_record(c, n, j, v);
    case DS__ARRAY:
        return fj_array(c, n, j, v);
    case DS__MAP:
        return fj_map(c, n, j, v);
    case DS__UNION:
        return fj_union(c, n, j, v);
    }
    return rc ? avro_fail(c, rc) : 0;
}

int ds__from_json(const ds__snode *n, json_t *j, avro_value_t *v, char *err, size_t errlen)
{
    fjctx c = {.err = err, .errlen = errlen};
    int rc = avro_value_reset(v);
    if (rc)
        return DS_CODEC_ENOMEM;
    return fj(&c, n, j, v);
}

int ds__set_default(const ds__snode *n, json_t *def, avro_value_t *v, char *err, size_t errlen)
{
    fjctx c = {.err = err, .errlen = errlen, .dflt = 1};
    return fj(&c, n, def, v);
}

/* ---- resolution copy ---------------------------------------------------- */

int ds__copy_with_defaults(const ds__snode *n, avro_value_t *src, avro_value_t *dst, char *err,
                           size_t errlen)
{
    int rc = 0;
    switch (n->type) {
    case DS__RECORD:
        for (size_t i = 0; i < n->n && !rc; i++) {
            avro_value_t d, s;
            if ((rc = avro_value_get_by_index(dst, i, &d, NULL)))
                break;
            if (avro_value_get_by_name(src, n->fields[i].name, &s, NULL) == 0)
                rc = ds__copy_with_defaults(n->fields[i].type, &s, &d, err, errlen);
            else if (n->fields[i].def)
                rc = ds__set_default(n->fields[i].type, n->fields[i].def, &d, err, errlen);
            else
                rc = EINVAL; /* excluded when the writer was registered */
        }
        break;
    case DS__ARRAY:
    case DS__MAP: {
        size_t size;
        if ((rc = avro_value_get_size(src, &size)))
            break;
        for (size_t i = 0; i < size && !rc; i++) {
            avro_value_t s, d;
            const char *key = NULL;
            if ((rc = avro_value_get_by_index(src, i, &s, &key)))
                break;
            rc = n->type == DS__ARRAY ? avro_value_append(dst, &d, NULL)
                                      : avro_value_add(dst, key, &d, NULL, NULL);
            if (!rc)
                rc = ds__copy_with_defaults(n->items, &s, &d, err, errlen);
        }
        break;
    }
    case DS__UNION: {
        int disc;
        avro_value_t s, d;
        if ((rc = avro_value_get_discriminant(src, &disc)) || (rc = avro_value_get_current_branch(src, &s)))
            break;
        if (disc < 0 || (size_t)disc >= n->n) {
            rc = EINVAL;
            break;
        }
        if (!(rc = avro_value_set_branch(dst, disc, &d)))
            rc = ds__copy_with_defaults(n->branches[disc], &s, &d, err, errlen);
        break;
    }
    default:
        /* Primitives, enums and fixed have the same representation. */
        rc = avro_value_copy_fast(dst, src);
        break;
    }
    if (rc > 0) {
        if (err && errlen)
            snprintf(err, errlen, "resolving into the reader schema: %s", avro_strerror());
        return rc == ENOMEM ? DS_CODEC_ENOMEM : DS_CODEC_ECORRUPT;
    }
    return rc;
}
