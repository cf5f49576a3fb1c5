/* buf.c: growable byte buffers (see buf.h). Depends on nothing of the
 * project. */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ds_buf_init(ds_buf *b) { b->data = NULL; b->len = b->cap = 0; }

void ds_buf_free(ds_buf *b)
{
    free(b->data);
    ds_buf_init(b);
}

int ds_buf_reserve(ds_buf *b, size_t n)
{
    if (b->cap - b->len > n)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap - b->len <= n) {
        if (cap > SIZE_MAX / 2)
            return -1;
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int ds_buf_append_grow(ds_buf *b, const void *p, size_t n)
{
    if (ds_buf_reserve(b, n))
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int ds_buf_append_str(ds_buf *b, const char *s) { return ds_buf_append(b, s, strlen(s)); }

int ds_buf_printf(ds_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || ds_buf_reserve(b, (size_t)n))
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

const char *ds_buf_cstr(ds_buf *b)
{
    if (ds_buf_reserve(b, 0))
        return "";
    b->data[b->len] = '\0';
    return b->data;
}
