/* migration_3_stix.c — schema step 3: STIX 2.1 objects kept verbatim, every version.
 *
 * Why it looks like this:
 * - stix_objects has one row per version. A version is (id, vkey) where vkey
 *   is `modified`, else `created`, else 0 (SCOs have no version timestamps
 *   and so one version). The unique index on it is also what makes a resent
 *   object a duplicate instead of an error.
 * - date_added is the node's own clock in µs, strictly increasing (the store
 *   assigns max(now, last + 1) inside the write transaction): TAXII orders
 *   and pages by it, so it must never tie and never go back.
 * - is_first / is_last are kept on insert and delete, so that TAXII's default
 *   "latest version only" is a plain row filter on the date_added scan rather
 *   than a grouping over the whole table.
 * - event_ref ties each object to the event it arrived in; the event's ACL is
 *   the object's ACL, and deleting the event deletes its objects.
 * - json is the object's own text, whitespace outside strings removed, with
 *   every property (custom ones included) and number exactly as received.
 * - stix_ind_map links an indicator object version to the kz indicators made
 *   from its pattern (export skips those; sightings find them);
 *   stix_identities links identity objects to the organisations they became.
 */
#include "store_int.h"

const char kz__migration_3_stix[] =
    "CREATE TABLE stix_objects("
    " seq INTEGER PRIMARY KEY,"
    " id TEXT NOT NULL,"
    " type TEXT NOT NULL,"
    " spec_version TEXT NOT NULL,"
    " created INTEGER NOT NULL DEFAULT 0,"
    " modified INTEGER NOT NULL DEFAULT 0,"
    " vkey INTEGER NOT NULL,"
    " date_added INTEGER NOT NULL,"
    " is_first INTEGER NOT NULL,"
    " is_last INTEGER NOT NULL,"
    " created_by_ref TEXT,"
    " tlp INTEGER NOT NULL CHECK (tlp BETWEEN 0 AND 4),"
    " owner_org TEXT NOT NULL,"
    " event_ref INTEGER REFERENCES events(seq) ON DELETE CASCADE,"
    " revoked INTEGER NOT NULL DEFAULT 0,"
    " json TEXT NOT NULL);"
    "CREATE UNIQUE INDEX stix_objects_added ON stix_objects(date_added);"
    "CREATE UNIQUE INDEX stix_objects_version ON stix_objects(id, vkey);"
    "CREATE INDEX stix_objects_type ON stix_objects(type, date_added);"
    "CREATE INDEX stix_objects_event ON stix_objects(event_ref) WHERE event_ref IS NOT NULL;"

    "CREATE TABLE stix_ind_map("
    " stix_seq INTEGER NOT NULL REFERENCES stix_objects(seq) ON DELETE CASCADE,"
    " ind_id TEXT NOT NULL,"
    " PRIMARY KEY (stix_seq, ind_id)) WITHOUT ROWID;"

    "CREATE TABLE stix_identities("
    " identity_id TEXT PRIMARY KEY,"
    " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE) WITHOUT ROWID;"
    "CREATE INDEX stix_identities_org ON stix_identities(org_id);";
