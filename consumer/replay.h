/* replay.h: `dealstream replay`, bounded reprocessing of the input topics
 * for backfills.
 *
 * The range is fixed when replay starts: per partition of each input topic a
 * start (earliest, the group's committed offset, an offset, a timestamp
 * looked up with offsets_for_times, or a duration ago) and an exclusive end
 * (the log end at start, an offset, or a timestamp). Replay reads exactly
 * that range with assign() (no group membership), runs every record through
 * the processor's pipeline (decode, extract or normalise, resolve) and
 * writes the canonical records it changes to the canonical topic or
 * --output-topic; poison records go to <topic>.dlq as in `run`.
 *
 * Resolution happens in this process, in one resolver per partition of
 * <app>-mentions with mentions routed by block key through the producer's
 * partitioner, which is where `run` resolves them. Unless fresh_state is
 * set, each resolver starts from the processor's changelog (<app>-state,
 * read, never written): a record already resolved there is a duplicate and
 * changes nothing, so replaying into the live output adds no revisions for
 * deals whose content does not change. With fresh_state the resolvers start
 * empty and the range's deals are written as `run` would write them from
 * scratch (deal ids do not depend on the order of the inputs).
 *
 * Output is idempotent (deterministic deal ids and revisions, idempotent
 * producer) rather than transactional: a replay that is interrupted and
 * started again rewrites identical records. With a group, the offsets of
 * the range read so far are committed once every output of them has been
 * delivered, so `--from committed` resumes.
 *
 * @locality the calling thread; installs SIGINT/SIGTERM handlers for its
 * duration (stop early, flush, commit what was delivered). */
#ifndef DS_REPLAY_H
#define DS_REPLAY_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"

/* ds_replay() results besides 0 (range done) and 1 (failure): */
#define DS_REPLAY_EUSAGE 2        /* a bad --from/--to/--topic/--group */
#define DS_REPLAY_ESKIPPED 3 /* the range lost records to retention (logged) */
#define DS_REPLAY_EINTERRUPTED 130 /* stopped by a signal before the end of the range */

typedef struct ds_replay_range {
    char *topic;
    int32_t partition;
    int64_t log_start, log_end; /* when replay started */
    int64_t start, end;         /* the range: [start, end); empty when equal */
    int selected;               /* 0: a per-partition --from left this partition out */
    int64_t lost;               /* offsets --from asked for below the log start: deleted by retention */
} ds_replay_range;

typedef struct ds_replay_plan {
    ds_replay_range *r;
    size_t n;
} ds_replay_plan;

typedef struct ds_replay_stats {
    uint64_t total;        /* offsets in the range (transaction markers included) */
    uint64_t consumed;     /* records read and processed */
    uint64_t mentions;     /* extracted or normalised from them */
    uint64_t produced;     /* canonical records delivered */
    uint64_t dead_letters; /* delivered to a dead-letter topic */
    uint64_t delivery_failures;
    uint64_t skipped;      /* offsets of the range deleted by retention before they were read */
    uint64_t restored_blocks; /* blocks of state read from <app>-state */
    int64_t restore_ms;
    int64_t ms; /* reading and processing the range, flush included */
} ds_replay_stats;

/* Works out the range (plan is filled on success; free with
 * ds_replay_plan_free). Returns 0, 1 (with err: no broker, unknown topic,
 * no answer to a timestamp look-up) or DS_REPLAY_EUSAGE. */
int ds_replay_plan_make(const ds_config *cfg, ds_replay_plan *plan, char *err, size_t errlen);
void ds_replay_plan_free(ds_replay_plan *plan);
/* Prints the plan as a table with a total line. */
void ds_replay_plan_print(const ds_replay_plan *plan, FILE *out);

/* Replays (or, with cfg->dry_run, prints the plan to out). The summary goes
 * to out; progress to stderr (a live bar on a terminal, else a log line
 * every cfg->progress_seconds). st may be NULL. Returns 0 when the whole
 * range was processed and every output delivered, 1 on failure,
 * DS_REPLAY_EUSAGE, DS_REPLAY_EINTERRUPTED, or DS_REPLAY_ESKIPPED when
 * records of the range were gone (asked for below the log start, or
 * jumped over by an offset reset while replaying). */
int ds_replay(const ds_config *cfg, ds_replay_stats *st, FILE *out);

/* Parses a duration such as 90s, 30m, 6h, 2d or 1w into ms. Returns 0 or -1. */
int ds_parse_duration(const char *s, int64_t *ms);

#endif
