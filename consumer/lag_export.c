/* lag_export.c: lag of one or every group as Prometheus text, once or on
 * /metrics (see lag_export.h). May call consumer/ (lag, members), ops/http,
 * common/ and libuv. */
#include "lag_export.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "http.h"
#include "lag.h"
#include "log.h"
#include "members.h"
#include "util.h"

#define EXPORT_TIMEOUT_MS 10000

typedef struct entry {
    char *group;
    ds_lag *lag;
    int seen; /* listed by the last scrape */
} entry;

struct ds_lag_export {
    const ds_config *cfg;
    char *group, *topics;
    int window;
    entry *e;
    size_t n, cap;
    char last_error[1024]; /* why the last group that failed did */
};

ds_lag_export *ds_lag_export_new(const ds_config *cfg, const char *group, const char *topics, int window)
{
    ds_lag_export *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->cfg = cfg;
    x->window = window;
    if ((group && !(x->group = strdup(group))) || (topics && !(x->topics = strdup(topics)))) {
        ds_lag_export_destroy(x);
        return NULL;
    }
    return x;
}

void ds_lag_export_destroy(ds_lag_export *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->n; i++) {
        free(x->e[i].group);
        ds_lag_destroy(x->e[i].lag);
    }
    free(x->e);
    free(x->group);
    free(x->topics);
    free(x);
}

/* The entry of group, made (without a ds_lag yet) when new. */
static entry *entry_of(ds_lag_export *x, const char *group)
{
    for (size_t i = 0; i < x->n; i++)
        if (strcmp(x->e[i].group, group) == 0)
            return &x->e[i];
    if (ds_reserve(&x->e, &x->cap, x->n + 1, sizeof *x->e, 8))
        return NULL;
    entry *e = &x->e[x->n];
    *e = (entry){.group = strdup(group)};
    if (!e->group)
        return NULL;
    x->n++;
    return e;
}

/* Marks the groups to observe: x->group, or every group listed. */
static int mark_groups(ds_lag_export *x, char *err, size_t errlen)
{
    for (size_t i = 0; i < x->n; i++)
        x->e[i].seen = 0;
    char **names = NULL;
    size_t n = 0;
    if (!x->group && ds_groups_list(x->cfg, EXPORT_TIMEOUT_MS, &names, &n, err, errlen))
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < (x->group ? 1 : n); i++) {
        entry *e = entry_of(x, x->group ? x->group : names[i]);
        if (e)
            e->seen = 1;
        else
            rc = -1, snprintf(err, errlen, "out of memory");
    }
    ds_groups_free(names, n);
    return rc;
}

/* Observes every marked group into lags[] (a group is left out while it has
 * no committed offsets, or when its observation fails: *failed counts those
 * of the failures that matter). Returns the count. */
static size_t observe_groups(ds_lag_export *x, ds_lag **lags, int *failed)
{
    size_t k = 0;
    char err[1024];
    for (size_t i = 0; i < x->n; i++) {
        entry *e = &x->e[i];
        if (!e->seen)
            continue;
        if (!e->lag && !(e->lag = ds_lag_new(x->cfg, e->group, x->topics, x->window, err, sizeof err))) {
            ds_debug("lag", "group %s: %s", e->group, err);
            snprintf(x->last_error, sizeof x->last_error, "%s", err);
            *failed += x->group != NULL; /* one group asked for: it must be there */
            continue;
        }
        if (ds_lag_observe(e->lag, err, sizeof err)) {
            ds_warn("lag", "group %s: %s", e->group, err);
            snprintf(x->last_error, sizeof x->last_error, "%s", err);
            ++*failed;
            continue;
        }
        lags[k++] = e->lag;
    }
    return k;
}

