/* runtime.c — process-wide start-up, randomness, hashing and logging. The log
 * level is the only mutable global here, and it is configuration. */
#include "base.h"

#include <sodium.h>
#include <stdio.h>
#include <xxhash.h>

static kz_log_level g_level = KZ_LOG_INFO;

int kz_base_init(void) { return sodium_init() < 0 ? KZ_E_INTERNAL : KZ_OK; }

void kz_random_bytes(void *out, size_t n) { randombytes_buf(out, n); }

uint64_t kz_hash64(const void *p, size_t n) { return XXH3_64bits(p, n); }

void kz_log_set_level(kz_log_level lvl) { g_level = lvl; }

void kz_log(kz_log_level lvl, const char *fmt, ...)
{
    if (lvl < g_level)
        return;
    static const char *names[] = {"debug", "info", "warn", "error"};
    char ts[KZ_TIME_STRLEN + 1], line[2048];
    kz_time_format(kz_time_now(), ts);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One fprintf per line so concurrent threads do not interleave mid-line. */
    fprintf(stderr, "%s %s %s\n", ts, names[lvl], line);
}
