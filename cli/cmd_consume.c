/* `dealstream consume`: checks the output options (-f, -J, -K, -D), then
 * prints what ds_consume_each() (consumer/consume.h) reads, in the form
 * they ask for (consumer/format.h). May call consumer/, cli/cli and common/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "consume.h"
#include "format.h"

typedef struct printer {
    ds_format *format;   /* -f */
    int envelope;        /* -J */
    char key_delim[256]; /* -K, resolved */
    size_t key_delim_len;
    int with_key;
    char delim[256]; /* -D, resolved */
    size_t delim_len;
    int failed; /* a write error */
} printer;

static int print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    int rc = s && fputs(s, stdout) >= 0 ? 0 : -1;
    free(s);
    return rc;
}

/* The default form: [key DELIM] the JSON-lines form, then -D. */
static int print_default(printer *p, const ds_consumed *m)
{
    if (p->with_key) {
        if (m->rkm->key_len && fwrite(m->rkm->key, m->rkm->key_len, 1, stdout) != 1)
            return -1;
        if (p->key_delim_len && fwrite(p->key_delim, p->key_delim_len, 1, stdout) != 1)
            return -1;
    }
    json_t *rec = ds_consumed_json(m);
    int rc = print_json(rec);
    json_decref(rec);
    if (rc == 0 && p->delim_len && fwrite(p->delim, p->delim_len, 1, stdout) != 1)
        rc = -1;
    return rc;
}

static int on_message(void *opaque, const ds_consumed *m)
{
    printer *p = opaque;
    int rc;
    if (p->format) {
        rc = ds_format_print(p->format, stdout, m);
    } else if (p->envelope) {
        json_t *env = ds_format_envelope(m);
        rc = print_json(env);
        json_decref(env);
        if (rc == 0 && fputc('\n', stdout) == EOF)
            rc = -1;
    } else {
        rc = print_default(p, m);
    }
    if (rc == 0)
        rc = fflush(stdout) ? -1 : 0;
    if (rc)
        p->failed = 1;
    return rc; /* a closed pipe stops reading */
}

/* -f, -K and -D into p. Returns 0, or 2 after printing why. */
static int setup_printer(const ds_config *cfg, printer *p)
{
    char err[512] = "";
    if (cfg->consume_format && cfg->envelope) {
        fprintf(stderr, "dealstream consume: give -f or -J, not both\n");
        return 2;
    }
    if (cfg->consume_format && !(p->format = ds_format_parse(cfg->consume_format, err, sizeof err))) {
        fprintf(stderr, "dealstream consume: %s\n", err);
        return 2;
    }
    p->envelope = cfg->envelope;
    p->with_key = cfg->key_delimiter != NULL;
    if ((cfg->key_delimiter &&
         ds_format_unescape(cfg->key_delimiter, p->key_delim, sizeof p->key_delim, &p->key_delim_len)) ||
        ds_format_unescape(cfg->delimiter ? cfg->delimiter : "\\n", p->delim, sizeof p->delim, &p->delim_len)) {
        fprintf(stderr, "dealstream consume: a delimiter of -K or -D is longer than 255 bytes\n");
        return 2;
    }
    return 0;
}

int ds_cmd_consume(ds_config *cfg)
{
    if (cfg->nargs > 0) {
        fprintf(stderr, "dealstream consume: unexpected argument '%s' (the topic is -t TOPIC)\n", cfg->args[0]);
        return 2;
    }
    char err[1024] = "";
    ds_consume_range range;
    if (ds_consume_check(cfg, &range, err, sizeof err)) {
        fprintf(stderr, "dealstream consume: %s\n", err);
        return 2;
    }
    printer p = {0};
    int rc = setup_printer(cfg, &p);
    if (rc == 0)
        rc = ds_cli_reach(cfg, "consume");
    if (rc == 0) {
        int r = ds_consume_each(cfg, on_message, &p, err, sizeof err);
        if (r)
            fprintf(stderr, "dealstream consume: %s\n", err);
        rc = r == DS_CONSUME_EUSAGE ? 2 : r || p.failed ? 1 : 0;
    }
    ds_format_destroy(p.format);
    return rc;
}