int ds_lag_export_scrape(ds_lag_export *x, char **text, size_t *len, char *err, size_t errlen)
{
    *text = NULL;
    if (mark_groups(x, err, errlen))
        return -1;
    ds_lag **lags = calloc(x->n + 1, sizeof *lags);
    if (!lags) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int failed = 0;
    size_t k = observe_groups(x, lags, &failed);
    if (x->group && k == 0) {
        snprintf(err, errlen, "group %s: %s", x->group, x->last_error);
        free(lags);
        return -1;
    }
    FILE *out = open_memstream(text, len);
    if (!out) {
        free(lags);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    ds_lag_prometheus(lags, k, out);
    fprintf(out, "# HELP dealstream_lag_up 1 when every group could be observed, else 0.\n"
                 "# TYPE dealstream_lag_up gauge\ndealstream_lag_up %d\n",
            failed == 0);
    fprintf(out, "# HELP dealstream_lag_groups Groups observed by this scrape.\n"
                 "# TYPE dealstream_lag_groups gauge\ndealstream_lag_groups %zu\n",
            k);
    free(lags);
    if (fclose(out)) {
        free(*text);
        *text = NULL;
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* ---- the server -------------------------------------------------------------- */

typedef struct server {
    ds_lag_export *x;
    uv_loop_t loop;
    uv_timer_t timer;
    uv_signal_t sigint, sigterm;
    uv_work_t work;
    ds_http *http;
    char *text; /* the last scrape, served */
    size_t len;
    char *next; /* the worker's scrape, swapped in after it */
    size_t next_len;
    int busy;
    int stopping;
} server;

static void on_metrics(void *opaque, const char *path, ds_http_reply *reply)
{
    server *s = opaque;
    if (strcmp(path, "/metrics") != 0)
        return; /* 404 */
    reply->status = 200;
    reply->content_type = "text/plain; version=0.0.4; charset=utf-8";
    ds_buf_append(reply->body, s->text, s->len);
}

static void scrape_work(uv_work_t *w)
{
    server *s = w->data;
    char err[1024];
    if (ds_lag_export_scrape(s->x, &s->next, &s->next_len, err, sizeof err))
        ds_warn("lag", "scrape: %s (serving the previous one)", err);
}

static void scrape_done(uv_work_t *w, int status)
{
    (void)status;
    server *s = w->data;
    s->busy = 0;
    if (s->next) {
        free(s->text);
        s->text = s->next;
        s->len = s->next_len;
        s->next = NULL;
    }
}

static void on_tick(uv_timer_t *t)
{
    server *s = t->data;
    if (s->busy || s->stopping)
        return; /* one observation at a time */
    s->busy = 1;
    s->work.data = s;
    uv_queue_work(&s->loop, &s->work, scrape_work, scrape_done);
}

static void walk_close(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void on_stop(uv_signal_t *sig, int signum)
{
    server *s = sig->data;
    ds_info("lag", "%s: stopping", signum == SIGINT ? "SIGINT" : "SIGTERM");
    s->stopping = 1;
    ds_http_close(s->http);
    s->http = NULL;
    uv_timer_stop(&s->timer);
    uv_signal_stop(&s->sigint);
    uv_signal_stop(&s->sigterm);
    uv_walk(&s->loop, walk_close, NULL); /* a running scrape finishes, then the loop ends */
}

int ds_lag_export_serve(ds_lag_export *x, const char *listen, int interval_s, char *err, size_t errlen)
{
    server s = {.x = x};
    if (ds_lag_export_scrape(x, &s.text, &s.len, err, errlen))
        return -1;
    uv_loop_init(&s.loop);
    int rc = -1;
    if (!(s.http = ds_http_start(&s.loop, listen, NULL, on_metrics, &s, err, errlen)))
        goto out;
    ds_info("lag", "serving http://%s/metrics (refreshed every %d s)", ds_http_address(s.http), interval_s);
    uv_timer_init(&s.loop, &s.timer);
    s.timer.data = &s;
    uv_timer_start(&s.timer, on_tick, (uint64_t)interval_s * 1000, (uint64_t)interval_s * 1000);
    uv_signal_init(&s.loop, &s.sigint);
    uv_signal_init(&s.loop, &s.sigterm);
    s.sigint.data = s.sigterm.data = &s;
    uv_signal_start(&s.sigint, on_stop, SIGINT);
    uv_signal_start(&s.sigterm, on_stop, SIGTERM);
    rc = 0;
out:
    uv_run(&s.loop, UV_RUN_DEFAULT);
    uv_walk(&s.loop, walk_close, NULL);
    uv_run(&s.loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&s.loop) && rc == 0) {
        snprintf(err, errlen, "handles left open at exit");
        rc = -1;
    }
    free(s.text);
    free(s.next);
    return rc;
}
