/* retl — the subcommands' entry points, one line each.
 * Each is `int retl_<name>_main(int argc, char **argv)`, argv[0] = name. */
#ifndef RETL_COMMANDS_H
#define RETL_COMMANDS_H

int retl_version_main(int argc, char **argv);
int retl_sandbox_main(int argc, char **argv);

/* { "name", "one-line summary", function }, in the order --help lists them. */
#define RETL_COMMANDS \
        {"sandbox", "run a local Customer.io workspace (Track API) for trials and tests", retl_sandbox_main},

#endif
