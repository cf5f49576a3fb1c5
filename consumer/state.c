/* state.c: the changelog of resolver state (see state.h). */
#include "state.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kafka.h"
#include "log.h"
#include "mention.h"
#include "mention_bin.h"
#include "util.h"

#define POLL_CANCEL_MS 100 /* a cancellable restore's longest wait for a record */

#define TRY(x)              \
    do {                    \
        if ((x) != 0)       \
            return -1;      \
    } while (0)

/* Appends a StateRecord of ms and revs to out, single-object encoded and
 * written directly (mention_bin.h). Returns 0, or -1 (out unaltered). */
static int encode_items(ds_codec *codec, const char *block_key, uint32_t chunk, const char *input_topic,
                        int32_t input_partition, int64_t input_offset, const ds_mention *const *ms, size_t nms,
                        const ds_deal_rev *revs, size_t nrevs, ds_buf *out)
{
    unsigned char hdr[DS_FRAME_HEADER_MAX];
    size_t hlen, len = out->len;
    int e = ds_codec_frame_header(codec, DS_SCHEMA_STATE, DS_FRAME_SINGLE_OBJECT, hdr, &hlen) ||
            ds_buf_append(out, hdr, hlen);
    e |= ds_avro_put_string(out, block_key);
    e |= ds_avro_put_string(out, input_topic);
    e |= ds_avro_put_long(out, input_partition);
    e |= ds_avro_put_long(out, input_offset);
    /* arrays as avro-c writes them: one block of all items, then 0 */
    if (nms)
        e |= ds_avro_put_long(out, (int64_t)nms);
    for (size_t i = 0; i < nms && !e; i++)
        e |= ds_mention_write(ms[i], out);
    e |= ds_avro_put_long(out, 0);
    if (nrevs)
        e |= ds_avro_put_long(out, (int64_t)nrevs);
    for (size_t i = 0; i < nrevs; i++) {
        e |= ds_avro_put_string(out, revs[i].deal_id);
        e |= ds_avro_put_long(out, revs[i].revision);
        e |= ds_avro_put_long(out, (int64_t)revs[i].content_hash);
        /* ["null", "boolean"] */
        e |= ds_avro_put_long(out, revs[i].retired >= 0);
        if (revs[i].retired >= 0)
            e |= ds_buf_putc(out, revs[i].retired ? 1 : 0);
    }
    e |= ds_avro_put_long(out, 0);
    e |= ds_avro_put_long(out, (int64_t)chunk);
    if (e) {
        out->len = len;
        return -1;
    }
    return 0;
}

/* The items of chunk `chunk` of block_key (0: the whole block). */
static int chunk_items(ds_resolver *rs, const char *block_key, uint32_t chunk, const ds_mention *const **ms,
                       size_t *nms, const ds_deal_rev **revs, size_t *nrevs)
{
    if (chunk == 0)
        return ds_resolver_block_state(rs, block_key, ms, nms, revs, nrevs);
    return ds_resolver_chunk_state(rs, block_key, chunk, ms, nms, revs, nrevs);
}

int ds_state_encode(ds_codec *codec, ds_resolver *rs, const char *block_key, const char *input_topic,
                    int32_t input_partition, int64_t input_offset, ds_buf *out)
{
    return ds_state_encode_chunk(codec, rs, block_key, 0, input_topic, input_partition, input_offset, out);
}

int ds_state_encode_chunk(ds_codec *codec, ds_resolver *rs, const char *block_key, uint32_t chunk,
                          const char *input_topic, int32_t input_partition, int64_t input_offset, ds_buf *out)
{
    const ds_mention *const *ms;
    const ds_deal_rev *revs;
    size_t nms, nrevs;
    TRY(chunk_items(rs, block_key, chunk, &ms, &nms, &revs, &nrevs));
    return encode_items(codec, block_key, chunk, input_topic, input_partition, input_offset, ms, nms, revs, nrevs,
                        out);
}

