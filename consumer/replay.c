/* replay.c: bounded reprocessing of the inputs through the pipeline, with
 * progress (see replay.h). May call common/, schemas/, core/, producer/ and
 * the consumer/ readers and state. */
#include "replay.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "group.h"
#include "kafka.h"
#include "log.h"
#include "offsets.h"
#include "pipeline.h"
#include "publish.h"
#include "reftopic.h"
#include "schemagate.h"
#include "state.h"
#include "util.h"

#define METADATA_MS 10000
#define REFERENCE_TIMEOUT_MS 60000   /* reading --reference-topic at start */
#define RESTORE_TIMEOUT_MS 300000
#define REGISTER_TIMEOUT_MS 60000
#define FLUSH_SLICE_MS 200
#define FLUSH_TIMEOUT_MS 120000
#define BAR_INTERVAL_MS 250
#define COMMIT_INTERVAL_MS 5000

/* ---- the range ---------------------------------------------------------- */

typedef enum { POS_EARLIEST, POS_LATEST, POS_COMMITTED, POS_OFFSET, POS_PARTS, POS_TIME } pos_kind;

typedef struct pos_item {
    char *topic; /* NULL: every topic */
    int32_t partition;
    int64_t offset;
} pos_item;

typedef struct pos_spec {
    pos_kind kind;
    int64_t value; /* POS_OFFSET: the offset; POS_TIME: ms since the epoch */
    pos_item *items;
    size_t n;
} pos_spec;

static void pos_free(pos_spec *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->items[i].topic);
    free(p->items);
    memset(p, 0, sizeof *p);
}

int ds_parse_duration(const char *s, int64_t *ms)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || v < 0 || !end[0] || end[1])
        return -1;
    int64_t unit;
    switch (*end) {
    case 's': unit = 1000; break;
    case 'm': unit = 60 * 1000; break;
    case 'h': unit = 3600 * 1000; break;
    case 'd': unit = 86400 * 1000LL; break;
    case 'w': unit = 7 * 86400 * 1000LL; break;
    default: return -1;
    }
    if (v > INT64_MAX / unit)
        return -1;
    *ms = (int64_t)v * unit;
    return 0;
}

static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

static int parse_offset(const char *s, int64_t *v)
{
    if (!all_digits(s))
        return -1;
    errno = 0;
    long long x = strtoll(s, NULL, 10);
    if (errno)
        return -1;
    *v = x;
    return 0;
}

/* "[T:]P=N[,...]" */
static int parse_items(const char *s, pos_spec *p, const char *what, char *err, size_t errlen)
{
    char *copy = strdup(s);
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t cap = 1;
    for (const char *c = s; *c; c++)
        cap += *c == ',';
    p->items = calloc(cap, sizeof *p->items);
    if (!p->items) {
        free(copy);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
        pos_item *it = &p->items[p->n];
        char *eq = strchr(tok, '=');
        char *colon = eq ? memrchr(tok, ':', (size_t)(eq - tok)) : NULL;
        int64_t part = -1, off = -1;
        if (eq) {
            *eq = '\0';
            if (colon)
                *colon = '\0';
        }
        if (!eq || (colon && !colon[1]) || parse_offset(colon ? colon + 1 : tok, &part) || part > INT32_MAX ||
            parse_offset(eq + 1, &off) || (colon && colon == tok)) {
            snprintf(err, errlen, "--%s: '%s' is not [TOPIC:]PARTITION=OFFSET", what, s);
            rc = -1;
            break;
        }
        if (colon && !(it->topic = strdup(tok))) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
            break;
        }
        it->partition = (int32_t)part;
        it->offset = off;
        p->n++;
    }
    free(copy);
    if (rc == 0 && p->n == 0) {
        snprintf(err, errlen, "--%s: no PARTITION=OFFSET in '%s'", what, s);
        rc = -1;
    }
    return rc;
}

static int parse_pos(const char *s, int is_to, pos_spec *p, char *err, size_t errlen)
{
    const char *what = is_to ? "to" : "from";
    memset(p, 0, sizeof *p);
    int64_t v;
    if (!is_to && strcmp(s, "earliest") == 0) {
        p->kind = POS_EARLIEST;
    } else if (is_to && strcmp(s, "latest") == 0) {
        p->kind = POS_LATEST;
    } else if (!is_to && strcmp(s, "committed") == 0) {
        p->kind = POS_COMMITTED;
    } else if (parse_offset(s, &v) == 0) {
        p->kind = POS_OFFSET;
        p->value = v;
    } else if (strchr(s, '=')) {
        p->kind = POS_PARTS;
        return parse_items(s, p, what, err, errlen);
    } else if (ds_parse_datetime(s, &v) == 0) {
        p->kind = POS_TIME;
        p->value = v;
    } else if (ds_parse_duration(s, &v) == 0) {
        p->kind = POS_TIME;
        p->value = ds_now_ms() - v;
    } else {
        snprintf(err, errlen,
                 "--%s: '%s' is not %s, an offset, [TOPIC:]PARTITION=OFFSET, a date-time "
                 "(YYYY-MM-DDTHH:MM:SS[Z|+hh:mm]) or a duration ago (90s, 30m, 6h, 2d, 1w)",
                 what, s, is_to ? "latest" : "earliest, committed");
        return -1;
    }
    return 0;
}

/* The item of a per-partition spec naming this partition, or NULL. */
static const pos_item *item_for(const pos_spec *p, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->items[i].partition == partition && (!p->items[i].topic || strcmp(p->items[i].topic, topic) == 0))
            return &p->items[i];
    return NULL;
}

