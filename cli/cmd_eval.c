/* `dealstream eval [CORPUS_DIR]`: accuracy against a labelled corpus (see
 * core/eval.c), by default the one installed with the binary (paths.h).
 * May call core/ and common/. */
#include <stdio.h>

#include "commands.h"
#include "eval.h"
#include "paths.h"

int ds_cmd_eval(ds_config *cfg)
{
    static char corpus[4096];
    if (cfg->nargs == 0) {
        if (ds_data_path("corpus", corpus, sizeof corpus)) {
            fprintf(stderr, "dealstream eval: no labelled corpus installed or in the build tree (looked in %s); "
                            "give CORPUS_DIR\n",
                    corpus);
            return 1;
        }
        cfg->args[cfg->nargs++] = corpus; /* args has room for argc + 1 entries */
    }
    return ds_eval_main(cfg);
}
