/* formats.h — layer 2: bytes ⇄ model. This header covers the node's native
 * JSON (the REST API's bodies and `kizuna import/export`); STIX, MISP, CSV and
 * sensor formats join it later.
 *
 * Parsers are strict: unknown fields, wrong JSON types, invalid values and
 * invalid UTF-8 are errors that name the field (as a JSON path such as
 * "indicators[3].value") and quote the value. Indicator values are normalised
 * through ioc. Serialisers never decide access: callers pass only what the
 * ACL allowed.
 */
#ifndef KZ_FORMATS_H
#define KZ_FORMATS_H

#include <jansson.h>

#include "model/model.h"

/* Every bad row of a batch, so a client can fix all of them at once. */
typedef struct kz_errlist {
    kz_err *v;
    size_t n;
    size_t cap;
} kz_errlist;

/* Appends a copy of e (arena-owned). */
int kz_errlist_push(kz_arena *a, kz_errlist *l, const kz_err *e);

/* Limits on text fields (bytes). */
#define KZ_MAX_NAME 256
#define KZ_MAX_TITLE 1024
#define KZ_MAX_TEXT 65536
#define KZ_MAX_VALUE 8192
#define KZ_MAX_TAGS 256
/* Limits on documents: bytes kz_json_load accepts (the HTTP body limit is
 * usually lower), indicators in one batch, bad rows listed in a kz_errlist
 * (the count of all bad rows is still in the summary message), and entries
 * in a list of org or user ids. */
#define KZ_MAX_JSON_BYTES ((size_t)1 << 30)
#define KZ_MAX_INDICATORS 1000000
#define KZ_MAX_ERRORS 1000
#define KZ_MAX_IDS 10000

/* ---- parse (create bodies; ids, owners and times are set by the caller) -- */
int kz_json_org_parse(const json_t *j, kz_arena *a, kz_org *out, kz_err *err);
/* Applies the fields present in j to an existing org (PATCH). */
int kz_json_org_patch(const json_t *j, kz_arena *a, kz_org *org, kz_err *err);
/* User create body: email, name, role, org_id (optional), password (optional,
 * returned in *password for the caller to hash; never stored as is). */
int kz_json_user_parse(const json_t *j, kz_arena *a, kz_user *out, const char **password,
                       kz_err *err);
/* API key create body: label, expires (optional), user_id (optional). */
int kz_json_api_key_parse(const json_t *j, kz_arena *a, kz_api_key *out, kz_err *err);
int kz_json_community_parse(const json_t *j, kz_arena *a, kz_community *out, kz_err *err);
int kz_json_sharing_group_parse(const json_t *j, kz_arena *a, kz_sharing_group *out, kz_err *err);
/* An event with optional inline "indicators". Each bad indicator is pushed to
 * errs with field "indicators[i]..."; returns KZ_E_INVALID if anything was bad. */
int kz_json_event_parse(const json_t *j, kz_arena *a, kz_event *out, kz_errlist *errs, kz_err *err);
int kz_json_event_patch(const json_t *j, kz_arena *a, kz_event *ev, kz_err *err);
/* An indicator; path is the prefix for error fields (e.g. "indicators[3]"). */
int kz_json_indicator_parse(const json_t *j, const char *path, kz_arena *a, kz_indicator *out,
                            kz_err *err);
/* A JSON array (or {"indicators":[...]}) of indicators: every bad row in errs. */
int kz_json_indicators_parse(const json_t *j, kz_arena *a, kz_indicator **out, size_t *n,
                             kz_errlist *errs, kz_err *err);
int kz_json_indicator_patch(const json_t *j, kz_arena *a, kz_indicator *ind, kz_err *err);
int kz_json_sighting_parse(const json_t *j, kz_arena *a, kz_sighting *out, kz_err *err);

