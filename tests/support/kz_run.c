/* kz_run.c — fork/exec of the kizuna binary for the CLI tests (kz_run.h). */
#include "kz_run.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

char *kz_test_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return strdup("");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc(n > 0 ? (size_t)n + 1 : 1);
    assert_non_null(p);
    size_t got = n > 0 ? fread(p, 1, (size_t)n, f) : 0;
    p[got] = '\0';
    fclose(f);
    return p;
}

void kz_test_spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

kz_run_out kz_run(const char *bin, const char *dir, const char *stdin_path,
                  const char *const *argv)
{
    char out[1024], err[1024], empty[1024];
    snprintf(out, sizeof out, "%s/.stdout", dir);
    snprintf(err, sizeof err, "%s/.stderr", dir);
    snprintf(empty, sizeof empty, "%s/.empty", dir);
    if (!stdin_path) {
        kz_test_spit(empty, "");
        stdin_path = empty;
    }
    const char *args[64];
    size_t n = 0;
    args[n++] = bin;
    for (; argv[n - 1] && n < 63; n++)
        args[n] = argv[n - 1];
    args[n] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fi = open(stdin_path, O_RDONLY), fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600),
            fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fi < 0 || fo < 0 || fe < 0 || chdir(dir) != 0)
            _exit(127);
        dup2(fi, 0);
        dup2(fo, 1);
        dup2(fe, 2);
        execv(bin, (char *const *)args);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    kz_run_out r = {WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), kz_test_slurp(out),
                    kz_test_slurp(err)};
    return r;
}

void kz_run_free(kz_run_out *r)
{
    free(r->out);
    free(r->err);
}

void kz_run_expect(const kz_run_out *r, int status)
{
    if (r->status != status)
        fprintf(stderr, "exit %d (expected %d)\nstdout: %s\nstderr: %s\n", r->status, status,
                r->out, r->err);
    assert_int_equal(r->status, status);
}

void kz_expect_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fprintf(stderr, "expected to find '%s' in:\n%s\n", needle, hay);
    assert_non_null(strstr(hay, needle));
}
