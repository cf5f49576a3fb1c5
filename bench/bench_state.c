/* bench_state: resident memory of one resolver holding many deals.
 *
 * Synthetic mentions, fixed seed: --deals deals (default 100,000) spread over
 * blocks of --per-block deals (default 3.33 on average, so ~30,000 blocks);
 * each deal is reported by --sources articles (default 3), every article with
 * its own id and a distinct random text fingerprint (SimHash). The deals of a
 * block are executive contracts of batches 1, 2, 3, ... signed years apart,
 * so they never merge. Besides the articles of the mentions, --fingerprints
 * (default 1,000,000) distinct article fingerprints in all are recorded: the
 * rest as articles seen without a mention (ds_resolver_note_article), within
 * one retention window (--retention-days, default 0: forever, so that all of
 * them are held). Prints the command line, the inputs, the sizes of the
 * structures involved, the RSS before and after (from /proc/self/statm), the
 * peak RSS (getrusage) and bytes per mention and per fingerprint.
 *
 *   bench_state [--deals N] [--sources K] [--blocks B] [--fingerprints F] [--retention-days D]
 *
 * With --one-block N it measures instead the cost of resolution in one
 * block (one buyer, seller and family, as every report of one programme is)
 * as the block grows to N mentions: executive contracts signed 60 days
 * apart, each reported by 4 articles over 4 days plus one syndicated copy
 * (a fingerprint 3 bits away), every fifth article also recalling the
 * batch before as a context mention. At 1,000, 3,000, 10,000, 30,000 and
 * 100,000 mentions
 * (those <= N) it prints the mean CPU time of the last 500 adds, the total
 * time so far, the adds done through the block's index and the peak RSS; it stops early, saying where, once adding has
 * taken --max-seconds (default 600). At each mark it also writes the
 * block's changelog as `run` does (the chunks changed since the last mark,
 * tombstones for emptied ones; kept in memory as a compacted topic would
 * keep them: the latest record per chunk) and prints the chunks, the
 * largest record (Avro bytes of its items), the time to write them, and
 * the CPU time to restore a fresh resolver from all the chunks, in all and
 * per mention held (ds_resolver_restore_chunk and ds_resolver_restore_finish,
 * what ds_state_restore does after reading the topic). With --intents-every K
 * every K-th mention is instead an intent of a deal event (which expires).
 * With --one-cluster the block's mentions are instead N deal events of one
 * deal (one buyer, seller, system, stage, quantity and signing date, a
 * minute apart, as years of reports of one programme's contract are):
 * every mention joins the one cluster of all those before it.
 *
 *   bench_state --one-block N [--max-seconds S] [--retention-days D] [--intents-every K] [--one-cluster]
 *
 * (D: the resolver's duplicate retention, default 0 = forever; `run`'s
 * default is 30.)
 *
 * Not a test. See bench/README.md for figures. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "mention.h"
#include "mention_bin.h"
#include "resolve.h"
#include "util.h"

static long rss_kib(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return -1;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = -1;
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next_rand(void)
{
    /* splitmix64 */
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* CPU time of this thread: what an add costs, less the noise of a shared
 * machine's other processes. */
static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Mention i of the one-block stream (see the opening comment). */
/* A primary mention of stage and status in the one block (POL|KOR|K2). */
static void k2_mention(ds_mention *m, ds_stage stage, ds_status status)
{
    ds_mention_init(m);
    m->role = DS_ROLE_PRIMARY;
    m->stage = stage;
    m->status = status;
    ds_strlcpy(m->buyer, "POL", sizeof m->buyer);
    ds_strlcpy(m->seller, "KOR", sizeof m->seller);
    ds_strlcpy(m->family, "K2", sizeof m->family);
    ds_strlcpy(m->system, "K2", sizeof m->system);
    ds_mention_block_key(m);
}

