/* migration_12_stix_versions.c — schema step 12 (reserved for STIX versions). */
#include "store_int.h"

const char kz__migration_12_stix_versions[] = "SELECT 1;";
