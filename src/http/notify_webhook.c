/* notify_webhook.c — the security-sensitive parts of webhooks, kept
 * together: secrets (random, shown once, stored only sealed under a key
 * derived from the node secret, never logged), signatures, and which URLs
 * the node agrees to POST to.
 *
 * SSRF: a webhook makes the node send requests on an org admin's behalf.
 * Only https is accepted (http too when private targets are allowed, on a
 * closed network), redirects are never followed, proxies
 * from the environment are ignored, and unless the operator allows it
 * (`kizuna serve --webhook-allow-private`) no request goes to a loopback,
 * private, link-local or otherwise non-public address: checked here on the
 * URL at creation, and again on the address actually connected to
 * (webhook_dispatch.c), so a name that resolves to 127.0.0.1 later (DNS
 * rebinding) is refused too.
 */
#include "notify_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define PREFIX "kzwh_"

static void seal_key(const uint8_t node_secret[32], uint8_t key[32])
{
    crypto_kdf_derive_from_key(key, 32, 2, "kzwebhok", node_secret);
}

int kz_webhook_secret_new(const uint8_t node_secret[32], kz_arena *a,
                          char text[KZ_WEBHOOK_SECRET_LEN + 1], uint8_t **box, size_t *box_len)
{
    uint8_t raw[32];
    randombytes_buf(raw, sizeof raw);
    memcpy(text, PREFIX, 5);
    sodium_bin2base64(text + 5, KZ_WEBHOOK_SECRET_LEN + 1 - 5, raw, sizeof raw, B64);
    sodium_memzero(raw, sizeof raw);
    size_t mlen = strlen(text);
    size_t n = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + mlen;
    uint8_t *b = kz_arena_alloc(a, n);
    if (!b)
        return KZ_E_NOMEM;
    uint8_t key[32];
    seal_key(node_secret, key);
    randombytes_buf(b, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(b + crypto_secretbox_NONCEBYTES, (const uint8_t *)text, mlen, b, key);
    sodium_memzero(key, sizeof key);
    *box = b;
    *box_len = n;
    return 0;
}

int kz_webhook_secret_open(const uint8_t node_secret[32], const uint8_t *box, size_t box_len,
                           char text[KZ_WEBHOOK_SECRET_LEN + 1], kz_err *err)
{
    size_t over = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
    if (!box || box_len <= over || box_len - over > KZ_WEBHOOK_SECRET_LEN)
        return kz_fail(err, KZ_E_INTERNAL, NULL, "a webhook secret is damaged");
    uint8_t key[32];
    seal_key(node_secret, key);
    int rc = crypto_secretbox_open_easy((uint8_t *)text, box + crypto_secretbox_NONCEBYTES,
                                        box_len - crypto_secretbox_NONCEBYTES, box, key);
    sodium_memzero(key, sizeof key);
    if (rc != 0)
        return kz_fail(err, KZ_E_INTERNAL, NULL,
                       "a webhook secret does not open with this node's secret");
    text[box_len - over] = 0;
    return 0;
}

void kz_webhook_sign(const char *secret, const char *timestamp, const char *body, size_t len,
                     char out[7 + 64 + 1])
{
    crypto_auth_hmacsha256_state h;
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&h, (const uint8_t *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&h, (const uint8_t *)timestamp, strlen(timestamp));
    crypto_auth_hmacsha256_update(&h, (const uint8_t *)".", 1);
    crypto_auth_hmacsha256_update(&h, (const uint8_t *)body, len);
    crypto_auth_hmacsha256_final(&h, mac);
    memcpy(out, "sha256=", 7);
    kz_hex_encode(mac, sizeof mac, out + 7);
}

static bool v4_public(const uint8_t a[4])
{
    uint32_t x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
    static const struct { uint32_t net, mask; } blocked[] = {
        {0x00000000, 0xff000000}, /* 0/8 "this network" */
        {0x0a000000, 0xff000000}, /* 10/8 */
        {0x64400000, 0xffc00000}, /* 100.64/10 shared */
        {0x7f000000, 0xff000000}, /* 127/8 loopback */
        {0xa9fe0000, 0xffff0000}, /* 169.254/16 link-local (cloud metadata) */
        {0xac100000, 0xfff00000}, /* 172.16/12 */
        {0xc0000000, 0xffffff00}, /* 192.0.0/24 */
        {0xc0000200, 0xffffff00}, /* 192.0.2/24 documentation */
        {0xc0a80000, 0xffff0000}, /* 192.168/16 */
        {0xc6120000, 0xfffe0000}, /* 198.18/15 benchmarking */
        {0xc6336400, 0xffffff00}, /* 198.51.100/24 documentation */
        {0xcb007100, 0xffffff00}, /* 203.0.113/24 documentation */
        {0xe0000000, 0xe0000000}, /* 224/3 multicast, reserved, broadcast */
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(blocked); i++)
        if ((x & blocked[i].mask) == blocked[i].net)
            return false;
    return true;
}

static bool v6_public(const uint8_t a[16])
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0)
        return v4_public(a + 12);
    bool zero_prefix = true;
    for (int i = 0; i < 15; i++)
        zero_prefix = zero_prefix && a[i] == 0;
    if (zero_prefix) /* :: and ::1 */
        return false;
    if ((a[0] & 0xfe) == 0xfc) /* fc00::/7 unique local */
        return false;
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) /* fe80::/10 link-local */
        return false;
    if (a[0] == 0xff) /* multicast */
        return false;
    if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8) /* documentation */
        return false;
    /* Tunnels that carry an IPv4 address inside: 6to4 (2002::/16) reaches
     * the IPv4 address it embeds, so that address must be public; Teredo
     * (2001::/32) and local-use NAT64 (64:ff9b:1::/48) are never a
     * receiver's address. */
    if (a[0] == 0x20 && a[1] == 0x02)
        return v4_public(a + 2);
    if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0)
        return false;
    if (a[0] == 0 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b && a[4] == 0 && a[5] == 1)
        return false;
    return (a[0] & 0xe0) == 0x20; /* 2000::/3, the global unicast space */
}

