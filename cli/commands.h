/* retl — the subcommands' entry points and the table the dispatcher walks.
 * Each is `int retl_<name>_main(int argc, char **argv)`, argv[0] = name; the
 * extractor, uploader and sandbox export theirs from their own headers. */
#ifndef RETL_COMMANDS_H
#define RETL_COMMANDS_H

#include "consumer/upload.h"
#include "lib/version.h"
#include "producer/commands.h"
#include "sandbox/track/sbx_main.h"

/* cli/'s own commands. */
int retl_config_main(int argc, char **argv);
int retl_status_main(int argc, char **argv);
int retl_errors_main(int argc, char **argv);
int retl_replay_main(int argc, char **argv);
int retl_demo_main(int argc, char **argv);
int retl_state_main(int argc, char **argv);
int retl_console_main(int argc, char **argv);
int retl_plan_main(int argc, char **argv);
int retl_approve_main(int argc, char **argv);
int retl_reject_main(int argc, char **argv);

/* { "name", "one-line summary", function }, in the order --help lists them. */
#define RETL_COMMANDS \
        {"extract", "run the syncs on their schedule (or one now: --once SYNC)", retl_extract_main}, \
        {"upload", "import the workspace topics into Customer.io (a consumer group worker)", retl_upload_main}, \
        {"preview", "run a sync's query, show columns, 100 rows and the rules' verdict", retl_preview_main}, \
        {"plan", "what a sync's next run would do: identifiers new, changed, unchanged, failing", retl_plan_main}, \
        {"approve", "send a run its sync's guardrails hold", retl_approve_main}, \
        {"reject", "drop a run its sync's guardrails hold (last_sync_time stays)", retl_reject_main}, \
        {"check", "try a database connection and say what fails", retl_check_main}, \
        {"status", "each sync's imports: status, counts, duration, last_sync_time", retl_status_main}, \
        {"errors", "the failed rows of a run as CSV", retl_errors_main}, \
        {"replay", "re-import runs from a workspace's topic, without the database", retl_replay_main}, \
        {"state", "a sync's row state (what was last delivered per identifier); --reset", retl_state_main}, \
        {"console", "serve a web console of the syncs, imports and failed rows", retl_console_main}, \
        {"dump", "print the records of a workspace's topic (JSON lines with --json)", retl_dump_main}, \
        {"sandbox", "run a local Customer.io workspace (Track API) for trials and tests", retl_sandbox_main}, \
        {"demo", "run the whole job on an embedded sample and check what lands", retl_demo_main}, \
        {"config", "check a configuration file; print it or the settings reference", retl_config_main},

#endif
