/* `dealstream lag`: validates the options and drives a ds_lag (consumer/lag.h)
 * once or every --watch seconds, or exports the lag of one or every group
 * as Prometheus text (consumer/lag_export.h), once or served on --listen.
 * May call consumer/, cli/cli and common/. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli.h"
#include "commands.h"
#include "lag.h"
#include "lag_export.h"

static volatile sig_atomic_t lag_stop;

static void on_signal(int sig)
{
    (void)sig;
    lag_stop = 1;
}

/* The period of --listen's scrapes when --watch does not give one. */
#define LISTEN_DEFAULT_S 15

/* --prometheus and --listen: one scrape printed, or served. */
static int export(ds_config *cfg)
{
    char err[1024] = "";
    ds_lag_export *x = ds_lag_export_new(cfg, cfg->group, cfg->topic, (int)cfg->lag_window);
    if (!x) {
        fprintf(stderr, "dealstream lag: out of memory\n");
        return 1;
    }
    int rc = 0;
    if (cfg->listen) {
        rc = ds_lag_export_serve(x, cfg->listen, cfg->lag_watch > 0 ? (int)cfg->lag_watch : LISTEN_DEFAULT_S, err,
                                 sizeof err);
    } else {
        char *text = NULL;
        size_t len = 0;
        rc = ds_lag_export_scrape(x, &text, &len, err, sizeof err);
        if (rc == 0 && (fwrite(text, 1, len, stdout) != len || fflush(stdout)))
            rc = -1, snprintf(err, sizeof err, "write error");
        free(text);
    }
    ds_lag_export_destroy(x);
    if (rc)
        fprintf(stderr, "dealstream lag: %s\n", err);
    return rc ? 1 : 0;
}

int ds_cmd_lag(ds_config *cfg)
{
    int exporting = cfg->prometheus || cfg->listen;
    if (cfg->nargs > 0) {
        fprintf(stderr, "dealstream lag: unexpected argument '%s'\n", cfg->args[0]);
        return 2;
    }
    if (!cfg->group && !exporting) {
        fprintf(stderr, "dealstream lag: no group: give --group G (or --prometheus for every group)\n");
        return 2;
    }
    if (exporting && cfg->json) {
        fprintf(stderr, "dealstream lag: give --json or --prometheus/--listen, not both\n");
        return 2;
    }
    if (cfg->lag_window < 2 || cfg->lag_window > DS_LAG_WINDOW_MAX) {
        fprintf(stderr, "dealstream lag: --window must be 2..%d\n", DS_LAG_WINDOW_MAX);
        return 2;
    }
    int rc = ds_cli_reach(cfg, "lag");
    if (rc)
        return rc;
    if (exporting)
        return export(cfg);
    char err[1024] = "";
    ds_lag *lag = ds_lag_new(cfg, cfg->group, cfg->topic, (int)cfg->lag_window, err, sizeof err);
    if (!lag) {
        fprintf(stderr, "dealstream lag: %s\n", err);
        return 1;
    }
    lag_stop = 0;
    void (*old_int)(int) = signal(SIGINT, on_signal);
    void (*old_term)(int) = signal(SIGTERM, on_signal);
    rc = 1;
    long evals = 0;
    for (;;) {
        if (ds_lag_observe(lag, err, sizeof err)) {
            fprintf(stderr, "dealstream lag: %s\n", err);
            rc = 1;
            break;
        }
        evals++;
        if (cfg->json) {
            json_t *o = ds_lag_json(lag);
            char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
            if (s)
                puts(s);
            free(s);
            json_decref(o);
        } else {
            ds_lag_print(lag, stdout);
            if (cfg->lag_watch > 0)
                putchar('\n');
        }
        fflush(stdout);
        rc = ds_lag_exit_code(ds_lag_group_status(lag));
        if (cfg->lag_watch <= 0 || lag_stop || (cfg->count > 0 && evals >= cfg->count))
            break;
        /* a blocking command, not an event loop: sleep, woken by the signals */
        struct timespec ts = {.tv_sec = cfg->lag_watch, .tv_nsec = 0};
        while (!lag_stop && nanosleep(&ts, &ts) == -1 && errno == EINTR)
            ;
        if (lag_stop)
            break;
    }
    signal(SIGINT, old_int);
    signal(SIGTERM, old_term);
    ds_lag_destroy(lag);
    return rc;
}
