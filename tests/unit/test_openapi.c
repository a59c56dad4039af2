/* test_openapi.c — docs/openapi.yaml and the router must list the same
 * routes. The reference is what clients code against; a route that is served
 * but undocumented, or documented but not served, is a bug in one of them.
 *
 * The YAML is read with a deliberately small line scanner (path keys at
 * indentation 2 under "paths:", methods at indentation 4), which is the
 * layout the file keeps; the scanner is itself tested on a sample so a
 * change of layout fails loudly instead of finding nothing.
 */
#include "kz_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

#define MAX_OPS 256

typedef struct op {
    char method[8]; /* upper case */
    char path[160];
    bool has_example;
    bool only_204;
} op;

typedef struct ops {
    op v[MAX_OPS];
    size_t n;
} ops;

static bool is_method(const char *k)
{
    static const char *const m[] = {"get", "put", "post", "delete", "options", "head", "patch",
                                    "trace"};
    for (size_t i = 0; i < KZ_ARRAY_LEN(m); i++)
        if (strcmp(k, m[i]) == 0)
            return true;
    return false;
}

static size_t indent_of(const char *s)
{
    size_t i = 0;
    while (s[i] == ' ')
        i++;
    return i;
}

/* Scans YAML text for paths and methods; also notes, per operation, whether
 * it carries an example and whether its only success is a bodiless 204. */
static void scan(const char *text, ops *out)
{
    memset(out, 0, sizeof *out);
    bool in_paths = false;
    char path[160] = "";
    op *cur = NULL;
    bool saw_2xx_body = false;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[512];
        if (len >= sizeof line)
            len = sizeof line - 1;
        memcpy(line, p, len);
        line[len] = 0;
        p = nl ? nl + 1 : p + len;
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
            line[--len] = 0;
        size_t ind = indent_of(line);
        if (len == 0 || line[ind] == '#')
            continue;
        if (ind == 0) {
            in_paths = strcmp(line, "paths:") == 0;
            cur = NULL;
            continue;
        }
        if (!in_paths)
            continue;
        if (ind == 2 && line[len - 1] == ':') {
            /* "/api/v1/x:" or "\"/api/v1/x\":" */
            const char *k = line + 2;
            size_t kl = len - 3;
            if (*k == '"' || *k == '\'') {
                k++;
                kl -= 2;
            }
            snprintf(path, sizeof path, "%.*s", (int)kl, k);
            cur = NULL;
            continue;
        }
        if (ind == 4 && line[len - 1] == ':') {
            char key[32];
            snprintf(key, sizeof key, "%.*s", (int)(len - 5), line + 4);
            if (is_method(key) && path[0] && out->n < MAX_OPS) {
                cur = &out->v[out->n++];
                for (size_t i = 0; key[i] && i < sizeof cur->method - 1; i++)
                    cur->method[i] = (char)(key[i] - 'a' + 'A');
                snprintf(cur->path, sizeof cur->path, "%s", path);
                cur->only_204 = true;
                saw_2xx_body = false;
            } else {
                cur = NULL;
            }
            continue;
        }
        if (!cur || ind < 6)
            continue;
        if (strstr(line, "example:") || strstr(line, "examples:"))
            cur->has_example = true;
        /* A success status other than 204 means the operation has a body
         * worth an example. */
        const char *q = line + ind;
        if (q[0] == '"' && q[1] == '2' && strncmp(q + 1, "204", 3) != 0)
            saw_2xx_body = true;
        if (saw_2xx_body)
            cur->only_204 = false;
    }
}

static char *read_doc(void)
{
    /* CMake compiles with absolute source paths: <repo>/tests/unit/test_openapi.c. */
    char path[1024];
    snprintf(path, sizeof path, "%s", __FILE__);
    char *cut = strstr(path, "tests/unit/test_openapi.c");
    if (!cut)
        return NULL;
    snprintf(cut, sizeof path - (size_t)(cut - path), "docs/openapi.yaml");
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, 4096, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = 0;
    return buf;
}

