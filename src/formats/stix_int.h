/* stix_int.h — private to the STIX files of src/formats: the byte scanner
 * that splits a bundle into its objects without building one tree for the
 * whole document, the strict STIX timestamp, the type catalogue the
 * validator and the importer share, the importer's records (read in one
 * pass, stored in a second), and the export's building blocks.
 */
#ifndef KZ_FORMATS_STIX_INT_H
#define KZ_FORMATS_STIX_INT_H

#include <stdatomic.h>

#include "formats.h"
#include "store/store.h"

/* ---- scanning (stix_scan.c) --------------------------------------------- */

typedef struct sx_span {
    size_t off, len;
    bool ws; /* white space outside strings: the text needs minifying */
} sx_span;

typedef enum { SX_DOC_BUNDLE, SX_DOC_ENVELOPE, SX_DOC_OBJECT } sx_doc_kind;

typedef struct sx_doc {
    sx_doc_kind kind;
    json_t *top;   /* the top level without "objects" (new reference); caller decrefs */
    sx_span *objs; /* arena-owned: each element of "objects" (or the whole doc) */
    size_t n;
} sx_doc;

/* Checks the syntax of the whole document (offsets in messages are 1-based
 * line and column), then finds its kind and the byte span of every object.
 * Elements of "objects" that are not JSON objects are still listed (their
 * span starts with something other than '{'): the importer reports them as
 * invalid objects instead of refusing the whole document. */
int kz__stix_scan(const char *p, size_t n, kz_arena *a, sx_doc *out, kz_err *err);
/* Appends p[0..n) without the white space outside strings. */
int kz__stix_minify(const char *p, size_t n, kz_buf *out);

/* ---- skimming (stix_skim.c) --------------------------------------------- */

typedef struct sx_slice {
    const char *p; /* NULL = absent */
    size_t len;
} sx_slice;

typedef struct sx_skim {
    sx_slice type, id, created, modified; /* raw string contents, no escapes */
} sx_skim;

/* The object's type, id, created and modified from its bytes (a span the
 * scanner accepted). 0, or -1 when the object must be read in full to know
 * them (escapes, repeated keys, not strings, no type or id). */
int kz__stix_skim(const char *p, size_t n, sx_skim *out);

/* ---- one object's tree (stix_json.c) ------------------------------------ */

/* The tree json_loadb would build for p[0..n) (a JSON object), or NULL when
 * the fast reader cannot be sure: then ask json_loadb. */
json_t *kz__stix_json_read(const char *p, size_t n);

/* ---- types and timestamps (stix_types.c) -------------------------------- */

typedef enum {
    SX_SDO,
    SX_SRO,
    SX_SCO,
    SX_MARKING,   /* marking-definition */
    SX_LANG,      /* language-content */
    SX_EXTDEF,    /* extension-definition */
    SX_CUSTOM,    /* any other type name */
} sx_kind;

sx_kind kz__stix_kind(const char *type);
/* The spec's own (static) copy of a defined type name, or NULL. */
const char *kz__stix_type_intern(const char *type);
/* Type names: ASCII a-z 0-9 '-', starting with a letter, 3..250, no "--". */
bool kz__stix_type_name_ok(const char *s);
/* "type--uuid" with a valid type name and an RFC 4122 UUID (either case);
 * type_out (may be NULL, >= 251 bytes) receives the type part. */
bool kz__stix_identifier_ok(const char *s, char *type_out);
/* YYYY-MM-DDTHH:MM:SS[.s+]Z, a real date and time; need_ms asks for at
 * least three fraction digits (created, modified). 0, or -1 and *why. */
int kz__stix_ts(const char *s, bool need_ms, kz_time *out, const char **why);

/* ---- TLP marking definitions (stix_tlp.c) ------------------------------- */

/* The TLP of a marking-definition id (TLP 1.0 and TLP 2.0 sets), or -1. */
int kz__stix_tlp_of_marking(const char *id);
/* The strictest TLP among a list of marking ids (json array), or -1. */
int kz__stix_tlp_of_refs(const json_t *refs);
/* The TLP 1.0 definition_type "tlp" objects are fixed by the spec: true
 * when id is one of them and definition.tlp agrees. */
bool kz__stix_tlp1_definition_ok(const char *id, const json_t *definition);
/* The TLP 1.0 marking-definition object for one of its ids (new ref), or NULL. */
json_t *kz__stix_tlp1_marking(const char *id);

/* ---- validation (stix_validate.c) --------------------------------------- */

/* kz_stix_validate that also hands back the parsed pattern of an indicator
 * with pattern_type "stix" (NULL otherwise), so the importer parses once. */
int kz__stix_validate(const json_t *o, kz_arena *scratch, kz_stix_pattern **pattern, kz_err *err);

/* ---- import (stix_import.c reads, stix_import_store.c stores) ---------- */

