/* metrics.c: the Prometheus registry and text exposition (see metrics.h).
 * May call only common/. */
#include "metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct ds_metric {
    ds_metric_type type;
    char *name;
    char *help;
    char *label_names[DS_METRIC_MAX_LABELS];
    size_t nlabels;
    double bounds[DS_METRIC_MAX_BUCKETS];
    size_t nbounds;
    ds_series **series;
    size_t nseries, capseries;
};

struct ds_metrics {
    ds_metric **fams;
    size_t nfams, capfams;
};

ds_metrics *ds_metrics_new(void) { return calloc(1, sizeof(ds_metrics)); }

static void series_free(ds_series *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < DS_METRIC_MAX_LABELS; i++)
        free(s->labels[i]);
    free(s->buckets);
    free(s);
}

static void family_free(ds_metric *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nseries; i++)
        series_free(f->series[i]);
    free(f->series);
    for (size_t i = 0; i < f->nlabels; i++)
        free(f->label_names[i]);
    free(f->name);
    free(f->help);
    free(f);
}

void ds_metrics_destroy(ds_metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nfams; i++)
        family_free(m->fams[i]);
    free(m->fams);
    free(m);
}

static int valid_name(const char *s, size_t n, int colon)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
                 (i > 0 && c >= '0' && c <= '9');
        if (!ok)
            return 0;
    }
    return 1;
}

static ds_series *series_new(ds_metric *f, const char *const *values)
{
    ds_series *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    for (size_t i = 0; i < f->nlabels; i++)
        if (!(s->labels[i] = strdup(values[i])))
            goto err;
    if (f->type == DS_METRIC_HISTOGRAM) {
        if (!(s->buckets = calloc(f->nbounds + 1, sizeof *s->buckets)))
            goto err;
        s->bounds = f->bounds;
        s->nbounds = f->nbounds;
    }
    if (ds_reserve(&f->series, &f->capseries, f->nseries + 1, sizeof *f->series, 4))
        goto err;
    f->series[f->nseries++] = s;
    return s;
err:
    series_free(s);
    return NULL;
}

ds_metric *ds_metrics_add(ds_metrics *m, ds_metric_type type, const char *name, const char *help,
                          const char *labels, const double *bounds, size_t nbounds)
{
    if (!m || !name || !valid_name(name, strlen(name), 1))
        return NULL;
    for (size_t i = 0; i < m->nfams; i++)
        if (strcmp(m->fams[i]->name, name) == 0)
            return NULL;
    if (type == DS_METRIC_HISTOGRAM) {
        if (!bounds || nbounds == 0 || nbounds > DS_METRIC_MAX_BUCKETS)
            return NULL;
        for (size_t i = 0; i < nbounds; i++)
            if (!isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1]))
                return NULL;
    }
    ds_metric *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->type = type;
    f->name = strdup(name);
    f->help = strdup(help ? help : "");
    if (!f->name || !f->help)
        goto err;
    if (type == DS_METRIC_HISTOGRAM) {
        memcpy(f->bounds, bounds, nbounds * sizeof *bounds);
        f->nbounds = nbounds;
    }
    for (const char *p = labels; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (f->nlabels == DS_METRIC_MAX_LABELS || !valid_name(p, n, 0) || (n == 2 && strncmp(p, "le", 2) == 0))
            goto err;
        if (!(f->label_names[f->nlabels] = strndup(p, n)))
            goto err;
        f->nlabels++;
        p += n + (comma != NULL);
    }
    if (f->nlabels == 0 && !series_new(f, NULL))
        goto err;
    if (ds_reserve(&m->fams, &m->capfams, m->nfams + 1, sizeof *m->fams, 16))
        goto err;
    m->fams[m->nfams++] = f;
    return f;
err:
    family_free(f);
    return NULL;
}

ds_series *ds_metric_series(ds_metric *f, const char *const *values)
{
    if (!f)
        return NULL;
    if (f->nlabels == 0)
        return f->series[0];
    for (size_t i = 0; i < f->nlabels; i++)
        if (!values || !values[i])
            return NULL;
    for (size_t k = 0; k < f->nseries; k++) {
        ds_series *s = f->series[k];
        size_t i = 0;
        while (i < f->nlabels && strcmp(s->labels[i], values[i]) == 0)
            i++;
        if (i == f->nlabels)
            return s;
    }
    return series_new(f, values);
}

ds_series *ds_metric_series1(ds_metric *f, const char *value)
{
    const char *v[1] = {value};
    return ds_metric_series(f, v);
}

