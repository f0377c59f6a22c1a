/* retl extractor — the entry points of its commands (`retl extract`, `preview`,
 * `check`, `dump`); cli/ dispatches to them. See producer/README.md. */
#ifndef RETL_PRODUCER_COMMANDS_H
#define RETL_PRODUCER_COMMANDS_H

/* Each takes argv[0] = the command's name and returns the exit status
 * (0 ok, 1 failure, 2 usage; extract --once: 3 skipped). */
int retl_extract_main(int argc, char **argv);
int retl_preview_main(int argc, char **argv);
int retl_check_main(int argc, char **argv);
int retl_dump_main(int argc, char **argv);

#endif