static void one_block_mention(long i, ds_mention *m)
{
    long deal = i / 6, k = i % 6; /* 4 reports, 1 copy, 1 context */
    k2_mention(m, DS_STAGE_EXECUTIVE, DS_STATUS_SIGNED);
    m->batch = (int)(deal + 1);
    m->signing_date = ds_days_from_civil(2000, 1, 1) + (int32_t)(deal * 60);
    m->quantity = 100 + deal % 50;
    m->value.set = 1;
    m->value.amount = m->value.usd = (int64_t)(1000 + deal % 97) * 100000000;
    ds_strlcpy(m->value.currency, "USD", sizeof m->value.currency);
    m->src.kind = DS_SRC_ARTICLE;
    long art = k == 5 ? deal * 6 + 4 : i; /* the context mention is the copy's article's second mention */
    snprintf(m->src.id, sizeof m->src.id, "article-%ld", art);
    m->src.published = (int64_t)(m->signing_date + 1 + (k < 4 ? k : 4)) * 86400000LL;
    uint64_t h = ds_hash64(m->src.id, strlen(m->src.id), 3) | 1;
    if (k >= 4) /* the copy of the deal's first report, 3 bits away */
        h = (ds_hash64("x", 1, (uint64_t)deal * 6) | 1) ^ 0x10101ULL;
    if (k == 0)
        h = ds_hash64("x", 1, (uint64_t)deal * 6) | 1;
    m->src.text_hash = h;
    ds_strlcpy(m->src.topic, "articles", sizeof m->src.topic);
    m->src.offset = i;
    if (k == 5) {
        m->role = DS_ROLE_CONTEXT;
        m->batch = (int)deal;
        m->signing_date = DS_NO_DATE;
        m->signing_year = 2000 + (int)((deal - 1) * 60 / 365);
        m->value.set = 0;
    }
    ds_mention_evidence(m, "quantity", 0, 80);
    char mid[64];
    snprintf(mid, sizeof mid, "%s#%ld", m->src.id, k);
    ds_hex64(ds_hash64(mid, strlen(mid), 1), m->mention_id);
}

/* Mention i of the one-cluster stream: deal event i of one buyer, seller,
 * system, stage, quantity and signing date, reported a minute after the
 * one before (as tests/test_liveness.c feeds `run`): every mention is
 * compatible with every other, so the block is one deal. */
static void one_cluster_mention(long i, ds_mention *m)
{
    k2_mention(m, DS_STAGE_EXECUTIVE, DS_STATUS_SIGNED);
    m->quantity = 48;
    m->signing_date = 19000;
    m->src.kind = DS_SRC_DEAL_EVENT;
    snprintf(m->src.id, sizeof m->src.id, "blk-%ld", i);
    m->src.published = 1720602000000LL + i * 60000LL;
    ds_strlcpy(m->src.topic, "deals", sizeof m->src.topic);
    m->src.offset = i;
    char id[32];
    snprintf(id, sizeof id, "blk-%ld", i);
    ds_hex64(ds_hash64(id, strlen(id), 1), m->mention_id);
}

/* An intent of a deal event (expirable) in place of mention i. */
static void intent_mention(long i, ds_mention *m)
{
    int64_t pub = m->src.published;
    k2_mention(m, DS_STAGE_INTENT, DS_STATUS_PLANNED);
    m->src.kind = DS_SRC_DEAL_EVENT;
    snprintf(m->src.id, sizeof m->src.id, "intent-%ld", i);
    m->src.published = pub;
    ds_strlcpy(m->src.topic, "deals", sizeof m->src.topic);
    m->src.offset = i;
    char id[32];
    snprintf(id, sizeof id, "intent-%ld", i);
    ds_hex64(ds_hash64(id, strlen(id), 1), m->mention_id);
}

/* The changelog of the one block, as a compacted topic holds it: the
 * latest record of each chunk (its items, Avro-encoded back to back). */
typedef struct crec {
    uint32_t chunk;
    ds_buf ms;
    size_t nms;
    ds_deal_rev *revs;
    size_t nrevs;
} crec;

typedef struct clog {
    crec *c;
    size_t n, cap;
    size_t largest;
} clog;

static crec *clog_get(clog *l, uint32_t chunk)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->c[i].chunk == chunk)
            return &l->c[i];
    if (ds_reserve(&l->c, &l->cap, l->n + 1, sizeof *l->c, 16))
        return NULL;
    crec *c = &l->c[l->n++];
    memset(c, 0, sizeof *c);
    c->chunk = chunk;
    ds_buf_init(&c->ms);
    return c;
}

static void clog_free(clog *l)
{
    for (size_t i = 0; i < l->n; i++) {
        ds_buf_free(&l->c[i].ms);
        free(l->c[i].revs);
    }
    free(l->c);
}

/* Writes the chunks of key changed since the last call into l. Returns
 * the number of records written, or -1. */