/* ---- serialise (new references; caller json_decref) --------------------- */
json_t *kz_json_org(const kz_org *o);
json_t *kz_json_user(const kz_user *u); /* never includes the password hash */
json_t *kz_json_api_key(const kz_api_key *k); /* never includes the hash */
json_t *kz_json_community(const kz_community *c);
json_t *kz_json_sharing_group(const kz_sharing_group *g);
/* tags output includes the TLP and PAP machine tags. */
json_t *kz_json_event(const kz_event *ev, bool with_indicators);
json_t *kz_json_indicator(const kz_indicator *ind);
json_t *kz_json_sighting(const kz_sighting *s);
json_t *kz_json_errlist(const kz_errlist *errs);

/* Parses bytes as JSON with limits (depth, size) and a UTF-8 check; err names
 * the line and column of a syntax error. */
int kz_json_load(const char *p, size_t n, json_t **out, kz_err *err);

/* ---- hardening: a memory budget for parsing (json_budget.c) ---------------
 * jansson builds the whole tree before any element limit applies, and tiny
 * tokens cost it 40-70 times their size ("[[],[],...]"). With the budget on,
 * kz_json_load refuses with KZ_E_TOOLARGE ("JSON document too complex") a
 * document that would hold more than ratio × its size (at least 1 MiB, at
 * most cap) in memory while it is parsed. Off by default (the CLI reads the
 * operator's own files); the server turns it on at start. Call before other
 * threads use jansson: it installs jansson's allocator once. */
#define KZ_JSON_BUDGET_RATIO 32u
#define KZ_JSON_BUDGET_CAP ((size_t)1 << 30)
void kz_json_set_load_budget(unsigned ratio, size_t cap);
/* For parsers other than kz_json_load (a bundle parsed piece by piece):
 * between begin and end, the jansson memory this thread holds counts
 * against the budget of a document of doc_size bytes (nothing happens when
 * the budget is off); an allocation beyond it fails. end returns true if one
 * failed. Scopes do not nest (kz_json_load opens its own). */
void kz_json_budget_begin(size_t doc_size);
bool kz_json_budget_end(void);
/* Whether an allocation of this thread's open scope failed so far. */
bool kz_json_budget_over(void);
/* The document size of this thread's open scope; 0 when none is open (or
 * the budget is off). Threads that parse parts of the same document open
 * a scope of that size each. */
size_t kz_json_budget_doc(void);

/* ---- MISP (misp_*.c) and sensor exports (export_*.c) ---------------------
 * The MISP document in model terms (struct kz_misp_event and friends) is
 * defined in store/store.h, which persists it; these functions convert it
 * from and to MISP's JSON, CSV and feed layout, and write the sensor
 * formats. Nothing here decides access: callers pass what the ACL allowed. */
struct kz_misp_event;
struct kz_misp_attr;
struct kz_misp_sharing_group;

/* A document read by kz_misp_load: its big base64 attachment strings were
 * kept out of jansson's tree and are read from the text itself. */
typedef struct kz_misp_span {
    size_t off, len;
} kz_misp_span;
typedef struct kz_misp_spans {
    const char *text; /* the document as given (must outlive the parse) */
    kz_misp_span *v;
    size_t n, cap;
} kz_misp_spans;

typedef struct kz_misp_import_opts {
    int default_tlp;          /* kz_tlp of events without a TLP tag; -1 = amber */
    int default_distribution; /* of events without "distribution"; -1 = org */
    const kz_misp_spans *spans; /* from kz_misp_load, or NULL */
} kz_misp_import_opts;

/* kz_json_load for MISP documents, several times faster when they carry
 * attachments (misp_load.c): same checks, same errors. Pass spans in
 * kz_misp_import_opts to kz_misp_event_parse, and free them (always) with
 * kz_misp_spans_free; p must outlive the parse. */