static int64_t clamp(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void ds_replay_plan_free(ds_replay_plan *plan)
{
    for (size_t i = 0; plan->r && i < plan->n; i++)
        free(plan->r[i].topic);
    free(plan->r);
    memset(plan, 0, sizeof *plan);
}

/* The input topics: --topic's list, else the articles and deals topics. */
static char **input_topics(const ds_config *cfg, int *n)
{
    const char *spec = cfg->topic;
    char def[1024];
    if (!spec) {
        snprintf(def, sizeof def, "%s,%s", cfg->articles_topic, cfg->deals_topic);
        spec = def;
    }
    char **out = calloc(strlen(spec) + 2, sizeof *out);
    char *copy = strdup(spec);
    *n = 0;
    if (!out || !copy) {
        free(out);
        free(copy);
        return NULL;
    }
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int dup = 0;
        for (int i = 0; i < *n; i++)
            dup |= strcmp(out[i], tok) == 0;
        if (!dup && *tok)
            out[(*n)++] = strdup(tok);
    }
    free(copy);
    return out;
}

static void free_strings(char **v, int n)
{
    for (int i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/* Resolves a time into offsets for every element of q (see
 * ds_offsets_at_time). Returns 0 or -1 with err set. */
static int times_to_offsets(const ds_config *cfg, const ds_replay_plan *plan, rd_kafka_topic_partition_list_t *q,
                            int64_t when, const char *what, char *err, size_t errlen)
{
    if (q->cnt == 0)
        return 0;
    int64_t *lo = calloc((size_t)q->cnt, sizeof *lo), *hi = calloc((size_t)q->cnt, sizeof *hi);
    char gname[300], e[768] = "";
    snprintf(gname, sizeof gname, "%s-replay", cfg->app_id);
    ds_group *g = lo && hi ? ds_group_new(cfg, cfg->group ? cfg->group : gname, e, sizeof e) : NULL;
    int rc = -1;
    if (g) {
        for (int i = 0; i < q->cnt; i++)
            for (size_t k = 0; k < plan->n; k++)
                if (plan->r[k].partition == q->elems[i].partition && strcmp(plan->r[k].topic, q->elems[i].topic) == 0) {
                    lo[i] = plan->r[k].log_start;
                    hi[i] = plan->r[k].log_end;
                }
        rc = ds_offsets_at_time(cfg, g, q, when, lo, hi, METADATA_MS, e, sizeof e);
    }
    if (rc)
        snprintf(err, errlen, "--%s: %s", what, e[0] ? e : "out of memory");
    ds_group_destroy(g);
    free(lo);
    free(hi);
    return rc ? -1 : 0;
}

/* The offsets of range r from offset to its log start: records retention
 * deleted, which the replay cannot read. */
static int64_t below_start(const ds_replay_range *r, int64_t offset)
{
    return offset >= 0 && offset < r->log_start ? r->log_start - offset : 0;
}

/* Sets range r's start and end from the --from and --to specs, clamped to
 * its log; positions that need the broker (a time, the committed offset)
 * are added to fq (from) or tq (to) for one look-up over all ranges. */
static void apply_bounds(ds_replay_range *r, const pos_spec *from, const pos_spec *to,
                         rd_kafka_topic_partition_list_t *fq, rd_kafka_topic_partition_list_t *tq)
{
    r->selected = 1;
    r->start = r->log_start;
    r->end = r->log_end;
    const pos_item *it;
    switch (from->kind) {
    case POS_OFFSET:
        r->start = clamp(from->value, r->log_start, r->log_end);
        r->lost = below_start(r, from->value);
        break;
    case POS_PARTS:
        it = item_for(from, r->topic, r->partition);
        r->selected = it != NULL;
        if (it) {
            r->start = clamp(it->offset, r->log_start, r->log_end);
            r->lost = below_start(r, it->offset);
        }
        break;
    case POS_TIME: rd_kafka_topic_partition_list_add(fq, r->topic, r->partition); break;
    case POS_COMMITTED: rd_kafka_topic_partition_list_add(fq, r->topic, r->partition); break;
    default: break;
    }
    switch (to->kind) {
    case POS_OFFSET: r->end = clamp(to->value, r->log_start, r->log_end); break;
    case POS_PARTS:
        it = item_for(to, r->topic, r->partition);
        if (it)
            r->end = clamp(it->offset, r->log_start, r->log_end);
        break;
    case POS_TIME: rd_kafka_topic_partition_list_add(tq, r->topic, r->partition); break;
    default: break;
    }
}

/* Plans every partition of the input topics with rk (partition counts,
 * committed offsets), their log start and high watermark asked of wm (a
 * read_uncommitted handle: `latest` is every record written when replay
 * starts, also those of a transaction still open, whose end replay waits
 * for). Returns 0, or 1 with err set. */
static int plan_with(rd_kafka_t *rk, rd_kafka_t *wm, const ds_config *cfg, const pos_spec *from, const pos_spec *to,
                     ds_replay_plan *plan, char *err, size_t errlen)
{
    int ntopics = 0;
    char **topics = input_topics(cfg, &ntopics);
    if (!topics) {
        snprintf(err, errlen, "out of memory");
        return 1;
    }
    int rc = 1;
    rd_kafka_topic_partition_list_t *tq = rd_kafka_topic_partition_list_new(16);
    rd_kafka_topic_partition_list_t *fq = rd_kafka_topic_partition_list_new(16);
    size_t cap = 0;
    for (int t = 0; t < ntopics; t++) {
        int np = ds_kafka_topic_partition_count(rk, topics[t], METADATA_MS, err, errlen);
        if (np < 0)
            goto out;
        if (np == 0) {
            snprintf(err, errlen, "topic %s does not exist", topics[t]);
            goto out;
        }
        ds_replay_range *grown = realloc(plan->r, (cap + (size_t)np) * sizeof *grown);
        if (!grown) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        plan->r = grown;
        cap += (size_t)np;
        for (int32_t p = 0; p < np; p++) {
            ds_replay_range *r = &plan->r[plan->n];
            memset(r, 0, sizeof *r);
            r->topic = strdup(topics[t]);
            r->partition = p;
            if (!r->topic) {
                snprintf(err, errlen, "out of memory");
                goto out;
            }
            plan->n++;
            rd_kafka_resp_err_t e =
                rd_kafka_query_watermark_offsets(wm, r->topic, p, &r->log_start, &r->log_end, METADATA_MS);
            if (e) {
                snprintf(err, errlen, "%s [%" PRId32 "]: log start and end: %s", r->topic, p, rd_kafka_err2str(e));
                goto out;
            }
            apply_bounds(r, from, to, fq, tq);
        }
    }
    if (from->kind == POS_COMMITTED && fq->cnt) {
        rd_kafka_resp_err_t e = rd_kafka_committed(rk, fq, METADATA_MS);
        if (e) {
            snprintf(err, errlen, "committed offsets of group %s: %s", cfg->group, rd_kafka_err2str(e));
            goto out;
        }
    } else if (times_to_offsets(cfg, plan, fq, from->value, "from", err, errlen)) {
        goto out;
    }
    if (times_to_offsets(cfg, plan, tq, to->value, "to", err, errlen))
        goto out;
    for (size_t i = 0; i < plan->n; i++) {
        ds_replay_range *r = &plan->r[i];
        rd_kafka_topic_partition_t *f = rd_kafka_topic_partition_list_find(fq, r->topic, r->partition);
        rd_kafka_topic_partition_t *e = rd_kafka_topic_partition_list_find(tq, r->topic, r->partition);
        /* no committed offset: the log start */
        if (f) {
            r->start = f->offset >= 0 ? clamp(f->offset, r->log_start, r->log_end) : r->log_start;
            if (from->kind == POS_COMMITTED)
                r->lost = below_start(r, f->offset);
        }
        if (e)
            r->end = e->offset;
        if (!r->selected || r->end < r->start)
            r->end = r->start;
    }
    rc = 0;
out:
    rd_kafka_topic_partition_list_destroy(tq);
    rd_kafka_topic_partition_list_destroy(fq);
    free_strings(topics, ntopics);
    return rc;
}

/* A consumer for the replay (group.id set for assign() and commits; it
 * never subscribes, so it never joins the group). */
static rd_kafka_t *new_consumer(const ds_config *cfg, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = ds_kafka_conf(cfg, err, errlen);
    if (!conf)
        return NULL;
    char group[512];
    if (cfg->group)
        snprintf(group, sizeof group, "%s", cfg->group);
    else
        snprintf(group, sizeof group, "%s-replay", cfg->app_id);
    if (ds_kafka_set(conf, "enable.auto.offset.store", "false", err, errlen)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return ds_kafka_reader(conf, group, err, errlen);
}

/* --from committed needs a group, and the group must not be the
 * processor's own (its app id): replay commits what it read, which would
 * move the processor's offsets. Returns 0, or -1 with err set. */
static int check_group(const ds_config *cfg, const pos_spec *from, char *err, size_t errlen)
{
    if (from->kind == POS_COMMITTED && !cfg->group) {
        snprintf(err, errlen, "--from committed needs --group");
        return -1;
    }
    if (cfg->group && cfg->app_id && strcmp(cfg->group, cfg->app_id) == 0) {
        snprintf(err, errlen,
                 "--group %s is the processor's own group (app id %s): replay would move its committed offsets; "
                 "give replay a group of its own (without --group it uses %s-replay)",
                 cfg->group, cfg->app_id, cfg->app_id);
        return -1;
    }
    return 0;
}

int ds_replay_plan_make(const ds_config *cfg, ds_replay_plan *plan, char *err, size_t errlen)
{
    memset(plan, 0, sizeof *plan);
    pos_spec from, to;
    if (parse_pos(cfg->from ? cfg->from : "earliest", 0, &from, err, errlen)) {
        pos_free(&from);
        return DS_REPLAY_EUSAGE;
    }
    if (parse_pos(cfg->to ? cfg->to : "latest", 1, &to, err, errlen) ||
        check_group(cfg, &from, err, errlen)) {
        pos_free(&from);
        pos_free(&to);
        return DS_REPLAY_EUSAGE;
    }
    rd_kafka_t *rk = new_consumer(cfg, err, errlen);
    rd_kafka_t *wm = rk ? ds_kafka_watermarks_handle(cfg, err, errlen) : NULL;
    int rc = wm ? plan_with(rk, wm, cfg, &from, &to, plan, err, errlen) : 1;
    if (rc)
        ds_replay_plan_free(plan);
    if (wm)
        rd_kafka_destroy(wm);
    if (rk) {
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
    }
    pos_free(&from);
    pos_free(&to);
    return rc;
}

void ds_replay_plan_print(const ds_replay_plan *plan, FILE *out)
{
    int w = 5;
    for (size_t i = 0; i < plan->n; i++)
        if ((int)strlen(plan->r[i].topic) > w)
            w = (int)strlen(plan->r[i].topic);
    fprintf(out, "%-*s %9s %12s %12s %12s %12s %12s\n", w, "TOPIC", "PARTITION", "LOG-START", "LOG-END", "FROM",
            "TO", "OFFSETS");
    uint64_t total = 0;
    size_t parts = 0;
    for (size_t i = 0; i < plan->n; i++) {
        const ds_replay_range *r = &plan->r[i];
        if (!r->selected) {
            fprintf(out, "%-*s %9" PRId32 " %12" PRId64 " %12" PRId64 " %12s %12s %12s\n", w, r->topic,
                    r->partition, r->log_start, r->log_end, "-", "-", "-");
            continue;
        }
        fprintf(out, "%-*s %9" PRId32 " %12" PRId64 " %12" PRId64 " %12" PRId64 " %12" PRId64 " %12" PRId64 "\n",
                w, r->topic, r->partition, r->log_start, r->log_end, r->start, r->end, r->end - r->start);
        total += (uint64_t)(r->end - r->start);
        parts += r->end > r->start;
    }
    fprintf(out, "total: %" PRIu64 " offset(s) in %zu non-empty partition(s)\n", total, parts);
}

/* ---- replaying ------------------------------------------------------------ */

static volatile sig_atomic_t replay_stop;

static void on_signal(int sig)
{
    (void)sig;
    replay_stop = 1;
}

typedef struct replayer {
    const ds_config *cfg;
    ds_replay_plan plan;
    int64_t *next;  /* per range: next offset to process */
    int *done;      /* per range: finished */
    ds_kafka_end *ends; /* per range: its end, and the wait for a transaction open below it */
    int *cut;       /* per range: finished short of its end, the wait for a transaction timed out */
    size_t ncut;
    int64_t wait_ms; /* the longest wait for a transaction (--transaction-wait) */
    size_t open;    /* ranges not yet finished */
    rd_kafka_t *consumer, *producer;
    ds_pipeline pl;
    int pl_ready;
    const char *out_topic;
    char mtopic[256], stopic[256];
    int32_t nparts;
    ds_resolver **rs;
    ds_block_owner *owners; /* per partition: the blocks whose reference rows its resolver holds */
    ds_partitioner_fn partition_of;
    ds_replay_stats st;
    ds_schema_gate *gate; /* with --schema-registry */
    const rd_kafka_topic_t *last_rkt; /* range_of's last answer */
    int32_t last_partition;
    long last_range;
    int failed;
    FILE *out;
    int tty;
    int64_t t0, last_bar, last_line, last_commit;
} replayer;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
    (void)rk;
    replayer *r = opaque;
    if (rkm->err) {
        r->st.delivery_failures++;
        r->failed = 1;
        ds_error("replay", "delivery to %s [%" PRId32 "] failed: %s", rd_kafka_topic_name(rkm->rkt), rkm->partition,
                 rd_kafka_err2str(rkm->err));
        return;
    }
    if (strcmp(rd_kafka_topic_name(rkm->rkt), r->out_topic) == 0)
        r->st.produced++;
    else
        r->st.dead_letters++;
}

static int emit(void *opaque, const char *key, const void *val, size_t len)
{
    replayer *r = opaque;
    return ds_publish(r->producer, r->out_topic, key, strlen(key), val, len, NULL, NULL);
}

/* One resolver per <app>-mentions partition (one when that topic does not
 * exist), seeded from <app>-state unless fresh_state. */
static int setup_state(replayer *r, char *err, size_t errlen)
{
    const ds_config *cfg = r->cfg;
    snprintf(r->mtopic, sizeof r->mtopic, "%s-mentions", cfg->app_id);
    snprintf(r->stopic, sizeof r->stopic, "%s-state", cfg->app_id);
    int nm = ds_kafka_topic_partition_count(r->consumer, r->mtopic, METADATA_MS, err, errlen);
    if (nm < 0)
        return -1;
    int ns = cfg->fresh_state ? 0 : ds_kafka_topic_partition_count(r->consumer, r->stopic, METADATA_MS, err, errlen);
    if (ns < 0)
        return -1;
    if (ns > 0 && ns != nm) {
        snprintf(err, errlen, "%s has %d partitions and %s %d; they must match (or use --fresh-state)", r->stopic,
                 ns, r->mtopic, nm);
        return -1;
    }
    r->nparts = nm > 0 ? nm : 1;
    r->partition_of = ds_kafka_partitioner(cfg);
    r->rs = calloc((size_t)r->nparts, sizeof *r->rs);
    r->owners = calloc((size_t)r->nparts, sizeof *r->owners);
    if (!r->rs || !r->owners) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int64_t t0 = ds_mono_ms();
    for (int32_t p = 0; p < r->nparts; p++) {
        r->rs[p] = ds_resolver_new(r->pl.cat);
        if (!r->rs[p]) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        ds_resolver_set_cross_block(r->rs[p], 0);
        ds_resolver_set_retention(r->rs[p], cfg->dedup_retention_days);
        ds_resolver_set_max_mentions_per_block(r->rs[p], (size_t)cfg->state_max_mentions_per_block);
        r->owners[p] = (ds_block_owner){r->partition_of, p, r->nparts};
        ds_resolver_set_references(r->rs[p], ds_kafka_owns_block, &r->owners[p]);
        if (ns == 0) { /* the reference table's rows, as the processor publishes them */
            ds_changes ch;
            ds_fail fail;
            if (ds_resolver_seed_references(r->rs[p], &ch) ||
                (ch.n && ds_pipeline_emit_changes(&r->pl, &ch, emit, r, &fail) < 0)) {
                snprintf(err, errlen, "publishing the reference table's deals failed");
                return -1;
            }
            continue;
        }
        rd_kafka_conf_t *conf = ds_kafka_conf(cfg, err, errlen);
        ds_restore_stats rst = {0};
        /* every changelog record counts: the processor's whole state */
        if (!conf || ds_state_restore_wait(r->rs[p], &r->pl, conf, r->stopic, p, INT64_MAX, RESTORE_TIMEOUT_MS, emit,
                                           r, &rst, err, errlen))
            return -1;
        r->st.restored_blocks += rst.blocks;
    }
    r->st.restore_ms = ds_mono_ms() - t0;
    if (ns > 0)
        ds_info("replay", "state: %" PRIu64 " block(s) from %s (%" PRId32 " partitions) in %" PRId64 " ms",
                r->st.restored_blocks, r->stopic, r->nparts, r->st.restore_ms);
    else
        ds_info("replay", "state: empty (%s)",
                cfg->fresh_state ? "--fresh-state" : "no changelog topic; the processor has not run");
    return 0;
}

static uint64_t progress_done(const replayer *r)
{
    uint64_t d = 0;
    for (size_t i = 0; i < r->plan.n; i++) {
        const ds_replay_range *g = &r->plan.r[i];
        int64_t at = r->done[i] ? g->end : clamp(r->next[i], g->start, g->end);
        d += (uint64_t)(at - g->start);
    }
    return d;
}

static void fmt_eta(char *buf, size_t cap, double secs)
{
    if (secs < 0 || secs > 359999) {
        snprintf(buf, cap, "--:--");
        return;
    }
    long s = (long)(secs + 0.5);
    if (s >= 3600)
        snprintf(buf, cap, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, cap, "%ld:%02ld", s / 60, s % 60);
}

/* A live bar on a terminal; else a log line every progress_seconds. */
static void progress(replayer *r, int final)
{
    int64_t now = ds_mono_ms();
    if (r->tty) {
        if (!final && now - r->last_bar < BAR_INTERVAL_MS)
            return;
        r->last_bar = now;
    } else {
        if (!final && (r->cfg->progress_seconds <= 0 || now - r->last_line < r->cfg->progress_seconds * 1000))
            return;
        if (final && r->cfg->progress_seconds <= 0)
            return;
        r->last_line = now;
    }
    uint64_t done = progress_done(r), total = r->st.total;
    double secs = (double)(now - r->t0) / 1000.0;
    double rate = secs > 0 ? (double)done / secs : 0;
    double pct = total ? 100.0 * (double)done / (double)total : 100.0;
    char eta[32];
    fmt_eta(eta, sizeof eta, rate > 0 ? (double)(total - done) / rate : -1);
    if (r->tty) {
        char bar[31];
        int fill = total ? (int)(30 * done / total) : 30;
        for (int i = 0; i < 30; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\rreplay [%s] %5.1f%% %" PRIu64 "/%" PRIu64 " %.0f msg/s ETA %s   ", bar, pct, done, total,
                rate, final ? "0:00" : eta);
        if (final)
            fputc('\n', stderr);
        fflush(stderr);
    } else {
        ds_info("replay", "%.1f%% %" PRIu64 "/%" PRIu64 " offsets, %.0f msg/s, %" PRIu64 " canonical record(s)%s%s",
                pct, done, total, rate, r->st.produced, final ? "" : ", ETA ", final ? "" : eta);
    }
}

static void finish_range(replayer *r, size_t i)
{
    if (r->done[i])
        return;
    r->done[i] = 1;
    r->open--;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, r->plan.r[i].topic, r->plan.r[i].partition);
    rd_kafka_pause_partitions(r->consumer, l); /* fetch nothing past the range */
    rd_kafka_topic_partition_list_destroy(l);
}

/* The range of a message's partition. Messages come in runs from one
 * partition (a fetch's worth), so the last answer is tried first and the
 * look-up over every range happens once per run, not per message. */
static long range_of(replayer *r, const rd_kafka_message_t *rkm)
{
    if (r->last_rkt == rkm->rkt && r->last_partition == rkm->partition)
        return r->last_range;
    const char *topic = rd_kafka_topic_name(rkm->rkt);
    long found = -1;
    for (size_t i = 0; i < r->plan.n && found < 0; i++)
        if (r->plan.r[i].partition == rkm->partition && strcmp(r->plan.r[i].topic, topic) == 0)
            found = (long)i;
    r->last_rkt = rkm->rkt;
    r->last_partition = rkm->partition;
    r->last_range = found;
    return found;
}

/* With a registry: waits (serving delivery reports) until the writer
 * schema of a Confluent-framed input is known or known to be missing, which
 * the decoder then reports. Returns 0, or -1 when stopped while waiting. */
static int await_schema(replayer *r, const rd_kafka_message_t *rkm)
{
    int32_t id = -1;
    char msg[512];
    int64_t since = ds_mono_ms();
    int g;
    while ((g = ds_schema_gate_check(r->gate, rkm->payload, rkm->len, &id, msg, sizeof msg)) == DS_GATE_WAIT) {
        if (replay_stop)
            return -1;
        rd_kafka_poll(r->producer, 100);
        if (ds_mono_ms() - since >= 10000) {
            ds_warn("replay", "still waiting for the schema registry to answer for schema id %d", (int)id);
            since = ds_mono_ms();
        }
    }
    if (g == DS_GATE_FAIL)
        ds_warn("replay", "%s [%" PRId32 "] offset %" PRId64 ": %s", rd_kafka_topic_name(rkm->rkt), rkm->partition,
                rkm->offset, msg);
    return 0;
}

/* Logs and counts the records an automatic offset reset jumped over when
 * the record read is rkm while the next expected was offset `want`:
 * those retention deleted before the replay reached them. */
static void note_jump(replayer *r, const rd_kafka_message_t *rkm, int64_t want)
{
    int64_t lo = -1, hi = -1;
    const char *topic = rd_kafka_topic_name(rkm->rkt);
    if (rkm->offset <= want || rd_kafka_get_watermark_offsets(r->consumer, topic, rkm->partition, &lo, &hi))
        return;
    int64_t lost = ds_kafka_offsets_lost(want, rkm->offset, lo);
    if (lost <= 0)
        return;
    ds_error("replay",
             "%s [%" PRId32 "]: offset reset: wanted offset %" PRId64 ", got %" PRId64 " (log start %" PRId64
             "): %" PRId64 " record(s) of the range skipped, deleted by retention before they were read",
             topic, rkm->partition, want, rkm->offset, lo, lost);
    r->st.skipped += (uint64_t)lost;
}

static void process(replayer *r, const rd_kafka_message_t *rkm, size_t i)
{
    const char *topic = rd_kafka_topic_name(rkm->rkt);
    if (r->gate && await_schema(r, rkm))
        return; /* stopped: this record is not processed */
    note_jump(r, rkm, r->next[i]);
    r->next[i] = rkm->offset + 1;
    r->st.consumed++;
    ds_input in = {strcmp(topic, r->cfg->deals_topic) == 0 ? DS_INPUT_DEAL : DS_INPUT_ARTICLE, topic,
                   rkm->partition, rkm->offset, rkm->payload, rkm->len};
    const ds_mention *ms = NULL;
    ds_fail fail;
    int n;
    if (rkm->len > (size_t)r->cfg->max_message_bytes) {
        fail = (ds_fail){"validate", "too-big", ""};
        snprintf(fail.msg, sizeof fail.msg, "message of %zu bytes exceeds max.message.bytes=%ld", rkm->len,
                 r->cfg->max_message_bytes);
        n = -1;
    } else {
        n = ds_pipeline_mentions(&r->pl, &in, &ms, &fail);
    }
    for (int k = 0; k < n && !r->failed; k++) {
        const char *bk = ms[k].block_key;
        int32_t p = r->nparts > 1 ? r->partition_of(NULL, bk, strlen(bk), r->nparts, NULL, NULL) : 0;
        if (p < 0 || p >= r->nparts)
            p = 0;
        r->st.mentions++;
        if (ds_pipeline_resolve_in(&r->pl, r->rs[p], &ms[k], emit, r, &fail) < 0) {
            if (strcmp(fail.stage, "produce") == 0) {
                r->failed = 1;
                return;
            }
            n = -1;
            break;
        }
    }
    if (n < 0) {
        ds_warn("replay", "%s [%" PRId32 "] at offset %" PRId64 ": %s %s: %s; dead-lettered to %s.dlq", topic,
                rkm->partition, rkm->offset, fail.stage, fail.cls, fail.msg, topic);
        ds_dlq_reason why = {fail.stage, fail.cls, fail.msg};
        if (ds_publish_dead_letter(r->producer, rkm, &why, NULL))
            r->failed = 1;
    }
}

/* Commits, for the group, the next offset of every range as far as its
 * outputs are delivered: call only with an empty producer queue. */
static void commit_progress(replayer *r)
{
    if (!r->cfg->group || r->failed)
        return;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)r->plan.n);
    for (size_t i = 0; i < r->plan.n; i++) {
        const ds_replay_range *g = &r->plan.r[i];
        if (g->end <= g->start)
            continue;
        int64_t at = r->done[i] && !r->cut[i] ? g->end : r->next[i];
        if (at > g->start)
            rd_kafka_topic_partition_list_add(l, g->topic, g->partition)->offset = at;
    }
    if (l->cnt) {
        rd_kafka_resp_err_t e = rd_kafka_commit(r->consumer, l, 0);
        if (e)
            ds_warn("replay", "committing offsets for group %s: %s", r->cfg->group, rd_kafka_err2str(e));
    }
    rd_kafka_topic_partition_list_destroy(l);
}

