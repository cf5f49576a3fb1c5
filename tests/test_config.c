/* Configuration: one table, four sources (flag > environment > file >
 * default), librdkafka pass-through, -X list / -X dump with secrets masked,
 * and the error messages an operator sees. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "consume.h"
#include "kafka.h"

static char tmpdir[] = "/tmp/ds-test-config-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static int parse(ds_config *cfg, unsigned cmd, char err[512], ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, err);
    for (char *a; (a = va_arg(ap, char *)) != NULL && argc < 31;)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    err[0] = '\0';
    return ds_config_parse(cfg, cmd, argc, argv, err, 512);
}

static const char *rdkafka_value(const ds_config *cfg, const char *key)
{
    for (size_t i = 0; i < cfg->nrdkafka; i++)
        if (strcmp(cfg->rdkafka[i].key, key) == 0)
            return cfg->rdkafka[i].value;
    return NULL;
}

static void test_precedence(void **state)
{
    (void)state;
    ds_config cfg;
    char err[512];
    const char *props = write_file("p.properties", "# comment\n"
                                                   "topic.articles = from-file\n"
                                                   "topic.deals=deals-file\n"
                                                   "commit.interval.ms=250\n");
    char *fpath = strdup(props);
    unsetenv("DEALSTREAM_TOPIC_ARTICLES");
    unsetenv("DEALSTREAM_TOPIC_DEALS");

    /* default */
    assert_int_equal(parse(&cfg, DS_CMD_RUN, err, "run", NULL), 0);
    assert_string_equal(cfg.articles_topic, "articles");
    assert_int_equal(cfg.commit_interval_ms, 100);
    ds_config_free(&cfg);

    /* file over default */
    assert_int_equal(parse(&cfg, DS_CMD_RUN, err, "run", "-F", fpath, NULL), 0);
    assert_string_equal(cfg.articles_topic, "from-file");
    assert_string_equal(cfg.deals_topic, "deals-file");
    assert_int_equal(cfg.commit_interval_ms, 250);
    ds_config_free(&cfg);

    /* environment over file */
    setenv("DEALSTREAM_TOPIC_ARTICLES", "from-env", 1);
    assert_int_equal(parse(&cfg, DS_CMD_RUN, err, "run", "-F", fpath, NULL), 0);
    assert_string_equal(cfg.articles_topic, "from-env");
    assert_string_equal(cfg.deals_topic, "deals-file");
    ds_config_free(&cfg);

    /* flag over environment, wherever the flag stands relative to -F */
    assert_int_equal(parse(&cfg, DS_CMD_RUN, err, "run", "--articles-topic", "from-flag", "-F", fpath, NULL), 0);
    assert_string_equal(cfg.articles_topic, "from-flag");
    ds_config_free(&cfg);
    assert_int_equal(parse(&cfg, DS_CMD_RUN, err, "run", "-F", fpath, "--articles-topic=from-flag2", NULL), 0);
    assert_string_equal(cfg.articles_topic, "from-flag2");
    ds_config_free(&cfg);
    unsetenv("DEALSTREAM_TOPIC_ARTICLES");

    /* the registry options come from all three sources too */
    setenv("DEALSTREAM_SCHEMA_REGISTRY_URL", "http://env:8081", 1);
    assert_int_equal(parse(&cfg, DS_CMD_CONSUME, err, "consume", NULL), 0);
    assert_string_equal(cfg.schema_registry_url, "http://env:8081");
    ds_config_free(&cfg);
    assert_int_equal(parse(&cfg, DS_CMD_CONSUME, err, "consume", "--schema-registry", "http://flag:8081", NULL), 0);
    assert_string_equal(cfg.schema_registry_url, "http://flag:8081");
    ds_config_free(&cfg);
    unsetenv("DEALSTREAM_SCHEMA_REGISTRY_URL");
    free(fpath);
}

