/* `dealstream extract`: the mentions of articles as JSON lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "input.h"
#include "log.h"
#include "pipeline.h"

typedef struct extract_ctx {
    ds_pipeline *pl;
    ds_input_kind kind;
    size_t records, mentions, failed;
} extract_ctx;

static void on_bad(void *opaque, const char *where, const char *what)
{
    (void)opaque;
    fprintf(stderr, "dealstream extract: %s: %s\n", where, what);
}

static int on_record(void *opaque, json_t *rec, const char *where)
{
    extract_ctx *x = opaque;
    const ds_mention *ms;
    ds_fail fail;
    ds_input in = {x->kind, "", -1, -1, NULL, 0};
    x->records++;
    int n = ds_pipeline_mentions_json(x->pl, x->kind, rec, &in, &ms, &fail);
    if (n < 0) {
        fprintf(stderr, "dealstream extract: %s: %s (%s): %s\n", where, fail.stage, fail.cls, fail.msg);
        x->failed++;
        return 0;
    }
    for (int i = 0; i < n; i++) {
        avro_value_reset(&x->pl->mention);
        if (ds_mention_to_avro(&ms[i], &x->pl->mention)) {
            fprintf(stderr, "dealstream extract: %s: %s\n", where, avro_strerror());
            x->failed++;
            continue;
        }
        json_t *j = ds_codec_to_json(x->pl->codec, DS_SCHEMA_MENTION, &x->pl->mention);
        char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        json_decref(j);
        if (!s) { /* jansson refuses strings that are not UTF-8 */
            fprintf(stderr, "dealstream extract: %s: mention %s cannot be written as JSON\n", where, ms[i].mention_id);
            x->failed++;
            continue;
        }
        puts(s);
        free(s);
        x->mentions++;
    }
    return 0;
}

int ds_cmd_extract(ds_config *cfg)
{
    ds_pipeline pl;
    char err[1024];
    if (strcmp(cfg->input_type, "reference") == 0) {
        fprintf(stderr, "dealstream extract: --type reference is for produce; extract reads articles or deals\n");
        return 2;
    }
    if (ds_pipeline_init(&pl, cfg->catalog_dir, err, sizeof err)) {
        fprintf(stderr, "dealstream extract: %s\n", err);
        return 1;
    }
    if (cfg->max_body_bytes > 0)
        pl.max_body = (size_t)cfg->max_body_bytes;
    extract_ctx x = {&pl, strcmp(cfg->input_type, "deal") == 0 ? DS_INPUT_DEAL : DS_INPUT_ARTICLE, 0, 0, 0};
    int rc = 0;
    size_t nbad = 0;
    int nfiles = cfg->nargs ? cfg->nargs : 1;
    for (int i = 0; i < nfiles; i++) {
        const char *path = cfg->nargs ? cfg->args[i] : "-";
        if (ds_input_read(path, cfg->input_format, x.kind == DS_INPUT_ARTICLE, on_record, &x, on_bad, &nbad, err,
                          sizeof err)) {
            fprintf(stderr, "dealstream extract: %s\n", err);
            rc = 1;
        }
    }
    ds_info("extract", "%zu records, %zu mentions, %zu failed, %zu malformed", x.records, x.mentions, x.failed, nbad);
    ds_pipeline_fini(&pl);
    return rc || x.failed || nbad ? 1 : 0;
}
