#include "bench_corpus.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util.h"

static void fail(const char *prog, const char *what, const char *where)
{
    fprintf(stderr, "%s: %s %s\n", prog, what, where);
    exit(1);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

bench_src *bench_corpus_load(const char *prog, const char *dir, int *count)
{
    DIR *d = opendir(dir);
    if (!d)
        fail(prog, "cannot open corpus", dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 5 || strcmp(de->d_name + l - 4, ".txt") != 0)
            continue;
        if (ds_reserve(&names, &cap, n + 1, sizeof *names, 128) || !(names[n] = strdup(de->d_name)))
            fail(prog, "out of memory reading", dir);
        n++;
    }
    closedir(d);
    if (n == 0)
        fail(prog, "no .txt articles in", dir);
    qsort(names, n, sizeof *names, by_name);
    bench_src *srcs = calloc(n, sizeof *srcs);
    if (!srcs)
        fail(prog, "out of memory reading", dir);
    for (size_t i = 0; i < n; i++) {
        char path[4096], err[256];
        size_t len;
        bench_src *s = &srcs[i];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (!(s->text = ds_read_file(path, &len)))
            fail(prog, "cannot read", path);
        if (ds_article_parse_text(s->text, len, &s->ta, err, sizeof err))
            fail(prog, "bad article", path);
        ds_article_id_from_path(names[i], s->name, sizeof s->name);
        if (s->ta.title)
            s->title = strndup(s->ta.title, s->ta.title_len);
        /* labels: outlet, and whether the article reports any deal */
        strcpy(path + strlen(path) - 4, ".json");
        json_t *lab = json_load_file(path, 0, NULL);
        const char *outlet = lab ? json_string_value(json_object_get(lab, "outlet")) : NULL;
        s->outlet = outlet ? strdup(outlet) : NULL;
        s->negative = lab && json_array_size(json_object_get(lab, "mentions")) == 0;
        json_decref(lab);
        free(names[i]);
    }
    free(names);
    *count = (int)n;
    return srcs;
}

void bench_corpus_free(bench_src *srcs, int count)
{
    for (int i = 0; srcs && i < count; i++) {
        free(srcs[i].text);
        free(srcs[i].title);
        free(srcs[i].outlet);
    }
    free(srcs);
}
