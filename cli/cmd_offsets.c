/* `dealstream offsets reset`: checks the options as kafka-consumer-groups
 * --reset-offsets does (one scope, one target, --dry-run or --execute) into
 * a ds_reset_spec, calls ds_offsets_reset() (consumer/offsets.h) and prints
 * the plan as a table or, with --export, as CSV. May call consumer/,
 * cli/cli and common/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "offsets.h"
#include "util.h"

#define USAGE_PREFIX "dealstream offsets reset: "

/* The one target the flags name into spec. Returns 0, or 2 after printing
 * why. The file's rows are read by the caller. */
static int pick_target(const ds_config *cfg, ds_reset_spec *spec)
{
    int modes = 0;
    if (cfg->to_earliest)
        modes++, spec->to = DS_RESET_EARLIEST;
    if (cfg->to_latest)
        modes++, spec->to = DS_RESET_LATEST;
    if (cfg->to_current)
        modes++, spec->to = DS_RESET_CURRENT;
    if (cfg->from_file)
        modes++, spec->to = DS_RESET_FILE;
    if (cfg->to_datetime) {
        modes++;
        spec->to = DS_RESET_DATETIME;
        if (ds_parse_datetime(cfg->to_datetime, &spec->value)) {
            fprintf(stderr, USAGE_PREFIX "--to-datetime '%s': expected YYYY-MM-DDTHH:MM:SS[.sss][Z|+hh:mm]\n",
                    cfg->to_datetime);
            return 2;
        }
    }
    if (cfg->by_duration) {
        modes++;
        spec->to = DS_RESET_DATETIME;
        int64_t ms;
        if (ds_offsets_parse_duration(cfg->by_duration, &ms)) {
            fprintf(stderr, USAGE_PREFIX "--by-duration '%s': expected PnDTnHnMnS (as PT30M) or 90s, 30m, 6h, 2d, 1w\n",
                    cfg->by_duration);
            return 2;
        }
        spec->value = ds_now_ms() - ms;
    }
    if (cfg->to_offset) {
        modes++;
        spec->to = DS_RESET_OFFSET;
        if (ds_parse_i64(cfg->to_offset, &spec->value) || spec->value < 0) {
            fprintf(stderr, USAGE_PREFIX "--to-offset '%s' is not an offset\n", cfg->to_offset);
            return 2;
        }
    }
    if (cfg->shift_by) {
        modes++;
        spec->to = DS_RESET_SHIFT;
        if (ds_parse_i64(cfg->shift_by, &spec->value)) {
            fprintf(stderr, USAGE_PREFIX "--shift-by '%s' is not an integer\n", cfg->shift_by);
            return 2;
        }
    }
    if (modes != 1) {
        fprintf(stderr, USAGE_PREFIX "give exactly one of --to-earliest, --to-latest, --to-current, --to-datetime, "
                                     "--by-duration, --to-offset, --shift-by, --from-file\n");
        return 2;
    }
    return 0;
}

/* The scope and the action. Returns 0, or 2 after printing why. */
static int pick_scope(const ds_config *cfg, ds_reset_spec *spec)
{
    int scopes = (cfg->topic != NULL) + cfg->all_topics;
    if (cfg->from_file && scopes) {
        fprintf(stderr, USAGE_PREFIX "--from-file names its partitions: give no --topic or --all-topics with it\n");
        return 2;
    }
    if (!cfg->from_file && scopes != 1) {
        fprintf(stderr, USAGE_PREFIX "give one scope: --topic T[:P,...] or --all-topics (as kafka-consumer-groups)\n");
        return 2;
    }
    if (cfg->dry_run == cfg->execute) {
        fprintf(stderr, USAGE_PREFIX "give exactly one of --dry-run and --execute\n");
        return 2;
    }
    spec->topic = cfg->topic;
    spec->all_topics = cfg->all_topics;
    spec->execute = cfg->execute;
    spec->force = cfg->force;
    return 0;
}

/* What the plan and the outcome say, on stdout. */
static void report(const ds_config *cfg, const ds_reset_plan *plan, int rc)
{
    if (plan->n > 0 && (rc == 0 || rc == DS_OFFSETS_EACTIVE || rc == DS_OFFSETS_EUNCHECKED)) {
        if (cfg->export_csv)
            ds_reset_plan_print_csv(plan, stdout);
        else
            ds_reset_plan_print(plan, stdout);
    }
    if (rc != 0 || cfg->export_csv)
        return; /* --export prints the CSV alone, for --from-file */
    if (cfg->execute)
        printf("committed the new offsets of group %s\n", cfg->group);
    else if (plan->members > 0)
        printf("dry run: nothing changed; group %s has %d active member(s), so --execute would refuse\n", cfg->group,
               plan->members);
    else if (plan->members == DS_RESET_MEMBERS_UNCOUNTED)
        printf("dry run: nothing changed; %s, so --execute would refuse\n", plan->members_why);
    else if (plan->members < 0)
        printf("dry run: nothing changed; the broker could not tell whether group %s has active members, so "
               "--execute needs --force\n",
               cfg->group);
    else
        printf("dry run: nothing changed; --execute commits these offsets\n");
}

int ds_cmd_offsets(ds_config *cfg)
{
    if (cfg->nargs != 1 || strcmp(cfg->args[0], "reset") != 0) {
        fprintf(stderr, "dealstream offsets: the only subcommand is 'reset' (dealstream offsets reset --group G "
                        "--topic T|--all-topics --to-... --dry-run|--execute)\n");
        return 2;
    }
    if (!cfg->group) {
        fprintf(stderr, USAGE_PREFIX "no group: give --group G\n");
        return 2;
    }
    ds_reset_spec spec = {0};
    int rc = pick_target(cfg, &spec);
    if (rc || (rc = pick_scope(cfg, &spec)))
        return rc;
    char err[1024] = "";
    ds_reset_row *rows = NULL;
    size_t nrows = 0;
    if (cfg->from_file && ds_reset_rows_read(cfg->from_file, cfg->group, &rows, &nrows, err, sizeof err)) {
        fprintf(stderr, USAGE_PREFIX "%s\n", err);
        return 2;
    }
    spec.rows = rows;
    spec.nrows = nrows;
    if ((rc = ds_cli_reach(cfg, "offsets reset")) != 0) {
        ds_reset_rows_free(rows, nrows);
        return rc;
    }
    ds_reset_plan plan;
    rc = ds_offsets_reset(cfg, cfg->group, &spec, &plan, err, sizeof err);
    report(cfg, &plan, rc);
    ds_reset_plan_free(&plan);
    ds_reset_rows_free(rows, nrows);
    if (rc) {
        fprintf(stderr, USAGE_PREFIX "%s\n", err);
        return 1;
    }
    return 0;
}