int ds_state_encode_generic(ds_codec *codec, avro_value_t *sval, ds_resolver *rs, const char *block_key,
                            uint32_t chunk, const char *input_topic, int32_t input_partition, int64_t input_offset,
                            ds_buf *out)
{
    const ds_mention *const *ms;
    const ds_deal_rev *revs;
    size_t nms, nrevs;
    avro_value_t f, item;
    TRY(chunk_items(rs, block_key, chunk, &ms, &nms, &revs, &nrevs));
    TRY(avro_value_reset(sval));
    TRY(ds_avro_set_string(sval, "block_key", block_key));
    TRY(ds_avro_set_string(sval, "input_topic", input_topic));
    TRY(ds_avro_field(sval, "input_partition", &f));
    TRY(avro_value_set_int(&f, input_partition));
    TRY(ds_avro_field(sval, "input_offset", &f));
    TRY(avro_value_set_long(&f, input_offset));
    for (size_t i = 0; i < nms; i++) {
        TRY(ds_avro_append(sval, "mentions", &item));
        TRY(ds_mention_to_avro(ms[i], &item));
    }
    for (size_t i = 0; i < nrevs; i++) {
        TRY(ds_avro_append(sval, "revisions", &item));
        TRY(ds_avro_set_string(&item, "deal_id", revs[i].deal_id));
        TRY(ds_avro_field(&item, "revision", &f));
        TRY(avro_value_set_long(&f, revs[i].revision));
        TRY(ds_avro_field(&item, "content_hash", &f));
        TRY(avro_value_set_long(&f, (int64_t)revs[i].content_hash));
        avro_value_t br;
        TRY(ds_avro_field(&item, "retired", &f));
        TRY(avro_value_set_branch(&f, revs[i].retired >= 0, &br));
        if (revs[i].retired >= 0)
            TRY(avro_value_set_boolean(&br, revs[i].retired));
        else
            TRY(avro_value_set_null(&br));
    }
    TRY(ds_avro_field(sval, "chunk", &f));
    TRY(avro_value_set_int(&f, (int32_t)chunk));
    return ds_codec_encode(codec, DS_SCHEMA_STATE, sval, DS_FRAME_SINGLE_OBJECT, out) ? -1 : 0;
}

void ds_state_key(const char *block_key, uint32_t chunk, char *key, size_t keylen)
{
    /* as snprintf "%s#%u" would write it (cut to keylen), without its 900
     * instructions: one key per changelog record written */
    char num[12], *p = num + sizeof num;
    if (chunk) {
        do
            *--p = (char)('0' + chunk % 10);
        while (chunk /= 10);
        *--p = '#';
    }
    if (keylen == 0)
        return;
    size_t bl = strnlen(block_key, keylen - 1), nl = (size_t)(num + sizeof num - p);
    if (nl > keylen - 1 - bl)
        nl = keylen - 1 - bl;
    memcpy(key, block_key, bl);
    memcpy(key + bl, p, nl);
    key[bl + nl] = '\0';
}

/* The headers of a tombstone: its block and the input offset that deleted
 * it (restore reads them, since a tombstone has no value). NULL when out of
 * memory. */
static rd_kafka_headers_t *tombstone_headers(const char *block_key, int64_t input_offset)
{
    char off[24];
    snprintf(off, sizeof off, "%" PRId64, input_offset);
    rd_kafka_headers_t *h = rd_kafka_headers_new(2);
    if (h && (rd_kafka_header_add(h, DS_STATE_H_BLOCK, -1, block_key, -1) ||
              rd_kafka_header_add(h, DS_STATE_H_INPUT_OFFSET, -1, off, -1))) {
        rd_kafka_headers_destroy(h);
        return NULL;
    }
    return h;
}

/* Writes one entry of the changed-chunk list: the chunk's record, checked
 * against max_bytes, or its tombstone. Returns 0, or -1 with err. */
static int write_chunk(ds_codec *codec, ds_resolver *rs, const char *block_key, const ds_state_chunk *c,
                       const char *input_topic, int32_t input_partition, int64_t input_offset, size_t max_bytes,
                       ds_buf *scratch, ds_state_put_fn put, void *opaque, char *err, size_t errlen)
{
    char key[300];
    ds_state_key(block_key, c->chunk, key, sizeof key);
    if (c->gone) {
        rd_kafka_headers_t *h = tombstone_headers(block_key, input_offset);
        if (!h) {
            snprintf(err, errlen, "block %s: out of memory", block_key);
            return -1;
        }
        if (put(opaque, key, NULL, 0, h)) {
            snprintf(err, errlen, "block %s: tombstone of %s not queued", block_key, key);
            return -1;
        }
        return 0;
    }
    ds_buf_reset(scratch);
    if (ds_state_encode_chunk(codec, rs, block_key, c->chunk, input_topic, input_partition, input_offset, scratch)) {
        snprintf(err, errlen, "block %s: chunk %" PRIu32 " not encoded (out of memory)", block_key, c->chunk);
        return -1;
    }
    if (max_bytes && scratch->len + strlen(key) > max_bytes) {
        snprintf(err, errlen, "block %s: state record %s of %zu bytes exceeds the producer's message.max.bytes %zu",
                 block_key, key, scratch->len, max_bytes);
        return -1;
    }
    if (put(opaque, key, scratch->data, scratch->len, NULL)) {
        snprintf(err, errlen, "block %s: state record %s not queued", block_key, key);
        return -1;
    }
    return 0;
}

