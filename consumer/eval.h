/* eval.h: accuracy of extraction and resolution against a labelled corpus. */
#ifndef DS_EVAL_H
#define DS_EVAL_H

#include "config.h"

int ds_eval_main(ds_config *cfg);

#endif
