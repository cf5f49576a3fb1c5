/* The changelog key of a chunk (ds_state_key): what snprintf "%s#%u"
 * writes, "%s" for chunk 0, cut to the buffer the same way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "state.h"

static void test_keys(void **state)
{
    (void)state;
    char key[300];
    ds_state_key("POL|KOR|K2", 0, key, sizeof key);
    assert_string_equal(key, "POL|KOR|K2");
    ds_state_key("POL|KOR|K2", 1, key, sizeof key);
    assert_string_equal(key, "POL|KOR|K2#1");
    ds_state_key("POL|KOR|K2", 4294967295u, key, sizeof key);
    assert_string_equal(key, "POL|KOR|K2#4294967295");
    ds_state_key("", 70, key, sizeof key);
    assert_string_equal(key, "#70");
}

/* Every buffer size, every chunk of a few digits' width: the bytes
 * snprintf writes, and nothing past them. */
static void test_cut_like_snprintf(void **state)
{
    (void)state;
    const char *blocks[] = {"", "A", "POL|KOR|K2", "ROU|KOR|K9|\xc5\x81\xc3\xb3" "d\xc5\xba"};
    const uint32_t chunks[] = {0, 1, 9, 10, 99, 12345, 4294967295u};
    for (size_t b = 0; b < sizeof blocks / sizeof *blocks; b++)
        for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++)
            for (size_t cap = 0; cap < 40; cap++) {
                char want[48], got[48];
                memset(want, 'z', sizeof want);
                memset(got, 'z', sizeof got);
                if (chunks[c])
                    snprintf(want, cap, "%s#%u", blocks[b], (unsigned)chunks[c]);
                else
                    snprintf(want, cap, "%s", blocks[b]);
                ds_state_key(blocks[b], chunks[c], got, cap);
                assert_memory_equal(got, want, sizeof got);
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_cut_like_snprintf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
