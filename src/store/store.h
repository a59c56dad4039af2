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

#include <pthread.h>

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

/* For one-off bulk loads: a larger page cache while held; durability as
 * always (synchronous=NORMAL). */
void kz_store_bulk_mode(kz_store *st, bool on);
/* A connection of a background thread that reads a little at a time (a
 * webhook worker): a 2 MiB page cache instead of the default, so many of
 * them stay small. */
void kz_store_small_cache(kz_store *st);
/* WAL checkpoints on a thread of their own (checkpointer.c): connections
 * handed to it with kz_store_checkpoint_by no longer copy the log into the
 * database inside a COMMIT. Stop it after closing those connections. A
 * commit that leaves the log past KZ_WAL_WAKE_PAGES pages (8 KiB) wakes it;
 * every other connection checkpoints inline past the same length (SQLite's
 * automatic checkpoint, set by kz_store_open; its default is 1,000). */
#define KZ_WAL_WAKE_PAGES 8000
typedef struct kz_checkpointer kz_checkpointer;
int kz_checkpointer_start(const char *path, kz_checkpointer **out, kz_err *err);
void kz_checkpointer_stop(kz_checkpointer *cp);
void kz_store_checkpoint_by(kz_store *st, kz_checkpointer *cp);
/* Checkpoints the thread has run (tests). */
size_t kz_checkpointer_runs(const kz_checkpointer *cp);
/* kz_store_begin for one large load into a node that has little in it yet:
 * in bulk mode, when no other connection has the database open, the
 * transaction runs with a rollback journal and an exclusive lock instead of
 * WAL (each new page is written once, not to the WAL and again at the
 * checkpoint); WAL is back once it commits or rolls back. Otherwise, and
 * when nested, it is kz_store_begin. */
int kz_store_begin_bulk(kz_store *st, kz_err *err);
/* How many transactions kz_store_begin_bulk ran with a rollback journal (tests
 * check which path a load took). */
extern _Atomic size_t kz__store_rollback_loads;

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
/* Sets last_used. Never waits for the write lock: fails at once (busy) when
 * another writer holds it, so a request is not held up for bookkeeping. */
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

/* ---- hardening: paged sightings (sightings.c), narrowed indicator markings
 * (indicators_narrow.c) ------------------------------------------------- */

/* One page of an indicator's sightings, ordered by (time, row sequence):
 * the rows after the position (after_time, after_seq) — (INT64_MIN, 0)
 * starts at the beginning — at most limit (1..1000; kz_store_sighting_list
 * is every row). *more tells whether rows follow; *last_time / *last_seq
 * get the position of the last row returned, for the next page. */
int kz_store_sighting_page(kz_store *st, const char *indicator_id, kz_time after_time,
                           int64_t after_seq, size_t limit, kz_arena *a, kz_sighting **out,
                           size_t *n, bool *more, kz_time *last_time, int64_t *last_seq,
                           kz_err *err);

/* Returns to "inherit" (NULL) the TLP and distribution of the event's
 * indicators that are looser than the event's own (after the event was made
 * stricter), bumping their modified time; *changed (may be NULL) gets the
 * number of indicators changed. Joins the caller's transaction. */
int kz_store_indicators_narrow(kz_store *st, const char *event_id, size_t *changed, kz_err *err);

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

/* ---- change log (changes.c, migration_6_changes.c) -----------------------
 * Every write to an event (its indicators included: they touch the event),
 * every deletion and every new sighting appends a row, in commit order, by
 * trigger. Federation feeds, the event stream and webhooks page through it
 * with a seq cursor. A page may name one object several times; readers fold.
 * kind: "event", "sighting", or what kz_store_change_note() was given
 * ("case", ...); op: "put", "publish", "delete". */
typedef struct kz_change {
    int64_t seq;
    char *kind;
    char *object_id;
    char *op;
    kz_time at;
} kz_change;
/* Rows with seq > after_seq, oldest first; limit 0 = 1000. */
int kz_store_changes(kz_store *st, int64_t after_seq, size_t limit, kz_arena *a, kz_change **out,
                     size_t *n, kz_err *err);
/* The newest seq (0 when empty). */
int kz_store_changes_head(kz_store *st, int64_t *seq, kz_err *err);
/* Appends a row for an object without a trigger (cases, ...). Joins the
 * caller's transaction, so the note commits with the write it records. */
int kz_store_change_note(kz_store *st, const char *kind, const char *object_id, const char *op,
                         kz_err *err);

/* ---- match engine: the feed an index is compiled from (scan.c), warninglist
 * flags (wl_flag.c) and aggregated sweep sightings (sightings_agg.c) ------- */

/* An event as the index compiler needs it: its fields, tags and recipients,
 * and an access object ready for kz_acl_indicator_allows (creator
 * communities and sharing group members loaded). */
typedef struct kz_feed_event {
    int64_t seq;
    kz_event ev;          /* no indicators */
    kz_acl_object acl;    /* points into ev and the scan's memory */
    const char *tags;     /* ev.tags comma-joined, NULL when none */
    size_t ordinal;       /* 0 .. n_events-1, for per-event caches */
} kz_feed_event;

/* One to_ids, not deleted indicator. Everything points into the scan's
 * memory and is valid only during the callback. */
typedef struct kz_feed_row {
    int64_t seq;
    const char *id;
    kz_ioc_type type;
    const char *value;       /* normalised */
    int tlp, distribution;   /* the indicator's own, -1 = inherit */
    const char *tags;        /* comma-joined, NULL when none */
    const char *warninglist; /* NULL unless flagged */
    const kz_feed_event *event;
} kz_feed_row;

/* Called for each row; a non-zero return stops the scan and is returned. */
typedef int (*kz_feed_fn)(void *ctx, const kz_feed_row *row, kz_err *err);

/* Streams every to_ids, not deleted indicator with seq > after_seq in seq
 * order (at most limit rows; 0 = all), from one read snapshot. *n_events (if
 * not NULL) gets the number of events, the bound of kz_feed_event.ordinal.
 * Streaming is the point: 1.6M rows take well under a second and no row is
 * kept after its callback. */
int kz_store_indicator_scan(kz_store *st, int64_t after_seq, size_t limit, kz_feed_fn fn,
                            void *ctx, size_t *n_events, kz_err *err);

/* A token that changes whenever something an index depends on may have
 * changed: indicators, events (their markings, recipients, publication),
 * deletions, communities and sharing groups. Cheap when nothing was written
 * since the last call on this connection (SQLite's data_version). */
int kz_store_match_fingerprint(kz_store *st, uint64_t *out, kz_err *err);

/* The warninglist check every indicator write applies (insert, update):
 * returns the name of the list a normalised value is on, or NULL. One for
 * the process, like configuration: set it before any store is used for
 * writing (serve, import); NULL removes it. Without a check, updates keep
 * the stored flag and inserts store none. */
typedef const char *(*kz_store_wl_check)(void *ctx, kz_ioc_type t, const char *value);
void kz_store_set_warninglist_check(kz_store_wl_check fn, void *ctx);
/* Applies the current check to every stored indicator (the lists changed
 * since they were written), in transactions of 10,000 rows; *changed (if not
 * NULL) gets how many flags were set, changed or cleared. Without a check it
 * does nothing. */
int kz_store_warninglist_refresh(kz_store *st, size_t *changed, kz_err *err);

/* Sightings a sweep reports, one row per indicator, reporting org, UTC day
 * and source; recording the same key again adds to its count (the row's time
 * becomes the latest time seen). */
