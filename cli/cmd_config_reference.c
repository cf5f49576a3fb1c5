/* `dealstream config-reference`: the option table as Markdown (the README's
 * configuration section). May call common/. */
#include <stdio.h>

#include "commands.h"

int ds_cmd_config_reference(ds_config *cfg)
{
    if (cfg->nargs > 0) {
        fprintf(stderr, "dealstream config-reference: takes no arguments ('%s')\n", cfg->args[0]);
        return 2;
    }
    ds_config_reference(stdout);
    return 0;
}
