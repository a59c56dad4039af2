/* base.h — layer 0: the few things every other layer needs.
 *
 * One error type with a message a user can act on, growable buffers, request
 * arenas, RFC 3339 time with microseconds, UUIDs, UTF-8 checks and logging.
 * Nothing here knows about threat intelligence; everything above leans on it.
 */
#ifndef KZ_BASE_H
#define KZ_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KZ_VERSION "0.1.0"

/* ---- errors ------------------------------------------------------------ */

/* One error enum for the whole program (curl style). The HTTP layer maps each
 * to a status; the CLI prints the message. */
enum {
    KZ_OK = 0,
    KZ_E_INVALID = -1,   /* malformed input: bad JSON, wrong type, unknown field: 400 */
    KZ_E_NOTFOUND = -2,  /* 404 */
    KZ_E_CONFLICT = -3,  /* already exists, or state forbids it: 409 */
    KZ_E_FORBIDDEN = -4, /* authenticated but not allowed: 403 */
    KZ_E_UNAUTH = -5,    /* no or bad credentials: 401 */
    KZ_E_TOOLARGE = -6,  /* 413 */
    KZ_E_RATE = -7,      /* 429 */
    KZ_E_NOMEM = -8,
    KZ_E_IO = -9,
    KZ_E_DB = -10,
    KZ_E_MEDIA = -11,    /* unsupported media type: 415 */
    KZ_E_INTERNAL = -12,
    KZ_E_VALUE = -13,    /* well-formed but an invalid value ("300.1.2.3"): 422 */
};

typedef struct kz_err {
    int code;
    char field[128];   /* the input field at fault, "" when none */
    char msg[512];
} kz_err;

/* Fills err (if not NULL) and returns code, so callers can `return kz_fail(...)`. */
int kz_fail(kz_err *err, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void kz_err_clear(kz_err *err);
const char *kz_err_name(int code); /* "invalid", "not_found", ... */

/* ---- buffers ------------------------------------------------------------ */

/* A growable byte buffer, always NUL-terminated so it can be used as a string. */
typedef struct kz_buf {
    char *p;
    size_t len;
    size_t cap;
} kz_buf;

void kz_buf_init(kz_buf *b);
void kz_buf_free(kz_buf *b);
void kz_buf_reset(kz_buf *b);
int kz_buf_reserve(kz_buf *b, size_t extra);
int kz_buf_append(kz_buf *b, const void *p, size_t n);
int kz_buf_puts(kz_buf *b, const char *s);
int kz_buf_putc(kz_buf *b, char c);
int kz_buf_printf(kz_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the bytes to the caller (free() them) and leaves b empty. */
char *kz_buf_steal(kz_buf *b);

/* ---- arenas ------------------------------------------------------------- */

/* One arena per request, import or batch: many small allocations, one free. */
typedef struct kz_arena_block kz_arena_block;
typedef struct kz_arena {
    kz_arena_block *head;
    size_t total; /* bytes handed out, for limits */
} kz_arena;

void kz_arena_init(kz_arena *a);
void kz_arena_free(kz_arena *a);
void *kz_arena_alloc(kz_arena *a, size_t n);          /* zeroed, 16-aligned, NULL on OOM */
char *kz_arena_strdup(kz_arena *a, const char *s);    /* NULL in, NULL out */
char *kz_arena_strndup(kz_arena *a, const char *s, size_t n);
char *kz_arena_printf(kz_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- string lists ------------------------------------------------------- */

typedef struct kz_strlist {
    char **v;
    size_t n;
} kz_strlist;

/* Appends a copy of s (arena-owned). */
int kz_strlist_push(kz_arena *a, kz_strlist *l, const char *s);
bool kz_strlist_has(const kz_strlist *l, const char *s);

/* ---- time --------------------------------------------------------------- */

/* Times are int64 microseconds since the Unix epoch, UTC. 0 means "unset". */
typedef int64_t kz_time;
#define KZ_TIME_STRLEN 27 /* "2026-11-21T23:34:57.123456Z" */

kz_time kz_time_now(void);
/* Writes "YYYY-MM-DDTHH:MM:SS.ffffffZ"; out must hold KZ_TIME_STRLEN + 1. */
void kz_time_format(kz_time t, char *out);
/* Accepts RFC 3339: date-time with optional fraction (up to 9 digits, kept to
 * µs) and Z or ±hh:mm offset; also a bare date YYYY-MM-DD (midnight UTC). */
int kz_time_parse(const char *s, kz_time *out, kz_err *err);

/* ---- UUIDs -------------------------------------------------------------- */

#define KZ_UUID_STRLEN 36
typedef char kz_uuid[KZ_UUID_STRLEN + 1];

void kz_uuid_v4(kz_uuid out);
/* RFC 9562 v7: a millisecond timestamp, a counter, then random bits. New rows
 * get these so id indexes grow at their end instead of being written at a
 * random page per row. A generator keeps ids increasing and draws randomness
 * 4 KiB at a time (bulk imports mint millions); kz_uuid_v7 uses one per thread. */
typedef struct kz_uuid7_gen {
    uint8_t pool[4096];
    size_t used;
    int64_t last_ms;
    uint32_t counter; /* 30 bits after the timestamp */
} kz_uuid7_gen;
/* Start from (kz_uuid7_gen){0}. Increasing within one generator. */
void kz_uuid7_next(kz_uuid7_gen *g, kz_uuid out);
void kz_uuid_v7(kz_uuid out);
/* RFC 4122 name-based, SHA-1. ns is a UUID string. */
int kz_uuid_v5(const char *ns, const void *name, size_t n, kz_uuid out);
/* Checks the 8-4-4-4-12 hex shape; accepts either case. */
bool kz_uuid_valid(const char *s);
/* Lower-cases into out; returns false if s is not a UUID. */
bool kz_uuid_normalize(const char *s, kz_uuid out);

/* ---- UTF-8 and text ----------------------------------------------------- */

/* Strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF, no NUL. */
bool kz_utf8_valid(const char *p, size_t n);
/* Whether s goes into a JSON string as it is: ASCII, no control character,
 * no '"' or '\\' (what jansson would escape). */
bool kz_json_plain(const char *s);
/* Case-insensitive ASCII comparison. */
bool kz_streq_nocase(const char *a, const char *b);
/* Hex encode n bytes into out (2n+1 bytes). */
void kz_hex_encode(const uint8_t *in, size_t n, char *out);
/* Decodes exactly n bytes from 2n hex chars; false on bad input. */
bool kz_hex_decode(const char *in, uint8_t *out, size_t n);

/* ---- hashing ------------------------------------------------------------ */

uint64_t kz_hash64(const void *p, size_t n);

/* ---- random, init ------------------------------------------------------- */

/* Must be called once before anything else (initialises libsodium). */
int kz_base_init(void);
void kz_random_bytes(void *out, size_t n);

/* ---- logging ------------------------------------------------------------ */

typedef enum { KZ_LOG_DEBUG, KZ_LOG_INFO, KZ_LOG_WARN, KZ_LOG_ERROR } kz_log_level;

void kz_log_set_level(kz_log_level lvl);
/* One line to stderr: time, level, message. Never pass secrets. */
void kz_log(kz_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define KZ_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
