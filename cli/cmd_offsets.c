/* `dealstream offsets reset`: validates the options into a ds_reset_spec and
 * calls ds_offsets_reset() (consumer/offsets.h). May call consumer/ and
 * common/. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "offsets.h"

static int parse_i64(const char *s, int64_t *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *v = x;
    return 0;
}

int ds_cmd_offsets(ds_config *cfg)
{
    if (cfg->nargs != 1 || strcmp(cfg->args[0], "reset") != 0) {
        fprintf(stderr, "dealstream offsets: the only subcommand is 'reset' (dealstream offsets reset --group G "
                        "--to-... --dry-run|--execute)\n");
        return 2;
    }
    if (!cfg->group) {
        fprintf(stderr, "dealstream offsets reset: no group: give --group G\n");
        return 2;
    }
    ds_reset_spec spec = {.topic = cfg->topic, .execute = cfg->execute, .force = cfg->force};
    int modes = 0;
    if (cfg->to_earliest)
        modes++, spec.to = DS_RESET_EARLIEST;
    if (cfg->to_latest)
        modes++, spec.to = DS_RESET_LATEST;
    if (cfg->to_datetime) {
        modes++;
        spec.to = DS_RESET_DATETIME;
        if (ds_parse_datetime(cfg->to_datetime, &spec.value)) {
            fprintf(stderr, "dealstream offsets reset: --to-datetime '%s': expected YYYY-MM-DDTHH:MM:SS[.sss][Z|+hh:mm]\n",
                    cfg->to_datetime);
            return 2;
        }
    }
    if (cfg->to_offset) {
        modes++;
        spec.to = DS_RESET_OFFSET;
        if (parse_i64(cfg->to_offset, &spec.value) || spec.value < 0) {
            fprintf(stderr, "dealstream offsets reset: --to-offset '%s' is not an offset\n", cfg->to_offset);
            return 2;
        }
    }
    if (cfg->shift_by) {
        modes++;
        spec.to = DS_RESET_SHIFT;
        if (parse_i64(cfg->shift_by, &spec.value)) {
            fprintf(stderr, "dealstream offsets reset: --shift-by '%s' is not an integer\n", cfg->shift_by);
            return 2;
        }
    }
    if (modes != 1) {
        fprintf(stderr, "dealstream offsets reset: give exactly one of --to-earliest, --to-latest, --to-datetime, "
                        "--to-offset, --shift-by\n");
        return 2;
    }
    if (cfg->dry_run == cfg->execute) {
        fprintf(stderr, "dealstream offsets reset: give exactly one of --dry-run and --execute\n");
        return 2;
    }
    char err[1024] = "";
    ds_reset_plan plan;
    int rc = ds_offsets_reset(cfg, cfg->group, &spec, &plan, err, sizeof err);
    if (plan.n > 0 && (rc == 0 || rc == DS_OFFSETS_EACTIVE || rc == DS_OFFSETS_EUNCHECKED))
        ds_reset_plan_print(&plan, stdout);
    if (rc == 0 && !spec.execute) {
        if (plan.members > 0)
            printf("dry run: nothing changed; group %s has %d active member(s), so --execute would refuse\n",
                   cfg->group, plan.members);
        else if (plan.members < 0)
            printf("dry run: nothing changed; the broker could not tell whether group %s has active members, so "
                   "--execute needs --force\n",
                   cfg->group);
        else
            printf("dry run: nothing changed; --execute commits these offsets\n");
    } else if (rc == 0) {
        printf("committed the new offsets of group %s\n", cfg->group);
    }
    ds_reset_plan_free(&plan);
    if (rc) {
        fprintf(stderr, "dealstream offsets reset: %s\n", err);
        return 1;
    }
    return 0;
}
