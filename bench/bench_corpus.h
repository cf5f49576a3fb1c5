/* bench_corpus.h: the labelled articles (the .txt files of a corpus
 * directory, with the .json labels beside them) loaded for the benchmarks
 * that build their input from them. */
#ifndef DS_BENCH_CORPUS_H
#define DS_BENCH_CORPUS_H

#include "article.h"

typedef struct bench_src {
    char name[128];     /* article id, from the file name */
    char *text;         /* whole file */
    ds_text_article ta; /* points into text */
    char *title;        /* NUL-terminated copy or NULL */
    char *outlet;       /* the label's outlet, or NULL */
    int negative;       /* the label lists no mention */
} bench_src;

/* Loads the .txt articles of dir in name order. On any failure prints
 * "prog: " and what failed, naming the file, and exits with status 1. */
bench_src *bench_corpus_load(const char *prog, const char *dir, int *count);
void bench_corpus_free(bench_src *srcs, int count);

#endif
