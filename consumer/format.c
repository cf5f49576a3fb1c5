/* format.c: consume's output forms, as kcat's format.c and json.c print
 * them (see format.h). May call consumer/consume (the message struct) and
 * common/. */
#include "format.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

typedef enum {
    TOK_TEXT,
    TOK_TOPIC,
    TOK_PARTITION,
    TOK_OFFSET,
    TOK_KEY,
    TOK_KEY_LEN,
    TOK_VALUE,
    TOK_VALUE_LEN,
    TOK_VALUE_LEN_BINARY,
    TOK_TIMESTAMP,
    TOK_HEADERS,
    TOK_TYPE,
} tok_type;

typedef struct token {
    tok_type type;
    char *text; /* TOK_TEXT, escapes resolved */
    size_t len;
} token;

struct ds_format {
    token *toks;
    size_t n, cap;
};

int ds_format_unescape(const char *s, char *out, size_t cap, size_t *len)
{
    size_t n = 0;
    while (*s) {
        char c = *s++;
        if (c == '\\' && *s) {
            char e = *s++;
            if (e == 'n')
                c = '\n';
            else if (e == 'r')
                c = '\r';
            else if (e == 't')
                c = '\t';
            else if (e == 'x' || isdigit((unsigned char)e)) {
                const char *from = e == 'x' ? s : s - 1;
                char *end;
                unsigned long v = strtoul(from, &end, e == 'x' ? 16 : 10);
                if (end == from)
                    c = e; /* "\x" without digits: the x itself */
                else {
                    c = (char)v;
                    s = end;
                }
            } else
                c = e;
        }
        if (n + 1 >= cap)
            return -1;
        out[n++] = c;
    }
    out[n] = '\0';
    if (len)
        *len = n;
    return 0;
}

static int add_token(ds_format *f, tok_type type, const char *text, size_t len)
{
    if (ds_reserve(&f->toks, &f->cap, f->n + 1, sizeof *f->toks, 8))
        return -1;
    token *t = &f->toks[f->n];
    *t = (token){.type = type};
    if (type == TOK_TEXT) {
        char *raw = strndup(text, len);
        t->text = malloc(len + 1);
        if (!raw || !t->text || ds_format_unescape(raw, t->text, len + 1, &t->len)) {
            free(raw);
            free(t->text);
            return -1;
        }
        free(raw);
    }
    f->n++;
    return 0;
}

static int token_of(char c, tok_type *type)
{
    static const struct {
        char c;
        tok_type type;
    } map[] = {{'t', TOK_TOPIC},     {'p', TOK_PARTITION}, {'o', TOK_OFFSET},
               {'k', TOK_KEY},       {'K', TOK_KEY_LEN},   {'s', TOK_VALUE},
               {'S', TOK_VALUE_LEN}, {'R', TOK_VALUE_LEN_BINARY}, {'T', TOK_TIMESTAMP},
               {'h', TOK_HEADERS},   {'c', TOK_TYPE}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].c == c) {
            *type = map[i].type;
            return 0;
        }
    return -1;
}

ds_format *ds_format_parse(const char *fmt, char *err, size_t errlen)
{
    ds_format *f = calloc(1, sizeof *f);
    if (!f)
        goto oom;
    for (const char *s = fmt; *s;) {
        const char *pct = strchr(s, '%');
        size_t lit = pct ? (size_t)(pct - s) : strlen(s);
        if (lit && add_token(f, TOK_TEXT, s, lit))
            goto oom;
        if (!pct)
            break;
        tok_type type;
        if (pct[1] == '%') {
            if (add_token(f, TOK_TEXT, "%", 1))
                goto oom;
        } else if (pct[1] == '\0' || token_of(pct[1], &type)) {
            snprintf(err, errlen, "-f '%s': unknown token '%%%.1s' (known: %%t %%p %%o %%k %%K %%s %%S %%R %%T %%h %%c %%%%)",
                     fmt, pct[1] ? pct + 1 : "");
            ds_format_destroy(f);
            return NULL;
        } else if (add_token(f, type, NULL, 0)) {
            goto oom;
        }
        s = pct + 2;
    }
    return f;
oom:
    snprintf(err, errlen, "out of memory");
    ds_format_destroy(f);
    return NULL;
}

void ds_format_destroy(ds_format *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        free(f->toks[i].text);
    free(f->toks);
    free(f);
}

