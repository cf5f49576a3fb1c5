/* bench_extract: single-thread throughput of ds_extract.
 *
 *   bench_extract [--mb N] [--catalog DIR] [--corpus DIR] [--json FILE]
 *
 * Builds an in-memory corpus of at least N MiB (default 64) of article
 * bodies by repeating the labelled corpus (the .txt files of tests/corpus): copy 0 of an
 * article is the text as written; every further copy has the sentences of
 * each paragraph shuffled with a fixed-seed generator and its own id, so the
 * extractor does not see the same 72 texts over and over. Then times one
 * ds_extract call per article on this thread (CLOCK_MONOTONIC wall time and
 * getrusage CPU time) and prints the figures; --json also writes them as a
 * JSON object. Building the corpus is not timed. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <jansson.h>

#include "article.h"
#include "catalog.h"
#include "extract.h"
#include "util.h"
#include "bench_corpus.h"
#include "bench_rng.h"

typedef struct bench_article {
    size_t off, len;     /* body in the arena */
    int src;             /* index of the source article */
    int copy;
} bench_article;

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "bench_extract: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(1);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(const struct rusage *ru)
{
    return (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6 + (double)ru->ru_stime.tv_sec +
           (double)ru->ru_stime.tv_usec / 1e6;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_extract [--mb N] [--catalog DIR] [--corpus DIR] [--json FILE]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    double mb = 64;
    const char *catalog_dir = DS_DATA_DIR "/catalog";
    const char *corpus_dir = DS_SOURCE_DIR "/tests/corpus";
    const char *json_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        if (strcmp(argv[i], "--mb") == 0) {
            char *e;
            mb = strtod(argv[++i], &e);
            if (*e || mb <= 0)
                usage();
        } else if (strcmp(argv[i], "--catalog") == 0) {
            catalog_dir = argv[++i];
        } else if (strcmp(argv[i], "--corpus") == 0) {
            corpus_dir = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0) {
            json_path = argv[++i];
        } else {
            usage();
        }
    }

    char cmd[8192];
    size_t cl = 0;
    for (int i = 0; i < argc && cl < sizeof cmd - 1; i++)
        cl += (size_t)snprintf(cmd + cl, sizeof cmd - cl, "%s%s", i ? " " : "", argv[i]);
    if (cl >= sizeof cmd)
        cl = sizeof cmd - 1;

    char err[1024];
    ds_catalog *cat = ds_catalog_load(catalog_dir, err, sizeof err);
    if (!cat)
        die("%s", err);
    ds_extractor *ex = ds_extractor_new(cat);
    if (!ex)
        die("%s", "out of memory");

    int nsrc;
    bench_src *srcs = bench_corpus_load("bench_extract", corpus_dir, &nsrc);

    /* Build the corpus: whole rounds over the sources until the target size. */
    size_t target = (size_t)(mb * 1024 * 1024);
    size_t round_bytes = 0;
    for (int i = 0; i < nsrc; i++)
        round_bytes += srcs[i].ta.body_len;
    size_t rounds = (target + round_bytes - 1) / round_bytes;
    size_t total = rounds * round_bytes;
    size_t narts = rounds * (size_t)nsrc;
    char *arena = malloc(total);
    bench_article *arts = malloc(narts * sizeof *arts);
    if (!arena || !arts)
        die("%s", "out of memory");
    size_t w = 0, k = 0;
    for (size_t r = 0; r < rounds; r++)
        for (int i = 0; i < nsrc; i++) {
            const ds_text_article *ta = &srcs[i].ta;
            if (r == 0)
                memcpy(arena + w, ta->body, ta->body_len);
            else
                shuffle_sentences(arena + w, ta->body, ta->body_len);
            arts[k++] = (bench_article){w, ta->body_len, i, (int)r};
            w += ta->body_len;
        }
    /* Interleave copies so consecutive calls see different articles (a
     * fixed-seed shuffle of the order too). */
    for (size_t i = narts - 1; i > 0; i--) {
        size_t j = (size_t)(rng() % (uint64_t)(i + 1));
        bench_article t = arts[i];
        arts[i] = arts[j];
        arts[j] = t;
    }

    /* Warm-up on the originals (not timed): caches, scratch buffers. */
    const ds_mention *ms;
    for (int i = 0; i < nsrc; i++) {
        ds_article a = {srcs[i].name, "bench", srcs[i].title, srcs[i].ta.body, srcs[i].ta.body_len,
                        srcs[i].ta.published};
        if (ds_extract(ex, &a, &ms, err, sizeof err) < 0)
            die("warm-up: %s", err);
    }

    size_t mentions = 0, failed = 0;
    char id[200];
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    double t0 = now_s();
    for (size_t i = 0; i < narts; i++) {
        const bench_article *ba = &arts[i];
        const bench_src *s = &srcs[ba->src];
        snprintf(id, sizeof id, "%s-r%d", s->name, ba->copy);
        ds_article a = {id, "bench", s->title, arena + ba->off, ba->len, s->ta.published};
        int n = ds_extract(ex, &a, &ms, err, sizeof err);
        if (n < 0)
            failed++;
        else
            mentions += (size_t)n;
    }
    double t1 = now_s();
    getrusage(RUSAGE_SELF, &ru1);

    double wall = t1 - t0, cpu = cpu_s(&ru1) - cpu_s(&ru0);
    double mbytes = (double)total / 1e6, mib = (double)total / (1024.0 * 1024.0);
    long peak_rss_kb = ru1.ru_maxrss;
    printf("command:     %.*s\n", (int)cl, cmd);
    printf("input:       %zu articles (%d sources x %zu copies), %.1f MB (%.1f MiB), mean %.0f bytes/article\n",
           narts, nsrc, rounds, mbytes, mib, (double)total / (double)narts);
    printf("time:        %.3f s wall, %.3f s CPU (user+sys)\n", wall, cpu);
    printf("throughput:  %.1f MB/s (%.1f MiB/s) wall, %.1f MB/s CPU\n", mbytes / wall, mib / wall, mbytes / cpu);
    printf("articles/s:  %.0f\n", (double)narts / wall);
    printf("mentions:    %zu (%.2f per article), %zu articles failed\n", mentions,
           (double)mentions / (double)narts, failed);
    printf("peak RSS:    %.1f MiB\n", (double)peak_rss_kb / 1024.0);

    int rc = failed ? 1 : 0;
    if (json_path) {
        json_t *j = json_pack("{s:s, s:I, s:i, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I}",
                              "command", cmd, "articles", (json_int_t)narts, "sources", nsrc, "copies",
                              (json_int_t)rounds, "bytes", (json_int_t)total, "mean_article_bytes",
                              (double)total / (double)narts, "wall_s", wall, "cpu_s", cpu, "mb_per_s",
                              mbytes / wall, "mib_per_s", mib / wall, "mb_per_cpu_s", mbytes / cpu,
                              "articles_per_s", (double)narts / wall, "mentions", (json_int_t)mentions,
                              "failed", (json_int_t)failed, "peak_rss_kb", (json_int_t)peak_rss_kb);
        if (!j || json_dump_file(j, json_path, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) {
            fprintf(stderr, "bench_extract: cannot write %s: %s\n", json_path, strerror(errno));
            rc = 1;
        }
        json_decref(j);
    }

    bench_corpus_free(srcs, nsrc);
    free(arts);
    free(arena);
    ds_extractor_destroy(ex);
    ds_catalog_destroy(cat);
    return rc;
}