static void test_passthrough(void **state)
{
    (void)state;
    ds_config cfg;
    char err[512];
    char *fpath = strdup(write_file("k.properties", "socket.timeout.ms=1234\n"
                                                    "linger.ms=1\n"
                                                    "schema.registry.url=http://file:8081\n"));
    assert_int_equal(parse(&cfg, DS_CMD_PRODUCE, err, "produce", "-F", fpath, "-X", "linger.ms=7", "-X",
                           "topic.articles=x-articles", "-b", "h1:9092", NULL),
                     0);
    /* unknown keys pass to librdkafka, -X replaces a file value, ours stay ours */
    assert_string_equal(rdkafka_value(&cfg, "socket.timeout.ms"), "1234");
    assert_string_equal(rdkafka_value(&cfg, "linger.ms"), "7");
    assert_string_equal(rdkafka_value(&cfg, "bootstrap.servers"), "h1:9092");
    assert_null(rdkafka_value(&cfg, "topic.articles"));
    assert_null(rdkafka_value(&cfg, "schema.registry.url"));
    assert_string_equal(cfg.articles_topic, "x-articles");
    assert_string_equal(cfg.schema_registry_url, "http://file:8081");
    assert_int_equal(cfg.xlist, 0);
    assert_int_equal(cfg.xdump, 0);
    ds_config_free(&cfg);

    assert_int_equal(parse(&cfg, DS_CMD_CONSUME, err, "consume", "-X", "list", "-X", "dump", NULL), 0);
    assert_int_equal(cfg.xlist, 1);
    assert_int_equal(cfg.xdump, 1);
    assert_int_equal(cfg.nrdkafka, 0);
    ds_config_free(&cfg);
    free(fpath);
}

/* Our preferred client settings (linger.ms) never override the user's. */
static void test_user_settings_win(void **state)
{
    (void)state;
    for (int given = 0; given < 2; given++) {
        char *argv[] = {"run", "-b", "localhost:9092", "-X", "linger.ms=77", NULL};
        ds_config cfg;
        char err[512], v[32];
        size_t vl = sizeof v;
        assert_int_equal(ds_config_parse(&cfg, DS_CMD_RUN, given ? 5 : 3, argv, err, sizeof err), 0);
        rd_kafka_conf_t *conf = ds_kafka_conf(&cfg, err, sizeof err);
        assert_non_null(conf);
        assert_int_equal(ds_kafka_default(conf, &cfg, "linger.ms", "5", err, sizeof err), 0);
        assert_int_equal(rd_kafka_conf_get(conf, "linger.ms", v, &vl), RD_KAFKA_CONF_OK);
        assert_string_equal(v, given ? "77" : "5");
        rd_kafka_conf_destroy(conf);
        ds_config_free(&cfg);
    }
}

static void test_errors(void **state)
{
    (void)state;
    ds_config cfg;
    char err[512];
    assert_int_equal(parse(&cfg, DS_CMD_RUN, err, "run", "--no-such-flag", NULL), -1);
    assert_string_equal(err, "unknown option '--no-such-flag' (try --help)");
    ds_config_free(&cfg);
    assert_int_equal(parse(&cfg, DS_CMD_RUN, err, "run", "-Z", NULL), -1);
    assert_string_equal(err, "unknown option '-Z' (try --help)");
    ds_config_free(&cfg);
    /* an option of another command is unknown here */
    assert_int_equal(parse(&cfg, DS_CMD_CONSUME, err, "consume", "--partitions", "3", NULL), -1);
    assert_string_equal(err, "unknown option '--partitions' (try --help)");
    ds_config_free(&cfg);
    /* kcat's offset forms are checked by consume, which names the form */
    assert_int_equal(parse(&cfg, DS_CMD_CONSUME, err, "consume", "-o", "middle", NULL), 0);
    ds_consume_range range;
    assert_int_equal(ds_consume_parse_range(cfg.offset, &range, err, 512), -1);
    assert_string_equal(err, "-o middle: expected beginning, end, stored, N, -N, s@MS or e@MS");
    ds_config_free(&cfg);
    assert_int_equal(parse(&cfg, DS_CMD_CONSUME, err, "consume", "-X", "novalue", NULL), -1);
    assert_string_equal(err, "-X novalue: expected key=value");
    ds_config_free(&cfg);
    assert_int_equal(parse(&cfg, DS_CMD_CONSUME, err, "consume", "--topic", NULL), -1);
    assert_string_equal(err, "option '--topic' needs a value");
    ds_config_free(&cfg);

    /* properties files: errors name file and line */
    char *p1 = strdup(write_file("bad1.properties", "# ok\n\nconsume.offset=end\nthis line has no equals\n"));
    assert_int_equal(parse(&cfg, DS_CMD_CONSUME, err, "consume", "-F", p1, NULL), -1);
    char want[1024];
    snprintf(want, sizeof want, "%s:4: expected key=value", p1);
    assert_string_equal(err, want);
    ds_config_free(&cfg);
    char *p2 = strdup(write_file("bad2.properties", "consume.count=-3\n"));
    assert_int_equal(parse(&cfg, DS_CMD_CONSUME, err, "consume", "-F", p2, NULL), -1);
    snprintf(want, sizeof want, "%s:1: '-3' is not a non-negative integer (consume.count)", p2);
    assert_string_equal(err, want);
    ds_config_free(&cfg);
    assert_int_equal(parse(&cfg, DS_CMD_CONSUME, err, "consume", "-F", "/nonexistent/x.properties", NULL), -1);
    assert_string_equal(err, "/nonexistent/x.properties: No such file or directory");
    ds_config_free(&cfg);
    free(p1);
    free(p2);
}

