/* metrics.h: counters, gauges and fixed-bucket histograms, rendered in the
 * Prometheus text exposition format 0.0.4.
 *
 * A registry (ds_metrics) holds metric families in registration order. A
 * family has a type, a name, a help text and up to DS_METRIC_MAX_LABELS
 * label names; it holds one series per set of label values. A family
 * without labels has its one series from registration, so it is rendered
 * (as 0) before anything happens; a labelled family renders only the series
 * asked for so far.
 *
 * Series are created on first look-up (that allocates) and keep their
 * address until their family is cleared or the registry destroyed. The hot
 * path looks a series up once, keeps the pointer, and then updates it with
 * no allocation and no look-up: ds_series_add, ds_series_set and
 * ds_series_observe are a few instructions each (an observe scans the
 * bucket bounds).
 *
 * Values are doubles (counts are exact up to 2^53). Rendering follows
 * https://prometheus.io/docs/instrumenting/exposition_formats/: a # HELP and
 * a # TYPE line per family, label values escaped (\\, \", \n), histogram
 * buckets cumulative with a last le="+Inf" bucket, then _sum and _count.
 *
 * @locality one thread: nothing is locked; the processor updates and renders
 * on its loop thread. */
#ifndef DS_METRICS_H
#define DS_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

#define DS_METRIC_MAX_LABELS 4
#define DS_METRIC_MAX_BUCKETS 32

/* The Content-Type of the text format. */
#define DS_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef enum { DS_METRIC_COUNTER, DS_METRIC_GAUGE, DS_METRIC_HISTOGRAM } ds_metric_type;

typedef struct ds_metrics ds_metrics;
typedef struct ds_metric ds_metric;
typedef struct ds_series ds_series;

/* A registry; NULL when out of memory. */
ds_metrics *ds_metrics_new(void);
/* Frees the registry, its families and series. Accepts NULL. */
void ds_metrics_destroy(ds_metrics *m);

/* Registers a family. name must match [a-zA-Z_:][a-zA-Z0-9_:]* and be new;
 * labels is NULL (none) or a comma-separated list of label names
 * ("topic,partition"), each [a-zA-Z_][a-zA-Z0-9_]* and not "le". A
 * histogram takes nbounds (1..DS_METRIC_MAX_BUCKETS) strictly increasing
 * finite upper bounds; +Inf is implied. Returns the family (owned by the
 * registry), or NULL when an argument is invalid or memory is out. */
ds_metric *ds_metrics_add(ds_metrics *m, ds_metric_type type, const char *name, const char *help,
                          const char *labels, const double *bounds, size_t nbounds);

/* The series of family f with these label values (one per label name, in
 * order; NULL or ignored for a family without labels), created when new.
 * Returns NULL when out of memory, or when a value is NULL. */
ds_series *ds_metric_series(ds_metric *f, const char *const *values);
/* The same for the common case of one label. */
ds_series *ds_metric_series1(ds_metric *f, const char *value);
/* Drops every series of a labelled family (a family without labels keeps its
 * series, set to 0). For gauges rebuilt from a snapshot at each scrape, so
 * that series of things gone (a revoked partition) disappear. Pointers to
 * the dropped series become invalid. */
void ds_metric_clear(ds_metric *f);

/* Adds v to a counter (v >= 0) or a gauge. */
static inline void ds_series_add(ds_series *s, double v);
/* Sets a gauge, or a counter mirrored from a total kept elsewhere. */
static inline void ds_series_set(ds_series *s, double v);
/* Records one observation in a histogram. */
void ds_series_observe(ds_series *s, double v);
/* The value of a counter or gauge; the count of a histogram. */
double ds_series_value(const ds_series *s);

/* Appends the text exposition of every family to out. Returns 0, or -1
 * when out of memory (out then holds a truncated rendering). */
int ds_metrics_render(const ds_metrics *m, ds_buf *out);

/* Seconds on the monotonic clock, for durations to observe. */
static inline double ds_metrics_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- internals the inline updates need ---- */

struct ds_series {
    double value;            /* counter, gauge; a histogram's sum */
    uint64_t count;          /* histogram: observations */
    uint64_t *buckets;       /* histogram: per bucket (not cumulative), nbounds + 1 */
    const double *bounds;    /* histogram: the family's bounds */
    size_t nbounds;
    char *labels[DS_METRIC_MAX_LABELS];
};

static inline void ds_series_add(ds_series *s, double v)
{
    if (s)
        s->value += v;
}

static inline void ds_series_set(ds_series *s, double v)
{
    if (s)
        s->value = v;
}

#endif
