/* extract.h: deal mentions from article text.
 *
 * Reads an article the way an analyst would: sentences, catalog entities
 * (countries, companies, authorities, systems), money, quantities, dates and
 * the cue words of each deal stage (see DOMAIN.md). Yields one primary
 * mention per deal the article reports as news and one context mention per
 * earlier deal it recalls. Every field carries the byte span of the sentence
 * it came from.
 *
 * An extractor keeps scratch buffers: use one per thread. */
#ifndef DS_EXTRACT_H
#define DS_EXTRACT_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "mention.h"

typedef struct ds_extractor ds_extractor;

typedef struct ds_article {
    const char *id;
    const char *outlet;   /* may be NULL */
    const char *title;    /* may be NULL */
    const char *body;     /* UTF-8, not necessarily NUL-terminated */
    size_t len;
    int64_t published;    /* ms since epoch, DS_NO_TIME when unknown */
} ds_article;

/* The catalog must outlive the extractor. Returns NULL when out of memory. */
ds_extractor *ds_extractor_new(const ds_catalog *cat);
void ds_extractor_destroy(ds_extractor *ex); /* accepts NULL */

/* Extracts the mentions of one article into *out (an array owned by the
 * extractor, valid until the next call) and returns their count (>= 0), primary
 * mentions first. Source fields other than kind, id, outlet, published and
 * text_hash are left for the caller. Returns -1 with a message naming the byte
 * offset when the body is not valid UTF-8, or -2 when out of memory. */
int ds_extract(ds_extractor *ex, const ds_article *a, const ds_mention **out, char *err, size_t errlen);

/* 64-bit fingerprint of the folded text (one-permutation MinHash over word
 * 3-shingles, one bit per bin): the Hamming distance of two fingerprints
 * estimates how different the texts are; syndicated copies differ in a few
 * bits, unrelated texts in about 32. */
uint64_t ds_simhash(const char *folded, size_t len);

#endif
