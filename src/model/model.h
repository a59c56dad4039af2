/* model.h — layer 1: what the node holds (organisations, users, keys,
 * communities, sharing groups, events, indicators, sightings), the TLP / PAP /
 * distribution vocabulary, tags, and the one access decision (acl.c) that
 * every egress path calls.
 *
 * Model structs are plain data. Strings and lists in them belong to the arena
 * of whoever filled them (a request, an import).
 */
#ifndef KZ_MODEL_H
#define KZ_MODEL_H

#include "base/base.h"
#include "ioc/ioc.h"

/* ---- vocabulary --------------------------------------------------------- */

/* TLP 2.0, ordered from least to most restrictive so max() is "stricter". */
typedef enum { KZ_TLP_CLEAR, KZ_TLP_GREEN, KZ_TLP_AMBER, KZ_TLP_AMBER_STRICT, KZ_TLP_RED } kz_tlp;
/* PAP, same ordering. */
typedef enum { KZ_PAP_CLEAR, KZ_PAP_GREEN, KZ_PAP_AMBER, KZ_PAP_RED } kz_pap;
/* MISP's distribution levels 0-4, in MISP's numbering. Note the order is not
 * strictness for SHARING_GROUP; use kz_distribution_stricter(). */
typedef enum {
    KZ_DIST_ORG = 0,
    KZ_DIST_COMMUNITY = 1,
    KZ_DIST_CONNECTED = 2,
    KZ_DIST_ALL = 3,
    KZ_DIST_SHARING_GROUP = 4,
} kz_distribution;
typedef enum {
    KZ_ROLE_ADMIN,     /* runs the node: orgs, users, communities */
    KZ_ROLE_ORG_ADMIN, /* manages the users and keys of its own org */
    KZ_ROLE_PUBLISHER, /* creates, edits and publishes its org's events */
    KZ_ROLE_ANALYST,   /* creates and edits, cannot publish */
    KZ_ROLE_READONLY,
    KZ_ROLE_SYNC,      /* a peer node's machine account */
} kz_role;
typedef enum {
    KZ_ORG_NATIONAL_CERT,
    KZ_ORG_GOVERNMENT,
    KZ_ORG_COMPANY,
    KZ_ORG_NGO,
    KZ_ORG_ACADEMIC,
} kz_org_type;
typedef enum { KZ_SIGHTING_SEEN, KZ_SIGHTING_FALSE_POSITIVE, KZ_SIGHTING_EXPIRED } kz_sighting_type;

/* Names on the wire: "clear" "green" "amber" "amber+strict" "red"; "org"
 * "community" "connected" "all" "sharing_group"; "admin" "org_admin"
 * "publisher" "analyst" "read_only" "sync"; "national_cert" "government"
 * "company" "ngo" "academic"; "seen" "false_positive" "expired".
 * Parsers are case-insensitive and return -1 for unknown names (and NULL);
 * the name functions return NULL for a value outside the enum. */
const char *kz_tlp_name(kz_tlp t);
int kz_tlp_parse(const char *s);
const char *kz_pap_name(kz_pap p);
int kz_pap_parse(const char *s);
const char *kz_distribution_name(kz_distribution d);
int kz_distribution_parse(const char *s);
const char *kz_role_name(kz_role r);
int kz_role_parse(const char *s);
const char *kz_org_type_name(kz_org_type t);
int kz_org_type_parse(const char *s);
const char *kz_sighting_type_name(kz_sighting_type t);
int kz_sighting_type_parse(const char *s);

/* True when distribution a reaches no further than b, ranking
 * ORG < SHARING_GROUP < COMMUNITY < CONNECTED < ALL. (Reading always applies
 * both an indicator's and its event's rule, so the rank only guards writes.) */
bool kz_distribution_no_wider(kz_distribution a, kz_distribution b);

/* ISO 3166-1 alpha-2, upper-cased into out[3]; false if not an assigned code. */
bool kz_country_normalize(const char *s, char out[3]);

/* ---- tags --------------------------------------------------------------- */

/* A tag is free text ("phishing") or a machine tag
 * (namespace:predicate="value" or namespace:predicate). TLP and PAP machine
 * tags are recognised so that they become the first-class fields. */
typedef struct kz_tag_parts {
    char ns[64];
    char predicate[128];
    char value[256]; /* "" when absent */
    bool machine;
} kz_tag_parts;

int kz_tag_parse(const char *tag, kz_tag_parts *out, kz_err *err);
/* Validates (UTF-8, 1..255 bytes, no control characters) and trims. */
int kz_tag_check(const char *tag, kz_err *err);
/* The same check; also writes the trimmed tag (surrounding ASCII white space
 * removed) into out. KZ_E_VALUE, field "tags", when the tag is not valid. */
