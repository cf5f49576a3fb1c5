/* testutil.h: shared helpers of the test programs. */
#ifndef DS_TESTUTIL_H
#define DS_TESTUTIL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "broker.h"
#include "buf.h"
#include "pipeline.h"
#include "run.h"

/* Directory of tests/ (DS_TEST_DATA), the seeds (DS_SEEDS_DIR) and the
 * catalog (DEALSTREAM_CATALOG_DIR), as set by ctest. */
const char *tu_test_dir(void);
const char *tu_seeds_dir(void);
const char *tu_catalog_dir(void);

/* Runs a command function with argv as on the command line (argv[0] is the
 * command name, NULL-terminated). Returns its exit code, or 2 when the
 * options do not parse. */
int tu_cmd(unsigned cmd_bit, int (*fn)(void *cfg), char **argv);
/* Starts an embedded broker of one node with the processor's default
 * topics (app "dealstream"), `partitions` each; fails the test, naming
 * why, when it cannot. */
ds_broker *tu_start_broker(int partitions);
/* The same with the topics of the NULL-terminated list instead. */
ds_broker *tu_start_broker_topics(int partitions, const char *const *topics);
int tu_produce(const char *brokers, char **extra_args);
/* Runs the processor with -e (until caught up) and the given extra args. */
int tu_run(const char *brokers, ds_run_stats *st, char **extra_args);
/* Reads a whole topic as JSON records (array); envelopes for non-Avro values. */
json_t *tu_read_topic(const char *brokers, const char *topic);
/* How many of deals (an object of canonical records by deal_id) some
 * report made: a source not of kind reference (the reference table's rows
 * are deals of their own). */
size_t tu_reported_deals(json_t *deals);
/* Whether a report made canonical record deal (a source not of kind
 * reference). */
int tu_reported(json_t *deal);
/* The number of rows of the reference table of DEALSTREAM_CATALOG_DIR's
 * catalog (each a canonical deal). */
size_t tu_reference_rows(void);
/* How many records tu_read_topic reads. */
size_t tu_count_records(const char *brokers, const char *topic);

/* The live deals of a canonical topic keyed by deal id, without what
 * legitimately depends on the order of the inputs: revision and updated.
 * Syndicated copies (sources marked duplicate_of) stay: they are content. */
json_t *tu_comparable_deals(const char *brokers, const char *topic);
/* The same for deals already read (an object keyed by deal id): strips
 * them in place and returns them. */
json_t *tu_comparable(json_t *deals);
/* Prints to stderr, under "what: deal id", every field in which got (a
 * deal as tu_comparable leaves it; NULL: missing) differs from want, both
 * values in full, so that a failure shows what differs, not only that. */
void tu_print_deal_diff(const char *what, const char *id, json_t *want, json_t *got);
/* Counts the deals of want that got lacks or holds with other content, and
 * those of got that want lacks; prints the first `show` of them under
 * "what" (tu_print_deal_diff, and an unexpected deal's block and stage). */
int tu_deal_diffs(const char *what, json_t *want, json_t *got, int show);

/* Mentions extracted from articles, as `run` extracts them. */
typedef struct tu_mentions {
    ds_pipeline *pl;
    ds_mention *m; /* malloc'd, n of them */
    size_t n, cap;
} tu_mentions;
/* Appends the mentions of the text article at path to out; fails the test
 * when it cannot be read or an article cannot be extracted. */
void tu_article_mentions(tu_mentions *out, const char *path);

/* Creates topic with nparts partitions (replication 1) on a real cluster,
 * with configs: NULL or NULL-terminated name, value pairs, and returns once
 * the metadata a new client reads shows every partition with a leader.
 * Fails the test when the broker refuses, or after 30 s. */
void tu_create_topic(const char *brokers, const char *topic, int nparts, const char *const *configs);

/* Reads a file (NUL-terminated); aborts the test on failure. */
char *tu_slurp(const char *path, size_t *len);
/* Paths of the files matching dir/pattern, sorted; NULL-terminated. */
char **tu_glob(const char *dir, const char *pattern, int *n);
void tu_glob_free(char **paths);

/* A client of the test's broker bs: log level 3, with group.id and no
 * auto-commit when group is set, and key=value set when key is (e.g.
 * "client.id" or "transactional.id"). Fails the test if it cannot start. */
rd_kafka_t *tu_kafka_client(rd_kafka_type_t type, const char *bs, const char *group, const char *key,
                            const char *value);

/* A free TCP port on loopback (bound and released, for a child to bind). */
int tu_free_port(void);
/* GETs http://127.0.0.1:port/path (5 s at most); the body is appended to
 * body when it is not NULL. Returns the status, 0 when nothing answered,
 * and in *took_ms the time the server took: from the request sent to the
 * first byte of its answer (the whole time when nothing answered). The
 * connect is left out: the kernel completes it on a listening socket
 * whatever the server's loop does. The caller runs curl_global_init. */
long tu_http_get(int port, const char *path, ds_buf *body, int64_t *took_ms);

/* The CRC-64-AVRO fingerprint of the schema in json (its canonical form);
 * fails the test when it does not parse. */
uint64_t tu_schema_fingerprint(const char *json);

/* DEALSTREAM_TEST_BROKERS, the real cluster of the test fixture; without
 * it, prints "skipped: WHAT on a real cluster; set DEALSTREAM_TEST_BROKERS"
 * and skips the test. */
const char *tu_real_brokers(const char *what);
/* A transactional producer of bs with transactional.id txid, its
 * transactions initialised. Fails the test if it cannot start. */
rd_kafka_t *tu_transactional_producer(const char *bs, const char *txid);
/* Runs `dealstream argv...` (the binary named by DS_BIN) as a child, its
 * stdout and stderr in the files out and err. Returns its pid. */
pid_t tu_spawn(char *const *argv, const char *out, const char *err);
/* Waits until the child pid has exited (returns 1, its status in *status)
 * or, text not NULL, the file path holds text (returns 0); fails the test
 * after 30 s. */
int tu_exited_or_said(pid_t pid, const char *path, const char *text, int *status);
/* Runs `dealstream argv...` as a child while the transaction of tp (a
 * transactional producer) is open: the child must print `waiting` on
 * stderr and not exit before it ends (the test fails, showing both
 * outputs, if it exits first); then commits the transaction (commit 1) or
 * aborts it, and waits for the child to exit. Sets *status, and *out and
 * *err to what it printed (the caller frees them). */
void tu_across_open_transaction(char *const *argv, rd_kafka_t *tp, int commit, const char *waiting, int *status,
                                char **out, char **err);
/* `dealstream replay -b brokers --catalog <tests' catalog> --app-id app
 * --topic topic --fresh-state --output-topic <topic>-out --progress 0
 * extra...` (extra NULL-terminated) across tp's open transaction (see
 * tu_across_open_transaction): it must exit 0 with want in its stdout or
 * its stderr. */
void tu_replay_across_open_transaction(const char *brokers, const char *app, const char *topic, char *const *extra,
                                       rd_kafka_t *tp, int commit, const char *waiting, const char *want);

#endif