static const op *find(const ops *o, const char *method, const char *path)
{
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->v[i].method, method) == 0 && strcmp(o->v[i].path, path) == 0)
            return &o->v[i];
    return NULL;
}

static void test_scanner_reads_the_layout(void **state)
{
    (void)state;
    static const char sample[] =
        "openapi: 3.1.0\n"
        "paths:\n"
        "  /a:\n"
        "    parameters:\n"
        "      - name: x\n"
        "    get:\n"
        "      responses:\n"
        "        \"200\":\n"
        "          content:\n"
        "            application/json:\n"
        "              example: {}\n"
        "    delete:\n"
        "      responses:\n"
        "        \"204\":\n"
        "          description: gone\n"
        "  \"/b/{id}\":\n"
        "    post:\n"
        "      responses:\n"
        "        \"201\":\n"
        "          description: no example here\n"
        "components:\n"
        "  schemas:\n"
        "    get:\n"
        "      type: object\n";
    ops o;
    scan(sample, &o);
    assert_int_equal(o.n, 3);
    const op *g = find(&o, "GET", "/a"), *d = find(&o, "DELETE", "/a"),
             *p = find(&o, "POST", "/b/{id}");
    assert_non_null(g);
    assert_non_null(d);
    assert_non_null(p);
    assert_true(g->has_example);
    assert_false(g->only_204);
    assert_true(d->only_204);
    assert_false(p->has_example);
    assert_false(p->only_204);
    /* "parameters" at indentation 4 and keys under components are not operations. */
    assert_null(find(&o, "PARAMETERS", "/a"));
    assert_null(find(&o, "GET", "schemas"));
}

static void test_every_route_is_documented_and_every_documented_route_is_routed(void **state)
{
    (void)state;
    char *doc = read_doc();
    assert_non_null(doc);
    static ops o;
    scan(doc, &o);
    free(doc);

    const kz_route_info *routes;
    size_t n = kz_http_routes(&routes);
    assert_true(n > 30);

    int missing = 0, extra = 0;
    for (size_t i = 0; i < n; i++)
        if (!find(&o, routes[i].method, routes[i].path)) {
            fprintf(stderr, "routed but not in docs/openapi.yaml: %s %s\n", routes[i].method,
                    routes[i].path);
            missing++;
        }
    for (size_t i = 0; i < o.n; i++) {
        bool routed = false;
        for (size_t k = 0; k < n && !routed; k++)
            routed = strcmp(routes[k].method, o.v[i].method) == 0 &&
                     strcmp(routes[k].path, o.v[i].path) == 0;
        if (!routed) {
            fprintf(stderr, "in docs/openapi.yaml but not routed: %s %s\n", o.v[i].method,
                    o.v[i].path);
            extra++;
        }
    }
    assert_int_equal(missing, 0);
    assert_int_equal(extra, 0);
    assert_int_equal(o.n, n);
}

static void test_every_operation_with_a_body_has_an_example(void **state)
{
    (void)state;
    char *doc = read_doc();
    assert_non_null(doc);
    static ops o;
    scan(doc, &o);
    free(doc);
    assert_true(o.n > 30);
    int bad = 0;
    for (size_t i = 0; i < o.n; i++)
        if (!o.v[i].has_example && !o.v[i].only_204) {
            fprintf(stderr, "no example: %s %s\n", o.v[i].method, o.v[i].path);
            bad++;
        }
    assert_int_equal(bad, 0);
}

static void test_routes_are_unique(void **state)
{
    (void)state;
    const kz_route_info *routes;
    size_t n = kz_http_routes(&routes);
    for (size_t i = 0; i < n; i++)
        for (size_t k = i + 1; k < n; k++)
            if (strcmp(routes[i].method, routes[k].method) == 0 &&
                strcmp(routes[i].path, routes[k].path) == 0)
                fail_msg("route listed twice: %s %s", routes[i].method, routes[i].path);
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scanner_reads_the_layout),
        cmocka_unit_test(test_every_route_is_documented_and_every_documented_route_is_routed),
        cmocka_unit_test(test_every_operation_with_a_body_has_an_example),
        cmocka_unit_test(test_routes_are_unique),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
