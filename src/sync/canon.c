/* canon.c — the canonical bytes that signatures cover.
 *
 * Two nodes must turn the same object into the same bytes, whatever their
 * store returned. The form is what jansson writes with
 * JSON_COMPACT|JSON_SORT_KEYS (UTF-8 kept, '/' and DEL not escaped, control
 * characters as \u00XX in upper case), but written here by hand with the keys
 * in bytewise order: an event of a million indicators hashes each indicator,
 * and building and sorting a jansson object per indicator would cost more
 * than the hashing. Every key is always present (null or 0 when unset), so
 * an absent key never means something a present one could mean too.
 *
 * The event form carries a manifest, [{"hash":..,"id":..}] sorted by id, of
 * BLAKE2b-256 over each live indicator's canonical form: one signature
 * covers them all. Node-local data (creator_user, recipient_users, the
 * warninglist flag, deleted rows, change-log positions) never enters it.
 */
#include "sync_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

void kz__sync_cw_fail(kz_cw *w, int code, const char *field, const char *fmt, ...)
{
    if (w->rc)
        return;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    w->rc = kz_fail(w->err, code, field, "%s %s: '%s' %s", w->what,
                    w->id && *w->id ? w->id : "(no id)", field, msg);
}

static void put(kz_cw *w, const void *p, size_t n)
{
    if (!w->rc && kz_buf_append(w->out, p, n) != 0)
        w->rc = kz_fail(w->err, KZ_E_NOMEM, "", "out of memory");
}

void kz__sync_cw_raw(kz_cw *w, const char *s) { put(w, s, strlen(s)); }

void kz__sync_cw_key(kz_cw *w, bool first, const char *key)
{
    if (!first)
        put(w, ",", 1);
    put(w, "\"", 1);
    put(w, key, strlen(key));
    put(w, "\":", 2);
}

/* The escaping of jansson's dump_string without JSON_ENSURE_ASCII. */
static void put_escaped(kz_cw *w, const char *s, size_t n)
{
    put(w, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(w, s + run, i - run);
        run = i + 1;
        char esc[8];
        switch (c) {
        case '"': put(w, "\\\"", 2); break;
        case '\\': put(w, "\\\\", 2); break;
        case '\b': put(w, "\\b", 2); break;
        case '\f': put(w, "\\f", 2); break;
        case '\n': put(w, "\\n", 2); break;
        case '\r': put(w, "\\r", 2); break;
        case '\t': put(w, "\\t", 2); break;
        default:
            snprintf(esc, sizeof esc, "\\u%04X", c);
            put(w, esc, 6);
        }
    }
    put(w, s + run, n - run);
    put(w, "\"", 1);
}

void kz__sync_cw_str_ne(kz_cw *w, const char *field, const char *s, size_t max)
{
    if (s && !*s) {
        kz__sync_cw_fail(w, KZ_E_INVALID, field, "must not be empty");
        return;
    }
    kz__sync_cw_str(w, field, s, max, false);
}

void kz__sync_cw_str(kz_cw *w, const char *field, const char *s, size_t max, bool nullable)
{
    if (!s) {
        if (nullable)
            put(w, "null", 4);
        else
            kz__sync_cw_fail(w, KZ_E_INVALID, field, "is missing");
        return;
    }
    size_t n = strlen(s);
    if (n > max) {
        kz__sync_cw_fail(w, KZ_E_INVALID, field, "is too long: %zu bytes, at most %zu", n, max);
        return;
    }
    if (!kz_utf8_valid(s, n)) {
        kz__sync_cw_fail(w, KZ_E_INVALID, field, "is not valid UTF-8");
        return;
    }
    put_escaped(w, s, n);
}

