/* logfmt_fields.c — which fields of which log carry something worth looking
 * up. Zeek logs are chosen by their #path (conn, dns, http, ssl, files,
 * x509, smtp, notice), because a name means different things in different
 * logs ("subject" is a certificate's in ssl.log and a mail's in smtp.log);
 * a log of another path falls back to names that mean one thing everywhere,
 * and to the columns its #types line calls addresses. Suricata EVE fields
 * are named by their dotted path.
 */
#include "sweep_int.h"

#include <string.h>

typedef struct fdef {
    const char *name;
    kz_swf_kind kind;
    bool vec;
} fdef;

#define ADDRS {"id.orig_h", KZ_SWF_IP, false}, {"id.resp_h", KZ_SWF_IP, false}

static const fdef conn_f[] = {ADDRS, {0}};
static const fdef dns_f[] = {ADDRS, {"query", KZ_SWF_HOST, false},
                             {"answers", KZ_SWF_HOST, true}, {0}};
static const fdef http_f[] = {ADDRS,
                              {"host", KZ_SWF_HOST, false},
                              {"uri", KZ_SWF_URI, false},
                              {"referrer", KZ_SWF_URL, false},
                              {"user_agent", KZ_SWF_UA, false},
                              {"orig_filenames", KZ_SWF_FILENAME, true},
                              {"resp_filenames", KZ_SWF_FILENAME, true},
                              {0}};
static const fdef ssl_f[] = {ADDRS,
                             {"server_name", KZ_SWF_HOST, false},
                             {"subject", KZ_SWF_DN, false},
                             {"cert_chain_fps", KZ_SWF_HASH, true},
                             {"client_cert_chain_fps", KZ_SWF_HASH, true},
                             {0}};
static const fdef files_f[] = {{"tx_hosts", KZ_SWF_IP, true}, {"rx_hosts", KZ_SWF_IP, true},
                               ADDRS,
                               {"filename", KZ_SWF_FILENAME, false},
                               {"md5", KZ_SWF_HASH, false},
                               {"sha1", KZ_SWF_HASH, false},
                               {"sha256", KZ_SWF_HASH, false},
                               {0}};
static const fdef x509_f[] = {{"fingerprint", KZ_SWF_HASH, false},
                              {"certificate.subject", KZ_SWF_DN, false},
                              {"san.dns", KZ_SWF_HOST, true},
                              {"san.uri", KZ_SWF_URL, true},
                              {"san.email", KZ_SWF_EMAIL, true},
                              {"san.ip", KZ_SWF_IP, true},
                              {0}};
static const fdef smtp_f[] = {ADDRS,
                              {"helo", KZ_SWF_HOST, false},
                              {"mailfrom", KZ_SWF_EMAIL, false},
                              {"rcptto", KZ_SWF_EMAIL, true},
                              {"from", KZ_SWF_EMAIL, false},
                              {"to", KZ_SWF_EMAIL, true},
                              {"cc", KZ_SWF_EMAIL, true},
                              {"reply_to", KZ_SWF_EMAIL, false},
                              {"x_originating_ip", KZ_SWF_IP, false},
                              {"path", KZ_SWF_IP, true},
                              {"user_agent", KZ_SWF_UA, false},
                              {0}};
static const fdef notice_f[] = {ADDRS, {"src", KZ_SWF_IP, false}, {"dst", KZ_SWF_IP, false}, {0}};

/* Names that mean the same in any Zeek log (for paths not listed above). */
static const fdef any_f[] = {ADDRS,
                             {"query", KZ_SWF_HOST, false},
                             {"server_name", KZ_SWF_HOST, false},
                             {"host", KZ_SWF_HOST, false},
                             {"uri", KZ_SWF_URI, false},
                             {"referrer", KZ_SWF_URL, false},
                             {"md5", KZ_SWF_HASH, false},
                             {"sha1", KZ_SWF_HASH, false},
                             {"sha256", KZ_SWF_HASH, false},
                             {"mailfrom", KZ_SWF_EMAIL, false},
                             {"rcptto", KZ_SWF_EMAIL, true},
                             {"src", KZ_SWF_IP, false},
                             {"dst", KZ_SWF_IP, false},
                             {0}};

