/* paths.c: finding the shipped data next to the binary (see paths.h).
 * Calls nothing of the project. */
#include "paths.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef DS_DATA_RELATIVE
#define DS_DATA_RELATIVE "../share/dealstream"
#endif

/* The directory of the running binary, without a trailing '/'. */
static int exe_dir(char *out, size_t cap)
{
    ssize_t n = readlink("/proc/self/exe", out, cap - 1);
    if (n <= 0 || (size_t)n >= cap - 1)
        return -1;
    out[n] = '\0';
    char *slash = strrchr(out, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    return 0;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int ds_data_path(const char *what, char *out, size_t cap)
{
    static const char *const rel[] = {DS_DATA_RELATIVE, "share/dealstream", "../share/dealstream"};
    char dir[PATH_MAX];
    if (exe_dir(dir, sizeof dir)) {
        snprintf(out, cap, "share/dealstream/%s next to the binary (its path is unknown)", what);
        return -1;
    }
    size_t nrel = sizeof rel / sizeof rel[0];
    for (size_t i = 0; i < nrel; i++) {
        if (i > 0 && strcmp(rel[i], rel[0]) == 0)
            continue;
        if ((size_t)snprintf(out, cap, "%s/%s/%s", dir, rel[i], what) >= cap || !is_dir(out))
            continue;
        /* share/dealstream without "bin/..", its entries as they are (the
         * build tree's are links into the sources) */
        char base[PATH_MAX + 64], real[PATH_MAX];
        snprintf(base, sizeof base, "%s/%s", dir, rel[i]);
        if (realpath(base, real))
            snprintf(out, cap, "%s/%s", real, what);
        return 0;
    }
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < nrel && len < cap; i++) {
        if (i > 0 && strcmp(rel[i], rel[0]) == 0)
            continue;
        len += (size_t)snprintf(out + len, cap - len, "%s%s/%s/%s", len ? ", " : "", dir, rel[i], what);
    }
    return -1;
}
