/* process.h: the process_* series that every Prometheus client library
 * exports (https://prometheus.io/docs/instrumenting/writing_clientlibs/
 * #process-metrics), read from /proc on Linux.
 *
 *   process_start_time_seconds     gauge    start of the process, Unix time
 *   process_cpu_seconds_total      counter  user and system CPU time
 *   process_resident_memory_bytes  gauge    resident set size
 *   process_virtual_memory_bytes   gauge    virtual memory size
 *   process_open_fds               gauge    open file descriptors
 *   process_max_fds                gauge    the soft limit on open file descriptors
 *                                           (+Inf when unlimited)
 *
 * Reading them takes a few small reads of procfs, which answers from kernel
 * memory and never waits on a device, so a scrape may call
 * ds_process_metrics_collect on the loop thread.
 *
 * @locality the thread that owns the registry. */
#ifndef DS_PROCESS_H
#define DS_PROCESS_H

#include "metrics.h"

typedef struct ds_process_metrics {
    ds_series *start_time, *cpu, *rss, *vsize, *open_fds, *max_fds; /* owned by the registry */
} ds_process_metrics;

/* Registers the six families in reg and reads the start time (which never
 * changes). Returns 0, or -1 when a family cannot be registered (a name
 * taken, out of memory). */
int ds_process_metrics_init(ds_process_metrics *pm, ds_metrics *reg);

/* Sets every series but the start time from the process's current figures.
 * A figure that cannot be read (no /proc) keeps its last value. Returns 0,
 * or -1 when one or more could not be read. */
int ds_process_metrics_collect(ds_process_metrics *pm);

#endif