int kz_tag_normalize(const char *tag, char out[256], kz_err *err);
/* "tlp:amber+strict" / "tlp:white" (TLP 1.0) -> 0 and *tlp; otherwise -1. */
int kz_tag_as_tlp(const char *tag, kz_tlp *tlp);
/* "PAP:RED" -> 0 and *pap; otherwise -1. */
int kz_tag_as_pap(const char *tag, kz_pap *pap);
/* The machine tag written on output: "tlp:amber+strict", "PAP:RED". */
const char *kz_tlp_tag(kz_tlp t);
const char *kz_pap_tag(kz_pap p);

/* ---- objects ------------------------------------------------------------ */

typedef struct kz_org {
    kz_uuid id;
    char *name;
    char country[3];
    kz_org_type type;
    char *sector;
    char *contact;
    kz_time created, modified;
} kz_org;

typedef struct kz_user {
    kz_uuid id;
    kz_uuid org_id;
    char *email;
    char *name;
    kz_role role;
    char *password_hash; /* argon2id string (crypto_pwhash_str); NULL = none */
    kz_time created, modified;
} kz_user;

typedef struct kz_api_key {
    kz_uuid id;
    kz_uuid user_id;
    char *label;
    uint8_t hash[32]; /* keyed BLAKE2b of the secret; the secret is never kept */
    kz_time created;
    kz_time expires;  /* 0 = never */
    kz_time revoked;  /* 0 = active */
    kz_time last_used;
} kz_api_key;

typedef struct kz_community {
    kz_uuid id;
    char *name;
    char *description;
    kz_strlist member_orgs; /* org ids */
    kz_time created, modified;
} kz_community;

typedef struct kz_sharing_group {
    kz_uuid id;
    char *name;
    char *description;
    kz_uuid owner_org;
    kz_strlist member_orgs;
    kz_time created, modified;
} kz_sharing_group;

#define KZ_THREAT_HIGH 1
#define KZ_THREAT_UNDEFINED 4

typedef struct kz_indicator {
    kz_uuid id;
    kz_uuid event_id;
    kz_ioc_type type;
    char *value; /* normalised */
    bool to_ids;
    char *comment;
    kz_time first_seen, last_seen; /* 0 = unset */
    kz_strlist tags;
    /* An indicator may be stricter than its event, never looser. -1 = inherit. */
    int tlp;
    int distribution;
    kz_time created, modified;
    bool deleted;
    /* match engine: the MISP warninglist (known-benign values) the value was
     * on when the store last wrote it, NULL when none. Set by the store
     * (kz_store_set_warninglist_check), never taken from clients. */
    char *warninglist;
} kz_indicator;

typedef struct kz_event {
    kz_uuid id;
    char *title;
    char *description;
    int threat_level; /* 1 high, 2 medium, 3 low, 4 undefined (MISP) */
    int analysis;     /* 0 initial, 1 ongoing, 2 completed (MISP) */
    kz_tlp tlp;
    kz_pap pap;
    kz_distribution distribution;
    kz_uuid sharing_group_id; /* "" unless distribution is SHARING_GROUP */
    kz_uuid community_id;     /* "" = every community of the creator org */
    kz_strlist tags;          /* tags other than TLP/PAP, which are fields */
    kz_strlist recipient_orgs;  /* who else may see TLP:AMBER */
    kz_strlist recipient_users; /* who may see TLP:RED besides the creator */
    bool published;
    kz_time published_at;
    kz_uuid creator_org;
    kz_uuid creator_user;
    kz_time created, modified;
    kz_indicator *indicators;
    size_t n_indicators;
} kz_event;

typedef struct kz_sighting {
    kz_uuid id;
    kz_uuid indicator_id;
    kz_uuid org_id;
    kz_time time;
    int64_t count;
    char *source;
    kz_sighting_type type;
    kz_time created;
} kz_sighting;

/* ---- access control (acl.c) --------------------------------------------- */

/* Who asks. The store fills the community sets once per request
 * (kz_store_principal_load). */
typedef struct kz_principal {
    kz_uuid user_id;
    kz_uuid org_id;
    kz_role role;
    kz_strlist communities;           /* communities the org is a member of */
    kz_strlist connected_communities; /* communities sharing a member org with one of those (includes them) */
} kz_principal;

/* What the decision needs to know about an event (or an indicator through its
 * event). creator_communities are the communities the creator org is in. */
