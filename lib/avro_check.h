/* retl — checks Avro binary data against its schema before avro-c reads it.
 *
 * avro-c trusts the lengths and counts it reads: a string claiming more
 * bytes than the message holds (or a negative length) is allocated first,
 * so a corrupt message can ask for gigabytes. This walk reads nothing but
 * the lengths, counts, union branches and enum symbols, and refuses
 * anything that does not fit in the message. The schema is flattened once
 * (avro-c's accessors are hash lookups), so a check costs a fraction of
 * the decoding it guards. */
#ifndef RETL_AVRO_CHECK_H
#define RETL_AVRO_CHECK_H

#include <avro.h>
#include <stddef.h>

struct retl_avro_check;

/** @brief Flattens @p schema (not recursive, nested at most 64 deep).
 *  @returns a new checker (free with retl_avro_check_destroy), or NULL
 *  with the reason in errstr. */
struct retl_avro_check *retl_avro_check_new(avro_schema_t schema, char *errstr,
                                            size_t errstr_size);
void retl_avro_check_destroy(struct retl_avro_check *chk);   /* NULL is fine */

/** @brief Checks that @p len bytes at @p data start with one value of the
 *  schema whose every length and count fits in them, whose union branches
 *  and enum symbols exist and whose varints are at most 10 bytes.
 *  @returns 0, or -1 with the reason in errstr. */
int retl_avro_check(const struct retl_avro_check *chk, const void *data, size_t len,
                    char *errstr, size_t errstr_size) __attribute__((warn_unused_result));

#endif
