/* article.c: the ArticleEvent fields as plain C (see article.h). Owns
 * nothing shared; may call only common/. */
#include "article.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

int ds_article_parse_text(const char *text, size_t len, ds_text_article *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->published = DS_NO_TIME;
    size_t i = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        i = 3; /* a UTF-8 byte order mark (editors on Windows write one) is not text */
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    if (len - i >= 5 && memcmp(text + i, "date ", 5) == 0) {
        size_t d = i + 5;
        while (d < len && text[d] == ' ')
            d++;
        int32_t days;
        if (len - d < 10 || ds_parse_date(text + d, 10, &days)) {
            snprintf(err, errlen, "line 1: expected 'date YYYY-MM-DD'");
            return -1;
        }
        out->published = (int64_t)days * 86400000;
        i = d + 10;
        while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
            i++;
    }
    out->body = text + i;
    out->body_len = len - i;
    /* a title: a short first line followed by a blank line */
    const char *nl = memchr(out->body, '\n', out->body_len);
    if (nl) {
        size_t tl = (size_t)(nl - out->body);
        const char *after = nl + 1;
        size_t rest = out->body_len - tl - 1;
        if (tl > 0 && tl < 200 && rest > 0 && (after[0] == '\n' || (after[0] == '\r' && rest > 1 && after[1] == '\n'))) {
            out->title = out->body;
            out->title_len = tl && out->body[tl - 1] == '\r' ? tl - 1 : tl;
        }
    }
    return 0;
}

void ds_article_id_from_path(const char *path, char *out, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    ds_utf8_copy(out, cap, base, n);
}