static long clog_write(clog *l, ds_resolver *rs, const char *key)
{
    const ds_state_chunk *cs;
    size_t n;
    if (ds_resolver_chunks_dirty(rs, key, &cs, &n))
        return -1;
    for (size_t i = 0; i < n; i++) {
        crec *c = clog_get(l, cs[i].chunk);
        if (!c)
            return -1;
        ds_buf_reset(&c->ms);
        c->nms = c->nrevs = 0;
        if (cs[i].gone)
            continue;
        const ds_mention *const *ms;
        const ds_deal_rev *revs;
        size_t nms, nrevs;
        if (ds_resolver_chunk_state(rs, key, cs[i].chunk, &ms, &nms, &revs, &nrevs))
            return -1;
        for (size_t k = 0; k < nms; k++)
            if (ds_mention_write(ms[k], &c->ms))
                return -1;
        c->nms = nms;
        free(c->revs);
        c->revs = malloc((nrevs ? nrevs : 1) * sizeof *c->revs);
        if (!c->revs)
            return -1;
        memcpy(c->revs, revs, nrevs * sizeof *revs);
        c->nrevs = nrevs;
        size_t bytes = c->ms.len + nrevs * 30;
        if (bytes > l->largest)
            l->largest = bytes;
    }
    ds_resolver_chunks_written(rs, key);
    return (long)n;
}

/* Restores a fresh resolver from every chunk of l. Returns it, or NULL. */
static ds_resolver *clog_restore(const clog *l, long retention, size_t *chunks)
{
    ds_resolver *rs = ds_resolver_new(NULL);
    ds_mention *ms = NULL;
    size_t cap = 0;
    *chunks = 0;
    if (!rs)
        return NULL;
    ds_resolver_set_retention(rs, retention);
    ds_resolver_set_cross_block(rs, 0); /* as run restores a partition */
    for (size_t i = 0; i < l->n; i++) {
        const crec *c = &l->c[i];
        if (!c->nms && !c->nrevs)
            continue; /* a tombstone */
        if (ds_reserve(&ms, &cap, c->nms + 1, sizeof *ms, 16))
            goto err;
        const unsigned char *p = (const unsigned char *)c->ms.data;
        ds_avro_cursor cur = {p, p + c->ms.len, NULL, NULL};
        for (size_t k = 0; k < c->nms; k++)
            ds_mention_read_at(&cur, &ms[k]);
        if (cur.failed || ds_resolver_restore_chunk(rs, ms[0].block_key[0] ? ms[0].block_key : "POL|KOR|K2", c->chunk,
                                                    ms, c->nms, c->revs, c->nrevs))
            goto err;
        (*chunks)++;
    }
    ds_changes ch;
    if (ds_resolver_restore_finish(rs, &ch) || ch.n)
        goto err; /* a restore republishes nothing */
    free(ms);
    return rs;
err:
    free(ms);
    ds_resolver_destroy(rs);
    return NULL;
}

/* At a mark: writes the changed chunks into l and restores from all of
 * them, printing what it took. Returns 0 or -1. */
static int mark_changelog(clog *l, ds_resolver *rs, long retention)
{
    char key[64];
    ds_mention m;
    one_block_mention(0, &m);
    ds_strlcpy(key, m.block_key, sizeof key);
    double a = cpu_s();
    long written = clog_write(l, rs, key);
    double b = cpu_s();
    size_t chunks = 0;
    ds_resolver *back = written < 0 ? NULL : clog_restore(l, retention, &chunks);
    double c = cpu_s();
    if (!back || ds_resolver_mentions(back) != ds_resolver_mentions(rs) ||
        ds_resolver_deal_count(back) != ds_resolver_deal_count(rs)) {
        fprintf(stderr, "bench_state: the changelog does not restore the block\n");
        ds_resolver_destroy(back);
        return -1;
    }
    size_t held = ds_resolver_mentions(rs);
    printf("         changelog: %zu chunks, largest record %.1f KiB, %ld records written since the last mark in "
           "%.1f ms; restore %.1f ms, %.2f us CPU per mention (%zu mentions held, %zu expired)\n",
           chunks, l->largest / 1024.0, written, (b - a) * 1e3, (c - b) * 1e3, (c - b) * 1e6 / (double)(held ? held : 1),
           held, ds_resolver_expired(rs));
    ds_resolver_destroy(back);
    return 0;
}

/* The --one-block measurement. Returns the exit status. */
#define WINDOW 500 /* adds averaged at each mark */

