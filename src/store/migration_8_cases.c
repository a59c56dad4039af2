/* migration_8_cases.c — schema step 8 (reserved for the cases feature). */
#include "store_int.h"

const char kz__migration_8_cases[] = "SELECT 1;";