typedef struct kz_acl_object {
    const char *creator_org;
    const char *creator_user;
    kz_tlp tlp;
    kz_distribution distribution;
    bool published;
    const char *community_id;              /* may be "" or NULL */
    const kz_strlist *creator_communities;
    const kz_strlist *sharing_group_orgs;  /* members; NULL if no group */
    const kz_strlist *recipient_orgs;      /* AMBER */
    const kz_strlist *recipient_users;     /* RED */
} kz_acl_object;

/* A peer node, as far as what may be sent to it is concerned. */
typedef struct kz_acl_peer {
    const char *org_id;
    const kz_strlist *communities; /* communities the peer's org is in */
    kz_tlp tlp_ceiling;            /* send nothing above this */
} kz_acl_peer;

typedef enum { KZ_ACL_VIEW, KZ_ACL_EDIT, KZ_ACL_PUBLISH, KZ_ACL_EXPORT } kz_acl_action;

/* The decision. Pure: no I/O, no globals. When denied, *why (if not NULL)
 * receives a static string naming the rule ("tlp:red: not a named recipient"). */
bool kz_acl_allows(const kz_principal *who, const kz_acl_object *obj, kz_acl_action action,
                   const char **why);
/* An indicator is seen through its event: both the event's rules and the
 * indicator's own stricter TLP / distribution must allow it. */
bool kz_acl_indicator_allows(const kz_principal *who, const kz_acl_object *event,
                             const kz_indicator *ind, kz_acl_action action, const char **why);
/* May this object (published, checked with the same rules) leave for that peer? */
bool kz_acl_peer_allows(const kz_acl_peer *peer, const kz_acl_object *obj, const char **why);
/* Checks that an indicator is not looser than its event; fills err if it is. */
int kz_acl_check_indicator_not_looser(const kz_event *ev, const kz_indicator *ind, kz_err *err);

/* Role capabilities outside object access. */
bool kz_acl_can_manage_orgs(const kz_principal *who);        /* node admin */
bool kz_acl_can_manage_users(const kz_principal *who, const char *org_id);
bool kz_acl_can_create_events(const kz_principal *who);

/* ---- credentials (credentials.c, libsodium) ----------------------------- */

/* API keys are "kz_" + 43 base64url characters (32 random bytes). Only the
 * keyed BLAKE2b hash (key = node secret) is ever stored. */
#define KZ_KEY_TEXT_LEN 46
int kz_key_generate(const uint8_t secret[32], char text[KZ_KEY_TEXT_LEN + 1], uint8_t hash[32]);
/* Checks the shape and hashes; KZ_E_UNAUTH for anything that is not a key. */
int kz_key_hash(const uint8_t secret[32], const char *text, uint8_t hash[32], kz_err *err);
/* argon2id via crypto_pwhash_str; passwords are 8..1024 bytes of UTF-8. */
int kz_password_hash(const char *password, kz_arena *a, char **out, kz_err *err);
bool kz_password_verify(const char *hash, const char *password);


/* ---- cases: joint incident response (case.c, acl_case.c) ---------------
 * A case is an incident several organisations work on together: a lead org
 * invites others, who accept or decline; the status moves through a fixed
 * workflow; tasks, an append-only timeline and links to events, indicators
 * and sightings hang off it. Wire names: "new" "acknowledged" "in_progress"
 * "contained" "resolved" "closed"; "invited" "accepted" "declined";
 * "waiting" "in_progress" "done" "cancelled"; "comment" "action"
 * "correction". Parsers are exact (lower case) and return -1 when unknown. */
typedef enum {
    KZ_CASE_NEW,
    KZ_CASE_ACKNOWLEDGED,
    KZ_CASE_IN_PROGRESS,
    KZ_CASE_CONTAINED,
    KZ_CASE_RESOLVED,
    KZ_CASE_CLOSED,
} kz_case_status;
#define KZ_CASE_STATUS_COUNT 6
typedef enum { KZ_PART_INVITED, KZ_PART_ACCEPTED, KZ_PART_DECLINED } kz_participation;
typedef enum { KZ_TASK_WAITING, KZ_TASK_IN_PROGRESS, KZ_TASK_DONE, KZ_TASK_CANCELLED } kz_task_status;
typedef enum { KZ_ENTRY_COMMENT, KZ_ENTRY_ACTION, KZ_ENTRY_CORRECTION } kz_entry_kind;

const char *kz_case_status_name(kz_case_status s);
int kz_case_status_parse(const char *s);
const char *kz_participation_name(kz_participation p);
int kz_participation_parse(const char *s);
const char *kz_task_status_name(kz_task_status s);
int kz_task_status_parse(const char *s);
const char *kz_entry_kind_name(kz_entry_kind k);
int kz_entry_kind_parse(const char *s);

