/* migration_11_audit.c — schema step 11: the hash-chained audit log.
 *
 * Why it looks like this:
 * - seq is assigned by the writer as the previous seq + 1 (not
 *   AUTOINCREMENT), so a missing entry shows as a gap and the chain is
 *   checked in seq order.
 * - Each row keeps its predecessor's hash and its own (BLAKE2b-256 over
 *   prev_hash and the canonical entry, audit.c): editing, removing or
 *   reordering rows breaks the chain at the first entry touched.
 * - Triggers refuse UPDATE and DELETE, so no code path of the node can
 *   rewrite history by mistake; someone with the file can still drop them,
 *   which is what `kizuna audit verify` is for. The head (seq and hash of
 *   the newest entry) is also kept in meta, so cutting off the newest
 *   entries is noticed too.
 */
#include "store_int.h"

const char kz__migration_11_audit[] =
    "CREATE TABLE audit_log("
    " seq INTEGER PRIMARY KEY,"
    " at INTEGER NOT NULL,"
    " actor_user TEXT,"
    " actor_org TEXT,"
    " remote TEXT,"
    " action TEXT NOT NULL,"
    " object_type TEXT,"
    " object_id TEXT,"
    " tlp INTEGER NOT NULL,"
    " status INTEGER NOT NULL,"
    " prev_hash BLOB NOT NULL,"
    " hash BLOB NOT NULL);"
    "CREATE INDEX audit_log_at ON audit_log(at);"
    "CREATE INDEX audit_log_object ON audit_log(object_id);"
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN"
    " SELECT RAISE(ABORT, 'the audit log is append-only');"
    " END;"
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN"
    " SELECT RAISE(ABORT, 'the audit log is append-only');"
    " END;";
