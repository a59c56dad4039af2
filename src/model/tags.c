/* tags.c — tags as users and MISP write them. A tag is free text or a machine
 * tag (namespace:predicate or namespace:predicate="value"); the TLP and PAP
 * machine tags are recognised here so that the rest of the node sees them as
 * the first-class tlp / pap fields rather than as strings to re-parse. */
#include "model.h"

#include <string.h>
#include <strings.h>

#define TAG_MAX 255
/* Scan limit for hostile input: a tag this long is refused without reading on. */
#define TAG_SCAN (TAG_MAX + 4096)

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* A prefix of s (at most 40 bytes) that ends on a character boundary, for
 * quoting a long tag in a message without splitting a UTF-8 sequence. */
static int quote_len(const char *s)
{
    size_t n = strnlen(s, 40);
    if (n == 40)
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    return (int)n;
}

/* Finds the trimmed span of tag; false when the input is longer than we read. */
static bool trimmed_span(const char *tag, const char **start, size_t *len)
{
    size_t n = strnlen(tag, TAG_SCAN + 1);
    if (n > TAG_SCAN)
        return false;
    const char *b = tag, *e = tag + n;
    while (b < e && is_space(*b))
        b++;
    while (e > b && is_space(e[-1]))
        e--;
    *start = b;
    *len = (size_t)(e - b);
    return true;
}

int kz_tag_normalize(const char *tag, char out[TAG_MAX + 1], kz_err *err)
{
    if (!tag)
        return kz_fail(err, KZ_E_VALUE, "tags", "tag is missing");
    const char *s;
    size_t n;
    if (!trimmed_span(tag, &s, &n))
        return kz_fail(err, KZ_E_VALUE, "tags", "tag is longer than %d bytes", TAG_MAX);
    if (n == 0)
        return kz_fail(err, KZ_E_VALUE, "tags", "tag is empty");
    if (!kz_utf8_valid(s, n))
        return kz_fail(err, KZ_E_VALUE, "tags", "tag is not valid UTF-8");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        /* C0 controls and DEL, and C1 controls (U+0080..U+009F, encoded C2 80..C2 9F). */
        bool ctl =
            c < 0x20 || c == 0x7f ||
            (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] <= 0x9f);
        if (ctl)
            return kz_fail(err, KZ_E_VALUE, "tags", "tag contains a control character at byte %zu",
                           (size_t)(s - tag) + i);
    }
    if (n > TAG_MAX)
        return kz_fail(err, KZ_E_VALUE, "tags", "tag '%.*s...' is longer than %d bytes (%zu)", quote_len(s),
                       s, TAG_MAX, n);
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

int kz_tag_check(const char *tag, kz_err *err)
{
    char tmp[TAG_MAX + 1];
    return kz_tag_normalize(tag, tmp, err);
}

static bool ns_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

/* Fills parts when t (already normalised) has the machine-tag shape; false
 * leaves it a free tag, which is just as valid. */
static bool split_machine(const char *t, kz_tag_parts *p)
{
    const char *colon = strchr(t, ':');
    if (!colon)
        return false;
    size_t ns_len = (size_t)(colon - t);
    if (ns_len == 0 || ns_len >= sizeof p->ns)
        return false;
    for (size_t i = 0; i < ns_len; i++)
        if (!ns_char(t[i]))
            return false;

    const char *pred = colon + 1, *eq = strchr(pred, '=');
    size_t pred_len = eq ? (size_t)(eq - pred) : strlen(pred);
    if (pred_len == 0 || pred_len >= sizeof p->predicate)
        return false;
    for (size_t i = 0; i < pred_len; i++)
        if (is_space(pred[i]) || pred[i] == '"')
            return false;

    const char *val = "";
    size_t val_len = 0;
    if (eq) {
        val = eq + 1;
        val_len = strlen(val);
        if (val_len > 0 && val[0] == '"') {
            /* quoted: the quotes must close at the end and enclose something */
            if (val_len < 3 || val[val_len - 1] != '"')
                return false;
            val++;
            val_len -= 2;
        }
        if (val_len == 0)
            return false;
    }
    memcpy(p->ns, t, ns_len);
    p->ns[ns_len] = '\0';
    memcpy(p->predicate, pred, pred_len);
    p->predicate[pred_len] = '\0';
    memcpy(p->value, val, val_len); /* fits: the whole tag is at most 255 bytes */
    p->value[val_len] = '\0';
    p->machine = true;
    return true;
}

int kz_tag_parse(const char *tag, kz_tag_parts *out, kz_err *err)
{
    char t[TAG_MAX + 1];
    memset(out, 0, sizeof *out);
    int rc = kz_tag_normalize(tag, t, err);
    if (rc)
        return rc;
    if (!split_machine(t, out))
        memset(out, 0, sizeof *out);
    return 0;
}

/* Matches "<ns>:<word>" case-insensitively, the word optionally in double
 * quotes, and returns the index of the word in names[] or -1. */
static int match_level(const char *tag, const char *ns, const char *const *names, size_t n)
{
    char t[TAG_MAX + 1];
    if (!tag || kz_tag_normalize(tag, t, NULL))
        return -1;
    size_t ns_len = strlen(ns);
    if (strncasecmp(t, ns, ns_len) != 0 || t[ns_len] != ':')
        return -1;
    char *w = t + ns_len + 1;
    size_t wl = strlen(w);
    if (wl >= 2 && w[0] == '"' && w[wl - 1] == '"') {
        w[wl - 1] = '\0';
        w++;
    }
    for (size_t i = 0; i < n; i++)
        if (kz_streq_nocase(w, names[i]))
            return (int)i;
    return -1;
}

/* Index = the level; "white" is TLP 1.0's name for clear. */
static const char *const tlp_words[] = {"clear", "green", "amber", "amber+strict", "red", "white"};
static const char *const pap_words[] = {"clear", "green", "amber", "red", "white"};

int kz_tag_as_tlp(const char *tag, kz_tlp *tlp)
{
    int i = match_level(tag, "tlp", tlp_words, KZ_ARRAY_LEN(tlp_words));
    if (i < 0)
        return -1;
    *tlp = i == 5 ? KZ_TLP_CLEAR : (kz_tlp)i;
    return 0;
}

int kz_tag_as_pap(const char *tag, kz_pap *pap)
{
    int i = match_level(tag, "pap", pap_words, KZ_ARRAY_LEN(pap_words));
    if (i < 0)
        return -1;
    *pap = i == 4 ? KZ_PAP_CLEAR : (kz_pap)i;
    return 0;
}

const char *kz_tlp_tag(kz_tlp t)
{
    static const char *const tags[] = {"tlp:clear", "tlp:green", "tlp:amber", "tlp:amber+strict", "tlp:red"};
    return (int)t >= 0 && (size_t)t < KZ_ARRAY_LEN(tags) ? tags[t] : NULL;
}

const char *kz_pap_tag(kz_pap p)
{
    static const char *const tags[] = {"PAP:CLEAR", "PAP:GREEN", "PAP:AMBER", "PAP:RED"};
    return (int)p >= 0 && (size_t)p < KZ_ARRAY_LEN(tags) ? tags[p] : NULL;
}