/* -F reads only a regular file of at most 1 MiB: a device would never end,
 * a directory would read as empty, a FIFO would block. */
static void test_properties_file_kind(void **state)
{
    (void)state;
    ds_config cfg;
    char err[512];
    assert_int_equal(parse(&cfg, DS_CMD_CONSUME, err, "consume", "-F", "/dev/zero", NULL), -1);
    assert_string_equal(err, "/dev/zero: not a regular file (a properties file is expected)");
    ds_config_free(&cfg);
    assert_int_equal(parse(&cfg, DS_CMD_CONSUME, err, "consume", "-F", tmpdir, NULL), -1);
    char want[1024];
    snprintf(want, sizeof want, "%s: not a regular file (a properties file is expected)", tmpdir);
    assert_string_equal(err, want);
    ds_config_free(&cfg);
    char fifo[600];
    snprintf(fifo, sizeof fifo, "%s/fifo.properties", tmpdir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(parse(&cfg, DS_CMD_CONSUME, err, "consume", "-F", fifo, NULL), -1);
    snprintf(want, sizeof want, "%s: not a regular file (a properties file is expected)", fifo);
    assert_string_equal(err, want);
    ds_config_free(&cfg);
    /* one byte over 1 MiB of comments */
    char *big = malloc(DS_CONFIG_FILE_MAX + 2);
    memset(big, '#', DS_CONFIG_FILE_MAX + 1);
    big[DS_CONFIG_FILE_MAX + 1] = '\0';
    for (size_t i = 100; i < DS_CONFIG_FILE_MAX; i += 100)
        big[i] = '\n';
    char *p3 = strdup(write_file("big.properties", big));
    assert_int_equal(parse(&cfg, DS_CMD_CONSUME, err, "consume", "-F", p3, NULL), -1);
    snprintf(want, sizeof want, "%s: longer than 1048576 bytes (a properties file is expected)", p3);
    assert_string_equal(err, want);
    ds_config_free(&cfg);
    /* exactly 1 MiB is read */
    big[DS_CONFIG_FILE_MAX - 1] = '\n';
    big[DS_CONFIG_FILE_MAX] = '\0';
    write_file("big.properties", big);
    assert_int_equal(parse(&cfg, DS_CMD_CONSUME, err, "consume", "-F", p3, NULL), 0);
    ds_config_free(&cfg);
    free(big);
    free(p3);
}

static void test_env_errors(void **state)
{
    (void)state;
    ds_config cfg;
    char err[512];
    /* a bad environment value names the variable */
    setenv("DEALSTREAM_CONSUME_COUNT", "many", 1);
    assert_int_equal(parse(&cfg, DS_CMD_CONSUME, err, "consume", NULL), -1);
    assert_string_equal(err, "DEALSTREAM_CONSUME_COUNT: 'many' is not a non-negative integer (consume.count)");
    ds_config_free(&cfg);
    unsetenv("DEALSTREAM_CONSUME_COUNT");
}

static char *dump_of(ds_config *cfg, unsigned cmd, int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    char err[512] = "";
    ds_config_dump(f, cfg, cmd);
    *rc = ds_kafka_conf_dump(cfg, f, err, sizeof err);
    fclose(f);
    return buf;
}

static void test_dump_masks_secrets(void **state)
{
    (void)state;
    assert_true(ds_config_is_secret("sasl.password"));
    assert_true(ds_config_is_secret("ssl.key.password"));
    assert_true(ds_config_is_secret("ssl.key.pem"));
    assert_true(ds_config_is_secret("sasl.oauthbearer.client.secret"));
    assert_true(ds_config_is_secret("sasl.oauthbearer.config"));
    assert_true(ds_config_is_secret("schema.registry.basic.auth.user.info"));
    assert_false(ds_config_is_secret("sasl.username"));
    assert_false(ds_config_is_secret("bootstrap.servers"));

    ds_config cfg;
    char err[512];
    assert_int_equal(parse(&cfg, DS_CMD_CONSUME, err, "consume", "-b", "k1:9092", "-t", "deals", "-X",
                           "security.protocol=sasl_ssl", "-X", "sasl.mechanisms=PLAIN", "-X",
                           "sasl.username=alice", "-X", "sasl.password=hunter2", "-X",
                           "ssl.key.password=hunter3", "--schema-registry-auth", "bob:hunter4", "-X", "dump",
                           NULL),
                     0);
    int rc;
    char *out = dump_of(&cfg, DS_CMD_CONSUME, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "\ntopic = deals\n"));
    assert_non_null(strstr(out, "\nschema.registry.basic.auth.user.info = ****\n"));
    assert_non_null(strstr(out, "\nbootstrap.servers = k1:9092\n"));
    assert_non_null(strstr(out, "\nsasl.username = alice\n"));
    assert_non_null(strstr(out, "\nsasl.password = ****\n"));
    assert_non_null(strstr(out, "\nssl.key.password = ****\n"));
    assert_non_null(strstr(out, "\nsecurity.protocol = sasl_ssl\n"));
    /* defaults are part of the effective configuration */
    assert_non_null(strstr(out, "\nsocket.timeout.ms = 60000\n"));
    assert_null(strstr(out, "hunter"));
    free(out);
    ds_config_free(&cfg);

    /* librdkafka rejects what it does not know; the dump says so */
    assert_int_equal(parse(&cfg, DS_CMD_CONSUME, err, "consume", "-X", "no.such.property=1", NULL), 0);
    out = dump_of(&cfg, DS_CMD_CONSUME, &rc);
    assert_int_equal(rc, -1);
    free(out);
    ds_config_free(&cfg);
}

