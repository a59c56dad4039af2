/* migration_6_changes.c — schema step 6: the change log.
 *
 * Federation (peer change feeds), the event stream and webhooks all need the
 * same thing: "what changed after position N", in commit order, with nothing
 * missed. Triggers write it, so no write path can forget to: events (insert,
 * update — every indicator write touches its event — and delete) and
 * sightings. Other tables (cases, ...) call kz_store_change_note().
 *
 * Why it looks like this:
 * - seq is AUTOINCREMENT so a position is never reused, even after the
 *   newest rows are pruned; readers keep it as their cursor.
 * - One row per touch, not per indicator: a million-indicator import adds a
 *   handful of rows, and readers fold repeats of one object within a page.
 * - at is microseconds since the epoch, like every time in the store.
 */
#include "store_int.h"

#define KZ_NOW_US "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)"

const char kz__migration_6_changes[] =
    "CREATE TABLE changes("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " kind TEXT NOT NULL,"
    " object_id TEXT NOT NULL,"
    " op TEXT NOT NULL,"
    " at INTEGER NOT NULL);"
    "CREATE TRIGGER changes_event_insert AFTER INSERT ON events BEGIN"
    " INSERT INTO changes(kind, object_id, op, at)"
    " VALUES ('event', NEW.id, CASE WHEN NEW.published THEN 'publish' ELSE 'put' END, " KZ_NOW_US ");"
    " END;"
    "CREATE TRIGGER changes_event_update AFTER UPDATE ON events BEGIN"
    " INSERT INTO changes(kind, object_id, op, at)"
    " VALUES ('event', NEW.id,"
    "  CASE WHEN NEW.published AND NOT OLD.published THEN 'publish' ELSE 'put' END, " KZ_NOW_US ");"
    " END;"
    "CREATE TRIGGER changes_event_delete AFTER DELETE ON events BEGIN"
    " INSERT INTO changes(kind, object_id, op, at) VALUES ('event', OLD.id, 'delete', " KZ_NOW_US ");"
    " END;"
    "CREATE TRIGGER changes_sighting_insert AFTER INSERT ON sightings BEGIN"
    " INSERT INTO changes(kind, object_id, op, at) VALUES ('sighting', NEW.id, 'put', " KZ_NOW_US ");"
    " END;";
