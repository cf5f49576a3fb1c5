/* pipeline.h: the Kafka-free processing steps, shared by `run`, `replay`,
 * `extract` and the tests.
 *
 *   input bytes --decode--> ArticleEvent --extract--+
 *   input bytes --decode--> DealEvent --normalize---+--> DealMention[]
 *   DealMention --resolve--> CanonicalDeal records to publish
 *
 * A failure carries what a dead-letter record needs: the stage that failed,
 * a stable error class and a one-line message.
 *
 * @locality one thread per pipeline (it reuses its codec values). */
#ifndef DS_PIPELINE_H
#define DS_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "codec.h"
#include "deal_bin.h"
#include "extract.h"
#include "mention.h"
#include "resolve.h"

/* The default limit of an article's body (--max-body-bytes). */
#define DS_PIPELINE_MAX_BODY (512 * 1024)

typedef struct ds_fail {
    const char *stage;  /* "decode", "validate", "extract", "normalize", "resolve", "encode" */
    const char *cls;    /* stable class, e.g. "bad-magic", "bad-utf8", "missing-field" */
    char msg[512];
} ds_fail;

typedef enum { DS_INPUT_ARTICLE, DS_INPUT_DEAL } ds_input_kind;

/* One input record as consumed. */
typedef struct ds_input {
    ds_input_kind kind;
    const char *topic;
    int32_t partition;
    int64_t offset;
    const void *data;
    size_t len;
} ds_input;

typedef struct ds_pipeline {
    ds_catalog *cat;
    ds_codec *codec;
    ds_extractor *ex;
    ds_resolver *rs;
    avro_value_t article;   /* reused decode targets and encode sources */
    avro_value_t deal;
    avro_value_t mention;
    ds_deal_event event;    /* the deal event being normalised */
    ds_mention norm;        /* the mention of a deal event */
    char rate_currency[4];  /* the last currency found to have a rate ("" at init) */
    int deal_direct;        /* ds_deal_event_read fits the DealEvent schema (set at init) */
    ds_buf canon_buf;       /* reused by ds_pipeline_emit_changes */
    ds_framing canon_framing; /* of the canonical records: single-object, or Confluent with a registry */
    size_t max_body;        /* longer bodies fail with body-too-big; DS_PIPELINE_MAX_BODY at init */
    /* Bounds of a canonical record (ds_pipeline_emit_changes): the sources
     * it lists at most (DS_CANON_MAX_SOURCES at init; 0: all), and the bytes
     * its key and framed value may take (0, the default: no limit), within
     * which the cap is halved until the record fits. */
    size_t canon_max_sources;
    size_t canon_max_bytes;
    uint64_t canon_truncated;    /* records emitted with part of their sources listed */
    char canon_trunc_note[192];  /* what the last of them listed, for a warning */
} ds_pipeline;

/* Loads the catalog from catalog_dir and sets up every stage. Returns 0, or
 * -1 with a message in err (a bad catalog names file and line). */
int ds_pipeline_init(ds_pipeline *pl, const char *catalog_dir, char *err, size_t errlen);
/* As ds_pipeline_init with a catalog already loaded; the pipeline owns it
 * from now on, also on failure. */
int ds_pipeline_init_catalog(ds_pipeline *pl, ds_catalog *cat, char *err, size_t errlen);
void ds_pipeline_fini(ds_pipeline *pl);

/* Decodes and validates one input and yields its mentions (*out valid until
 * the next call). Returns the count (>= 0) or -1 with *fail set. A deal
 * event of this version's schema is read directly (deal_bin.h); one of
 * another writer schema, or bytes the direct reader refuses, go through
 * the generic decoder, which resolves the one and classifies the error of
 * the other, so the mention and the failure are the same either way. */
int ds_pipeline_mentions(ds_pipeline *pl, const ds_input *in, const ds_mention **out, ds_fail *fail);

/* Extracts the mentions of an article given as fields (the extract command). */
int ds_pipeline_extract(ds_pipeline *pl, const ds_article *a, const ds_mention **out, ds_fail *fail);

/* Maps a DealEvent (a value of the reader schema) to a mention: the
 * generic path of ds_pipeline_mentions. */
int ds_pipeline_normalize(ds_pipeline *pl, avro_value_t *deal, const ds_input *in, ds_mention *m, ds_fail *fail);

/* Called for every record to publish: key and Avro single-object value. */
typedef int (*ds_emit_fn)(void *opaque, const char *key, const void *val, size_t len);

/* Resolves one mention and emits every canonical record it changed. Returns
 * the number emitted or -1 with *fail set (class "cancelled" when the
 * resolver's cancel function stopped it: see ds_resolver_set_cancel). */
int ds_pipeline_resolve(ds_pipeline *pl, const ds_mention *m, ds_emit_fn emit, void *opaque, ds_fail *fail);

/* As ds_pipeline_resolve, in the resolver rs instead of pl->rs (the
 * processor keeps one resolver per partition of <app>-mentions). */
int ds_pipeline_resolve_in(ds_pipeline *pl, ds_resolver *rs, const ds_mention *m, ds_emit_fn emit, void *opaque,
                           ds_fail *fail);

/* Encodes and emits the records of changes (from ds_resolver_add or
 * ds_resolver_restore_finish), each within pl's bounds (canon_max_sources,
 * canon_max_bytes; see ds_canon_write_capped), counting those capped in
 * canon_truncated. Returns the number emitted or -1 (class record-too-big
 * when a record without any source would still exceed canon_max_bytes). */
int ds_pipeline_emit_changes(ds_pipeline *pl, const ds_changes *changes, ds_emit_fn emit, void *opaque,
                             ds_fail *fail);

/* Appends a mention's single-object encoding to out (DealMention body
 * written directly, see mention_bin.h). Returns 0 or -1 (out of memory). */
int ds_pipeline_encode_mention(ds_pipeline *pl, const ds_mention *m, ds_buf *out);

/* Decodes a record of <app>-mentions into m: directly when it carries this
 * version's schema fingerprint, else (or when the direct reader refuses the
 * bytes) through the generic decoder, which resolves older writers and
 * words the error. Returns 0, or -1 with fail set (stage "decode" with the
 * codec's class, or "validate" / "invalid-mention"). */
int ds_pipeline_decode_mention(ds_pipeline *pl, const void *data, size_t len, ds_mention *m, ds_fail *fail);

/* As ds_pipeline_mentions, for a record in its JSON form (files, stdin). */
int ds_pipeline_mentions_json(ds_pipeline *pl, ds_input_kind kind, json_t *rec, const ds_input *in,
                              const ds_mention **out, ds_fail *fail);

#endif
