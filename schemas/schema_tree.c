/* schema_tree.c: compiles Avro schema JSON into the codec's own tree.
 *
 * Follows the Avro specification's naming rules: a name with a dot is a full
 * name; otherwise the "namespace" attribute, or else the namespace of the
 * innermost enclosing named type, qualifies it. References resolve against
 * the types defined so far, so recursive records work. */
#include "codec_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define DS__MAX_SCHEMA_DEPTH 64

typedef struct {
    ds__schema *s;
    char *err;
    size_t errlen;
} cctx;

static int fail(cctx *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(cctx *c, int code, const char *fmt, ...)
{
    if (c->err && c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, c->errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

static const char *const primitive_names[] = {
    [DS__NULL] = "null", [DS__BOOLEAN] = "boolean", [DS__INT] = "int", [DS__LONG] = "long",
    [DS__FLOAT] = "float", [DS__DOUBLE] = "double", [DS__BYTES] = "bytes", [DS__STRING] = "string",
};

static int primitive_type(const char *name)
{
    for (int t = DS__NULL; t <= DS__STRING; t++)
        if (strcmp(name, primitive_names[t]) == 0)
            return t;
    return -1;
}

static ds__snode *node_new(cctx *c, ds__type type)
{
    ds__schema *s = c->s;
    if (ds_reserve(&s->nodes, &s->cap, s->n_nodes + 1, sizeof *s->nodes, 32))
        return NULL;
    ds__snode *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->type = type;
    n->index = s->n_nodes;
    n->min_size = -1;
    n->null_union = -1;
    s->nodes[s->n_nodes++] = n;
    return n;
}

ds__snode *ds__schema_find(const ds__schema *s, const char *fullname)
{
    for (size_t i = 0; i < s->n_nodes; i++)
        if (s->nodes[i]->fullname && strcmp(s->nodes[i]->fullname, fullname) == 0)
            return s->nodes[i];
    return NULL;
}

static int valid_name(const char *name)
{
    if (!((*name >= 'A' && *name <= 'Z') || (*name >= 'a' && *name <= 'z') || *name == '_'))
        return 0;
    for (const char *p = name + 1; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return 0;
    return 1;
}

static char *join_name(const char *ns, const char *name)
{
    size_t nl = ns ? strlen(ns) : 0, ml = strlen(name);
    char *full = malloc(nl + ml + 2);
    if (!full)
        return NULL;
    if (nl) {
        memcpy(full, ns, nl);
        full[nl] = '.';
        memcpy(full + nl + 1, name, ml + 1);
    } else {
        memcpy(full, name, ml + 1);
    }
    return full;
}

/* Names a named type from its "name" and "namespace"; *ns_out is the
 * namespace its children inherit (points into n->fullname or json). */
static int name_type(cctx *c, ds__snode *n, json_t *j, const char *ns, char **ns_out)
{
    const char *name = json_string_value(json_object_get(j, "name"));
    if (!name || !*name)
        return fail(c, DS_CODEC_ESCHEMA, "named type without a name");
    const char *dot = strrchr(name, '.');
    if (dot) {
        n->fullname = strdup(name);
    } else {
        json_t *jns = json_object_get(j, "namespace");
        if (jns && !json_is_string(jns) && !json_is_null(jns))
            return fail(c, DS_CODEC_ESCHEMA, "%s: namespace is not a string", name);
        if (jns)
            ns = json_string_value(jns); /* NULL for null: no namespace */
        n->fullname = join_name(ns, name);
    }
    if (!n->fullname)
        return DS_CODEC_ENOMEM;
    /* Every dot-separated part must be a valid name. */
    char *copy = strdup(n->fullname);
    if (!copy)
        return DS_CODEC_ENOMEM;
    int ok = 1;
    for (char *save = NULL, *part = strtok_r(copy, ".", &save); part; part = strtok_r(NULL, ".", &save))
        ok &= valid_name(part);
    size_t fl = strlen(n->fullname);
    if (fl == 0 || n->fullname[0] == '.' || n->fullname[fl - 1] == '.' || strstr(n->fullname, ".."))
        ok = 0;
    free(copy);
    if (!ok)
        return fail(c, DS_CODEC_ESCHEMA, "invalid name \"%s\"", n->fullname);
    if (primitive_type(n->fullname) >= 0)
        return fail(c, DS_CODEC_ESCHEMA, "\"%s\" redefines a primitive type", n->fullname);
    for (size_t i = 0; i + 1 < c->s->n_nodes; i++)
        if (c->s->nodes[i] != n && c->s->nodes[i]->fullname &&
            strcmp(c->s->nodes[i]->fullname, n->fullname) == 0)
            return fail(c, DS_CODEC_ESCHEMA, "type \"%s\" defined twice", n->fullname);
    n->json = j;
    dot = strrchr(n->fullname, '.');
    *ns_out = NULL;
    if (dot) {
        *ns_out = strndup(n->fullname, (size_t)(dot - n->fullname));
        if (!*ns_out)
            return DS_CODEC_ENOMEM;
    }
    return 0;
}

static int parse(cctx *c, json_t *j, const char *ns, ds__snode **out, int depth);

static int parse_reference(cctx *c, const char *name, const char *ns, ds__snode **out)
{
    int t = primitive_type(name);
    if (t >= 0) {
        *out = node_new(c, (ds__type)t);
        return *out ? 0 : DS_CODEC_ENOMEM;
    }
    ds__snode *n = NULL;
    if (!strchr(name, '.') && ns && *ns) {
        char *full = join_name(ns, name);
        if (!full)
            return DS_CODEC_ENOMEM;
        n = ds__schema_find(c->s, full);
        free(full);
    }
    if (!n)
        n = ds__schema_find(c->s, name);
    if (!n)
        return fail(c, DS_CODEC_ESCHEMA, "unknown type \"%s\"", name);
    *out = n;
    return 0;
}

static void parse_logical(ds__snode *n, json_t *j)
{
    const char *lt = json_string_value(json_object_get(j, "logicalType"));
    if (!lt)
        return;
    /* Invalid or unknown logical types fall back to the underlying type, as
     * the specification says. */
    if (strcmp(lt, "timestamp-millis") == 0 && n->type == DS__LONG) {
        n->logical = DS__LT_TIMESTAMP_MILLIS;
    } else if (strcmp(lt, "date") == 0 && n->type == DS__INT) {
        n->logical = DS__LT_DATE;
    } else if (strcmp(lt, "decimal") == 0 && (n->type == DS__BYTES || n->type == DS__FIXED)) {
        json_t *js = json_object_get(j, "scale");
        json_int_t scale = js ? (json_is_integer(js) ? json_integer_value(js) : -1) : 0;
        if (scale >= 0 && scale <= 18) {
            n->logical = DS__LT_DECIMAL;
            n->scale = (int)scale;
        }
    }
}

/* Reads the "fields" of record n from j, each field's type parsed in
 * namespace ns. Returns 0, or an error code with the message set (the
 * node keeps what was read; the caller frees it with the tree). */
static int parse_fields(cctx *c, ds__snode *n, json_t *j, const char *ns, int depth)
{
    json_t *fields = json_object_get(j, "fields");
    if (!json_is_array(fields)) {
        return fail(c, DS_CODEC_ESCHEMA, "record %s: \"fields\" is not an array", n->fullname);
    }
    n->n = json_array_size(fields);
    if (n->n && !(n->fields = calloc(n->n, sizeof *n->fields))) {
        return DS_CODEC_ENOMEM;
    }
    for (size_t i = 0; i < n->n; i++) {
        json_t *f = json_array_get(fields, i);
        const char *fname = json_string_value(json_object_get(f, "name"));
        if (!fname || !valid_name(fname)) {
            return fail(c, DS_CODEC_ESCHEMA, "record %s: field %zu has no valid name", n->fullname, i);
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(n->fields[k].name, fname) == 0) {
                return fail(c, DS_CODEC_ESCHEMA, "record %s: field %s twice", n->fullname, fname);
            }
        json_t *ft = json_object_get(f, "type");
        if (!ft) {
            return fail(c, DS_CODEC_ESCHEMA, "record %s: field %s has no type", n->fullname, fname);
        }
        n->fields[i].name = fname;
        n->fields[i].def = json_object_get(f, "default");
        int rc = parse(c, ft, ns, &n->fields[i].type, depth + 1);
        if (rc)
            return rc;
    }
    return 0;
}

/* Reads the "symbols" of enum n from j: a non-empty array of valid names.
 * Returns 0, or an error code with the message set. */
static int parse_symbols(cctx *c, ds__snode *n, json_t *j)
{
    json_t *symbols = json_object_get(j, "symbols");
    if (!json_is_array(symbols) || json_array_size(symbols) == 0) {
        return fail(c, DS_CODEC_ESCHEMA, "enum %s: \"symbols\" is not a non-empty array", n->fullname);
    }
    n->n = json_array_size(symbols);
    if (!(n->symbols = calloc(n->n, sizeof *n->symbols))) {
        return DS_CODEC_ENOMEM;
    }
    for (size_t i = 0; i < n->n; i++) {
        n->symbols[i] = json_string_value(json_array_get(symbols, i));
        if (!n->symbols[i] || !valid_name(n->symbols[i])) {
            return fail(c, DS_CODEC_ESCHEMA, "enum %s: symbol %zu is not a valid name", n->fullname, i);
        }
    }
    return 0;
}

static int parse_object(cctx *c, json_t *j, const char *ns, ds__snode **out, int depth)
{
    json_t *jt = json_object_get(j, "type");
    if (!jt)
        return fail(c, DS_CODEC_ESCHEMA, "schema object without \"type\"");
    if (!json_is_string(jt))
        return parse(c, jt, ns, out, depth + 1);
    const char *type = json_string_value(jt);
    int rc = 0;
    char *child_ns = NULL;
    ds__snode *n;

    int prim = primitive_type(type);
    if (prim >= 0) {
        if (!(n = node_new(c, (ds__type)prim)))
            return DS_CODEC_ENOMEM;
        parse_logical(n, j);
    } else if (strcmp(type, "record") == 0 || strcmp(type, "error") == 0) {
        if (!(n = node_new(c, DS__RECORD)))
            return DS_CODEC_ENOMEM;
        if ((rc = name_type(c, n, j, ns, &child_ns)))
            goto out;
        if ((rc = parse_fields(c, n, j, child_ns, depth)))
            goto out;
    } else if (strcmp(type, "enum") == 0) {
        if (!(n = node_new(c, DS__ENUM)))
            return DS_CODEC_ENOMEM;
        if ((rc = name_type(c, n, j, ns, &child_ns)))
            goto out;
        if ((rc = parse_symbols(c, n, j)))
            goto out;
    } else if (strcmp(type, "fixed") == 0) {
        if (!(n = node_new(c, DS__FIXED)))
            return DS_CODEC_ENOMEM;
        if ((rc = name_type(c, n, j, ns, &child_ns)))
            goto out;
        json_t *size = json_object_get(j, "size");
        if (!json_is_integer(size) || json_integer_value(size) < 0 ||
            json_integer_value(size) > INT32_MAX) {
            rc = fail(c, DS_CODEC_ESCHEMA, "fixed %s: bad \"size\"", n->fullname);
            goto out;
        }
        n->fixed_size = (size_t)json_integer_value(size);
        parse_logical(n, j);
    } else if (strcmp(type, "array") == 0 || strcmp(type, "map") == 0) {
        int is_array = type[0] == 'a';
        if (!(n = node_new(c, is_array ? DS__ARRAY : DS__MAP)))
            return DS_CODEC_ENOMEM;
        json_t *items = json_object_get(j, is_array ? "items" : "values");
        if (!items) {
            rc = fail(c, DS_CODEC_ESCHEMA, "%s without \"%s\"", type, is_array ? "items" : "values");
            goto out;
        }
        n->json = j;
        if ((rc = parse(c, items, ns, &n->items, depth + 1)))
            goto out;
    } else {
        /* {"type": "SomeName"}: a reference, as some implementations allow. */
        return parse_reference(c, type, ns, out);
    }
    *out = n;
out:
    free(child_ns);
    return rc;
}

static int parse(cctx *c, json_t *j, const char *ns, ds__snode **out, int depth)
{
    if (depth > DS__MAX_SCHEMA_DEPTH)
        return fail(c, DS_CODEC_ESCHEMA, "schema nested too deeply");
    if (json_is_string(j))
        return parse_reference(c, json_string_value(j), ns, out);
    if (json_is_object(j))
        return parse_object(c, j, ns, out, depth);
    if (json_is_array(j)) {
        ds__snode *n = node_new(c, DS__UNION);
        if (!n)
            return DS_CODEC_ENOMEM;
        n->json = j;
        n->n = json_array_size(j);
        if (n->n && !(n->branches = calloc(n->n, sizeof *n->branches)))
            return DS_CODEC_ENOMEM;
        size_t nulls = 0;
        for (size_t i = 0; i < n->n; i++) {
            int rc = parse(c, json_array_get(j, i), ns, &n->branches[i], depth + 1);
            if (rc)
                return rc;
            if (n->branches[i]->type == DS__UNION)
                return fail(c, DS_CODEC_ESCHEMA, "union directly inside a union");
            nulls += n->branches[i]->type == DS__NULL;
        }
        if (n->n == 2 && nulls == 1)
            n->null_union = n->branches[0]->type == DS__NULL ? 1 : 0;
        *out = n;
        return 0;
    }
    return fail(c, DS_CODEC_ESCHEMA, "a schema is a string, object or array");
}

/* Least number of bytes an encoded value takes; recursion is cut at 0. */
static int min_size(ds__snode *n)
{
    if (n->min_size >= 0)
        return n->min_size;
    if (n->min_size == -2)
        return 0; /* recursive type: be conservative */
    n->min_size = -2;
    long m = 0;
    switch (n->type) {
    case DS__NULL: m = 0; break;
    case DS__FLOAT: m = 4; break;
    case DS__DOUBLE: m = 8; break;
    case DS__FIXED: m = n->fixed_size > 1024 ? 1024 : (long)n->fixed_size; break;
    case DS__RECORD:
        for (size_t i = 0; i < n->n && m < 1024; i++)
            m += min_size(n->fields[i].type);
        break;
    case DS__ARRAY: case DS__MAP:
        min_size(n->items);
        m = 1;
        break;
    case DS__UNION:
        for (size_t i = 0; i < n->n; i++)
            min_size(n->branches[i]);
        m = 1;
        break;
    default: m = 1; break;
    }
    n->min_size = m > 1024 ? 1024 : (int)m;
    return n->min_size;
}

int ds__schema_compile_json(json_t *json, ds__schema **out, char *err, size_t errlen)
{
    ds__schema *s = calloc(1, sizeof *s);
    if (!s)
        return DS_CODEC_ENOMEM;
    s->json = json_incref(json);
    cctx c = {s, err, errlen};
    int rc = parse(&c, json, NULL, &s->root, 0);
    if (rc) {
        if (rc == DS_CODEC_ENOMEM)
            fail(&c, rc, "out of memory compiling schema");
        goto err;
    }
    for (size_t i = 0; i < s->n_nodes; i++)
        min_size(s->nodes[i]);
    *out = s;
    return 0;
err:
    ds__schema_free(s);
    return rc;
}

int ds__schema_compile(const char *text, ds__schema **out, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *json = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!json) {
        if (err && errlen)
            snprintf(err, errlen, "schema is not JSON: %s (line %d)", jerr.text, jerr.line);
        return DS_CODEC_ESCHEMA;
    }
    int rc = ds__schema_compile_json(json, out, err, errlen);
    json_decref(json);
    return rc;
}

void ds__schema_free(ds__schema *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_nodes; i++) {
        ds__snode *n = s->nodes[i];
        free(n->fullname);
        free(n->fields);
        free(n->symbols);
        free(n->branches);
        free(n);
    }
    free(s->nodes);
    json_decref(s->json);
    free(s);
}

int ds__utf8_valid(const char *str, size_t len)
{
    const unsigned char *p = (const unsigned char *)str, *end = p + len;
    while (p < end) {
        unsigned c = *p;
        if (c < 0x80) {
            if (c == 0)
                return 0;
            p++;
            continue;
        }
        size_t n;
        unsigned cp, min;
        if (c >= 0xc2 && c <= 0xdf) { n = 1; cp = c & 0x1f; min = 0x80; }
        else if (c >= 0xe0 && c <= 0xef) { n = 2; cp = c & 0x0f; min = 0x800; }
        else if (c >= 0xf0 && c <= 0xf4) { n = 3; cp = c & 0x07; min = 0x10000; }
        else return 0;
        if ((size_t)(end - p) <= n)
            return 0;
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        p += n + 1;
    }
    return 1;
}
