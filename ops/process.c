/* process.c: the process_* series of a Prometheus client, read from
 * /proc/self (see process.h). May call only common/ and ops/metrics.h. */
#include "process.h"

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Reads the whole of a small procfs file into buf as a string. Returns its
 * length, or -1 when it cannot be read. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, size - 1 - len);
        if (n <= 0 || (len += (size_t)n) == size - 1)
            break;
    }
    close(fd);
    buf[len] = '\0';
    return (ssize_t)len;
}

/* The fields of /proc/self/stat that the series need (proc(5)). */
typedef struct proc_stat {
    unsigned long long utime, stime, starttime; /* clock ticks */
    unsigned long long vsize;                   /* bytes */
    long long rss;                              /* pages */
} proc_stat;

/* Parses /proc/self/stat. The command name (field 2) may hold spaces and
 * parentheses, so the fields are counted from its last ')'. Returns 0 or -1. */
static int read_stat(proc_stat *ps)
{
    char buf[2048];
    if (read_small("/proc/self/stat", buf, sizeof buf) < 0)
        return -1;
    const char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    /* fields 3 (state) to 24 (rss) */
    int n = sscanf(p + 1,
                   " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu %llu %lld",
                   &ps->utime, &ps->stime, &ps->starttime, &ps->vsize, &ps->rss);
    return n == 5 ? 0 : -1;
}

/* The boot time of the machine, Unix seconds, from /proc/stat's btime line;
 * -1 when it cannot be read. Read line by line: the intr line before it
 * runs to tens of KiB on a machine with many interrupts. */
static long long boot_time(void)
{
    FILE *f = fopen("/proc/stat", "re");
    if (!f)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    long long bt = -1;
    while (getline(&line, &cap, f) > 0)
        if (strncmp(line, "btime ", 6) == 0) {
            if (sscanf(line + 6, "%lld", &bt) != 1)
                bt = -1;
            break;
        }
    free(line);
    fclose(f);
    return bt;
}

/* The number of open file descriptors, not counting the one this count
 * opens; -1 when /proc/self/fd cannot be listed. */
static long open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    long n = 0;
    const struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1;
}

/* The one series of a new family without labels; sets *bad when it cannot be made. */
static ds_series *plain(ds_metrics *reg, ds_metric_type type, const char *name, const char *help, int *bad)
{
    ds_series *s = ds_metric_series(ds_metrics_add(reg, type, name, help, NULL, NULL, 0), NULL);
    *bad |= s == NULL;
    return s;
}

int ds_process_metrics_init(ds_process_metrics *pm, ds_metrics *reg)
{
    int bad = 0;
    memset(pm, 0, sizeof *pm);
    pm->cpu = plain(reg, DS_METRIC_COUNTER, "process_cpu_seconds_total",
                    "Total user and system CPU time spent in seconds.", &bad);
    pm->open_fds = plain(reg, DS_METRIC_GAUGE, "process_open_fds", "Number of open file descriptors.", &bad);
    pm->max_fds = plain(reg, DS_METRIC_GAUGE, "process_max_fds", "Maximum number of open file descriptors.", &bad);
    pm->vsize = plain(reg, DS_METRIC_GAUGE, "process_virtual_memory_bytes", "Virtual memory size in bytes.", &bad);
    pm->rss = plain(reg, DS_METRIC_GAUGE, "process_resident_memory_bytes", "Resident memory size in bytes.", &bad);
    pm->start_time = plain(reg, DS_METRIC_GAUGE, "process_start_time_seconds",
                           "Start time of the process since unix epoch in seconds.", &bad);
    if (bad)
        return -1;
    proc_stat ps;
    long long bt = boot_time();
    long tck = sysconf(_SC_CLK_TCK);
    if (read_stat(&ps) == 0 && bt >= 0 && tck > 0)
        ds_series_set(pm->start_time, (double)bt + (double)ps.starttime / (double)tck);
    return 0;
}

int ds_process_metrics_collect(ds_process_metrics *pm)
{
    int rc = 0;
    proc_stat ps;
    long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    if (read_stat(&ps) == 0 && tck > 0 && page > 0) {
        ds_series_set(pm->cpu, (double)(ps.utime + ps.stime) / (double)tck);
        ds_series_set(pm->vsize, (double)ps.vsize);
        ds_series_set(pm->rss, (double)ps.rss * (double)page);
    } else {
        rc = -1;
    }
    long fds = open_fds();
    if (fds >= 0)
        ds_series_set(pm->open_fds, (double)fds);
    else
        rc = -1;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        ds_series_set(pm->max_fds, rl.rlim_cur == RLIM_INFINITY ? INFINITY : (double)rl.rlim_cur);
    else
        rc = -1;
    return rc;
}
