/* `dealstream eval`: accuracy against the labelled corpus (see eval.c). */
#include "commands.h"
#include "eval.h"

int ds_cmd_eval(ds_config *cfg)
{
    return ds_eval_main(cfg);
}