static int one_block(long n, double max_s, long retention, long intents_every, int one_cluster)
{
    ds_resolver *rs = ds_resolver_new(NULL);
    if (!rs)
        return 1;
    ds_resolver_set_retention(rs, retention);
    ds_resolver_set_cross_block(rs, 0); /* as run's resolvers */
    static const long marks[] = {1000, 3000, 10000, 30000, 100000};
    double t0 = now_s(), win = 0;
    int stopped = 0;
    ds_mention m;
    clog log = {0};
    printf("one block of up to %ld mentions (POL|KOR|K2%s); stop after %.0f s\n", n,
           one_cluster ? ", one cluster" : "", max_s);
    for (long i = 0; i < n; i++) {
        if (one_cluster)
            one_cluster_mention(i, &m);
        else
            one_block_mention(i, &m);
        if (intents_every > 0 && i % intents_every == intents_every - 1)
            intent_mention(i, &m);
        double a0 = now_s();
        double a = cpu_s();
        ds_changes ch;
        if (ds_resolver_add(rs, &m, &ch) != 0) {
            fprintf(stderr, "bench_state: add failed\n");
            return 1;
        }
        double b = cpu_s();
        long done = i + 1;
        for (size_t k = 0; k < sizeof marks / sizeof *marks; k++)
            if (done > marks[k] - WINDOW && done <= marks[k])
                win += b - a;
        b = now_s();
        for (size_t k = 0; k < sizeof marks / sizeof *marks; k++)
            if (done == marks[k]) {
                struct rusage ru;
                getrusage(RUSAGE_SELF, &ru);
                printf("%7ld mentions: %10.1f us CPU per mention (last %d), %8.1f s in all, %zu deals, %zu adds "
                       "incremental, peak rss %.1f MiB\n",
                       done, win / WINDOW * 1e6, WINDOW, b - t0, ds_resolver_deal_count(rs),
                       ds_resolver_incremental_adds(rs), ru.ru_maxrss / 1024.0);
                if (mark_changelog(&log, rs, retention))
                    return 1;
                fflush(stdout);
                win = 0;
            }
        if (b - t0 > max_s) {
            printf("stopped at %ld mentions after %.1f s (last add %.1f ms)\n", done, b - t0, (b - a0) * 1e3);
            stopped = 1;
            break;
        }
    }
    if (!stopped)
        printf("done: %ld mentions in %.1f s\n", n, now_s() - t0);
    clog_free(&log);
    ds_resolver_destroy(rs);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_state [--deals N] [--sources K] [--blocks B] [--fingerprints F] "
                    "[--retention-days D] | --one-block N [--max-seconds S] [--retention-days D] "
                    "[--intents-every K] [--one-cluster]\n");
    return 2;
}

