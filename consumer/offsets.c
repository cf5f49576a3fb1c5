/* offsets.c: planning and committing new offsets for a group, as
 * kafka-consumer-groups --reset-offsets (see offsets.h), and the CSV of its
 * --export and --from-file. May call consumer/ (group, replay's duration
 * parser) and common/. */
#include "offsets.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "log.h"
#include "replay.h"
#include "util.h"

int ds_parse_datetime(const char *s, int64_t *ms)
{
    int32_t days;
    if (strlen(s) < 19 || ds_parse_date(s, 10, &days) || (s[10] != 'T' && s[10] != ' '))
        return -1;
    const char *p = s + 11;
    int hh, mi, ss;
    for (int i = 0; i < 8; i++)
        if (i == 2 || i == 5 ? p[i] != ':' : !isdigit((unsigned char)p[i]))
            return -1;
    hh = (p[0] - '0') * 10 + p[1] - '0';
    mi = (p[3] - '0') * 10 + p[4] - '0';
    ss = (p[6] - '0') * 10 + p[7] - '0';
    if (hh > 23 || mi > 59 || ss > 60)
        return -1;
    p += 8;
    int64_t frac = 0;
    if (*p == '.') {
        int digits = 0;
        for (p++; isdigit((unsigned char)*p); p++, digits++)
            if (digits < 3)
                frac = frac * 10 + (*p - '0');
        if (digits == 0)
            return -1;
        for (; digits < 3; digits++)
            frac *= 10;
    }
    int64_t offset_s = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) || p[3] != ':' ||
            !isdigit((unsigned char)p[4]) || !isdigit((unsigned char)p[5]))
            return -1;
        offset_s = sign * (((p[1] - '0') * 10 + p[2] - '0') * 3600 + ((p[4] - '0') * 10 + p[5] - '0') * 60);
        p += 6;
    }
    if (*p)
        return -1;
    *ms = (((int64_t)days * 86400 + hh * 3600 + mi * 60 + ss) - offset_s) * 1000 + frac;
    return 0;
}

void ds_reset_plan_free(ds_reset_plan *plan)
{
    if (!plan)
        return;
    for (size_t i = 0; i < plan->n; i++)
        free(plan->rows[i].topic);
    free(plan->rows);
    memset(plan, 0, sizeof *plan);
}

