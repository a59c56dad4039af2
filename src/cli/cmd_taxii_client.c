/* cmd_taxii_client.c — the pieces of the TAXII 2.1 client that pull, push
 * and the scheduled pulls share: credentials, one libcurl handle per remote
 * API root, and the pull loop itself.
 *
 * Credentials: a bearer key or a Basic password on the command line is
 * visible to every local user (ps, /proc), so each can also come from a file
 * or an environment variable; none is ever printed or logged (error
 * messages name the URL and the HTTP status, never a header).
 *
 * Resuming a pull: after each page is stored, the page's
 * X-TAXII-Date-Added-Last is kept in node meta under the source (API root
 * URL + collection), and the next pull starts with added_after set to it; so
 * an interrupted pull loses at most the page in flight, and a later pull
 * fetches only what is new. Everything pulled from one source goes into one
 * event of the importing org (made on the first pull), reports into events
 * of their own.
 */
#include "cmd_taxii.h"
#include "formats/formats.h"
#include "sync/sync.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PAGE_BYTES ((size_t)512 << 20)

/* ---- credentials ------------------------------------------------------------- */

static int read_first_line(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        cli_error("cannot open '%s': %s", path, strerror(errno));
        return CLI_FAIL;
    }
    bool ok = fgets(buf, (int)cap, f) != NULL;
    fclose(f);
    size_t n = ok ? strlen(buf) : 0;
    if (n && buf[n - 1] != '\n' && n == cap - 1) {
        sodium_memzero(buf, cap);
        cli_error("'%s': the first line is longer than %zu bytes", path, cap - 2);
        return CLI_FAIL;
    }
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = 0;
    if (n == 0) {
        cli_error("'%s' is empty: put the secret on its first line", path);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cli_taxii_cred_read(const cli_spec *spec, const cli_args *args, cli_taxii_cred *c)
{
    memset(c, 0, sizeof *c);
    const char *key = cli_get(args, "key", NULL), *key_file = cli_get(args, "key-file", NULL);
    const char *user = cli_get(args, "user", NULL), *pw_file = cli_get(args, "password-file", NULL);
    bool pw_stdin = cli_flag(args, "password-stdin");
    const char *env_key = getenv(CLI_TAXII_ENV_KEY), *env_pw = getenv(CLI_TAXII_ENV_PASSWORD);
    if ((key || key_file) && user)
        return cli_usage_error(spec, "give a bearer key or --user, not both");
    if (key && key_file)
        return cli_usage_error(spec, "give --key or --key-file, not both");
    if (!user && (pw_stdin || pw_file))
        return cli_usage_error(spec, "--password-stdin and --password-file need --user");
    if (pw_stdin && pw_file)
        return cli_usage_error(spec, "give --password-stdin or --password-file, not both");
    if (user && strlen(user) >= sizeof c->user)
        return cli_usage_error(spec, "--user: longer than %zu bytes", sizeof c->user - 1);
    if (user) {
        c->kind = KZ_TAXII_AUTH_BASIC;
        snprintf(c->user, sizeof c->user, "%s", user);
        if (pw_stdin) {
            size_t n = 0;
            if (cli_read_secret_line(c->secret, sizeof c->secret, &n) != 0) {
                cli_error("the password on stdin is longer than %zu bytes", sizeof c->secret - 1);
                return CLI_FAIL;
            }
            return CLI_OK;
        }
        if (pw_file)
            return read_first_line(pw_file, c->secret, sizeof c->secret);
        if (env_pw && *env_pw && strlen(env_pw) < sizeof c->secret) {
            snprintf(c->secret, sizeof c->secret, "%s", env_pw);
            return CLI_OK;
        }
        return cli_usage_error(spec, "--user needs --password-stdin, --password-file or $%s",
                               CLI_TAXII_ENV_PASSWORD);
    }
    if (key_file) {
        c->kind = KZ_TAXII_AUTH_BEARER;
        return read_first_line(key_file, c->secret, sizeof c->secret);
    }
    const char *k = key ? key : env_key && *env_key ? env_key : NULL;
    if (k) {
        if (strlen(k) >= 200)
            return cli_usage_error(spec, "the bearer key is longer than 199 bytes");
        c->kind = KZ_TAXII_AUTH_BEARER;
        snprintf(c->secret, sizeof c->secret, "%s", k);
    }
    return CLI_OK;
}

void cli_taxii_cred_wipe(cli_taxii_cred *c) { sodium_memzero(c, sizeof *c); }

/* ---- HTTP -------------------------------------------------------------------- */

void cli_taxii_clean(const char *s, char *out, size_t cap)
{
    size_t n = strnlen(s, cap - 1);
    bool utf8 = kz_utf8_valid(s, n);
    /* a cut through the last character is not a reason to mangle the rest */
    for (size_t k = 1; !utf8 && k <= 3 && k < n && s[n] != '\0'; k++)
        if (kz_utf8_valid(s, n - k)) {
            n -= k;
            utf8 = true;
        }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8) ? '?' : (char)c;
    }
    out[n] = '\0';
}

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    cli_taxii_resp *r = ud;
    size_t k = sz * n;
    if (r->body.len + k > MAX_PAGE_BYTES) {
        r->too_big = true;
        return 0;
    }
    return kz_buf_append(&r->body, p, k) == 0 ? k : 0;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    cli_taxii_resp *r = ud;
    size_t k = sz * n;
    static const char name[] = "X-TAXII-Date-Added-Last:";
    size_t l = sizeof name - 1;
    if (k > l && strncasecmp(p, name, l) == 0) {
        const char *v = p + l;
        size_t vn = k - l;
        while (vn && (*v == ' ' || *v == '\t'))
            v++, vn--;
        while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' '))
            vn--;
        /* Kept only when it is a timestamp: it is stored as the resume
         * position, and garbage there would fail every later pull. */
        char tmp[sizeof r->last];
        kz_time when;
        kz_err ignored;
        if (vn < sizeof tmp) {
            snprintf(tmp, sizeof tmp, "%.*s", (int)vn, v);
            if (kz_time_parse(tmp, &when, &ignored) == 0)
                memcpy(r->last, tmp, sizeof tmp);
        }
    }
    return k;
}

