/* The loop always answers: the `dealstream` binary processes one block of
 * 20,000 mentions that form one cluster (20,000 deal events of one buyer,
 * seller, system, quantity and signing date: each mention costs more than
 * the one before, since the deal's record it publishes lists every source
 * before it, some 5,000 in the first 2 s), with a poison record at two
 * stages of the input before them, while /healthz is probed every 100 ms
 * from the first time /readyz answers 200. SIGTERM comes once PROBES_MIN
 * probes were made and /metrics shows at least RESOLVED_MIN mentions
 * resolved and fewer than the block: in the middle of the block, whose
 * remaining mentions would take tens of seconds. Asserts that every probe was
 * answered within 100 ms and that the process exits 0 within
 * --shutdown-timeout. A liveness property with a generous bound, not a
 * speed measurement. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "broker.h"
#include "buf.h"
#include "testutil.h"
#include "util.h"

#define BLOCK 20000
#define SHUTDOWN_S 10
#define PROBE_MS 100
#define RESOLVED_MIN 500
#define PROBES_MIN 20 /* 2 s of probes at least */

/* Writes the block's deal events, with poison records for the normalize
 * and validate stages among them, as JSON lines. */
static char *write_block(void)
{
    static char path[] = "/tmp/ds-test-liveness-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    for (int i = 0; i < BLOCK; i++) {
        fprintf(f,
                "{\"source_id\":\"blk-%d\",\"source\":\"feed\",\"reported\":%lld,\"buyer\":\"POL\",\"seller\":\"KOR\","
                "\"supplier\":null,\"system\":\"K9A1\",\"quantity\":48,\"value\":null,\"stage\":\"executive\","
                "\"status\":\"signed\",\"signing_date\":19000,\"place\":null,\"batch\":null,\"parent_ref\":null}\n",
                i, 1720602000000LL + i * 60000LL);
        if (i == 10) /* normalize: unknown currency */
            fprintf(f, "{\"source_id\":\"poison-currency\",\"source\":\"feed\",\"reported\":1720602000000,"
                       "\"buyer\":\"POL\",\"seller\":\"KOR\",\"supplier\":null,\"system\":\"K9A1\",\"quantity\":1,"
                       "\"value\":{\"amount\":\"1.00\",\"currency\":\"XAU\"},\"stage\":\"executive\","
                       "\"status\":\"signed\",\"signing_date\":null,\"place\":null,\"batch\":null,"
                       "\"parent_ref\":null}\n");
        if (i == 20) /* validate: a time out of range */
            fprintf(f, "{\"source_id\":\"poison-time\",\"source\":\"feed\",\"reported\":-9223372036854775807,"
                       "\"buyer\":\"POL\",\"seller\":\"KOR\",\"supplier\":null,\"system\":\"K9A1\",\"quantity\":1,"
                       "\"value\":null,\"stage\":\"executive\",\"status\":\"signed\",\"signing_date\":null,"
                       "\"place\":null,\"batch\":null,\"parent_ref\":null}\n");
    }
    fclose(f);
    return path;
}

/* The count of a series of /metrics ("name{label} value"), -1 if absent. */
static double metric(int port, const char *series)
{
    ds_buf b;
    ds_buf_init(&b);
    int64_t took;
    double v = -1;
    if (tu_http_get(port, "/metrics", &b, &took) == 200) {
        const char *at = strstr(ds_buf_cstr(&b), series);
        if (at)
            v = strtod(at + strlen(series), NULL);
    }
    ds_buf_free(&b);
    return v;
}

static void sleep_until(int64_t t)
{
    int64_t now = ds_mono_ms();
    if (t > now) {
        struct timespec ts = {(time_t)((t - now) / 1000), (long)((t - now) % 1000) * 1000000L};
        nanosleep(&ts, NULL); /* the probes' period, not a synchronisation */
    }
}

static pid_t child = -1; /* killed by the teardown if a check failed first */

static pid_t spawn(const char *bs, int port)
{
    const char *bin = getenv("DS_BIN");
    assert_non_null(bin);
    char listen[64], timeout[16];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    snprintf(timeout, sizeof timeout, "%d", SHUTDOWN_S);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        const char *argv[] = {"dealstream", "run", "-b", bs, "--catalog", tu_catalog_dir(), "--log-level", "error",
                              "--http-listen", listen, "--shutdown-timeout", timeout, "-X",
                              "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500", NULL};
        execv(bin, (char **)argv);
        _exit(127);
    }
    return pid;
}

static int kill_child(void **state)
{
    (void)state;
    if (child > 0) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        child = -1;
    }
    return 0;
}

static void test_block_healthz_sigterm(void **state)
{
    (void)state;
    char err[256];
    ds_broker *b = ds_broker_new(1, 1, ds_broker_default_topics("dealstream"), err, sizeof err);
    assert_non_null(b);
    const char *bs = ds_broker_bootstraps(b);
    char *path = write_block();
    char *pargs[] = {"--type", "deal", "--format", "jsonl", path, NULL};
    assert_int_equal(tu_produce(bs, pargs), 0);
    unlink(path);

    int port = tu_free_port();
    pid_t pid = child = spawn(bs, port);
    /* from ready on, probe until enough of the block is resolved */
    int64_t worst = 0, next = ds_mono_ms(), give_up = next + 90000;
    int probes = 0, answered = 0, ready = 0;
    double resolved = 0;
    const char *series = "dealstream_resolve_duration_seconds_count ";
    while (ds_mono_ms() < give_up) {
        sleep_until(next);
        next += PROBE_MS;
        int64_t took;
        if (!ready) {
            ready = tu_http_get(port, "/readyz", NULL, &took) == 200;
            continue; /* starting: the loop is not running yet, or the state is being restored */
        }
        long st = tu_http_get(port, "/healthz", NULL, &took);
        probes++;
        answered += st == 200;
        if (st != 200 || took > worst)
            worst = st != 200 ? INT64_MAX : took;
        resolved = metric(port, series);
        if (probes % 10 == 0)
            printf("probe %d: slowest %lld ms, %.0f mentions resolved\n", probes, (long long)worst, resolved);
        if (resolved >= RESOLVED_MIN && probes >= PROBES_MIN)
            break;
    }
    printf("%d probes of /healthz while %.0f of %d mentions of one block were resolved: slowest %lld ms\n", probes,
           resolved, BLOCK, (long long)worst);
    assert_true(ready);
    assert_true(probes >= PROBES_MIN);
    assert_true(resolved >= RESOLVED_MIN);
    assert_true(resolved < BLOCK); /* SIGTERM comes in the middle of the block */

    int64_t t0 = ds_mono_ms();
    assert_int_equal(kill(pid, SIGTERM), 0);
    int status = -1;
    while (ds_mono_ms() - t0 < (SHUTDOWN_S + 5) * 1000) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        status = -1;
        sleep_until(ds_mono_ms() + 10); /* polling a child's exit, bounded by the deadline */
    }
    int64_t exit_ms = ds_mono_ms() - t0;
    if (status == -1) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    child = -1;
    printf("SIGTERM: exited after %lld ms (status %d)\n", (long long)exit_ms, status);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(exit_ms <= SHUTDOWN_S * 1000);
    assert_int_equal(answered, probes);
    assert_true(worst <= PROBE_MS);
    ds_broker_destroy(b);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_block_healthz_sigterm, kill_child),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
