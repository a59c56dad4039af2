/* migration_9_notify.c — schema step 9: points of contact and webhooks.
 *
 * Why it looks like this:
 * - contacts hang off their org and go with it (ON DELETE CASCADE): a
 *   directory entry of an org that is gone is worse than none.
 * - languages are kept comma-joined: they are validated BCP 47 tags (no
 *   commas possible) and only ever read whole.
 * - A webhook keeps its secret sealed under the node secret (secret_box),
 *   never in clear, and its own cursor into the change log, so a restart
 *   resumes where delivery stopped: at-least-once, never silently skipped.
 * - The delivery log is capped per webhook by the writer (webhooks.c).
 */
#include "store_int.h"

const char kz__migration_9_notify[] =
    "CREATE TABLE contacts("
    " id TEXT PRIMARY KEY,"
    " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL,"
    " phone TEXT,"
    " email TEXT,"
    " pgp_fingerprint TEXT,"
    " languages TEXT,"
    " timezone TEXT,"
    " escalation INTEGER NOT NULL,"
    " last_verified INTEGER NOT NULL,"
    " created INTEGER NOT NULL,"
    " modified INTEGER NOT NULL);"
    "CREATE INDEX contacts_org ON contacts(org_id, escalation);"
    "CREATE TABLE webhooks("
    " id TEXT PRIMARY KEY,"
    " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    " url TEXT NOT NULL,"
    " events TEXT NOT NULL,"
    " secret_box BLOB NOT NULL,"
    " active INTEGER NOT NULL,"
    " cursor INTEGER NOT NULL,"
    " failures INTEGER NOT NULL DEFAULT 0,"
    " next_attempt INTEGER NOT NULL DEFAULT 0,"
    " created_by TEXT,"
    " created INTEGER NOT NULL,"
    " modified INTEGER NOT NULL);"
    "CREATE INDEX webhooks_org ON webhooks(org_id);"
    "CREATE TABLE webhook_deliveries("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,"
    " change_seq INTEGER NOT NULL,"
    " kind TEXT NOT NULL,"
    " object_id TEXT NOT NULL,"
    " op TEXT NOT NULL,"
    " attempt INTEGER NOT NULL,"
    " status INTEGER NOT NULL,"
    " error TEXT,"
    " gave_up INTEGER NOT NULL,"
    " at INTEGER NOT NULL,"
    " duration_us INTEGER NOT NULL);"
    "CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(webhook_id, seq);";