/* A plain observable from an indicator's pattern, normalised. */
typedef struct sx_value {
    kz_ioc_type type;
    const char *value;
} sx_value;

/* What the mapping needs from the types it maps; NULL for other types. */
typedef struct sx_extra {
    const char *name, *description;
    kz_strlist labels;
    kz_time t1, t2;     /* indicator: valid_from/until; report: published; sighting: first/last seen */
    sx_value *values;   /* indicator: its plain observables (any of them matches) */
    size_t n_values;
    kz_strlist refs;    /* report: object_refs; sighting: where_sighted_refs */
    const char *ref;    /* sighting: sighting_of_ref */
    int64_t count;      /* sighting */
    const char *identity_class, *sector; /* identity */
    kz_strlist ind_ids; /* indicator: the kz indicators made from it */
} sx_extra;

enum { SX_S_INVALID, SX_S_STORE, SX_S_DUP };

/* One object of the input. The main thread fills index, span, the skimmed
 * fields, the group fields and status; a reader thread fills the rest (and
 * bad) when it reads the object in full. */
typedef struct sx_rec {
    long index;
    sx_span span;
    const char *id, *type;
    const char *version; /* text of modified, else created; NULL */
    kz_time created, modified, vkey;
    const char *created_by_ref;
    int tlp;             /* from its markings; -1 = none */
    bool revoked;
    bool skimmed;        /* id, type, created, modified came from the skim */
    bool early;          /* read in full before planning; x outlives its chunk */
    bool bad;            /* the full read found it invalid */
    int status;
    const char *message; /* invalid: the reason */
    struct sx_rec *group;     /* the first record of this id in the input */
    struct sx_rec *next_same; /* the next record of this id */
    struct sx_rec *last_same; /* group-level: the last record of this id so far */
    /* group-level (on the first record of an id) */
    bool absent;              /* the node has no version of it (one ask for all) */
    size_t known_versions;    /* on the node before this import */
    kz_time known_max;
    kz_uuid known_event;
    int home;                 /* index into the import's events; -1 = none yet */
    struct sx_rec *latest;    /* the STORE record with the highest vkey */
    bool claimed;
    /* per record */
    bool fresh;               /* the only record of an id the node has never seen */
    int64_t seq;
    sx_extra *x;
} sx_rec;

/* Threads that read (parse and validate) a large input in parallel. */
#define KZ_STIX_READERS 4
/* Objects per chunk: the unit a reader takes and the writer stores. The
 * writer waits for the first chunk's full read before it stores anything,
 * so an input of fewer than KZ_STIX_SMALL_CHUNKS such chunks is cut into
 * quarter chunks (a TAXII envelope's first rows go in after 1,024 full
 * reads, not 4,096). */
#define KZ_STIX_CHUNK 4096
#define KZ_STIX_SMALL_CHUNKS 16
/* How many chunks the readers may be ahead of the writer. */
#define KZ_STIX_AHEAD 6
/* Full-size chunks' worth of objects from which two threads skim the
 * input (stix_import.c). */
#define KZ_STIX_SKIM2_MIN 8

/* An event the import puts objects into. */
typedef struct sx_event {
    kz_uuid id;
    bool is_new;       /* made by this import */
    bool written;      /* a new one is stored on first use (write_chunk) */
    kz_tlp tlp;
    sx_rec *report;    /* the report it was made from; NULL for the catch-all */
} sx_event;

/* A run of im->chunk objects as read by one reader: what the full reads
 * keep until the objects are stored (data, freed then), and their messages
 * (kept to the end, joined in input order). */
typedef struct sx_chunk {
    kz_arena data, notes;
    kz_errlist errors, warnings;
    size_t n_invalid;
    bool done;
} sx_chunk;

/* Where one full read puts what it keeps. */
typedef struct sx_reader {
    struct sx_import *im;
    kz_arena *data, *notes;
    sx_chunk *chunk;
} sx_reader;

typedef struct sx_import {
    kz_store *st;
    const char *p;
    const kz_stix_import_opts *o;
    bool all_or_nothing;
    kz_arena *a;        /* the caller's: report, messages */
    kz_arena work;      /* records and everything mapped */
    kz_arena work2;     /* what the second skimmer keeps (stix_import.c) */
    kz_stix_report *rep;
    sx_doc doc;
    sx_rec *recs;
    size_t n;
    sx_rec **table;     /* id -> first record, open addressing */
    size_t table_cap;
    sx_event *events;
    size_t n_events, cap_events;
    kz_uuid catchall_id;
    int catchall;       /* index into events, -1 = none */
    kz_time now;
    kz_org org;         /* the importing org */
    kz_uuid ours_cache; /* the last event asked about, and whether it is org's */
    bool ours_cache_val;
    /* reading: chunks taken by reader threads, stored in order by the writer */
    sx_chunk *chunks;
    size_t chunk;       /* objects per chunk: KZ_STIX_CHUNK or a quarter */
    size_t n_chunks, next_chunk, n_threads;
    size_t skimmed;     /* chunks the skim is done with */
    size_t stored;      /* chunks the writer is done with */
    void *sync;         /* the readers' lock and signal (stix_import.c) */
    size_t budget_doc;  /* the caller's JSON budget scope, for the other threads; 0 = none */
    atomic_bool budget_over; /* a thread of this import ran out of it */
    size_t n_early_invalid; /* found invalid before planning */
    /* writing */
    kz_indicator *ind_buf; /* the kz indicators of the chunk being stored */
    size_t n_ind;
    int ind_event;      /* the event they go into */
    size_t n_events_made;
    size_t n_ind_created, n_ind_updated, n_ind_deleted, n_moved;
} sx_import;