typedef struct kz_sighting_agg {
    const char *indicator_id;
    const char *org_id;   /* the org that saw it; must exist */
    kz_time time;         /* when seen (the day is taken from it); 0 = now */
    int64_t count;        /* 1 .. 2^62 */
    const char *source;   /* required: "kizuna sweep", a sensor name; 1..255 bytes UTF-8 */
} kz_sighting_agg;
/* All rows in one transaction: stored all or none. Rows whose indicator no
 * longer exists (deleted since the index was built) are skipped. KZ_E_VALUE
 * naming "rows[i].field" for a bad row. */
int kz_store_sightings_aggregate(kz_store *st, const kz_sighting_agg *rows, size_t n,
                                 kz_err *err);

/* ---- MISP: what an imported MISP event keeps beyond the model, so that an
 * import -> export round trip gives back every attribute, tag and object
 * (misp_write.c, misp_read.c, misp_orgs.c, misp_feed.c, misp_scan.c).
 * formats/ fills and reads these structs; only the store persists them. ---- */

/* An organisation as MISP names it: by UUID (kizuna keeps that UUID as the
 * org's id), else by name. */
typedef struct kz_misp_org_ref {
    kz_uuid uuid; /* "" when the document gave none */
    char *name;   /* NULL when none */
} kz_misp_org_ref;

/* A relation from one MISP object to another object or attribute. */
typedef struct kz_misp_objref {
    char *uuid;              /* the reference's own UUID, NULL when none */
    char *referenced_uuid;   /* as given: MISP does not require UUID syntax */
    char *relationship_type;
    char *comment;
    kz_time timestamp;
} kz_misp_objref;

/* A MISP object: a named, templated group of attributes. */
typedef struct kz_misp_object {
    char *uuid; /* as given, 1..64 bytes */
    char *name;
    char *meta_category, *description, *template_uuid, *template_version, *comment;
    int distribution; /* 0-4, -1 = inherit (MISP's 5) */
    kz_time timestamp, first_seen, last_seen;
    bool deleted;
    kz_misp_objref *refs;
    size_t n_refs;
    int64_t seq; /* read: the object's row number, MISP's numeric id */
} kz_misp_object;

/* A MISP sighting of one attribute; s.indicator_id is the attribute's id,
 * s.org_id is filled by the store from org. */
typedef struct kz_misp_sighting {
    kz_sighting s;
    kz_misp_org_ref org;
} kz_misp_sighting;

/* MISP's view of ev.indicators[i]. */
typedef struct kz_misp_attr {
    const char *type;     /* MISP type ("ip-dst"); NULL = the default for the indicator's type */
    const char *category; /* NULL = the default category of the MISP type */
    long object;          /* index into kz_misp_event.objects, -1 = none */
    char *relation;       /* object_relation, NULL when none */
    char *value;          /* the value as MISP wrote it when the export of the
                           * normalised value would differ; NULL otherwise */
    char *data;           /* base64 payload (attachment, malware-sample), NULL */
    bool disable_correlation;
    int distribution;     /* as MISP gave it (0-5) when the indicator's own
                           * distribution differs from it (an object's level,
                           * a clamp); -1 otherwise */
    kz_misp_sighting *sightings;
    size_t n_sightings;
    int64_t seq;          /* read: the indicator's row number, MISP's numeric id */
    int64_t event_seq;    /* kz_store_misp_attr_get: its event's row number */
} kz_misp_attr;

/* A sharing group as MISP describes it inside an event. */
typedef struct kz_misp_sharing_group {
    kz_uuid uuid; /* "" when none: then owner + name identify it */
    char *name;
    char *description;
    kz_misp_org_ref owner;
    kz_misp_org_ref *members;
    size_t n_members;
} kz_misp_sharing_group;

/* Issue 6, import speed: an event whose attributes are still being parsed
 * (on another thread) while the store writes the ones that are done. The
 * parser appends to ev.indicators / attrs, which never move (room for
 * `expected` was reserved), and publishes how many are complete; it sets
 * objects, n_objects and warnings when done, and the store sets
 * ev.n_indicators from ready then. */
typedef struct kz_misp_progress {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t ready;         /* ev.indicators[0..ready) and attrs[0..ready) are complete */
    size_t expected;      /* room reserved in both arrays */
    bool done;            /* the parser finished; rc and err are its result */
    int rc;
    kz_err err;
    bool cancel;          /* set by the store when it gave up: the parser stops */
} kz_misp_progress;

typedef struct kz_misp_event {
    kz_misp_progress *progress; /* NULL: complete (the usual case) */
    kz_event ev;          /* with its indicators; ev.creator_org is set by the store */
    kz_misp_attr *attrs;  /* ev.n_indicators of them */
    kz_misp_object *objects;
    size_t n_objects;
    kz_misp_org_ref orgc; /* the creator as MISP names it */
    kz_misp_org_ref org;  /* the owner on the instance it came from (read: ev.creator_org) */
    kz_misp_sharing_group *sg; /* NULL unless ev.distribution is SHARING_GROUP */
    char date[11];        /* "YYYY-MM-DD", "" when none */
    char *tlp_tag;        /* the TLP tag as spelled in the source ("tlp:white"), NULL if none */
    char *pap_tag;
    bool tlp_implied;     /* no TLP tag: ev.tlp is the importer's default */
    bool disable_correlation;
    char *extends_uuid;
    int64_t seq;          /* read: the event's row number, MISP's numeric id */
    kz_strlist warnings;  /* import: values kept as text, markings clamped, ... */
} kz_misp_event;

typedef struct kz_misp_put_opts {
    const char *owner_org;  /* creator_org of the event; NULL = the org of orgc */
    const char *owner_user; /* creator_user; NULL = "" */
    bool create_orgs;       /* unknown orgs and sharing groups are created; else 422 */
    bool replace;           /* an event stored with an older modified time is replaced;
                             * else an existing id is a conflict */
} kz_misp_put_opts;

typedef enum { KZ_MISP_STORED, KZ_MISP_REPLACED, KZ_MISP_UNCHANGED } kz_misp_put_result;

/* Stores a MISP event, its indicators, objects, attachments and sightings in
 * one transaction (the caller may hold an outer one). Orgs (orgc, sightings,
 * sharing group members) are resolved by UUID and created when allowed;
 * me->ev.creator_org, the sighting org ids and ev.sharing_group_id are set.
 * With replace, an event already stored is replaced when me->ev.modified is
 * newer (indicators that disappeared leave tombstones, kept ones keep their
 * sightings) and left alone (KZ_MISP_UNCHANGED) otherwise. */
int kz_store_misp_event_put(kz_store *st, kz_misp_event *me, const kz_misp_put_opts *o,
                            kz_misp_put_result *res, kz_err *err);
/* The event (by id) with its visible-or-not indicators and all MISP data;
 * attrs[i].type / category are filled with the stored or the default
 * names. orgc / org carry ids (= MISP UUIDs) and names. */
int kz_store_misp_event_get(kz_store *st, const char *id, kz_arena *a, kz_misp_event *out,
                            kz_err *err);
/* The event id of a row number (MISP's numeric event id); KZ_E_NOTFOUND. */
int kz_store_misp_event_id(kz_store *st, int64_t seq, kz_uuid out, kz_err *err);
/* Row numbers of an event and an indicator (for MISP's numeric ids). */
int kz_store_misp_event_seq(kz_store *st, const char *id, int64_t *seq, kz_err *err);
/* MISP data of one indicator (by row number), and of its object (obj may be
 * NULL; obj->name is NULL when the attribute is in none). Its event's Orgc
 * id and name go to orgc (may be NULL). */
int kz_store_misp_attr_get(kz_store *st, int64_t ind_seq, kz_arena *a, kz_misp_attr *out,
                           kz_misp_object *obj, kz_misp_org_ref *orgc, kz_err *err);
