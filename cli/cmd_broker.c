/* `dealstream broker`: the embedded broker (broker/broker.h) until SIGINT or
 * SIGTERM, its address on stdout and, atomically, in --address-file; and
 * `broker --wait`, which waits for such a file to name a broker that
 * answers. May call broker/, consumer/kafka, cli/cli, common/ and libuv. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "broker.h"
#include "commands.h"
#include "kafka.h"
#include "log.h"
#include "util.h"

/* How long --wait waits for the broker, and for each probe of it. */
#define WAIT_TIMEOUT_MS 30000
#define WAIT_PROBE_MS 2000

static void broker_signal(uv_signal_t *s, int signum)
{
    ds_info("broker", "%s: stopping", signum == SIGINT ? "SIGINT" : "SIGTERM");
    uv_stop(s->loop);
}

static void walk_close(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/* Closes every handle of loop and the loop. Returns 0 or -1. */
static int loop_close(uv_loop_t *loop)
{
    uv_walk(loop, walk_close, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    return uv_loop_close(loop) ? -1 : 0;
}

/* Writes "text\n" to path through a temporary file of the same directory
 * renamed over it, so that a reader sees the whole address or no file.
 * Returns 0, or -1 with err set. */
static int write_atomically(const char *path, const char *text, char *err, size_t errlen)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%s\n", text) < 0 || fflush(f) || fsync(fileno(f))) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        if (f)
            fclose(f);
        unlink(tmp);
        return -1;
    }
    if (fclose(f) || rename(tmp, path)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int serve(ds_config *cfg)
{
    char err[4200];
    int partitions = cfg->partitions > 0 ? (int)cfg->partitions : 4;
    ds_broker *broker = ds_broker_new(1, partitions, ds_broker_default_topics(cfg->app_id), err, sizeof err);
    if (!broker) {
        fprintf(stderr, "dealstream broker: %s\n", err);
        return 1;
    }
    const char *bs = ds_broker_bootstraps(broker);
    if (cfg->address_file && write_atomically(cfg->address_file, bs, err, sizeof err)) {
        fprintf(stderr, "dealstream broker: %s\n", err);
        ds_broker_destroy(broker);
        return 1;
    }
    /* the address on stdout, alone, so scripts can read it */
    printf("%s\n", bs);
    fflush(stdout);
    ds_info("broker", "embedded broker on %s, %d partition(s) per topic; Ctrl-C stops it", bs, partitions);
    uv_loop_t loop;
    uv_signal_t sigint, sigterm;
    uv_loop_init(&loop);
    uv_signal_init(&loop, &sigint);
    uv_signal_init(&loop, &sigterm);
    uv_signal_start(&sigint, broker_signal, SIGINT);
    uv_signal_start(&sigterm, broker_signal, SIGTERM);
    uv_run(&loop, UV_RUN_DEFAULT);
    int rc = loop_close(&loop) ? 1 : 0;
    if (cfg->address_file)
        unlink(cfg->address_file);
    ds_broker_destroy(broker);
    return rc;
}

/* ---- --wait ----------------------------------------------------------------- */

typedef struct waiter {
    ds_config *cfg;
    uv_fs_event_t dir;
    uv_timer_t timeout;
    char address[1024];
    char last_error[8192];
    int found;
} waiter;

/* Reads the address file and probes the broker it names. Returns 1 when it
 * answers (w->address set), else 0 with the reason in w->last_error. */
static int check_file(waiter *w)
{
    size_t len;
    char *text = ds_read_file(w->cfg->address_file, &len);
    if (!text) {
        snprintf(w->last_error, sizeof w->last_error, "%s: %s", w->cfg->address_file, strerror(errno));
        return 0;
    }
    text[strcspn(text, "\r\n")] = '\0';
    snprintf(w->address, sizeof w->address, "%s", text);
    free(text);
    char err[1024];
    if (!w->address[0] || ds_config_set_rdkafka(w->cfg, "bootstrap.servers", w->address) ||
        ds_kafka_probe(w->cfg, WAIT_PROBE_MS, err, sizeof err)) {
        snprintf(w->last_error, sizeof w->last_error, "%s names %s: %s", w->cfg->address_file,
                 w->address[0] ? w->address : "no address", w->address[0] ? err : "empty");
        return 0;
    }
    return 1;
}

static void on_dir_event(uv_fs_event_t *h, const char *filename, int events, int status)
{
    (void)filename, (void)events, (void)status;
    waiter *w = h->data;
    if (!w->found && check_file(w)) {
        w->found = 1;
        uv_stop(h->loop);
    }
}

static void on_wait_timeout(uv_timer_t *t) { uv_stop(t->loop); }

/* Waits, on the file's directory's events rather than by polling, until
 * the address file names a broker that answers, or WAIT_TIMEOUT_MS. */
static int wait_for(ds_config *cfg)
{
    if (!cfg->address_file) {
        fprintf(stderr, "dealstream broker: --wait waits for the file of --address-file FILE\n");
        return 2;
    }
    waiter w = {.cfg = cfg};
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", cfg->address_file);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_fs_event_init(&loop, &w.dir);
    w.dir.data = &w;
    int r = uv_fs_event_start(&w.dir, on_dir_event, dir, 0);
    if (r) {
        fprintf(stderr, "dealstream broker: cannot watch %s: %s\n", dir, uv_strerror(r));
        loop_close(&loop);
        return 1;
    }
    uv_timer_init(&loop, &w.timeout);
    uv_timer_start(&w.timeout, on_wait_timeout, WAIT_TIMEOUT_MS, 0);
    w.found = check_file(&w); /* after the watch starts: a file renamed in between is seen either way */
    if (!w.found)
        uv_run(&loop, UV_RUN_DEFAULT);
    loop_close(&loop);
    if (!w.found) {
        fprintf(stderr, "dealstream broker: no broker answered within %d s (%s)\n", WAIT_TIMEOUT_MS / 1000,
                w.last_error);
        return 1;
    }
    printf("%s\n", w.address);
    return 0;
}

int ds_cmd_broker(ds_config *cfg)
{
    if (cfg->nargs > 0) {
        fprintf(stderr, "dealstream broker: unexpected argument '%s'\n", cfg->args[0]);
        return 2;
    }
    return cfg->wait ? wait_for(cfg) : serve(cfg);
}
