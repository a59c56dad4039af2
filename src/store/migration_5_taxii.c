/* migration_5_taxii.c — schema step 5: TAXII 2.1 status resources.
 *
 * Why it looks like this:
 * - Add Objects is processed before the POST answers, so a status never
 *   changes after it is written: the resource is kept as its JSON text, and
 *   GET .../status/{id}/ serves it back as is.
 * - TAXII asks that a status be kept at least 24 hours; rows carry their
 *   creation time so they can be pruned after that, and their org so only
 *   that org can read them.
 */
#include "store_int.h"

const char kz__migration_5_taxii[] =
    "CREATE TABLE taxii_status("
    " id TEXT PRIMARY KEY,"
    " org_id TEXT NOT NULL,"
    " created INTEGER NOT NULL,"
    " body TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX taxii_status_created ON taxii_status(created);";