int kz_misp_load(const char *p, size_t n, json_t **out, kz_misp_spans *spans, kz_err *err);
void kz_misp_spans_free(kz_misp_spans *spans);
/* Streaming import of one big event (misp_split.c): parsing its
 * attributes on one thread while the store writes them on another.
 * kz_misp_split_load cuts p (a single event with at least min_attrs
 * top-level attributes; *out NULL when it is not: use kz_misp_load);
 * kz_misp_split_begin parses the event's own fields into out and sets
 * out->progress; kz_misp_split_run (on another thread) parses the
 * attributes and objects, publishing each in out->progress, while
 * kz_store_misp_event_put(out) writes them as they come. Same checks and
 * same result as kz_misp_load + kz_misp_event_parse; p must outlive it. */
typedef struct kz_misp_split kz_misp_split;
int kz_misp_split_load(const char *p, size_t n, size_t min_attrs, kz_misp_split **out,
                       kz_err *err);
int kz_misp_split_begin(kz_misp_split *sp, const kz_misp_import_opts *o, kz_arena *a,
                        struct kz_misp_event *out, kz_err *err);
void kz_misp_split_run(kz_misp_split *sp);
void kz_misp_split_free(kz_misp_split *sp);

/* One MISP event, {"Event":{...}} or the bare object. Unknown members are
 * ignored (MISP adds some in every release); known ones are checked. All
 * 194 MISP types are accepted: values of types the model knows are
 * normalised (an invalid one is an error naming "Attribute[i]", except for
 * the lenient types, e.g. url, kept as typed text with a warning); other
 * types are kept as typed text. Notes go to out->warnings. */
int kz_misp_event_parse(const json_t *j, const kz_misp_import_opts *o, kz_arena *a,
                        struct kz_misp_event *out, kz_err *err);
/* The events of a document: {"Event":..}, a bare event, an array of either,
 * or {"response":[...]}. Returns a new array (of borrowed-and-increfed
 * event objects), or NULL with err when the document holds none. */
json_t *kz_misp_doc_events(const json_t *j, kz_err *err);
/* MISP's sharing group list (GET /sharing_groups: [{"SharingGroup":..,
 * "Organisation":.., "SharingGroupOrg":[..]}, ...] or {"response":[..]}). */
int kz_misp_sharing_groups_parse(const json_t *j, kz_arena *a,
                                 struct kz_misp_sharing_group **out, size_t *n, kz_err *err);
/* Is j MISP's sharing group list (its first element has a "SharingGroup")? */
bool kz_misp_doc_is_sharing_groups(const json_t *j);
/* Issue 6, the one import path for MISP documents as bytes
 * (misp_import_text.c): each event of text ({"Event":..} or bare, an array
 * of them, or {"response":[..]}) is parsed into *me (its arrays in a,
 * which is emptied between events: a holds nothing else) and handed to
 * sink->put on the calling thread, in order; attachments are read from the
 * text (kz_misp_load) and a big single event is streamed (kz_misp_split_*:
 * put runs while its attributes are still being parsed on a second thread,
 * as kz_store_misp_event_put expects). The same checks and the same
 * results as kz_json_load + kz_misp_doc_events + kz_misp_event_parse. On
 * failure sink->at is the event that failed (of sink->n). With want_other,
 * a sharing group list is handed back in sink->other (returning 0, put not
 * called; json_decref it) instead of being refused as holding no event.
 * po may be NULL; text must outlive the call. */
typedef struct kz_misp_sink {
    int (*put)(void *ctx, struct kz_misp_event *me, size_t i, size_t n, kz_err *err);
    void *ctx;
    bool want_other;
    size_t at, n;  /* out */
    json_t *other; /* out */
} kz_misp_sink;
int kz_misp_text_import(const char *text, size_t len, const kz_misp_import_opts *po,
                        kz_misp_sink *sink, kz_arena *a, struct kz_misp_event *me, kz_err *err);
/* A feed's manifest.json: {"<uuid>": {"timestamp": ..., "info": ...}, ...}. */
typedef struct kz_misp_manifest_entry {
    kz_uuid uuid;
    int64_t timestamp; /* seconds */
} kz_misp_manifest_entry;
int kz_misp_manifest_parse(const json_t *j, kz_arena *a, kz_misp_manifest_entry **out, size_t *n,
                           kz_err *err);

