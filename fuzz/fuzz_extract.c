/* fuzz_extract: the bytes are an article file. ds_article_parse_text splits
 * off the date line and title; the body (or, when the date line is invalid,
 * the whole input) goes to ds_extract. Seeds: the tests/corpus articles. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "catalog.h"
#include "extract.h"
#include "util.h"

static ds_catalog *cat;
static ds_extractor *ex;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[512];
    const char *dir = getenv("DEALSTREAM_CATALOG_DIR");
    cat = ds_catalog_load(dir ? dir : DS_DATA_DIR "/catalog", err, sizeof err);
    if (!cat) {
        fprintf(stderr, "fuzz_extract: %s\n", err);
        abort();
    }
    ex = ds_extractor_new(cat);
    if (!ex)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* libFuzzer's buffer is exactly size bytes: ASan sees any over-read of
     * the body, which ds_extract must not take as NUL-terminated. */
    const char *text = (const char *)data;
    ds_text_article ta;
    char err[256];
    ds_article a = {"fuzz", "fuzz-outlet", NULL, text, size, DS_NO_TIME};
    if (ds_article_parse_text(text, size, &ta, err, sizeof err) == 0) {
        if (ta.body < text || ta.body + ta.body_len != text + size)
            abort(); /* the body must be a suffix of the input */
        if (ta.title && (ta.title != ta.body || ta.title_len > ta.body_len))
            abort();
        a.body = ta.body;
        a.len = ta.body_len;
        a.published = ta.published;
        /* ds_article.title is a C string: give it one. */
        static char title[256];
        if (ta.title) {
            size_t n = ta.title_len < sizeof title - 1 ? ta.title_len : sizeof title - 1;
            memcpy(title, ta.title, n);
            title[n] = '\0';
            a.title = title;
        }
    }
    const ds_mention *ms = NULL;
    int n = ds_extract(ex, &a, &ms, err, sizeof err);
    if (n < -2 || (n > 0 && !ms))
        abort();
    /* Touch every mention so that a bad pointer or uninitialised span shows. */
    for (int i = 0; i < n; i++) {
        for (int e = 0; e < ms[i].nevidence && e < DS_MAX_EVIDENCE; e++) {
            const ds_evidence *ev = &ms[i].evidence[e];
            if (ev->start < 0 || ev->end < ev->start || (size_t)ev->end > a.len) {
                fprintf(stderr, "fuzz_extract: mention %d evidence %d (%s) span %d..%d outside 0..%zu\n", i, e,
                        ev->field, (int)ev->start, (int)ev->end, a.len);
                abort();
            }
        }
    }
    return 0;
}
