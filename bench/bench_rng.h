/* bench_rng.h: the benchmarks' random numbers (xorshift64*, with a fixed
 * seed so that every run generates the same input) and the sentence shuffle
 * both use to make copies of corpus articles. */
#ifndef DS_BENCH_RNG_H
#define DS_BENCH_RNG_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static inline uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

typedef struct span {
    size_t off, len;
} span;

/* Writes body to out (room for len bytes) with the sentences of every
 * paragraph (text between blank lines) in a shuffled order. A sentence ends
 * after ". ", "! " or "? " (the space stays with it); the split is at ASCII
 * bytes, so the result stays valid UTF-8 and has exactly the bytes of body. */
static inline void shuffle_sentences(char *out, const char *body, size_t len)
{
    span sent[512];
    size_t p = 0, w = 0;
    while (p < len) {
        /* one paragraph: up to "\n\n" inclusive */
        const char *pe = NULL;
        for (size_t i = p; i + 1 < len; i++)
            if (body[i] == '\n' && body[i + 1] == '\n') {
                pe = body + i + 2;
                break;
            }
        size_t end = pe ? (size_t)(pe - body) : len;
        int ns = 0;
        size_t s = p;
        for (size_t i = p; i < end; i++) {
            int stop = (body[i] == '.' || body[i] == '!' || body[i] == '?') && i + 1 < end && body[i + 1] == ' ';
            if (stop && ns < 511) {
                sent[ns++] = (span){s, i + 2 - s};
                s = i + 2;
                i++;
            }
        }
        if (s < end)
            sent[ns++] = (span){s, end - s};
        for (int i = ns - 1; i > 0; i--) { /* Fisher-Yates */
            int j = (int)(rng() % (uint64_t)(i + 1));
            span t = sent[i];
            sent[i] = sent[j];
            sent[j] = t;
        }
        for (int i = 0; i < ns; i++) {
            memcpy(out + w, body + sent[i].off, sent[i].len);
            w += sent[i].len;
        }
        p = end;
    }
}

#endif
