/* bench_state: resident memory of one resolver holding many deals.
 *
 * Synthetic mentions, fixed seed: --deals deals (default 100,000) spread over
 * blocks of --per-block deals (default 3.33 on average, so ~30,000 blocks);
 * each deal is reported by --sources articles (default 3), every article with
 * its own id and a distinct random text fingerprint (SimHash). The deals of a
 * block are executive contracts of batches 1, 2, 3, ... signed years apart,
 * so they never merge. Prints the command line, the inputs, the sizes of the
 * structures involved, the RSS before and after (from /proc/self/statm) and
 * the peak RSS (getrusage).
 *
 *   bench_state [--deals N] [--sources K] [--blocks B]
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

int main(int argc, char **argv)
{
    long deals = 100000, sources = 3, blocks = 30000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--deals") == 0)
            deals = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--sources") == 0)
            sources = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--blocks") == 0)
            blocks = atol(argv[i + 1]);
        else {
            fprintf(stderr, "usage: bench_state [--deals N] [--sources K] [--blocks B]\n");
            return 2;
        }
    }
    if (deals <= 0 || sources <= 0 || blocks <= 0 || blocks > deals) {
        fprintf(stderr, "bench_state: need 0 < blocks <= deals and sources > 0\n");
        return 2;
    }
    printf("command: ");
    for (int i = 0; i < argc; i++)
        printf("%s%s", argv[i], i + 1 < argc ? " " : "\n");
    printf("inputs: %ld deals in %ld blocks, %ld sources each: %ld mentions, %ld distinct text fingerprints\n",
           deals, blocks, sources, deals * sources, deals * sources);
    printf("sizes: ds_mention %zu B, ds_canon %zu B (+ its arrays), ds_deal_rev %zu B\n", sizeof(ds_mention),
           sizeof(ds_canon), sizeof(ds_deal_rev));

    long rss0 = rss_kib();
    ds_resolver *rs = ds_resolver_new(NULL);
    if (!rs)
        return 1;
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
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long rss1 = rss_kib();
    const ds_canon **all;
    size_t live = ds_resolver_deals(rs, &all);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("held: %zu live deals, %zu mentions; %.1f s to add them\n", live, ds_resolver_mentions(rs), secs);
    printf("rss: %.1f MiB before, %.1f MiB after, delta %.1f MiB (%.0f B per mention)\n", rss0 / 1024.0,
           rss1 / 1024.0, (rss1 - rss0) / 1024.0, (double)(rss1 - rss0) * 1024.0 / (double)(deals * sources));
    printf("peak rss: %.1f MiB\n", ru.ru_maxrss / 1024.0);
    ds_resolver_destroy(rs);
    return live == (size_t)deals ? 0 : 1;
}