/* Issue 6 (inline correlation counts): the ids of the event's indicators
 * marked disable_correlation (MISP), and whether the whole event is. */
int kz_store_misp_uncorrelated(kz_store *st, const char *event_id, kz_arena *a, kz_strlist *ids,
                               bool *whole_event, kz_err *err);
/* Issue 6, restSearch values MISP finds and exact search does not
 * (misp_value_search.c): with parts false, value is a MISP pattern ('%' any
 * run, '_' one character, ASCII case-insensitive, as MISP's LIKE); with
 * parts true, composite attributes one of whose parts equals value
 * (filename|hash, domain|ip, ip|port, typed-text "a|b"). Hits in seq order
 * after after_seq, at most limit; hit.event holds only the event's id. */
typedef struct kz_misp_value_query {
    const char *value;
    bool parts;
    bool names_only; /* only domain and hostname rows are wanted: a pattern
                      * ending in a domain is then a range on the domain index */
    int64_t after_seq;
    size_t limit;
} kz_misp_value_query;
int kz_store_misp_value_search(kz_store *st, const kz_misp_value_query *q, kz_arena *a,
                               kz_search_hit **out, size_t *n, kz_err *err);
/* An indicator's row number (MISP's numeric attribute id) and back. */
int kz_store_misp_indicator_seq(kz_store *st, const char *id, int64_t *seq, kz_err *err);
int kz_store_misp_indicator_id(kz_store *st, int64_t seq, kz_uuid out, kz_err *err);
/* How many live indicators of an event (by row number) who may see,
 * given the event's access object (which who must already be allowed). */
int kz_store_misp_attr_count(kz_store *st, int64_t event_seq, const kz_principal *who,
                             const kz_acl_object *obj, size_t *out, kz_err *err);
/* The Orgc of an event (by row number): id and name; "" / NULL when it has
 * no MISP data (then its creator org is its Orgc). */
int kz_store_misp_orgc(kz_store *st, int64_t event_seq, kz_arena *a, kz_misp_org_ref *out,
                       kz_err *err);
/* MISP's attribute types: all 194 of describeTypes (misp_types.c). */
#define KZ_MISP_ANY_IP (-2) /* ip-src, ip-dst: the value decides (ipv4, ipv6, cidr) */
typedef struct kz_misp_type_info {
    const char *name;
    int kz_type;          /* kz_ioc_type, or KZ_MISP_ANY_IP */
    const char *category; /* MISP's default category */
    bool to_ids;          /* MISP's default */
    bool lenient;         /* an invalid value is kept as typed text instead of refused */
} kz_misp_type_info;
/* By exact (case-sensitive) name; NULL if MISP has no such type. */
const kz_misp_type_info *kz_misp_type_find(const char *name);
/* The canonical spelling of one of MISP's 16 categories (exact match), or NULL. */
const char *kz_misp_category_find(const char *name);
/* The MISP type an indicator is exported as when it has none of its own
 * (ipv4 -> ip-dst, filename|hash -> filename|sha256 by the hash length, ...). */
const char *kz_misp_default_type(const kz_indicator *ind);

/* Finds the org a MISP reference names (by UUID, else by name), creating it
 * when create is set (id = the MISP UUID, or a name-based UUIDv5 when it has
 * none; a name taken by another org gets " (MISP xxxxxxxx)" appended). */
int kz_store_misp_org_resolve(kz_store *st, const kz_misp_org_ref *ref, bool create, kz_uuid out,
                              kz_err *err);
/* The same for a sharing group (members created as needed when create). */
int kz_store_misp_sharing_group_resolve(kz_store *st, const kz_misp_sharing_group *g, bool create,
                                        kz_uuid out, kz_err *err);

/* Feed state: the MISP timestamp (seconds) of an event last imported from
 * feed; KZ_E_NOTFOUND when never. */
int kz_store_misp_feed_get(kz_store *st, const char *feed, const char *event_uuid, int64_t *ts,
                           kz_err *err);
int kz_store_misp_feed_set(kz_store *st, const char *feed, const char *event_uuid, int64_t ts,
                           kz_err *err);

/* What an export keeps (misp_export_scan.c). Types are native or MISP
 * names ("ipv4", "ip-dst"); a MISP name matches the attribute's MISP type,
 * a native name the indicator's type. Tags match the indicator's or its
 * event's (TLP / PAP machine tags included). */
typedef struct kz_misp_filter {
    const kz_strlist *types;     /* any of them; NULL or empty = all */
    const kz_strlist *tags;      /* any of them; NULL or empty = all */
    int tlp_max;                 /* effective TLP at most this; -1 = no ceiling */
    bool to_ids_only;
    kz_time since;               /* indicator modified at or after; 0 = all */
    const kz_strlist *event_ids; /* only these events; NULL or empty = all */
} kz_misp_filter;
bool kz_misp_filter_match(const kz_misp_filter *f, const kz_event *ev, const kz_indicator *ind,
                          const kz_misp_attr *ma);
/* Whether the filter looks at indicators (then events left without any are
 * not exported). */
bool kz_misp_filter_on_indicators(const kz_misp_filter *f);

/* Calls fn with each event `who` may export, holding only the indicators
 * (and objects' attributes) the ACL (KZ_ACL_EXPORT) and the filter let
 * through; who NULL is the node operator, who may export everything except
 * TLP:RED, which never leaves in a bulk export. The event and its arena
 * live until fn returns. Events are read one at a time, newest first. */
typedef int (*kz_misp_event_fn)(void *ctx, kz_misp_event *me, kz_err *err);
int kz_store_misp_export_scan(kz_store *st, const kz_principal *who, const kz_misp_filter *f,
                              kz_misp_event_fn fn, void *ctx, kz_err *err);

/* Correlation input: every not deleted indicator of a type worth
 * correlating (not free text, not disable_correlation, event not
 * disable_correlation), with its event's id and creator org, in seq order.
 * Pointers are valid only during the callback. */
typedef struct kz_misp_corr_row {
    int64_t seq;
    const char *id;
    const char *event_id;
    const char *org_id;
    kz_ioc_type type;
    const char *value;
    int tlp, distribution; /* the indicator's own, -1 = its event's */
    kz_tlp event_tlp;
} kz_misp_corr_row;
typedef int (*kz_misp_corr_fn)(void *ctx, const kz_misp_corr_row *row, kz_err *err);
int kz_store_misp_corr_scan(kz_store *st, kz_misp_corr_fn fn, void *ctx, kz_err *err);

/* ---- STIX objects (stix_objects.c) ----------------------------------------
 * Every STIX 2.1 object the node received, one row per version, its text kept
 * verbatim (custom properties and custom objects included). A version is the
 * object's `modified`, else its `created`, else none (SCOs: one version).
 * TAXII serves from here: rows are ordered by date_added, the node's own µs
 * clock, strictly increasing, assigned when the row is stored. The ACL of an
 * object is that of its event (event_id), with its own TLP when stricter. */

