/* stix_import.c — reading a STIX document: split it into objects, parse and
 * validate each one, and keep what the mapping needs (ids, versions,
 * markings, and for reports, indicators, identities and sightings their
 * few useful properties). Nothing is written here; stix_import_store.c does
 * that in one transaction once the whole input has been read, because a
 * report may come after the indicators it claims.
 *
 * Objects are parsed one at a time from their byte span, so a million-object
 * bundle never becomes one tree, and what is stored is the object's own text.
 */
#include "json_read.h"
#include "stix_int.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- notes and errors ------------------------------------------------------ */

void kz__stix_note(kz_arena *a, kz_errlist *l, const sx_rec *r, const char *field,
                   const char *msg)
{
    kz_err e = {.code = KZ_E_VALUE};
    char who[96];
    if (r->id && *r->id)
        snprintf(who, sizeof who, "%.90s", r->id);
    else
        snprintf(who, sizeof who, "objects[%ld]", r->index);
    if (field && *field) {
        snprintf(e.field, sizeof e.field, "objects[%ld].%s", r->index, field);
        snprintf(e.msg, sizeof e.msg, "object %s: %s: %s", who, field, msg);
    } else {
        snprintf(e.field, sizeof e.field, "objects[%ld]", r->index);
        snprintf(e.msg, sizeof e.msg, "object %s: %s", who, msg);
    }
    kz_jr_utf8_trim(e.msg);
    if (l->n < KZ_MAX_ERRORS)
        kz_errlist_push(a, l, &e);
}

/* One reader of pass 1: a contiguous range of the objects, with its own
 * memory and lists so that readers run in parallel; the lists are joined in
 * order afterwards. */
typedef struct sx_reader {
    sx_import *im;
    size_t from, to;
    kz_arena *arena;
    kz_errlist errors, warnings;
    size_t n_invalid;
} sx_reader;

static void invalid(sx_reader *rd, sx_rec *r, const char *field, const char *msg)
{
    r->status = SX_S_INVALID;
    rd->n_invalid++;
    kz__stix_note(rd->arena, &rd->errors, r, field, msg);
    /* The full text for the item list, even past KZ_MAX_ERRORS. */
    char buf[700];
    if (field && *field)
        snprintf(buf, sizeof buf, "object %.90s: %s: %s", r->id && *r->id ? r->id : "(no id)",
                 field, msg);
    else
        snprintf(buf, sizeof buf, "object %.90s: %s", r->id && *r->id ? r->id : "(no id)", msg);
    kz_jr_utf8_trim(buf);
    r->message = kz_arena_strdup(rd->arena, buf);
}

/* ---- the id table ---------------------------------------------------------- */

static size_t slot_of(const sx_import *im, const char *id)
{
    return (size_t)kz_hash64(id, strlen(id)) & (im->table_cap - 1);
}

sx_rec *kz__stix_find(const sx_import *im, const char *id)
{
    if (!im->table || !id)
        return NULL;
    for (size_t i = slot_of(im, id);; i = (i + 1) & (im->table_cap - 1)) {
        sx_rec *r = im->table[i];
        if (!r)
            return NULL;
        if (strcmp(r->id, id) == 0)
            return r;
    }
}

static int index_records(sx_import *im)
{
    size_t cap = 16;
    while (cap < im->n * 2)
        cap *= 2;
    im->table = kz_arena_alloc(&im->work, cap * sizeof *im->table);
    if (!im->table)
        return KZ_E_NOMEM;
    im->table_cap = cap;
    for (size_t k = 0; k < im->n; k++) {
        sx_rec *r = &im->recs[k];
        if (r->status == SX_S_INVALID)
            continue;
        size_t i = slot_of(im, r->id);
        for (;; i = (i + 1) & (cap - 1)) {
            sx_rec *o = im->table[i];
            if (!o) {
                im->table[i] = r;
                r->group = r;
                break;
            }
            if (strcmp(o->id, r->id) == 0) {
                r->group = o;
                sx_rec *t = o;
                while (t->next_same)
                    t = t->next_same;
                t->next_same = r;
                break;
            }
        }
    }
    return 0;
}

/* ---- extraction ------------------------------------------------------------ */

static const char *str_of(kz_arena *a, const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? kz_arena_strdup(a, s) : NULL;
}

