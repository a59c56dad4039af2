/* stix_import.c — reading a STIX document: split it into objects, skim
 * each one's id, type and version, parse and validate each one in full, and
 * keep what the mapping needs (markings, and for reports, indicators,
 * identities and sightings their few useful properties).
 *
 * The full reads run on reader threads, a chunk of objects at a time. The
 * main thread plans from the skim (plus the few reports, identities and
 * sightings, read in full first) and stores each chunk as soon as it is
 * read, so reading and writing overlap and a chunk's memory goes once it is
 * stored. In an all-or-nothing import an invalid object anywhere rolls the
 * whole transaction back. A partial import (TAXII's Add Objects) leaves
 * invalid objects out as their chunk is stored. Its plan counts an object
 * the skim alone saw as valid; that matters where its id comes more than
 * once (those are read before planning: settle_repeats), and, when the
 * caller names no event, in that an invalid indicator still calls for the
 * catch-all event, which is made only once something goes into it.
 *
 * Objects are parsed one at a time from their byte span, so a million-object
 * bundle never becomes one tree, and what is stored is the object's own text.
 */
#include "json_read.h"
#include "stix_int.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
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

static void invalid(sx_reader *rd, sx_rec *r, const char *field, const char *msg)
{
    r->bad = true;
    rd->chunk->n_invalid++;
    kz__stix_note(rd->notes, &rd->chunk->errors, r, field, msg);
    /* The full text for the item list, even past KZ_MAX_ERRORS. */
    char buf[700];
    if (field && *field)
        snprintf(buf, sizeof buf, "object %.90s: %s: %s", r->id && *r->id ? r->id : "(no id)",
                 field, msg);
    else
        snprintf(buf, sizeof buf, "object %.90s: %s", r->id && *r->id ? r->id : "(no id)", msg);
    kz_jr_utf8_trim(buf);
    r->message = kz_arena_strdup(rd->notes, buf);
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
    im->table = kz_arena_alloc(&im->work, cap * sizeof(sx_rec *));
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
                r->last_same = r;
                break;
            }
            if (strcmp(o->id, r->id) == 0) {
                /* Appended at the tail: an input of one id many times over
                 * stays linear. */
                r->group = o;
                o->last_same->next_same = r;
                o->last_same = r;
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
    x->values = kz_arena_alloc(rd->data, n * sizeof *x->values);
    if (!x->values)
        return;
    if (n > SX_MAX_VALUES) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "%zu observables in one pattern; the first %d become indicators, the pattern "
                 "is kept whole as STIX",
                 n, SX_MAX_VALUES);
        kz__stix_note(rd->notes, &rd->chunk->warnings, r, "pattern", msg);
        n = SX_MAX_VALUES;
    }
    for (size_t i = 0; i < n; i++) {
        kz_err e = {0};
        const char *v = items[i].value;
        if (kz_ioc_normalize(items[i].type, v, strlen(v), norm, &e) != 0) {
            char msg[600];
            snprintf(msg, sizeof msg, "%s; the indicator is kept as STIX only for this value",
                     e.msg);
            kz__stix_note(rd->notes, &rd->chunk->warnings, r, "pattern", msg);
            continue;
        }
        bool dup = false;
        for (size_t k = 0; k < x->n_values && !dup; k++)
            dup = x->values[k].type == items[i].type && strcmp(x->values[k].value, norm->p) == 0;
        if (dup)
            continue;
        x->values[x->n_values].type = items[i].type;
        x->values[x->n_values].value = kz_arena_strndup(rd->data, norm->p, norm->len);
        if (x->values[x->n_values].value)
            x->n_values++;
    }
}

/* created, modified and vkey; a skimmed record already has them (the main
 * thread reads them meanwhile), so they are only compared. */
