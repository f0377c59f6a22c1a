/* retl — the one executable: dispatches to a subcommand.
 *
 * Every subcommand is `int retl_<name>_main(int argc, char **argv)` with
 * argv[0] = the command's name; it prints its own --help and returns the exit
 * status (0 ok, 1 failure, 2 usage). */
#include "cli/commands.h"
#include "lib/log.h"
#include "lib/version.h"

#include <stdio.h>
#include <string.h>

struct command {
        const char *name;
        const char *summary;
        int (*main)(int argc, char **argv);
};

static const struct command commands[] = {
        RETL_COMMANDS
        {"version", "print the version and the library versions", retl_version_main},
};

static void usage(FILE *out)
{
        fprintf(out,
                "usage: retl COMMAND [OPTIONS]\n"
                "\n"
                "retl keeps a Customer.io workspace in step with a SQL Server database:\n"
                "an extractor publishes changed rows to Kafka, uploaders send them to the\n"
                "Track API.\n"
                "\n"
                "Commands:\n");
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
        fprintf(out, "\n'retl COMMAND --help' describes a command.\n");
}

int main(int argc, char **argv)
{
        const char *name;

        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        name = argv[1];
        if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
                if (argc > 2 && strcmp(name, "help") == 0) {
                        /* `retl help CMD` = `retl CMD --help` */
                        char *av[] = {argv[2], "--help", NULL};
                        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                                if (!strcmp(commands[i].name, argv[2]))
                                        return commands[i].main(2, av);
                        fprintf(stderr, "retl: unknown command '%s'\n", argv[2]);
                        return 2;
                }
                usage(stdout);
                return 0;
        }
        if (!strcmp(name, "--version"))
                return retl_version_main(argc - 1, argv + 1);
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (!strcmp(commands[i].name, name))
                        return commands[i].main(argc - 1, argv + 1);
        fprintf(stderr, "retl: unknown command '%s' (see 'retl --help')\n", name);
        return 2;
}
