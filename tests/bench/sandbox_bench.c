/* retl — sandbox throughput: person identifies per second into `retl
 * sandbox` over loopback, with libcurl multi (keep-alive, several requests
 * in flight).
 *
 *   sandbox_bench --url http://127.0.0.1:PORT [--entities N] [--batch N]
 *                 [--inflight N] [--attrs N] [--user S --pass K] [--passes N]
 *                 [--server-pid PID]
 *
 * The request bodies are built before the clock starts. Pass 1 creates
 * --entities people; later passes send the same bodies again (updates).
 * Prints one line per pass and exits non-zero if any answer is not 200.
 * With --server-pid, each line also gives the server's CPU time (user +
 * system, from /proc/PID/stat) per 100,000 entities: the figure that does
 * not depend on what else the machine is running. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct body {
        char *data;
        size_t len;
};

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) used so far by process @p pid, or -1. */
static double proc_cpu_s(long pid)
{
        char path[64], buf[1024], *p;
        unsigned long long ut, st;
        FILE *f;
        size_t n;

        snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
        f = fopen(path, "r");
        if (!f)
                return -1;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        /* fields 14 and 15, counted after the ')' that ends the name */
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                         &ut, &st) != 2)
                return -1;
        return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
        (void)p;
        (void)ud;
        return size * n;
}

static void append(struct body *b, size_t *cap, const char *s, size_t n)
{
        if (b->len + n + 1 > *cap) {
                while (b->len + n + 1 > *cap)
                        *cap = *cap ? *cap * 2 : 4096;
                b->data = realloc(b->data, *cap);
                if (!b->data) {
                        perror("realloc");
                        exit(1);
                }
        }
        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = '\0';
}

/* A batch of @p n person identifies with ids from @p first, ~@p attrs
 * attributes each (email included). */
static struct body make_body(long first, int n, int attrs)
{
        static const char *const extra[] = {
                "\"first_name\":\"Jane\"", "\"last_name\":\"Doe\"", "\"plan\":\"premium\"",
                "\"age\":42",             "\"score\":3.5",         "\"active\":true",
                "\"city\":\"Paris\"",     "\"country\":\"FR\"",    "\"signup\":1700000000",
                "\"tags\":[\"a\",\"b\"]", "\"company\":\"Acme\"",  "\"lang\":\"fr\"",
        };
        struct body b = {NULL, 0};
        size_t cap = 0;
        char buf[512];
        int w;

        append(&b, &cap, "{\"batch\":[", 10);
        for (int i = 0; i < n; i++) {
                long id = first + i;

                w = snprintf(buf, sizeof(buf),
                             "%s{\"type\":\"person\",\"identifiers\":{\"id\":\"u%ld\"},"
                             "\"action\":\"identify\",\"attributes\":{\"email\":"
                             "\"u%ld@example.com\"",
                             i ? "," : "", id, id);
                append(&b, &cap, buf, (size_t)w);
                for (int a = 0; a < attrs - 1 && a < (int)(sizeof(extra) / sizeof(extra[0])); a++) {
                        append(&b, &cap, ",", 1);
                        append(&b, &cap, extra[a], strlen(extra[a]));
                }
                append(&b, &cap, "}}", 2);
        }
        append(&b, &cap, "]}", 2);
        return b;
}