/* The value as MISP writes it: the value kept from the source, else the
 * normalised one in MISP's spelling (ip|port "1.2.3.4|80"). */
int kz_misp_value_out(const kz_indicator *ind, const struct kz_misp_attr *ma, kz_buf *out);

/* A MISP event's RelatedEvent entry (correlation). */
typedef struct kz_misp_related {
    int64_t seq;
    kz_uuid id;
    const char *info;
    kz_uuid org_id, orgc_id;
    const char *org_name, *orgc_name;
    kz_time date, modified;
    int threat_level, analysis, distribution;
    bool published;
} kz_misp_related;

typedef struct kz_misp_json_opts {
    bool feed;        /* feed layout: no numeric ids, no instance-local fields */
    bool sightings;   /* Sighting arrays on attributes */
    bool attachments; /* "data" of attachment / malware-sample attributes */
    const kz_misp_related *related;
    size_t n_related;
} kz_misp_json_opts;

/* {"Event":{...}} as MISP writes it (numbers as strings, times as epoch
 * seconds). NULL on failure (out of memory, a string that is not UTF-8). */
json_t *kz_misp_event_json(const struct kz_misp_event *me, const kz_misp_json_opts *o);
/* One attribute as /attributes/restSearch returns it, with its Event
 * summary. obj (its object, or NULL) supplies object_id. */
struct kz_misp_object;
json_t *kz_misp_attribute_json(const kz_indicator *ind, const struct kz_misp_attr *ma,
                               const struct kz_misp_object *obj, const kz_event *ev,
                               int64_t event_seq, const char *orgc_id, bool with_event_tags);
/* The event list entry of /events/index. */
json_t *kz_misp_event_index_json(const kz_event *ev, int64_t seq, size_t attribute_count,
                                 const char *orgc_id, const char *orgc_name,
                                 const char *org_name);

/* ---- sensor and list exports (export_*.c) ---- */
typedef enum {
    KZ_EXPORT_MISP,              /* MISP event JSON: {"response":[{"Event":..},..]} */
    KZ_EXPORT_MISP_FEED,         /* a MISP feed directory */
    KZ_EXPORT_CSV,               /* MISP's CSV columns */
    KZ_EXPORT_TEXT,              /* one value per line */
    KZ_EXPORT_ZEEK,              /* Zeek Intel framework file */
    KZ_EXPORT_SURICATA_DATASET,  /* one type: string (base64), md5, sha256, ipv4, ipv6 */
    KZ_EXPORT_SURICATA_IPREP,    /* ip,category,score (+ a categories file) */
} kz_export_format;
/* "misp", "misp-feed", "csv", "text", "zeek", "suricata-dataset",
 * "suricata-iprep"; -1 if unknown. */
int kz_export_format_parse(const char *s);
const char *kz_export_format_name(kz_export_format f);
/* The Content-Type an API answer of this format has. */
const char *kz_export_content_type(kz_export_format f);

/* One indicator as the row writers need it. */
typedef struct kz_export_row {
    const kz_indicator *ind;
    const struct kz_misp_attr *ma;   /* NULL: MISP defaults */
    const kz_event *ev;
    int64_t event_seq;
    const char *org_name;            /* the event's creator org */
    const char *object_uuid, *object_name, *object_meta_category; /* NULL: none */
    const char *event_url;           /* for Zeek's meta.url; NULL: "-" */
} kz_export_row;

typedef struct kz_export_writer kz_export_writer;
/* A writer for a row format (csv, text, zeek, suricata-dataset,
 * suricata-iprep). suricata-dataset needs dataset_type ("string", "md5",
 * "sha256", "ipv4", "ipv6"); rows of other types are skipped. */
