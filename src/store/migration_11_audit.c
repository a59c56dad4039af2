/* migration_11_audit.c — schema step 11 (reserved for the audit feature). */
#include "store_int.h"

const char kz__migration_11_audit[] = "SELECT 1;";
