/* `dealstream offsets reset`: plan and commit new offsets for a group. */
#include "offsets.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "log.h"
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
    if (!ts || ds_group_peek(cfg, last, ts, timeout_ms, err, errlen)) {
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
    if (spec->topic) {
        list = ds_group_topic_partitions(g, spec->topic, 1, timeout_ms, err, errlen);
    } else {
        list = ds_group_list(g, timeout_ms, err, errlen);
        if (list && list->cnt == 0) {
            snprintf(err, errlen,
                     "the broker listed no committed offsets for group %s: either it has none, or the broker "
                     "cannot list a group's offsets without topics (the embedded broker cannot); give --topic T",
                     group);
            goto out;
        }
    }
    if (!list)
        goto out;
    rd_kafka_topic_partition_list_sort(list, NULL, NULL);
    if (ds_group_committed(g, list, timeout_ms, err, errlen))
        goto out;
    if (!(plan->rows = calloc((size_t)list->cnt, sizeof *plan->rows))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (int i = 0; i < list->cnt; i++) {
        ds_reset_row *r = &plan->rows[plan->n++];
        if (!(r->topic = strdup(list->elems[i].topic))) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        r->partition = list->elems[i].partition;
        r->current = list->elems[i].offset >= 0 ? list->elems[i].offset : -1;
        if (ds_group_watermarks(g, r->topic, r->partition, &r->log_start, &r->log_end, timeout_ms, err, errlen))
            goto out;
        switch (spec->to) {
        case DS_RESET_EARLIEST:
            r->target = r->log_start;
            break;
        case DS_RESET_LATEST:
            r->target = r->log_end;
            break;
        case DS_RESET_OFFSET:
            r->target = clamp(spec->value, r->log_start, r->log_end);
            break;
        case DS_RESET_SHIFT:
            if (r->current < 0) {
                snprintf(err, errlen, "cannot shift %s [%d]: group %s has no committed offset there", r->topic,
                         (int)r->partition, group);
                goto out;
            }
            r->target = clamp(r->current + spec->value, r->log_start, r->log_end);
            break;
        case DS_RESET_DATETIME:
            break; /* below, all partitions in one request */
        }
    }
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
    plan->members = members == DS_GROUP_EUNSUPPORTED ? -1 : members;
    if (!spec->execute) {
        rc = 0;
        goto out;
    }
    if (plan->members > 0) {
        snprintf(err, errlen,
                 "group %s has %d active member(s): stop them first (their own commits would overwrite the "
                 "reset); nothing was changed",
                 group, plan->members);
        rc = DS_OFFSETS_EACTIVE;
        goto out;
    }
    if (plan->members < 0 && !spec->force) {
        snprintf(err, errlen,
                 "could not check whether group %s has active members (%s); make sure none is running and "
                 "repeat with --force; nothing was changed",
                 group, merr);
        rc = DS_OFFSETS_EUNCHECKED;
        goto out;
    }
    for (int i = 0; i < list->cnt; i++)
        list->elems[i].offset = plan->rows[i].target;
    int cr = ds_group_commit(g, list, err, errlen);
    if (cr == DS_GROUP_EACTIVE) {
        /* membership could not be checked beforehand (--force), but the
         * broker refused the commit as one from outside a live generation */
        size_t n = strlen(err);
        snprintf(err + n, errlen - n,
                 "; the broker refuses commits from outside the group, so group %s has active members: stop them "
                 "first (their own commits would overwrite the reset); nothing was changed",
                 group);
        rc = DS_OFFSETS_EACTIVE;
        goto out;
    }
    if (cr)
        goto out;
    plan->executed = 1;
    rc = 0;
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