int kz_export_writer_new(kz_export_format f, const char *dataset_type, kz_export_writer **out,
                         kz_err *err);
/* Header lines (CSV header, Zeek #fields). */
int kz_export_begin(kz_export_writer *w, kz_buf *out);
/* Appends the lines of one row (none when the format has no place for its
 * type). */
int kz_export_row_write(kz_export_writer *w, const kz_export_row *row, kz_buf *out);
/* Trailing output (suricata-iprep writes its de-duplicated lines here). */
int kz_export_end(kz_export_writer *w, kz_buf *out);
void kz_export_writer_free(kz_export_writer *w);
/* Suricata's reputation categories file (id,short name,description). */
int kz_export_iprep_categories(kz_buf *out);
/* The lines of a MISP feed's hashes.csv for one event: md5(value),uuid. */
int kz_export_feed_hashes(const struct kz_misp_event *me, kz_buf *out);

/* ---- STIX 2.1 (stix_*.c) ---------------------------------------------------
 * Import: a bundle, a TAXII envelope or one bare object. Every object is
 * checked against the spec's MUSTs, kept verbatim in the store (every
 * version; see store.h "STIX objects"), and mapped into the model where it
 * can be: a report becomes an event, an indicator whose pattern is a plain
 * comparison on a supported observable becomes indicators the matcher uses,
 * an identity becomes (or links to) an organisation, a sighting of an
 * indicator becomes sightings. Export: an event as a bundle.
 * Unlike the rest of formats these functions use the store: an import is
 * one transaction over objects, events, indicators, orgs and sightings. */

typedef struct kz_store kz_store;
typedef struct kz_stix_obj kz_stix_obj;

#define KZ_STIX_ID_MAX 300 /* bytes of an identifier we produce, with the NUL */

/* One object against the MUSTs that matter for keeping it faithfully:
 * identifier shape (type--UUID, the type matching), spec_version "2.1",
 * created / modified as RFC 3339 UTC with at least milliseconds and
 * modified >= created, the required properties of every SDO, SRO, SCO and
 * meta type, property names (custom ones too), the types of common and
 * well-known properties, *_ref / *_refs are identifiers (of the right type
 * where the spec says), markings, hashes, and a "stix" pattern parses.
 * KZ_E_VALUE with err->field the property ("pattern",
 * "external_references[0]") and err->msg the reason alone. scratch holds
 * the parsed pattern. */
int kz_stix_validate(const json_t *obj, kz_arena *scratch, kz_err *err);

/* TLP: the TLP of a marking-definition id (the TLP 1.0 ids of the STIX
 * spec and the TLP 2.0 ids of the OASIS TLP 2.0 extension), or -1; the TLP
 * 2.0 id for a level; the TLP 2.0 marking-definition object (new ref). */
int kz_stix_tlp_of_marking(const char *marking_id);
const char *kz_stix_tlp_marking_id(kz_tlp t);
json_t *kz_stix_tlp_marking(kz_tlp t);

/* RFC 8785 canonical JSON of j, appended to out. */
int kz_stix_jcs(const json_t *j, kz_buf *out);
/* The deterministic id of an SCO ("ipv4-addr--2b3e2c17-..."): UUIDv5 in
 * the STIX namespace over the JCS of its ID contributing properties (a
 * UUIDv4 when it has none, as the spec says). */
int kz_stix_sco_id(const json_t *sco, char *out, size_t outlen, kz_err *err);
/* The STIX pattern for an indicator's normalised value ("[ipv4-addr:value =
 * '198.51.100.1']"); KZ_E_VALUE for types no pattern expresses (cve, text). */
int kz_stix_pattern_of(const kz_indicator *ind, kz_buf *out, kz_err *err);

struct kz_stix_report;

