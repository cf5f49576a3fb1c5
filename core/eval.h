/* eval.h: accuracy of extraction and resolution against a labelled corpus
 * (tests/corpus, label format in tests/corpus/README.md).
 *
 * Extraction. Every NNN-*.txt of the corpus is read as a text article and
 * its mentions are extracted; they are paired with the mentions of the label
 * NNN-*.json of the same stem, per article:
 *   1. strict pass: same role and same buyer, seller and system family
 *      (as compared below; a null label system equals an empty family); among the candidate
 *      pairs, greedily the best first by the number of agreeing fields
 *      (quantity, value, stage, status, signing date, batch);
 *   2. near pass, over what is left: same role and two of the three keys
 *      agreeing. A near pair still counts as one missing and one spurious
 *      mention in precision/recall; it only makes buyer/seller/system
 *      accuracy meaningful and turns "missing + spurious" into one readable
 *      "wrong field" line.
 * Precision/recall/F1 count strict pairs, for primary and context mentions
 * and overall. Field accuracy is over the primary pairs (strict + near):
 *   buyer, seller: equal;
 *   system (family): the same id, or the label's text is a catalog alias of
 *     the predicted family, or the two designations agree once upper-cased
 *     and stripped to letters and digits, word for word, one possibly
 *     followed by more words ("SPIKE" and "Spike LR2");
 *   quantity: equal (null == null);
 *   value: null == null, or the predicted USD figure within 2% of value_usd,
 *     or the same currency and the amount within 2% of value_amount (the
 *     stated figure: label and extractor may convert at different rates);
 *   stage, status: equal;
 *   signing_date: label YYYY-MM-DD: the same date; label YYYY-MM: a predicted
 *     date in that month, or a year-only prediction of that year; label YYYY:
 *     skipped (not counted); label null: no predicted date (year-only counts
 *     as no date);
 *   batch: equal (null == 0).
 *
 * Resolution. All mentions of all articles (file order) go through one
 * resolver; then, over ds_resolver_deals():
 *   gold deals = the distinct refs of primary label mentions; a predicted
 *   deal matches ref R when more than half of its non-duplicate sources are
 *   articles labelling R as primary with the deal's buyer, seller and
 *   family (a null label system fits any family; ties: the ref whose label
 *   mentions agree more with the deal's quantity, batch and stage). Precision = matched predicted deals / predicted deals; recall =
 *   gold refs matched by some deal / gold refs.
 *   B-cubed over the items (article, primary ref): gold cluster = ref,
 *   predicted cluster = the deal holding the article as a source (with the
 *   ref's buyer, seller and family; the deal matched to the ref when
 *   several), else a singleton.
 *   Links: gold links are the parents of the gold refs' reference-table
 *   rows. A predicted link is correct when its relation is the row's and its
 *   target_ref is the parent, or its target is the id of a deal matched to
 *   the parent. Link precision is over the links of deals matched to a ref
 *   that has a row (other links cannot be checked and are only counted).
 *
 * Ratios with a zero denominator are 1 (vacuous); F1 is 0 when P + R = 0. */
#ifndef DS_EVAL_H
#define DS_EVAL_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"

typedef enum {
    DS_EF_BUYER,
    DS_EF_SELLER,
    DS_EF_SYSTEM,
    DS_EF_QUANTITY,
    DS_EF_VALUE,
    DS_EF_STAGE,
    DS_EF_STATUS,
    DS_EF_SIGNING_DATE,
    DS_EF_BATCH,
    DS_EF__COUNT
} ds_eval_field;

/* "buyer", "seller", "system", "quantity", "value_usd", "stage", "status",
 * "signing_date", "batch". */
extern const char *const ds_eval_field_names[DS_EF__COUNT];

typedef struct ds_eval_prf {
    size_t gold, pred, tp;
    double p, r, f1;
} ds_eval_prf;

typedef struct ds_eval_acc {
    size_t correct, total;
    double acc;
} ds_eval_acc;

typedef struct ds_eval_result {
    /* corpus */
    size_t articles;           /* .txt files evaluated (with a readable label) */
    size_t negatives;          /* articles whose label has no mention */
    size_t negatives_clean;    /* ... for which nothing was extracted */
    size_t errors;             /* missing/unreadable/malformed files */
    /* extraction */
    ds_eval_prf primary, context, overall;
    size_t primary_pairs;      /* strict + near primary pairs (field denominator) */
    size_t near_pairs;         /* of which near pairs */
    ds_eval_acc fields[DS_EF__COUNT];
    size_t miss_lines;         /* lines of the miss list */
    /* resolution */
    size_t pred_deals, pred_deals_matched;
    size_t gold_deals, gold_deals_found;
    double deal_p, deal_r, deal_f1;
    size_t b3_items;
    double b3_p, b3_r, b3_f1;
    size_t pred_links;         /* links of every live deal */
    size_t links_checked;      /* links of deals matched to a ref with a reference row */
    size_t links_correct;
    size_t gold_links, gold_links_found;
    double link_p, link_r, link_f1;
} ds_eval_result;

/* Evaluates the corpus in corpus_dir with the catalog of catalog_dir (NULL:
 * DS_DATA_DIR "/catalog"), fills *res and prints the report (miss list,
 * then every figure) to report (NULL: nothing printed). Returns 0, or -1
 * when something could not be read: the catalog or the directory (res then
 * mostly empty), or some article or label (res->errors > 0; the figures
 * cover the other articles). */
int ds_eval_run(const char *corpus_dir, const char *catalog_dir, ds_eval_result *res, FILE *report);

/* Writes res as a JSON object to path. Returns 0 or -1 (errno set). */
int ds_eval_write_json(const ds_eval_result *res, const char *corpus_dir, const char *path);

/* `dealstream eval [--split corpus|dev|test] [CORPUS_DIR]`: scores
 * CORPUS_DIR, or the split named (corpus: corpus_dir; dev and test:
 * blind_dir's dev/ and test/; either may be NULL when not found), or by
 * default the corpus and then the dev split when it exists, with a closing
 * summary per split. The test split is read only when named. Prints the reports to
 * stdout, and the first split's JSON summary to the file named by the
 * environment variable DS_EVAL_JSON when set. Returns 0 when it ran, 1 on
 * errors, 2 on usage errors. */
int ds_eval_main(ds_config *cfg, const char *corpus_dir, const char *blind_dir);

#endif
