/* store.h — layer 2: the only way into persistent state.
 *
 * Callers never see SQL. sqlite.c implements this on an embedded SQLite file
 * (WAL, foreign keys, prepared statements, numbered migrations); a PostgreSQL
 * backend can implement the same functions without touching callers.
 *
 * A kz_store is one connection: use one per thread. Every function that writes
 * several rows does it in one transaction: all of it is stored or none.
 * Outputs are allocated in the caller's arena.
 */
#ifndef KZ_STORE_H
#define KZ_STORE_H

#include "model/model.h"

typedef struct kz_store kz_store;

/* Opens (creating if absent) and migrates the database. */
int kz_store_open(const char *path, kz_store **out, kz_err *err);
void kz_store_close(kz_store *st);
/* Migrations applied so far (the highest number). */
int kz_store_schema_version(kz_store *st);

/* Explicit transactions, for callers that combine several writes (the CLI
 * import, the demo seed). Calls nest: only the outermost commits. */
int kz_store_begin(kz_store *st, kz_err *err);
int kz_store_commit(kz_store *st, kz_err *err);
void kz_store_rollback(kz_store *st);

/* Speed over durability for one-off bulk loads (synchronous=OFF while held). */
void kz_store_bulk_mode(kz_store *st, bool on);

/* The node's 32-byte secret (keys API keys' hashes). It lives in a file next
 * to the database, "<path>.secret", mode 0600, created on first open, so a
 * copy of the database alone cannot be used to test guessed keys. */
int kz_store_node_secret(kz_store *st, uint8_t out[32], kz_err *err);

/* ---- node meta: small key/value settings (node name, secret key check) --- */
int kz_store_meta_get(kz_store *st, const char *key, kz_arena *a, char **value, kz_err *err);
int kz_store_meta_set(kz_store *st, const char *key, const char *value, kz_err *err);

/* ---- organisations ------------------------------------------------------ */
int kz_store_org_put(kz_store *st, const kz_org *org, kz_err *err); /* insert; 409 on same name */
int kz_store_org_update(kz_store *st, const kz_org *org, kz_err *err);
int kz_store_org_get(kz_store *st, const char *id, kz_arena *a, kz_org *out, kz_err *err);
int kz_store_org_find(kz_store *st, const char *name, kz_arena *a, kz_org *out, kz_err *err);
int kz_store_org_list(kz_store *st, kz_arena *a, kz_org **out, size_t *n, kz_err *err);
/* 409 while users or events still belong to it. */
int kz_store_org_delete(kz_store *st, const char *id, kz_err *err);

/* ---- users and keys ----------------------------------------------------- */
int kz_store_user_put(kz_store *st, const kz_user *u, kz_err *err); /* 409 on same e-mail */
int kz_store_user_update(kz_store *st, const kz_user *u, kz_err *err);
int kz_store_user_get(kz_store *st, const char *id, kz_arena *a, kz_user *out, kz_err *err);
int kz_store_user_find_email(kz_store *st, const char *email, kz_arena *a, kz_user *out, kz_err *err);
/* org_id NULL = all orgs. */
int kz_store_user_list(kz_store *st, const char *org_id, kz_arena *a, kz_user **out, size_t *n,
                       kz_err *err);
int kz_store_user_delete(kz_store *st, const char *id, kz_err *err); /* also revokes its keys */

int kz_store_key_put(kz_store *st, const kz_api_key *k, kz_err *err);
/* Finds an active (not revoked, not expired at `now`) key by its hash. The
 * caller compares the hash again in constant time. */
int kz_store_key_find(kz_store *st, const uint8_t hash[32], kz_time now, kz_arena *a,
                      kz_api_key *out, kz_err *err);
int kz_store_key_get(kz_store *st, const char *id, kz_arena *a, kz_api_key *out, kz_err *err);
int kz_store_key_list(kz_store *st, const char *user_id, kz_arena *a, kz_api_key **out, size_t *n,
                      kz_err *err);
int kz_store_key_revoke(kz_store *st, const char *id, kz_time when, kz_err *err);
int kz_store_key_touch(kz_store *st, const char *id, kz_time when, kz_err *err);

/* ---- communities and sharing groups ------------------------------------- */
int kz_store_community_put(kz_store *st, const kz_community *c, kz_err *err); /* with members */
int kz_store_community_get(kz_store *st, const char *id, kz_arena *a, kz_community *out, kz_err *err);
int kz_store_community_find(kz_store *st, const char *name, kz_arena *a, kz_community *out,
                            kz_err *err);
int kz_store_community_list(kz_store *st, kz_arena *a, kz_community **out, size_t *n, kz_err *err);
int kz_store_community_add_member(kz_store *st, const char *community_id, const char *org_id,
                                  kz_err *err);
int kz_store_community_remove_member(kz_store *st, const char *community_id, const char *org_id,
                                     kz_err *err);
/* Communities org_id is a member of. */
int kz_store_org_communities(kz_store *st, const char *org_id, kz_arena *a, kz_strlist *out,
                             kz_err *err);

