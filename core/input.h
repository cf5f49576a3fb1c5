/* input.h: reading records from files and stdin.
 *
 * Articles come as plain-text files (common/article.h) or JSON lines of
 * ArticleEvent; deal events as JSON lines of DealEvent. Every record is
 * handed over in its JSON form, so one path (ds_codec_from_json) turns it
 * into Avro. A text article's id is the file's base name; from stdin it is
 * the hash of the text. */
#ifndef DS_INPUT_H
#define DS_INPUT_H

#include <jansson.h>
#include <stddef.h>

/* Called per record; where names it ("file:line"). A non-zero return stops
 * the reading and is returned by ds_input_read. */
typedef int (*ds_record_fn)(void *opaque, json_t *rec, const char *where);

/* What reading reports besides the records. */
typedef struct ds_input_report {
    /* A record rejected and skipped (a malformed line, a bad date line):
     * where ("file:line") and why. May be NULL. */
    void (*bad)(void *opaque, const char *where, const char *what);
    /* A record accepted with a warning: a text article without a "date"
     * line, handed over with published null; where is the file and the line
     * the date was expected on, what names the article id. May be NULL. */
    void (*warn)(void *opaque, const char *where, const char *what);
    size_t nbad;     /* records rejected; added to */
    size_t nundated; /* text articles without a date line; added to */
} ds_input_report;

/* Reads path ("-" or NULL: stdin). format: "text", "jsonl" or "auto" (by
 * extension: .jsonl/.json are JSON lines, anything else text; stdin: JSON
 * lines when the first byte is '{'). is_article: 0 for deal events, which
 * must be JSON lines. Records go to fn with opaque; rejected and undated
 * ones are reported through rep (its callbacks get opaque too) and counted
 * there. Returns 0, a callback's non-zero value, or -1 with err set when
 * the file cannot be read. */
int ds_input_read_with(const char *path, const char *format, int is_article, ds_record_fn fn, void *opaque,
                       ds_input_report *rep, char *err, size_t errlen);

/* ds_input_read_with without warnings: malformed lines are reported through
 * bad (may be NULL) and their count is added to *nbad (may be NULL). */
int ds_input_read(const char *path, const char *format, int is_article, ds_record_fn fn, void *opaque,
                  void (*bad)(void *opaque, const char *where, const char *what), size_t *nbad, char *err,
                  size_t errlen);

#endif