/* Runs the binary with a shell command line; returns its exit code and
 * its stdout in *out. */
static int run_bin(const char *args, char **out)
{
    const char *bin = getenv("DS_BIN");
    if (!bin)
        bin = "./dealstream";
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s 2>/dev/null", bin, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 4096)
            buf = realloc(buf, cap *= 2);
    }
    buf[len] = '\0';
    int st = pclose(p);
    *out = buf;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_cli_list_and_dump(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(run_bin("consume -X list", &out), 0);
    assert_non_null(strstr(out, "bootstrap.servers"));
    assert_non_null(strstr(out, "sasl.mechanisms"));
    free(out);
    assert_int_equal(run_bin("produce -b k:1 -X sasl.password=s3cr3t -X dump", &out), 0);
    assert_non_null(strstr(out, "sasl.password = ****"));
    assert_non_null(strstr(out, "bootstrap.servers = k:1"));
    assert_null(strstr(out, "s3cr3t"));
    free(out);
    assert_int_equal(run_bin("produce -X no.such.property=1 -X dump", &out), 2);
    free(out);
    assert_int_equal(run_bin("run --no-such-flag", &out), 2);
    free(out);
}

/* Parsing as kcat's getopt does: grouped short flags, attached values, a
 * short flag that means different things to different commands, repeated
 * -o joined, and the defaults that follow from the options. */