int main(int argc, char **argv)
{
    long deals = 100000, sources = 3, blocks = 30000, fingerprints = 1000000, retention = 0, one = 0, intents = 0;
    double max_s = 600;
    int one_cluster = 0;
    for (int i = 1; i < argc; i += 2) {
        if (strcmp(argv[i], "--one-cluster") == 0) {
            one_cluster = 1;
            i--; /* a flag: no value */
        } else if (i + 1 >= argc)
            return usage();
        else if (strcmp(argv[i], "--one-block") == 0)
            one = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--max-seconds") == 0)
            max_s = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--deals") == 0)
            deals = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--sources") == 0)
            sources = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--blocks") == 0)
            blocks = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--fingerprints") == 0)
            fingerprints = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--retention-days") == 0)
            retention = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--intents-every") == 0)
            intents = atol(argv[i + 1]);
        else
            return usage();
    }
    if (one > 0) {
        printf("command: ");
        for (int i = 0; i < argc; i++)
            printf("%s%s", argv[i], i + 1 < argc ? " " : "\n");
        return one_block(one, max_s, retention, intents, one_cluster);
    }
    if (deals <= 0 || sources <= 0 || blocks <= 0 || blocks > deals) {
        fprintf(stderr, "bench_state: need 0 < blocks <= deals and sources > 0\n");
        return 2;
    }
    printf("command: ");
    for (int i = 0; i < argc; i++)
        printf("%s%s", argv[i], i + 1 < argc ? " " : "\n");
    long extra = fingerprints > deals * sources ? fingerprints - deals * sources : 0;
    printf("inputs: %ld deals in %ld blocks, %ld sources each: %ld mentions; %ld distinct text fingerprints "
           "(%ld of them articles without a mention); retention %ld days\n",
           deals, blocks, sources, deals * sources, deals * sources + extra, extra, retention);
    printf("sizes: ds_mention %zu B, ds_canon %zu B (+ its arrays), ds_deal_rev %zu B\n", sizeof(ds_mention),
           sizeof(ds_canon), sizeof(ds_deal_rev));

    long rss0 = rss_kib();
    ds_resolver *rs = ds_resolver_new(NULL);
    if (!rs)
        return 1;
    ds_resolver_set_retention(rs, retention);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ds_mention m;
    /* article by article: for each round of sources, every deal gets one
     * more report, as news of many deals would interleave */
    for (long s = 0; s < sources; s++) {
        for (long d = 0; d < deals; d++) {
            long b = d % blocks, batch = d / blocks + 1;
            ds_mention_init(&m);
            m.role = DS_ROLE_PRIMARY;
            m.stage = DS_STAGE_EXECUTIVE;
            m.status = DS_STATUS_SIGNED;
            ds_strlcpy(m.buyer, "POL", sizeof m.buyer);
            ds_strlcpy(m.seller, "KOR", sizeof m.seller);
            snprintf(m.family, sizeof m.family, "F%06ld", b);
            snprintf(m.system, sizeof m.system, "F%06ld", b);
            ds_mention_block_key(&m);
            m.batch = (int)batch;
            m.signing_date = ds_days_from_civil(2000 + (int)batch * 3, 3, 1);
            m.signing_year = 2000 + (int)batch * 3;
            m.quantity = 100 + batch;
            m.value.set = 1;
            m.value.amount = m.value.usd = (int64_t)(1000 + batch) * 100000000;
            ds_strlcpy(m.value.currency, "USD", sizeof m.value.currency);
            m.src.kind = DS_SRC_ARTICLE;
            snprintf(m.src.id, sizeof m.src.id, "article-%ld-%ld", d, s);
            m.src.published = (int64_t)(m.signing_date + 1 + s) * 86400000LL;
            m.src.text_hash = next_rand() | 1;
            ds_strlcpy(m.src.topic, "articles", sizeof m.src.topic);
            m.src.offset = d * sources + s;
            ds_mention_evidence(&m, "quantity", 0, 80);
            ds_mention_evidence(&m, "value", 0, 80);
            ds_hex64(ds_hash64(m.src.id, strlen(m.src.id), 1), m.mention_id);
            ds_changes ch;
            if (ds_resolver_add(rs, &m, &ch) != 0) {
                fprintf(stderr, "bench_state: add failed\n");
                return 1;
            }
        }
    }
    long rssm = rss_kib();
    /* the other articles seen, published over the same days as the last
     * round of reports */
    for (long a = 0; a < extra; a++) {
        char id[32];
        snprintf(id, sizeof id, "seen-%ld", a);
        int64_t published = (int64_t)ds_days_from_civil(2003, 3, 2) * 86400000LL + a % (25 * 86400000LL);
        if (ds_resolver_note_article(rs, id, next_rand() | 1, published) != 0) {
            fprintf(stderr, "bench_state: note failed\n");
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long rss1 = rss_kib();
    size_t live = ds_resolver_deal_count(rs);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    size_t nfp = ds_resolver_fingerprints(rs), nms = ds_resolver_mentions(rs);
    printf("held: %zu live deals, %zu mentions, %zu fingerprints; %.1f s to add them\n", live, nms, nfp, secs);
    printf("packed mentions: %zu B, %.1f B per mention (records alone)\n", ds_resolver_packed_bytes(rs),
           (double)ds_resolver_packed_bytes(rs) / (double)(nms ? nms : 1));
    printf("rss: %.1f MiB before, %.1f MiB after, delta %.1f MiB (%.1f MB)\n", rss0 / 1024.0, rss1 / 1024.0,
           (rss1 - rss0) / 1024.0, (rss1 - rss0) * 1024.0 / 1e6);
    printf("per item: %.0f B per mention (mentions phase: %.1f MiB, its fingerprints and deals included), "
           "%.0f B per further fingerprint (%.1f MiB for %ld)\n",
           (double)(rssm - rss0) * 1024.0 / (double)(nms ? nms : 1), (rssm - rss0) / 1024.0,
           extra ? (double)(rss1 - rssm) * 1024.0 / (double)extra : 0.0, (rss1 - rssm) / 1024.0, extra);
    printf("peak rss: %.1f MiB (%.1f MB); target < 150 MB: %s\n", ru.ru_maxrss / 1024.0, ru.ru_maxrss * 1024.0 / 1e6,
           ru.ru_maxrss * 1024.0 < 150e6 ? "met" : "NOT met");
    ds_resolver_destroy(rs);
    return live == (size_t)deals ? 0 : 1;
}