/* noinline: callers hand a struct sockaddr that is really an _in or _in6
 * (curl's opensocket address is larger than its declared type); inlined
 * into a caller holding an _in, GCC would flag the _in6 branch. */
__attribute__((noinline)) bool kz_webhook_addr_public(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        struct sockaddr_in s4;
        memcpy(&s4, sa, sizeof s4);
        return v4_public((const uint8_t *)&s4.sin_addr);
    }
    if (sa->sa_family == AF_INET6) {
        struct sockaddr_in6 s6;
        memcpy(&s6, sa, sizeof s6);
        return v6_public(s6.sin6_addr.s6_addr);
    }
    return false;
}

static int bad_url(kz_err *err, const char *url, const char *why)
{
    char q[80];
    snprintf(q, sizeof q, "%.64s%s", url, strlen(url) > 64 ? "..." : "");
    return kz_fail(err, KZ_E_VALUE, "url", "url: '%s' %s", q, why);
}

int kz_webhook_url_check(const char *url, bool allow_private, kz_err *err)
{
    size_t n = strlen(url);
    if (n == 0 || n > 2048)
        return kz_fail(err, KZ_E_VALUE, "url", "url: must be 1 to 2048 bytes");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
            return kz_fail(err, KZ_E_VALUE, "url",
                           "url: must be ASCII without spaces or control characters (IDN hosts "
                           "in punycode, other characters %%-encoded)");
    CURLU *u = curl_url();
    if (!u)
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    char *scheme = NULL, *host = NULL, *user = NULL, *pass = NULL;
    int rc = 0;
    if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
        rc = bad_url(err, url, "is not an absolute URL (https://receiver.example/hook)");
    else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
             (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0))
        rc = bad_url(err, url, "is not an http or https URL");
    else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host)
        rc = bad_url(err, url, "has no host");
    else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
             curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK)
        rc = bad_url(err, url,
                     "carries credentials; they would be stored in clear: verify the "
                     "X-Kizuna-Signature header instead");
    if (rc == 0 && !allow_private) {
        char h[256];
        snprintf(h, sizeof h, "%s", host);
        size_t hl = strlen(h);
        if (hl && h[0] == '[' && h[hl - 1] == ']') {
            memmove(h, h + 1, hl - 2);
            h[hl - 2] = 0;
        }
        for (char *p = h; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        while (hl > 1 && h[hl - 1] == '.') /* "localhost." is localhost too */
            h[--hl] = 0;
        struct sockaddr_in s4 = {.sin_family = AF_INET};
        struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
        hl = strlen(h);
        bool local_name = strcmp(h, "localhost") == 0 ||
                          (hl > 10 && strcmp(h + hl - 10, ".localhost") == 0);
        if (local_name ||
            (inet_pton(AF_INET, h, &s4.sin_addr) == 1 &&
             !kz_webhook_addr_public((struct sockaddr *)&s4)) ||
            (inet_pton(AF_INET6, h, &s6.sin6_addr) == 1 &&
             !kz_webhook_addr_public((struct sockaddr *)&s6)))
            rc = bad_url(err, url,
                         "points at a loopback, private or reserved address; the node only "
                         "calls public addresses unless started with --webhook-allow-private");
    }
    /* Bodies carry what the org may see, AMBER included: across the public
     * Internet only over TLS. */
    if (rc == 0 && !allow_private && strcmp(scheme, "http") == 0)
        rc = bad_url(err, url,
                     "would send the organisation's data in clear: use https (plain http only "
                     "on a closed network, with --webhook-allow-private)");
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_free(pass);
    curl_url_cleanup(u);
    return rc;
}
