/* util.h: calendar arithmetic, hashing, array growth and small string
 * helpers shared by every module. All functions are thread-safe. */
#ifndef DS_UTIL_H
#define DS_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DS_NO_DATE INT32_MIN   /* an absent Avro date */
#define DS_NO_TIME INT64_MIN   /* an absent Avro timestamp-millis */

/* The dates and times dealstream accepts: years 1 .. 9999 (a date or
 * timestamp outside is invalid input, refused where it is decoded, so that
 * no arithmetic ever sees it). Days since 1970-01-01, ms since the epoch. */
#define DS_MIN_DAYS (-719162)  /* 0001-01-01 */
#define DS_MAX_DAYS 2932896    /* 9999-12-31 */
#define DS_MIN_MS ((int64_t)DS_MIN_DAYS * 86400000)
#define DS_MAX_MS ((int64_t)(DS_MAX_DAYS + 1) * 86400000 - 1)
static inline int ds_days_valid(int64_t days) { return days >= DS_MIN_DAYS && days <= DS_MAX_DAYS; }
static inline int ds_ms_valid(int64_t ms) { return ms >= DS_MIN_MS && ms <= DS_MAX_MS; }

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12). */
int32_t ds_days_from_civil(int y, int m, int d);
void ds_civil_from_days(int32_t days, int *y, int *m, int *d);
/* 0 = Monday .. 6 = Sunday. */
int ds_weekday(int32_t days);
/* Parses "YYYY-MM-DD" (exactly, validating the day of month, year 0001 ..
 * 9999) into days. Returns 0, or -1 when s is not such a date. */
int ds_parse_date(const char *s, size_t len, int32_t *days);
/* Formats days as "YYYY-MM-DD" into out (at least 11 bytes). */
void ds_format_date(int32_t days, char *out);
/* Wall clock in milliseconds since the epoch; monotonic clock in ms. */
int64_t ds_now_ms(void);
int64_t ds_mono_ms(void);

uint64_t ds_hash64(const void *data, size_t len, uint64_t seed);
/* Writes the low 64 bits of h as 16 lowercase hex digits plus NUL. */
void ds_hex64(uint64_t h, char out[17]);

/* Reads a whole file into a NUL-terminated malloc'd buffer. Returns NULL
 * (errno set) on failure. */
char *ds_read_file(const char *path, size_t *len);
/* The same for an open stream, read to its end. */
char *ds_read_stream(FILE *f, size_t *len);
/* Makes the array at *(T **)arrp, of capacity *cap elements of elem bytes,
 * hold at least need elements: the capacity doubles from first until it
 * does. Returns 0, or -1 (array and capacity unaltered) when out of memory
 * or when the size would overflow. Call as ds_reserve(&v, &cap, n + 1,
 * sizeof *v, 16) before appending v[n]. */
int ds_reserve(void *arrp, size_t *cap, size_t need, size_t elem, size_t first);
/* The length of the longest prefix of s[0..len) of at most max bytes that
 * ends on a UTF-8 character boundary: a multi-byte character that does not
 * fit whole, or that s itself leaves incomplete at the end, is left out.
 * (Bytes that are not UTF-8 at all are counted as single bytes.) */
size_t ds_utf8_prefix(const char *s, size_t len, size_t max);
/* Copies at most cap - 1 bytes of src[0..n) into dst, cut at a UTF-8
 * character boundary (ds_utf8_prefix), and NUL-terminates. Returns 1 if
 * anything was left out. Every fixed-size text field is filled through it,
 * so a long name never yields invalid UTF-8. */
int ds_utf8_copy(char *dst, size_t cap, const char *src, size_t n);
/* ds_utf8_copy of a NUL-terminated src: the bounded copy into fixed fields.
 * Returns 1 if truncated. */
int ds_strlcpy(char *dst, const char *src, size_t cap);
/* Parses a whole string as a signed decimal integer. Returns 0, or -1
 * (*v unaltered) when it is not one or does not fit. */
int ds_parse_i64(const char *s, int64_t *v);

#endif
