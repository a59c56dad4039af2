/* misp_split.c — importing one big MISP event while it is being parsed.
 *
 * A 200,000-attribute event is 34 MB of JSON. Read whole, jansson builds the
 * entire tree (half a second) before the first attribute can be checked, and
 * the store (which takes longer than the rest together) waits for all of
 * it. Here the document is cut instead: one quick pass finds the event's
 * "Attribute" array and where each of its elements starts and ends; jansson
 * reads the event without that array (its own fields, tags, objects), and
 * then the elements in chunks of a few thousand, each chunk parsed, turned
 * into indicators and freed while the store, on the other thread, writes
 * the ones before it (kz_misp_progress in store.h).
 *
 * Nothing is parsed by hand: the pass only tracks strings and brackets (as
 * kz_json_load's depth check does) to find element boundaries; every byte
 * still goes through kz_misp_json_load (the quick reader where the text is
 * plain, else kz_json_load: UTF-8, depth, budget, duplicate keys), the
 * header and each chunk in turn. When the document is not one plain event
 * with such an array, or anything about it is unusual (too deep, two
 * "Attribute" members, ...), it is not cut and the caller imports it the
 * usual way, so errors stay the same. A JSON error inside the array is
 * reported as kz_json_load reports it for the whole document (that is
 * re-read to say so); one difference remains: when an attribute before it
 * is invalid too, that attribute's error is the one reported (either way
 * nothing is stored).
 */
#include "misp_int.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct frame {
    bool object;        /* '{' (else '[') */
    int key;            /* this container is the value of key: 0 other, 1 "Event", 2 "Attribute" */
} frame;

typedef struct cand {
    size_t open, close; /* '[' and ']' of the array */
    size_t *beg, *end;
    size_t n, cap;
    int found;          /* times such an array was seen */
} cand;

static bool is_ws(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static int elem_add(cand *c, size_t b, size_t e)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 1024;
        size_t *nb = realloc(c->beg, cap * sizeof *nb);
        if (!nb)
            return -1;
        c->beg = nb;
        size_t *ne = realloc(c->end, cap * sizeof *ne);
        if (!ne)
            return -1;
        c->end = ne;
        c->cap = cap;
    }
    c->beg[c->n] = b;
    c->end[c->n] = e;
    c->n++;
    return 0;
}

/* One pass over buf: the "Attribute" arrays of a bare event (wrapped ==
 * false) and of {"Event":{...}} (wrapped), with their elements. false when
 * the document is not plain enough to cut. */
static bool scan(const char *p, size_t n, cand *bare, cand *wrapped, bool *has_event)
{
    frame st[MAX_DEPTH + 1];
    int depth = 0;
    int pending_key = 0;  /* the last string was this key (1, 2) and ':' may follow */
    int value_key = 0;    /* after ':': the key the next value belongs to */
    cand *in = NULL;      /* the candidate array we are directly inside */
    int in_depth = 0;
    size_t elem_start = 0;
    bool elem_open = false;
    *has_event = false;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (is_ws(ch))
            continue;
        /* the first byte of a value directly inside the candidate array */
        if (in && depth == in_depth && !elem_open && ch != ']' && ch != ',') {
            elem_start = i;
            elem_open = true;
        }
        if (ch == '"') {
            size_t start = i + 1, j = start, end;
            for (;;) {
                const char *q = j < n ? memchr(p + j, '"', n - j) : NULL;
                if (!q)
                    return false;
                end = (size_t)(q - p);
                size_t bs = 0;
                while (end - bs > start && p[end - 1 - bs] == '\\')
                    bs++;
                if (bs % 2 == 0)
                    break;
                j = end + 1;
            }
            size_t len = end - start;
            pending_key = 0;
            if (depth >= 1 && st[depth - 1].object) {
                if (len == 5 && memcmp(p + start, "Event", 5) == 0)
                    pending_key = 1;
                else if (len == 9 && memcmp(p + start, "Attribute", 9) == 0)
                    pending_key = 2;
                else
                    pending_key = -1;
                if (depth == 1 && pending_key == 1)
                    *has_event = true;
            }
            value_key = 0;
            i = end;
            continue;
        }
        if (ch == ':') {
            value_key = pending_key > 0 ? pending_key : 0;
            pending_key = 0;
            continue;
        }
        pending_key = 0;
        if (ch == '{' || ch == '[') {
            if (depth >= MAX_DEPTH)
                return false;
            st[depth] = (frame){ch == '{', value_key};
            depth++;
            value_key = 0;
            /* The array we want: "Attribute" of the top object (bare) or of
             * the object that is the top object's "Event". */
            cand *c = NULL;
            if (ch == '[' && st[depth - 1].key == 2 && depth == 2 && st[0].object)
                c = bare;
            else if (ch == '[' && st[depth - 1].key == 2 && depth == 3 && st[0].object &&
                     st[1].object && st[1].key == 1)
                c = wrapped;
            if (c) {
                if (c->found++)
                    return false; /* twice: jansson will say so */
                c->open = i;
                in = c;
                in_depth = depth;
                elem_open = false;
            }
            continue;
        }
        if (ch == '}' || ch == ']') {
            if (depth == 0)
                return false;
            if (in && depth == in_depth) {
                if (ch != ']' || (!elem_open && in->n))
                    return false; /* "[1,]": jansson will say so */
                if (elem_open) {
                    size_t e = i;
                    while (e > elem_start && is_ws(p[e - 1]))
                        e--;
                    if (elem_add(in, elem_start, e) < 0)
                        return false;
                }
                in->close = i;
                in = NULL;
            }
            depth--;
            value_key = 0;
            continue;
        }
        if (ch == ',') {
            if (in && depth == in_depth) {
                if (!elem_open)
                    return false; /* "[,": jansson will say so */
                size_t e = i;
                while (e > elem_start && is_ws(p[e - 1]))
                    e--;
                if (elem_add(in, elem_start, e) < 0)
                    return false;
                elem_open = false;
            }
            value_key = 0;
            continue;
        }
        value_key = 0; /* a number, true, false, null */
    }
    return depth == 0 && !in;
}

