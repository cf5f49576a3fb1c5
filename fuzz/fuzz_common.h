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

/* The decode targets' state: a codec from ds_fuzz_codec and, per reader
 * schema, a value to decode into and one to read its JSON back into. Set up
 * by ds_fuzz_values_init, which also releases it all at exit: LeakSanitizer
 * cannot follow avro-c's pointers into string buffers, so nothing may be
 * alive when the process ends. */
typedef struct ds_fuzz_values {
    ds_codec *codec;
    avro_value_t vals[DS_SCHEMA__COUNT];
    avro_value_t again[DS_SCHEMA__COUNT];
    ds_buf out;
} ds_fuzz_values;
extern ds_fuzz_values ds_fuzz_v;
void ds_fuzz_values_init(void);

/* vals[id] decoded fine: its JSON form must read back into again[id] and
 * encode with framing; aborts otherwise. */
void ds_fuzz_roundtrip(ds_schema_id id, ds_framing framing);

#endif