static const struct {
    const char *path;
    const fdef *f;
} paths[] = {
    {"conn", conn_f},   {"dns", dns_f},   {"http", http_f}, {"ssl", ssl_f},
    {"files", files_f}, {"x509", x509_f}, {"smtp", smtp_f}, {"notice", notice_f},
};

static const fdef *table_of(const char *path)
{
    if (path)
        for (size_t i = 0; i < KZ_ARRAY_LEN(paths); i++)
            if (strcmp(paths[i].path, path) == 0)
                return paths[i].f;
    return NULL;
}

static const fdef *find(const fdef *t, const char *name, size_t n)
{
    for (; t->name; t++)
        if (strlen(t->name) == n && memcmp(t->name, name, n) == 0)
            return t;
    return NULL;
}

static bool type_is(const char *type, size_t tn, const char *pfx)
{
    size_t k = strlen(pfx);
    return type && tn >= k && memcmp(type, pfx, k) == 0;
}

kz_swf_kind kz_sw_zeek_kind(const char *path, const char *name, size_t n, const char *type,
                            size_t tn, bool *vec)
{
    bool tvec = type_is(type, tn, "vector[") || type_is(type, tn, "set[");
    const fdef *t = table_of(path);
    const fdef *d = find(t ? t : any_f, name, n);
    if (d) {
        *vec = type ? tvec : d->vec;
        return d->kind;
    }
    if (t)
        return KZ_SWF_NONE;
    /* unknown log: its address columns */
    if (type_is(type, tn, "addr") || type_is(type, tn, "vector[addr]") ||
        type_is(type, tn, "set[addr]")) {
        *vec = tvec;
        return KZ_SWF_IP;
    }
    return KZ_SWF_NONE;
}

/* Suricata EVE, by dotted path without array indices. */
static const fdef eve_f[] = {
    {"src_ip", KZ_SWF_IP, false},
    {"dest_ip", KZ_SWF_IP, false},
    {"dns.rrname", KZ_SWF_HOST, false},
    {"dns.rdata", KZ_SWF_HOST, false},
    {"dns.answers.rrname", KZ_SWF_HOST, false},
    {"dns.answers.rdata", KZ_SWF_HOST, false},
    {"dns.queries.rrname", KZ_SWF_HOST, false},
    {"dns.grouped.A", KZ_SWF_IP, false},
    {"dns.grouped.AAAA", KZ_SWF_IP, false},
    {"dns.grouped.CNAME", KZ_SWF_HOST, false},
    {"http.hostname", KZ_SWF_HOST, false},
    {"http.url", KZ_SWF_URI, false},
    {"http.http_refer", KZ_SWF_URL, false},
    {"http.http_user_agent", KZ_SWF_UA, false},
    {"tls.sni", KZ_SWF_HOST, false},
    {"tls.subject", KZ_SWF_DN, false},
    {"fileinfo.filename", KZ_SWF_FILENAME, false},
    {"fileinfo.md5", KZ_SWF_HASH, false},
    {"fileinfo.sha1", KZ_SWF_HASH, false},
    {"fileinfo.sha256", KZ_SWF_HASH, false},
    {"smtp.helo", KZ_SWF_HOST, false},
    {"smtp.mail_from", KZ_SWF_EMAIL, false},
    {"smtp.rcpt_to", KZ_SWF_EMAIL, false},
    {"email.from", KZ_SWF_EMAIL, false},
    {"email.to", KZ_SWF_EMAIL, false},
    {"email.cc", KZ_SWF_EMAIL, false},
    {"email.reply_to", KZ_SWF_EMAIL, false},
    {"email.attachment", KZ_SWF_FILENAME, false},
    {0},
};

kz_swf_kind kz_sw_json_kind(kz_sweep_format fmt, const char *zeek_path, const char *key, size_t n)
{
    const fdef *d;
    if (fmt == KZ_SWEEP_EVE) {
        d = find(eve_f, key, n);
    } else {
        const fdef *t = table_of(zeek_path);
        d = find(t ? t : any_f, key, n);
    }
    return d ? d->kind : KZ_SWF_NONE;
}