int main(int argc, char **argv)
{
        const char *url = NULL, *user = "sandbox", *pass = "sandbox";
        long entities = 400000, server_pid = 0;
        int batch = 500, inflight = 8, attrs = 10, passes = 2;
        struct body *bodies;
        size_t nbodies, total_bytes = 0;
        char userpwd[512], endpoint[512];
        int failures = 0;

        for (int i = 1; i < argc; i++) {
                const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

                if (!v) {
                        fprintf(stderr, "usage: see the comment at the top of the source\n");
                        return 2;
                }
                if (!strcmp(a, "--url")) url = v;
                else if (!strcmp(a, "--entities")) entities = atol(v);
                else if (!strcmp(a, "--batch")) batch = atoi(v);
                else if (!strcmp(a, "--inflight")) inflight = atoi(v);
                else if (!strcmp(a, "--attrs")) attrs = atoi(v);
                else if (!strcmp(a, "--passes")) passes = atoi(v);
                else if (!strcmp(a, "--user")) user = v;
                else if (!strcmp(a, "--pass")) pass = v;
                else if (!strcmp(a, "--server-pid")) server_pid = atol(v);
                else {
                        fprintf(stderr, "unknown option %s\n", a);
                        return 2;
                }
                i++;
        }
        if (!url || batch < 1 || inflight < 1 || entities < batch) {
                fprintf(stderr, "usage: sandbox_bench --url URL [--entities N] [--batch N] "
                                "[--inflight N] [--attrs N] [--passes N]\n");
                return 2;
        }
        snprintf(userpwd, sizeof(userpwd), "%s:%s", user, pass);
        snprintf(endpoint, sizeof(endpoint), "%s/api/v2/batch", url);
        nbodies = (size_t)(entities / batch);
        bodies = calloc(nbodies, sizeof(*bodies));
        for (size_t i = 0; i < nbodies; i++) {
                bodies[i] = make_body((long)i * batch, batch, attrs);
                total_bytes += bodies[i].len;
        }
        fprintf(stderr, "bench: %zu requests of %d entities (%.0f bytes each on average)\n",
                nbodies, batch, (double)total_bytes / (double)nbodies);

        curl_global_init(CURL_GLOBAL_DEFAULT);
        for (int p = 1; p <= passes; p++) {
                CURLM *multi = curl_multi_init();
                CURL **easy = calloc((size_t)inflight, sizeof(*easy));
                struct curl_slist *hdrs = NULL;
                size_t next = 0, done = 0;
                int running = 0;
                double t0, dt, cpu0 = server_pid ? proc_cpu_s(server_pid) : -1;

                /* no "Expect: 100-continue" round trip on big bodies */
                hdrs = curl_slist_append(hdrs, "Expect:");
                hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
                t0 = now_s();
                for (int i = 0; i < inflight && next < nbodies; i++) {
                        easy[i] = curl_easy_init();
                        curl_easy_setopt(easy[i], CURLOPT_URL, endpoint);
                        curl_easy_setopt(easy[i], CURLOPT_USERPWD, userpwd);
                        curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, hdrs);
                        curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, discard);
                        curl_easy_setopt(easy[i], CURLOPT_POSTFIELDS, bodies[next].data);
                        curl_easy_setopt(easy[i], CURLOPT_POSTFIELDSIZE_LARGE,
                                         (curl_off_t)bodies[next].len);
                        next++;
                        curl_multi_add_handle(multi, easy[i]);
                }
                do {
                        CURLMsg *m;
                        int left;

                        curl_multi_perform(multi, &running);
                        while ((m = curl_multi_info_read(multi, &left))) {
                                long code = 0;
                                CURL *e = m->easy_handle;

                                if (m->msg != CURLMSG_DONE)
                                        continue;
                                curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
                                if (m->data.result != CURLE_OK || code != 200) {
                                        if (failures++ < 5)
                                                fprintf(stderr, "bench: request failed: %s, "
                                                                "HTTP %ld\n",
                                                        curl_easy_strerror(m->data.result),
                                                        code);
                                }
                                done++;
                                curl_multi_remove_handle(multi, e);
                                if (next < nbodies) {
                                        /* same handle: the connection is reused */
                                        curl_easy_setopt(e, CURLOPT_POSTFIELDS, bodies[next].data);
                                        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                                                         (curl_off_t)bodies[next].len);
                                        next++;
                                        curl_multi_add_handle(multi, e);
                                        running = 1;
                                }
                        }
                        if (running)
                                curl_multi_poll(multi, NULL, 0, 100, NULL);
                } while (running || done < next);
                dt = now_s() - t0;
                printf("pass %d (%s): %zu entities in %.3f s = %.0f entities/s, %.1f MB/s, "
                       "%d in flight, %d per batch\n",
                       p, p == 1 ? "creates" : "updates", done * (size_t)batch, dt,
                       (double)(done * (size_t)batch) / dt, (double)total_bytes / dt / 1e6,
                       inflight, batch);
                if (cpu0 >= 0) {
                        double cpu1 = proc_cpu_s(server_pid);

                        if (cpu1 >= 0)
                                printf("       server CPU: %.2f s per 100,000 entities "
                                       "(%.2f s in all)\n",
                                       (cpu1 - cpu0) * 1e5 / (double)(done * (size_t)batch),
                                       cpu1 - cpu0);
                }
                fflush(stdout);
                for (int i = 0; i < inflight; i++)
                        if (easy[i])
                                curl_easy_cleanup(easy[i]);
                free(easy);
                curl_slist_free_all(hdrs);
                curl_multi_cleanup(multi);
        }
        for (size_t i = 0; i < nbodies; i++)
                free(bodies[i].data);
        free(bodies);
        curl_global_cleanup();
        if (failures)
                fprintf(stderr, "bench: %d requests failed\n", failures);
        return failures ? 1 : 0;
}
