/* Shared helpers of common/util: ds_reserve, the one array growth every
 * module uses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reserve_appends),
        cmocka_unit_test(test_reserve_need_and_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
