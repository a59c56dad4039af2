/* migration_7_sync.c — schema step 7: federation (src/sync, store/sync_*.c).
 *
 * Why it looks like this:
 * - sync_peers holds what the operator configured about each peer node plus
 *   the two cursors; the API key this node uses at the peer is sealed with a
 *   key derived from the node secret (crypto_secretbox), so a copy of the
 *   database alone does not give access to the peer.
 * - sync_org_keys is both "known node keys" and "home node of an org": an
 *   org listed there belongs to the node holding that key, and only that
 *   node's signature may create, change or delete its objects here. Orgs
 *   not listed are homed on this node. introduced_by names the peer that
 *   first relayed the key (NULL: the operator, out of band).
 * - sync_envelopes keeps each received signed envelope as received
 *   (zlib-compressed JSON), by object id and version, so this node can relay
 *   it to a third node that checks the creator's signature itself. Only the
 *   newest version of an object is kept.
 * - sync_sent remembers which events went to which peer (and their creator),
 *   so a later deletion or revocation reaches exactly the peers that could
 *   have had the object, even once the event itself is gone.
 * - sync_batches logs the digest of every batch applied, per sender: a
 *   replayed batch is recognised and changes nothing.
 */
#include "store_int.h"

const char kz__migration_7_sync[] =
    "CREATE TABLE sync_peers("
    " id TEXT PRIMARY KEY,"
    " name TEXT NOT NULL COLLATE NOCASE UNIQUE,"
    " url TEXT NOT NULL,"
    " org_id TEXT NOT NULL REFERENCES orgs(id),"
    " public_key BLOB NOT NULL CHECK (length(public_key) = 32),"
    " direction INTEGER NOT NULL CHECK (direction BETWEEN 1 AND 3),"
    " paused INTEGER NOT NULL DEFAULT 0,"
    " tlp_ceiling INTEGER NOT NULL CHECK (tlp_ceiling BETWEEN 0 AND 4),"
    " published_only INTEGER NOT NULL DEFAULT 1,"
    " filter_tags TEXT NOT NULL DEFAULT '',"
    " filter_types TEXT NOT NULL DEFAULT '',"
    " filter_orgs TEXT NOT NULL DEFAULT '',"
    " api_key_sealed BLOB,"
    " pull_interval INTEGER NOT NULL DEFAULT 0,"
    " pulled_cursor INTEGER NOT NULL DEFAULT 0,"
    " pushed_cursor INTEGER NOT NULL DEFAULT 0,"
    " last_sync INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT,"
    " created INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX sync_peers_org ON sync_peers(org_id);"

    "CREATE TABLE sync_org_keys("
    " org_id TEXT PRIMARY KEY,"
    " public_key BLOB NOT NULL CHECK (length(public_key) = 32),"
    " introduced_by TEXT,"
    " created INTEGER NOT NULL) WITHOUT ROWID;"

    "CREATE TABLE sync_envelopes("
    " object_id TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " kind TEXT NOT NULL,"
    " signer_fp TEXT NOT NULL,"
    " body BLOB NOT NULL,"
    " received INTEGER NOT NULL,"
    " PRIMARY KEY (object_id, version)) WITHOUT ROWID;"

    "CREATE TABLE sync_sent("
    " peer_id TEXT NOT NULL REFERENCES sync_peers(id) ON DELETE CASCADE,"
    " object_id TEXT NOT NULL,"
    " creator_org TEXT NOT NULL,"
    " PRIMARY KEY (peer_id, object_id)) WITHOUT ROWID;"

    "CREATE TABLE sync_batches("
    " from_node TEXT NOT NULL,"
    " digest BLOB NOT NULL,"
    " cursor INTEGER NOT NULL,"
    " objects INTEGER NOT NULL,"
    " applied INTEGER NOT NULL,"
    " PRIMARY KEY (from_node, digest)) WITHOUT ROWID;";
