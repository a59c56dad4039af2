/* fuzz_common.h — what every fuzz target shares: the libFuzzer entry point's
 * prototype, a one-time setup, a NUL-terminated copy of the input (most
 * parsers take C strings), and FUZZ_CHECK, which aborts on a broken property
 * so that libFuzzer (and the replay driver, under CTest) report it as a crash
 * with the input that caused it.
 */
#ifndef KZ_FUZZ_COMMON_H
#define KZ_FUZZ_COMMON_H

#include "base/base.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bytes a target looks at: libFuzzer's -max_len is the real bound while
 * fuzzing; this keeps a replay of a large seed within a sane time. */
#define FUZZ_MAX_INPUT ((size_t)4 << 20)

#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz property failed at %s:%d: %s\n  ", __FILE__, __LINE__, #cond);  \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* kz_base_init once (libsodium, logging quiet: parsers may log warnings for
 * every one of millions of inputs). */
static inline void fuzz_init(void)
{
    static int done;
    if (!done) {
        done = 1;
        if (kz_base_init() != 0)
            abort();
        kz_log_set_level((kz_log_level)(KZ_LOG_ERROR + 1));
    }
}

/* A malloc'd NUL-terminated copy of data (the NUL is extra: embedded NULs
 * stay, so parsers that take (p, n) still see them). */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = 0;
    return s;
}

#endif
