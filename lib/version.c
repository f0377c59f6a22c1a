/* retl — `retl version`: ours and the libraries' versions. */
#include "version.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <librdkafka/rdkafka.h>
#include <sqlite3.h>
#include <sybfront.h>
#include <sybdb.h>

int retl_version_main(int argc, char **argv)
{
        if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
                printf("usage: retl version\n\nPrints retl's version and the versions of the "
                       "libraries it runs on.\n");
                return 0;
        }
        if (argc > 1) {
                fprintf(stderr, "retl version: unknown option '%s'\n", argv[1]);
                return 2;
        }
        printf("retl %s\n", RETL_VERSION);
        printf("librdkafka %s\n", rd_kafka_version_str());
        printf("%s\n", curl_version());
        printf("%s\n", dbversion());
        printf("sqlite %s\n", sqlite3_libversion());
        return 0;
}
