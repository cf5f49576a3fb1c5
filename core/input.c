/* input.c: article text files and JSON-lines files read into records (see
 * input.h). No Kafka; may call common/. */
#include "input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "util.h"

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int text_article(const char *name, const char *text, size_t len, ds_record_fn fn, void *opaque,
                        void (*bad)(void *, const char *, const char *), size_t *nbad)
{
    ds_text_article ta;
    char err[256];
    if (ds_article_parse_text(text, len, &ta, err, sizeof err)) {
        char where[600];
        snprintf(where, sizeof where, "%s:1", name);
        if (bad)
            bad(opaque, where, err);
        if (nbad)
            (*nbad)++;
        return 0;
    }
    char id[128];
    if (strcmp(name, "-") == 0 || strcmp(name, "<stdin>") == 0) {
        char hex[17];
        ds_hex64(ds_hash64(text, len, 0), hex);
        snprintf(id, sizeof id, "stdin-%s", hex);
    } else {
        ds_article_id_from_path(name, id, sizeof id);
    }
    json_t *rec = json_object();
    json_object_set_new(rec, "article_id", json_string(id));
    json_object_set_new(rec, "published", ta.published == DS_NO_TIME ? json_null() : json_integer(ta.published));
    json_object_set_new(rec, "title", ta.title ? json_stringn_nocheck(ta.title, ta.title_len) : json_null());
    json_object_set_new(rec, "body", json_stringn_nocheck(ta.body, ta.body_len));
    char where[600];
    snprintf(where, sizeof where, "%s", name);
    int rc = fn(opaque, rec, where);
    json_decref(rec);
    return rc;
}

static int json_lines(const char *name, char *text, size_t len, ds_record_fn fn, void *opaque,
                      void (*bad)(void *, const char *, const char *), size_t *nbad)
{
    size_t line = 0;
    char *p = text, *end = text + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
        line++;
        char where[600];
        snprintf(where, sizeof where, "%s:%zu", name, line);
        size_t s = 0;
        while (s < ll && (p[s] == ' ' || p[s] == '\t' || p[s] == '\r'))
            s++;
        if (s < ll) {
            json_error_t je;
            json_t *rec = json_loadb(p, ll, 0, &je);
            if (!rec || !json_is_object(rec)) {
                char what[300];
                snprintf(what, sizeof what, "not a JSON object: %s", rec ? "wrong type" : je.text);
                if (bad)
                    bad(opaque, where, what);
                if (nbad)
                    (*nbad)++;
            } else {
                int rc = fn(opaque, rec, where);
                if (rc) {
                    json_decref(rec);
                    return rc;
                }
            }
            json_decref(rec);
        }
        p += ll + 1;
    }
    return 0;
}

int ds_input_read(const char *path, const char *format, int is_article, ds_record_fn fn, void *opaque,
                  void (*bad)(void *opaque, const char *where, const char *what), size_t *nbad, char *err,
                  size_t errlen)
{
    int from_stdin = !path || strcmp(path, "-") == 0;
    const char *name = from_stdin ? "<stdin>" : path;
    size_t len = 0;
    char *text;
    if (from_stdin) {
        text = ds_read_stream(stdin, &len);
    } else {
        text = ds_read_file(path, &len);
    }
    if (!text) {
        snprintf(err, errlen, "%s: %s", name, strerror(errno ? errno : ENOMEM));
        return -1;
    }
    int jsonl;
    if (strcmp(format, "jsonl") == 0)
        jsonl = 1;
    else if (strcmp(format, "text") == 0)
        jsonl = 0;
    else if (from_stdin)
        jsonl = len > 0 && text[strspn(text, " \t\r\n")] == '{';
    else
        jsonl = ends_with(path, ".jsonl") || ends_with(path, ".json") || ends_with(path, ".ndjson");
    if (!is_article && !jsonl) {
        snprintf(err, errlen, "%s: deal events must be JSON lines", name);
        free(text);
        return -1;
    }
    int rc = jsonl ? json_lines(name, text, len, fn, opaque, bad, nbad)
                   : text_article(name, text, len, fn, opaque, bad, nbad);
    free(text);
    return rc;
}