typedef struct kz_stix_obj {
    int64_t seq;            /* row; keyset pages go by (date_added, seq) */
    char *id;               /* "indicator--<uuid>", as received */
    char *type;
    char *spec_version;     /* "2.1" */
    kz_time created;        /* 0 when the object has none (SCOs) */
    kz_time modified;       /* 0 when none (SCOs, marking definitions) */
    kz_time vkey;           /* modified, else created, else 0: with id, the version's key */
    kz_time date_added;     /* set by kz_store_stix_put */
    char *created_by_ref;   /* the creator identity; NULL when absent */
    kz_tlp tlp;             /* from object_marking_refs, else the importer's default */
    kz_uuid owner_org;      /* the org that brought it to this node */
    kz_uuid event_id;       /* the event it belongs to; "" = none */
    bool revoked;
    bool is_first, is_last; /* earliest / latest version of its id on this node */
    char *json;             /* the object's text; NUL-terminated when read back (put
                             * uses json_len and needs no NUL) */
    size_t json_len;
    /* Filled only by kz_store_stix_list with q->with_event: the event's
     * fields, tags and recipients (no indicators), for the ACL. */
    kz_event *event;
    /* kz_store_stix_put: what kz_store_stix_lookup said about this id in the
     * same transaction, with nothing of that id stored since; it saves the
     * second look-up on bulk imports. NULL = look it up. */
    const struct kz_stix_known *known;
    /* kz_store_stix_put: the kz indicators made from this version (stored
     * with the row, see kz_store_stix_map_indicators); NULL = none. */
    const kz_strlist *ind_ids;
} kz_stix_obj;

/* TAXII's version as a timestamp: vkey, or date_added for an object without
 * version timestamps (TAXII asks for a value "consistent to the server"). */
static inline kz_time kz_stix_obj_version(const kz_stix_obj *o)
{
    return o->vkey ? o->vkey : o->date_added;
}

typedef enum {
    KZ_STIX_STORED_NEW,     /* first version of this id on the node */
    KZ_STIX_STORED_VERSION, /* another version of a known id */
    KZ_STIX_DUPLICATE,      /* this (id, vkey) was already stored: skipped */
} kz_stix_put_status;

/* Stores n object versions in one transaction (all or none), in order:
 * seq, date_added, is_first, is_last are set on each; status[i] (may be
 * NULL) says what happened to objs[i]. A duplicate is skipped, not an error.
 * event_id "" stores the object without an event, unless other versions of
 * the same id have one: a new version joins the event of the latest. Checks
 * only what the schema needs (id, type, json, tlp, owner, event exists);
 * validating STIX is the caller's job (kz_stix_validate in formats). */
int kz_store_stix_put(kz_store *st, kz_stix_obj *objs, size_t n, kz_stix_put_status *status,
                      kz_err *err);

/* What the node holds of an id: *n_versions (0 = unknown), whether the
 * version vkey is among them, and the event of the latest version ("" when
 * none or unknown). */
typedef struct kz_stix_known {
    size_t n_versions;
    bool has_vkey;
    kz_time min_vkey, max_vkey;
    kz_uuid event_id;
} kz_stix_known;
int kz_store_stix_lookup(kz_store *st, const char *id, kz_time vkey, kz_stix_known *out,
                         kz_err *err);
/* Sets absent[i] when the node holds no version of ids[i], for all n ids in
 * a few statements: an import of new objects asks once, not once per
 * object. An id it cannot ask this way (one JSON would escape) stays
 * false: ask kz_store_stix_lookup. */
int kz_store_stix_absent(kz_store *st, const char *const *ids, size_t n, bool *absent,
                         kz_err *err);

/* Which versions of each object a query wants (TAXII match[version]). All
 * false with n_at 0 means last, TAXII's default. `at` are exact vkeys (for
 * an object without version timestamps TAXII's version is its date_added,
 * which matches too). */
typedef struct kz_stix_versions {
    bool all, first, last;
    const kz_time *at;
    size_t n_at;
} kz_stix_versions;

/* A listing, ascending by date_added. Set members (types, ids, spec
 * versions) are ORed, the filters ANDed, as TAXII's match[] are. */
typedef struct kz_stix_query {
    /* Keyset: only rows with (date_added, seq) > (after_added, after_seq).
     * TAXII's added_after=t is after_added t, after_seq INT64_MAX; a "next"
     * token is the last row's (date_added, seq). 0, 0 = from the start. */
    kz_time after_added;
    int64_t after_seq;
    const char *const *types;   /* n_types 0 = any */
    size_t n_types;
    const char *const *ids;     /* n_ids 0 = any */
    size_t n_ids;
    const char *const *spec_versions; /* n 0 = any (only "2.1" is ever stored) */
    size_t n_spec_versions;
    kz_stix_versions versions;
    int tlp_max;                /* only rows with tlp <= this; -1 = any */
    const char *owner_org;      /* NULL = any */
    const char *event_id;       /* NULL = any */
    size_t limit;               /* 1..10000; 0 = 1000 */
    bool meta_only;             /* leave json NULL (manifests) */
    bool with_event;            /* fill obj->event (one load per distinct event) */
} kz_stix_query;

/* *more is set when rows beyond the page match (TAXII's "more"). */
int kz_store_stix_list(kz_store *st, const kz_stix_query *q, kz_arena *a, kz_stix_obj **out,
                       size_t *n, bool *more, kz_err *err);
/* The versions of one object (v NULL = all), ascending by date_added;
 * KZ_E_NOTFOUND when there are none. */
int kz_store_stix_get(kz_store *st, const char *id, const kz_stix_versions *v, kz_arena *a,
                      kz_stix_obj **out, size_t *n, kz_err *err);
/* Deletes the versions of id that v selects (NULL = all) and whose
 * spec_version is listed (n 0 = any); the survivors' first/last flags are
 * fixed. *deleted (may be NULL) gets the count; 0 is not an error. */
int kz_store_stix_delete(kz_store *st, const char *id, const kz_stix_versions *v,
                         const char *const *spec_versions, size_t n_spec_versions,
                         size_t *deleted, kz_err *err);

/* Links an indicator object version (its row seq) to the kz indicators made
 * from its pattern. */
int kz_store_stix_map_indicators(kz_store *st, int64_t stix_seq, const kz_strlist *ind_ids,
                                 kz_err *err);
/* The kz indicators made from any version of a STIX indicator id. */
int kz_store_stix_indicators_of(kz_store *st, const char *stix_id, kz_arena *a, kz_strlist *out,
                                kz_err *err);
/* The kz indicators of an event that were made from its STIX objects. */
int kz_store_stix_event_mapped(kz_store *st, const char *event_id, kz_arena *a, kz_strlist *out,
                               kz_err *err);
/* STIX versions (stix_versions.c, migration 12): the kz indicators made from
 * any version of a STIX id that still exist, with their values, type and
 * event; what a newer version of the object updates or deletes. */
int kz_store_stix_indicators_live(kz_store *st, const char *stix_id, kz_arena *a,
                                  kz_indicator **out, size_t *n, kz_err *err);
/* Moves every version of a STIX object, and the live kz indicators made from
 * it, into another event (a newer report version that now claims it); both
 * events are touched. */
int kz_store_stix_move(kz_store *st, const char *stix_id, const char *event_id, kz_err *err);

/* An identity object's organisation: link (replacing any), and look up
 * (KZ_E_NOTFOUND without a message when unlinked). */
int kz_store_stix_identity_link(kz_store *st, const char *identity_id, const char *org_id,
                                kz_err *err);
int kz_store_stix_identity_org(kz_store *st, const char *identity_id, kz_uuid org_id,
                               kz_err *err);
/* Bulk load of STIX objects into an empty table (stix_objects.c), inside
 * the caller's transaction: drops the id index (and, when no
 * indicator is stored either, the indicators' value, address and domain
 * indexes) and lists in saved (from a) the SQL that makes them again;
 * saved->n == 0 when the table holds rows (nothing dropped). Until
 * kz_store_stix_bulk_end the caller must not look objects up by id
 * (kz_store_stix_put must be given o->known of a new id) nor indicators by
 * value, and must not put two rows of one (id, vkey): nothing else keeps
 * them apart (the store looks before it inserts, migration 16). A rollback
 * restores the schema. */
