/* fuzz_decode_confluent: the first byte picks a registered writer (the five
 * reader schemas under their Confluent ids, or the v1 ArticleEvent writer
 * that resolves into ArticleEvent); the rest is the Avro body, framed as
 * 00 + big-endian id + body and decoded into that writer's reader schema.
 * A value that decodes is round-tripped through JSON and re-encoded. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (size < 1)
        return 0;
    int w = data[0] % DS_FUZZ_NWRITERS;
    ds_schema_id id = ds_fuzz_reader_of(w);
    uint32_t cid = (uint32_t)(w < DS_SCHEMA__COUNT ? DS_FUZZ_CID_BASE + w : DS_FUZZ_CID_V1);
    unsigned char hdr[5] = {0, (unsigned char)(cid >> 24), (unsigned char)(cid >> 16), (unsigned char)(cid >> 8),
                            (unsigned char)cid};
    /* An exact-size copy, so that ASan sees a read past the end. */
    unsigned char *m = malloc(size + 4);
    if (!m)
        return 0;
    memcpy(m, hdr, 5);
    memcpy(m + 5, data + 1, size - 1);
    char err[512];
    int rc = ds_codec_decode(ds_fuzz_v.codec, id, m, size + 4, &ds_fuzz_v.vals[id], err, sizeof err);
    free(m);
    if (rc > 0 || rc < DS_CODEC_ENOMEM)
        abort();
    if (rc == 0)
        ds_fuzz_roundtrip(id, DS_FRAME_CONFLUENT);
    return 0;
}