int ds_state_write_step(ds_codec *codec, ds_resolver *rs, const char *block_key, const ds_state_target *to,
                        ds_state_writer *w, size_t max, char *err, size_t errlen)
{
    if (!w->cs) {
        int rc = ds_resolver_chunks_dirty(rs, block_key, &w->cs, &w->n);
        if (rc) {
            w->cs = NULL;
            snprintf(err, errlen, "block %s: %s", block_key, rc == -1 ? "unknown block" : "out of memory");
            return -1;
        }
        w->next = 0;
    }
    for (size_t k = 0; w->next < w->n && (max == 0 || k < max); k++, w->next++)
        if (write_chunk(codec, rs, block_key, &w->cs[w->next], to->topic, to->partition, to->offset, to->max_bytes,
                        to->scratch, to->put, to->opaque, err, errlen))
            return -1;
    if (w->next < w->n)
        return 1;
    ds_resolver_chunks_written(rs, block_key);
    return 0;
}

int ds_state_write_block(ds_codec *codec, ds_resolver *rs, const char *block_key, const char *input_topic,
                         int32_t input_partition, int64_t input_offset, size_t max_bytes, ds_buf *scratch,
                         ds_state_put_fn put, void *opaque, char *err, size_t errlen)
{
    ds_state_target to = {input_topic, input_partition, input_offset, max_bytes, scratch, put, opaque};
    ds_state_writer w = {0};
    if (ds_state_write_step(codec, rs, block_key, &to, &w, 0, err, errlen))
        return -1;
    return (int)w.n;
}

static int get_long(avro_value_t *rec, const char *field, int64_t *v)
{
    avro_value_t f;
    return ds_avro_field(rec, field, &f) || avro_value_get_long(&f, v) ? -1 : 0;
}

static const char *get_string(avro_value_t *rec, const char *field)
{
    avro_value_t f;
    const char *s = NULL;
    size_t sz;
    if (ds_avro_field(rec, field, &f) || avro_value_get_string(&f, &s, &sz))
        return NULL;
    return s;
}


/* ---- reading a record directly ----------------------------------------- */

/* A StateRecord as the direct reader gives it; ms and revs grow as needed
 * and are kept between records (state_rec_free releases them). */
typedef struct state_rec {
    char block_key[256];
    char input_topic[256];
    int64_t input_offset;
    uint32_t chunk; /* 0: the whole block */
    ds_mention *ms;
    size_t nms, mscap;
    ds_deal_rev *revs;
    size_t nrevs, revcap;
} state_rec;

static void state_rec_free(state_rec *sr)
{
    free(sr->ms);
    free(sr->revs);
    memset(sr, 0, sizeof *sr);
}

