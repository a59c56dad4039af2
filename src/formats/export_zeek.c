/* export_zeek.c — the Zeek Intel framework's input format: a "#fields"
 * header, then tab-separated lines "indicator, indicator_type, meta.source,
 * meta.desc, meta.url". Zeek reads it with Intel::read_files.
 *
 * Types are Zeek's: Intel::ADDR (IPv4 / IPv6), Intel::SUBNET (CIDR),
 * Intel::DOMAIN (domains and host names), Intel::URL (without the scheme,
 * as Zeek sees host + path), Intel::EMAIL, Intel::FILE_HASH, Intel::
 * FILE_NAME, Intel::SOFTWARE (user agents) and Intel::CERT_HASH (MISP
 * x509-fingerprint-sha1). Composite values give one line per part Zeek can
 * match (filename|hash: name and hash; domain|ip: domain and address);
 * ip|port is left out, since Zeek's intel cannot hold the port and the bare
 * address would alert on every port. Tabs and line breaks inside a field
 * become spaces, an empty field is "-".
 */
#include "export_int.h"

#include <string.h>

static int field(kz_buf *out, const char *s, size_t n)
{
    if (!s || n == 0)
        return kz_buf_putc(out, '-');
    int rc = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        char ch = s[i];
        rc = kz_buf_putc(out, ch == '\t' || ch == '\n' || ch == '\r' ? ' ' : ch);
    }
    return rc;
}

static int line(kz_export_writer *w, const kz_export_row *r, const char *v, size_t n,
                const char *type, kz_buf *out)
{
    kz_buf *b = &w->tmp2;
    kz_buf_reset(b);
    int rc = field(b, v, n);
    if (!rc)
        rc = kz_buf_printf(b, "\tIntel::%s\t", type);
    if (!rc) {
        const char *org = r->org_name;
        kz_buf_reset(&w->tmp);
        rc = kz_buf_puts(&w->tmp, "kizuna");
        if (!rc && org && *org)
            rc = kz_buf_printf(&w->tmp, ": %s", org);
        if (!rc)
            rc = field(b, w->tmp.p, w->tmp.len);
    }
    if (!rc)
        rc = kz_buf_putc(b, '\t');
    const char *title = r->ev && r->ev->title ? r->ev->title : "";
    if (!rc)
        rc = field(b, title, strlen(title));
    if (!rc)
        rc = kz_buf_putc(b, '\t');
    if (!rc)
        rc = field(b, r->event_url, r->event_url ? strlen(r->event_url) : 0);
    if (rc)
        return rc;
    int added = kz_strset_add(&w->seen, b->p, b->len);
    if (added <= 0)
        return added;
    rc = kz_buf_append(out, b->p, b->len);
    return rc ? rc : kz_buf_putc(out, '\n');
}

int kz_export_zeek_row(kz_export_writer *w, const kz_export_row *r, kz_buf *out)
{
    const char *v = r->ind->value ? r->ind->value : "";
    size_t n = strlen(v);
    const char *bar = strrchr(v, '|');
    switch (r->ind->type) {
    case KZ_IOC_IPV4: case KZ_IOC_IPV6: return line(w, r, v, n, "ADDR", out);
    case KZ_IOC_CIDR: return line(w, r, v, n, "SUBNET", out);
    case KZ_IOC_DOMAIN: case KZ_IOC_HOSTNAME: return line(w, r, v, n, "DOMAIN", out);
    case KZ_IOC_URL: {
        const char *p = strstr(v, "://");
        p = p ? p + 3 : v;
        return line(w, r, p, strlen(p), "URL", out);
    }
    case KZ_IOC_EMAIL: return line(w, r, v, n, "EMAIL", out);
    case KZ_IOC_MD5: case KZ_IOC_SHA1: case KZ_IOC_SHA256: case KZ_IOC_SHA512:
        return line(w, r, v, n, "FILE_HASH", out);
    case KZ_IOC_FILENAME: return line(w, r, v, n, "FILE_NAME", out);
    case KZ_IOC_USER_AGENT: return line(w, r, v, n, "SOFTWARE", out);
    case KZ_IOC_FILENAME_HASH: {
        if (!bar)
            return 0;
        int rc = line(w, r, v, (size_t)(bar - v), "FILE_NAME", out);
        return rc ? rc : line(w, r, bar + 1, strlen(bar + 1), "FILE_HASH", out);
    }
    case KZ_IOC_DOMAIN_IP: {
        if (!bar)
            return 0;
        int rc = line(w, r, v, (size_t)(bar - v), "DOMAIN", out);
        return rc ? rc : line(w, r, bar + 1, strlen(bar + 1), "ADDR", out);
    }
    case KZ_IOC_TEXT:
        if (r->ma && r->ma->type && strcmp(r->ma->type, "x509-fingerprint-sha1") == 0)
            return line(w, r, v, n, "CERT_HASH", out);
        return 0;
    default:
        return 0;
    }
}