static void versions_of(sx_reader *rd, sx_rec *r, const json_t *o)
{
    const char *c = json_string_value(json_object_get(o, "created"));
    const char *m = json_string_value(json_object_get(o, "modified"));
    const char *why;
    kz_time created = 0, modified = 0;
    if (c)
        kz__stix_ts(c, false, &created, &why);
    if (m)
        kz__stix_ts(m, false, &modified, &why);
    kz_time vkey = modified ? modified : created;
    if (r->skimmed) {
        if (created != r->created || modified != r->modified || vkey != r->vkey)
            invalid(rd, r, "", "its created/modified read differently twice (internal error)");
    } else {
        r->created = created;
        r->modified = modified;
        r->vkey = vkey;
    }
    /* The version's text is only reported per object (TAXII's status). */
    if (!rd->im->all_or_nothing)
        r->version = m ? kz_arena_strdup(rd->notes, m) : c ? kz_arena_strdup(rd->notes, c) : NULL;
}

static void extract(sx_reader *rd, sx_rec *r, const json_t *o, const kz_stix_pattern *pat,
                    kz_arena *scratch, kz_buf *norm)
{
    kz_arena *a = rd->data;
    versions_of(rd, r, o);
    const char *type = json_string_value(json_object_get(o, "type"));
    if (r->skimmed) {
        if (!type || strcmp(type, r->type) != 0)
            invalid(rd, r, "type", "read differently twice (internal error)");
    } else {
        r->type = kz__stix_type_intern(type);
        if (!r->type)
            r->type = kz_arena_strdup(a, type);
    }
    if (r->bad || !r->type)
        return;
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
    memset(x, 0, sizeof *x);
    r->x = x;
    x->name = str_of(a, o, "name");
    x->description = str_of(a, o, "description");
    strings_of(a, o, "labels", &x->labels);
    if (ind) {
        x->t1 = ts_of(o, "valid_from");
        x->t2 = ts_of(o, "valid_until");
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

/* ---- full reads ------------------------------------------------------------ */

void kz__stix_read_one(sx_reader *rd, sx_rec *r, kz_buf *norm)
{
    const char *p = rd->im->p + r->span.off;
    if (!r->skimmed)
        r->id = "";
    if (p[0] != '{') {
        invalid(rd, r, "", "is not a JSON object");
        return;
    }
    json_error_t je;
    json_t *o = kz__stix_json_read(p, r->span.len);
    if (!o)
        o = json_loadb(p, r->span.len, JSON_REJECT_DUPLICATES, &je);
    if (!o) {
        char msg[300];
        snprintf(msg, sizeof msg, "is not valid JSON: %s", je.text);
        invalid(rd, r, "", msg);
        return;
    }
    const char *id = json_string_value(json_object_get(o, "id"));
    if (r->skimmed) {
        if (!id || strcmp(id, r->id) != 0)
            invalid(rd, r, "id", "read differently twice (internal error)");
    } else if (id && strlen(id) <= 300) {
        /* Read before planning (the main thread): kept to the end. */
        r->id = kz_arena_strdup(rd->notes, id);
    }
    kz_arena scratch;
    kz_arena_init(&scratch);
    kz_stix_pattern *pat = NULL;
    kz_err e = {0};
    if (r->bad) {
        /* already reported */
    } else if (kz__stix_validate(o, &scratch, &pat, &e) != 0) {
        invalid(rd, r, e.field, e.msg);
    } else {
        extract(rd, r, o, pat, &scratch, norm);
        if (!r->bad && (!r->id || !r->type))
            invalid(rd, r, "", "out of memory");
    }
    kz_arena_free(&scratch);
    json_decref(o);
}

/* ---- the readers ----------------------------------------------------------- */

typedef struct sx_sync {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th[KZ_STIX_READERS];
} sx_sync;

static void read_chunk(sx_import *im, size_t k, kz_buf *norm)
{
    sx_chunk *c = &im->chunks[k];
    sx_reader rd = {.im = im, .data = &c->data, .notes = &c->notes, .chunk = c};
    size_t from = k * im->chunk, to = from + im->chunk;
    if (to > im->n)
        to = im->n;
    for (size_t i = from; i < to; i++)
        if (!im->recs[i].early)
            kz__stix_read_one(&rd, &im->recs[i], norm);
}

/* A thread that reads objects of the input keeps the caller's JSON budget
 * (each thread its own, of the document's size). */
static void budget_open(const sx_import *im)
{
    if (im->budget_doc)
        kz_json_budget_begin(im->budget_doc);
}

static void budget_close(sx_import *im)
{
    if (im->budget_doc && kz_json_budget_end())
        im->budget_over = true;
}

bool kz__stix_budget_spent(const sx_import *im)
{
    return im->budget_over || kz_json_budget_over();
}

static void *reader_run(void *arg)
{
    sx_import *im = arg;
    sx_sync *sy = im->sync;
    kz_buf norm;
    kz_buf_init(&norm);
    budget_open(im);
    for (;;) {
        /* A chunk is read once the skim is past it (the skim fills its
         * records' spans and ids, and reads some of them in full). */
        /* Nor more than a few chunks ahead of the writer: what is read
         * waits in memory until it is stored. */
        pthread_mutex_lock(&sy->mu);
        while (im->next_chunk < im->n_chunks &&
               (im->next_chunk >= im->skimmed || im->next_chunk >= im->stored + KZ_STIX_AHEAD))
            pthread_cond_wait(&sy->cv, &sy->mu);
        size_t k = im->next_chunk < im->n_chunks ? im->next_chunk++ : SIZE_MAX;
        pthread_mutex_unlock(&sy->mu);
        if (k == SIZE_MAX)
            break;
        read_chunk(im, k, &norm);
        /* Known before the chunk counts as read: the writer checks it. */
        if (kz_json_budget_over())
            im->budget_over = true;
        pthread_mutex_lock(&sy->mu);
        im->chunks[k].done = true;
        pthread_cond_broadcast(&sy->cv);
        pthread_mutex_unlock(&sy->mu);
    }
    budget_close(im);
    kz_buf_free(&norm);
    return NULL;
}

void kz__stix_chunk_stored(sx_import *im, size_t k)
{
    sx_sync *sy = im->sync;
    if (sy)
        pthread_mutex_lock(&sy->mu);
    if (im->stored < k + 1) /* settle_repeats may have let the readers go further */
        im->stored = k + 1;
    if (sy) {
        pthread_cond_broadcast(&sy->cv);
        pthread_mutex_unlock(&sy->mu);
    }
}

void kz__stix_chunk_wait(sx_import *im, size_t k)
{
    sx_sync *sy = im->sync;
    if (!sy) {
        /* No reader threads: read it here, in order. */
        if (!im->chunks[k].done) {
            kz_buf norm;
            kz_buf_init(&norm);
            read_chunk(im, k, &norm);
            kz_buf_free(&norm);
            im->chunks[k].done = true;
        }
        return;
    }
    pthread_mutex_lock(&sy->mu);
    while (!im->chunks[k].done)
        pthread_cond_wait(&sy->cv, &sy->mu);
    pthread_mutex_unlock(&sy->mu);
}

/* Starts the readers for a large input (parsing dominates and each object
 * is independent); a small one is read on the calling thread as needed. */
static void readers_start(sx_import *im)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    /* This thread skims and then stores (the slower half): the readers get
     * the other cores. */
    if (cpus > 1)
        cpus--;
    size_t nr = im->n_chunks;
    if (cpus > 0 && nr > (size_t)cpus)
        nr = (size_t)cpus;
    if (nr > KZ_STIX_READERS)
        nr = KZ_STIX_READERS;
    if (im->n_chunks < 2)
        return;
    sx_sync *sy = kz_arena_alloc(&im->work, sizeof *sy);
    if (!sy)
        return;
    pthread_mutex_init(&sy->mu, NULL);
    pthread_cond_init(&sy->cv, NULL);
    json_decref(json_object()); /* jansson seeds its hash before the threads */
    im->sync = sy;
    for (size_t t = 0; t < nr; t++) {
        if (pthread_create(&sy->th[im->n_threads], NULL, reader_run, im) != 0)
            break;
        im->n_threads++;
    }
    if (im->n_threads == 0) {
        pthread_cond_destroy(&sy->cv);
        pthread_mutex_destroy(&sy->mu);
        im->sync = NULL;
    }
}

static void readers_join(sx_import *im)
{
    sx_sync *sy = im->sync;
    if (!sy)
        return;
    for (size_t t = 0; t < im->n_threads; t++)
        pthread_join(sy->th[t], NULL);
    pthread_cond_destroy(&sy->cv);
    pthread_mutex_destroy(&sy->mu);
    im->sync = NULL;
    im->n_threads = 0;
}

/* ---- keeping a mapped input from staying resident ------------------------- */

/* Drops the pages of p[begin, end) that are whole (a mapped file reads
 * them back from the page cache if they are needed again). */
static void drop_range(const sx_import *im, size_t begin, size_t end)
{
    if (!im->o->input_mapped || end <= begin)
        return;
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t b = (uintptr_t)im->p + begin, e = (uintptr_t)im->p + end;
    uintptr_t b0 = (b + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
    uintptr_t e0 = e & ~((uintptr_t)page - 1);
    if (e0 > b0)
        madvise((void *)b0, e0 - b0, MADV_DONTNEED);
}

void kz__stix_drop_input(const sx_import *im, size_t end) { drop_range(im, 0, end); }

/* The end of chunk k's last object in the input. */
size_t kz__stix_chunk_end(const sx_import *im, size_t k)
{
    size_t last = (k + 1) * im->chunk;
    if (last > im->n)
        last = im->n;
    return last ? im->doc.objs[last - 1].off + im->doc.objs[last - 1].len : 0;
}

/* ---- the skim -------------------------------------------------------------- */

/* Chunks [0, k) are skimmed: the readers may take them. */
static void skimmed_up_to(sx_import *im, size_t k)
{
    sx_sync *sy = im->sync;
    if (!sy) {
        im->skimmed = k;
        return;
    }
    pthread_mutex_lock(&sy->mu);
    im->skimmed = k;
    pthread_cond_broadcast(&sy->cv);
    pthread_mutex_unlock(&sy->mu);
}

/* Types read in full before planning: what the plan needs of them is more
 * than the skim gives, and they are few. */
static bool read_early(const char *type)
{
    return strcmp(type, "report") == 0 || strcmp(type, "identity") == 0 ||
           strcmp(type, "sighting") == 0;
}

static int skim_one(sx_import *im, sx_rec *r, kz_arena *keep)
{
    sx_skim sk;
    const char *p = im->p + r->span.off;
    if (kz__stix_skim(p, r->span.len, &sk) != 0 || sk.id.len > 300 || sk.type.len > 250)
        return -1;
    char type[251];
    memcpy(type, sk.type.p, sk.type.len);
    type[sk.type.len] = '\0';
    if (read_early(type))
        return -1;
    const char *why;
    char ts[64];
    kz_time c = 0, m = 0;
    if (sk.created.p) {
        if (sk.created.len >= sizeof ts)
            return -1;
        memcpy(ts, sk.created.p, sk.created.len);
        ts[sk.created.len] = '\0';
        if (kz__stix_ts(ts, false, &c, &why) != 0)
            return -1;
    }
    if (sk.modified.p) {
        if (sk.modified.len >= sizeof ts)
            return -1;
        memcpy(ts, sk.modified.p, sk.modified.len);
        ts[sk.modified.len] = '\0';
        if (kz__stix_ts(ts, false, &m, &why) != 0)
            return -1;
    }
    r->type = kz__stix_type_intern(type);
    if (!r->type)
        r->type = kz_arena_strdup(keep, type);
    r->id = kz_arena_strndup(keep, sk.id.p, sk.id.len);
    if (!r->type || !r->id)
        return -1;
    r->created = c;
    r->modified = m;
    r->vkey = m ? m : c;
    r->skimmed = true;
    return 0;
}

/* One skimmer's share of the records: [from, to), whole chunks. */
typedef struct skim_part {
    sx_import *im;
    size_t from, to;
    kz_arena *keep;         /* ids and early reads (the import's work arenas) */
    size_t n_early_invalid;
    bool first;             /* the share the readers wait for, chunk by chunk */
} skim_part;

/* Every record gets its index and span; the id, type and version come from
 * the skim, or from a full read here when the skim cannot tell or the plan
 * needs more (reports, identities, sightings). */
static void skim_range(skim_part *sp)
{
    sx_import *im = sp->im;
    kz_buf norm;
    kz_buf_init(&norm);
    size_t begin = sp->from < im->n ? im->doc.objs[sp->from].off : 0;
    for (size_t i = sp->from; i < sp->to; i++) {
        if (i % im->chunk == 0 && i > sp->from) {
            if (sp->first)
                skimmed_up_to(im, i / im->chunk);
            /* Behind the skim until the readers come. */
            if (i >= sp->from + (size_t)2 * im->chunk)
                drop_range(im, begin, kz__stix_chunk_end(im, i / im->chunk - 2));
        }
        sx_rec *r = &im->recs[i];
        r->index = (long)i;
        r->span = im->doc.objs[i];
        r->home = -1;
        r->tlp = -1;
        r->status = SX_S_STORE;
        if (skim_one(im, r, sp->keep) == 0)
            continue;
        sx_chunk *c = &im->chunks[i / im->chunk];
        sx_reader rd = {.im = im, .data = sp->keep, .notes = &c->notes, .chunk = c};
        r->skimmed = false;
        r->early = true;
        kz__stix_read_one(&rd, r, &norm);
        if (r->bad) {
            r->status = SX_S_INVALID;
            sp->n_early_invalid++;
        }
    }
    kz_buf_free(&norm);
}

static void *skim_run(void *arg)
{
    skim_part *sp = arg;
    budget_open(sp->im);
    skim_range(sp);
    budget_close(sp->im);
    return NULL;
}

/* The skim is the one step before the first row is stored that reads every
 * object, and it runs before anything else can: a large input is skimmed
 * by two threads, this one taking the first half (which the readers start
 * on) and a helper the second. Records and chunks are apart; each keeps
 * what it allocates in its own arena. */
static void skim_all(sx_import *im)
{
    skim_part a = {.im = im, .from = 0, .to = im->n, .keep = &im->work, .first = true};
    skim_part b = {.im = im, .keep = &im->work2};
    pthread_t helper;
    bool two = false;
    if (im->n >= (size_t)KZ_STIX_SKIM2_MIN * KZ_STIX_CHUNK && sysconf(_SC_NPROCESSORS_ONLN) > 1) {
        json_decref(json_object()); /* jansson seeds its hash before the threads */
        a.to = b.from = im->n_chunks / 2 * im->chunk;
        b.to = im->n;
        two = pthread_create(&helper, NULL, skim_run, &b) == 0;
        if (!two)
            a.to = im->n;
    }
    skim_range(&a);
    if (two) {
        skimmed_up_to(im, a.to / im->chunk); /* the readers go on meanwhile */
        pthread_join(helper, NULL);
    }
    im->n_early_invalid = a.n_early_invalid + b.n_early_invalid;
    skimmed_up_to(im, im->n_chunks);
}

/* ---- joining the messages -------------------------------------------------- */

static long index_of(const kz_err *e)
{
    const char *p = strchr(e->field, '[');
    return p ? strtol(p + 1, NULL, 10) : 0;
}

/* The readers' lists joined in input order (a chunk's early reads were
 * noted before its other objects, so each chunk's list is put in order). */
static int join_list(kz_arena *a, kz_errlist *to, kz_errlist *from)
{
    for (size_t i = 1; i < from->n; i++) {
        kz_err t = from->v[i];
        long ti = index_of(&t);
        size_t j = i;
        for (; j > 0 && index_of(&from->v[j - 1]) > ti; j--)
            from->v[j] = from->v[j - 1];
        from->v[j] = t;
    }
    for (size_t i = 0; i < from->n && to->n < KZ_MAX_ERRORS; i++)
        if (kz_errlist_push(a, to, &from->v[i]))
            return KZ_E_NOMEM;
    return 0;
}

/* The readers' counts and messages into the report. Out of memory, the
 * lists stop short; the counts are whole. */
static void join_notes(sx_import *im)
{
    kz_stix_report *rep = im->rep;
    rep->n_invalid = 0;
    bool out_of_memory = false;
    for (size_t k = 0; k < im->n_chunks; k++) {
        sx_chunk *c = &im->chunks[k];
        rep->n_invalid += c->n_invalid;
        if (!out_of_memory)
            out_of_memory = join_list(im->a, &rep->errors, &c->errors) ||
                            join_list(im->a, &rep->warnings, &c->warnings);
    }
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

/* An id as the item list gives it: the input's bytes, those of an invalid
 * object's id that are not UTF-8 shown as '?' (the list is JSON text). */
static char *item_id(kz_arena *a, const char *id)
{
    size_t n = strlen(id);
    char *out = kz_arena_strndup(a, id, n);
    if (out && !kz_utf8_valid(out, n))
        for (char *p = out; *p; p++)
            if ((unsigned char)*p >= 0x80)
                *p = '?';
    return out;
}

void kz__stix_fill_items(sx_import *im)
{
    kz_stix_report *rep = im->rep;
    if (rep->items)
        return;
    rep->items = im->n ? kz_arena_alloc(im->a, im->n * sizeof *rep->items) : NULL;
    if (im->n && !rep->items)
        return;
    rep->n_items = im->n;
    for (size_t i = 0; i < im->n; i++) {
        sx_rec *r = &im->recs[i];
        kz_stix_item *it = &rep->items[i];
        it->id = item_id(im->a, r->id ? r->id : "");
        it->version = r->version ? kz_arena_strdup(im->a, r->version) : NULL;
        it->status = r->status == SX_S_INVALID || r->bad ? KZ_STIX_ITEM_INVALID
                     : r->status == SX_S_DUP   ? KZ_STIX_ITEM_DUPLICATE
                                               : KZ_STIX_ITEM_STORED;
        it->message = r->message ? kz_arena_strdup(im->a, r->message) : NULL;
    }
}

size_t kz__stix_wait_all(sx_import *im)
{
    /* Nothing more will be stored: the readers may go to the end. */
    if (im->n_chunks)
        kz__stix_chunk_stored(im, im->n_chunks - 1);
    size_t bad = 0;
    for (size_t k = 0; k < im->n_chunks; k++) {
        kz__stix_chunk_wait(im, k);
        bad += im->chunks[k].n_invalid;
    }
    return bad;
}

/* A partial import plans before most objects are read in full. Whether an
 * unread object is valid changes the plan only when its id comes more than
 * once (which version is the newest, which copy is the duplicate): the
 * chunks up to the last such object are read first, and the invalid
 * objects in them leave the id table before planning. */
static int settle_repeats(sx_import *im)
{
    size_t last = SIZE_MAX;
    for (size_t i = 0; i < im->n; i++) {
        const sx_rec *r = &im->recs[i];
        if (r->status != SX_S_INVALID && !r->early && (r->group != r || r->next_same))
            last = i / im->chunk;
    }
    if (last == SIZE_MAX)
        return 0;
    kz__stix_chunk_stored(im, last); /* the readers may go that far now */
    for (size_t k = 0; k <= last; k++)
        kz__stix_chunk_wait(im, k);
    bool changed = false;
    size_t end = (last + 1) * im->chunk < im->n ? (last + 1) * im->chunk : im->n;
    for (size_t i = 0; i < end; i++)
        if (im->recs[i].bad && im->recs[i].status != SX_S_INVALID) {
            im->recs[i].status = SX_S_INVALID;
            changed = true;
        }
    if (!changed)
        return 0;
    for (size_t i = 0; i < im->n; i++)
        im->recs[i].group = im->recs[i].next_same = im->recs[i].last_same = NULL;
    return index_records(im);
}

/* Sets up the records and chunks, skims, starts the readers and indexes
 * the ids. */
static int read_input(sx_import *im, kz_err *err)
{
    im->n = im->doc.n;
    im->rep->n_objects = im->n;
    /* The scan read it all; the skim and the readers read it again, in
     * order, a chunk at a time. */
    if (im->n)
        kz__stix_drop_input(im, im->doc.objs[im->n - 1].off + im->doc.objs[im->n - 1].len);
    im->chunk =
        im->n < (size_t)KZ_STIX_SMALL_CHUNKS * KZ_STIX_CHUNK ? KZ_STIX_CHUNK / 4 : KZ_STIX_CHUNK;
    im->n_chunks = (im->n + im->chunk - 1) / im->chunk;
    im->recs = im->n ? kz_arena_alloc(&im->work, im->n * sizeof *im->recs) : NULL;
    im->chunks = im->n_chunks ? kz_arena_alloc(&im->work, im->n_chunks * sizeof *im->chunks) : NULL;
    if (im->n && (!im->recs || !im->chunks)) {
        im->n_chunks = im->n = 0; /* nothing to wait for, list or free */
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    }
    for (size_t k = 0; k < im->n_chunks; k++) {
        kz_arena_init(&im->chunks[k].data);
        kz_arena_init(&im->chunks[k].notes);
    }
    readers_start(im);
    skim_all(im);
    if (index_records(im) != 0 || (!im->all_or_nothing && settle_repeats(im) != 0))
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    return 0;
}

int kz_stix_too_complex(kz_err *err, size_t size)
{
    return kz_fail(err, KZ_E_TOOLARGE, "",
                   "STIX document too complex: parsing its %zu bytes would take more memory than "
                   "the node allows for a document of that size; send it in smaller parts",
                   size);
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
                    .rep = rep, .catchall = -1, .ind_event = -1, .now = kz_time_now()};
    im.budget_doc = kz_json_budget_doc();
    kz_arena_init(&im.work);
    kz_arena_init(&im.work2);
    int r = kz_store_org_get(st, opts->org_id, &im.work, &im.org, err);
    if (r == KZ_E_NOTFOUND)
        r = kz_fail(err, KZ_E_VALUE, "org", "organisation '%.64s' does not exist", opts->org_id);
    if (!r)
        r = kz__stix_scan(p, n, &im.work, &im.doc, err);
    if (!r)
        r = check_top(&im, err);
    if (!r)
        r = read_input(&im, err);
    if (!r && all_or_nothing && im.n_early_invalid)
        r = KZ_E_VALUE; /* every object is still read below, to list them all */
    if (!r)
        r = kz__stix_import_store(&im, err);
    /* Whatever happened, the readers finish (their objects' errors are
     * listed) before the memory they use goes. */
    size_t n_bad = kz__stix_wait_all(&im);
    readers_join(&im);
    /* Once stored (r == 0, committed), running out of memory for the lists
     * of messages only shortens them: the import is not a failure. */
    if (im.chunks)
        join_notes(&im);
    /* (With r == 0 nothing went over: the store checks before its commit.) */
    if (r && kz__stix_budget_spent(&im))
        r = kz_stix_too_complex(err, im.budget_doc); /* nothing was stored */
    else if (all_or_nothing && n_bad && (!r || r == KZ_E_VALUE))
        r = kz_fail(err, KZ_E_VALUE, "objects", "%zu of %zu objects are invalid; nothing was stored",
                    n_bad, rep->n_objects);
    if (!all_or_nothing)
        kz__stix_fill_items(&im);
    json_decref(im.doc.top);
    for (size_t k = 0; k < im.n_chunks; k++) {
        kz_arena_free(&im.chunks[k].data);
        kz_arena_free(&im.chunks[k].notes);
    }
    kz_arena_free(&im.work);
    kz_arena_free(&im.work2);
    return r;
}