static int64_t clamp(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

int ds_offsets_at_time(const ds_config *cfg, ds_group *g, rd_kafka_topic_partition_list_t *q, int64_t when,
                       const int64_t *log_start, const int64_t *log_end, int timeout_ms, char *err, size_t errlen)
{
    for (int i = 0; i < q->cnt; i++)
        q->elems[i].offset = when;
    char terr[256];
    if (ds_group_offsets_for_times(g, q, timeout_ms, terr, sizeof terr)) {
        snprintf(err, errlen,
                 "the broker did not answer the look-up of offsets by timestamp (%s); a broker without "
                 "ListOffsets by timestamp (such as the embedded one) cannot do this",
                 terr);
        return DS_OFFSETS_ETIME;
    }
    int rc = -1;
    rd_kafka_topic_partition_list_t *last = rd_kafka_topic_partition_list_new(q->cnt);
    for (int i = 0; i < q->cnt; i++) {
        if (q->elems[i].err) {
            snprintf(err, errlen, "offset by timestamp of %s [%d]: %s", q->elems[i].topic, (int)q->elems[i].partition,
                     rd_kafka_err2str(q->elems[i].err));
            rd_kafka_topic_partition_list_destroy(last);
            return -1;
        }
        int64_t off = q->elems[i].offset;
        q->elems[i].offset = off >= 0 ? clamp(off, log_start[i], log_end[i]) : log_end[i];
        /* -1 on a partition with messages: check that its last message is older */
        rd_kafka_topic_partition_list_add(last, q->elems[i].topic, q->elems[i].partition)->offset =
            off < 0 && log_end[i] > log_start[i] ? log_end[i] - 1 : RD_KAFKA_OFFSET_INVALID;
    }
    int64_t *ts = calloc((size_t)q->cnt + 1, sizeof *ts);
    if (!ts || ds_group_peek(cfg, last, 0, ts, NULL, timeout_ms, err, errlen)) {
        if (!ts)
            snprintf(err, errlen, "out of memory");
        goto out;
    }
    rc = 0;
    for (int i = 0; i < q->cnt && rc == 0; i++) {
        if (last->elems[i].offset < 0)
            continue;
        if (ts[i] == DS_PEEK_UNKNOWN || ts[i] >= when) {
            snprintf(err, errlen,
                     "the broker answered -1 (no message at or after the time) for %s [%d], but %s; it does not "
                     "look up offsets by timestamp (the embedded broker does not)",
                     q->elems[i].topic, (int)q->elems[i].partition,
                     ts[i] == DS_PEEK_UNKNOWN ? "its last message could not be read to check"
                                              : "its last message is at or after the time");
            rc = DS_OFFSETS_ETIME;
        }
    }
out:
    free(ts);
    rd_kafka_topic_partition_list_destroy(last);
    return rc;
}

/* Targets of --to-datetime: the first offset at or after the time. */
static int datetime_targets(const ds_config *cfg, ds_group *g, ds_reset_plan *plan,
                            int64_t when, int timeout_ms, char *err, size_t errlen)
{
    rd_kafka_topic_partition_list_t *q = rd_kafka_topic_partition_list_new((int)plan->n);
    int64_t *lo = calloc(plan->n + 1, sizeof *lo), *hi = calloc(plan->n + 1, sizeof *hi);
    int rc = -1;
    if (!lo || !hi) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < plan->n; i++) {
        rd_kafka_topic_partition_list_add(q, plan->rows[i].topic, plan->rows[i].partition);
        lo[i] = plan->rows[i].log_start;
        hi[i] = plan->rows[i].log_end;
    }
    rc = ds_offsets_at_time(cfg, g, q, when, lo, hi, timeout_ms, err, errlen);
    for (size_t i = 0; rc == 0 && i < plan->n; i++)
        plan->rows[i].target = q->elems[i].offset;
    if (rc) {
        size_t n = strlen(err);
        snprintf(err + n, errlen - n, "; nothing was changed");
    }
out:
    free(lo);
    free(hi);
    rd_kafka_topic_partition_list_destroy(q);
    return rc;
}

/* The partitions of the scope: spec->topic, the rows of a file, or every
 * partition the group has committed offsets for. NULL with err set. */
static rd_kafka_topic_partition_list_t *scope(ds_group *g, const char *group, const ds_reset_spec *spec,
                                              int timeout_ms, char *err, size_t errlen)
{
    if (spec->to == DS_RESET_FILE) {
        rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)spec->nrows + 1);
        for (size_t i = 0; i < spec->nrows; i++) {
            char one[512];
            snprintf(one, sizeof one, "%s:%d", spec->rows[i].topic, (int)spec->rows[i].partition);
            rd_kafka_topic_partition_list_t *p = ds_group_topic_partitions(g, one, 1, timeout_ms, err, errlen);
            if (!p) {
                rd_kafka_topic_partition_list_destroy(list);
                return NULL;
            }
            if (!rd_kafka_topic_partition_list_find(list, spec->rows[i].topic, spec->rows[i].partition))
                rd_kafka_topic_partition_list_add(list, spec->rows[i].topic, spec->rows[i].partition);
            rd_kafka_topic_partition_list_destroy(p);
        }
        return list;
    }
    if (spec->topic)
        return ds_group_topic_partitions(g, spec->topic, 1, timeout_ms, err, errlen);
    if (!spec->all_topics) {
        snprintf(err, errlen, "no scope: give --topic T[:P,...], --all-topics or --from-file FILE");
        return NULL;
    }
    rd_kafka_topic_partition_list_t *list = ds_group_list(g, timeout_ms, err, errlen);
    if (list && list->cnt == 0) {
        snprintf(err, errlen,
                 "the broker listed no committed offsets for group %s: either it has none, or the broker "
                 "cannot list a group's offsets without topics (the embedded broker cannot); give --topic T",
                 group);
        rd_kafka_topic_partition_list_destroy(list);
        return NULL;
    }
    return list;
}