/* ds_reserve, with the error worded. */
static int reserve(void *arrp, size_t *cap, size_t need, size_t elem, char *err, size_t errlen)
{
    if (ds_reserve(arrp, cap, need, elem, 16)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* Reads a StateRecord written with this version's schema (single-object
 * framing with its fingerprint): header fields only when header_only, else
 * the mentions and revisions too. Returns 0; 1 when the framing is another
 * schema's (the generic decoder resolves it); -1 with err for bytes that do
 * not read, or when out of memory. */
static int state_read(ds_codec *codec, const void *data, size_t len, int header_only, state_rec *sr, char *err,
                      size_t errlen)
{
    unsigned char hdr[DS_FRAME_HEADER_MAX];
    size_t hlen;
    if (ds_codec_frame_header(codec, DS_SCHEMA_STATE, DS_FRAME_SINGLE_OBJECT, hdr, &hlen) || len < hlen ||
        memcmp(data, hdr, hlen) != 0)
        return 1;
    const unsigned char *body = (const unsigned char *)data + hlen;
    ds_avro_cursor c = {body, body + (len - hlen), NULL, NULL};
    ds_avro_get_string(&c, "block_key", sr->block_key, sizeof sr->block_key);
    ds_avro_get_string(&c, "input_topic", sr->input_topic, sizeof sr->input_topic);
    int64_t p = ds_avro_get_long(&c, "input_partition");
    if (p < INT32_MIN || p > INT32_MAX)
        c.failed = c.failed ? c.failed : "input_partition";
    sr->input_offset = ds_avro_get_long(&c, "input_offset");
    sr->nms = sr->nrevs = 0;
    if (header_only)
        return ds_avro_cursor_error(&c, "StateRecord", body, err, errlen);
    int64_t n;
    while (!c.failed && (n = ds_avro_get_block(&c, "mentions")) > 0)
        for (int64_t i = 0; i < n && !c.failed; i++) {
            if (reserve(&sr->ms, &sr->mscap, sr->nms + 1, sizeof *sr->ms, err, errlen))
                return -1;
            ds_mention_read_at(&c, &sr->ms[sr->nms++]);
        }
    while (!c.failed && (n = ds_avro_get_block(&c, "revisions")) > 0)
        for (int64_t i = 0; i < n && !c.failed; i++) {
            if (reserve(&sr->revs, &sr->revcap, sr->nrevs + 1, sizeof *sr->revs, err, errlen))
                return -1;
            ds_deal_rev *r = &sr->revs[sr->nrevs++];
            ds_avro_get_string(&c, "revisions.deal_id", r->deal_id, sizeof r->deal_id);
            r->revision = ds_avro_get_long(&c, "revisions.revision");
            r->content_hash = (uint64_t)ds_avro_get_long(&c, "revisions.content_hash");
            int64_t branch = ds_avro_get_long(&c, "revisions.retired");
            r->retired = -1;
            if (branch == 1 && !c.failed && c.p < c.end && *c.p <= 1)
                r->retired = *c.p++;
            else if (branch != 0)
                c.failed = c.failed ? c.failed : "revisions.retired";
        }
    int64_t chunk = ds_avro_get_long(&c, "chunk");
    if (chunk < 0 || chunk > UINT32_MAX)
        c.failed = c.failed ? c.failed : "chunk";
    sr->chunk = (uint32_t)chunk;
    if (!c.failed && c.p != c.end)
        c.failed = "(end)";
    return ds_avro_cursor_error(&c, "StateRecord", body, err, errlen);
}

/* Fills sr from a decoded value (another writer's record). Returns 0, or -1
 * with err. */
static int state_from_value(avro_value_t *sval, int header_only, state_rec *sr, char *err, size_t errlen)
{
    avro_value_t marr, rarr, item;
    size_t nms = 0, nrevs = 0;
    const char *key = get_string(sval, "block_key");
    if (!key || ds_strlcpy(sr->block_key, key, sizeof sr->block_key) ||
        get_long(sval, "input_offset", &sr->input_offset)) {
        snprintf(err, errlen, "StateRecord without block_key or input_offset");
        return -1;
    }
    sr->nms = sr->nrevs = 0;
    avro_value_t cf;
    int32_t chunk = 0;
    if (ds_avro_field(sval, "chunk", &cf) || avro_value_get_int(&cf, &chunk) || chunk < 0) {
        snprintf(err, errlen, "block %.120s: StateRecord with a bad chunk", sr->block_key);
        return -1;
    }
    sr->chunk = (uint32_t)chunk;
    if (header_only)
        return 0;
    if (ds_avro_field(sval, "mentions", &marr) || avro_value_get_size(&marr, &nms) ||
        ds_avro_field(sval, "revisions", &rarr) || avro_value_get_size(&rarr, &nrevs))
        goto bad;
    if (reserve(&sr->ms, &sr->mscap, nms, sizeof *sr->ms, err, errlen) ||
        reserve(&sr->revs, &sr->revcap, nrevs, sizeof *sr->revs, err, errlen))
        return -1;
    for (size_t i = 0; i < nms; i++) {
        if (avro_value_get_by_index(&marr, i, &item, NULL))
            goto bad;
        if (ds_mention_from_avro(&item, &sr->ms[i], err, errlen))
            return -1;
    }
    for (size_t i = 0; i < nrevs; i++) {
        int64_t hash;
        const char *id;
        ds_deal_rev *r = &sr->revs[i];
        if (avro_value_get_by_index(&rarr, i, &item, NULL) || !(id = get_string(&item, "deal_id")) ||
            get_long(&item, "revision", &r->revision) || get_long(&item, "content_hash", &hash))
            goto bad;
        ds_strlcpy(r->deal_id, id, sizeof r->deal_id);
        r->content_hash = (uint64_t)hash;
        r->retired = -1;
        avro_value_t rf, rb;
        int branch = 0, flag = 0;
        if (ds_avro_field(&item, "retired", &rf) == 0 && avro_value_get_discriminant(&rf, &branch) == 0 && branch == 1 &&
            avro_value_get_current_branch(&rf, &rb) == 0 && avro_value_get_boolean(&rb, &flag) == 0)
            r->retired = flag != 0;
    }
    sr->nms = nms;
    sr->nrevs = nrevs;
    return 0;
bad:
    snprintf(err, errlen, "block %.120s: StateRecord does not fit the schema", sr->block_key);
    return -1;
}

/* Reads a state record into sr (its header only when header_only): this
 * version's records directly; another writer's, or bytes the direct reader
 * refuses, through the generic decoder (sval: a value of DS_SCHEMA_STATE),
 * which resolves the one and words the error of the other. Returns 0, or -1
 * with err. */
static int state_decode(ds_codec *codec, avro_value_t *sval, const void *data, size_t len, int header_only,
                        state_rec *sr, char *err, size_t errlen)
{
    if (state_read(codec, data, len, header_only, sr, err, errlen) == 0)
        return 0;
    int rc = ds_codec_decode(codec, DS_SCHEMA_STATE, data, len, sval, err, errlen);
    return rc ? -1 : state_from_value(sval, header_only, sr, err, errlen);
}

/* Adds the chunk of a record read by state_decode to rs's restored state. */
static int state_rec_apply(ds_resolver *rs, const state_rec *sr, char *err, size_t errlen)
{
    int r = ds_resolver_restore_chunk(rs, sr->block_key, sr->chunk, sr->ms, sr->nms, sr->revs, sr->nrevs);
    if (r == -2)
        snprintf(err, errlen, "block %s: a mention without id or of another block", sr->block_key);
    else if (r)
        snprintf(err, errlen, "out of memory");
    return r ? -1 : 0;
}

/* ---- restore ------------------------------------------------------------ */

/* The records kept per changelog key while reading: the latest one below
 * the committed offset, and the latest one at or past it (used only when
 * the first is missing). Either may be a tombstone. */
typedef struct side {
    ds_buf rec;
    int has, tomb;
} side;

typedef struct slot {
    char *key;
    char *block; /* the block the key belongs to */
    side valid, late;
} slot;

typedef struct table {
    slot *s;
    size_t cap, n;
} table;

static slot *table_get(table *t, const char *key)
{
    if ((t->n + 1) * 2 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        slot *ns = calloc(cap, sizeof *ns);
        if (!ns)
            return NULL;
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->s[i].key)
                continue;
            size_t j = ds_hash64(t->s[i].key, strlen(t->s[i].key), 0) & (cap - 1);
            while (ns[j].key)
                j = (j + 1) & (cap - 1);
            ns[j] = t->s[i];
        }
        free(t->s);
        t->s = ns;
        t->cap = cap;
    }
    size_t j = ds_hash64(key, strlen(key), 0) & (t->cap - 1);
    while (t->s[j].key && strcmp(t->s[j].key, key) != 0)
        j = (j + 1) & (t->cap - 1);
    if (!t->s[j].key) {
        t->s[j].key = strdup(key);
        if (!t->s[j].key)
            return NULL;
        ds_buf_init(&t->s[j].valid.rec);
        ds_buf_init(&t->s[j].late.rec);
        t->n++;
    }
    return &t->s[j];
}

