/* The command line as an operator meets it, through the binary: --version,
 * --help per command (each option described for that command), usage
 * errors exiting 2 everywhere, an unreachable broker in one line, catalog
 * errors that say how to give one, the demo's description of links, and
 * text articles without a date line: accepted, warned about and counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <uv.h>

#include "demo.h"
#include "util.h"

/* Runs a shell command line ($DS_BIN is the binary); returns its exit code
 * and its stdout in *out (malloc'd). */
static int run_sh(const char *cmd, char **out)
{
    assert_non_null(getenv("DS_BIN"));
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len;
    *out = ds_read_stream(p, &len);
    assert_non_null(*out);
    int st = pclose(p);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

/* `dealstream ARGS`, with stderr in *out too when merge is set. */
static int run_bin(const char *args, int merge, char **out)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "\"$DS_BIN\" %s %s", args, merge ? "2>&1" : "2>/dev/null");
    return run_sh(cmd, out);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* The help of an option: from "  -x, --flag" or "      --flag" to the end
 * of its description, its wrapped lines joined by spaces (a static copy). */
static const char *help_line(const char *help, const char *flag)
{
    static char line[4096];
    char needle[64];
    snprintf(needle, sizeof needle, "--%s ", flag);
    const char *p = strstr(help, needle);
    if (!p) {
        snprintf(needle, sizeof needle, "--%s\n", flag);
        p = strstr(help, needle);
    }
    assert_non_null(p);
    size_t n = 0;
    for (;;) {
        const char *nl = strchr(p, '\n');
        n += (size_t)snprintf(line + n, sizeof line - n, "%s%.*s", n ? " " : "", (int)(nl - p), p);
        if (strncmp(nl + 1, "                                         ", 41) != 0 || n >= sizeof line)
            break;
        p = nl + 1 + strspn(nl + 1, " ");
    }
    return line;
}

static void test_version(void **state)
{
    (void)state;
    char *out, want[128];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(run_bin(i ? "-V" : "--version", 0, &out), 0);
        assert_int_equal(strncmp(out, "dealstream 0.1.0 (", 18), 0);
        snprintf(want, sizeof want, "librdkafka %s,", rd_kafka_version_str());
        assert_non_null(strstr(out, want));
        snprintf(want, sizeof want, "libuv %s,", uv_version_string());
        assert_non_null(strstr(out, want));
        assert_non_null(strstr(out, "avro-c 1."));
        assert_int_equal(count_lines(out), 1);
        free(out);
    }
}

