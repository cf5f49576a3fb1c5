/* cli.c: the checks every command file makes the same way. May call
 * consumer/kafka and common/. */
#include "cli.h"

#include <stdio.h>

#include "kafka.h"

int ds_cli_reach(const ds_config *cfg, const char *cmd)
{
    char err[1024] = "";
    int rc = ds_kafka_probe(cfg, DS_CLI_PROBE_MS, err, sizeof err);
    if (rc == 0)
        return 0;
    fprintf(stderr, "dealstream %s: %s\n", cmd, err);
    return rc == DS_KAFKA_ECONF ? 2 : 1;
}

int ds_cli_catalog(const ds_config *cfg, const char *cmd)
{
    char err[4096] = "";
    if (ds_config_check_catalog(cfg, err, sizeof err) == 0)
        return 0;
    fprintf(stderr, "dealstream %s: %s\n", cmd, err);
    return 1;
}
