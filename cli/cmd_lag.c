/* `dealstream lag`: validates the options and drives a ds_lag (consumer/lag.h)
 * once or every --watch seconds. May call consumer/ and common/. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "commands.h"
#include "lag.h"

static volatile sig_atomic_t lag_stop;

static void on_signal(int sig)
{
    (void)sig;
    lag_stop = 1;
}

int ds_cmd_lag(ds_config *cfg)
{
    if (!cfg->group) {
        fprintf(stderr, "dealstream lag: no group: give --group G\n");
        return 2;
    }
    if (cfg->lag_window < 2 || cfg->lag_window > DS_LAG_WINDOW_MAX) {
        fprintf(stderr, "dealstream lag: --window must be 2..%d\n", DS_LAG_WINDOW_MAX);
        return 2;
    }
    char err[1024] = "";
    ds_lag *lag = ds_lag_new(cfg, cfg->group, cfg->topic, (int)cfg->lag_window, err, sizeof err);
    if (!lag) {
        fprintf(stderr, "dealstream lag: %s\n", err);
        return 1;
    }
    lag_stop = 0;
    void (*old_int)(int) = signal(SIGINT, on_signal);
    void (*old_term)(int) = signal(SIGTERM, on_signal);
    int rc = 1;
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