/* A URL with user:password@ would carry a credential in clear into error
 * messages, logs and the sources table. */
static bool has_userinfo(const char *url)
{
    const char *p = strstr(url, "://");
    if (!p)
        return false;
    p += 3;
    size_t auth = strcspn(p, "/?#");
    return memchr(p, '@', auth) != NULL;
}

/* What may go into an Authorization header: a bearer key is visible ASCII
 * (RFC 6750 b64token and then some), a Basic user has no ':' (RFC 7617)
 * and no control characters. A CR or LF would start a header of its own. */
static int cred_check(const cli_taxii_cred *cred, kz_err *err)
{
    if (!cred || cred->kind == KZ_TAXII_AUTH_NONE)
        return 0;
    if (!cred->secret[0])
        return kz_fail(err, KZ_E_VALUE, "secret", "the credential is empty");
    for (const unsigned char *p = (const unsigned char *)cred->secret;
         cred->kind == KZ_TAXII_AUTH_BEARER && *p; p++)
        if (*p <= 0x20 || *p >= 0x7f)
            return kz_fail(err, KZ_E_VALUE, "key",
                           "the bearer key holds a space or a character outside visible ASCII; "
                           "it cannot go into an HTTP header");
    for (const unsigned char *p = (const unsigned char *)cred->user;
         cred->kind == KZ_TAXII_AUTH_BASIC && *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == ':')
            return kz_fail(err, KZ_E_VALUE, "user",
                           "the Basic user name holds ':' or a control character");
    for (const unsigned char *p = (const unsigned char *)cred->secret;
         cred->kind == KZ_TAXII_AUTH_BASIC && *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return kz_fail(err, KZ_E_VALUE, "password", "the password holds a control character");
    return 0;
}

int cli_taxii_open(cli_taxii_conn *t, const char *url, const cli_taxii_cred *cred, kz_err *err)
{
    memset(t, 0, sizeof *t);
    size_t ul = strlen(url);
    if (ul > 900 || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        return kz_fail(err, KZ_E_VALUE, "url",
                       "'%.100s' is not an http:// or https:// API root URL of at most 900 bytes",
                       url);
    if (has_userinfo(url))
        return kz_fail(err, KZ_E_VALUE, "url",
                       "the URL holds a user or password (user@host): put none in it; use the "
                       "credential options");
    /* TAXII runs over HTTPS (spec 1.6); plain HTTP only on loopback (tests,
     * a local proxy), so no credential or object crosses a network in clear. */
    int r = kz_sync_url_check(url, err);
    if (r == 0)
        r = cred_check(cred, err);
    if (r)
        return r;
    /* The API root with exactly one trailing slash. */
    while (ul > 8 && url[ul - 1] == '/')
        ul--;
    snprintf(t->root, sizeof t->root, "%.*s/", (int)ul, url);
    t->c = curl_easy_init();
    if (!t->c)
        return kz_fail(err, KZ_E_NOMEM, NULL, "cannot make an HTTP client");
    if (cred && cred->kind == KZ_TAXII_AUTH_BEARER) {
        char auth[1100];
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", cred->secret);
        t->hdrs = curl_slist_append(t->hdrs, auth);
        sodium_memzero(auth, sizeof auth);
    }
    t->hdrs = curl_slist_append(t->hdrs, "Accept: " CLI_TAXII_MEDIA);
    t->hdrs = curl_slist_append(t->hdrs, "Content-Type: " CLI_TAXII_MEDIA);
    t->hdrs = curl_slist_append(t->hdrs, "Expect:");
    curl_easy_setopt(t->c, CURLOPT_HTTPHEADER, t->hdrs);
    /* A redirect could take the credential to another host: none is followed. */
    curl_easy_setopt(t->c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(t->c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(t->c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    long wait_s = cli_http_timeout(300L); /* reliability: $KIZUNA_HTTP_TIMEOUT */
    curl_easy_setopt(t->c, CURLOPT_CONNECTTIMEOUT, wait_s < 30L ? wait_s : 30L);
    curl_easy_setopt(t->c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(t->c, CURLOPT_LOW_SPEED_TIME, wait_s);
    /* and a server that trickles a byte now and then cannot hold a pull
     * (or the scheduler's thread) for ever: an hour per request at most */
    curl_easy_setopt(t->c, CURLOPT_TIMEOUT, wait_s > 3600L ? wait_s : 3600L);
    curl_easy_setopt(t->c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(t->c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(t->c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(t->c, CURLOPT_HEADERFUNCTION, on_header);
    if (cred && cred->kind == KZ_TAXII_AUTH_BASIC) {
        curl_easy_setopt(t->c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(t->c, CURLOPT_USERNAME, cred->user);
        curl_easy_setopt(t->c, CURLOPT_PASSWORD, cred->secret);
    }
    return 0;
}

void cli_taxii_close(cli_taxii_conn *t)
{
    curl_slist_free_all(t->hdrs);
    if (t->c)
        curl_easy_cleanup(t->c);
    memset(t, 0, sizeof *t);
}

void cli_taxii_resp_free(cli_taxii_resp *r)
{
    kz_buf_free(&r->body);
    memset(r, 0, sizeof *r);
}

int cli_taxii_request(cli_taxii_conn *t, const char *method, const char *rel, const char *body,
                      size_t len, cli_taxii_resp *out, kz_err *err)
{
    memset(out, 0, sizeof *out);
    kz_buf_init(&out->body);
    kz_buf url;
    kz_buf_init(&url);
    if (kz_buf_printf(&url, "%s%s", t->root, rel) != 0) {
        kz_buf_free(&url);
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    }
    curl_easy_setopt(t->c, CURLOPT_URL, url.p);
    curl_easy_setopt(t->c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(t->c, CURLOPT_HEADERDATA, out);
    if (body) {
        curl_easy_setopt(t->c, CURLOPT_POST, 1L);
        curl_easy_setopt(t->c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(t->c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    } else {
        curl_easy_setopt(t->c, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(t->c, CURLOPT_CUSTOMREQUEST, strcmp(method, "GET") == 0 ||
                                                        strcmp(method, "POST") == 0
                                                    ? NULL
                                                    : method);
    CURLcode cc = curl_easy_perform(t->c);
    curl_easy_getinfo(t->c, CURLINFO_RESPONSE_CODE, &out->status);
    int rc = 0;
    if (cc != CURLE_OK) {
        rc = kz_fail(err, KZ_E_IO, NULL, "%.300s: %s", url.p,
                     out->too_big ? "answer larger than 512 MiB" : curl_easy_strerror(cc));
    } else if (out->status < 200 || out->status > 299) {
        json_t *j = json_loadb(out->body.p ? out->body.p : "", out->body.len, 0, NULL);
        const char *d = json_string_value(json_object_get(j, "description"));
        char clean[301];
        if (d)
            cli_taxii_clean(d, clean, sizeof clean);
        rc = kz_fail(err, KZ_E_IO, NULL, "%.300s: HTTP %ld%s%s", url.p, out->status,
                     d ? ": " : "", d ? clean : "");
        json_decref(j);
    }
    kz_buf_free(&url);
    return rc;
}

/* ---- pull -------------------------------------------------------------------- */

int cli_taxii_org(kz_store *st, const cli_spec *spec, const cli_args *args, const char *role,
                  kz_arena *a, kz_org *out)
{
    const char *name = cli_get(args, "org", NULL);
    if (name)
        return cli_org_resolve(st, name, a, out);
    kz_org *orgs = NULL;
    size_t n = 0;
    kz_err err = {0};
    if (kz_store_org_list(st, a, &orgs, &n, &err) != 0) {
        cli_report("cannot list organisations", &err);
        return CLI_FAIL;
    }
    if (n != 1)
        return cli_usage_error(spec, "the node has %zu organisations; name the %s one with --org",
                               n, role);
    *out = orgs[0];
    return CLI_OK;
}

/* The event of this source for org: remembered in meta, else made now. */
static int source_event(kz_store *st, const char *key, const kz_org *org, const char *author,
                        const char *url, kz_tlp tlp, kz_arena *a, kz_uuid out, kz_err *err)
{
    char mkey[1300];
    snprintf(mkey, sizeof mkey, "taxii.pull.event.%s.%s", org->id, key);
    char *v = NULL;
    kz_event ev;
    kz_err ignored;
    if (kz_store_meta_get(st, mkey, a, &v, &ignored) == 0 && v &&
        kz_store_event_get(st, v, false, a, &ev, &ignored) == 0) {
        snprintf(out, sizeof(kz_uuid), "%s", v);
        return 0;
    }
    memset(&ev, 0, sizeof ev);
    kz_uuid_v4(ev.id);
    char title[300];
    snprintf(title, sizeof title, "TAXII pull: %.250s", url);
    ev.title = title;
    ev.threat_level = 4;
    ev.tlp = tlp;
    ev.distribution = KZ_DIST_ORG;
    memcpy(ev.creator_org, org->id, sizeof ev.creator_org);
    snprintf(ev.creator_user, sizeof ev.creator_user, "%s", author);
    ev.created = ev.modified = kz_time_now();
    int rc = kz_store_event_put(st, &ev, err);
    if (rc == 0)
        rc = kz_store_meta_set(st, mkey, ev.id, err);
    if (rc == 0)
        memcpy(out, ev.id, sizeof(kz_uuid));
    return rc;
}

int cli_taxii_pull_run(kz_store *st, cli_taxii_conn *t, const char *collection, const kz_org *org,
                       kz_tlp tlp, size_t limit, bool from_start, bool verbose,
                       cli_taxii_pull_stats *stats, kz_err *err)
{
    memset(stats, 0, sizeof *stats);
    if (strlen(collection) > 100 || !*collection)
        return kz_fail(err, KZ_E_VALUE, "collection", "a collection id has 1 to 100 bytes");
    kz_arena a;
    kz_arena_init(&a);
    char state_key[1200];
    snprintf(state_key, sizeof state_key, "taxii.pull.%s|%s", t->root, collection);
    kz_uuid author = "", event_id = "";
    int rc = cli_org_author(st, org->id, &a, author) == CLI_OK ? 0 : KZ_E_DB;
    if (rc)
        kz_fail(err, KZ_E_DB, NULL, "cannot find a user of org '%.100s'", org->name);
    if (rc == 0)
        rc = source_event(st, state_key + 11, org, author, t->root, tlp, &a, event_id, err);
    kz_stix_import_opts opts = {
        .org_id = org->id,
        .user_id = author,
        .default_tlp = tlp,
        .distribution = KZ_DIST_ORG,
        .source = t->root,
        .event_id = event_id,
    };
    char *after = NULL, *next = NULL, *prev = NULL;
    kz_err ignored;
    char *coll_esc = rc == 0 ? curl_easy_escape(t->c, collection, 0) : NULL;
    if (rc == 0 && !coll_esc)
        rc = kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    if (rc == 0 && !from_start && kz_store_meta_get(st, state_key, &a, &after, &ignored) != 0)
        after = NULL;
    while (rc == 0) {
        kz_buf rel;
        kz_buf_init(&rel);
        kz_buf_printf(&rel, "collections/%s/objects/?limit=%zu", coll_esc, limit);
        const char *name = next ? "next" : after ? "added_after" : NULL;
        if (name) {
            char *esc = curl_easy_escape(t->c, next ? next : after, 0);
            kz_buf_printf(&rel, "&%s=%s", name, esc ? esc : "");
            curl_free(esc);
        }
        cli_taxii_resp pg;
        rc = cli_taxii_request(t, "GET", rel.p ? rel.p : "", NULL, 0, &pg, err);
        kz_buf_free(&rel);
        free(next);
        next = NULL;
        if (rc) {
            cli_taxii_resp_free(&pg);
            break;
        }
        stats->pages++;
        json_t *j = json_loadb(pg.body.p ? pg.body.p : "", pg.body.len, 0, NULL);
        if (!json_is_object(j)) {
            json_decref(j);
            cli_taxii_resp_free(&pg);
            rc = kz_fail(err, KZ_E_VALUE, NULL, "page %zu is not a TAXII envelope", stats->pages);
            break;
        }
        bool more = json_is_true(json_object_get(j, "more"));
        const char *nx = json_string_value(json_object_get(j, "next"));
        /* An empty page with "more" is normal (a kizuna server ends a page
         * after scanning a run of objects this caller may not see) as long
         * as `next` moves on; the same `next` again would loop for ever. */
        bool stuck = nx && prev && strcmp(nx, prev) == 0;
        free(prev);
        prev = nx ? strdup(nx) : NULL;
        next = nx ? strdup(nx) : NULL;
        size_t n_objs = json_array_size(json_object_get(j, "objects"));
        json_decref(j);
        if (n_objs) {
            kz_stix_report rep;
            kz_arena pa;
            kz_arena_init(&pa);
            rc = kz_stix_import(st, pg.body.p, pg.body.len, &opts, false, &pa, &rep, err);
            if (rc == 0) {
                stats->objects += rep.n_objects;
                stats->stored += rep.n_stored;
                stats->duplicates += rep.n_duplicates;
                stats->invalid += rep.n_invalid;
                for (size_t i = 0; verbose && i < rep.n_items; i++)
                    if (rep.items[i].status == KZ_STIX_ITEM_INVALID)
                        fprintf(stderr, "kizuna: skipped: %s\n", rep.items[i].message);
            }
            kz_arena_free(&pa);
        }
        /* Paging by added_after must move forward too. */
        stuck |= !next && pg.last[0] && after && strcmp(pg.last, after) == 0;
        /* The page is stored: remember where it ended. */
        if (rc == 0 && pg.last[0]) {
            rc = kz_store_meta_set(st, state_key, pg.last, err);
            after = kz_arena_strdup(&a, pg.last);
        }
        if (rc == 0 && more && stuck)
            rc = kz_fail(err, KZ_E_VALUE, NULL,
                         "%.300s: page %zu says there is more but gives the same position as "
                         "the page before; stopping rather than asking for ever",
                         t->root, stats->pages);
        bool done = !more || (!next && !pg.last[0]) || stuck || (n_objs == 0 && !next);
        cli_taxii_resp_free(&pg);
        if (done)
            break;
    }
    free(next);
    free(prev);
    curl_free(coll_esc);
    kz_arena_free(&a);
    return rc;
}
