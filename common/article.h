/* article.h: the plain-text article file format.
 *
 * A file holds one article: an optional UTF-8 byte order mark, an optional
 * first line "date YYYY-MM-DD" (leading blanks allowed; body text may
 * follow the date on the same line), then the
 * body. When the body starts with a short line followed by a blank line, that
 * line is also taken as the title (it stays part of the body, so evidence
 * offsets refer to the text as written). */
#ifndef DS_ARTICLE_H
#define DS_ARTICLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct ds_text_article {
    int64_t published;   /* ms since epoch at 00:00 UTC, DS_NO_TIME without a date line */
    const char *body;    /* points into the input */
    size_t body_len;
    const char *title;   /* points into the input, or NULL */
    size_t title_len;
} ds_text_article;

/* Parses text (len bytes). Returns 0, or -1 with err naming the line when a
 * "date" line is present but its date is invalid. */
int ds_article_parse_text(const char *text, size_t len, ds_text_article *out, char *err, size_t errlen);

/* Article id of a file path: its base name without the extension. */
void ds_article_id_from_path(const char *path, char *out, size_t cap);

#endif
