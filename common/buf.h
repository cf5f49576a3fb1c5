/* buf.h: a growable byte buffer.
 *
 * A ds_buf owns its data. ds_buf_init() makes an empty buffer that allocates
 * nothing; ds_buf_free() releases the data and leaves an empty buffer, so a
 * buffer can be reused. Functions that grow the buffer return 0, or -1 when
 * memory is exhausted, leaving the contents unaltered. */
#ifndef DS_BUF_H
#define DS_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct ds_buf {
    char *data;
    size_t len;
    size_t cap;
} ds_buf;

void ds_buf_init(ds_buf *b);
void ds_buf_free(ds_buf *b);
/* Empties the buffer, keeping its allocation. */
static inline void ds_buf_reset(ds_buf *b) { b->len = 0; }
/* Ensures room for n more bytes. */
int ds_buf_reserve(ds_buf *b, size_t n);
/* ds_buf_append when the buffer must grow first (its out-of-line part). */
int ds_buf_append_grow(ds_buf *b, const void *p, size_t n);
/* Appends n bytes of p, keeping the contents NUL-terminated. Inline: the
 * codecs and the resolver's content hash append a field at a time. */
static inline int ds_buf_append(ds_buf *b, const void *p, size_t n)
{
    if (b->cap - b->len <= n)
        return ds_buf_append_grow(b, p, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}
int ds_buf_append_str(ds_buf *b, const char *s);
static inline int ds_buf_putc(ds_buf *b, char c) { return ds_buf_append(b, &c, 1); }
/* printf-style append. */
int ds_buf_printf(ds_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the contents as a NUL-terminated string (the NUL is not counted in len). */
const char *ds_buf_cstr(ds_buf *b);

#endif
