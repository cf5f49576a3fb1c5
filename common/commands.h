/* commands.h: the entry point of each subcommand. Each takes the parsed
 * configuration and returns the process exit code (0 success, 1 failure,
 * 2 usage error). */
#ifndef DS_COMMANDS_H
#define DS_COMMANDS_H

#include "config.h"

#define DS_VERSION "0.1.0"

int ds_cmd_run(ds_config *cfg);
int ds_cmd_produce(ds_config *cfg);
int ds_cmd_consume(ds_config *cfg);
int ds_cmd_broker(ds_config *cfg);
int ds_cmd_demo(ds_config *cfg);
int ds_cmd_extract(ds_config *cfg);
int ds_cmd_eval(ds_config *cfg);
/* lag: 0 OK, 3 WARN, 4 ERR (see lag.h), 1 failure, 2 usage error. */
int ds_cmd_lag(ds_config *cfg);
int ds_cmd_offsets(ds_config *cfg);
/* replay: 0 range done, 1 failure, 2 usage error, 130 interrupted. */
int ds_cmd_replay(ds_config *cfg);
int ds_cmd_config_reference(ds_config *cfg);

#endif