/* Each command's --help describes its own options its own way. */
static void test_help_per_command(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(run_bin("--help", 0, &out), 0);
    assert_non_null(strstr(out, "\n  config-reference  "));
    assert_non_null(strstr(out, "-V | --version"));
    free(out);

    assert_int_equal(run_bin("consume --help", 0, &out), 0);
    assert_int_equal(strncmp(out, "Usage: dealstream consume -t TOPIC [OPTIONS]\n", 45), 0);
    const char *g = help_line(out, "group");
    assert_non_null(strstr(g, "without joining the group"));
    assert_null(strstr(g, "run"));
    assert_null(strstr(g, "replay"));
    assert_null(strstr(g, "lag"));
    const char *c = help_line(out, "count");
    assert_non_null(strstr(c, "Exit after N messages"));
    assert_null(strstr(c, "lag"));
    assert_null(strstr(c, "watch"));
    assert_non_null(strstr(out, "-p, --partition P[,P...]"));
    assert_non_null(strstr(out, "-f, --format FORMAT"));
    assert_non_null(strstr(out, "-J, --json"));
    assert_non_null(strstr(out, "-K, --key-delimiter DELIM"));
    assert_non_null(strstr(out, "-q, --quiet"));
    assert_null(strstr(out, "--partitions")); /* the broker's */
    free(out);

    assert_int_equal(run_bin("lag --help", 0, &out), 0);
    assert_non_null(strstr(out, "-w, --watch SECONDS"));
    assert_non_null(strstr(help_line(out, "count"), "evaluations"));
    assert_non_null(strstr(help_line(out, "group"), "The group to report"));
    assert_non_null(strstr(out, "--prometheus"));
    assert_non_null(strstr(out, "--listen HOST:PORT"));
    free(out);

    assert_int_equal(run_bin("offsets --help", 0, &out), 0);
    assert_int_equal(strncmp(out, "Usage: dealstream offsets reset [OPTIONS]\n", 42), 0);
    assert_non_null(strstr(out, "--all-topics"));
    assert_non_null(strstr(out, "--to-current"));
    assert_non_null(strstr(out, "--by-duration DURATION"));
    assert_non_null(strstr(out, "--from-file FILE"));
    assert_non_null(strstr(out, "--export"));
    assert_non_null(strstr(help_line(out, "topic"), "Scope of the reset"));
    free(out);

    assert_int_equal(run_bin("broker --help", 0, &out), 0);
    assert_non_null(strstr(out, "--address-file FILE"));
    assert_non_null(strstr(out, "--wait"));
    assert_non_null(strstr(out, "-p, --partitions N"));
    free(out);

    /* the catalog's default is where this binary finds it, not a source path */
    assert_int_equal(run_bin("extract --help", 0, &out), 0);
    assert_non_null(strstr(help_line(out, "catalog"), "/share/dealstream/catalog]"));
    free(out);

    assert_int_equal(run_bin("config-reference --help", 0, &out), 0);
    assert_int_equal(strncmp(out, "Usage: dealstream config-reference\n", 35), 0);
    free(out);
    assert_int_equal(run_bin("config-reference", 0, &out), 0);
    assert_non_null(strstr(out, "| `--group` | `DEALSTREAM_GROUP_ID` | `group.id` |  | run: Consumer group (default: "
                                "the app id). consume: Start at this group's committed offsets"));
    assert_non_null(strstr(out, "| `--catalog` | `DEALSTREAM_CATALOG_DIR` | `catalog.dir` | "
                                "`<prefix>/share/dealstream/catalog` |"));
    free(out);
}

