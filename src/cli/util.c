/* util.c — the few things every subcommand does the same way: print an error
 * with the "kizuna: " prefix scripts look for, open the database named by
 * --db, find an org by name or id, print JSON.
 */
#include "cli.h"

#include <stdarg.h>
#include <string.h>
#include <unistd.h>

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("kizuna: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

const char *cli_err_msg(const char *field, const char *msg)
{
    /* The parsers write "field: ..." or "'field' ..."; the caller prints the
     * field itself, so say it once. */
    size_t n = field ? strlen(field) : 0;
    if (n == 0)
        return msg;
    if (strncmp(msg, field, n) == 0 && msg[n] == ':')
        msg += n + 1;
    else if (msg[0] == '\'' && strncmp(msg + 1, field, n) == 0 && msg[n + 1] == '\'' &&
             msg[n + 2] == ' ')
        msg += n + 2;
    while (*msg == ' ')
        msg++;
    return msg;
}

void cli_report(const char *prefix, const kz_err *err)
{
    const char *field = err->field;
    const char *msg = err->msg[0] ? cli_err_msg(field, err->msg) : kz_err_name(err->code);
    fprintf(stderr, "kizuna: %s%s%s%s%s\n", prefix ? prefix : "", prefix ? ": " : "", field,
            field[0] ? ": " : "", msg);
}

int cli_store_open(const cli_args *args, bool create, kz_store **out, const char **path)
{
    const char *db = cli_get(args, "db", CLI_DEFAULT_DB);
    if (path)
        *path = db;
    if (!create && access(db, F_OK) != 0) {
        cli_error("no database at '%s' (create one with: kizuna init --db %s --org NAME "
                  "--country CC)", db, db);
        return CLI_FAIL;
    }
    kz_err err = {0};
    if (kz_store_open(db, out, &err) != 0) {
        char prefix[600];
        snprintf(prefix, sizeof prefix, "cannot open database '%s'", db);
        cli_report(prefix, &err);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cli_org_resolve(kz_store *st, const char *name_or_id, kz_arena *a, kz_org *out)
{
    kz_err err = {0};
    kz_uuid id;
    int rc;
    if (kz_uuid_normalize(name_or_id, id)) {
        rc = kz_store_org_get(st, id, a, out, &err);
        if (rc == KZ_E_NOTFOUND) /* an org may be named like a UUID */
            rc = kz_store_org_find(st, name_or_id, a, out, &err);
    } else {
        rc = kz_store_org_find(st, name_or_id, a, out, &err);
    }
    if (rc == KZ_E_NOTFOUND) {
        cli_error("no organisation '%s' on this node (see: kizuna org list)", name_or_id);
        return CLI_FAIL;
    }
    if (rc != 0) {
        cli_report(NULL, &err);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cli_print_json(FILE *f, json_t *j, bool pretty)
{
    if (!j) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    int rc = json_dumpf(j, f, pretty ? JSON_INDENT(2) : JSON_COMPACT);
    json_decref(j);
    if (rc != 0 || fputc('\n', f) == EOF) {
        cli_error("cannot write output");
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cli_read_secret_line(char *buf, size_t max, size_t *len)
{
    size_t n = 0;
    int c;
    while ((c = getchar()) != EOF && c != '\n') {
        if (n + 1 >= max)
            return KZ_E_TOOLARGE;
        buf[n++] = (char)c;
    }
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    *len = n;
    return 0;
}

int cli_org_author(kz_store *st, const char *org_id, kz_arena *a, kz_uuid out)
{
    /* Prefer who would author events through the API: a publisher. */
    static const kz_role order[] = {KZ_ROLE_PUBLISHER, KZ_ROLE_ORG_ADMIN, KZ_ROLE_ANALYST,
                                    KZ_ROLE_ADMIN};
    kz_user *users = NULL;
    size_t n = 0;
    kz_err err = {0};
    out[0] = '\0';
    if (kz_store_user_list(st, org_id, a, &users, &n, &err) != 0) {
        cli_report("cannot list users", &err);
        return CLI_FAIL;
    }
    for (size_t r = 0; r < KZ_ARRAY_LEN(order); r++)
        for (size_t i = 0; i < n; i++)
            if (users[i].role == order[r]) {
                memcpy(out, users[i].id, sizeof(kz_uuid));
                return CLI_OK;
            }
    return CLI_OK;
}