typedef struct kz_stix_import_opts {
    const char *org_id;       /* required: owner of everything stored, creator of the events */
    const char *user_id;      /* creator_user of the events made; NULL or "" = none */
    kz_tlp default_tlp;       /* for objects without a TLP marking */
    kz_distribution distribution; /* of the events made */
    const char *community_id; /* NULL = none */
    bool publish;             /* publish the events made */
    bool create_orgs;         /* identities of class organization that match no org become one */
    const char *source;       /* names the catch-all event: a file name; NULL = the bundle id */
    const char *event_id;     /* objects no report claims go into this existing event
                               * (of org_id) instead of a new one; NULL = new */
    bool input_mapped;        /* the input is a read-only file mapping (mmap of the whole
                               * file): the pages of what is stored are dropped as the
                               * import goes, so a large file does not stay resident */
    /* What a caller stores with the objects, in the import's transaction
     * (NULL = nothing): begin runs once it has started, before anything
     * reads event_id (it may make that event); end once every object is
     * stored, before the commit, with the report's events and, for a
     * partial import, its items (its counts and messages come after the
     * commit). An error from either rolls all back. Neither runs when the
     * import fails before its transaction (a document it cannot read).
     * The transaction starts after the input is read, so other writers do
     * not wait for that. */
    int (*txn_begin)(void *ctx, kz_store *st, kz_err *err);
    int (*txn_end)(void *ctx, kz_store *st, const struct kz_stix_report *rep, kz_err *err);
    void *txn_ctx;
} kz_stix_import_opts;

typedef enum {
    KZ_STIX_ITEM_STORED,    /* a new object or a new version of one */
    KZ_STIX_ITEM_DUPLICATE, /* that id and version were already here: skipped, not an error */
    KZ_STIX_ITEM_INVALID,   /* not stored: see message */
} kz_stix_item_status;

/* Each object of the input, in input order (what a TAXII status resource
 * lists). */
typedef struct kz_stix_item {
    char *id;         /* as given; "" when it had none */
    char *version;    /* modified, else created, as given; NULL when neither */
    kz_stix_item_status status;
    char *message;    /* INVALID: "object <id>: <property>: <reason>" */
} kz_stix_item;

typedef struct kz_stix_report {
    size_t n_objects, n_stored, n_duplicates, n_invalid;
    size_t n_events, n_indicators, n_sightings, n_orgs_created, n_orgs_linked;
    kz_strlist events;      /* events made or added to, in order */
    kz_errlist errors;      /* invalid objects: field "objects[i].<property>" */
    kz_errlist warnings;    /* kept as STIX only: pattern values that are not valid observables */
    kz_stix_item *items;    /* filled when not all_or_nothing (TAXII's status) */
    size_t n_items;
    /* Newer versions of known objects (docs/stix.md, "Versions"): kz
     * indicators updated in place, deleted (revoked, or a value the new
     * pattern dropped), and objects moved into a report's event. */
    size_t n_indicators_updated, n_indicators_deleted, n_objects_moved;
} kz_stix_report;

/* Imports p[0..n). all_or_nothing: any invalid object and nothing is stored
 * (KZ_E_VALUE, every failure in rep->errors, err a summary); otherwise the
 * valid objects are stored and each failure is listed (TAXII's Add
 * Objects). Either way everything stored is one transaction. Output in a.
 * Inside a JSON budget scope (kz_json_budget_begin) the threads that read
 * objects keep a budget of the same size each; if one runs out, nothing is
 * stored: KZ_E_TOOLARGE (kz_stix_too_complex). */
/* KZ_E_TOOLARGE, the document of size bytes named as too complex. */
int kz_stix_too_complex(kz_err *err, size_t size);
int kz_stix_import(kz_store *st, const char *p, size_t n, const kz_stix_import_opts *opts,
                   bool all_or_nothing, kz_arena *a, kz_stix_report *rep, kz_err *err);

/* What an export may include; NULL callbacks allow everything (the CLI
 * acts as the node operator). allow_obj is asked for each stored object
 * (its event and TLP are in it), allow_ind for each of the event's own
 * indicators. */
