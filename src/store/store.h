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

typedef struct kz_misp_event {
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

/* An identity object's organisation: link (replacing any), and look up
 * (KZ_E_NOTFOUND without a message when unlinked). */
int kz_store_stix_identity_link(kz_store *st, const char *identity_id, const char *org_id,
                                kz_err *err);
int kz_store_stix_identity_org(kz_store *st, const char *identity_id, kz_uuid org_id,
                               kz_err *err);

/* ---- TAXII 2.1 status resources (taxii_status.c) ---------------------------
 * The status of an Add Objects request, as its JSON text, readable by the
 * org that made it; kept a week (TAXII asks for at least 24 hours). */
int kz_store_taxii_status_put(kz_store *st, const char *id, const char *org_id, kz_time created,
                              const char *body, kz_err *err);
/* KZ_E_NOTFOUND when unknown or pruned. */
int kz_store_taxii_status_get(kz_store *st, const char *id, kz_arena *a, kz_uuid org_id,
                              char **body, kz_err *err);

#endif