static int print_headers(FILE *out, const rd_kafka_message_t *rkm)
{
    rd_kafka_headers_t *hdrs = NULL;
    if (rd_kafka_message_headers(rkm, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return 0;
    const char *name;
    const void *val;
    size_t size;
    int rc = 0;
    for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; i++) {
        rc |= fprintf(out, "%s%s=", i ? "," : "", name) < 0;
        if (val && size)
            rc |= fwrite(val, size, 1, out) != 1;
    }
    return rc ? -1 : 0;
}

/* The value as %s prints it: the decoded record's JSON, else the bytes. */
static int print_value(FILE *out, const ds_consumed *m)
{
    if (m->value) {
        char *s = json_dumps(m->value, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
        int rc = s ? fputs(s, out) < 0 : -1;
        free(s);
        return rc ? -1 : 0;
    }
    const rd_kafka_message_t *rkm = m->rkm;
    return rkm->len && fwrite(rkm->payload, rkm->len, 1, out) != 1 ? -1 : 0;
}

static int print_token(FILE *out, const token *t, const ds_consumed *m)
{
    const rd_kafka_message_t *rkm = m->rkm;
    rd_kafka_timestamp_type_t tstype;
    uint32_t be;
    switch (t->type) {
    case TOK_TEXT:
        return t->len && fwrite(t->text, t->len, 1, out) != 1 ? -1 : 0;
    case TOK_TOPIC:
        return fputs(rd_kafka_topic_name(rkm->rkt), out) < 0 ? -1 : 0;
    case TOK_PARTITION:
        return fprintf(out, "%" PRId32, rkm->partition) < 0 ? -1 : 0;
    case TOK_OFFSET:
        return fprintf(out, "%" PRId64, rkm->offset) < 0 ? -1 : 0;
    case TOK_KEY:
        return rkm->key_len && fwrite(rkm->key, rkm->key_len, 1, out) != 1 ? -1 : 0;
    case TOK_KEY_LEN:
        return fprintf(out, "%ld", rkm->key ? (long)rkm->key_len : -1L) < 0 ? -1 : 0;
    case TOK_VALUE:
        return print_value(out, m);
    case TOK_VALUE_LEN:
        return fprintf(out, "%ld", rkm->payload ? (long)rkm->len : -1L) < 0 ? -1 : 0;
    case TOK_VALUE_LEN_BINARY:
        be = htonl((uint32_t)(rkm->payload ? (int32_t)rkm->len : -1));
        return fwrite(&be, sizeof be, 1, out) != 1 ? -1 : 0;
    case TOK_TIMESTAMP:
        return fprintf(out, "%" PRId64, rd_kafka_message_timestamp(rkm, &tstype)) < 0 ? -1 : 0;
    case TOK_HEADERS:
        return print_headers(out, rkm);
    case TOK_TYPE:
        return fputs(m->type ? m->type : "-", out) < 0 ? -1 : 0;
    }
    return -1;
}

int ds_format_print(const ds_format *f, FILE *out, const ds_consumed *m)
{
    for (size_t i = 0; i < f->n; i++)
        if (print_token(out, &f->toks[i], m))
            return -1;
    return 0;
}

/* A JSON string of bytes when they are UTF-8, else NULL. */
static json_t *utf8_json(const void *p, size_t n) { return p ? json_stringn(p, n) : NULL; }

json_t *ds_format_envelope(const ds_consumed *m)
{
    const rd_kafka_message_t *rkm = m->rkm;
    json_t *o = json_object();
    json_object_set_new(o, "topic", json_string(rd_kafka_topic_name(rkm->rkt)));
    json_object_set_new(o, "partition", json_integer(rkm->partition));
    json_object_set_new(o, "offset", json_integer(rkm->offset));
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(rkm, &tstype);
    if (tstype != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE) {
        json_object_set_new(o, "tstype", json_string(tstype == RD_KAFKA_TIMESTAMP_CREATE_TIME       ? "create"
                                                     : tstype == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? "logappend"
                                                                                                    : "unknown"));
        json_object_set_new(o, "ts", json_integer(ts));
    }
    json_object_set_new(o, "broker", json_integer(rd_kafka_message_broker_id(rkm)));
    rd_kafka_headers_t *hdrs = NULL;
    if (rd_kafka_message_headers(rkm, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        json_t *h = json_array();
        const char *name;
        const void *val;
        size_t size;
        for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; i++) {
            json_t *v = utf8_json(val, size);
            json_array_append_new(h, json_string(name));
            json_array_append_new(h, v ? v : json_null());
        }
        json_object_set_new(o, "headers", h);
    }
    json_t *key = utf8_json(rkm->key, rkm->key_len);
    json_object_set_new(o, "key", key ? key : json_null());
    if (m->value) {
        json_object_set(o, "payload", m->value);
    } else {
        json_t *raw = utf8_json(rkm->payload, rkm->len);
        json_object_set_new(o, "payload", raw ? raw : json_null());
        json_object_set_new(o, "payload_error", json_string(m->error ? m->error : "not decoded"));
    }
    if (m->schema_id >= 0)
        json_object_set_new(o, "value_schema_id", json_integer(m->schema_id));
    return o;
}
