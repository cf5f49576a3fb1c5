/* log.c: leveled logging to stderr, plain or JSON (see log.h). May call only
 * common/. */
#include "log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

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

/* Replaces every byte that is not part of a well-formed UTF-8 sequence with
 * '?', so that jansson accepts the message: a truncated multi-byte character
 * at the end, or bytes a broker or library put into a log line. */
static void utf8_scrub(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 && *p >= 0xC2 ? 2 : (*p & 0xF0) == 0xE0 ? 3
                : (*p & 0xF8) == 0xF0 && *p <= 0xF4 ? 4 : 0;
        int ok = n > 0;
        for (int i = 1; ok && i < n; i++)
            ok = (p[i] & 0xC0) == 0x80;
        if (ok && n == 3)
            ok = !(p[0] == 0xE0 && p[1] < 0xA0) && !(p[0] == 0xED && p[1] >= 0xA0);
        if (ok && n == 4)
            ok = !(p[0] == 0xF0 && p[1] < 0x90) && !(p[0] == 0xF4 && p[1] >= 0x90);
        if (!ok) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
}

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
        /* Escaping can make the line longer than msg; a JSON line that is cut
         * short is no JSON at all, so it is written whole from the heap. */
        char comp[128];
        ds_strlcpy(comp, component ? component : "", sizeof comp);
        utf8_scrub(comp);
        utf8_scrub(msg);
        json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "ts", ts, "level", level_names[lvl],
                              "component", comp, "msg", msg);
        char *s = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
        json_decref(o);
        if (s) {
            size_t len = strlen(s);
            s[len] = '\n'; /* json_dumps's NUL becomes the newline: write() needs no NUL */
            if (write(STDERR_FILENO, s, len + 1) < 0) {
                /* nowhere left to report it */
            }
            free(s);
            return;
        }
        n = snprintf(line, sizeof line, "{\"ts\":\"%s\",\"level\":\"%s\",\"component\":\"log\",\"msg\":\"out of memory\"}\n",
                     ts, level_names[lvl]);
    } else {
        n = snprintf(line, sizeof line, "%s %-5s %s: %s\n", ts, level_names[lvl], component, msg);
    }
    if (n > (int)sizeof line - 1)
        n = (int)sizeof line - 1;
    if (write(STDERR_FILENO, line, (size_t)n) < 0) {
        /* nowhere left to report it */
    }
}