/* Waits until every queued output is delivered (or failed). */
static int flush_all(replayer *r)
{
    int64_t deadline = ds_mono_ms() + FLUSH_TIMEOUT_MS;
    while (rd_kafka_outq_len(r->producer) > 0 && ds_mono_ms() < deadline)
        rd_kafka_flush(r->producer, FLUSH_SLICE_MS);
    if (rd_kafka_outq_len(r->producer) > 0) {
        ds_error("replay", "%d output(s) still undelivered after %d s", rd_kafka_outq_len(r->producer),
                 FLUSH_TIMEOUT_MS / 1000);
        r->failed = 1;
        return -1;
    }
    return 0;
}

/* An end-of-partition event of range i at offset eof: the range is done
 * when eof reaches its end; below it, eof is the last stable offset, held
 * by a transaction open below the end (or committed, its markers not yet
 * written): the wait is told once, and the range goes on when the
 * transaction ends (its records replayed if it committed). */
static void at_eof(replayer *r, size_t i, int64_t eof)
{
    const ds_replay_range *g = &r->plan.r[i];
    int at = ds_kafka_end_at(r->consumer, g->topic, g->partition, eof, &r->ends[i]);
    if (at == 1) {
        finish_range(r, i);
        return;
    }
    if (r->next[i] < eof)
        r->next[i] = eof; /* markers or aborted records up to it */
    if (at == DS_KAFKA_END_WAITS)
        ds_info("replay",
                "%s [%" PRId32 "]: waiting at offset %" PRId64 " (the last stable offset) for the transaction open "
                "below the end of the range, %" PRId64 ", to end (at most %" PRId64 " s)",
                g->topic, g->partition, eof, g->end, r->wait_ms / 1000);
}

