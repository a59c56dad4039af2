/* migration_7_sync.c — schema step 7 (reserved for the sync feature). */
#include "store_int.h"

const char kz__migration_7_sync[] = "SELECT 1;";
