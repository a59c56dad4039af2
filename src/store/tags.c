/* tags.c — tags are stored once (tags) and linked to events and indicators
 * by integer id, so a tag carried by a hundred thousand indicators costs a
 * hundred thousand small integer pairs, and "everything tagged X" is one
 * index range. Link rows keep the order the tags were given in. */
#include "store_int.h"

/* The cache slot a name maps to, or NULL when the name is too long to
 * cache. FNV-1a: tag names are short, and a collision only costs a lookup. */
static kz_tag_slot *tag_slot(kz_store *st, const char *name, size_t *len)
{
    uint32_t h = 2166136261u;
    size_t n = 0;
    for (; name[n]; n++) {
        if (n >= KZ_TAG_CACHE_NAME)
            return NULL;
        h = (h ^ (unsigned char)name[n]) * 16777619u;
    }
    if (n == 0)
        return NULL;
    *len = n;
    return &st->tag_cache[h % KZ_TAG_CACHE_SLOTS];
}

void kz__tag_cache_clear(kz_store *st)
{
    for (size_t i = 0; i < KZ_TAG_CACHE_SLOTS; i++)
        st->tag_cache[i].len = 0;
}

static int tag_lookup_or_insert(kz_store *st, const char *name, int64_t *id, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, "SELECT id FROM tags WHERE name = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, name);
    int rc = kz__step(st, s);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(s, 0);
        kz__reset(s);
        return 0;
    }
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "looking up a tag");
    kz__reset(s);
    s = kz__stmt(st, "INSERT INTO tags(name) VALUES (?1)", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, name);
    rc = kz__run(st, s);
    if (rc)
        return kz__dberr(st, rc, err, "storing a tag");
    *id = sqlite3_last_insert_rowid(st->db);
    return 0;
}

/* Tags are never renamed or deleted, so a committed name -> id pair stays
 * true for the life of the connection; one created in a transaction that
 * rolls back does not, which is why rollbacks clear the cache (txn.c). */
int kz__tag_id(kz_store *st, const char *name, int64_t *id, kz_err *err)
{
    size_t len = 0;
    kz_tag_slot *sl = tag_slot(st, name, &len);
    if (sl && sl->len == len && memcmp(sl->name, name, len) == 0) {
        *id = sl->id;
        return 0;
    }
    int r = tag_lookup_or_insert(st, name, id, err);
    if (!r && sl) {
        memcpy(sl->name, name, len);
        sl->len = (uint8_t)len;
        sl->id = *id;
    }
    return r;
}

static int tags_write(kz_store *st, const char *sql, int64_t owner, const kz_strlist *tags,
                      kz_err *err)
{
    for (size_t i = 0; i < tags->n; i++) {
        if (!tags->v[i])
            continue;
        int64_t tag;
        int r = kz__tag_id(st, tags->v[i], &tag, err);
        if (r)
            return r;
        sqlite3_stmt *s = kz__stmt(st, sql, err);
        if (!s)
            return kz__code(err);
        kz__bind_i64(s, 1, owner);
        kz__bind_i64(s, 2, tag);
        kz__bind_i64(s, 3, (int64_t)i);
        int rc = kz__run(st, s);
        if (rc)
            return kz__dberr(st, rc, err, "storing tags");
    }
    return 0;
}

int kz__event_tags_write(kz_store *st, int64_t event_seq, const kz_strlist *tags, kz_err *err)
{
    return tags_write(st, "INSERT OR IGNORE INTO event_tags(event, tag, pos) VALUES (?1, ?2, ?3)",
                      event_seq, tags, err);
}

int kz__indicator_tags_write(kz_store *st, int64_t ind_seq, const kz_strlist *tags, kz_err *err)
{
    return tags_write(st,
                      "INSERT OR IGNORE INTO indicator_tags(ind, tag, pos) VALUES (?1, ?2, ?3)",
                      ind_seq, tags, err);
}

static int tags_load(kz_store *st, const char *sql, int64_t owner, kz_arena *a, kz_strlist *out,
                     kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, sql, err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, owner);
    return kz__list_strings(st, s, a, out, "reading tags", err);
}

int kz__event_tags_load(kz_store *st, int64_t event_seq, kz_arena *a, kz_strlist *out, kz_err *err)
{
    return tags_load(st,
                     "SELECT t.name FROM event_tags et JOIN tags t ON t.id = et.tag"
                     " WHERE et.event = ?1 ORDER BY et.pos",
                     event_seq, a, out, err);
}

int kz__indicator_tags_load(kz_store *st, int64_t ind_seq, kz_arena *a, kz_strlist *out,
                            kz_err *err)
{
    return tags_load(st,
                     "SELECT t.name FROM indicator_tags it JOIN tags t ON t.id = it.tag"
                     " WHERE it.ind = ?1 ORDER BY it.pos",
                     ind_seq, a, out, err);
}