typedef struct kz_stix_export_opts {
    bool (*allow_obj)(void *ctx, const kz_stix_obj *o);
    bool (*allow_ind)(void *ctx, const kz_indicator *ind);
    void *ctx;
} kz_stix_export_opts;

/* The event as a bundle, appended to out as JSON text: the objects it was
 * imported from (verbatim, latest versions) with everything they reference
 * that the node holds, and for its own indicators a report
 * (report--<event id>), indicator--<indicator id> objects with patterns,
 * the observables with deterministic ids, the creator org's identity
 * (identity--<UUIDv5 of the org id>) and the TLP 2.0 marking definitions.
 * *n_objects (may be NULL) gets the count. KZ_E_NOTFOUND for no event. */
int kz_stix_export_event(kz_store *st, const char *event_id, const kz_stix_export_opts *opts,
                         kz_buf *out, size_t *n_objects, kz_err *err);


/* ---- cases: joint incident response (json_case.c) ------------------------
 * Strict like the other native parsers: unknown fields 400, wrong types
 * 400, bad values 422, each naming the field. Server-set fields (id,
 * lead_org, status, created, ...) may be sent back on create and PATCH
 * only with their current value (the create parser refuses them). */
int kz_json_case_parse(const json_t *j, kz_arena *a, kz_case *out, kz_err *err);
/* title, description, severity, tlp, pap, category, subtype; status moves
 * only by transition, drill is fixed at creation. */
int kz_json_case_patch(const json_t *j, kz_arena *a, kz_case *c, kz_err *err);
/* {"status": "...", "note": "..."} */
int kz_json_case_transition_parse(const json_t *j, kz_arena *a, kz_case_transition *out,
                                  kz_err *err);
/* {"org_id": "..."} */
int kz_json_case_invite_parse(const json_t *j, kz_uuid org_id, kz_err *err);
/* {"event_id": "..."}: the event an observable is promoted into. */
int kz_json_case_promote_parse(const json_t *j, kz_uuid event_id, kz_err *err);
/* {"kind": "event"|"indicator"|"sighting", "id": "..."}; *kind is static. */
int kz_json_case_link_parse(const json_t *j, const char **kind, kz_uuid id, kz_err *err);
int kz_json_case_task_parse(const json_t *j, kz_arena *a, kz_case_task *out, kz_err *err);
int kz_json_case_task_patch(const json_t *j, kz_arena *a, kz_case_task *t, kz_err *err);
/* {"kind": "comment"|"correction", "text", "corrects", "tlp"}; "action"
 * entries are written by the node only. */
int kz_json_case_entry_parse(const json_t *j, kz_arena *a, kz_case_entry *out, kz_err *err);
/* {"at": RFC 3339, "text"} */
int kz_json_case_inject_parse(const json_t *j, kz_arena *a, kz_case_inject *out, kz_err *err);
/* {"type", "value", "comment"}: the value is normalised like an indicator's. */
int kz_json_case_observable_parse(const json_t *j, kz_arena *a, kz_case_observable *out,
                                  kz_err *err);

/* summary: only what an invited org sees (id, title, severity, tlp, pap,
 * category, subtype, status, lead_org, drill, created). */
json_t *kz_json_case(const kz_case *c, bool summary);
json_t *kz_json_case_participant(const kz_case_participant *p);
json_t *kz_json_case_task(const kz_case_task *t, kz_time now);
json_t *kz_json_case_entry(const kz_case_entry *e);
json_t *kz_json_case_transition(const kz_case_transition *t);
json_t *kz_json_case_inject(const kz_case_inject *x);
json_t *kz_json_case_observable(const kz_case_observable *o);
/* {"cases":[...],"orgs":[...],"open_by_severity":{...},"open_by_country":{...},
 *  "overdue_tasks":n, "drill":bool}; durations in seconds (null = not reached). */
json_t *kz_json_case_metrics(const kz_case_metrics *m, bool drill);

#endif
