/* cmd_replay.c: `dealstream replay`, bounded reprocessing of the inputs.
 * Thin: planning, progress and the pipeline live in consumer/replay.c. */
#include <stdio.h>

#include "commands.h"
#include "replay.h"

int ds_cmd_replay(ds_config *cfg)
{
    return ds_replay(cfg, NULL, stdout);
}
