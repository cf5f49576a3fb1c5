/* cmd_run.c: `dealstream run`, the processor daemon. Thin: the loop and
 * everything it does live in consumer/run*.c. */
#include "commands.h"
#include "run.h"

int ds_cmd_run(ds_config *cfg)
{
    return ds_run(cfg, NULL);
}
