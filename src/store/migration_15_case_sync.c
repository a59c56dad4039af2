/* migration_15_case_sync.c — schema step 15: cases travel between nodes
 * (docs/federation.md, "Cases").
 *
 * Why it looks like this:
 * - cases.homed_here: a case belongs to the node where its lead org created
 *   it. A copy received from that node is 0 here: the API then records
 *   participants' work as signed actions for the home node instead of
 *   writing it, and refuses lead-only operations (409). Existing cases were
 *   all created here: default 1.
 * - case_actions: on a participant's node, the outbox of signed actions
 *   (accept, comment, task status, ...) waiting for the lead's node; on the
 *   home node, the record of each action received, applied or refused, so a
 *   replayed action changes nothing. The body is the action's canonical
 *   JSON (the sync layer reads and signs it), kept whole so the envelope
 *   can be rebuilt byte for byte.
 * - sync_org_placeholders: orgs a received case names (participants, task
 *   assignees) that this node knew nothing of get a placeholder org row,
 *   which the foreign keys need. An org without a home key counts as homed
 *   here (migration 7), and a placeholder is not: listed here, it stays an
 *   org of unknown home, so its own node's objects are still introduced or
 *   skipped as before rather than refused as forgeries of a local org, and
 *   this node never signs for it.
 */
#include "store_int.h"

const char kz__migration_15_case_sync[] =
    "ALTER TABLE cases ADD COLUMN homed_here INTEGER NOT NULL DEFAULT 1;"

    "CREATE TABLE case_actions("
    " id TEXT PRIMARY KEY,"
    " case_id TEXT NOT NULL,"
    " org_id TEXT NOT NULL,"
    " body TEXT NOT NULL,"
    " state TEXT NOT NULL CHECK (state IN ('outbox', 'applied', 'refused')),"
    " note TEXT,"
    " created INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX case_actions_case ON case_actions(case_id, created);"

    "CREATE TABLE sync_org_placeholders("
    " org_id TEXT PRIMARY KEY REFERENCES orgs(id),"
    " created INTEGER NOT NULL) WITHOUT ROWID;";
