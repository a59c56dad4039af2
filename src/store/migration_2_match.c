/* migration_2_match.c — schema step 2: the match engine.
 *
 * - indicators.warninglist: the name of the MISP warninglist (known-benign
 *   values) an indicator's value was on when it was last written, NULL when
 *   none. Such indicators are still indexed, and their hits are reported as
 *   warninglisted, not as alerts.
 * - sightings.day: the UTC day (days since 1970-01-01) of a sighting that a
 *   sweep reported in aggregate; NULL for sightings posted one by one. The
 *   partial unique index is the upsert key of kz_store_sightings_aggregate:
 *   one row per indicator, org, day and source, whose count grows.
 */
#include "store_int.h"

const char kz__migration_2_match[] =
    "ALTER TABLE indicators ADD COLUMN warninglist TEXT;"
    "ALTER TABLE sightings ADD COLUMN day INTEGER;"
    "CREATE UNIQUE INDEX sightings_daily ON sightings(ind, org_id, day, source)"
    " WHERE day IS NOT NULL;";