int kz_store_stix_bulk_begin(kz_store *st, kz_arena *a, kz_strlist *saved, kz_err *err);
int kz_store_stix_bulk_end(kz_store *st, const kz_strlist *saved, kz_err *err);

/* ---- TAXII 2.1 status resources (taxii_status.c) ---------------------------
 * The status of an Add Objects request, as its JSON text, readable by the
 * org that made it; kept a week (TAXII asks for at least 24 hours). */
int kz_store_taxii_status_put(kz_store *st, const char *id, const char *org_id, kz_time created,
                              const char *body, kz_err *err);
/* KZ_E_NOTFOUND when unknown or pruned. */
int kz_store_taxii_status_get(kz_store *st, const char *id, kz_arena *a, kz_uuid org_id,
                              char **body, kz_err *err);

/* ---- notifications: points of contact (contacts.c), webhooks (webhooks.c)
 * and the audit log (audit.c); schema in migration_9_notify.c and
 * migration_11_audit.c ---------------------------------------------------- */

/* One incident contact of an org (a desk or a person). Validation of the
 * values (phone, PGP fingerprint, BCP 47 tags, IANA zone) is the caller's. */
typedef struct kz_contact {
    kz_uuid id;
    kz_uuid org_id;
    char *name;
    char *phone;           /* 24/7, NULL = none */
    char *email;           /* 24/7, NULL = none */
    char *pgp_fingerprint; /* 40 upper-case hex digits, NULL = none */
    kz_strlist languages;  /* BCP 47 tags */
    char *timezone;        /* IANA name, NULL = none */
    int escalation;        /* 1 = call first */
    kz_time last_verified;
    kz_time created, modified;
} kz_contact;

typedef struct kz_contact_filter {
    const char *org_id;   /* NULL = any */
    const char *country;  /* the org's country (upper-case alpha-2), NULL = any */
    kz_time stale_before; /* > 0: only contacts last verified before this */
} kz_contact_filter;

int kz_store_contact_put(kz_store *st, const kz_contact *c, kz_err *err);
int kz_store_contact_update(kz_store *st, const kz_contact *c, kz_err *err);
int kz_store_contact_get(kz_store *st, const char *id, kz_arena *a, kz_contact *out, kz_err *err);
/* Ordered by org name, escalation, name (at most 10000). */
int kz_store_contact_list(kz_store *st, const kz_contact_filter *f, kz_arena *a, kz_contact **out,
                          size_t *n, kz_err *err);
int kz_store_contact_delete(kz_store *st, const char *id, kz_err *err);

/* A webhook of an org. The secret is kept sealed (secret_box: nonce, MAC
 * and ciphertext under a key derived from the node secret); the store never
 * sees it in clear. cursor is the change-log seq delivered up to. */
typedef struct kz_webhook {
    kz_uuid id;
    kz_uuid org_id;
    char *url;
    kz_strlist events;   /* "event", "sighting", "case" */
    uint8_t *secret_box;
    size_t secret_box_len;
    bool active;
    int64_t cursor;
    int failures;        /* consecutive failed attempts at the change after cursor */
    kz_time next_attempt;
    kz_uuid created_by;
    kz_time created, modified;
} kz_webhook;

int kz_store_webhook_put(kz_store *st, const kz_webhook *w, kz_err *err);
/* url, events, active (not the secret or the cursor); bumps modified. */
int kz_store_webhook_update(kz_store *st, const kz_webhook *w, kz_err *err);
int kz_store_webhook_get(kz_store *st, const char *id, kz_arena *a, kz_webhook *out, kz_err *err);
/* org_id NULL = every org's; active_only for the dispatcher. */
int kz_store_webhook_list(kz_store *st, const char *org_id, bool active_only, kz_arena *a,
                          kz_webhook **out, size_t *n, kz_err *err);
int kz_store_webhook_delete(kz_store *st, const char *id, kz_err *err);
/* The dispatcher's progress: cursor, failures and next attempt. */
int kz_store_webhook_progress(kz_store *st, const char *id, int64_t cursor, int failures,
                              kz_time next_attempt, kz_err *err);

typedef struct kz_webhook_delivery {
    int64_t seq;
    kz_uuid webhook_id;
    int64_t change_seq;
    char *kind, *object_id, *op;
    int attempt;        /* 1, 2, ... */
    int status;         /* HTTP status; 0 = no answer (error says why) */
    char *error;        /* NULL on success */
    bool gave_up;       /* the last attempt: the change was skipped */
    kz_time at;
    int64_t duration_us;
} kz_webhook_delivery;

/* Appends to the delivery log (keeps the newest 1000 per webhook). */
int kz_store_webhook_delivery_add(kz_store *st, const kz_webhook_delivery *d, kz_err *err);
/* Newest first, rows with seq < before_seq (0 = from the newest). */
int kz_store_webhook_deliveries(kz_store *st, const char *webhook_id, int64_t before_seq,
                                size_t limit, kz_arena *a, kz_webhook_delivery **out, size_t *n,
                                kz_err *err);
/* A sighting by id (for notifying about it). */
int kz_store_notify_sighting_get(kz_store *st, const char *id, kz_arena *a, kz_sighting *out,
                          kz_err *err);

/* One audit log entry. seq, prev_hash and hash are set by the store:
 * hash = BLAKE2b-256 keyed with the chain key (prev_hash || canonical
 * entry), see audit.c. */
typedef struct kz_audit_entry {
    int64_t seq;
    kz_time at;
    const char *actor_user; /* NULL = none (anonymous, CLI) */
    const char *actor_org;
    const char *remote;     /* client address */
    const char *action;     /* "read", or "POST /api/v1/events" */
    const char *object_type;
    const char *object_id;
    int tlp;                /* kz_tlp or -1 */
    int status;             /* HTTP status, 0 = none */
    uint8_t prev_hash[32];
    uint8_t hash[32];
} kz_audit_entry;

/* Appends entries in order in one transaction, chaining each to the last
 * (seq, prev_hash and hash are filled in e). */
int kz_store_audit_append(kz_store *st, kz_audit_entry *e, size_t n, kz_err *err);

typedef struct kz_audit_filter {
    kz_time since, until;   /* 0 = open */
    const char *actor_org, *actor_user, *action, *object_type, *object_id;
    int min_tlp;            /* -1 any */
    int64_t before_seq;     /* newest first, seq < before_seq; 0 = from the newest */
    size_t limit;
} kz_audit_filter;
int kz_store_audit_list(kz_store *st, const kz_audit_filter *f, kz_arena *a, kz_audit_entry **out,
                        size_t *n, kz_err *err);

/* The chain key, derived from the node secret (its own file, not the
 * database), and the keyed hash of an entry over prev_hash and its fields. */
int kz_store_audit_key(kz_store *st, uint8_t key[32], kz_err *err);
void kz_store_audit_mac(const uint8_t key[32], const kz_audit_entry *e, uint8_t out[32]);

/* Walks the whole chain. 0 when intact (*checked = entries); otherwise
 * KZ_E_VALUE, *bad_seq = the first entry that is missing, altered or out of
 * place, and err says which. */
int kz_store_audit_verify(kz_store *st, int64_t *checked, int64_t *bad_seq, kz_err *err);
/* Anchors: the newest entry as "seq:hash-hex" (seq 0 and zeros when empty),
 * to be recorded outside the node; and the check that the log still holds
 * that entry unchanged (KZ_E_VALUE when cut off or rewritten, KZ_E_INVALID
 * naming field "expect" for text that is not an anchor). */
