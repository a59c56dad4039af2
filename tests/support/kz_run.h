/* kz_run.h — running the real kizuna binary from a test: fork/exec with
 * stdin from a file, stdout and stderr captured, and the assertions the CLI
 * tests make on the result. */
#ifndef KZ_RUN_H
#define KZ_RUN_H

#include "kz_test.h"

typedef struct kz_run_out {
    int status; /* exit code, or 128 + signal */
    char *out, *err;
} kz_run_out;

/* Runs bin with argv (NULL-terminated, without argv[0]) in directory dir,
 * stdin from the file stdin_path (NULL: empty); captures go to dir/.stdout
 * and dir/.stderr. */
kz_run_out kz_run(const char *bin, const char *dir, const char *stdin_path,
                  const char *const *argv);
void kz_run_free(kz_run_out *r);
/* Asserts the exit code, printing both outputs when it is not the expected. */
void kz_run_expect(const kz_run_out *r, int status);
/* Asserts needle is in hay, printing hay when it is not. */
void kz_expect_contains(const char *hay, const char *needle);

/* A whole file as a string ("" if it cannot be read); caller frees. */
char *kz_test_slurp(const char *path);
void kz_test_spit(const char *path, const char *text);

#endif
