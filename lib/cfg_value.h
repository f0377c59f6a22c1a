/* retl — configuration values: names, durations and times as the file writes them. */
#ifndef RETL_CFG_VALUE_H
#define RETL_CFG_VALUE_H

/* retl_cfg_parse_duration and retl_cfg_parse_time, also defined in
 * cfg_value.c, are declared in cfg.h for every caller. */

/** @brief Whether @p s is a name: 1 to 100 of A-Z a-z 0-9 . _ -
 *  (also what Kafka topic names may hold). */
int retl_cfg_value_name_ok(const char *s);

#endif
