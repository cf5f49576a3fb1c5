/* fuzz_common.h: shared set-up of the fuzz targets and the seed writer.
 *
 * The decode targets and fuzz_seeds must agree on the Confluent ids and on
 * the extra writer schema, so both are defined once here. */
#ifndef DS_FUZZ_COMMON_H
#define DS_FUZZ_COMMON_H

#include <stddef.h>

#include "codec.h"

/* Confluent id of reader schema id is DS_FUZZ_CID_BASE + id; the older
 * ArticleEvent writer (tests/data/ArticleEvent.v1.avsc) is DS_FUZZ_CID_V1. */
#define DS_FUZZ_CID_BASE 101
#define DS_FUZZ_CID_V1 (DS_FUZZ_CID_BASE + DS_SCHEMA__COUNT)

/* The number of writers a selector byte chooses from: the reader schemas,
 * then the v1 ArticleEvent writer (decoded into ArticleEvent). */
#define DS_FUZZ_NWRITERS (DS_SCHEMA__COUNT + 1)

/* Makes a codec with the Confluent ids above and the v1 ArticleEvent writer
 * registered; aborts with a message on failure (a fuzz target cannot run
 * without it). *v1_fp receives the v1 writer's fingerprint when not NULL. */
ds_codec *ds_fuzz_codec(unsigned long long *v1_fp);

/* The reader schema that writer w (0 .. DS_FUZZ_NWRITERS-1) decodes into. */
ds_schema_id ds_fuzz_reader_of(int w);

/* Reads a whole file; NULL on error. Caller frees. */
char *ds_fuzz_slurp(const char *path, size_t *len);

#endif