static kz_time ts_of(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    kz_time t = 0;
    const char *why;
    if (s)
        kz__stix_ts(s, false, &t, &why);
    return t;
}

static void strings_of(kz_arena *a, const json_t *o, const char *k, kz_strlist *out)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(o, k), i, e) {
        const char *s = json_string_value(e);
        if (s)
            kz_strlist_push(a, out, s);
    }
}

/* Indicators one pattern may give (a write batch must hold one pattern's). */
#define SX_MAX_VALUES 1000

/* The plain observables of a pattern, normalised; values that do not
 * normalise are noted as warnings and left out. */
static void indicator_values(sx_reader *rd, sx_rec *r, const kz_stix_pattern *pat,
                             kz_arena *scratch, kz_buf *norm)
{
    kz_stix_simple *items = NULL;
    size_t n = 0;
    bool any_of = false;
    if (!pat || kz_stix_pattern_simple(pat, scratch, &items, &n, &any_of, NULL) != 0)
        return;
    if (!any_of && n > 1)
        return; /* an AND of several observables is no single indicator */
    sx_extra *x = r->x;
    x->values = kz_arena_alloc(rd->arena, n * sizeof *x->values);
    if (!x->values)
        return;
    if (n > SX_MAX_VALUES) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "%zu observables in one pattern; the first %d become indicators, the pattern "
                 "is kept whole as STIX",
                 n, SX_MAX_VALUES);
        kz__stix_note(rd->arena, &rd->warnings, r, "pattern", msg);
        n = SX_MAX_VALUES;
    }
    for (size_t i = 0; i < n; i++) {
        kz_err e = {0};
        const char *v = items[i].value;
        if (kz_ioc_normalize(items[i].type, v, strlen(v), norm, &e) != 0) {
            char msg[600];
            snprintf(msg, sizeof msg, "%s; the indicator is kept as STIX only for this value",
                     e.msg);
            kz__stix_note(rd->arena, &rd->warnings, r, "pattern", msg);
            continue;
        }
        bool dup = false;
        for (size_t k = 0; k < x->n_values && !dup; k++)
            dup = x->values[k].type == items[i].type && strcmp(x->values[k].value, norm->p) == 0;
        if (dup)
            continue;
        x->values[x->n_values].type = items[i].type;
        x->values[x->n_values].value = kz_arena_strndup(rd->arena, norm->p, norm->len);
        if (x->values[x->n_values].value)
            x->n_values++;
    }
}

static void extract(sx_reader *rd, sx_rec *r, const json_t *o, const kz_stix_pattern *pat,
                    kz_arena *scratch, kz_buf *norm)
{
    kz_arena *a = rd->arena;
    const char *c = json_string_value(json_object_get(o, "created"));
    const char *m = json_string_value(json_object_get(o, "modified"));
    const char *why;
    if (c)
        kz__stix_ts(c, false, &r->created, &why);
    if (m)
        kz__stix_ts(m, false, &r->modified, &why);
    r->vkey = r->modified ? r->modified : r->created;
    /* The version's text is only reported per object (TAXII's status). */
    if (!rd->im->all_or_nothing)
        r->version = m ? kz_arena_strdup(a, m) : c ? kz_arena_strdup(a, c) : NULL;
    const char *type = json_string_value(json_object_get(o, "type"));
    r->type = kz__stix_type_intern(type);
    if (!r->type)
        r->type = kz_arena_strdup(a, type);
    r->created_by_ref = str_of(a, o, "created_by_ref");
    r->tlp = kz__stix_tlp_of_refs(json_object_get(o, "object_marking_refs"));
    r->revoked = json_is_true(json_object_get(o, "revoked"));

    bool ind = strcmp(r->type, "indicator") == 0, rep = strcmp(r->type, "report") == 0;
    bool idn = strcmp(r->type, "identity") == 0, sig = strcmp(r->type, "sighting") == 0;
    if (!ind && !rep && !idn && !sig)
        return;
    sx_extra *x = kz_arena_alloc(a, sizeof *x);
    if (!x)
        return;
    r->x = x;
    x->name = str_of(a, o, "name");
    x->description = str_of(a, o, "description");
    strings_of(a, o, "labels", &x->labels);
    if (ind) {
        x->t1 = ts_of(o, "valid_from");
        indicator_values(rd, r, pat, scratch, norm);
    } else if (rep) {
        x->t1 = ts_of(o, "published");
        strings_of(a, o, "object_refs", &x->refs);
    } else if (idn) {
        x->identity_class = str_of(a, o, "identity_class");
        json_t *s0 = json_array_get(json_object_get(o, "sectors"), 0);
        x->sector = json_is_string(s0) ? kz_arena_strdup(a, json_string_value(s0)) : NULL;
    } else {
        x->ref = str_of(a, o, "sighting_of_ref");
        json_t *cnt = json_object_get(o, "count");
        x->count = json_is_integer(cnt) ? json_integer_value(cnt) : 1;
        x->t1 = ts_of(o, "first_seen");
        x->t2 = ts_of(o, "last_seen");
        strings_of(a, o, "where_sighted_refs", &x->refs);
    }
}