/* Every usage error exits 2, with a message, before any broker is asked. */
static void test_usage_errors(void **state)
{
    (void)state;
    static const struct {
        const char *args, *says;
    } cases[] = {
        {"config-reference --bogus", "unknown option '--bogus'"},
        {"config-reference extra", "takes no arguments"},
        {"consume -b 127.0.0.1:1", "no topic: give -t TOPIC"},
        {"consume -b 127.0.0.1:1 -t t -o middle", "-o middle: expected"},
        {"consume -b 127.0.0.1:1 -t t -o stored", "-o stored reads a group's committed offsets: give -G GROUP"},
        {"consume -b 127.0.0.1:1 -t t --commit", "--commit commits a group's offsets: give -G GROUP"},
        {"consume -b 127.0.0.1:1 -t t -f '%z'", "unknown token '%z'"},
        {"consume -b 127.0.0.1:1 -t t -f '%s' -J", "give -f or -J, not both"},
        {"consume -t t", "no Kafka brokers configured"},
        {"lag -b 127.0.0.1:1", "no group: give --group G"},
        {"lag -b 127.0.0.1:1 --group g --prometheus --json", "not both"},
        {"offsets reset -b 127.0.0.1:1 --group g --to-earliest --dry-run", "give one scope"},
        {"offsets reset -b 127.0.0.1:1 --group g --topic t --all-topics --to-earliest --dry-run", "give one scope"},
        {"offsets reset -b 127.0.0.1:1 --group g --topic t --to-earliest --to-current --dry-run", "exactly one of"},
        {"offsets reset -b 127.0.0.1:1 --group g --topic t --by-duration soon --dry-run", "--by-duration 'soon'"},
        {"offsets reset -b 127.0.0.1:1 --group g --from-file /nonexistent.csv --dry-run",
         "/nonexistent.csv: No such file"},
        {"offsets -b 127.0.0.1:1 --group g", "the only subcommand is 'reset'"},
        {"broker --wait", "--wait waits for the file of --address-file FILE"},
        {"produce -b 127.0.0.1:1 --type reference", "--type reference needs -t TOPIC"},
        {"run --no-such-flag", "unknown option '--no-such-flag'"},
        {"nosuchcommand", "unknown command 'nosuchcommand'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out;
        int rc = run_bin(cases[i].args, 1, &out);
        if (rc != 2 || !strstr(out, cases[i].says))
            fail_msg("dealstream %s: exit %d, said: %s", cases[i].args, rc, out);
        free(out);
    }
}

/* An unreachable broker: one line naming the address and the reason, exit
 * 1, for every command that needs a broker. */
static void test_unreachable_broker(void **state)
{
    (void)state;
    static const struct {
        const char *cmd, *args;
    } cases[] = {
        {"consume", "consume -b 127.0.0.1:1 -t deals.canonical -e"},
        {"produce", "produce -b 127.0.0.1:1 /dev/null"},
        {"lag", "lag -b 127.0.0.1:1 --group g --topic t"},
        {"offsets reset", "offsets reset -b 127.0.0.1:1 --group g --topic t --to-earliest --dry-run"},
        {"run", "run -b 127.0.0.1:1 -e --http-listen off"},
        {"replay", "replay -b 127.0.0.1:1 --dry-run"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out, want[256];
        int rc = run_bin(cases[i].args, 1, &out);
        snprintf(want, sizeof want, "dealstream %s: cannot reach 127.0.0.1:1 (connection refused)\n", cases[i].cmd);
        if (rc != 1 || strcmp(out, want) != 0)
            fail_msg("dealstream %s: exit %d, said:\n%s", cases[i].args, rc, out);
        free(out);
    }
    /* a name that does not resolve says so */
    char *out;
    assert_int_equal(run_bin("consume -b no-such-host.invalid:9092 -t t", 1, &out), 1);
    assert_int_equal(count_lines(out), 1);
    assert_non_null(strstr(out, "dealstream consume: cannot reach no-such-host.invalid:9092 ("));
    assert_non_null(strstr(out, "resolve"));
    free(out);
}

/* Without a catalog, the error says how to give one. */
static void test_catalog_errors(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(run_bin("extract --catalog /nonexistent/catalog /dev/null", 1, &out), 1);
    assert_string_equal(out, "dealstream extract: catalog /nonexistent/catalog: cannot open countries.tsv (No such file "
                             "or directory); give --catalog DIR or set DEALSTREAM_CATALOG_DIR\n");
    free(out);
    assert_int_equal(run_bin("eval --catalog /nonexistent/catalog", 1, &out), 1);
    assert_non_null(strstr(out, "give --catalog DIR or set DEALSTREAM_CATALOG_DIR"));
    free(out);
    /* a split that does not exist is named, not taken for a missing corpus */
    assert_int_equal(run_bin("eval --split tset", 1, &out), 2);
    assert_string_equal(out, "dealstream eval: --split: invalid value 'tset' for split (expected corpus|dev|test|holdout|holdout2|holdout3)\n");
    free(out);
    /* DEALSTREAM_CATALOG_DIR names one too */
    assert_int_equal(run_sh("DEALSTREAM_CATALOG_DIR=/nowhere \"$DS_BIN\" demo 2>&1", &out), 1);
    assert_non_null(strstr(out, "dealstream demo: catalog /nowhere: cannot open countries.tsv"));
    free(out);
}

/* The demo's link lines say what the linked deal is: its signing date,
 * stage, quantity and value, looked up among the canonical deals by id, or
 * by a source that names the link's target; then its id and ref, how the
 * link was found and why. */
static void test_demo_links(void **state)
{
    (void)state;
    json_error_t je;
    json_t *deals = json_loads(
        "{\"A\": {\"deal_id\": \"A\", \"buyer\": \"POL\", \"seller\": \"KOR\", \"system\": \"K2\", \"quantity\": 180,"
        "        \"stage\": \"executive\", \"status\": \"signed\", \"signing_date\": \"2025-08-01\","
        "        \"value\": {\"usd\": \"6500000000.00\"}, \"sources\": [{\"id\": \"a1\"}],"
        "        \"links\": [{\"relation\": \"next_batch\", \"target\": \"B\", \"target_ref\": \"PL-K2-E1\", \"via\": \"context\","
        "                     \"basis\": \"recalled by source a1\"},"
        "                    {\"relation\": \"executes_framework\", \"target\": \"F\", \"target_ref\": \"PL-K2-FW\", \"via\": \"reference\","
        "                     \"basis\": \"reference row PL-K2-E2 names PL-K2-FW as parent\"},"
        "                    {\"relation\": \"option_exercise\", \"target\": \"NOWHERE\", \"via\": \"state\"}]},"
        " \"B\": {\"deal_id\": \"B\", \"buyer\": \"POL\", \"seller\": \"KOR\", \"system\": \"K2\", \"quantity\": 180,"
        "        \"stage\": \"executive\", \"status\": \"signed\", \"signing_date\": \"2022-08-26\","
        "        \"value\": {\"usd\": \"3370000000.00\"}, \"sources\": [{\"id\": \"b1\"}], \"links\": []},"
        " \"F\": {\"deal_id\": \"F\", \"buyer\": \"POL\", \"seller\": \"KOR\", \"family\": \"K2\", \"quantity\": 1000,"
        "        \"stage\": \"framework\", \"status\": \"signed\", \"signing_year\": 2022, \"value\": null,"
        "        \"sources\": [{\"id\": \"PL-K2-FW\"}], \"links\": []}}",
        0, &je);
    assert_non_null(deals);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ds_demo_print(f, deals);
    fclose(f);
    assert_non_null(strstr(buf, "link: next batch of 2022-08-26 executive contract, 180 K2, $3.37B (deal B, PL-K2-E1; "
                                "via context: recalled by source a1)\n"));
    assert_non_null(strstr(buf, "link: executes 2022 framework agreement, 1000 K2, - (deal F, PL-K2-FW; via reference: "
                                "reference row PL-K2-E2 names PL-K2-FW as parent)\n"));
    assert_non_null(strstr(buf, "link: option under a deal not among the canonical deals read (deal NOWHERE; via state)\n"));
    free(buf);
    json_decref(deals);
}

/* A parent that is not among the deals read (records of an older version
 * named rows) but is a row of the reference table is described from the
 * row, marked as such; one the table does not know stays missing. */
static void test_demo_links_from_reference(void **state)
{
    (void)state;
    json_error_t je;
    json_t *deals = json_loads(
        "{\"A\": {\"deal_id\": \"A\", \"buyer\": \"POL\", \"seller\": \"KOR\", \"system\": \"K2\", \"quantity\": 180,"
        "        \"stage\": \"executive\", \"status\": \"signed\", \"signing_date\": \"2025-08-01\","
        "        \"value\": {\"usd\": \"6500000000.00\"}, \"sources\": [{\"id\": \"a1\"}],"
        "        \"links\": [{\"relation\": \"next_batch\", \"target\": \"PL-K2-E1\", \"target_ref\": \"PL-K2-E1\", \"via\": \"context\"},"
        "                    {\"relation\": \"executes_framework\", \"target\": \"PL-K2-FW\", \"via\": \"reference\"},"
        "                    {\"relation\": \"next_batch\", \"target\": \"XX-NONE\", \"target_ref\": \"XX-NONE\", \"via\": \"state\"}]}}",
        0, &je);
    assert_non_null(deals);
    char err[512];
    ds_catalog *cat = ds_catalog_load(getenv("DEALSTREAM_CATALOG_DIR"), err, sizeof err);
    assert_non_null(cat);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ds_demo_print_with(f, deals, cat);
    fclose(f);
    assert_non_null(strstr(buf, "link: next batch of 2022-08-26 executive contract, 180 K2, $3.37B, as the reference "
                                "table has it (deal PL-K2-E1, PL-K2-E1; via context)\n"));
    assert_non_null(strstr(buf, "link: executes 2022-07-27 framework agreement, 1000 K2, -, as the reference table has "
                                "it (deal PL-K2-FW; via reference)\n"));
    assert_non_null(strstr(buf, "link: next batch of a deal not among the canonical deals read (deal XX-NONE, XX-NONE; "
                                "via state)\n"));
    free(buf);
    ds_catalog_destroy(cat);
    json_decref(deals);
}

/* Starts `dealstream ARGS...` with its stdout on *out_fd; returns its pid. */
static pid_t spawn(int *out_fd, char *const *argv)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        execv(getenv("DS_BIN"), argv);
        _exit(127);
    }
    close(fds[1]);
    *out_fd = fds[0];
    return pid;
}