/* Finishes, short of their end, the ranges that have waited for a
 * transaction longer than r->wait_ms, naming what was waited for. */
static void cut_waits(replayer *r)
{
    int64_t now = ds_mono_ms();
    for (size_t i = 0; i < r->plan.n; i++) {
        const ds_kafka_end *e = &r->ends[i];
        if (r->done[i] || e->waiting < 0 || now - e->since_ms < r->wait_ms)
            continue;
        const ds_replay_range *g = &r->plan.r[i];
        ds_error("replay",
                 "%s [%" PRId32 "]: a transaction open below the end of the range, %" PRId64 ", did not end within %"
                 PRId64 " s (--transaction-wait): offsets %" PRId64 "..%" PRId64 " are not replayed",
                 g->topic, g->partition, g->end, r->wait_ms / 1000, e->waiting, g->end - 1);
        r->cut[i] = 1;
        r->ncut++;
        finish_range(r, i);
    }
}

static int consume_range(replayer *r, char *err, size_t errlen)
{
    rd_kafka_topic_partition_list_t *a = rd_kafka_topic_partition_list_new((int)r->plan.n);
    for (size_t i = 0; i < r->plan.n; i++) {
        const ds_replay_range *g = &r->plan.r[i];
        r->next[i] = g->start;
        if (g->lost > 0) {
            ds_error("replay",
                     "%s [%" PRId32 "]: offsets %" PRId64 "..%" PRId64 " asked for are gone (log start %" PRId64
                     "): %" PRId64 " record(s) deleted by retention are not replayed",
                     g->topic, g->partition, g->start - g->lost, g->start - 1, g->start, g->lost);
            r->st.skipped += (uint64_t)g->lost;
        }
        ds_kafka_end_init(&r->ends[i], g->end);
        if (g->end > g->start) {
            rd_kafka_topic_partition_list_add(a, g->topic, g->partition)->offset = g->start;
            r->st.total += (uint64_t)(g->end - g->start);
            r->open++;
        } else {
            r->done[i] = 1;
        }
    }
    rd_kafka_resp_err_t e = a->cnt ? rd_kafka_assign(r->consumer, a) : RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_topic_partition_list_destroy(a);
    if (e) {
        snprintf(err, errlen, "assign: %s", rd_kafka_err2str(e));
        return -1;
    }
    r->t0 = r->last_bar = r->last_line = r->last_commit = ds_mono_ms();
    while (r->open > 0 && !replay_stop && !r->failed) {
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(r->consumer, 100);
        rd_kafka_poll(r->producer, 0);
        progress(r, 0);
        cut_waits(r);
        if (r->cfg->group && ds_mono_ms() - r->last_commit >= COMMIT_INTERVAL_MS) {
            if (flush_all(r) == 0)
                commit_progress(r);
            r->last_commit = ds_mono_ms();
        }
        if (!rkm)
            continue;
        long i = rkm->rkt ? range_of(r, rkm) : -1;
        if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (i >= 0 && !r->done[i])
                at_eof(r, (size_t)i, rkm->offset);
        } else if (rkm->err) {
            ds_warn("replay", "consumer: %s", rd_kafka_message_errstr(rkm));
            if (rkm->err == RD_KAFKA_RESP_ERR__FATAL || rkm->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) {
                snprintf(err, errlen, "consumer: %s", rd_kafka_message_errstr(rkm));
                rd_kafka_message_destroy(rkm);
                return -1;
            }
        } else if (i >= 0 && !r->done[i]) {
            if (rkm->offset >= r->plan.r[i].end) {
                finish_range(r, (size_t)i); /* past the end (the last offsets were markers) */
            } else {
                process(r, rkm, (size_t)i);
                if (r->next[i] > rkm->offset && rkm->offset + 1 >= r->plan.r[i].end)
                    finish_range(r, (size_t)i); /* (not when stopped before processing it) */
            }
        }
        rd_kafka_message_destroy(rkm);
    }
    return 0;
}