#define KZ_AUDIT_ANCHOR_LEN (20 + 1 + 64)
int kz_store_audit_head_text(kz_store *st, char out[KZ_AUDIT_ANCHOR_LEN + 1], kz_err *err);
int kz_store_audit_anchor_check(kz_store *st, const char *anchor, kz_err *err);

/* ---- federation (store/sync_*.c, migration_7_sync.c; used by src/sync) ----
 * Peers, the node keys that may speak for each org (an org's home node),
 * envelopes kept as received for relaying, what went to which peer, the log
 * of applied batches, and the writes that store received objects with the
 * ids, times and creator of the node that made them. */
typedef enum { KZ_PEER_PULL = 1, KZ_PEER_PUSH = 2, KZ_PEER_BOTH = 3 } kz_peer_direction;

typedef struct kz_peer {
    kz_uuid id;
    char *name;
    char *url;               /* base URL of the peer node, https:// (http:// only to loopback) */
    kz_uuid org_id;          /* the peer node's org */
    uint8_t public_key[32];  /* verified out of band */
    kz_peer_direction direction;
    bool paused;
    kz_tlp tlp_ceiling;
    bool published_only;
    kz_strlist filter_tags;  /* send only events with one of these tags; empty = all */
    kz_strlist filter_types; /* indicator types; empty = all */
    kz_strlist filter_orgs;  /* creator orgs; empty = all */
    char *api_key;           /* the key this node uses at the peer; sealed at rest */
    int pull_interval;       /* seconds; 0 = no schedule */
    int64_t pulled_cursor;   /* the peer's change-log position we have applied */
    int64_t pushed_cursor;   /* our change-log position the peer has acknowledged */
    kz_time last_sync;
    char *last_error;
    bool relay;              /* a hub: may introduce keys of orgs whose events it relays */
} kz_peer;

/* Inserts a peer (id, name, url, org, key, direction, filters, api_key,
 * interval); the api_key is sealed with the node secret. 409 on a name
 * already used. */
int kz_store_peer_put(kz_store *st, const kz_peer *p, kz_err *err);
/* Peer by id or by name; KZ_E_NOTFOUND naming it. api_key is unsealed. */
int kz_store_peer_get(kz_store *st, const char *id_or_name, kz_arena *a, kz_peer *out,
                      kz_err *err);
/* The peer whose node is org_id (the caller of the sync routes). */
int kz_store_peer_by_org(kz_store *st, const char *org_id, kz_arena *a, kz_peer *out,
                         kz_err *err);
int kz_store_peer_list(kz_store *st, kz_arena *a, kz_peer **out, size_t *n, kz_err *err);
int kz_store_peer_delete(kz_store *st, const char *id, kz_err *err);
int kz_store_peer_set_paused(kz_store *st, const char *id, bool paused, kz_err *err);
/* Changes direction, pull interval (seconds) and TLP ceiling of a peer. */
int kz_store_peer_configure(kz_store *st, const char *id, kz_peer_direction direction,
                            int pull_interval, kz_tlp tlp_ceiling, kz_err *err);
/* Replaces the sealed API key used at the peer (NULL or "" removes it). */
int kz_store_peer_set_key(kz_store *st, const char *id, const char *api_key, kz_err *err);
/* Saves a cursor (pushed: our position the peer acknowledged; else the
 * peer's position we applied), sets last_sync and clears last_error. Joins
 * the caller's transaction, so a pulled page and its cursor commit together. */
int kz_store_peer_cursor(kz_store *st, const char *id, bool pushed, int64_t cursor,
                         kz_err *err);
/* Records a failed run (error NULL = none) at `when`. */
int kz_store_peer_status(kz_store *st, const char *id, kz_time when, const char *error,
                         kz_err *err);

/* The node key that speaks for an org here (its home node);
 * KZ_E_NOTFOUND (no message) when the org is homed on this node or unknown.
 * introduced_by (may be NULL) gets the peer id that relayed it, or NULL. */
int kz_store_org_key_get(kz_store *st, const char *org_id, uint8_t key[32], kz_arena *a,
                         char **introduced_by, kz_err *err);
/* Sets (inserting or replacing) the home key of an org. */
int kz_store_org_key_set(kz_store *st, const char *org_id, const uint8_t key[32],
                         const char *introduced_by, kz_err *err);
/* Marks a peer as a relay (hub) or not (migration_14_proposals.c). */
int kz_store_peer_set_relay(kz_store *st, const char *id, bool relay, kz_err *err);
/* A received sharing group held here is changed only by its owner's node:
 * name, description and members are replaced when g->modified is newer
 * than the stored copy (*changed true); the owner never changes.
 * KZ_E_NOTFOUND when the group is not here. */
int kz_store_sync_sharing_group_update(kz_store *st, const kz_sharing_group *g, bool *changed,
                                       kz_err *err);

/* Keeps an envelope's JSON text as received (stored compressed). Only the
 * newest version of an object is kept: an older or equal version is ignored
 * (*kept false), a newer one replaces what was there. kept may be NULL. */
int kz_store_envelope_keep(kz_store *st, const char *object_id, const char *kind,
                           int64_t version, const char *signer_fp, const char *json, size_t len,
                           bool *kept, kz_err *err);
/* The newest kept envelope of an object: its kind, version and text
 * (NUL-terminated, arena; json and len may be NULL to learn only kind and
 * version); KZ_E_NOTFOUND (no message) when none. */
int kz_store_envelope_get(kz_store *st, const char *object_id, kz_arena *a, char **kind,
                          int64_t *version, char **json, size_t *len, kz_err *err);

/* What went to which peer: marks, reads (creator org; KZ_E_NOTFOUND with no
 * message when never sent) and clears. */
int kz_store_sync_sent_mark(kz_store *st, const char *peer_id, const char *object_id,
                            const char *creator_org, kz_err *err);
int kz_store_sync_sent_get(kz_store *st, const char *peer_id, const char *object_id,
                           kz_uuid creator_org, kz_err *err);
int kz_store_sync_sent_clear(kz_store *st, const char *peer_id, const char *object_id,
                             kz_err *err);

/* Applied batches, by sender node id and BLAKE2b-256 of their objects. */
int kz_store_sync_batch_seen(kz_store *st, const char *from_node, const uint8_t digest[32],
                             bool *seen, kz_err *err);
int kz_store_sync_batch_log(kz_store *st, const char *from_node, const uint8_t digest[32],
                            int64_t cursor, size_t objects, kz_err *err);

/* Stores a received event whole, in one transaction (joins the caller's):
 * inserted or updated with exactly the given ids, times, creator and
 * fields; its indicators are inserted or updated, and its stored indicators
 * absent from ev->indicators are deleted (leaving tombstones). sg (may be
 * NULL) is created when this node does not have it (members that are not
 * known orgs here are left out); a group held here is never changed by an
 * event (see kz_store_sync_sharing_group_update). A stored event of another creator org is a
 * KZ_E_CONFLICT. Unknown recipient orgs and the community, when not known
 * here, are dropped by the caller. */
int kz_store_sync_event_put(kz_store *st, const kz_event *ev, const kz_sharing_group *sg,
                            kz_err *err);
/* Inserts or updates an org received from its home node, with its id and
 * times; a name taken by another org gets " (<first 8 of id>)" appended. */
int kz_store_sync_org_put(kz_store *st, const kz_org *org, kz_err *err);
/* Inserts a received sighting with its id: *stored false when that id is
 * already here; KZ_E_NOTFOUND when its indicator is not. */
int kz_store_sync_sighting_put(kz_store *st, const kz_sighting *s, bool *stored, kz_err *err);
/* A sighting by id and the event of its indicator. */
int kz_store_sync_sighting_get(kz_store *st, const char *id, kz_arena *a, kz_sighting *out,
                               kz_uuid event_id, kz_err *err);

