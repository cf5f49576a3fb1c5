/* `dealstream produce`: calls ds_produce() (producer/produce.h) and turns its
 * result into the exit code. May call producer/ and common/. */
#include <stdio.h>

#include "commands.h"
#include "produce.h"

int ds_cmd_produce(ds_config *cfg)
{
    char err[1024] = "";
    int rc = ds_produce(cfg, err, sizeof err);
    if (rc == 0)
        return 0;
    fprintf(stderr, "dealstream produce: %s\n", err);
    return rc == DS_PRODUCE_EUSAGE ? 2 : 1;
}
