/* retl sandbox — a fast reader of request bodies into jansson trees.
 *
 * jansson's parser reads a character at a time through a stream, saving
 * each token into a buffer before it copies it again; on batches of
 * person identifies it was half of the sandbox's CPU. This reader scans the
 * text in place and builds the same tree with jansson's own constructors
 * (so the nodes come from the arena entered, sbx_arena.h).
 *
 * It is exact or it refuses: it takes strict JSON only (RFC 8259, valid
 * UTF-8, no "\u0000", an object or array at the top, nesting up to 1,000)
 * and gives up on anything else (a number out of range, a lone surrogate,
 * any syntax error), when the caller asks jansson itself, whose answer,
 * tree or error message, is the one to give. Where it does build a tree,
 * it is the tree jansson builds: duplicate keys keep the last value in the
 * first one's place, integers are json_int_t, other numbers doubles by
 * strtod (tests/unit/test_sandbox_json_read.c and the fuzz target
 * json_read compare the two). */
#ifndef RETL_SBX_JSON_READ_H
#define RETL_SBX_JSON_READ_H

#include <jansson.h>
#include <stddef.h>

/** @returns the tree of the @p len bytes at @p text (a new reference), or
 *  NULL when the reader gives up: then parse with json_loadb(). */
json_t *retl_sbx_json_read(const char *text, size_t len);

#endif