int kz_store_sharing_group_put(kz_store *st, const kz_sharing_group *g, kz_err *err);
int kz_store_sharing_group_get(kz_store *st, const char *id, kz_arena *a, kz_sharing_group *out,
                               kz_err *err);
int kz_store_sharing_group_list(kz_store *st, kz_arena *a, kz_sharing_group **out, size_t *n,
                                kz_err *err);

/* Fills who->communities and who->connected_communities for who->org_id. */
int kz_store_principal_load(kz_store *st, kz_principal *who, kz_arena *a, kz_err *err);
/* Fills the parts of an access object that live in other tables (creator
 * communities, sharing group members) for an event. */
int kz_store_acl_object_load(kz_store *st, const kz_event *ev, kz_arena *a, kz_acl_object *out,
                             kz_err *err);

/* ---- events and indicators ---------------------------------------------- */
/* Inserts an event with all its indicators in one transaction. */
int kz_store_event_put(kz_store *st, const kz_event *ev, kz_err *err);
/* Updates the event's own fields (not its indicators); bumps modified. */
int kz_store_event_update(kz_store *st, const kz_event *ev, kz_err *err);
/* with_indicators: also load indicators (not deleted ones). */
int kz_store_event_get(kz_store *st, const char *id, bool with_indicators, kz_arena *a,
                       kz_event *out, kz_err *err);
int kz_store_event_delete(kz_store *st, const char *id, kz_err *err); /* and its indicators */
int kz_store_event_publish(kz_store *st, const char *id, kz_time when, kz_err *err);

typedef struct kz_event_filter {
    const char *creator_org; /* NULL = any */
    int published;           /* -1 any, 0, 1 */
    kz_time since, until;    /* on modified; 0 = open */
    const char *tag;
    /* Keyset pagination: events with (modified, id) < (after_time, after_id),
     * newest first. after_id "" = from the start. */
    kz_time after_time;
    const char *after_id;
    size_t limit;
} kz_event_filter;
int kz_store_event_list(kz_store *st, const kz_event_filter *f, kz_arena *a, kz_event **out,
                        size_t *n, kz_err *err);

/* Adds indicators to an existing event in one transaction (ids pre-filled). */
int kz_store_indicators_add(kz_store *st, const char *event_id, const kz_indicator *inds, size_t n,
                            kz_err *err);
int kz_store_indicator_get(kz_store *st, const char *id, kz_arena *a, kz_indicator *out,
                           kz_err *err);
int kz_store_indicator_update(kz_store *st, const kz_indicator *ind, kz_err *err);
int kz_store_indicator_delete(kz_store *st, const char *id, kz_err *err);

/* ---- search ------------------------------------------------------------- */
typedef struct kz_search_query {
    const char *value;      /* exact normalised value; NULL = any */
    int type;               /* kz_ioc_type or -1 */
    bool has_ip;            /* IPs equal to / inside ip/prefix, and CIDRs containing ip */
    kz_ip ip;
    int prefix128;          /* 128 for a single address */
    const char *domain;     /* normalised domain: it and its subdomains (domain, hostname, url host) */
    const char *tag;        /* on the indicator or its event */
    const char *org_id;     /* creator org */
    const char *country;    /* creator org's country */
    int tlp;                /* exact effective TLP, -1 any */
    int published;          /* -1 any */
    int to_ids;             /* -1 any */
    kz_time since, until;   /* indicator created; 0 = open */
    /* Keyset: results ordered by the indicator's row sequence, ascending; only
     * rows after after_seq. Rows added later get higher sequences, so paging
     * stays correct while data is being added. */
    int64_t after_seq;
    size_t limit;
} kz_search_query;

/* One search hit: the indicator plus what the ACL needs about its event. */
typedef struct kz_search_hit {
    int64_t seq;
    kz_indicator ind;
    kz_event event; /* fields only, no indicators */
} kz_search_hit;

int kz_store_search(kz_store *st, const kz_search_query *q, kz_arena *a, kz_search_hit **out,
                    size_t *n, kz_err *err);

/* ---- sightings ---------------------------------------------------------- */
int kz_store_sighting_put(kz_store *st, const kz_sighting *s, kz_err *err);
int kz_store_sighting_list(kz_store *st, const char *indicator_id, kz_arena *a, kz_sighting **out,
                           size_t *n, kz_err *err);

/* ---- deletions (for federation) ----------------------------------------- */
/* Deleting an event or indicator leaves a tombstone. Events deleted with
 * their indicators leave one tombstone (the event's), not one per indicator. */
typedef struct kz_tombstone {
    int64_t seq;       /* increasing; page with after_seq */
    char *type;        /* "event" or "indicator" */
    kz_uuid id;
    kz_time deleted_at;
} kz_tombstone;
/* Tombstones with seq > after_seq, oldest first; limit 0 = 1000. */
int kz_store_tombstones(kz_store *st, int64_t after_seq, size_t limit, kz_arena *a,
                        kz_tombstone **out, size_t *n, kz_err *err);

#endif
