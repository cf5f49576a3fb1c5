/* fuzz_decode_single: the bytes are one message, decoded into every reader
 * schema (the header decides whether it is single-object, Confluent or
 * garbage). Seeds from fuzz_seeds: valid single-object encodings of the
 * tests/data records and of a v1 ArticleEvent, so mutations start past the
 * fingerprint check. A value that decodes is also turned into JSON, back
 * into Avro and re-encoded, which must succeed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    ds_fuzz_values_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    for (int id = 0; id < DS_SCHEMA__COUNT; id++) {
        int rc = ds_codec_decode(ds_fuzz_v.codec, (ds_schema_id)id, data, size, &ds_fuzz_v.vals[id], err, sizeof err);
        if (rc > 0 || rc < DS_CODEC_ENOMEM)
            abort();
        if (rc == 0)
            ds_fuzz_roundtrip((ds_schema_id)id, DS_FRAME_SINGLE_OBJECT);
    }
    return 0;
}
