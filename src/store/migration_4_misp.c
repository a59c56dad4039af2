/* migration_4_misp.c — schema step 4: what a MISP event keeps beyond the
 * model, so that import -> export gives back every attribute, tag and object.
 *
 * - indicators.misp_*: the attribute's MISP type and category, its object
 *   and object_relation, the value as MISP wrote it, and flags (bit 0:
 *   disable_correlation). Columns on the row (not a side table) so they go
 *   wherever the indicator goes, and so a deleted indicator can never leave
 *   metadata behind for a later row. NULL means "the default": misp_type
 *   NULL is the default MISP type of the indicator's type, misp_category
 *   NULL that type's default category, misp_value NULL the value as the
 *   export writes it. Native indicators therefore cost nothing here.
 * - misp_events: per event, the creator org as MISP names it (Orgc), the
 *   event date, the TLP / PAP tags as spelled in the source ("tlp:white"),
 *   whether the TLP was implied (no tag) rather than given, and the MISP
 *   timestamp it was imported at (src_modified), which decides whether a
 *   later copy of the event is newer, whatever local edits did to modified.
 * - misp_objects, misp_object_refs: MISP objects (named groups of
 *   attributes) and their relations, ordered as in the source.
 * - misp_attachments: base64 payloads of attachment / malware-sample
 *   attributes, apart from the indicator rows so scans never read them.
 * - misp_feeds: for each feed (a directory or URL), the MISP timestamp of
 *   each event last imported from it: a feed import only fetches events
 *   whose manifest timestamp is newer.
 * Everything hangs off events(seq) with ON DELETE CASCADE: deleting an event
 * (one row) removes its MISP rows, and no per-indicator cascade is added to
 * the indicators table.
 */
#include "store_int.h"

const char kz__migration_4_misp[] =
    "ALTER TABLE indicators ADD COLUMN misp_type TEXT;"
    "ALTER TABLE indicators ADD COLUMN misp_category TEXT;"
    "ALTER TABLE indicators ADD COLUMN misp_object INTEGER;"
    "ALTER TABLE indicators ADD COLUMN misp_relation TEXT;"
    "ALTER TABLE indicators ADD COLUMN misp_value TEXT;"
    "ALTER TABLE indicators ADD COLUMN misp_flags INTEGER NOT NULL DEFAULT 0;"

    "CREATE TABLE misp_events("
    " event INTEGER PRIMARY KEY REFERENCES events(seq) ON DELETE CASCADE,"
    " orgc TEXT,"
    " orgc_name TEXT,"
    " date TEXT,"
    " tlp_tag TEXT,"
    " pap_tag TEXT,"
    " flags INTEGER NOT NULL DEFAULT 0,"
    " extends_uuid TEXT,"
    " src_modified INTEGER NOT NULL DEFAULT 0);"

    "CREATE TABLE misp_objects("
    " seq INTEGER PRIMARY KEY,"
    " event_ref INTEGER NOT NULL REFERENCES events(seq) ON DELETE CASCADE,"
    " pos INTEGER NOT NULL,"
    " uuid TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " meta_category TEXT,"
    " description TEXT,"
    " template_uuid TEXT,"
    " template_version TEXT,"
    " comment TEXT,"
    " distribution INTEGER,"
    " timestamp INTEGER NOT NULL DEFAULT 0,"
    " first_seen INTEGER NOT NULL DEFAULT 0,"
    " last_seen INTEGER NOT NULL DEFAULT 0,"
    " deleted INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX misp_objects_event ON misp_objects(event_ref, pos);"

    "CREATE TABLE misp_object_refs("
    " obj INTEGER NOT NULL REFERENCES misp_objects(seq) ON DELETE CASCADE,"
    " pos INTEGER NOT NULL,"
    " uuid TEXT,"
    " referenced_uuid TEXT NOT NULL,"
    " relationship_type TEXT NOT NULL,"
    " comment TEXT,"
    " timestamp INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (obj, pos)) WITHOUT ROWID;"

    "CREATE TABLE misp_attachments("
    " ind_id TEXT PRIMARY KEY,"
    " event_ref INTEGER NOT NULL REFERENCES events(seq) ON DELETE CASCADE,"
    " data TEXT NOT NULL);"
    "CREATE INDEX misp_attachments_event ON misp_attachments(event_ref);"

    "CREATE TABLE misp_feeds("
    " feed TEXT NOT NULL,"
    " event_uuid TEXT NOT NULL,"
    " timestamp INTEGER NOT NULL,"
    " PRIMARY KEY (feed, event_uuid)) WITHOUT ROWID;";
