/* `dealstream eval [--split corpus|dev|test|holdout|holdout2|holdout3] [CORPUS_DIR]`: accuracy against
 * the labelled corpora (see core/eval.c), by default those installed with
 * the binary or in its build tree (paths.h): the corpus, and the blind
 * corpus's splits. May call core/ and common/. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "eval.h"
#include "paths.h"

int ds_cmd_eval(ds_config *cfg)
{
    static char corpus[4096], blind[4096];
    int have_corpus = ds_data_path("corpus", corpus, sizeof corpus) == 0;
    int have_blind = ds_data_path("blind", blind, sizeof blind) == 0;
    if (cfg->nargs == 0 && !have_corpus && (!cfg->eval_split || strcmp(cfg->eval_split, "corpus") == 0)) {
        fprintf(stderr, "dealstream eval: no labelled corpus installed or in the build tree (looked in %s); "
                        "give CORPUS_DIR\n",
                corpus);
        return 1;
    }
    return ds_eval_main(cfg, have_corpus ? corpus : NULL, have_blind ? blind : NULL);
}
