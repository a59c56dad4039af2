/* kz_node.h — integration tests drive the real `kizuna` binary: `kizuna
 * init` into a temporary directory, `kizuna serve` on a free loopback port,
 * and an HTTP client (libcurl) that returns status, the headers tests look
 * at, and the parsed JSON body. The binary is $KIZUNA_BIN (set by CTest).
 */
#ifndef KZ_NODE_H
#define KZ_NODE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "kz_test.h"

typedef struct kz_node {
    char *dir;            /* temporary directory, removed by kz_node_free */
    char db[512];
    char log[512];        /* the server's stderr */
    char admin_key[64];   /* printed by `kizuna init` */
    char admin_org[40];   /* the admin's org id (from GET /api/v1/me) */
    pid_t pid;            /* 0 when not running */
    int out_fd;           /* the server's stdout */
    int port;
    char base[64];        /* http://127.0.0.1:PORT */
    void *curl;           /* CURL *, reused so connections are kept alive */
} kz_node;

/* Creates the directory and runs `kizuna init --db ... --org org --country cc`.
 * Returns 0, or -1 with a message on stderr. */
int kz_node_init(kz_node *n, const char *org, const char *country);
/* Starts `kizuna serve --db ... --listen 127.0.0.1:0` plus extra (NULL-
 * terminated, may be NULL) and waits for the "listening on" line. */
int kz_node_start(kz_node *n, const char *const *extra);
/* SIGTERM, then waits; returns the exit status (0 = clean), or -1 if it had
 * to be killed. */
int kz_node_stop(kz_node *n);
/* Sends sig to the server without waiting. */
void kz_node_signal(kz_node *n, int sig);
/* Stops the server if running and removes the directory. */
void kz_node_free(kz_node *n);
/* Runs the kizuna binary with args (NULL-terminated, argv[0] excluded) and
 * captures stdout into out (NUL-terminated, truncated to n). Returns the exit
 * status, or -1. */
int kz_node_run(const char *const *args, char *out, size_t n);
/* kz_node_run with the command's stderr in out too (its error messages). */
int kz_node_run_all(const char *const *args, char *out, size_t n);

typedef struct kz_resp {
    long status;       /* 0 when the request failed at the transport level */
    char *body;        /* malloc'd, NUL-terminated */
    size_t len;
    json_t *json;      /* parsed body when it is JSON, else NULL */
    char content_type[128];
    char retry_after[32];
    char www_authenticate[256];
    char allow[128];
    char curl_error[256];
} kz_resp;

/* One request. key NULL = no Authorization; a key starting "Basic " or
 * "Bearer " is sent as the whole header value, else as "Bearer <key>".
 * ctype NULL with a body means "application/json". */
int kz_http(kz_node *n, const char *method, const char *path, const char *key, const char *ctype,
            const void *body, size_t len, kz_resp *out);
void kz_resp_free(kz_resp *r);

/* Shorthands; body is a NUL-terminated JSON text. */
kz_resp kz_get(kz_node *n, const char *path, const char *key);
kz_resp kz_post(kz_node *n, const char *path, const char *key, const char *body);
kz_resp kz_patch(kz_node *n, const char *path, const char *key, const char *body);
kz_resp kz_delete(kz_node *n, const char *path, const char *key);
/* Same, formatting path and body with printf first. */
kz_resp kz_getf(kz_node *n, const char *key, const char *pathfmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A string member of the response's JSON (dotted path "error.code",
 * "user.id"), or NULL. Valid while the response lives. */
const char *kz_resp_str(const kz_resp *r, const char *path);
/* A member at a dotted path, or NULL (borrowed). */
json_t *kz_resp_get(const kz_resp *r, const char *path);

/* Does the array at array_path hold an object whose string member field
 * equals value? (For "was it stored?" checks.) */
bool kz_resp_list_has(const kz_resp *r, const char *array_path, const char *field,
                      const char *value);
/* Number of elements of the array at path, or -1. */
long kz_resp_count(const kz_resp *r, const char *path);

/* Asserts (cmocka) status and, for errors, error.code and error.field
 * (field NULL = must be null/absent; "*" = anything). */
void kz_expect_at(const kz_resp *r, long status, const char *code, const char *field,
                  const char *file, int line);
#define KZ_EXPECT(r, status) kz_expect_at(&(r), (status), NULL, "*", __FILE__, __LINE__)
#define KZ_EXPECT_ERR(r, status, code, field) \
    kz_expect_at(&(r), (status), (code), (field), __FILE__, __LINE__)

/* Test set-up helpers built on the API (assert on failure). They return the
 * new object's id (static buffer per call site is not used: out is filled). */
void kz_make_org(kz_node *n, const char *key, const char *name, const char *country,
                 char out_id[40]);
/* A user in org with role, and an API key for it (out_key holds "kz_..."). */
void kz_make_user(kz_node *n, const char *key, const char *org_id, const char *email,
                  const char *role, char out_id[40], char out_key[64]);

#endif
