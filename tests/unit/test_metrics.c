/* Unit tests: metrics rendering in the Prometheus text format, health and
 * readiness, label escaping (rendering only; the HTTP side is in it/0002). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lib/metrics.h"

static void test_render(void **state)
{
        char err[256], lb[128], *text;
        struct retl_metrics *m = retl_metrics_new(NULL, 60, err, sizeof(err));
        assert_non_null(m);
        retl_metrics_declare(m, "retl_rows_total", RETL_COUNTER, "Rows.");
        retl_metrics_declare(m, "retl_lag", RETL_GAUGE, "Lag.");
        retl_metrics_declare(m, "retl_latency_seconds", RETL_HISTOGRAM, "Latency.");
        retl_metrics_label(lb, sizeof(lb), "sync", "pe\"op\\le");
        retl_metrics_add(m, "retl_rows_total", lb, 2);
        retl_metrics_add(m, "retl_rows_total", lb, 3);
        retl_metrics_set(m, "retl_lag", "workspace=\"acme\"", 7);
        retl_metrics_set(m, "retl_lag", "workspace=\"acme\"", 4);
        retl_metrics_observe(m, "retl_latency_seconds", NULL, 0.2);
        retl_metrics_observe(m, "retl_latency_seconds", NULL, 3);
        retl_metrics_add(m, "retl_undeclared", NULL, 1); /* ignored */
        text = retl_metrics_render(m);
        assert_non_null(strstr(text, "# TYPE retl_rows_total counter\n"));
        assert_non_null(strstr(text, "retl_rows_total{sync=\"pe\\\"op\\\\le\"} 5\n"));
        assert_non_null(strstr(text, "retl_lag{workspace=\"acme\"} 4\n"));
        assert_non_null(strstr(text, "retl_latency_seconds_bucket{le=\"0.25\"} 1\n"));
        assert_non_null(strstr(text, "retl_latency_seconds_bucket{le=\"5\"} 2\n"));
        assert_non_null(strstr(text, "retl_latency_seconds_bucket{le=\"+Inf\"} 2\n"));
        assert_non_null(strstr(text, "retl_latency_seconds_count 2\n"));
        assert_non_null(strstr(text, "retl_latency_seconds_sum 3.2"));
        assert_null(strstr(text, "retl_undeclared"));
        free(text);
        retl_metrics_destroy(m);
}

static void test_null_registry(void **state)
{
        char *text;
        retl_metrics_add(NULL, "x", NULL, 1);
        retl_metrics_beat(NULL);
        retl_metrics_ready(NULL, 1, NULL);
        text = retl_metrics_render(NULL);
        assert_string_equal(text, "");
        free(text);
        retl_metrics_destroy(NULL);
}

static void test_bad_listen(void **state)
{
        char err[256];
        assert_null(retl_metrics_new("nonsense", 60, err, sizeof(err)));
        assert_non_null(strstr(err, "expected host:port"));
        assert_null(retl_metrics_new("example.com:80", 60, err, sizeof(err)));
        assert_non_null(strstr(err, "IPv4"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_render),
                cmocka_unit_test(test_null_registry),
                cmocka_unit_test(test_bad_listen),
        };
        return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