/* ---- pass 1 ---------------------------------------------------------------- */

static void read_one(sx_reader *rd, sx_rec *r, kz_buf *norm)
{
    const char *p = rd->im->p + r->span.off;
    r->id = "";
    r->home = -1;
    if (p[0] != '{') {
        invalid(rd, r, "", "is not a JSON object");
        return;
    }
    json_error_t je;
    json_t *o = json_loadb(p, r->span.len, JSON_REJECT_DUPLICATES, &je);
    if (!o) {
        char msg[300];
        snprintf(msg, sizeof msg, "is not valid JSON: %s", je.text);
        invalid(rd, r, "", msg);
        return;
    }
    const char *id = json_string_value(json_object_get(o, "id"));
    if (id && strlen(id) <= 300)
        r->id = kz_arena_strdup(rd->arena, id);
    kz_arena scratch;
    kz_arena_init(&scratch);
    kz_stix_pattern *pat = NULL;
    kz_err e = {0};
    if (kz__stix_validate(o, &scratch, &pat, &e) != 0) {
        invalid(rd, r, e.field, e.msg);
    } else {
        r->status = SX_S_STORE;
        extract(rd, r, o, pat, &scratch, norm);
        if (!r->id || !r->type)
            invalid(rd, r, "", "out of memory");
    }
    kz_arena_free(&scratch);
    json_decref(o);
}

static void *reader_run(void *arg)
{
    sx_reader *rd = arg;
    kz_buf norm;
    kz_buf_init(&norm);
    for (size_t i = rd->from; i < rd->to; i++) {
        sx_rec *r = &rd->im->recs[i];
        r->index = (long)i;
        r->span = rd->im->doc.objs[i];
        read_one(rd, r, &norm);
    }
    kz_buf_free(&norm);
    return NULL;
}

/* Pass 1 over all objects, on up to KZ_STIX_READERS threads for a large
 * input (parsing dominates; each object is independent), then the readers'
 * lists joined in input order. */
#define KZ_STIX_PER_READER 4096

static int read_all(sx_import *im, kz_err *err)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nr = im->n / KZ_STIX_PER_READER + 1;
    if (cpus > 0 && nr > (size_t)cpus)
        nr = (size_t)cpus;
    if (nr > KZ_STIX_READERS)
        nr = KZ_STIX_READERS;
    sx_reader rd[KZ_STIX_READERS];
    pthread_t th[KZ_STIX_READERS];
    bool started[KZ_STIX_READERS] = {false};
    json_decref(json_object()); /* jansson seeds its hash before the threads */
    for (size_t t = 0; t < nr; t++) {
        memset(&rd[t], 0, sizeof rd[t]);
        rd[t].im = im;
        rd[t].from = im->n * t / nr;
        rd[t].to = im->n * (t + 1) / nr;
        rd[t].arena = &im->readers[t];
        kz_arena_init(rd[t].arena);
        im->n_readers = t + 1;
    }
    for (size_t t = 1; t < nr; t++)
        started[t] = pthread_create(&th[t], NULL, reader_run, &rd[t]) == 0;
    reader_run(&rd[0]);
    for (size_t t = 1; t < nr; t++) {
        if (started[t])
            pthread_join(th[t], NULL);
        else
            reader_run(&rd[t]); /* no thread: do its share here */
    }
    kz_stix_report *rep = im->rep;
    for (size_t t = 0; t < nr; t++) {
        rep->n_invalid += rd[t].n_invalid;
        for (size_t i = 0; i < rd[t].errors.n && rep->errors.n < KZ_MAX_ERRORS; i++)
            if (kz_errlist_push(im->a, &rep->errors, &rd[t].errors.v[i]))
                return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        for (size_t i = 0; i < rd[t].warnings.n && rep->warnings.n < KZ_MAX_ERRORS; i++)
            if (kz_errlist_push(im->a, &rep->warnings, &rd[t].warnings.v[i]))
                return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    }
    return 0;
}

