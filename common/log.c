#include "log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static ds_log_level log_level = DS_LOG_INFO;
static int log_json;
static const char *const level_names[] = {"error", "warn", "info", "debug"};

int ds_log_setup(const char *level, const char *format)
{
    int lvl = -1;
    for (int i = 0; i < 4; i++)
        if (level && strcmp(level, level_names[i]) == 0)
            lvl = i;
    if (level && lvl < 0)
        return -1;
    if (format && strcmp(format, "json") && strcmp(format, "text"))
        return -1;
    if (lvl >= 0)
        log_level = (ds_log_level)lvl;
    if (format)
        log_json = strcmp(format, "json") == 0;
    return 0;
}

int ds_log_enabled(ds_log_level lvl) { return lvl <= log_level; }

void ds_log(ds_log_level lvl, const char *component, const char *fmt, ...)
{
    if (!ds_log_enabled(lvl))
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char ts[64];
    snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000));

    char line[4096];
    int n;
    if (log_json) {
        json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "ts", ts, "level", level_names[lvl],
                              "component", component, "msg", msg);
        char *s = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
        n = snprintf(line, sizeof line, "%s\n", s ? s : "{}");
        free(s);
        json_decref(o);
    } else {
        n = snprintf(line, sizeof line, "%s %-5s %s: %s\n", ts, level_names[lvl], component, msg);
    }
    if (n > (int)sizeof line - 1)
        n = (int)sizeof line - 1;
    if (write(STDERR_FILENO, line, (size_t)n) < 0) {
        /* nowhere left to report it */
    }
}