/* ---- proposals (sync_proposals.c, migration_14_proposals.c) ---------------
 * An org that is not an event's creator proposes a new indicator or a
 * change or deletion of one (MISP's shadow attributes); the creator org
 * accepts or discards it. Proposals are immutable once made; status is the
 * deciding node's own bookkeeping. */
typedef struct kz_proposal {
    kz_uuid id;
    kz_uuid event_id;
    kz_uuid creator_org;  /* the event's creator: who decides */
    kz_uuid indicator_id; /* change, delete: the indicator; "" for add */
    char *action;         /* "add", "change" or "delete" */
    kz_uuid org_id;       /* the proposing org */
    int type;             /* kz_ioc_type for add/change; -1 for delete */
    char *value;          /* normalised; NULL for delete */
    bool to_ids;
    char *comment;        /* may be NULL */
    char *status;         /* "open", "accepted", "discarded" (read only) */
    kz_time created;
} kz_proposal;

/* Inserts a proposal with its id (status open); *stored false when that id
 * is already here. Notes it in the change log ("proposal", "put") in the
 * same transaction, so the feed carries it to the creator's node. */
int kz_store_proposal_put(kz_store *st, const kz_proposal *p, bool *stored, kz_err *err);
int kz_store_proposal_get(kz_store *st, const char *id, kz_arena *a, kz_proposal *out,
                          kz_err *err);
/* An event's proposals, oldest first; org_id (may be NULL) keeps only that
 * proposing org's. */
int kz_store_proposal_list(kz_store *st, const char *event_id, const char *org_id, kz_arena *a,
                           kz_proposal **out, size_t *n, kz_err *err);
/* open -> accepted | discarded; KZ_E_CONFLICT when it is not open. Joins
 * the caller's transaction. */
int kz_store_proposal_decide(kz_store *st, const char *id, const char *status, kz_err *err);

/* ---- TAXII sources (taxii_sources.c) ----------------------------------------
 * Collections of other TAXII 2.1 servers this node pulls on a schedule
 * (`kizuna taxii source`, run by `kizuna serve`). The credential is sealed
 * with a key derived from the node secret and only opened by
 * kz_store_taxii_source_secret; nothing else ever returns it. */
typedef enum { KZ_TAXII_AUTH_NONE, KZ_TAXII_AUTH_BEARER, KZ_TAXII_AUTH_BASIC } kz_taxii_auth;

typedef struct kz_taxii_source {
    kz_uuid id;
    char *name;           /* unique, case-insensitive */
    char *url;            /* the API root, ending in one '/' */
    char *collection;
    kz_uuid org_id;       /* the org the objects are attributed to */
    kz_tlp tlp;           /* for objects without a TLP marking */
    int64_t interval_s;   /* seconds between pulls, > 0 */
    kz_taxii_auth auth;
    char *username;       /* KZ_TAXII_AUTH_BASIC */
    bool has_secret;
    bool paused;
    kz_time created;
    kz_time last_run;     /* 0 = never */
    kz_time last_ok;      /* last run without error; 0 = never */
    char *last_error;     /* of the last run; NULL when it went well */
    int64_t last_objects; /* objects stored by the last run */
    int64_t runs, failures;
} kz_taxii_source;

/* Inserts s (id, created set by the caller) with its clear secret (NULL
 * for none; at most 4 KiB), sealed before it is written. 409 on the name. */
int kz_store_taxii_source_put(kz_store *st, const kz_taxii_source *s, const char *secret,
                              kz_err *err);
/* By id or by name; KZ_E_NOTFOUND naming it. */
int kz_store_taxii_source_get(kz_store *st, const char *id_or_name, kz_arena *a,
                              kz_taxii_source *out, kz_err *err);
/* All, by name. */
int kz_store_taxii_source_list(kz_store *st, kz_arena *a, kz_taxii_source **out, size_t *n,
                               kz_err *err);
int kz_store_taxii_source_delete(kz_store *st, const char *id, kz_err *err);
int kz_store_taxii_source_pause(kz_store *st, const char *id, bool paused, kz_err *err);
/* The clear secret (NULL when none), in a; KZ_E_INTERNAL when it does not
 * open under this node's secret (the database was moved to another node). */
int kz_store_taxii_source_secret(kz_store *st, const char *id, kz_arena *a, char **secret,
                                 kz_err *err);
/* Records a run: error NULL = success (last_ok = when). */
int kz_store_taxii_source_ran(kz_store *st, const char *id, kz_time when, const char *error,
                              int64_t objects, kz_err *err);


/* ---- cases: joint incident response (cases*.c, migration_8_cases.c) ------
 * Every write is one transaction that also notes the case in the change log
 * (kind "case", op "put"), so the stream and webhooks see case changes. The
 * store checks what the schema needs (the case and orgs exist, the workflow
 * allows a transition, a correction names an earlier entry of the same
 * case); who may do what is the caller's business (kz_acl_case_allows). */

/* Inserts a case (no participants, links or tasks yet); 409 on the same id. */
int kz_store_case_put(kz_store *st, const kz_case *c, kz_err *err);
/* Updates title, description, severity, tlp, pap, category, subtype; bumps
 * modified. Status moves only through kz_store_case_transition. */
int kz_store_case_update(kz_store *st, const kz_case *c, kz_err *err);
/* With participants (invitation order) and links. KZ_E_NOTFOUND (with a
 * message) when there is no such case. */
int kz_store_case_get(kz_store *st, const char *id, kz_arena *a, kz_case *out, kz_err *err);

typedef struct kz_case_filter {
    const char *org_id; /* cases this org leads or was invited to (any state); NULL = all */
    int status;         /* kz_case_status or -1 */
    int severity;       /* 1..4 or 0 */
    int drill;          /* -1 any, 0 real only, 1 drills only */
    bool overdue;       /* only cases with an overdue task at `now` */
    kz_time now;
    kz_time since;      /* created at or after; 0 = any */
    int64_t after_seq;  /* keyset: cases with seq > after_seq, oldest first */
    size_t limit;       /* 0 = all */
} kz_case_filter;
/* Cases (with participants and links), oldest first; *last_seq (may be
 * NULL) gets the seq of the last one, for the next page. */
int kz_store_case_list(kz_store *st, const kz_case_filter *f, kz_arena *a, kz_case **out,
                       size_t *n, int64_t *last_seq, kz_err *err);

/* Moves the case to t->to if the workflow allows it from its current
 * status (409 naming both otherwise), records the transition (who, when,
 * note), sets the milestone time, and appends an "action" entry to the
 * timeline. t->from and t->reopen are filled. */
int kz_store_case_transition(kz_store *st, const char *case_id, kz_case_transition *t,
                             kz_err *err);
int kz_store_case_transitions(kz_store *st, const char *case_id, kz_arena *a,
                              kz_case_transition **out, size_t *n, kz_err *err);

/* Invites an org (p->state must be INVITED): 409 if it is the lead or is
 * already invited or accepted; an org that declined may be invited again. */
int kz_store_case_invite(kz_store *st, const char *case_id, const kz_case_participant *p,
                         kz_err *err);
/* Accepts or declines an invitation; 409 unless the org's state is invited. */
int kz_store_case_answer(kz_store *st, const char *case_id, const char *org_id,
                         kz_participation state, const char *user_id, kz_time when, kz_err *err);

/* kind: "event", "indicator" or "sighting"; the object must exist (422
 * otherwise), 409 when already linked. */
