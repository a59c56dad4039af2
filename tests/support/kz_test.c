/* kz_test.c — temporary directories and shared-data paths for tests. */
#include "kz_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *kz_test_mkdtemp(void)
{
    const char *tmp = getenv("TMPDIR");
    char tmpl[512];
    snprintf(tmpl, sizeof tmpl, "%s/kizuna-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

void kz_test_rmdir(const char *dir)
{
    if (!dir || !*dir)
        return;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

const char *kz_test_data_path(const char *rel, char *buf, size_t n)
{
    const char *root = getenv("KZ_SHARED_DATA");
    if (!root)
        return NULL;
    snprintf(buf, n, "%s/%s", root, rel);
    return access(buf, R_OK) == 0 ? buf : NULL;
}