static void replayer_free(replayer *r)
{
    if (r->consumer) {
        rd_kafka_consumer_close(r->consumer);
        rd_kafka_destroy(r->consumer);
    }
    if (r->producer)
        rd_kafka_destroy(r->producer);
    ds_schema_gate_destroy(r->gate);
    for (int32_t p = 0; r->rs && p < r->nparts; p++)
        ds_resolver_destroy(r->rs[p]);
    free(r->rs);
    free(r->owners);
    free(r->next);
    free(r->done);
    free(r->cut);
    free(r->ends);
    if (r->pl_ready)
        ds_pipeline_fini(&r->pl);
    ds_replay_plan_free(&r->plan);
}

static rd_kafka_t *new_producer(replayer *r, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = ds_kafka_conf(r->cfg, err, errlen);
    if (!conf)
        return NULL;
    if (ds_kafka_set(conf, "enable.idempotence", "true", err, errlen)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_opaque(conf, r);
    return ds_kafka_new(RD_KAFKA_PRODUCER, conf, "producer", err, errlen);
}

/* The longest wait for a transaction open below the end of a range:
 * --transaction-wait, else the transaction.timeout.ms of the configuration
 * (librdkafka's 60 s unless -X sets it), after which the broker aborts the
 * transaction of a writer that died, plus the 10 s of the broker's check
 * for such transactions (transaction.abort.timed.out.transaction.cleanup.interval.ms). */
static int64_t transaction_wait_ms(const ds_config *cfg, rd_kafka_t *producer)
{
    if (cfg->txn_wait_seconds > 0)
        return (int64_t)cfg->txn_wait_seconds * 1000;
    return (int64_t)ds_kafka_txn_timeout_ms(producer) + 10000;
}

/* Sets up everything a replay of r->plan needs: the per-range positions,
 * the catalog and pipeline, the schema gate with a registry, the clients
 * and the state. Returns 0, or -1 with err set; replayer_free undoes what
 * was done either way. */
static int replayer_open(replayer *r, char *err, size_t errlen)
{
    const ds_config *cfg = r->cfg;
    r->next = calloc(r->plan.n ? r->plan.n : 1, sizeof *r->next);
    r->done = calloc(r->plan.n ? r->plan.n : 1, sizeof *r->done);
    r->cut = calloc(r->plan.n ? r->plan.n : 1, sizeof *r->cut);
    r->ends = calloc(r->plan.n ? r->plan.n : 1, sizeof *r->ends);
    if (!r->next || !r->done || !r->cut || !r->ends) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    ds_catalog *cat = ds_reftopic_catalog(cfg, REFERENCE_TIMEOUT_MS, err, errlen);
    if (!cat || ds_pipeline_init_catalog(&r->pl, cat, err, errlen))
        return -1;
    r->pl_ready = 1;
    ds_codec_set_max_message(r->pl.codec, (size_t)cfg->max_message_bytes);
    if (cfg->max_body_bytes > 0)
        r->pl.max_body = (size_t)cfg->max_body_bytes;
    if (cfg->schema_registry_url && cfg->schema_registry_url[0]) {
        if (!(r->gate = ds_schema_gate_new(cfg, r->pl.codec, NULL, NULL, err, errlen)) ||
            ds_schema_gate_register(r->gate, DS_SCHEMA_CANONICAL, r->out_topic, REGISTER_TIMEOUT_MS, err, errlen))
            return -1;
        r->pl.canon_framing = DS_FRAME_CONFLUENT;
    }
    if (!(r->consumer = new_consumer(cfg, err, errlen)) || !(r->producer = new_producer(r, err, errlen)) ||
        ds_dlq_check_limits(r->producer, cfg->max_message_bytes, "replay", err, errlen))
        return -1;
    r->wait_ms = transaction_wait_ms(cfg, r->producer);
    r->pl.canon_max_sources = (size_t)cfg->canonical_max_sources;
    r->pl.canon_max_bytes = ds_record_limit(r->producer);
    return setup_state(r, err, errlen);
}

/* Reads the range with SIGINT and SIGTERM stopping it early, delivers the
 * outputs of what was read, commits progress when the reading did not
 * fail, and prints the last progress line. Returns 0, or -1 with err set. */
static int replay_range(replayer *r, char *err, size_t errlen)
{
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    replay_stop = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int64_t t0 = ds_mono_ms();
    int cr = consume_range(r, err, errlen);
    /* outputs of what was read are delivered before anything is committed,
     * also when stopped early */
    flush_all(r);
    r->st.ms = ds_mono_ms() - t0;
    if (cr == 0)
        commit_progress(r);
    progress(r, 1);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return cr;
}

/* Prints the summary of a replay that ran to its end or was interrupted,
 * and returns its exit code: 0, 1 when outputs failed,
 * DS_REPLAY_EINTERRUPTED when stopped with partitions unfinished, or
 * DS_REPLAY_ESKIPPED when records of the range were deleted by retention
 * before they were read. */
static int replay_summary(replayer *r)
{
    double secs = (double)r->st.ms / 1000.0;
    fprintf(r->out,
            "replayed %" PRIu64 " record(s) of %" PRIu64 " offset(s) in %.1f s (%.0f records/s): %" PRIu64
            " mention(s), %" PRIu64 " canonical record(s) to %s, %" PRIu64 " dead letter(s)%s\n",
            r->st.consumed, r->st.total, secs, secs > 0 ? (double)r->st.consumed / secs : 0.0, r->st.mentions,
            r->st.produced, r->out_topic, r->st.dead_letters, r->failed ? "; outputs failed" : "");
    if (r->failed)
        return 1;
    if (r->ncut) {
        ds_error("replay", "%zu partition(s) not replayed to the end of the range: a transaction open below it did "
                 "not end in time (see above)", r->ncut);
        return 1;
    }
    if (replay_stop && r->open > 0) {
        ds_warn("replay", "interrupted with %zu partition(s) unfinished%s", r->open,
                r->cfg->group ? "; `--from committed` resumes" : "");
        return DS_REPLAY_EINTERRUPTED;
    }
    if (r->st.skipped) {
        ds_error("replay", "%" PRIu64 " offset(s) of the range skipped: deleted by retention before they were read",
                 r->st.skipped);
        return DS_REPLAY_ESKIPPED;
    }
    return 0;
}

int ds_replay(const ds_config *cfg, ds_replay_stats *stats, FILE *out)
{
    replayer rp = {0};
    replayer *r = &rp;
    char err[1024] = "";
    r->cfg = cfg;
    r->out = out;
    r->out_topic = cfg->output_topic ? cfg->output_topic : cfg->canonical_topic;
    r->tty = isatty(STDERR_FILENO);
    int rc = ds_replay_plan_make(cfg, &r->plan, err, sizeof err);
    if (rc) {
        ds_error("replay", "%s", err);
    } else if (cfg->dry_run) {
        ds_replay_plan_print(&r->plan, out);
        fprintf(out, "state: %s; output: %s (dry run: nothing read or written)\n",
                cfg->fresh_state ? "empty (--fresh-state)" : "the processor's changelog, if any", r->out_topic);
    } else if (replayer_open(r, err, sizeof err) || replay_range(r, err, sizeof err)) {
        ds_error("replay", "%s", err[0] ? err : "failed");
        rc = 1;
    } else {
        rc = replay_summary(r);
    }
    if (stats)
        *stats = r->st;
    replayer_free(r);
    return rc;
}

