/* demo.h: the demo, and the pieces of it the end-to-end tests share. */
#ifndef DS_DEMO_H
#define DS_DEMO_H

#include <jansson.h>
#include <stdio.h>

#include "catalog.h"
#include "config.h"

/* Reads every record of topic from brokers and returns the live canonical
 * deals as a JSON object keyed by deal id (the highest revision of each id;
 * ids retired into another are left out). NULL with err set on failure. */
json_t *ds_demo_canonical(const char *brokers, const char *topic, char *err, size_t errlen);

/* Prints deals (as returned above) as a table, sorted by buyer, system and date. */
void ds_demo_print(FILE *out, json_t *deals);
/* ds_demo_print, describing a link's parent from cat's reference table
 * when the parent is not among deals (cat may be NULL). */
void ds_demo_print_with(FILE *out, json_t *deals, const ds_catalog *cat);

#endif