/* Reads one object in full (parse, validate, extract). */
void kz__stix_read_one(sx_reader *rd, sx_rec *r, kz_buf *norm);
/* Chunk k read (by a reader thread, or here when there is none). */
void kz__stix_chunk_wait(sx_import *im, size_t k);
/* With opts input_mapped: drops the resident pages of the input before
 * offset end / up to the end of chunk k's objects. */
void kz__stix_drop_input(const sx_import *im, size_t end);
size_t kz__stix_chunk_end(const sx_import *im, size_t k);
/* The writer is done with chunk k (readers may go further). */
void kz__stix_chunk_stored(sx_import *im, size_t k);
/* Every chunk read; the number of invalid objects. */
size_t kz__stix_wait_all(sx_import *im);
/* Bulk load: an import of at least this many objects into a node with no
 * STIX object yet, no id in two versions, drops the indexes that rows would
 * enter in random order (objects' id keys; indicators' value, address,
 * domain when there are none) for the writes and rebuilds them before the
 * commit (kz_store_stix_bulk_begin). A
 * variable so tests can force either path; the count of imports that
 * dropped the indexes lets them check which one ran. */
#define KZ_STIX_BULK_MIN 10000
extern size_t kz__stix_bulk_min;
extern _Atomic size_t kz__stix_bulk_loads;
/* Whether a thread of the import (this one included) ran out of the
 * caller's JSON budget. */
bool kz__stix_budget_spent(const sx_import *im);
/* A partial import's item list, from the records (once). */
void kz__stix_fill_items(sx_import *im);
/* Plans, maps and stores the valid records in one transaction. */
int kz__stix_import_store(sx_import *im, kz_err *err);
/* A newer version of a known indicator: the kz indicators made from the
 * earlier versions follow it (updated, deleted, or added) and r->x->ind_ids
 * lists the live ones (stix_versions.c). */
int kz__stix_indicator_version(sx_import *im, sx_rec *r, const char *event_id, kz_arena *a,
                               kz_err *err);
/* A newer version of a known report: objects it no longer lists lose their
 * kz indicators in its event, known objects it now lists move into it. */
int kz__stix_report_version(sx_import *im, sx_event *e, kz_err *err);
/* Whether an event is the importing org's (remembers the last answer). */
int kz__stix_event_is_ours(sx_import *im, const char *id, bool *ours, kz_err *err);
/* kz_indicator fields from an indicator record (shared by new and updated). */
void kz__stix_fill_indicator(const sx_import *im, const sx_rec *r, kz_tlp event_tlp,
                             kz_arena *a, kz_indicator *ind);
/* Record lookup by id (the first record of that id), or NULL. */
sx_rec *kz__stix_find(const sx_import *im, const char *id);
/* Pushes a warning or error "object <id>: field: msg" to l (copied into a). */
void kz__stix_note(kz_arena *a, kz_errlist *l, const sx_rec *r, const char *field,
                   const char *msg);

/* ---- export helpers (stix_export_obj.c) --------------------------------- */

/* The kizuna namespace for the UUIDv5 of the objects a node makes about
 * itself (identity of an org, bundle ids); never the SCO namespace, which
 * the spec reserves for SCOs. */
#define KZ_STIX_KIZUNA_NS "6b9d7c4e-3f0a-4b52-9c1d-2e8f5a7b0c36"

/* Appends `'value'` with \ and ' escaped as the pattern grammar wants. */
void kz__stix_pattern_quote(kz_buf *b, const char *s);
/* identity--<UUIDv5(KZ_STIX_KIZUNA_NS, org id)>. */
void kz__stix_identity_id(const char *org_id, char out[KZ_STIX_ID_MAX]);
/* Appends to out (a JSON array) the STIX objects for n of the event's
 * indicators: the creator identity, the TLP 2.0 markings used, the report
 * (with_report), indicators (vulnerability for a CVE, note for text) and
 * their observables. */
int kz__stix_native(const kz_event *ev, const kz_org *org, const kz_indicator *const *inds,
                    size_t n, bool with_report, kz_arena *a, json_t *out, kz_err *err);

#endif
