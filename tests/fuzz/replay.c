/* retl — replays fuzz corpora through one target without libFuzzer (built with gcc + ASan/UBSan). */
#include "tests/fuzz/fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Reads a whole file into an exact-size allocation, so that reading one
 * byte past the input trips AddressSanitizer as it does under libFuzzer. */
static int replay_file(const char *path)
{
        FILE *f = fopen(path, "rb");
        uint8_t *data = NULL;
        long size;

        if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
                fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
                if (f)
                        fclose(f);
                return -1;
        }
        data = malloc(size ? (size_t)size : 1);
        if (!data || fread(data, 1, (size_t)size, f) != (size_t)size) {
                fprintf(stderr, "replay: %s: short read\n", path);
                free(data);
                fclose(f);
                return -1;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(data, (size_t)size);
        free(data);
        return 0;
}

static int by_name(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays every regular file of @p dir in name order. @returns how many, or -1. */
static long replay_dir(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        char **names = NULL, path[4096];
        size_t n = 0, cap = 0;
        long done = 0;

        if (!d) {
                fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
                return -1;
        }
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                if (n == cap) {
                        cap = cap ? 2 * cap : 64;
                        names = realloc(names, cap * sizeof(*names));
                        if (!names)
                                abort();
                }
                names[n] = strdup(de->d_name);
                if (!names[n++])
                        abort();
        }
        closedir(d);
        qsort(names, n, sizeof(*names), by_name);
        for (size_t i = 0; i < n; i++) {
                struct stat st;

                snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
                if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                        if (replay_file(path))
                                done = -1;
                        else if (done >= 0)
                                done++;
                }
                free(names[i]);
        }
        free(names);
        return done;
}

int main(int argc, char **argv)
{
        int rc = 0;

        if (argc < 2) {
                fprintf(stderr, "usage: %s CORPUS_DIR...\n", argv[0]);
                return 2;
        }
        for (int i = 1; i < argc; i++) {
                long n = replay_dir(argv[i]);

                if (n <= 0) {
                        fprintf(stderr, "replay: %s: %s\n", argv[i],
                                n ? "unreadable" : "no inputs");
                        rc = 1;
                        continue;
                }
                printf("replayed %ld inputs from %s\n", n, argv[i]);
        }
        return rc;
}