int kz_store_case_link(kz_store *st, const char *case_id, const char *kind, const char *object_id,
                       const char *org_id, const char *user_id, kz_err *err);

int kz_store_case_task_put(kz_store *st, const kz_case_task *t, kz_err *err);
/* Updates title, description, org, user, due, status; bumps modified. */
int kz_store_case_task_update(kz_store *st, const kz_case_task *t, kz_err *err);
int kz_store_case_task_get(kz_store *st, const char *case_id, const char *task_id, kz_arena *a,
                           kz_case_task *out, kz_err *err);
/* case_id NULL = the tasks of every case (metrics), in creation order. */
int kz_store_case_tasks(kz_store *st, const char *case_id, kz_arena *a, kz_case_task **out,
                        size_t *n, kz_err *err);

/* Appends a timeline entry (id, at set by the caller). A correction must
 * name an earlier entry of the same case (422 otherwise). */
int kz_store_case_entry_add(kz_store *st, const kz_case_entry *e, kz_err *err);
/* Oldest first. */
int kz_store_case_entries(kz_store *st, const char *case_id, kz_arena *a, kz_case_entry **out,
                          size_t *n, kz_err *err);
/* kz_acl_case_entry_admit for a new entry e by who in case c, with the
 * case's timeline read here when e is a correction (a the memory). */
int kz_store_case_entry_admit(kz_store *st, const kz_principal *who, const kz_case *c,
                              kz_case_entry *e, kz_arena *a, kz_err *err);

/* Drill injects: scheduled texts delivered into the timeline when due. */
int kz_store_case_inject_put(kz_store *st, const kz_case_inject *inj, kz_err *err);
int kz_store_case_injects(kz_store *st, const char *case_id, kz_arena *a, kz_case_inject **out,
                          size_t *n, kz_err *err);
/* Marks every inject of the case due at `now` delivered and appends each to
 * the timeline as an "action" entry; *delivered (may be NULL) counts them. */
int kz_store_case_injects_deliver(kz_store *st, const char *case_id, kz_time now,
                                  size_t *delivered, kz_err *err);

/* Observables collected in a case (value normalised by the caller); 409
 * when the case has the same type and value already. */
int kz_store_case_observable_put(kz_store *st, const kz_case_observable *o, kz_err *err);
int kz_store_case_observables(kz_store *st, const char *case_id, kz_arena *a,
                              kz_case_observable **out, size_t *n, kz_err *err);
int kz_store_case_observable_get(kz_store *st, const char *case_id, const char *obs_id,
                                 kz_arena *a, kz_case_observable *out, kz_err *err);
/* Adds ind (id pre-filled) to event_id, marks the observable promoted and
 * appends an action entry by (org_id, user_id), in one transaction; 409 if
 * it was promoted already. */
/* The indicator a sighting is of (for deciding who may see a linked
 * sighting); KZ_E_NOTFOUND when there is no such sighting. */
int kz_store_case_sighting_indicator(kz_store *st, const char *sighting_id, kz_uuid indicator_id,
                                     kz_err *err);
int kz_store_case_observable_promote(kz_store *st, const char *case_id, const char *obs_id,
                                     const char *event_id, const kz_indicator *ind,
                                     const char *org_id, const char *user_id, kz_err *err);


/* ---- cases across nodes (sync_cases.c, migration_15_case_sync.c) --------
 * A case is homed on the node of its lead org. Other nodes hold a copy cut
 * for their org (the home node decides what; docs/federation.md "Cases"). */

/* What the home node did with one of a participant org's actions on a
 * case: state "applied" or "refused", with the reason when refused. */
typedef struct kz_case_action_result {
    kz_uuid id;
    const char *state;
    char *note; /* NULL */
} kz_case_action_result;
/* At most this many results travel in a snapshot: the acting org's newest. */
#define KZ_CASE_RESULTS_MAX 200

/* What one peer org may hold of a case: the case (participants and links
 * included), and its parts. summary: only the summary (the org is invited).
 * results: what became of the audience org's own actions on it. */
typedef struct kz_case_snapshot {
    kz_case c;
    bool summary;
    kz_case_task *tasks;
    size_t n_tasks;
    kz_case_observable *observables;
    size_t n_observables;
    kz_case_entry *entries; /* oldest first */
    size_t n_entries;
    kz_case_transition *transitions; /* oldest first, all of them */
    size_t n_transitions;
    kz_case_inject *injects; /* delivered ones */
    size_t n_injects;
    kz_case_action_result *results; /* oldest first */
    size_t n_results;
} kz_case_snapshot;

/* *homed: the case was created on this node (not received). NOTFOUND if
 * there is no such case. */
int kz_store_case_homed(kz_store *st, const char *case_id, bool *homed, kz_err *err);
/* Stores a received copy (homed_here 0), in one transaction: case fields,
 * participants and links when s->c.modified is newer than the copy held;
 * tasks each when newer, an observable's indicator only with the case's
 * newer modified; timeline entries, transitions and delivered injects
 * inserted when missing, never changed. A correction whose corrected entry
 * is not in this case here is left out. KZ_E_CONFLICT when the case is
 * homed here. The orgs it names must exist. *changed: anything written
 * (then the case is noted in the change log). */
int kz_store_sync_case_put(kz_store *st, const kz_case_snapshot *s, bool *changed, kz_err *err);

/* An org a received case names that this node does not know: a
 * placeholder org row (the foreign keys need one), recorded as such, so it
 * does not count as homed here (no home key, yet not ours). No-op when the
 * org exists. kz_store_org_placeholder: *yes when org_id is one. */
int kz_store_org_placeholder_put(kz_store *st, const char *org_id, kz_err *err);
int kz_store_org_placeholder(kz_store *st, const char *org_id, bool *yes, kz_err *err);

/* Case actions (a participant's work on a case homed elsewhere): body is
 * the action's canonical JSON. state "outbox" (waiting to travel to the
 * lead's node: noted in the change log as kind "case_action"), "applied"
 * or "refused" (on the home node, with a note). KZ_E_CONFLICT on the same id. */
int kz_store_case_action_put(kz_store *st, const char *id, const char *case_id,
                             const char *org_id, const char *body, const char *state,
                             const char *note, kz_err *err);
/* The body and state of an action, and its case when case_id is not
 * NULL; KZ_E_NOTFOUND when unknown. */
int kz_store_case_action_get(kz_store *st, const char *id, kz_arena *a, char **body,
                             char **state, kz_uuid case_id, kz_err *err);
/* On the home node: the results of org_id's actions on case_id, the newest
 * `limit`, oldest first. */
int kz_store_case_action_results(kz_store *st, const char *case_id, const char *org_id,
                                 size_t limit, kz_arena *a, kz_case_action_result **out,
                                 size_t *n, kz_err *err);
/* On a participant's node: the home node's results for org_id's actions
 * on case_id, recorded on the actions still in the outbox here (one this
 * node did not send, or already settled, is left as it is). */
int kz_store_case_action_results_apply(kz_store *st, const char *case_id, const char *org_id,
                                       const kz_case_action_result *v, size_t n, kz_err *err);
/* One action as listed (GET /cases/{id}/actions). */
typedef struct kz_case_action_row {
    kz_uuid id, org_id;
    char *body;  /* canonical JSON: action, user_id, text, ... */
    char *state; /* outbox, applied, refused */
    char *note;  /* NULL */
    kz_time created;
} kz_case_action_row;
/* The actions on case_id (of org_id only, unless NULL), newest first, at
 * most limit. */
int kz_store_case_actions_list(kz_store *st, const char *case_id, const char *org_id,
                               size_t limit, kz_arena *a, kz_case_action_row **out, size_t *n,
                               kz_err *err);

#endif