static int check_top(sx_import *im, kz_err *err)
{
    if (im->doc.kind != SX_DOC_BUNDLE)
        return 0;
    json_t *id = json_object_get(im->doc.top, "id");
    char type[251];
    if (!json_is_string(id) || !kz__stix_identifier_ok(json_string_value(id), type) ||
        strcmp(type, "bundle") != 0)
        return kz_fail(err, KZ_E_VALUE, "id",
                       "the bundle's id must be an identifier bundle--<UUID>");
    return 0;
}

static void fill_items(sx_import *im)
{
    kz_stix_report *rep = im->rep;
    rep->items = im->n ? kz_arena_alloc(im->a, im->n * sizeof *rep->items) : NULL;
    if (im->n && !rep->items)
        return;
    rep->n_items = im->n;
    for (size_t i = 0; i < im->n; i++) {
        sx_rec *r = &im->recs[i];
        kz_stix_item *it = &rep->items[i];
        it->id = kz_arena_strdup(im->a, r->id ? r->id : "");
        it->version = r->version ? kz_arena_strdup(im->a, r->version) : NULL;
        it->status = r->status == SX_S_INVALID ? KZ_STIX_ITEM_INVALID
                     : r->status == SX_S_DUP   ? KZ_STIX_ITEM_DUPLICATE
                                               : KZ_STIX_ITEM_STORED;
        it->message = r->message ? kz_arena_strdup(im->a, r->message) : NULL;
    }
}

int kz_stix_import(kz_store *st, const char *p, size_t n, const kz_stix_import_opts *opts,
                   bool all_or_nothing, kz_arena *a, kz_stix_report *rep, kz_err *err)
{
    memset(rep, 0, sizeof *rep);
    if (!opts || !opts->org_id || !kz_uuid_valid(opts->org_id))
        return kz_fail(err, KZ_E_VALUE, "org", "a STIX import needs the importing organisation");
    if (!kz_tlp_name(opts->default_tlp))
        return kz_fail(err, KZ_E_VALUE, "tlp", "default TLP %d is not valid",
                       (int)opts->default_tlp);
    sx_import im = {.st = st, .p = p, .o = opts, .all_or_nothing = all_or_nothing, .a = a,
                    .rep = rep, .catchall = -1, .now = kz_time_now()};
    kz_arena_init(&im.work);
    int r = kz_store_org_get(st, opts->org_id, &im.work, &im.org, err);
    if (r == KZ_E_NOTFOUND)
        r = kz_fail(err, KZ_E_VALUE, "org", "organisation '%.64s' does not exist", opts->org_id);
    if (!r)
        r = kz__stix_scan(p, n, &im.work, &im.doc, err);
    if (!r)
        r = check_top(&im, err);
    if (!r) {
        im.n = im.doc.n;
        rep->n_objects = im.n;
        im.recs = im.n ? kz_arena_alloc(&im.work, im.n * sizeof *im.recs) : NULL;
        if (im.n && !im.recs)
            r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    }
    if (!r)
        r = read_all(&im, err);
    if (!r && index_records(&im) != 0)
        r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    if (!r && all_or_nothing && rep->n_invalid)
        r = kz_fail(err, KZ_E_VALUE, "objects", "%zu of %zu objects are invalid; nothing was stored",
                    rep->n_invalid, rep->n_objects);
    if (!r)
        r = kz__stix_import_store(&im, err);
    if (!all_or_nothing)
        fill_items(&im);
    json_decref(im.doc.top);
    for (size_t t = 0; t < im.n_readers; t++)
        kz_arena_free(&im.readers[t]);
    kz_arena_free(&im.work);
    return r;
}
