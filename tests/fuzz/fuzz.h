/* retl — what every fuzz target (tests/fuzz/fuzz_*.c) defines: libFuzzer's entry point. */
#ifndef RETL_FUZZ_H
#define RETL_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/** @brief Feeds one input to the parser under test. Aborts (or trips a
 *  sanitizer) on a bug; anything the parser refuses is a normal return.
 *  @returns 0, as libFuzzer wants. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
