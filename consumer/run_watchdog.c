/* run_watchdog.c: the bound on the processor's shutdown. From SIGTERM (or
 * any other start of the shutdown) the run has --shutdown-timeout to return:
 * the shutdown's own steps are bounded by shares of it, and this thread
 * ends the process with exit code 1 should anything still block past it (a
 * client that does not close, a callback that does not return). Nothing is
 * committed past the timeout, so exiting then loses nothing: the open
 * transaction is aborted by the broker and its inputs are read again. May
 * call common/ and pthreads. */
#include <pthread.h>
#include <time.h>

#include "run_internal.h"

struct run_watchdog {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t done_cv;
    int done;
    struct timespec deadline; /* CLOCK_MONOTONIC */
    int64_t ms;
};

int64_t run_shutdown_ms(const runner *r)
{
    long s = r->cfg->shutdown_timeout > 0 ? r->cfg->shutdown_timeout : 10;
    return (int64_t)s * 1000;
}

/* Waits for done or the deadline; past the deadline, exits the process. */
static void *watch(void *arg)
{
    struct run_watchdog *w = arg;
    pthread_mutex_lock(&w->lock);
    int rc = 0;
    while (!w->done && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&w->done_cv, &w->lock, &w->deadline);
    int done = w->done;
    pthread_mutex_unlock(&w->lock);
    if (!done) {
        ds_error("run", "shutdown not finished within --shutdown-timeout (%lld ms): exiting without committing",
                 (long long)w->ms);
        _exit(1);
    }
    return NULL;
}

void run_watchdog_start(runner *r, int64_t ms)
{
    if (r->watchdog)
        return;
    struct run_watchdog *w = calloc(1, sizeof *w);
    if (!w)
        return; /* the shares of the timeout still bound each step */
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->done_cv, &ca);
    pthread_condattr_destroy(&ca);
    clock_gettime(CLOCK_MONOTONIC, &w->deadline);
    w->deadline.tv_sec += (time_t)(ms / 1000);
    w->deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (w->deadline.tv_nsec >= 1000000000L) {
        w->deadline.tv_sec++;
        w->deadline.tv_nsec -= 1000000000L;
    }
    w->ms = ms;
    if (pthread_create(&w->thread, NULL, watch, w)) {
        pthread_cond_destroy(&w->done_cv);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return;
    }
    r->watchdog = w; /* owned by the runner until run_watchdog_stop */
}

void run_watchdog_stop(runner *r)
{
    struct run_watchdog *w = r->watchdog;
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->done = 1;
    pthread_cond_signal(&w->done_cv);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->done_cv);
    pthread_mutex_destroy(&w->lock);
    free(w);
    r->watchdog = NULL;
}
