/* kz_test.h — helpers shared by the unit and integration tests. */
#ifndef KZ_TEST_H
#define KZ_TEST_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/base.h"

/* A fresh directory under $TMPDIR, removed by kz_test_rmdir. */
char *kz_test_mkdtemp(void);
void kz_test_rmdir(const char *dir);
/* $KZ_SHARED_DATA/<rel>, or NULL when the data is not there. */
const char *kz_test_data_path(const char *rel, char *buf, size_t n);
/* SQL on a database file through a connection of its own, beside the
 * store's (to read what the store wrote, or to damage it on purpose):
 * _int is the first column of the one row; _exec fails the test on error. */
int64_t kz_test_sql_int(const char *path, const char *sql);
void kz_test_sql_exec(const char *path, const char *sql);

#endif
