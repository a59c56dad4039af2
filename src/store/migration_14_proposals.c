/* migration_14_proposals.c — schema step 14: federation hardening and
 * proposals (docs/federation.md).
 *
 * Why it looks like this:
 * - sync_peers.relay: only a peer the operator marked as a hub may introduce
 *   the keys of third-party orgs (trust on first use, narrowed); off by
 *   default, so a plain peer speaks for its own org and nothing else.
 * - proposals: an org that is not an event's creator proposes a new
 *   indicator, or a change or deletion of one (MISP's shadow attributes).
 *   A proposal lives on the proposer's node and on the creator's node (it
 *   travels there signed); only the creator org accepts or discards it, and
 *   an accepted proposal becomes an ordinary indicator write by the creator.
 *   The proposal keeps the event and indicator ids, not row numbers, so it
 *   survives the event being replaced whole by a newer received version.
 */
#include "store_int.h"

const char kz__migration_14_proposals[] =
    "ALTER TABLE sync_peers ADD COLUMN relay INTEGER NOT NULL DEFAULT 0;"

    "CREATE TABLE proposals("
    " id TEXT PRIMARY KEY,"
    " event_id TEXT NOT NULL,"
    " creator_org TEXT NOT NULL,"
    " indicator_id TEXT,"
    " action TEXT NOT NULL CHECK (action IN ('add', 'change', 'delete')),"
    " org_id TEXT NOT NULL,"
    " type TEXT,"
    " value TEXT,"
    " to_ids INTEGER,"
    " comment TEXT,"
    " status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'discarded')),"
    " created INTEGER NOT NULL,"
    " modified INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX proposals_event ON proposals(event_id, created);"
    "CREATE INDEX proposals_creator ON proposals(creator_org, status);";
