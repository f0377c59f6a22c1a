/* retl — Avro schema fingerprints: Parsing Canonical Form and CRC-64-AVRO,
 * as the Avro specification defines them (avro-c has neither). */
#ifndef RETL_AVRO_FP_H
#define RETL_AVRO_FP_H

#include <stddef.h>
#include <stdint.h>

/** @brief CRC-64-AVRO of @p len bytes. */
uint64_t retl_avro_crc64(const void *data, size_t len);

/** @brief The Parsing Canonical Form of a schema given as JSON text.
 *  @returns a new string (free() it), or NULL with the reason in errstr. */
char *retl_avro_canonical(const char *schema_json, char *errstr, size_t errstr_size);

/** @brief Fingerprint of a schema: CRC-64-AVRO of its canonical form.
 *  @returns 0, or -1 with the reason in errstr. */
int retl_avro_fingerprint(const char *schema_json, uint64_t *fp, char *errstr,
                          size_t errstr_size);

#endif
