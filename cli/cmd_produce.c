/* `dealstream produce`: calls ds_produce() (producer/produce.h) and turns its
 * result into the exit code. May call producer/ and common/. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "produce.h"

int ds_cmd_produce(ds_config *cfg)
{
    char err[1024] = "";
    if (strcmp(cfg->input_type, "reference") == 0) {
        if (!cfg->topic || cfg->nargs == 0) {
            fprintf(stderr, "dealstream produce: --type reference needs -t TOPIC and a reference.tsv file\n");
            return 2;
        }
        int crc = ds_cli_catalog(cfg, "produce");
        if (crc)
            return crc;
    }
    int rc = ds_cli_reach(cfg, "produce");
    if (rc)
        return rc;
    rc = ds_produce(cfg, err, sizeof err);
    if (rc == 0)
        return 0;
    fprintf(stderr, "dealstream produce: %s\n", err);
    return rc == DS_PRODUCE_EUSAGE ? 2 : 1;
}
