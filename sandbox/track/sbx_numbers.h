/* retl sandbox — attribute numbers as sent: jansson reads every non-integer
 * number into a double (a DECIMAL(38,10) loses its digits); the sandbox
 * keeps their text instead, so the inspection API shows exactly what came.
 *
 * A kept number is a JSON string "\0num:" followed by the number's text.
 * Requests cannot forge one: jansson refuses "\u0000" in strings unless
 * asked (JSON_ALLOW_NUL, used for the sandbox's own state file only).
 * The workspace compares and copies it like any value; the sandbox's JSON
 * answers write it back as the number it was (retl_sbx_numbers_dumps()). */
#ifndef RETL_SBX_NUMBERS_H
#define RETL_SBX_NUMBERS_H

#include <jansson.h>
#include <stddef.h>

/** @brief In @p root, parsed from the @p len bytes at @p text (NUL-terminated
 *  after them), replaces each non-integer number inside an "attributes" or
 *  "relationship_attributes" object by a kept number with its text. The
 *  members id, email, cio_id and _update of an attributes object are left
 *  alone (the workspace reads them as identifiers). Allocates through
 *  jansson: call it inside the arena the tree lives in.
 *  @returns how many numbers were kept. */
size_t retl_sbx_numbers_keep(json_t *root, const char *text, size_t len);

/** @brief json_dumps() that writes kept numbers as the numbers they were.
 *  @returns a string to free(), or NULL. */
char *retl_sbx_numbers_dumps(const json_t *j, size_t flags);

#endif