bool kz__sync_uuid_lower(const char *s)
{
    if (!kz_uuid_valid(s))
        return false;
    for (const char *p = s; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            return false;
    return true;
}

void kz__sync_cw_uuid(kz_cw *w, const char *field, const char *s, bool nullable)
{
    if (!s || !*s) {
        if (nullable)
            put(w, "null", 4);
        else
            kz__sync_cw_fail(w, KZ_E_INVALID, field, "is missing");
        return;
    }
    if (!kz__sync_uuid_lower(s)) {
        kz__sync_cw_fail(w, KZ_E_INVALID, field, "'%.40s' is not a lowercase UUID", s);
        return;
    }
    put(w, "\"", 1);
    put(w, s, KZ_UUID_STRLEN);
    put(w, "\"", 1);
}

void kz__sync_cw_int(kz_cw *w, int64_t v)
{
    char n[24];
    int len = snprintf(n, sizeof n, "%" PRId64, v);
    put(w, n, (size_t)len);
}

void kz__sync_cw_time(kz_cw *w, const char *field, kz_time t)
{
    if (t < 0 || t > KZ_SYNC_TIME_MAX) {
        kz__sync_cw_fail(w, KZ_E_INVALID, field, "time %" PRId64 " is outside years 1970-9999", t);
        return;
    }
    kz__sync_cw_int(w, t);
}

void kz__sync_cw_bool(kz_cw *w, bool v) { put(w, v ? "true" : "false", v ? 4 : 5); }

void kz__sync_cw_name(kz_cw *w, const char *field, const char *name, bool nullable)
{
    if (!name) {
        if (nullable)
            put(w, "null", 4);
        else
            kz__sync_cw_fail(w, KZ_E_INVALID, field, "has a value outside its vocabulary");
        return;
    }
    put(w, "\"", 1);
    put(w, name, strlen(name));
    put(w, "\"", 1);
}

static int strp_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

const char *kz__sync_dupe(const kz_strlist *l, bool *oom)
{
    *oom = false;
    if (l->n < 2)
        return NULL;
    char **v = malloc(l->n * sizeof *v);
    if (!v) {
        *oom = true;
        return NULL;
    }
    memcpy(v, l->v, l->n * sizeof *v);
    qsort(v, l->n, sizeof *v, strp_cmp);
    const char *d = NULL;
    for (size_t i = 1; i < l->n && !d; i++)
        if (!strcmp(v[i - 1], v[i]))
            d = v[i];
    free(v);
    return d;
}

void kz__sync_cw_strlist(kz_cw *w, const char *field, const kz_strlist *l, bool uuids)
{
    size_t max = uuids ? KZ_MAX_IDS : KZ_MAX_TAGS;
    if (l->n > max)
        kz__sync_cw_fail(w, KZ_E_INVALID, field, "has %zu entries, at most %zu", l->n, max);
    bool oom;
    const char *d = w->rc ? NULL : kz__sync_dupe(l, &oom);
    if (d)
        kz__sync_cw_fail(w, KZ_E_INVALID, field, "lists '%.64s' twice", d);
    else if (!w->rc && oom)
        w->rc = kz_fail(w->err, KZ_E_NOMEM, "", "out of memory");
    for (size_t i = 0; i < l->n && !w->rc && !uuids; i++) {
        char norm[256];
        kz_err e;
        kz_err_clear(&e);
        if (!l->v[i] || kz_tag_normalize(l->v[i], norm, &e) != 0 || strcmp(norm, l->v[i]) != 0)
            kz__sync_cw_fail(w, KZ_E_INVALID, field, "entry %zu is not a normal tag%s%s", i,
                             e.msg[0] ? ": " : " (surrounding white space)", e.msg);
    }
    put(w, "[", 1);
    for (size_t i = 0; i < l->n && !w->rc; i++) {
        if (i)
            put(w, ",", 1);
        if (uuids)
            kz__sync_cw_uuid(w, field, l->v[i], false);
        else
            kz__sync_cw_str(w, field, l->v[i], KZ_SYNC_MAX_TAG, false);
    }
    put(w, "]", 1);
}

/* ---- indicators --------------------------------------------------------- */

int kz_sync_canon_indicator(const kz_indicator *ind, kz_buf *out, kz_err *err)
{
    kz_cw w = {out, err, "indicator", ind->id, 0};
    const char *type = (unsigned)ind->type < KZ_IOC__COUNT ? kz_ioc_type_name(ind->type) : NULL;
    put(&w, "{", 1);
    kz__sync_cw_key(&w, true, "comment");
    kz__sync_cw_str(&w, "comment", ind->comment, KZ_MAX_TEXT, true);
    kz__sync_cw_key(&w, false, "created");
    kz__sync_cw_time(&w, "created", ind->created);
    kz__sync_cw_key(&w, false, "distribution");
    kz__sync_cw_name(&w, "distribution",
                     ind->distribution < 0 ? NULL
                                           : kz_distribution_name((kz_distribution)ind->distribution),
                     ind->distribution < 0);
    kz__sync_cw_key(&w, false, "event_id");
    kz__sync_cw_uuid(&w, "event_id", ind->event_id, false);
    kz__sync_cw_key(&w, false, "first_seen");
    kz__sync_cw_time(&w, "first_seen", ind->first_seen);
    kz__sync_cw_key(&w, false, "id");
    kz__sync_cw_uuid(&w, "id", ind->id, false);
    kz__sync_cw_key(&w, false, "last_seen");
    kz__sync_cw_time(&w, "last_seen", ind->last_seen);
    kz__sync_cw_key(&w, false, "modified");
    kz__sync_cw_time(&w, "modified", ind->modified);
    kz__sync_cw_key(&w, false, "tags");
    kz__sync_cw_strlist(&w, "tags", &ind->tags, false);
    kz__sync_cw_key(&w, false, "tlp");
    kz__sync_cw_name(&w, "tlp", ind->tlp < 0 ? NULL : kz_tlp_name((kz_tlp)ind->tlp), ind->tlp < 0);
    kz__sync_cw_key(&w, false, "to_ids");
    kz__sync_cw_bool(&w, ind->to_ids);
    kz__sync_cw_key(&w, false, "type");
    kz__sync_cw_name(&w, "type", type, false);
    kz__sync_cw_key(&w, false, "value");
    kz__sync_cw_str_ne(&w, "value", ind->value, KZ_MAX_VALUE);
    put(&w, "}", 1);
    return w.rc;
}

/* ---- events ------------------------------------------------------------- */

typedef struct mf_entry {
    const char *id;
    uint8_t hash[32];
} mf_entry;

static int mf_cmp(const void *a, const void *b)
{
    return strcmp(((const mf_entry *)a)->id, ((const mf_entry *)b)->id);
}

/* Hashes each live indicator; sorted by id, duplicates refused. */
static int manifest(const kz_event *ev, mf_entry **out, size_t *n, kz_err *err)
{
    *out = NULL;
    *n = 0;
    if (!ev->n_indicators)
        return KZ_OK;
    mf_entry *m = calloc(ev->n_indicators, sizeof *m);
    if (!m)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    kz_buf b;
    kz_buf_init(&b);
    size_t k = 0;
    int rc = KZ_OK;
    for (size_t i = 0; i < ev->n_indicators && !rc; i++) {
        const kz_indicator *ind = &ev->indicators[i];
        if (ind->deleted)
            continue;
        if (strcmp(ind->event_id, ev->id) != 0) {
            rc = kz_fail(err, KZ_E_INVALID, "event_id",
                         "indicator %s: 'event_id' '%.40s' is not its event's id %s", ind->id,
                         ind->event_id, ev->id);
            break;
        }
        kz_buf_reset(&b);
        rc = kz_sync_canon_indicator(ind, &b, err);
        if (rc)
            break;
        crypto_generichash(m[k].hash, 32, (const uint8_t *)b.p, b.len, NULL, 0);
        m[k++].id = ind->id;
    }
    kz_buf_free(&b);
    if (!rc) {
        qsort(m, k, sizeof *m, mf_cmp);
        for (size_t i = 1; i < k; i++)
            if (!strcmp(m[i - 1].id, m[i].id)) {
                rc = kz_fail(err, KZ_E_INVALID, "indicators",
                             "event %s: indicator %s appears twice", ev->id, m[i].id);
                break;
            }
    }
    if (rc) {
        free(m);
        return rc;
    }
    *out = m;
    *n = k;
    return KZ_OK;
}

static void put_sharing_group(kz_cw *w, const kz_sharing_group *sg)
{
    const char *what = w->what, *id = w->id;
    w->what = "sharing group";
    w->id = sg->id;
    put(w, "{", 1);
    kz__sync_cw_key(w, true, "created");
    kz__sync_cw_time(w, "created", sg->created);
    kz__sync_cw_key(w, false, "description");
    kz__sync_cw_str(w, "description", sg->description, KZ_MAX_TEXT, true);
    kz__sync_cw_key(w, false, "id");
    kz__sync_cw_uuid(w, "id", sg->id, false);
    kz__sync_cw_key(w, false, "member_orgs");
    kz__sync_cw_strlist(w, "member_orgs", &sg->member_orgs, true);
    kz__sync_cw_key(w, false, "modified");
    kz__sync_cw_time(w, "modified", sg->modified);
    kz__sync_cw_key(w, false, "name");
    kz__sync_cw_str_ne(w, "name", sg->name, KZ_MAX_NAME);
    kz__sync_cw_key(w, false, "owner_org");
    kz__sync_cw_uuid(w, "owner_org", sg->owner_org, false);
    put(w, "}", 1);
    w->what = what;
    w->id = id;
}

int kz_sync_canon_event(const kz_event *ev, const kz_sharing_group *sg, kz_buf *out, kz_err *err)
{
    kz_cw w = {out, err, "event", ev->id, 0};
    bool with_sg = ev->distribution == KZ_DIST_SHARING_GROUP;
    if (with_sg && !sg)
        return kz_fail(err, KZ_E_INVALID, "sharing_group",
                       "event %s: distribution is sharing_group but its sharing group was not "
                       "given",
                       ev->id);
    if (with_sg && strcmp(sg->id, ev->sharing_group_id) != 0)
        return kz_fail(err, KZ_E_INVALID, "sharing_group",
                       "event %s: sharing group %.40s is not the event's ('%.40s')", ev->id,
                       sg->id, ev->sharing_group_id);
    if (!with_sg && ev->sharing_group_id[0])
        return kz_fail(err, KZ_E_INVALID, "sharing_group_id",
                       "event %s: 'sharing_group_id' is set but distribution is %s", ev->id,
                       kz_distribution_name(ev->distribution) ? kz_distribution_name(ev->distribution)
                                                              : "unknown");
    if (ev->threat_level < KZ_THREAT_HIGH || ev->threat_level > KZ_THREAT_UNDEFINED)
        return kz_fail(err, KZ_E_INVALID, "threat_level",
                       "event %s: 'threat_level' %d is not 1-4", ev->id, ev->threat_level);
    if (ev->analysis < 0 || ev->analysis > 2)
        return kz_fail(err, KZ_E_INVALID, "analysis", "event %s: 'analysis' %d is not 0-2",
                       ev->id, ev->analysis);
    mf_entry *m = NULL;
    size_t nm = 0;
    int rc = manifest(ev, &m, &nm, err);
    if (rc)
        return rc;
    put(&w, "{", 1);
    kz__sync_cw_key(&w, true, "analysis");
    kz__sync_cw_int(&w, ev->analysis);
    kz__sync_cw_key(&w, false, "community_id");
    kz__sync_cw_uuid(&w, "community_id", ev->community_id, true);
    kz__sync_cw_key(&w, false, "created");
    kz__sync_cw_time(&w, "created", ev->created);
    kz__sync_cw_key(&w, false, "creator_org");
    kz__sync_cw_uuid(&w, "creator_org", ev->creator_org, false);
    kz__sync_cw_key(&w, false, "description");
    kz__sync_cw_str(&w, "description", ev->description, KZ_MAX_TEXT, true);
    kz__sync_cw_key(&w, false, "distribution");
    kz__sync_cw_name(&w, "distribution", kz_distribution_name(ev->distribution), false);
    kz__sync_cw_key(&w, false, "id");
    kz__sync_cw_uuid(&w, "id", ev->id, false);
    kz__sync_cw_key(&w, false, "manifest");
    put(&w, "[", 1);
    /* Reserve once: 108 bytes per entry, so a large manifest is one copy. */
    if (!w.rc && kz_buf_reserve(out, nm * 108 + 512) != 0)
        w.rc = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    for (size_t i = 0; i < nm && !w.rc; i++) {
        char hex[65];
        kz_hex_encode(m[i].hash, 32, hex);
        put(&w, i ? ",{\"hash\":\"" : "{\"hash\":\"", i ? 10 : 9);
        put(&w, hex, 64);
        put(&w, "\",\"id\":\"", 8);
        put(&w, m[i].id, KZ_UUID_STRLEN);
        put(&w, "\"}", 2);
    }
    put(&w, "]", 1);
    free(m);
    kz__sync_cw_key(&w, false, "modified");
    kz__sync_cw_time(&w, "modified", ev->modified);
    kz__sync_cw_key(&w, false, "pap");
    kz__sync_cw_name(&w, "pap", kz_pap_name(ev->pap), false);
    kz__sync_cw_key(&w, false, "published");
    kz__sync_cw_bool(&w, ev->published);
    kz__sync_cw_key(&w, false, "published_at");
    kz__sync_cw_time(&w, "published_at", ev->published_at);
    kz__sync_cw_key(&w, false, "recipient_orgs");
    kz__sync_cw_strlist(&w, "recipient_orgs", &ev->recipient_orgs, true);
    if (with_sg) {
        kz__sync_cw_key(&w, false, "sharing_group");
        put_sharing_group(&w, sg);
    }
    kz__sync_cw_key(&w, false, "sharing_group_id");
    kz__sync_cw_uuid(&w, "sharing_group_id", ev->sharing_group_id, true);
    kz__sync_cw_key(&w, false, "tags");
    kz__sync_cw_strlist(&w, "tags", &ev->tags, false);
    kz__sync_cw_key(&w, false, "threat_level");
    kz__sync_cw_int(&w, ev->threat_level);
    kz__sync_cw_key(&w, false, "title");
    kz__sync_cw_str_ne(&w, "title", ev->title, KZ_MAX_TITLE);
    kz__sync_cw_key(&w, false, "tlp");
    kz__sync_cw_name(&w, "tlp", kz_tlp_name(ev->tlp), false);
    put(&w, "}", 1);
    return w.rc;
}

/* ---- sightings, deletions, orgs, signers -------------------------------- */

int kz_sync_canon_sighting(const kz_sighting *s, kz_buf *out, kz_err *err)
{
    kz_cw w = {out, err, "sighting", s->id, 0};
    if (s->count < 1)
        kz__sync_cw_fail(&w, KZ_E_INVALID, "count", "%" PRId64 " is not a positive count",
                         s->count);
    put(&w, "{", 1);
    kz__sync_cw_key(&w, true, "count");
    kz__sync_cw_int(&w, s->count);
    kz__sync_cw_key(&w, false, "created");
    kz__sync_cw_time(&w, "created", s->created);
    kz__sync_cw_key(&w, false, "id");
    kz__sync_cw_uuid(&w, "id", s->id, false);
    kz__sync_cw_key(&w, false, "indicator_id");
    kz__sync_cw_uuid(&w, "indicator_id", s->indicator_id, false);
    kz__sync_cw_key(&w, false, "org_id");
    kz__sync_cw_uuid(&w, "org_id", s->org_id, false);
    kz__sync_cw_key(&w, false, "source");
    kz__sync_cw_str(&w, "source", s->source, KZ_MAX_NAME, true);
    kz__sync_cw_key(&w, false, "time");
    kz__sync_cw_time(&w, "time", s->time);
    kz__sync_cw_key(&w, false, "type");
    kz__sync_cw_name(&w, "type", kz_sighting_type_name(s->type), false);
    put(&w, "}", 1);
    return w.rc;
}

int kz__sync_canon_deletion(const kz_sync_deletion *d, kz_buf *out, kz_err *err)
{
    kz_cw w = {out, err, "deletion of", d->object_id, 0};
    if (!d->object_type ||
        (strcmp(d->object_type, "event") != 0 && strcmp(d->object_type, "indicator") != 0))
        kz__sync_cw_fail(&w, KZ_E_INVALID, "object_type", "must be event or indicator");
    put(&w, "{", 1);
    kz__sync_cw_key(&w, true, "creator_org");
    kz__sync_cw_uuid(&w, "creator_org", d->creator_org, false);
    kz__sync_cw_key(&w, false, "deleted_at");
    kz__sync_cw_time(&w, "deleted_at", d->deleted_at);
    kz__sync_cw_key(&w, false, "object_id");
    kz__sync_cw_uuid(&w, "object_id", d->object_id, false);
    kz__sync_cw_key(&w, false, "object_type");
    kz__sync_cw_str(&w, "object_type", d->object_type, 16, false);
    put(&w, "}", 1);
    return w.rc;
}

int kz__sync_canon_org(const kz_org *o, kz_buf *out, kz_err *err)
{
    kz_cw w = {out, err, "org", o->id, 0};
    char cc[3];
    if (!kz_country_normalize(o->country, cc) || strcmp(cc, o->country) != 0)
        kz__sync_cw_fail(&w, KZ_E_INVALID, "country", "'%.8s' is not an ISO 3166-1 code",
                         o->country);
    put(&w, "{", 1);
    kz__sync_cw_key(&w, true, "contact");
    kz__sync_cw_str(&w, "contact", o->contact, KZ_MAX_TITLE, true);
    kz__sync_cw_key(&w, false, "country");
    kz__sync_cw_str(&w, "country", o->country, 2, false);
    kz__sync_cw_key(&w, false, "created");
    kz__sync_cw_time(&w, "created", o->created);
    kz__sync_cw_key(&w, false, "id");
    kz__sync_cw_uuid(&w, "id", o->id, false);
    kz__sync_cw_key(&w, false, "modified");
    kz__sync_cw_time(&w, "modified", o->modified);
    kz__sync_cw_key(&w, false, "name");
    kz__sync_cw_str_ne(&w, "name", o->name, KZ_MAX_NAME);
    kz__sync_cw_key(&w, false, "sector");
    kz__sync_cw_str(&w, "sector", o->sector, KZ_MAX_NAME, true);
    kz__sync_cw_key(&w, false, "type");
    kz__sync_cw_name(&w, "type", kz_org_type_name(o->type), false);
    put(&w, "}", 1);
    return w.rc;
}

int kz__sync_canon_signer(const char *org, const uint8_t pk[32], kz_buf *out, kz_err *err)
{
    kz_cw w = {out, err, "signer", "", 0};
    char fp[KZ_NODE_FP_LEN + 1], hex[65];
    kz_sync_fingerprint(pk, fp);
    kz_sync_key_format(pk, hex);
    put(&w, "{\"fingerprint\":\"", 16);
    put(&w, fp, KZ_NODE_FP_LEN);
    put(&w, "\",\"org\":", 8);
    kz__sync_cw_uuid(&w, "org", org, false);
    put(&w, ",\"public_key\":\"", 15);
    put(&w, hex, 64);
    put(&w, "\"}", 2);
    return w.rc;
}

int kz__sync_message(const char *domain, const kz_buf *canon, const char *signer_org,
                     const uint8_t pk[32], kz_buf *out, kz_err *err)
{
    if (kz_buf_reserve(out, strlen(domain) + canon->len + 200) != 0 ||
        kz_buf_puts(out, domain) != 0 || kz_buf_append(out, canon->p, canon->len) != 0 ||
        kz_buf_putc(out, '\n') != 0)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    return kz__sync_canon_signer(signer_org, pk, out, err);
}

const char *kz__sync_kind_name(kz_sync_kind k)
{
    switch (k) {
    case KZ_SYNC_EVENT: return "event";
    case KZ_SYNC_SIGHTING: return "sighting";
    case KZ_SYNC_DELETION: return "deletion";
    case KZ_SYNC_ORG: return "org";
    case KZ_SYNC_PROPOSAL: return "proposal";
    case KZ_SYNC_CASE: return "case";
    case KZ_SYNC_CASE_ACTION: return "case_action";
    }
    return NULL;
}

const char *kz__sync_kind_domain(kz_sync_kind k)
{
    switch (k) {
    case KZ_SYNC_EVENT: return KZ_SYNC_DOMAIN_EVENT;
    case KZ_SYNC_SIGHTING: return KZ_SYNC_DOMAIN_SIGHTING;
    case KZ_SYNC_DELETION: return KZ_SYNC_DOMAIN_DELETION;
    case KZ_SYNC_ORG: return KZ_SYNC_DOMAIN_ORG;
    case KZ_SYNC_PROPOSAL: return KZ_SYNC_DOMAIN_PROPOSAL;
    case KZ_SYNC_CASE: return KZ_SYNC_DOMAIN_CASE;
    case KZ_SYNC_CASE_ACTION: return KZ_SYNC_DOMAIN_CASE_ACTION;
    }
    return NULL;
}