/* The target of a file's row for topic [partition]. */
static int64_t file_target(const ds_reset_spec *spec, const char *topic, int32_t partition)
{
    int64_t t = -1;
    for (size_t i = 0; i < spec->nrows; i++)
        if (spec->rows[i].partition == partition && strcmp(spec->rows[i].topic, topic) == 0)
            t = spec->rows[i].target; /* the last row of a partition wins */
    return t;
}

/* Row r's target under spec (DS_RESET_DATETIME: later, all at once).
 * Returns 0, or -1 with err set. */
static int row_target(const ds_reset_spec *spec, const char *group, ds_reset_row *r, char *err, size_t errlen)
{
    switch (spec->to) {
    case DS_RESET_EARLIEST:
        r->target = r->log_start;
        break;
    case DS_RESET_LATEST:
        r->target = r->log_end;
        break;
    case DS_RESET_CURRENT:
        r->target = r->current >= 0 ? r->current : r->log_end;
        break;
    case DS_RESET_OFFSET:
        r->target = clamp(spec->value, r->log_start, r->log_end);
        break;
    case DS_RESET_FILE:
        r->target = clamp(file_target(spec, r->topic, r->partition), r->log_start, r->log_end);
        break;
    case DS_RESET_SHIFT:
        if (r->current < 0) {
            snprintf(err, errlen, "cannot shift %s [%d]: group %s has no committed offset there", r->topic,
                     (int)r->partition, group);
            return -1;
        }
        r->target = clamp(r->current + spec->value, r->log_start, r->log_end);
        break;
    case DS_RESET_DATETIME:
        break;
    }
    return 0;
}

/* The plan's rows: current offset, log start and end and target of each
 * partition of list (sorted). Returns 0 or -1 with err set. */
static int plan_rows(ds_group *g, const char *group, const ds_reset_spec *spec, rd_kafka_topic_partition_list_t *list,
                     ds_reset_plan *plan, int timeout_ms, char *err, size_t errlen)
{
    if (ds_group_committed(g, list, timeout_ms, err, errlen))
        return -1;
    if (!(plan->rows = calloc((size_t)list->cnt + 1, sizeof *plan->rows))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < list->cnt; i++) {
        ds_reset_row *r = &plan->rows[plan->n++];
        if (!(r->topic = strdup(list->elems[i].topic))) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        r->partition = list->elems[i].partition;
        r->current = list->elems[i].offset >= 0 ? list->elems[i].offset : -1;
        if (ds_group_watermarks(g, r->topic, r->partition, &r->log_start, &r->log_end, timeout_ms, err, errlen) ||
            row_target(spec, group, r, err, errlen))
            return -1;
    }
    return 0;
}

/* Commits the plan, refusing while the group has (or may have) members.
 * Returns 0, DS_OFFSETS_EACTIVE, DS_OFFSETS_EUNCHECKED or -1. */
