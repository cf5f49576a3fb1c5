/* log.h: leveled logging to stderr, as text or JSON lines.
 *
 * One process-wide logger, configured once at start-up by ds_log_setup()
 * before other threads exist; ds_log() may then be called from any thread
 * (each line is written with one write(2)). */
#ifndef DS_LOG_H
#define DS_LOG_H

typedef enum { DS_LOG_ERROR = 0, DS_LOG_WARN, DS_LOG_INFO, DS_LOG_DEBUG } ds_log_level;

/* Returns 0, or -1 if level or format is not a known name
 * (levels: error, warn, info, debug; formats: text, json). */
int ds_log_setup(const char *level, const char *format);
int ds_log_enabled(ds_log_level lvl);
void ds_log(ds_log_level lvl, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define ds_error(comp, ...) ds_log(DS_LOG_ERROR, comp, __VA_ARGS__)
#define ds_warn(comp, ...) ds_log(DS_LOG_WARN, comp, __VA_ARGS__)
#define ds_info(comp, ...) ds_log(DS_LOG_INFO, comp, __VA_ARGS__)
#define ds_debug(comp, ...) \
    do { if (ds_log_enabled(DS_LOG_DEBUG)) ds_log(DS_LOG_DEBUG, comp, __VA_ARGS__); } while (0)

#endif