static void cand_free(cand *c)
{
    free(c->beg);
    free(c->end);
}

void kz_misp_split_free(kz_misp_split *sp)
{
    if (!sp)
        return;
    json_decref(sp->header);
    free(sp->owned);
    free(sp->beg);
    free(sp->end);
    kz_misp_spans_free(&sp->spans);
    if (sp->started) {
        pthread_mutex_destroy(&sp->progress.mu);
        pthread_cond_destroy(&sp->progress.cv);
    }
    if (sp->c) {
        kz_buf_free(&sp->c->norm);
        kz_buf_free(&sp->c->tmp);
        free(sp->c);
    }
    free(sp);
}

int kz_misp_split_load(const char *p, size_t n, size_t min_attrs, kz_misp_split **out,
                       kz_err *err)
{
    *out = NULL;
    if (n > KZ_MAX_JSON_BYTES || memmem(p, n, "\\u0001", 6))
        return 0;
    kz_misp_split *sp = calloc(1, sizeof *sp);
    if (!sp)
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    sp->text = p;
    sp->text_n = n;
    /* Big strings first: the structure pass then skips them in one step. */
    bool numbers_plain;
    if (memmem(p, n, "\"data\"", 6) && kz_misp_find_spans(p, n, &sp->spans, &numbers_plain) &&
        sp->spans.n) {
        sp->buf = sp->owned = kz_misp_with_markers(p, n, &sp->spans, &sp->n);
        sp->spans.text = p;
    } else {
        /* Nothing to replace: the elements are read from the text itself. */
        kz_misp_spans_free(&sp->spans);
        sp->buf = p;
        sp->n = n;
    }
    if (!sp->buf) {
        kz_misp_split_free(sp);
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    }
    cand bare = {0}, wrapped = {0};
    bool has_event = false;
    bool ok = scan(sp->buf, sp->n, &bare, &wrapped, &has_event);
    cand *c = has_event ? &wrapped : &bare;
    if (!ok || !c->found || c->n < min_attrs || c->n > KZ_MAX_INDICATORS) {
        cand_free(&bare);
        cand_free(&wrapped);
        kz_misp_split_free(sp);
        return 0;
    }
    sp->n_elems = c->n;
    sp->beg = c->beg;
    sp->end = c->end;
    c->beg = c->end = NULL;
    size_t open = c->open, close = c->close;
    cand_free(&bare);
    cand_free(&wrapped);
    /* The header: the document with "[...]" as "[]". */
    size_t hn = open + 1 + (sp->n - close);
    char *h = malloc(hn + 1);
    if (!h) {
        kz_misp_split_free(sp);
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    }
    memcpy(h, sp->buf, open + 1);
    memcpy(h + open + 1, sp->buf + close, sp->n - close);
    h[hn] = 0;
    kz_err e = {0};
    int rc = kz_misp_json_load(h, hn, &sp->header, &e);
    free(h);
    if (rc != 0) {
        /* Say it as kz_json_load says it of the whole document. */
        kz_misp_split_free(sp);
        json_t *j = NULL;
        rc = kz_json_load(p, n, &j, err);
        json_decref(j);
        return rc ? rc : 0;
    }
    *out = sp;
    return 0;
}

int kz_misp_split_begin(kz_misp_split *sp, const kz_misp_import_opts *o, kz_arena *a,
                        struct kz_misp_event *out, kz_err *err)
{
    if (pthread_mutex_init(&sp->progress.mu, NULL) != 0)
        return kz_fail(err, KZ_E_INTERNAL, NULL, "cannot create a lock");
    if (pthread_cond_init(&sp->progress.cv, NULL) != 0) {
        pthread_mutex_destroy(&sp->progress.mu);
        return kz_fail(err, KZ_E_INTERNAL, NULL, "cannot create a condition");
    }
    sp->started = true;
    return kz_mi_split_begin(sp, o, a, out, err);
}

void kz_misp_split_run(kz_misp_split *sp)
{
    int rc = kz_mi_split_attrs(sp);
    kz_misp_progress *pg = &sp->progress;
    pthread_mutex_lock(&pg->mu);
    /* What the parser added, for the store to read once it sees done (the
     * store sets out->ev.n_indicators from ready itself: it reads out->ev
     * while this runs). */
    sp->out->objects = sp->pme.objects;
    sp->out->n_objects = sp->pme.n_objects;
    sp->out->warnings = sp->pme.warnings;
    pg->ready = sp->pme.ev.n_indicators;
    pg->rc = rc;
    if (rc)
        pg->err = *sp->c->err;
    pg->done = true;
    pthread_cond_broadcast(&pg->cv);
    pthread_mutex_unlock(&pg->mu);
}