static void read_line(int fd, char *line, size_t cap)
{
    size_t n = 0;
    char c;
    while (n + 1 < cap && read(fd, &c, 1) == 1 && c != '\n')
        line[n++] = c;
    line[n] = '\0';
}

/* broker --address-file writes the address once ready and removes it when
 * it stops; broker --wait waits past a stale file until the file names a
 * broker that answers, and prints its address. */
static void test_broker_address_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/ds-test-broker-XXXXXX", path[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/broker.addr", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("127.0.0.1:1\n", f); /* a broker that died without cleaning up */
    fclose(f);
    char *wait_argv[] = {"dealstream", "broker", "--wait", "--address-file", path, "--log-level", "error", NULL};
    int wait_fd;
    pid_t waiter = spawn(&wait_fd, wait_argv);
    char *broker_argv[] = {"dealstream", "broker", "--address-file", path, "--log-level", "error", NULL};
    int broker_fd;
    pid_t broker = spawn(&broker_fd, broker_argv);
    char printed[256], waited[256];
    read_line(broker_fd, printed, sizeof printed);
    read_line(wait_fd, waited, sizeof waited);
    assert_int_equal(strncmp(printed, "127.0.0.1:", 10), 0);
    assert_string_equal(waited, printed);
    int st;
    assert_int_equal(waitpid(waiter, &st, 0), waiter);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    size_t len;
    char *text = ds_read_file(path, &len);
    assert_non_null(text);
    char want[300];
    snprintf(want, sizeof want, "%s\n", printed);
    assert_string_equal(text, want); /* whole, never half written */
    free(text);
    kill(broker, SIGTERM);
    assert_int_equal(waitpid(broker, &st, 0), broker);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_int_equal(access(path, F_OK), -1); /* removed on exit */
    close(wait_fd);
    close(broker_fd);
    rmdir(dir);
}

