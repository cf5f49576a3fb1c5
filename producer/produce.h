/* produce.h: publishing input files to Kafka as the produce command does. */
#ifndef DS_PRODUCE_H
#define DS_PRODUCE_H

#include <stddef.h>

#include "config.h"

/* ds_produce() results besides 0 and -1 (not every record was delivered,
 * or an input was rejected; each one is logged): */
#define DS_PRODUCE_EUSAGE (-2) /* the options cannot work (err says why) */

/* Publishes cfg->args (standard input without any) to cfg->topic, or the
 * topic of cfg->input_type: articles (text or JSON lines) and deal events
 * as Avro records keyed by their id, or (--type reference) the rows of a
 * reference.tsv keyed by ref. Waits for every delivery. Returns 0,
 * DS_PRODUCE_EUSAGE, or -1, with err set. */
int ds_produce(const ds_config *cfg, char *err, size_t errlen);

#endif
