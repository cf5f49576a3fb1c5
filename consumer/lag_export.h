/* lag_export.h: the lag of one group or of every group of a cluster in the
 * Prometheus text format, scraped once or served on /metrics, for those
 * who watch lag with kafka-lag-exporter or Burrow.
 *
 * Each group keeps its ds_lag from scrape to scrape, so the status window
 * fills as the scrapes come. Without a group, each scrape lists the
 * cluster's groups anew (ListGroups), so groups that appear are picked up;
 * a group without committed offsets is left out until it has some.
 * @locality one thread per ds_lag_export (the server observes on a worker
 * thread, one observation at a time). */
#ifndef DS_LAG_EXPORT_H
#define DS_LAG_EXPORT_H

#include <stddef.h>

#include "config.h"

typedef struct ds_lag_export ds_lag_export;

/* Exports group (NULL: every group) on topics (NULL: every topic the group
 * has offsets for), with a status window of window observations. Connects
 * nothing yet. NULL when out of memory. */
ds_lag_export *ds_lag_export_new(const ds_config *cfg, const char *group, const char *topics, int window);
void ds_lag_export_destroy(ds_lag_export *x); /* accepts NULL */
/* One observation of every group, rendered: *text (malloc'd, NUL-terminated)
 * holds the families of ds_lag_prometheus() and dealstream_lag_up (1, or 0
 * when a group could not be observed) and dealstream_lag_groups. Returns 0,
 * or -1 with err set when nothing could be observed (no group, or the
 * broker cannot list groups). */
int ds_lag_export_scrape(ds_lag_export *x, char **text, size_t *len, char *err, size_t errlen);

/* Serves GET /metrics on listen (an address as ds_http_parse_listen takes;
 * port 0: any free port), the last scrape, taken first at start and then
 * every interval_s on a worker thread, until SIGINT or SIGTERM. The bound
 * address is logged ("lag: serving http://HOST:PORT/metrics"). Returns 0,
 * or -1 with err set when it cannot listen or the first scrape fails. */
int ds_lag_export_serve(ds_lag_export *x, const char *listen, int interval_s, char *err, size_t errlen);

#endif
