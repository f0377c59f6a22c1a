/* retl — the subcommands' entry points, one line each.
 * Each is `int retl_<name>_main(int argc, char **argv)`, argv[0] = name. */
#ifndef RETL_COMMANDS_H
#define RETL_COMMANDS_H

int retl_version_main(int argc, char **argv);
int retl_config_main(int argc, char **argv);
int retl_upload_main(int argc, char **argv);

/* { "name", "one-line summary", function }, in the order --help lists them. */
#define RETL_COMMANDS \
        {"config", "check a configuration file; print it or the settings reference", retl_config_main}, \
        {"upload", "uploader worker: import the workspace topics into the Track API", retl_upload_main},

#endif
