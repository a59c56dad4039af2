/* page.c — GET /, the one HTML page: which node this is, which version it
 * runs, and where the API and its reference live. It is public, so it shows
 * nothing a stranger should not know; the node name is HTML-escaped because
 * an admin typed it.
 */
#include "http_int.h"

#include <stdlib.h>
#include <string.h>

static void put_escaped(kz_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': kz_buf_puts(b, "&lt;"); break;
        case '>': kz_buf_puts(b, "&gt;"); break;
        case '&': kz_buf_puts(b, "&amp;"); break;
        case '"': kz_buf_puts(b, "&quot;"); break;
        case '\'': kz_buf_puts(b, "&#39;"); break;
        default: kz_buf_putc(b, *s);
        }
    }
}

char *kz_page_render(const char *node_name)
{
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_puts(&b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<title>kizuna: ");
    put_escaped(&b, node_name);
    kz_buf_puts(&b, "</title></head>\n<body>\n<h1>");
    put_escaped(&b, node_name);
    kz_buf_puts(&b, "</h1>\n<p>kizuna " KZ_VERSION
                    ", a federated threat-intelligence exchange node.</p>\n"
                    "<p>The REST API is served under <code>/api/v1</code> "
                    "(try <a href=\"/api/v1/health\">/api/v1/health</a>); every other route "
                    "needs an API key: <code>Authorization: Bearer kz_&hellip;</code>.</p>\n"
                    "<p>Its reference is <code>docs/openapi.yaml</code> (OpenAPI 3.1) in the "
                    "kizuna source tree, explained in <code>docs/api.md</code>.</p>\n"
                    "</body></html>\n");
    return kz_buf_steal(&b);
}

int kz_page_home(kz_req *r)
{
    char *html = kz_page_render(r->srv->node_name);
    if (!html)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    kz_http_send_raw(r, MHD_HTTP_OK, "text/html; charset=utf-8", html, strlen(html));
    return 0;
}