static void table_free(table *t)
{
    for (size_t i = 0; i < t->cap; i++)
        if (t->s[i].key) {
            free(t->s[i].key);
            free(t->s[i].block);
            ds_buf_free(&t->s[i].valid.rec);
            ds_buf_free(&t->s[i].late.rec);
        }
    free(t->s);
}

/* Block, then key order; empty slots last. */
static int slot_cmp(const void *pa, const void *pb)
{
    const slot *a = pa, *b = pb;
    if (!a->key || !b->key)
        return !a->key - !b->key;
    int c = strcmp(a->block, b->block);
    return c ? c : strcmp(a->key, b->key);
}

/* Reads the partition into t, from its start until the position reaches the
 * high watermark. Returns 0; DS_RESTORE_UNSTABLE with the reason in err when
 * a transaction on the partition is still open (the caller retries later:
 * a dead writer's transaction is aborted after its transaction.timeout.ms);
 * -1 with err set on an error. */
/* A reader of topic's partition assigned from its beginning, read
 * read_committed, with its leader known first (else the first offset
 * query waits for librdkafka's 500 ms timer). Takes conf. NULL with err
 * set on failure. */
static rd_kafka_t *open_reader(rd_kafka_conf_t *conf, const char *topic, int32_t partition, int timeout_ms,
                               char *err, size_t errlen)
{
    /* assign() needs a group id in librdkafka 2.0, though it joins no group
     * and nothing is committed */
    char group[300];
    snprintf(group, sizeof group, "%s.restore", topic);
    /* the end of a partition is reached by a fetch that finds nothing: do
     * not let the broker hold it for fetch.wait.max.ms (500 ms) */
    if (ds_kafka_set(conf, "isolation.level", "read_committed", err, errlen) ||
        ds_kafka_set(conf, "fetch.wait.max.ms", "10", err, errlen)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_t *rk = ds_kafka_reader(conf, group, err, errlen);
    if (!rk)
        return NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    if (rkt && rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms < 5000 ? timeout_ms : 5000) == 0)
        rd_kafka_metadata_destroy(md);
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, topic, partition)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_resp_err_t kerr = rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (kerr) {
        snprintf(err, errlen, "%s [%" PRId32 "]: assign: %s", topic, partition, rd_kafka_err2str(kerr));
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        return NULL;
    }
    return rk;
}

/* The value of header name of rkm as a string in buf, or NULL. */
static const char *header_str(const rd_kafka_message_t *rkm, const char *name, char *buf, size_t len)
{
    rd_kafka_headers_t *h = NULL;
    const void *v;
    size_t sz;
    if (rd_kafka_message_headers(rkm, &h) || rd_kafka_header_get_last(h, name, &v, &sz) || !v || sz >= len)
        return NULL;
    memcpy(buf, v, sz);
    buf[sz] = '\0';
    return buf;
}

/* What a record says of itself: its block and input offset (a tombstone's
 * from its headers: without them, the block named by its key, deleted
 * below any committed offset). Returns 0, or -1 with err. */
