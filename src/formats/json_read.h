/* json_read.h — private to formats: reading typed fields out of jansson
 * objects with errors that name the JSON path of the field.
 *
 * Paths are built only when something fails, so the hot path (a million
 * indicators in one import) never formats a string it does not need.
 */
#ifndef KZ_FORMATS_JSON_READ_H
#define KZ_FORMATS_JSON_READ_H

#include "formats.h"

/* Where in the document we are: base ("" at the top, "indicators", or a
 * caller's prefix) followed by "[idx]" when idx >= 0. */
typedef struct kz_jr {
    kz_arena *a;
    kz_err *err;
    const char *base;
    long idx;
} kz_jr;

/* Field flags for kz_jr_string and friends. */
enum {
    KZ_JR_NULLABLE = 1,  /* JSON null is accepted and means "unset" */
    KZ_JR_NONEMPTY = 2,  /* "" (or only whitespace) is refused */
    KZ_JR_MULTILINE = 4, /* tab, CR and LF are allowed; other controls never */
};

/* The path of key (NULL: the object itself), with "[sub]" when sub >= 0. */
void kz_jr_path(const kz_jr *r, const char *key, long sub, char *out, size_t n);
/* "string", "integer", "array", ... for messages. */
const char *kz_jr_type(const json_t *v);
/* Copies s for quoting in a message: at most 64 bytes cut at a character
 * boundary (then "..."), control characters shown as '?'. */
void kz_jr_quote(const char *s, size_t n, char out[80]);
/* Cuts s at its first invalid UTF-8 byte, so a truncated message stays
 * valid text for the JSON error body. */
void kz_jr_utf8_trim(char *s);

/* Errors. Each fills r->err (field = path) and returns the code. */
/* "'<path>' " + fmt */
int kz_jr_fail(const kz_jr *r, int code, const char *key, long sub, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* "<path>: " + inner->msg, always KZ_E_VALUE (an ioc, tag, time or ACL verdict). */
int kz_jr_fail_from(const kz_jr *r, const char *key, long sub, const kz_err *inner);
int kz_jr_unknown(const kz_jr *r, const char *key);
int kz_jr_missing(const kz_jr *r, const char *key);
int kz_jr_unchangeable(const kz_jr *r, const char *key);
/* Checks that v is an object: "'indicators[3]' must be an object, got string". */
int kz_jr_object(const kz_jr *r, const json_t *v);

/* Typed readers. v is the member's value. */
int kz_jr_string(const kz_jr *r, const char *key, const json_t *v, size_t max, unsigned flags,
                 char **out);
int kz_jr_bool(const kz_jr *r, const char *key, const json_t *v, bool *out);
int kz_jr_int(const kz_jr *r, const char *key, const json_t *v, int64_t lo, int64_t hi,
              int64_t *out);
/* RFC 3339 string, or null (-> 0). */
int kz_jr_time(const kz_jr *r, const char *key, const json_t *v, kz_time *out);
/* A UUID, lower-cased; with KZ_JR_NULLABLE null gives "". */
int kz_jr_uuid(const kz_jr *r, const char *key, const json_t *v, unsigned flags, kz_uuid out);
/* An array of UUIDs (null = empty), duplicates dropped; at most max. */
int kz_jr_uuid_list(const kz_jr *r, const char *key, const json_t *v, size_t max,
                    kz_strlist *out);
/* A vocabulary name through parse(); choices lists them for the message.
 * With KZ_JR_NULLABLE null gives -1. */
int kz_jr_enum(const kz_jr *r, const char *key, const json_t *v, int (*parse)(const char *),
               const char *choices, unsigned flags, int *out);

/* PATCH bodies may repeat a server-set field (a client sending back what it
 * read) but not change it: these parse v and fail with "field 'id' cannot be
 * changed" unless it equals the current value. */
int kz_jr_keep_uuid(const kz_jr *r, const char *key, const json_t *v, const char *cur);
int kz_jr_keep_time(const kz_jr *r, const char *key, const json_t *v, kz_time cur);
int kz_jr_keep_bool(const kz_jr *r, const char *key, const json_t *v, bool cur);

#define KZ_JR_TLP_CHOICES "clear, green, amber, amber+strict, red"
#define KZ_JR_PAP_CHOICES "clear, green, amber, red"
#define KZ_JR_DIST_CHOICES "org, community, connected, all, sharing_group"

/* Tags (json_tags.c): each checked and trimmed, duplicates dropped. TLP
 * machine tags go to *tlp and PAP ones to *pap (when pap is not NULL;
 * otherwise they stay tags); both start at -1 = none. Two different TLP (or
 * PAP) tags are a conflict. */
int kz_jr_tags(const kz_jr *r, const char *key, const json_t *v, kz_strlist *tags, int *tlp,
               int *pap);
/* Reconciles an explicit field (has_explicit; its value may be -1 for a
 * nullable field set to null) with the value from tags (-1: none): they must
 * agree. *out gets whichever is set and is left alone if neither is. name()
 * must accept -1. */
int kz_jr_merge_marking(const kz_jr *r, const char *field, bool has_explicit, int explicit_v,
                        int from_tags, const char *(*name)(int), int *out);
const char *kz_jr_tlp_name(int t); /* -1 gives "null" */
const char *kz_jr_pap_name(int p);
const char *kz_jr_dist_name(int d);

/* The indicator reader shared by the event and the batch parsers. norm is a
 * scratch buffer reused across rows. */
int kz_jr_indicator(const kz_jr *r, const json_t *j, kz_buf *norm, kz_indicator *out);
/* Reads every row of arr ("indicators[i]" paths) into an arena array. With
 * ev, each row is also checked not to be looser than the event. Bad rows go
 * to errs (at most KZ_MAX_ERRORS); the summary goes to err. */
int kz_jr_indicator_rows(const json_t *arr, kz_arena *a, const kz_event *ev, kz_indicator **out,
                         size_t *n, kz_errlist *errs, kz_err *err);

#endif
