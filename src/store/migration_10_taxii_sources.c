/* migration_10_taxii_sources.c — schema step 10: TAXII sources, the
 * collections of other servers this node pulls on a schedule.
 *
 * Why it looks like this:
 * - The credential is a column of its own, sealed (XChaCha20-Poly1305 under
 *   a key derived from the node secret; the row's id, URL, auth kind and user
 *   as associated data), so a copy of the database alone gives no usable key
 *   or password, and a sealed value can be neither moved to another row nor
 *   sent elsewhere by editing the row's URL.
 * - The resume position is not here: it is the node meta key `taxii pull`
 *   already keeps per API root and collection, so a manual pull and the
 *   scheduled one continue from the same place.
 * - The outcome of the last run (time, error, counts) is kept per source so
 *   `kizuna taxii source list` can show why a source is stuck.
 */
#include "store_int.h"

const char kz__migration_10_taxii_sources[] =
    "CREATE TABLE taxii_sources("
    " id TEXT PRIMARY KEY,"
    " name TEXT NOT NULL COLLATE NOCASE UNIQUE,"
    " url TEXT NOT NULL,"
    " collection TEXT NOT NULL,"
    " org_id TEXT NOT NULL REFERENCES orgs(id),"
    " tlp INTEGER NOT NULL,"
    " interval_s INTEGER NOT NULL CHECK (interval_s > 0),"
    " auth INTEGER NOT NULL,"
    " username TEXT,"
    " secret BLOB,"
    " paused INTEGER NOT NULL DEFAULT 0,"
    " created INTEGER NOT NULL,"
    " last_run INTEGER NOT NULL DEFAULT 0,"
    " last_ok INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT,"
    " last_objects INTEGER NOT NULL DEFAULT 0,"
    " runs INTEGER NOT NULL DEFAULT 0,"
    " failures INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;";