/* Writes text to dir/name. */
static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

#define K2_TEXT "Poland signed a contract worth about $6.5 billion for 180 K2 tanks from Hyundai Rotem on Friday.\n"

/* A text article without a date line is accepted with published null: extract
 * and produce warn with file:line (the line the date was expected on, past
 * leading blank lines) and the article id, count it in their summary, and
 * still exit 0; the dated article beside it gets no warning. */
static void test_undated_articles(void **state)
{
    (void)state;
    char dir[] = "/tmp/ds-test-undated-XXXXXX", cmd[2048], want[1024];
    assert_non_null(mkdtemp(dir));
    write_file(dir, "undated-k2.txt", "\n" K2_TEXT);
    write_file(dir, "signed-k2.txt", "date 2025-08-02\n" K2_TEXT);
    snprintf(want, sizeof want,
             " warn  %%s: %s/undated-k2.txt:2: article undated-k2 has no 'date YYYY-MM-DD' line: published is null\n",
             dir);
    char warn_extract[1100], warn_produce[1100];
    snprintf(warn_extract, sizeof warn_extract, want, "extract");
    snprintf(warn_produce, sizeof warn_produce, want, "produce");

    /* extract: the mentions on stdout, the warning and the count on stderr */
    char *out, *err;
    size_t len;
    snprintf(cmd, sizeof cmd, "\"$DS_BIN\" extract %s/undated-k2.txt %s/signed-k2.txt 2>%s/err", dir, dir, dir);
    assert_int_equal(run_sh(cmd, &out), 0);
    snprintf(cmd, sizeof cmd, "%s/err", dir);
    assert_non_null(err = ds_read_file(cmd, &len));
    assert_non_null(strstr(err, warn_extract));
    assert_non_null(strstr(err, " info  extract: 2 records, 2 mentions, 0 failed, 0 malformed, 1 undated\n"));
    assert_null(strstr(err, "signed-k2.txt:")); /* only the undated one is warned about */
    assert_int_equal(count_lines(out), 2);
    assert_non_null(strstr(out, "\"id\":\"undated-k2\",\"outlet\":null,\"published\":null,"));
    assert_non_null(strstr(out, "\"id\":\"signed-k2\",\"outlet\":null,\"published\":\"2025-08-02T00:00:00.000Z\","));
    free(out);
    free(err);

    /* a byte order mark is no line; from stdin the id is the text's hash */
    write_file(dir, "bom-k2.txt", "\xEF\xBB\xBF" K2_TEXT);
    snprintf(cmd, sizeof cmd, "\"$DS_BIN\" extract %s/bom-k2.txt 2>&1 >/dev/null", dir);
    assert_int_equal(run_sh(cmd, &out), 0);
    snprintf(want, sizeof want, "extract: %s/bom-k2.txt:1: article bom-k2 has no 'date YYYY-MM-DD' line", dir);
    assert_non_null(strstr(out, want));
    free(out);
    snprintf(cmd, sizeof cmd, "\"$DS_BIN\" extract --format text - <%s/undated-k2.txt 2>&1 >/dev/null", dir);
    assert_int_equal(run_sh(cmd, &out), 0);
    assert_non_null(strstr(out, " warn  extract: <stdin>:2: article stdin-"));
    assert_non_null(strstr(out, " has no 'date YYYY-MM-DD' line: published is null\n"));
    assert_non_null(strstr(out, ", 1 undated\n"));
    free(out);

    /* produce: both published, the undated one with published null */
    char addr[512];
    snprintf(addr, sizeof addr, "%s/broker.addr", dir);
    char *broker_argv[] = {"dealstream", "broker", "--address-file", addr, "--log-level", "error", NULL};
    int broker_fd;
    pid_t broker = spawn(&broker_fd, broker_argv);
    char bs[256];
    read_line(broker_fd, bs, sizeof bs);
    assert_int_equal(strncmp(bs, "127.0.0.1:", 10), 0);
    snprintf(cmd, sizeof cmd, "produce -b %s %s/undated-k2.txt %s/signed-k2.txt", bs, dir, dir);
    assert_int_equal(run_bin(cmd, 1, &out), 0);
    assert_non_null(strstr(out, warn_produce));
    assert_non_null(strstr(out, " info  produce: 2 delivered to articles, 0 failed delivery, 0 rejected input, "
                                "1 undated\n"));
    assert_null(strstr(out, "signed-k2.txt:"));
    free(out);
    snprintf(cmd, sizeof cmd, "consume -b %s -t articles -e -q", bs);
    assert_int_equal(run_bin(cmd, 0, &out), 0);
    assert_int_equal(count_lines(out), 2);
    assert_non_null(strstr(out, "{\"article_id\":\"undated-k2\",\"published\":null,"));
    assert_non_null(strstr(out, "{\"article_id\":\"signed-k2\",\"published\":\"2025-08-02T00:00:00.000Z\","));
    free(out);

    int st;
    kill(broker, SIGTERM);
    assert_int_equal(waitpid(broker, &st, 0), broker);
    close(broker_fd);
    snprintf(cmd, sizeof cmd, "rm -r %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version),          cmocka_unit_test(test_help_per_command),
        cmocka_unit_test(test_usage_errors),     cmocka_unit_test(test_unreachable_broker),
        cmocka_unit_test(test_catalog_errors),   cmocka_unit_test(test_demo_links),
        cmocka_unit_test(test_demo_links_from_reference),
        cmocka_unit_test(test_broker_address_file), cmocka_unit_test(test_undated_articles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
