/* `dealstream consume`: parses nothing beyond the shared options and prints
 * what ds_consume() reads. May call consumer/ and common/. */
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "consume.h"

static int print_rec(void *opaque, json_t *rec, const rd_kafka_message_t *rkm)
{
    (void)opaque;
    (void)rkm;
    char *s = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (s) {
        puts(s);
        fflush(stdout);
    }
    free(s);
    return 0;
}

int ds_cmd_consume(ds_config *cfg)
{
    char err[1024] = "";
    if (ds_consume(cfg, print_rec, NULL, err, sizeof err)) {
        fprintf(stderr, "dealstream consume: %s\n", err);
        return 1;
    }
    return 0;
}
