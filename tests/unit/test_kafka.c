/* Unit tests: lib/kafka — which of retl's producer settings kafka.properties
 * may change (defaults) and which it may not (what retl depends on). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lib/kafka.h"

/* The value @p name has in a producer configuration built from @p props
 * (NULL-terminated name, value pairs), in @p value. */
static void producer_setting(char **props, size_t nprops, const char *name, char *value,
                             size_t size)
{
        struct retl_cfg_kafka kc = {.brokers = "127.0.0.1:9", .props = props, .nprops = nprops};
        char err[512];
        rd_kafka_conf_t *conf = retl_kafka_producer_conf_new(&kc, "test", err, sizeof(err));

        if (!conf)
                fail_msg("producer configuration: %s", err);
        assert_int_equal(rd_kafka_conf_get(conf, name, value, &size), RD_KAFKA_CONF_OK);
        rd_kafka_conf_destroy(conf);
}

static void test_properties_override_defaults(void **state)
{
        char *none[] = {NULL};
        char *user[] = {"compression.type", "zstd", "linger.ms", "50", "acks", "1", NULL};
        char v[64];

        producer_setting(none, 0, "compression.type", v, sizeof(v));
        assert_string_equal(v, "lz4");
        producer_setting(none, 0, "linger.ms", v, sizeof(v));
        assert_string_equal(v, "5");
        /* documented as passed verbatim: the user's setting wins */
        producer_setting(user, 3, "compression.type", v, sizeof(v));
        assert_string_equal(v, "zstd");
        producer_setting(user, 3, "linger.ms", v, sizeof(v));
        assert_string_equal(v, "50");
        /* what retl depends on stays: acks=all with idempotence */
        producer_setting(user, 3, "acks", v, sizeof(v));
        assert_string_equal(v, "-1");
        producer_setting(user, 3, "enable.idempotence", v, sizeof(v));
        assert_string_equal(v, "true");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_properties_override_defaults),
        };
        return cmocka_run_group_tests_name("kafka", tests, NULL, NULL);
}
