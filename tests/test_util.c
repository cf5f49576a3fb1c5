/* Shared helpers of common/util: ds_reserve, the one array growth every
 * module uses, and the UTF-8-safe copy into fixed fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

/* Appending one at a time doubles from the first capacity and keeps what was
 * written. */
static void test_reserve_appends(void **state)
{
    (void)state;
    int *v = NULL;
    size_t n = 0, cap = 0;
    size_t caps[5] = {0};
    int ncaps = 0;
    for (int i = 0; i < 40; i++) {
        size_t before = cap;
        assert_int_equal(ds_reserve(&v, &cap, n + 1, sizeof *v, 4), 0);
        if (cap != before)
            caps[ncaps++] = cap;
        v[n++] = i * 3;
    }
    assert_int_equal(ncaps, 5);
    assert_int_equal(caps[0], 4);
    assert_int_equal(caps[1], 8);
    assert_int_equal(caps[4], 64);
    for (int i = 0; i < 40; i++)
        assert_int_equal(v[i], i * 3);
    free(v);
}

/* One call reaches a larger need at once; a need within the capacity changes
 * nothing; a size that would overflow is refused with the array untouched. */
static void test_reserve_need_and_overflow(void **state)
{
    (void)state;
    double *v = NULL;
    size_t cap = 0;
    assert_int_equal(ds_reserve(&v, &cap, 100, sizeof *v, 16), 0);
    assert_int_equal(cap, 128);
    v[99] = 1.5;
    double *same = v;
    assert_int_equal(ds_reserve(&v, &cap, 128, sizeof *v, 16), 0);
    assert_ptr_equal(v, same);
    assert_int_equal(cap, 128);
    assert_int_equal(ds_reserve(&v, &cap, SIZE_MAX / 4, sizeof *v, 16), -1);
    assert_ptr_equal(v, same);
    assert_int_equal(cap, 128);
    assert_int_equal(ds_reserve(&v, &cap, SIZE_MAX, sizeof *v, 16), -1);
    assert_int_equal(cap, 128);
    assert_true(v[99] == 1.5);
    free(v);
}

/* Whether s is valid UTF-8 (no overlongs, surrogates or code points over
 * U+10FFFF), as a reader of the output would check it. */
static int utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p, n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 9;
        if (n == 9 || (n == 1 && c < 0xC2))
            return 0;
        unsigned cp = n ? c & (0x3F >> n) : c;
        for (unsigned i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (p[i] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        p += n + 1;
    }
    return 1;
}

static char *repeat(const char *unit, int times)
{
    size_t ul = strlen(unit);
    char *s = malloc(ul * (size_t)times + 1);
    for (int i = 0; i < times; i++)
        memcpy(s + ul * (size_t)i, unit, ul);
    s[ul * (size_t)times] = '\0';
    return s;
}

/* Truncation never splits a character: 30 "Ł" (2 bytes each) in a place of
 * 48 bytes keep 23, 40 in an outlet of 64 keep 31, Korean (3 bytes) keeps
 * whole syllables, a 4-byte character goes whole or not at all. */
static void test_strlcpy_utf8(void **state)
{
    (void)state;
    char place[48], outlet[64], ref[24];
    char *l30 = repeat("\xc5\x81", 30), *l40 = repeat("\xc5\x81", 40);
    assert_int_equal(ds_strlcpy(place, l30, sizeof place), 1);
    assert_int_equal(strlen(place), 46);
    assert_true(utf8_valid(place));
    assert_int_equal(ds_strlcpy(outlet, l40, sizeof outlet), 1);
    assert_int_equal(strlen(outlet), 62);
    assert_true(utf8_valid(outlet));
    char *ko = repeat("\xec\x97\xb0\xed\x95\xa9\xeb\x89\xb4\xec\x8a\xa4 ", 10); /* "연합뉴스 " x 10 */
    assert_int_equal(ds_strlcpy(outlet, ko, sizeof outlet), 1);
    assert_int_equal(strlen(outlet), 61); /* 4 x 13 bytes, then 3 syllables: 52 + 9 */
    assert_true(utf8_valid(outlet));
    assert_int_equal(memcmp(outlet, ko, 61), 0);
    /* "ABCDEFGHIJKLMNOPQRSTU" + U+1F600 (4 bytes) in 24: 21 + 4 > 23 */
    assert_int_equal(ds_strlcpy(ref, "ABCDEFGHIJKLMNOPQRSTU\xf0\x9f\x98\x80", sizeof ref), 1);
    assert_string_equal(ref, "ABCDEFGHIJKLMNOPQRSTU");
    assert_int_equal(ds_strlcpy(ref, "ABCDEFGHIJKLMNOPQRS\xf0\x9f\x98\x80", sizeof ref), 0);
    assert_string_equal(ref, "ABCDEFGHIJKLMNOPQRS\xf0\x9f\x98\x80");
    /* what fits is copied whole; ASCII is cut at the byte */
    assert_int_equal(ds_strlcpy(ref, "K9A1", sizeof ref), 0);
    assert_string_equal(ref, "K9A1");
    assert_int_equal(ds_strlcpy(ref, "0123456789012345678901234567", sizeof ref), 1);
    assert_string_equal(ref, "01234567890123456789012");
    assert_int_equal(ds_strlcpy(ref, "x", 0), 1);
    free(l30);
    free(l40);
    free(ko);
}

/* The prefix helper also drops a character the source itself leaves
 * incomplete (a span cut by bytes before it reached the copy), and counts
 * bytes that are no UTF-8 at all singly. */
static void test_utf8_prefix(void **state)
{
    (void)state;
    assert_int_equal(ds_utf8_prefix("ab\xc5\x81", 4, 4), 4);
    assert_int_equal(ds_utf8_prefix("ab\xc5\x81", 4, 3), 2);
    assert_int_equal(ds_utf8_prefix("ab\xc5", 3, 10), 2);
    assert_int_equal(ds_utf8_prefix("ab\xe2\x82", 4, 10), 2);
    assert_int_equal(ds_utf8_prefix("ab\xe2\x82\xac", 5, 10), 5);
    assert_int_equal(ds_utf8_prefix("\x80\x80\x80\x80\x80", 5, 4), 4);
    assert_int_equal(ds_utf8_prefix("", 0, 4), 0);
    char dst[8];
    assert_int_equal(ds_utf8_copy(dst, sizeof dst, "abc\xc5\x81xyz", 5), 0);
    assert_string_equal(dst, "abc\xc5\x81");
    assert_int_equal(ds_utf8_copy(dst, sizeof dst, "abc\xc5\x81xyz", 4), 1);
    assert_string_equal(dst, "abc");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reserve_appends),
        cmocka_unit_test(test_reserve_need_and_overflow),
        cmocka_unit_test(test_strlcpy_utf8),
        cmocka_unit_test(test_utf8_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
