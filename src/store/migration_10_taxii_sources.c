/* migration_10_taxii_sources.c — schema step 10 (reserved for the taxii_sources feature). */
#include "store_int.h"

const char kz__migration_10_taxii_sources[] = "SELECT 1;";