static int record_identity(ds_codec *codec, avro_value_t *sval, state_rec *peek, const rd_kafka_message_t *rkm,
                           const char *key, char *block, size_t blocklen, int64_t *input_offset, char *err,
                           size_t errlen)
{
    char off[32];
    if (!rkm->payload) {
        if (!header_str(rkm, DS_STATE_H_BLOCK, block, blocklen)) {
            ds_strlcpy(block, key, blocklen);
            char *hash = strrchr(block, '#');
            if (hash && hash[1] && strspn(hash + 1, "0123456789") == strlen(hash + 1))
                *hash = '\0';
        }
        *input_offset = header_str(rkm, DS_STATE_H_INPUT_OFFSET, off, sizeof off) ? strtoll(off, NULL, 10) : -1;
        return 0;
    }
    char derr[256];
    if (state_decode(codec, sval, rkm->payload, rkm->len, 1, peek, derr, sizeof derr)) {
        snprintf(err, errlen, "%s [%" PRId32 "] offset %" PRId64 ": unreadable state record: %s",
                 rd_kafka_topic_name(rkm->rkt), rkm->partition, rkm->offset, derr);
        return -1;
    }
    ds_strlcpy(block, peek->block_key, blocklen);
    *input_offset = peek->input_offset;
    return 0;
}

/* Keeps state record rkm (a value or a tombstone) in t as its key's
 * latest: among the valid ones when its input offset is below committed,
 * else among the late ones (and counted as skipped). Returns 0, or -1 with
 * err set (an unreadable record, which restoring without would silently
 * lose the block; no memory). */
