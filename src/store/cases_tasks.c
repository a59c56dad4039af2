/* cases_tasks.c — work items of a case, each assigned to an org (the lead
 * or a participant) and maybe one of its users, with a due date. Overdue is
 * not stored: it is "due before now and not finished", decided when read
 * (kz_case_task_overdue), so it never goes stale.
 */
#include "store_int.h"

#define TASK_COLS                                                                                  \
    "t.id, c.id, t.title, t.description, t.org_id, t.user_id, t.due, t.status, t.created_by,"      \
    " t.created, t.modified"

static int check_task(kz_store *st, const kz_case_task *t, kz_err *err)
{
    if (!kz_uuid_valid(t->id))
        return kz_fail(err, KZ_E_VALUE, "id", "task id '%.64s' is not a UUID", t->id);
    if (!t->title || !*t->title)
        return kz_fail(err, KZ_E_VALUE, "title", "a task needs a title");
    if (!kz_task_status_name(t->status))
        return kz_fail(err, KZ_E_VALUE, "status", "task status %d is not valid", (int)t->status);
    int r = kz__exists(st, KZ_SQL_ORG_EXISTS, t->org_id, err);
    if (r == KZ_E_NOTFOUND)
        return kz_fail(err, KZ_E_VALUE, "org_id", "organisation " KZ_ID_FMT " does not exist",
                       t->org_id);
    if (r)
        return r;
    if (t->user_id[0]) {
        sqlite3_stmt *s = kz__stmt(st, "SELECT org_id FROM users WHERE id = ?1", err);
        if (!s)
            return kz__code(err);
        kz__bind_text(s, 1, t->user_id);
        int rc = kz__step(st, s);
        bool ok = rc == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(s, 0), t->org_id);
        kz__reset(s);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return kz__dberr(st, rc, err, "looking up a user");
        if (!ok)
            return kz_fail(err, KZ_E_VALUE, "user_id",
                           "user_id: " KZ_ID_FMT " is not a user of the assigned org", t->user_id);
    }
    return 0;
}

/* Insert and update share the columns they bind (1..8) and the checks; an
 * insert adds who created it and when (9, 10), an update the time (9). */
static int task_write(kz_store *st, const kz_case_task *t, bool insert, kz_err *err)
{
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    int64_t seq = 0;
    r = kz__case_seq(st, t->case_id, &seq, err);
    if (!r)
        r = check_task(st, t, err);
    sqlite3_stmt *s = NULL;
    if (!r && !(s = kz__stmt(st,
                             insert ? "INSERT INTO case_tasks(id, case_ref, title, description,"
                                      " org_id, user_id, due, status, created_by, created,"
                                      " modified) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                                      " ?10, ?10)"
                                    : "UPDATE case_tasks SET title = ?3, description = ?4,"
                                      " org_id = ?5, user_id = ?6, due = ?7, status = ?8,"
                                      " modified = max(modified + 1, ?9) WHERE id = ?1 AND"
                                      " case_ref = ?2",
                             err)))
        r = kz__code(err);
    if (!r) {
        kz__bind_text(s, 1, t->id);
        kz__bind_i64(s, 2, seq);
        kz__bind_text(s, 3, t->title);
        kz__bind_text(s, 4, t->description);
        kz__bind_text(s, 5, t->org_id);
        kz__bind_text(s, 6, t->user_id);
        kz__bind_i64(s, 7, t->due);
        kz__bind_text(s, 8, kz_task_status_name(t->status));
        if (insert) {
            kz__bind_text(s, 9, t->created_by);
            kz__bind_i64(s, 10, t->created ? t->created : kz_time_now());
        } else {
            kz__bind_i64(s, 9, kz_time_now());
        }
        int rc = kz__run(st, s);
        if (insert && kz__is_unique(rc))
            r = kz_fail(err, KZ_E_CONFLICT, "id", "task " KZ_ID_FMT " already exists", t->id);
        else if (rc)
            r = kz__dberr(st, rc, err, insert ? "storing a task" : "updating a task");
        else if (!insert && sqlite3_changes(st->db) == 0)
            r = kz_fail(err, KZ_E_NOTFOUND, NULL, "no such task " KZ_ID_FMT, t->id);
    }
    if (!r)
        r = kz__case_touch(st, seq, t->case_id, err);
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}

int kz_store_case_task_put(kz_store *st, const kz_case_task *t, kz_err *err)
{
    return task_write(st, t, true, err);
}

int kz_store_case_task_update(kz_store *st, const kz_case_task *t, kz_err *err)
{
    return task_write(st, t, false, err);
}

static void task_read(kz_rd *r, void *out)
{
    kz_case_task *t = out;
    kz__col_uuid(r, 0, t->id);
    kz__col_uuid(r, 1, t->case_id);
    t->title = kz__col_str(r, 2);
    t->description = kz__col_str(r, 3);
    kz__col_uuid(r, 4, t->org_id);
    kz__col_uuid(r, 5, t->user_id);
    t->due = kz__col_i64(r, 6);
    int x = kz_task_status_parse((const char *)sqlite3_column_text(r->s, 7));
    t->status = x < 0 ? KZ_TASK_WAITING : (kz_task_status)x;
    kz__col_uuid(r, 8, t->created_by);
    t->created = kz__col_i64(r, 9);
    t->modified = kz__col_i64(r, 10);
}

int kz_store_case_task_get(kz_store *st, const char *case_id, const char *task_id, kz_arena *a,
                           kz_case_task *out, kz_err *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT " TASK_COLS " FROM case_tasks t JOIN cases c ON c.seq ="
                               " t.case_ref WHERE t.id = ?1 AND c.id = ?2",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, task_id);
    kz__bind_text(s, 2, case_id);
    return kz__one_row(st, s, a, task_read, out, "task", task_id, err);
}

int kz_store_case_tasks(kz_store *st, const char *case_id, kz_arena *a, kz_case_task **out,
                        size_t *n, kz_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s;
    if (case_id) {
        int64_t seq = 0;
        int r = kz__case_seq(st, case_id, &seq, err);
        if (r)
            return r;
        s = kz__stmt(st,
                     "SELECT " TASK_COLS " FROM case_tasks t JOIN cases c ON c.seq = t.case_ref"
                     " WHERE t.case_ref = ?1 ORDER BY t.seq",
                     err);
        if (!s)
            return kz__code(err);
        kz__bind_i64(s, 1, seq);
    } else {
        s = kz__stmt(st,
                     "SELECT " TASK_COLS " FROM case_tasks t JOIN cases c ON c.seq = t.case_ref"
                     " ORDER BY t.seq",
                     err);
        if (!s)
            return kz__code(err);
    }
    return kz__list_rows(st, s, a, sizeof **out, task_read, out, n, "listing tasks", err);
}