static int execute(ds_group *g, const char *group, const ds_reset_spec *spec, rd_kafka_topic_partition_list_t *list,
                   ds_reset_plan *plan, const char *merr, char *err, size_t errlen)
{
    if (plan->members > 0) {
        snprintf(err, errlen,
                 "group %s has %d active member(s): stop them first (their own commits would overwrite the "
                 "reset); nothing was changed",
                 group, plan->members);
        return DS_OFFSETS_EACTIVE;
    }
    if (plan->members == DS_RESET_MEMBERS_UNCOUNTED) {
        snprintf(err, errlen,
                 "%s: stop them first (their own commits would overwrite the reset, and the broker refuses "
                 "commits from outside the group while it has members); nothing was changed",
                 plan->members_why);
        return DS_OFFSETS_EACTIVE;
    }
    if (plan->members < 0 && !spec->force) {
        snprintf(err, errlen,
                 "could not check whether group %s has active members (%s); make sure none is running and "
                 "repeat with --force; nothing was changed",
                 group, merr);
        return DS_OFFSETS_EUNCHECKED;
    }
    for (int i = 0; i < list->cnt; i++)
        list->elems[i].offset = plan->rows[i].target;
    int cr = ds_group_commit(g, list, err, errlen);
    if (cr == DS_GROUP_EACTIVE) {
        /* membership could not be checked beforehand (--force), but the
         * broker refused the commit as one from outside a live generation */
        size_t n = strlen(err);
        snprintf(err + n, errlen - n,
                 "; the broker refuses commits from outside group %s: either it counts members in the group (stop "
                 "them first; one that stopped counts until its session.timeout.ms, 45 s by default, expires), or "
                 "it is the embedded broker, which refuses them for good once the group has had a member; nothing "
                 "was changed",
                 group);
        return DS_OFFSETS_EACTIVE;
    }
    if (cr)
        return -1;
    plan->executed = 1;
    return 0;
}

int ds_offsets_reset(const ds_config *cfg, const char *group, const ds_reset_spec *spec, ds_reset_plan *plan,
                     char *err, size_t errlen)
{
    memset(plan, 0, sizeof *plan);
    plan->members = -1;
    int timeout_ms = spec->timeout_ms > 0 ? spec->timeout_ms : 10000;
    rd_kafka_topic_partition_list_t *list = NULL;
    int rc = -1;
    ds_group *g = ds_group_new(cfg, group, err, errlen);
    if (!g)
        return -1;
    if (!(list = scope(g, group, spec, timeout_ms, err, errlen)))
        goto out;
    rd_kafka_topic_partition_list_sort(list, NULL, NULL);
    if (plan_rows(g, group, spec, list, plan, timeout_ms, err, errlen))
        goto out;
    if (spec->to == DS_RESET_DATETIME) {
        int r = datetime_targets(cfg, g, plan, spec->value, timeout_ms, err, errlen);
        if (r) {
            rc = r;
            goto out;
        }
    }
    char merr[512] = "";
    int members = ds_group_members(g, timeout_ms, merr, sizeof merr);
    if (members == -1) {
        snprintf(err, errlen, "%s", merr);
        goto out;
    }
    plan->members = members == DS_GROUP_EUNSUPPORTED ? -1 : members == DS_GROUP_ESOME ? DS_RESET_MEMBERS_UNCOUNTED
                                                                                     : members;
    if (members == DS_GROUP_ESOME)
        snprintf(plan->members_why, sizeof plan->members_why, "%s", merr);
    rc = spec->execute ? execute(g, group, spec, list, plan, merr, err, errlen) : 0;
out:
    if (list)
        rd_kafka_topic_partition_list_destroy(list);
    ds_group_destroy(g);
    return rc;
}

void ds_reset_plan_print(const ds_reset_plan *plan, FILE *out)
{
    fprintf(out, "%-24s %9s %12s %12s %12s %12s\n", "TOPIC", "PARTITION", "CURRENT", "NEW", "LOG-START", "LOG-END");
    for (size_t i = 0; i < plan->n; i++) {
        const ds_reset_row *r = &plan->rows[i];
        char cur[24];
        if (r->current >= 0)
            snprintf(cur, sizeof cur, "%" PRId64, r->current);
        else
            snprintf(cur, sizeof cur, "-");
        fprintf(out, "%-24s %9d %12s %12" PRId64 " %12" PRId64 " %12" PRId64 "\n", r->topic, (int)r->partition, cur,
                r->target, r->log_start, r->log_end);
    }
}

void ds_reset_plan_print_csv(const ds_reset_plan *plan, FILE *out)
{
    for (size_t i = 0; i < plan->n; i++)
        fprintf(out, "%s,%d,%" PRId64 "\n", plan->rows[i].topic, (int)plan->rows[i].partition, plan->rows[i].target);
}

void ds_reset_rows_free(ds_reset_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++)
        free(rows[i].topic);
    free(rows);
}

