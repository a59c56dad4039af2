/* misp_int.h — private to the MISP files of src/formats: reading MISP's
 * loosely typed JSON (numbers that are strings, booleans that are "0"),
 * and the pieces the importer and the exporters share.
 */
#ifndef KZ_FORMATS_MISP_INT_H
#define KZ_FORMATS_MISP_INT_H

#include "formats.h"
#include "store/store.h" /* struct kz_misp_event and friends: data only */

/* MISP writes integers as JSON numbers or decimal strings ("3"). 0, or -1
 * when v is neither or is outside [lo, hi]. */
int kz_mj_int(const json_t *v, int64_t lo, int64_t hi, int64_t *out);
/* true / false, 0 / 1, "0" / "1", "true" / "false". */
int kz_mj_bool(const json_t *v, bool *out);
/* Epoch seconds (number or string) as µs; null, "" and absent give 0. */
int kz_mj_epoch(const json_t *v, kz_time *out);
/* RFC 3339 text or epoch seconds; null and "" give 0. */
int kz_mj_time(const json_t *v, kz_time *out);
/* A string member copied into a (NULL for JSON null or absent); -1 when v
 * is another JSON type, -2 when longer than max bytes. */
int kz_mj_str(kz_arena *a, const json_t *v, size_t max, char **out);
/* A {"uuid","name"} organisation object (Orgc, Org, Organisation). */
int kz_mj_org(kz_arena *a, const json_t *v, kz_misp_org_ref *out);

/* Limits on MISP text (bytes). */
#define KZ_MISP_MAX_INFO 65536
#define KZ_MISP_MAX_SHORT 1024
#define KZ_MISP_MAX_DATA ((size_t)256 << 20)

/* The attachment text a kz_misp_load marker stands for; -1 when marker is
 * not one (or spans is NULL). */
int kz_misp_span_value(const kz_misp_spans *spans, const char *marker, const char **p,
                       size_t *n);

/* A big single-event document cut for streaming (misp_split.c): the event
 * without its "Attribute" array, and where each element of that array is,
 * so that the elements can be parsed in chunks while the store writes. */
struct kz_misp_split {
    const char *text;      /* the document as given */
    size_t text_n;
    const char *buf;       /* the document with big strings as markers, or text */
    char *owned;           /* buf when it is a copy */
    size_t n;
    kz_misp_spans spans;
    json_t *header;        /* the document, its event's "Attribute" array emptied */
    size_t n_elems;
    size_t *beg, *end;     /* each element of that array in buf */
    /* streaming state */
    struct kz_mi *c;
    const json_t *event;   /* in header */
    kz_misp_progress progress;
    /* The parser fills its own copy of the event: the store reads the
     * caller's (out) while it runs, and the two share only the attribute
     * arrays, up to progress.ready. The counts, objects and warnings are
     * copied back to out when the parser is done. */
    kz_misp_event pme, *out;
    kz_err perr;           /* the parser's errors (the caller's err is the store's) */
    bool started;
};
/* kz_misp_split_run's steps, in misp_import.c. */
int kz_mi_split_begin(kz_misp_split *sp, const kz_misp_import_opts *o, kz_arena *a,
                      kz_misp_event *out, kz_err *err);
int kz_mi_split_attrs(kz_misp_split *sp);
/* Finds the big strings of p (misp_load.c); false when p is not plain
 * enough to be sure. *numbers_plain: every number is spelled as JSON. */
bool kz_misp_find_spans(const char *p, size_t n, kz_misp_spans *s, bool *numbers_plain);
char *kz_misp_with_markers(const char *p, size_t n, const kz_misp_spans *s, size_t *out_n);

/* kz_json_load, through the quick reader of stix_json.c when the text is
 * plain enough for it (misp_json.c): the same tree, or kz_json_load's own
 * verdict and message. _read when the caller knows whether every number of
 * p is spelled as JSON allows (the one thing the quick reader does not
 * check; false: kz_json_load). */
int kz_misp_json_load(const char *p, size_t n, json_t **out, kz_err *err);
int kz_misp_json_read(const char *p, size_t n, bool numbers_plain, json_t **out, kz_err *err);
bool kz_misp_json_numbers_plain(const char *p, size_t n);
/* A JSON number, exactly; and the bytes the quick reader takes for one. */
bool kz_misp_json_number(const char *s, size_t n);
bool kz_misp_json_number_byte(char c);
/* stix_json.c (declared in stix_int.h, owned by the STIX import): the tree
 * json_loadb would build for p[0..n) (a JSON object), or NULL when it
 * cannot be sure; it trusts the spelling of numbers. */
json_t *kz__stix_json_read(const char *p, size_t n);

/* Seconds as MISP writes times ("1418217625"); 0 when t is 0. */
int64_t kz_misp_secs(kz_time t);

/* ---- the importer's state (misp_import*.c) ---- */
typedef struct kz_mi {
    kz_arena *a;
    kz_err *err;
    kz_misp_event *me;
    const kz_misp_spans *spans; /* attachments kept out of the JSON tree */
    kz_misp_progress *progress; /* streaming (misp_split.c): publish, never grow */
    kz_buf norm, tmp;  /* scratch, reused across attributes */
    size_t cap_ind;    /* room in me->ev.indicators / me->attrs */
    size_t cap_obj;
} kz_mi;

/* "'<path>': " + message; returns code. */
int kz_mi_fail(kz_mi *c, const char *path, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Adds a note to me->warnings (at most 1000 are kept). */
void kz_mi_warn(kz_mi *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parses one attribute (path "Attribute[3]" or "Object[1].Attribute[0]")
 * and appends it to the event; obj is its object's index (-1: none), and
 * obj_dist the object's distribution (-1: inherit / none). */
int kz_mi_attribute(kz_mi *c, const json_t *j, const char *path, long obj, int obj_dist);
/* Tags of an event or attribute ("Tag":[{"name":..}], or "EventTag":[{"Tag":..}]):
 * TLP tags go to *tlp (the strictest) with their spelling in *tlp_tag, PAP
 * tags likewise when pap is not NULL, the rest to tags. */
int kz_mi_tags(kz_mi *c, const json_t *arr, const char *path, bool wrapped, kz_strlist *tags,
               int *tlp, char **tlp_tag, int *pap, char **pap_tag);

#endif
