/* Logs: --log-format json writes one JSON object per line with ts, level,
 * component and msg, and librdkafka's own log lines come through the same
 * logger as component "rdkafka:<facility>". */
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "config.h"
#include "kafka.h"
#include "log.h"

/* Sends fd 2 to a fresh temporary file; returns the saved stderr. */
static int capture_stderr(char *path, size_t cap)
{
    snprintf(path, cap, "/tmp/ds-test-log-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    assert_true(dup2(fd, STDERR_FILENO) >= 0);
    close(fd);
    return saved;
}

static void restore_stderr(int saved)
{
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

/* Checks that every line of text is a JSON object with the four fields;
 * returns how many lines have a component starting with prefix. */
static int check_json_lines(const char *text, const char *prefix, int *nlines)
{
    int hits = 0;
    *nlines = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl); /* every line is complete */
        json_error_t je;
        json_t *o = json_loadb(p, (size_t)(nl - p), 0, &je);
        if (!o)
            fail_msg("not JSON: %.*s (%s)", (int)(nl - p), p, je.text);
        assert_true(json_is_object(o));
        const char *ts = json_string_value(json_object_get(o, "ts"));
        const char *level = json_string_value(json_object_get(o, "level"));
        const char *comp = json_string_value(json_object_get(o, "component"));
        assert_non_null(ts);
        assert_non_null(level);
        assert_non_null(comp);
        assert_non_null(json_string_value(json_object_get(o, "msg")));
        assert_int_equal(strlen(ts), 24); /* 2026-11-22T12:00:00.000Z */
        assert_int_equal(ts[23], 'Z');
        assert_true(strcmp(level, "error") == 0 || strcmp(level, "warn") == 0 || strcmp(level, "info") == 0 ||
                    strcmp(level, "debug") == 0);
        if (strncmp(comp, prefix, strlen(prefix)) == 0)
            hits++;
        json_decref(o);
        (*nlines)++;
        p = nl + 1;
    }
    return hits;
}

static void test_json_line(void **state)
{
    (void)state;
    char path[64];
    assert_int_equal(ds_log_setup("info", "json"), 0);
    int saved = capture_stderr(path, sizeof path);
    ds_info("test", "quotes \"q\", a backslash \\ and\na newline");
    ds_debug("test", "not shown at info");
    ds_error("test", "%d", 42);
    restore_stderr(saved);
    char *text = slurp(path);
    unlink(path);
    int n;
    assert_int_equal(check_json_lines(text, "test", &n), 2);
    assert_int_equal(n, 2);
    json_t *o = json_loads(text, JSON_DISABLE_EOF_CHECK, NULL);
    assert_string_equal(json_string_value(json_object_get(o, "msg")), "quotes \"q\", a backslash \\ and\na newline");
    assert_string_equal(json_string_value(json_object_get(o, "level")), "info");
    json_decref(o);
    free(text);
    assert_int_equal(ds_log_setup("info", "text"), 0);
}

/* Escaping can triple a message's length, and a cut-off line is not JSON;
 * invalid UTF-8 (a truncated character, a foreign byte) must not turn the
 * line into "{}" either. */
static void test_json_long_and_bad_utf8(void **state)
{
    (void)state;
    char path[64];
    char quotes[2041];
    memset(quotes, '"', 2040);
    quotes[2040] = '\0';
    assert_int_equal(ds_log_setup("info", "json"), 0);
    int saved = capture_stderr(path, sizeof path);
    ds_warn("test", "%s", quotes);
    ds_warn("test", "bad \xff byte, cut \xc5");
    restore_stderr(saved);
    assert_int_equal(ds_log_setup("info", "text"), 0);
    char *text = slurp(path);
    unlink(path);
    int n;
    assert_int_equal(check_json_lines(text, "test", &n), 2);
    json_t *o = json_loads(text, JSON_DISABLE_EOF_CHECK, NULL);
    assert_int_equal(strlen(json_string_value(json_object_get(o, "msg"))), 2040);
    json_decref(o);
    o = json_loads(strchr(text, '\n') + 1, JSON_DISABLE_EOF_CHECK, NULL);
    assert_string_equal(json_string_value(json_object_get(o, "msg")), "bad ? byte, cut ?");
    json_decref(o);
    free(text);
}

static void test_rdkafka_logs_routed(void **state)
{
    (void)state;
    ds_config cfg;
    char err[512];
    /* nothing listens on port 1: librdkafka logs its connection attempts */
    char *argv[] = {"produce", "-b", "127.0.0.1:1", "-X", "debug=broker", NULL};
    assert_int_equal(ds_config_parse(&cfg, DS_CMD_PRODUCE, 5, argv, err, sizeof err), 0);
    rd_kafka_conf_t *conf = ds_kafka_conf(&cfg, err, sizeof err);
    assert_non_null(conf);
    assert_int_equal(ds_log_setup("debug", "json"), 0);
    char path[64];
    int saved = capture_stderr(path, sizeof path);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    assert_non_null(rk);
    conf = NULL; /* now owned by rk */
    int hits = 0, n = 0;
    for (int i = 0; i < 100 && hits == 0; i++) {
        rd_kafka_poll(rk, 50);
        char *text = slurp(path);
        const char *last = strrchr(text, '\n');
        if (last) {
            ((char *)last)[1] = '\0'; /* only complete lines */
            hits = check_json_lines(text, "rdkafka:", &n);
        }
        free(text);
    }
    rd_kafka_destroy(rk);
    restore_stderr(saved);
    assert_int_equal(ds_log_setup("info", "text"), 0);
    char *text = slurp(path);
    unlink(path);
    assert_true(hits > 0);
    assert_non_null(strstr(text, "\"component\":\"rdkafka:"));
    assert_non_null(strstr(text, "\"level\":\"debug\""));
    free(text);
    ds_config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_line),
        cmocka_unit_test(test_json_long_and_bad_utf8),
        cmocka_unit_test(test_rdkafka_logs_routed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
