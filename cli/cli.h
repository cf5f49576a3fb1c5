/* cli.h: what the command files share. */
#ifndef DS_CLI_H
#define DS_CLI_H

#include "config.h"

/* How long a command waits for a broker to answer before it says it cannot
 * reach it. */
#define DS_CLI_PROBE_MS 10000

/* Checks that cfg's brokers answer (ds_kafka_probe). Returns 0, or the exit
 * code (1 unreachable, 2 no brokers or a bad property) after printing
 * "dealstream CMD: cannot reach HOST:PORT (REASON)" on stderr. */
int ds_cli_reach(const ds_config *cfg, const char *cmd);

/* ds_cli_reach and ds_config_check_catalog as the command's first steps:
 * 0, or the exit code after printing why. */
int ds_cli_catalog(const ds_config *cfg, const char *cmd);

#endif