static void test_kcat_flags(void **state)
{
    (void)state;
    ds_config cfg;
    char err[512];
    assert_int_equal(parse(&cfg, DS_CMD_CONSUME, err, "consume", "-qe", "-c10", "-p", "1,2", "-o", "s@1000", "-o",
                           "e@2000", "-J", NULL),
                     0);
    assert_true(cfg.quiet);
    assert_true(cfg.exit_at_end);
    assert_int_equal(cfg.count, 10);
    assert_string_equal(cfg.partition, "1,2");
    assert_string_equal(cfg.offset, "s@1000,e@2000");
    assert_true(cfg.envelope);
    assert_string_equal(cfg.log_level, "error"); /* -q */
    ds_consume_range range;
    assert_int_equal(ds_consume_parse_range(cfg.offset, &range, err, sizeof err), 0);
    assert_int_equal(range.from, DS_FROM_TIME);
    assert_int_equal(range.value, 1000);
    assert_int_equal(range.end_ms, 2000);
    ds_config_free(&cfg);
    /* -p is the embedded broker's partition count for broker */
    assert_int_equal(parse(&cfg, DS_CMD_BROKER, err, "broker", "-p", "3", NULL), 0);
    assert_int_equal(cfg.partitions, 3);
    assert_null(cfg.partition);
    ds_config_free(&cfg);
    assert_int_equal(parse(&cfg, DS_CMD_CONSUME, err, "consume", "-qz", NULL), -1);
    assert_string_equal(err, "unknown option '-z' in '-qz' (try --help)");
    ds_config_free(&cfg);

    /* the offset forms */
    static const struct {
        const char *spec;
        ds_from from;
        int64_t value, end_ms;
    } ok[] = {{"beginning", DS_FROM_BEGINNING, 0, -1}, {"end", DS_FROM_END, 0, -1},
              {"stored", DS_FROM_STORED, 0, -1},       {"42", DS_FROM_OFFSET, 42, -1},
              {"-3", DS_FROM_TAIL, 3, -1},             {"e@99", DS_FROM_BEGINNING, 0, 99}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(ds_consume_parse_range(ok[i].spec, &range, err, sizeof err), 0);
        assert_int_equal(range.from, ok[i].from);
        assert_int_equal(range.end_ms, ok[i].end_ms);
        if (ok[i].from == DS_FROM_OFFSET || ok[i].from == DS_FROM_TAIL)
            assert_int_equal(range.value, ok[i].value);
    }
    assert_int_equal(ds_consume_parse_range("-0", &range, err, sizeof err), -1);
    assert_int_equal(ds_consume_parse_range("s@x", &range, err, sizeof err), -1);
    assert_string_equal(err, "-o s@x: expected s@MS, MS a time in ms since the epoch");
    assert_int_equal(ds_consume_parse_range("end,beginning", &range, err, sizeof err), -1);
    assert_non_null(strstr(err, "more than one start"));
}

/* run's client.id is <app>-<host>-<pid> unless given; the catalog defaults
 * to the build tree's share/dealstream/catalog, found next to the binary. */
static void test_derived_defaults(void **state)
{
    (void)state;
    ds_config cfg;
    char err[512], want[512], host[256] = "";
    gethostname(host, sizeof host - 1);
    assert_int_equal(parse(&cfg, DS_CMD_RUN, err, "run", "--app-id", "proc", NULL), 0);
    snprintf(want, sizeof want, "proc-%s-%ld", host, (long)getpid());
    assert_string_equal(rdkafka_value(&cfg, "client.id"), want);
    ds_config_free(&cfg);
    assert_int_equal(parse(&cfg, DS_CMD_RUN, err, "run", "-X", "client.id=mine", NULL), 0);
    assert_string_equal(rdkafka_value(&cfg, "client.id"), "mine");
    ds_config_free(&cfg);
    assert_int_equal(parse(&cfg, DS_CMD_CONSUME, err, "consume", NULL), 0);
    assert_null(rdkafka_value(&cfg, "client.id")); /* only the processor's instances need telling apart */
    ds_config_free(&cfg);

    char *saved = getenv("DEALSTREAM_CATALOG_DIR") ? strdup(getenv("DEALSTREAM_CATALOG_DIR")) : NULL;
    unsetenv("DEALSTREAM_CATALOG_DIR");
    assert_int_equal(parse(&cfg, DS_CMD_EXTRACT, err, "extract", NULL), 0);
    assert_non_null(cfg.catalog_dir);
    assert_non_null(strstr(cfg.catalog_dir, "/share/dealstream/catalog"));
    assert_int_equal(ds_config_check_catalog(&cfg, err, sizeof err), 0);
    ds_config_free(&cfg);
    assert_int_equal(parse(&cfg, DS_CMD_EXTRACT, err, "extract", "--catalog", "/nonexistent/cat", NULL), 0);
    assert_int_equal(ds_config_check_catalog(&cfg, err, sizeof err), -1);
    assert_string_equal(err, "catalog /nonexistent/cat: cannot open countries.tsv (No such file or directory); give "
                             "--catalog DIR or set DEALSTREAM_CATALOG_DIR");
    ds_config_free(&cfg);
    if (saved)
        setenv("DEALSTREAM_CATALOG_DIR", saved, 1);
    free(saved);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_passthrough),
        cmocka_unit_test(test_user_settings_win),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_properties_file_kind),
        cmocka_unit_test(test_env_errors),
        cmocka_unit_test(test_dump_masks_secrets),
        cmocka_unit_test(test_cli_list_and_dump),
        cmocka_unit_test(test_kcat_flags),
        cmocka_unit_test(test_derived_defaults),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
