/* `dealstream broker`: the embedded broker (broker/broker.h) until SIGINT or
 * SIGTERM. May call broker/, common/ and libuv. */
#include <signal.h>
#include <stdio.h>
#include <uv.h>

#include "broker.h"
#include "commands.h"
#include "log.h"

static void broker_signal(uv_signal_t *s, int signum)
{
    ds_info("broker", "%s: stopping", signum == SIGINT ? "SIGINT" : "SIGTERM");
    uv_stop(s->loop);
}

static void broker_walk_close(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

int ds_cmd_broker(ds_config *cfg)
{
    char err[512];
    int partitions = cfg->partitions > 0 ? (int)cfg->partitions : 4;
    ds_broker *broker = ds_broker_new(1, partitions, ds_broker_default_topics(cfg->app_id), err, sizeof err);
    if (!broker) {
        fprintf(stderr, "dealstream broker: %s\n", err);
        return 1;
    }
    /* the address on stdout, alone, so scripts can read it */
    printf("%s\n", ds_broker_bootstraps(broker));
    fflush(stdout);
    ds_info("broker", "embedded broker on %s, %d partition(s) per topic; Ctrl-C stops it",
            ds_broker_bootstraps(broker), partitions);
    uv_loop_t loop;
    uv_signal_t sigint, sigterm;
    uv_loop_init(&loop);
    uv_signal_init(&loop, &sigint);
    uv_signal_init(&loop, &sigterm);
    uv_signal_start(&sigint, broker_signal, SIGINT);
    uv_signal_start(&sigterm, broker_signal, SIGTERM);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_walk(&loop, broker_walk_close, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    int rc = uv_loop_close(&loop) ? 1 : 0;
    ds_broker_destroy(broker);
    return rc;
}