/* The workflow. Pure: true when a case in `from` may move to `to`; otherwise
 * *why (if not NULL) gets a static sentence saying why not and where it may
 * go instead. A move out of resolved or closed back to in_progress is a
 * reopen (kz_case_is_reopen). */
bool kz_case_transition_valid(kz_case_status from, kz_case_status to, const char **why);
bool kz_case_is_reopen(kz_case_status from, kz_case_status to);
/* open = not resolved and not closed. */
bool kz_case_status_open(kz_case_status s);

/* The Reference Security Incident Taxonomy (RSIT): the 11 classifications
 * and each one's incident types, as machine-tag values ("intrusions",
 * "system-compromise"). kz_rsit_valid checks a pair (exact, lower case);
 * when it is not valid, err (field "category" or "subtype") lists the
 * choices. kz_rsit_types gives the types of a category (NULL-terminated),
 * NULL for an unknown one. */
extern const char *const kz_rsit_categories[]; /* NULL-terminated */
const char *const *kz_rsit_types(const char *category);
int kz_rsit_valid(const char *category, const char *subtype, kz_err *err);

typedef struct kz_case_participant {
    kz_uuid org_id;
    kz_participation state;
    kz_time invited_at;
    kz_uuid invited_by;  /* user */
    kz_time answered_at; /* 0 while invited */
    kz_uuid answered_by;
} kz_case_participant;

#define KZ_CASE_SEVERITY_MIN 1 /* 1 critical, 2 high, 3 medium, 4 low */
#define KZ_CASE_SEVERITY_MAX 4

typedef struct kz_case {
    kz_uuid id;
    char *title;
    char *description;
    int severity;
    kz_tlp tlp;
    kz_pap pap;
    char *category; /* RSIT classification */
    char *subtype;  /* RSIT incident type of that classification */
    kz_case_status status;
    kz_uuid lead_org;
    kz_uuid creator_user;
    bool drill; /* an exercise: kept out of real statistics */
    kz_case_participant *participants; /* not the lead */
    size_t n_participants;
    kz_strlist events, indicators, sightings; /* linked ids */
    kz_time created, modified;
    /* When the case last reached these states (acknowledged: first time);
     * 0 = never. The metrics are measured from created. */
    kz_time acknowledged_at, contained_at, resolved_at, closed_at;
} kz_case;

typedef struct kz_case_task {
    kz_uuid id;
    kz_uuid case_id;
    char *title;
    char *description;
    kz_uuid org_id;  /* assigned org: the lead or a participant */
    kz_uuid user_id; /* "" = anyone of the org */
    kz_time due;     /* 0 = no due date */
    kz_task_status status;
    kz_uuid created_by;
    kz_time created, modified;
} kz_case_task;
/* A task is overdue when it has a due date before now and is waiting or
 * in progress. */
bool kz_case_task_overdue(const kz_case_task *t, kz_time now);

typedef struct kz_case_entry {
    int64_t seq;
    kz_uuid id;
    kz_uuid case_id;
    kz_entry_kind kind;
    char *text;
    kz_uuid corrects; /* correction: the earlier entry it corrects; else "" */
    int tlp;          /* -1 = the case's; else at least as strict */
    kz_uuid org_id, user_id;
    kz_time at;
} kz_case_entry;

typedef struct kz_case_transition {
    kz_case_status from, to;
    bool reopen;
    char *note;
    kz_uuid org_id, user_id;
    kz_time at;
} kz_case_transition;

typedef struct kz_case_inject {
    kz_uuid id;
    kz_uuid case_id;
    kz_time at; /* when it is due */
    char *text;
    bool delivered;
    kz_time delivered_at;
    kz_uuid created_by;
    kz_time created;
} kz_case_inject;

typedef struct kz_case_observable {
    kz_uuid id;
    kz_uuid case_id;
    kz_ioc_type type;
    char *value; /* normalised */
    char *comment;
    kz_uuid org_id, user_id;
    kz_time added;
    kz_uuid indicator_id; /* "" until promoted */
} kz_case_observable;

/* Access to cases (acl_case.c): the one decision every case egress path
 * calls. Only the lead org and orgs that accepted see a case; an invited
 * org sees its summary (to decide), a declined one nothing. Inside a case,
 * an entry marked stricter than the case at AMBER+STRICT or RED is only
 * for the org that wrote it and the lead. Roles: read_only views; analyst,
 * publisher, org_admin and admin work; sync accounts get nothing. A RED
 * case is for people: a principal with no user (a webhook) gets nothing. */
