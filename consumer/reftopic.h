/* reftopic.h: the reference table of known contracts read from a compacted
 * topic (--reference-topic) instead of the catalog's reference.tsv.
 *
 * Each record is one row of the table: key = the ref id, value = the row as
 * in reference.tsv (tab-separated, the file's 15 columns in its order, UTF-8);
 * a record without a value (tombstone) removes the ref. The latest record of
 * each key wins. Every processor instance reads the whole topic when it
 * starts, so all of them hold the same table; a change takes effect at the
 * next start. `dealstream produce --type reference FILE` publishes a
 * reference.tsv in that form.
 *
 * @locality the calling thread. */
#ifndef DS_REFTOPIC_H
#define DS_REFTOPIC_H

#include <stddef.h>

#include "catalog.h"
#include "config.h"

/* The header of reference.tsv, which each row of the topic follows. */
extern const char ds_reftopic_header[];

/* Loads the catalog from cfg->catalog_dir, with the reference table from
 * cfg->reference_topic when that is set (read with a consumer of its own,
 * from the beginning to the end seen at start, within timeout_ms). A row
 * that does not parse is named by topic, partition and offset. Returns the
 * catalog or NULL with err set. */
ds_catalog *ds_reftopic_catalog(const ds_config *cfg, int timeout_ms, char *err, size_t errlen);

#endif
