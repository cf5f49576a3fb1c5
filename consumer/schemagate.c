/* schemagate.c: holds inputs whose Confluent schema id is not known yet
 * until the registry answers (see schemagate.h). May call common/ and
 * schemas/. */
#include "schemagate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "registry.h"

#define MAX_IDS 256

static const char *const schema_names[DS_SCHEMA__COUNT] = {"ArticleEvent", "DealEvent", "DealMention",
                                                            "CanonicalDeal", "StateRecord"};

struct ds_schema_gate {
    ds_registry *reg;
    ds_codec *codec;
    int32_t known[MAX_IDS]; /* ids added to the codec */
    size_t nknown;
    size_t waits;
};

ds_schema_gate *ds_schema_gate_new(const ds_config *cfg, ds_codec *codec, void (*on_wake)(void *opaque),
                                   void *opaque, char *err, size_t errlen)
{
    ds_schema_gate *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ds_registry_conf rc = {.url = cfg->schema_registry_url,
                           .basic_auth = cfg->schema_registry_auth,
                           .ca_location = cfg->schema_registry_ca,
                           .on_ready = on_wake,
                           .opaque = opaque};
    g->reg = ds_registry_new(&rc, err, errlen);
    if (!g->reg) {
        free(g);
        return NULL;
    }
    g->codec = codec;
    return g;
}

void ds_schema_gate_destroy(ds_schema_gate *g)
{
    if (!g)
        return;
    ds_registry_destroy(g->reg);
    free(g);
}

static int is_known(const ds_schema_gate *g, int32_t id)
{
    for (size_t i = 0; i < g->nknown; i++)
        if (g->known[i] == id)
            return 1;
    return 0;
}

int ds_schema_gate_check(ds_schema_gate *g, const void *data, size_t len, int32_t *id, char *msg, size_t msglen)
{
    const unsigned char *p = data;
    if (!p || len < 5 || p[0] != 0)
        return DS_GATE_PASS; /* single-object, or for the decoder to name */
    *id = (int32_t)((uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4]);
    return ds_schema_gate_check_id(g, *id, msg, msglen);
}

int ds_schema_gate_check_id(ds_schema_gate *g, int32_t cid, char *msg, size_t msglen)
{
    if (cid < 0 || is_known(g, cid))
        return DS_GATE_PASS;
    for (int s = 0; s < DS_SCHEMA__COUNT; s++)
        if (ds_codec_confluent_id(g->codec, (ds_schema_id)s) == cid)
            return DS_GATE_PASS; /* our own registered schema */
    char *schema = NULL;
    int r = ds_registry_schema(g->reg, cid, &schema);
    if (r == DS_REG_EPENDING) {
        g->waits++;
        return DS_GATE_WAIT;
    }
    if (r == DS_REG_ENOTFOUND) {
        snprintf(msg, msglen, "the schema registry has no schema id %d", (int)cid);
        return DS_GATE_FAIL;
    }
    if (r) {
        snprintf(msg, msglen, "schema id %d: %s", (int)cid, ds_registry_strerror(r));
        return DS_GATE_FAIL;
    }
    ds_schema_id reader;
    char e[256];
    r = ds_registry_codec_add(g->codec, cid, schema, &reader, e, sizeof e);
    free(schema);
    if (r) {
        snprintf(msg, msglen, "schema id %d is not one this processor reads: %s", (int)cid, e);
        return DS_GATE_FAIL;
    }
    if (g->nknown < MAX_IDS)
        g->known[g->nknown++] = cid;
    ds_info("registry", "schema id %d added (reader %s)", (int)cid, schema_names[reader]);
    return DS_GATE_PASS;
}

int ds_schema_gate_register(ds_schema_gate *g, ds_schema_id sid, const char *topic, int timeout_ms, char *err,
                            size_t errlen)
{
    char subject[512];
    ds_registry_subject(topic, subject, sizeof subject);
    int32_t id;
    if (ds_registry_register(g->reg, subject, ds_schema_json[sid], timeout_ms, &id, err, errlen))
        return -1;
    if (ds_codec_set_confluent_id(g->codec, sid, id)) {
        snprintf(err, errlen, "schema registry gave an invalid id %d", (int)id);
        return -1;
    }
    ds_info("registry", "%s registered as %s, id %d: writing Confluent framing", schema_names[sid], subject,
            (int)id);
    return 0;
}

size_t ds_schema_gate_known(const ds_schema_gate *g) { return g->nknown; }
size_t ds_schema_gate_waits(const ds_schema_gate *g) { return g->waits; }
