/* migration_13_misp_parts.c — schema step 13: MISP's restSearch finds a
 * filename|hash attribute by its hash (its value2), so the hash part of
 * those rows is indexed. Only filename_hash rows are in the index, so other
 * rows cost nothing on import; misp_value_search.c asks with this exact
 * expression so that the planner uses it.
 */
#include "store_int.h"

const char kz__migration_13_misp_parts[] =
    "CREATE INDEX indicators_hash_part ON indicators(substr(value, instr(value, '|') + 1))"
    " WHERE type = 'filename|hash';";