static int keep_state_record(ds_codec *codec, avro_value_t *sval, state_rec *peek, const rd_kafka_message_t *rkm,
                             int64_t committed, table *t, ds_restore_stats *st, char *err, size_t errlen)
{
    char key[512], block[256];
    int64_t input_offset;
    st->records++;
    if (rkm->key && rkm->key_len < sizeof key) {
        memcpy(key, rkm->key, rkm->key_len);
        key[rkm->key_len] = '\0';
    } else {
        key[0] = '\0';
    }
    if (!rkm->payload && !key[0])
        return 0; /* a tombstone of nothing */
    if (record_identity(codec, sval, peek, rkm, key, block, sizeof block, &input_offset, err, errlen))
        return -1;
    slot *sl = table_get(t, key[0] ? key : block);
    if (!sl || (!sl->block && !(sl->block = strdup(block)))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    side *dst = input_offset < committed ? &sl->valid : &sl->late;
    if (input_offset >= committed)
        st->skipped++;
    if (!rkm->payload)
        st->tombstones++;
    ds_buf_reset(&dst->rec);
    dst->has = 1;
    dst->tomb = !rkm->payload;
    if (rkm->payload && ds_buf_append(&dst->rec, rkm->payload, rkm->len)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* Reads state partition `partition` of topic from its beginning to a
 * stable end (every committed transaction included) into t. Returns 0,
 * DS_RESTORE_UNSTABLE when a transaction is still open below the high
 * watermark (try again later), DS_RESTORE_CANCELLED once *cancel (may be
 * NULL) is set, or -1 with err set. Takes conf. */
static int read_partition(rd_kafka_conf_t *conf, ds_codec *codec, avro_value_t *sval, state_rec *peek,
                          const char *topic, int32_t partition, int64_t committed, int timeout_ms,
                          const atomic_int *cancel, table *t, ds_restore_stats *st, char *err, size_t errlen)
{
    int64_t deadline = ds_mono_ms() + timeout_ms;
    rd_kafka_t *rk = open_reader(conf, topic, partition, timeout_ms, err, errlen);
    if (!rk)
        return -1;
    int rc = -1;
    int64_t next = 0, hi = -1;
    for (;;) {
        int64_t left = deadline - ds_mono_ms();
        if (cancel && atomic_load(cancel)) {
            snprintf(err, errlen, "%s [%" PRId32 "]: restore cancelled at offset %" PRId64, topic, partition, next);
            rc = DS_RESTORE_CANCELLED;
            goto out;
        }
        if (left <= 0) {
            snprintf(err, errlen, "%s [%" PRId32 "]: restore not done after %d ms (at offset %" PRId64 ")", topic,
                     partition, timeout_ms, next);
            goto out;
        }
        /* a cancellable read looks at its flag every POLL_CANCEL_MS */
        int slice = cancel ? POLL_CANCEL_MS : 1000;
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(rk, (int)(left < slice ? left : slice));
        if (!rkm)
            continue;
        if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            next = rkm->offset > next ? rkm->offset : next;
            rd_kafka_message_destroy(rkm);
            /* the EOF of a read_committed reader is the last stable offset:
             * the high watermark of the same fetch must be reached */
            ds_kafka_end end;
            ds_kafka_end_init(&end, -1);
            if (ds_kafka_end_at(rk, topic, partition, next, &end) == 1)
                break;
            hi = end.end;
            snprintf(err, errlen,
                     "%s [%" PRId32 "]: a transaction is open between offset %" PRId64 " and the high watermark %" PRId64,
                     topic, partition, next, hi);
            rc = DS_RESTORE_UNSTABLE;
            goto out;
        }
        if (rkm->err) {
            snprintf(err, errlen, "%s [%" PRId32 "]: %s", topic, partition, rd_kafka_message_errstr(rkm));
            int fatal = rkm->err == RD_KAFKA_RESP_ERR__FATAL;
            rd_kafka_message_destroy(rkm);
            if (fatal)
                goto out;
            continue;
        }
        next = rkm->offset + 1;
        int kept = keep_state_record(codec, sval, peek, rkm, committed, t, st, err, errlen);
        rd_kafka_message_destroy(rkm);
        if (kept)
            goto out;
    }
    rc = 0;
out:
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}

/* Appends to publish (items: capacity cap, grown as needed) the current
 * revision of every deal of the nfallback blocks named in fallback (blocks
 * that compaction left with only records past the committed offset):
 * harmless if it was delivered, the missing output if it was not. Returns
 * 0, or -1 with err set. */
static int add_fallback_deals(ds_resolver *rs, char **fallback, size_t nfallback, ds_changes *publish, size_t *cap,
                              char *err, size_t errlen)
{
    const ds_canon **all;
    size_t n = ds_resolver_deals(rs, &all);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < nfallback; k++)
            if (strcmp(all[i]->block_key, fallback[k]) == 0) {
                if (reserve(&publish->items, cap, publish->n + 1, sizeof *publish->items, err, errlen))
                    return -1;
                publish->items[publish->n++] = (ds_canon *)all[i];
                break;
            }
    return 0;
}

/* Restores the block of slots s[0, n) (its keys): from each key's latest
 * record below the committed offset, or, when some key has only records at
 * or past it (compaction removed the others, or the key is new since),
 * from each key's latest record: then the block is listed in fallback.
 * Tombstones restore nothing. Returns 0, or -1 with err. */
static int restore_block(ds_resolver *rs, ds_codec *codec, avro_value_t *sval, state_rec *sr, const slot *s,
                         size_t n, const char *topic, int32_t partition, int *fell_back, ds_restore_stats *st,
                         char *err, size_t errlen)
{
    int late = 0;
    for (size_t i = 0; i < n; i++)
        late |= !s[i].valid.has && s[i].late.has;
    *fell_back = late;
    for (size_t i = 0; i < n; i++) {
        const side *src = late && s[i].late.has ? &s[i].late : &s[i].valid;
        if (!src->has || src->tomb)
            continue;
        char derr[256];
        if (state_decode(codec, sval, src->rec.data, src->rec.len, 0, sr, derr, sizeof derr)) {
            snprintf(err, errlen, "%s [%" PRId32 "] key %s: %s", topic, partition, s[i].key, derr);
            return -1;
        }
        if (strcmp(sr->block_key, s[i].block) != 0) {
            snprintf(err, errlen, "%s [%" PRId32 "] key %s: a record of block %s", topic, partition, s[i].key,
                     sr->block_key);
            return -1;
        }
        if (state_rec_apply(rs, sr, err, errlen))
            return -1;
        st->chunks++;
    }
    return 0;
}

/* Restores every block of t (sorted by block then key, so that a restore
 * does the same work every time), listing in fallback (nfallback of them)
 * the blocks restored from records past the committed offset. Returns 0,
 * DS_RESTORE_CANCELLED once *cancel (may be NULL) is set, or -1 with err. */
static int restore_blocks(ds_resolver *rs, ds_codec *codec, avro_value_t *sval, state_rec *sr, table *t,
                          const char *topic, int32_t partition, const atomic_int *cancel, char **fallback,
                          size_t *nfallback, ds_restore_stats *st, char *err, size_t errlen)
{
    if (t->n)
        qsort(t->s, t->cap, sizeof *t->s, slot_cmp);
    for (size_t i = 0, j; i < t->n; i = j) {
        if (cancel && atomic_load(cancel)) {
            snprintf(err, errlen, "%s [%" PRId32 "]: restore cancelled", topic, partition);
            return DS_RESTORE_CANCELLED;
        }
        for (j = i + 1; j < t->n && strcmp(t->s[j].block, t->s[i].block) == 0; j++)
            ;
        int fell_back = 0;
        uint64_t before = st->chunks;
        if (restore_block(rs, codec, sval, sr, &t->s[i], j - i, topic, partition, &fell_back, st, err, errlen))
            return -1;
        if (st->chunks == before)
            continue; /* every key deleted */
        st->blocks++;
        if (fell_back)
            fallback[(*nfallback)++] = t->s[i].block;
    }
    return 0;
}

/* The deals a restore publishes, in publish (items grown from capacity 0):
 * those ds_resolver_restore_finish changed, then those of the blocks it
 * fell back on. Returns 0, or -1 with err. */
static int restored_output(ds_resolver *rs, char **fallback, size_t nfallback, ds_changes *publish, char *err,
                           size_t errlen)
{
    ds_changes ch;
    size_t cap = 0;
    if (ds_resolver_restore_finish(rs, &ch) ||
        reserve(&publish->items, &cap, ch.n ? ch.n : 1, sizeof *publish->items, err, errlen)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* copied before ds_resolver_deals, which may reuse the array of ch */
    if (ch.n) /* else ch.items may be NULL */
        memcpy(publish->items, ch.items, ch.n * sizeof *ch.items);
    publish->n = ch.n;
    return nfallback ? add_fallback_deals(rs, fallback, nfallback, publish, &cap, err, errlen) : 0;
}

int ds_state_restore_read(ds_resolver *rs, ds_codec *codec, rd_kafka_conf_t *conf, const char *topic,
                          int32_t partition, int64_t committed, int timeout_ms, const atomic_int *cancel,
                          ds_changes *publish, ds_restore_stats *st, char *err, size_t errlen)
{
    int64_t t0 = ds_mono_ms();
    table t = {0};
    avro_value_t sval = {0};
    char **fallback = NULL;
    size_t nfallback = 0;
    int rc = -1;
    memset(st, 0, sizeof *st);
    publish->items = NULL;
    publish->n = 0;
    if (ds_codec_value_new(codec, DS_SCHEMA_STATE, &sval)) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    state_rec sr = {0};
    int rr = read_partition(conf, codec, &sval, &sr, topic, partition, committed, timeout_ms, cancel, &t, st, err,
                            errlen);
    conf = NULL; /* consumed either way */
    if (rr) {
        rc = rr;
        goto out;
    }
    fallback = calloc(t.n ? t.n : 1, sizeof *fallback);
    if (!fallback) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    rr = restore_blocks(rs, codec, &sval, &sr, &t, topic, partition, cancel, fallback, &nfallback, st, err, errlen);
    if (rr) {
        rc = rr;
        goto out;
    }
    st->fallback = nfallback;
    if (restored_output(rs, fallback, nfallback, publish, err, errlen))
        goto out;
    st->mentions = ds_resolver_mentions(rs);
    rc = 0;
out:
    if (rc) {
        free(publish->items);
        publish->items = NULL;
        publish->n = 0;
    }
    free(fallback);
    table_free(&t);
    state_rec_free(&sr);
    avro_value_decref(&sval);
    st->ms = ds_mono_ms() - t0;
    return rc;
}

int ds_state_restore(ds_resolver *rs, ds_pipeline *pl, rd_kafka_conf_t *conf, const char *topic,
                     int32_t partition, int64_t committed, int timeout_ms, ds_emit_fn emit, void *opaque,
                     ds_restore_stats *st, char *err, size_t errlen)
{
    ds_changes publish;
    int rc = ds_state_restore_read(rs, pl->codec, conf, topic, partition, committed, timeout_ms, NULL, &publish,
                                   st, err, errlen);
    if (rc)
        return rc;
    ds_fail fail;
    int64_t t0 = ds_mono_ms();
    if (publish.n && ds_pipeline_emit_changes(pl, &publish, emit, opaque, &fail) < 0) {
        snprintf(err, errlen, "%s", fail.msg);
        rc = -1;
    }
    free(publish.items);
    st->ms += ds_mono_ms() - t0;
    return rc;
}

int ds_state_restore_wait(ds_resolver *rs, ds_pipeline *pl, rd_kafka_conf_t *conf, const char *topic,
                          int32_t partition, int64_t committed, int timeout_ms, ds_emit_fn emit, void *opaque,
                          ds_restore_stats *st, char *err, size_t errlen)
{
    int64_t t0 = ds_mono_ms();
    int backoff = 100, rc;
    for (;;) {
        rd_kafka_conf_t *copy = rd_kafka_conf_dup(conf);
        int left = timeout_ms - (int)(ds_mono_ms() - t0);
        rc = ds_state_restore(rs, pl, copy, topic, partition, committed, left > 0 ? left : 1, emit, opaque, st,
                              err, errlen);
        left = timeout_ms - (int)(ds_mono_ms() - t0);
        if (rc != DS_RESTORE_UNSTABLE || left <= 0)
            break;
        if (backoff == 100)
            ds_info("state", "%s; waiting for it to end (a transaction a stopped writer left open is aborted "
                    "after its transaction.timeout.ms)", err);
        struct timespec ts = {0, (long)(backoff < left ? backoff : left) * 1000000L};
        nanosleep(&ts, NULL);
        backoff = backoff < 1000 ? 2 * backoff : 2000;
    }
    rd_kafka_conf_destroy(conf);
    if (rc == DS_RESTORE_UNSTABLE) {
        size_t n = strlen(err);
        snprintf(err + n, errlen > n ? errlen - n : 0, " (still after waiting %d ms)", timeout_ms);
        return -1;
    }
    return rc ? -1 : 0;
}
