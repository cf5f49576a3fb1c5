/* util.c: calendar arithmetic, hashing, array growth, string helpers (see
 * util.h). Depends on nothing of the project. */
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

/* Howard Hinnant's days_from_civil / civil_from_days. */
int32_t ds_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + (int)doe - 719468);
}

void ds_civil_from_days(int32_t z0, int *y, int *m, int *d)
{
    int64_t z = (int64_t)z0 + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

int ds_weekday(int32_t days)
{
    /* 1970-01-01 was a Thursday (3). */
    int w = (int)((days % 7 + 7 + 3) % 7);
    return w;
}

int ds_parse_date(const char *s, size_t len, int32_t *days)
{
    if (len != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    int v[3] = {0, 0, 0};
    const int pos[3][2] = {{0, 4}, {5, 7}, {8, 10}};
    for (int k = 0; k < 3; k++)
        for (int i = pos[k][0]; i < pos[k][1]; i++) {
            if (s[i] < '0' || s[i] > '9')
                return -1;
            v[k] = v[k] * 10 + (s[i] - '0');
        }
    if (v[0] < 1 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31)
        return -1;
    int32_t dd = ds_days_from_civil(v[0], v[1], v[2]);
    int y, m, d;
    ds_civil_from_days(dd, &y, &m, &d);
    if (y != v[0] || m != v[1] || d != v[2])
        return -1; /* e.g. 2025-02-30 */
    *days = dd;
    return 0;
}

void ds_format_date(int32_t days, char *out)
{
    int y, m, d;
    ds_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999)
        y = 0;
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = '\0';
}

int64_t ds_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ds_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t ds_hash64(const void *data, size_t len, uint64_t seed)
{
    return XXH64(data, len, seed);
}

void ds_hex64(uint64_t h, char out[17])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--) {
        out[i] = hex[h & 15];
        h >>= 4;
    }
    out[16] = '\0';
}

char *ds_read_stream(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0)
            break;
        if (cap - n - 1 == 0) {
            char *p = realloc(buf, cap * 2);
            if (!p) {
                free(buf);
                buf = NULL;
                errno = ENOMEM;
                break;
            }
            buf = p;
            cap *= 2;
        }
    }
    if (buf && ferror(f)) {
        int e = errno;
        free(buf);
        buf = NULL;
        errno = e ? e : EIO;
    }
    if (!buf)
        return NULL;
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

char *ds_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = ds_read_stream(f, len);
    int e = errno;
    fclose(f);
    errno = e;
    return buf;
}

size_t ds_utf8_prefix(const char *s, size_t len, size_t max)
{
    size_t n = len < max ? len : max;
    size_t i = n, cont = 0;
    /* back over the continuation bytes of the last character (at most 3) */
    while (i > 0 && cont < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) {
        i--;
        cont++;
    }
    if (i == 0)
        return n;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (lead >= 0xC0 && need > cont + 1)
        return i - 1; /* its last character does not fit whole */
    return n;
}

int ds_utf8_copy(char *dst, size_t cap, const char *src, size_t n)
{
    if (cap == 0)
        return n > 0;
    size_t c = ds_utf8_prefix(src, n, cap - 1);
    memcpy(dst, src, c);
    dst[c] = '\0';
    return c < n;
}

int ds_strlcpy(char *dst, const char *src, size_t cap) { return ds_utf8_copy(dst, cap, src, strlen(src)); }

int ds_reserve(void *arrp, size_t *cap, size_t need, size_t elem, size_t first)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : first ? first : 1;
    while (nc < need) {
        if (nc > SIZE_MAX / 2)
            return -1;
        nc *= 2;
    }
    if (nc > SIZE_MAX / elem)
        return -1;
    void *old, *p;
    memcpy(&old, arrp, sizeof old); /* arrp points at a T *; object pointers share one representation */
    if (!(p = realloc(old, nc * elem)))
        return -1;
    memcpy(arrp, &p, sizeof p);
    *cap = nc;
    return 0;
}

int ds_parse_i64(const char *s, int64_t *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *v = x;
    return 0;
}