/* One CSV line into its fields (at most 4, trimmed). Returns the count. */
static int csv_fields(char *line, char **f)
{
    int n = 0;
    for (char *p = line; n < 5;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        while (isspace((unsigned char)*p))
            p++;
        char *e = p + strlen(p);
        while (e > p && isspace((unsigned char)e[-1]))
            *--e = '\0';
        if (n < 4)
            f[n] = p;
        n++;
        if (!comma)
            break;
        p = comma + 1;
    }
    return n;
}

/* One row of a --from-file line (3 or 4 fields). Returns 1 with *r filled,
 * 0 for a row of another group, or -1 with err set. */
static int file_row(char **f, int nf, const char *group, const char *where, ds_reset_row *r, char *err, size_t errlen)
{
    if (nf != 3 && nf != 4) {
        snprintf(err, errlen, "%s: expected topic,partition,offset or group,topic,partition,offset", where);
        return -1;
    }
    if (nf == 4 && strcmp(f[0], group) != 0)
        return 0;
    char **t = nf == 4 ? f + 1 : f;
    int64_t p, o;
    if (!t[0][0] || ds_parse_i64(t[1], &p) || p < 0 || p > INT32_MAX || ds_parse_i64(t[2], &o) || o < 0) {
        snprintf(err, errlen, "%s: expected topic,partition,offset (partition and offset non-negative integers)",
                 where);
        return -1;
    }
    *r = (ds_reset_row){.topic = strdup(t[0]), .partition = (int32_t)p, .target = o, .current = -1};
    if (!r->topic) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 1;
}

int ds_reset_rows_read(const char *path, const char *group, ds_reset_row **rows, size_t *n, char *err,
                       size_t errlen)
{
    *rows = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[2048];
    size_t cap = 0;
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        char *s = line + strspn(line, " \t");
        if (!*s || *s == '#')
            continue;
        char *fields[4], where[1100];
        snprintf(where, sizeof where, "%s:%d", path, lineno);
        ds_reset_row r;
        int got = file_row(fields, csv_fields(s, fields), group, where, &r, err, errlen);
        if (got < 0 || (got > 0 && ds_reserve(rows, &cap, *n + 1, sizeof **rows, 16))) {
            if (got > 0) {
                free(r.topic);
                snprintf(err, errlen, "out of memory");
            }
            rc = -1;
        } else if (got > 0) {
            (*rows)[(*n)++] = r;
        }
    }
    fclose(f);
    if (rc == 0 && *n == 0) {
        snprintf(err, errlen, "%s: no offsets for group %s", path, group);
        rc = -1;
    }
    if (rc) {
        ds_reset_rows_free(*rows, *n);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}

/* One number and unit of an ISO-8601 duration's part. */
static int iso_part(const char **p, double *v, char *unit)
{
    char *end;
    errno = 0;
    *v = strtod(*p, &end);
    if (errno || end == *p || *v < 0 || !*end)
        return -1;
    *unit = *end;
    *p = end + 1;
    return 0;
}

/* PnDTnHnMnS (days, hours, minutes, seconds; each optional, in order). */
static int iso_duration(const char *s, int64_t *ms)
{
    const char *p = s + 1;
    double total = 0, v;
    int in_time = 0, parts = 0;
    char unit;
    while (*p) {
        if (*p == 'T' && !in_time) {
            in_time = 1;
            p++;
            continue;
        }
        if (iso_part(&p, &v, &unit))
            return -1;
        if (!in_time && unit == 'D')
            total += v * 86400e3;
        else if (in_time && unit == 'H')
            total += v * 3600e3;
        else if (in_time && unit == 'M')
            total += v * 60e3;
        else if (in_time && unit == 'S')
            total += v * 1e3;
        else
            return -1;
        parts++;
    }
    if (!parts || total > 1e15)
        return -1;
    *ms = (int64_t)total;
    return 0;
}

int ds_offsets_parse_duration(const char *s, int64_t *ms)
{
    return s[0] == 'P' || s[0] == 'p' ? iso_duration(s, ms) : ds_parse_duration(s, ms);
}
