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

#endif