void ds_metric_clear(ds_metric *f)
{
    if (!f)
        return;
    if (f->nlabels == 0) {
        ds_series *s = f->series[0];
        s->value = 0;
        s->count = 0;
        if (s->buckets)
            memset(s->buckets, 0, (s->nbounds + 1) * sizeof *s->buckets);
        return;
    }
    for (size_t i = 0; i < f->nseries; i++)
        series_free(f->series[i]);
    f->nseries = 0;
}

void ds_series_observe(ds_series *s, double v)
{
    if (!s || !s->buckets)
        return;
    size_t i = 0;
    while (i < s->nbounds && v > s->bounds[i])
        i++;
    s->buckets[i]++;
    s->count++;
    s->value += v;
}

double ds_series_value(const ds_series *s)
{
    if (!s)
        return 0;
    return s->buckets ? (double)s->count : s->value;
}

/* ---- rendering ------------------------------------------------------------ */

/* The shortest text that reads back as v, as Go's strconv does (which
 * Prometheus' own clients use): integers without a fraction, and +Inf, -Inf,
 * NaN by name. */
static void fmt_value(double v, char out[40])
{
    if (isnan(v)) {
        strcpy(out, "NaN");
    } else if (isinf(v)) {
        strcpy(out, v > 0 ? "+Inf" : "-Inf");
    } else if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        snprintf(out, 40, "%.0f", v);
    } else {
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(out, 40, "%.*g", prec, v);
            if (strtod(out, NULL) == v)
                break;
        }
    }
}

/* Escapes for HELP text (\\ and \n) or, with quote set, label values (also \"). */
static int append_escaped(ds_buf *out, const char *s, int quote)
{
    for (; *s; s++) {
        int rc;
        if (*s == '\\')
            rc = ds_buf_append(out, "\\\\", 2);
        else if (*s == '\n')
            rc = ds_buf_append(out, "\\n", 2);
        else if (quote && *s == '"')
            rc = ds_buf_append(out, "\\\"", 2);
        else
            rc = ds_buf_putc(out, *s);
        if (rc)
            return -1;
    }
    return 0;
}

/* name{l1="v1",...,extra} value */
static int sample(ds_buf *out, const ds_metric *f, const ds_series *s, const char *suffix, const char *extra_label,
                  const char *extra_value, double v)
{
    char num[40];
    int rc = ds_buf_append_str(out, f->name);
    rc |= ds_buf_append_str(out, suffix);
    size_t nl = f->nlabels + (extra_label != NULL);
    if (nl > 0) {
        rc |= ds_buf_putc(out, '{');
        for (size_t i = 0; i < nl; i++) {
            int ours = i < f->nlabels;
            rc |= ds_buf_append_str(out, i ? "," : "");
            rc |= ds_buf_append_str(out, ours ? f->label_names[i] : extra_label);
            rc |= ds_buf_append(out, "=\"", 2);
            rc |= append_escaped(out, ours ? s->labels[i] : extra_value, 1);
            rc |= ds_buf_putc(out, '"');
        }
        rc |= ds_buf_putc(out, '}');
    }
    fmt_value(v, num);
    rc |= ds_buf_putc(out, ' ');
    rc |= ds_buf_append_str(out, num);
    rc |= ds_buf_putc(out, '\n');
    return rc ? -1 : 0;
}

static const char *const type_names[] = {"counter", "gauge", "histogram"};

int ds_metrics_render(const ds_metrics *m, ds_buf *out)
{
    int rc = ds_buf_reserve(out, 0);
    for (size_t k = 0; m && k < m->nfams && rc == 0; k++) {
        const ds_metric *f = m->fams[k];
        rc |= ds_buf_printf(out, "# HELP %s ", f->name);
        rc |= append_escaped(out, f->help, 0);
        rc |= ds_buf_printf(out, "\n# TYPE %s %s\n", f->name, type_names[f->type]);
        for (size_t i = 0; i < f->nseries && rc == 0; i++) {
            const ds_series *s = f->series[i];
            if (f->type != DS_METRIC_HISTOGRAM) {
                rc |= sample(out, f, s, "", NULL, NULL, s->value);
                continue;
            }
            uint64_t cum = 0;
            char le[40];
            for (size_t b = 0; b <= f->nbounds; b++) {
                cum += s->buckets[b];
                fmt_value(b < f->nbounds ? f->bounds[b] : INFINITY, le);
                rc |= sample(out, f, s, "_bucket", "le", le, (double)cum);
            }
            rc |= sample(out, f, s, "_sum", NULL, NULL, s->value);
            rc |= sample(out, f, s, "_count", NULL, NULL, (double)s->count);
        }
    }
    return rc ? -1 : 0;
}