typedef enum { KZ_CASE_ROLE_NONE, KZ_CASE_ROLE_INVITED, KZ_CASE_ROLE_PARTICIPANT, KZ_CASE_ROLE_LEAD } kz_case_role;
typedef enum {
    KZ_CASE_SUMMARY,    /* id, title, severity, TLP, status, lead: invited orgs too */
    KZ_CASE_VIEW,       /* everything (entries still filtered one by one) */
    KZ_CASE_CONTRIBUTE, /* comment, add observables and links, update own org's tasks */
    KZ_CASE_MANAGE,     /* edit, transition, invite, tasks, injects: the lead */
    KZ_CASE_ANSWER,     /* accept or decline: the invited org */
} kz_case_action;
kz_case_role kz_case_role_of(const kz_principal *who, const kz_case *c);
bool kz_acl_case_allows(const kz_principal *who, const kz_case *c, kz_case_action action,
                        const char **why);
bool kz_acl_case_entry_allows(const kz_principal *who, const kz_case *c, const kz_case_entry *e,
                              const char **why);
/* A new timeline entry e by who (a comment or a correction) against the
 * case's timeline v[0..n) (only read for a correction): its TLP no looser
 * than the case's, unset meaning the case's as it is now; a correction
 * names an entry who may see and is at least as strict as it (an unset TLP
 * is raised to it, an explicit looser one refused). 0 with e->tlp set, or
 * KZ_E_VALUE naming the field at fault. One rule for the API, the CLI and
 * a home node applying a participant's action. */
int kz_acl_case_entry_admit(const kz_principal *who, const kz_case *c, const kz_case_entry *v,
                            size_t n, kz_case_entry *e, kz_err *err);
/* A task, a linked object, an inject: visible to whoever may view the case,
 * injects to participants only once delivered. */
bool kz_acl_case_inject_allows(const kz_principal *who, const kz_case *c,
                               const kz_case_inject *inj);
bool kz_acl_can_create_cases(const kz_principal *who);
/* May who change this task (status)? The lead, or the assigned org. */
bool kz_acl_case_task_allows(const kz_principal *who, const kz_case *c, const kz_case_task *t,
                             const char **why);
/* Cases and peer nodes (acl_case.c): what a node whose org is peer->org_id
 * may hold of a case homed here, by the same decision as for that org's
 * people, within the peer's TLP ceiling. *level: KZ_CASE_VIEW (the case,
 * entries still cut one by one: by the entry rule, and no entry above the
 * ceiling unless the peer's org wrote it) or KZ_CASE_SUMMARY (the org is
 * invited). False for a declined or uninvited org, or above the ceiling. */
bool kz_acl_case_peer_allows(const kz_acl_peer *peer, const kz_case *c, kz_case_action *level,
                             const char **why);
bool kz_acl_case_peer_entry_allows(const kz_acl_peer *peer, const kz_case *c,
                                   const kz_case_entry *e);
bool kz_acl_case_peer_inject_allows(const kz_acl_peer *peer, const kz_case *c,
                                    const kz_case_inject *inj);

/* Response metrics (case_metrics.c), pure: over the cases given (the caller
 * has applied the ACL and the drill choice) and their tasks. Durations are
 * µs from created to the milestone; -1 when not reached. Per org: the cases
 * it leads (their timings) and takes part in, and the overdue tasks
 * assigned to it. Countries are the lead org's (orgs looked up by id). */
typedef struct kz_case_timing {
    const kz_case *c;
    int64_t to_acknowledge, to_contain, to_resolve;
    size_t overdue_tasks;
} kz_case_timing;
typedef struct kz_case_org_metrics {
    kz_uuid org_id;
    const char *name;
    char country[3];
    size_t led, participating, open, overdue_tasks;
    size_t n_ack, n_contain, n_resolve;
    int64_t sum_ack, sum_contain, sum_resolve; /* mean = sum / n */
} kz_case_org_metrics;
typedef struct kz_case_country_count {
    char country[3];
    size_t open;
} kz_case_country_count;
typedef struct kz_case_metrics {
    size_t n_cases, n_open, overdue_tasks;
    size_t open_by_severity[KZ_CASE_SEVERITY_MAX + 1]; /* [1..4] */
    kz_case_timing *cases;
    kz_case_org_metrics *orgs;
    size_t n_orgs;
    kz_case_country_count *countries; /* open cases by the lead's country */
    size_t n_countries;
} kz_case_metrics;
int kz_case_metrics_compute(const kz_case *cases, size_t n, const kz_case_task *tasks, size_t nt,
                            const kz_org *orgs, size_t n_orgs, kz_time now, kz_arena *a,
                            kz_case_metrics *out, kz_err *err);

#endif
