/* misp_load.c — reading a MISP document whose attachments are most of its
 * bytes (very_long_event.json: 376 KB, of which 330 KB are the base64
 * "data" of two attachments).
 *
 * jansson reads a string one character at a time, through its stream and
 * UTF-8 layers, into a growing buffer, and then unescapes it into a second
 * copy; the importer copied it a third time. For attachments that was 85%
 * of an import. Here a quick pass over the text finds the "data" strings of
 * 4 KiB or more that are plain text (printable ASCII without an escape, as
 * base64 is, so the text between the quotes is exactly the string's value),
 * and jansson gets a copy of the document in which each of them is replaced
 * by a short marker ("\u0001kz:<n>"); the importer takes the value straight
 * from the original text (one copy). The rest is read by
 * kz_misp_json_load (misp_json.c: the quick reader when the text is plain,
 * else kz_json_load), so every check is still kz_json_load's.
 *
 * The marker cannot be confused with data: nothing is replaced when a
 * string of the document contains "\u0001" (outside strings it is not
 * valid JSON, nor is a raw control character anywhere), so with spans set,
 * a string starting with byte 0x01 is ours.
 * When anything is unusual (an unterminated string, a document jansson
 * refuses), the original text goes through kz_json_load as it is, so errors
 * and their line/column positions are the same as without this pass.
 */
#include "misp_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIG_STRING 4096

/* Is p printable ASCII (0x20-0x7e) without a backslash? Then the JSON
 * string is exactly its text. Eight bytes at a time: this runs over every
 * byte of every attachment. */
static bool plain_text(const char *p, size_t n)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    size_t i = 0;
    uint64_t bad = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        /* a byte below 0x20, or one of 0x7f and up (its high bit, or 0x7f + 1) */
        bad |= ((w - ones * 0x20) & ~w & high) | ((w + ones * 0x01) & high) | (w & high);
    }
    for (; i < n; i++)
        bad |= (unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e;
    return !bad && !memchr(p, '\\', n);
}

static int span_add(kz_misp_spans *s, size_t off, size_t len)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        kz_misp_span *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = (kz_misp_span){off, len};
    return 0;
}

static bool is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Finds the big plain "data" strings; false when the text is not plain
 * enough to be sure (an unterminated string, or "\u0001" in a string, which
 * a marker could be taken for): the caller then loads it unchanged. The
 * same pass checks the spelling of every number for the quick reader
 * (*numbers_plain, see misp_json.c): one pass over the text, not three. */
bool kz_misp_find_spans(const char *p, size_t n, kz_misp_spans *s, bool *numbers_plain)
{
    bool key_was_data = false, expect_data = false;
    *numbers_plain = false;
    bool numbers = true;
    size_t i = 0;
    while (i < n) {
        char c = p[i];
        if (c == '"') {
            size_t start = i + 1, j = start, end;
            for (;;) {
                const char *q = j < n ? memchr(p + j, '"', n - j) : NULL;
                if (!q)
                    return false;
                end = (size_t)(q - p);
                size_t bs = 0;
                while (end - bs > start && p[end - 1 - bs] == '\\')
                    bs++;
                if (bs % 2 == 0)
                    break;
                j = end + 1;
            }
            size_t len = end - start;
            if (expect_data && len >= BIG_STRING && plain_text(p + start, len)) {
                if (span_add(s, start, len) < 0)
                    return false;
            } else {
                const char *bsl = memchr(p + start, '\\', len);
                if (bsl && memmem(bsl, (size_t)(p + end - bsl), "\\u0001", 6))
                    return false;
            }
            expect_data = false;
            key_was_data = len == 4 && memcmp(p + start, "data", 4) == 0;
            i = end + 1;
            continue;
        }
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            i++;
            continue;
        }
        expect_data = c == ':' && key_was_data;
        key_was_data = false;
        if (is_letter(c)) {
            /* true, false, null: their 'e' is no exponent */
            while (i < n && is_letter(p[i]))
                i++;
            continue;
        }
        if (kz_misp_json_number_byte(c)) {
            size_t b = i;
            while (i < n && kz_misp_json_number_byte(p[i]))
                i++;
            numbers = numbers && kz_misp_json_number(p + b, i - b);
            continue;
        }
        i++;
    }
    *numbers_plain = numbers;
    return true;
}

/* The document with every span replaced by its marker. */
char *kz_misp_with_markers(const char *p, size_t n, const kz_misp_spans *s, size_t *out_n)
{
    size_t cap = n + 1;
    char *b = malloc(cap);
    if (!b)
        return NULL;
    size_t o = 0, from = 0;
    for (size_t k = 0; k < s->n; k++) {
        memcpy(b + o, p + from, s->v[k].off - from);
        o += s->v[k].off - from;
        /* A marker ("\u0001kz:" + at most 20 digits) is shorter than a span. */
        o += (size_t)snprintf(b + o, cap - o, "\\u0001kz:%zu", k);
        from = s->v[k].off + s->v[k].len;
    }
    memcpy(b + o, p + from, n - from);
    o += n - from;
    b[o] = 0;
    *out_n = o;
    return b;
}

int kz_misp_load(const char *p, size_t n, json_t **out, kz_misp_spans *spans, kz_err *err)
{
    memset(spans, 0, sizeof *spans);
    *out = NULL;
    if (n > KZ_MAX_JSON_BYTES)
        return kz_json_load(p, n, out, err);
    bool numbers_plain;
    if (!kz_misp_find_spans(p, n, spans, &numbers_plain) || spans->n == 0) {
        kz_misp_spans_free(spans);
        return kz_misp_json_read(p, n, numbers_plain, out, err);
    }
    /* The markers change strings only: the numbers are the same. */
    size_t mn;
    char *m = kz_misp_with_markers(p, n, spans, &mn);
    kz_err e = {0};
    int rc = m ? kz_misp_json_read(m, mn, numbers_plain, out, &e) : KZ_E_NOMEM;
    free(m);
    if (rc == 0) {
        spans->text = p;
        return 0;
    }
    /* Refused: say why in terms of the document as sent. */
    kz_misp_spans_free(spans);
    return kz_json_load(p, n, out, err);
}

void kz_misp_spans_free(kz_misp_spans *spans)
{
    free(spans->v);
    memset(spans, 0, sizeof *spans);
}

int kz_misp_span_value(const kz_misp_spans *spans, const char *marker, const char **p,
                       size_t *n)
{
    if (!marker || marker[0] != '\x01' || !spans || !spans->text ||
        strncmp(marker + 1, "kz:", 3) != 0)
        return -1;
    char *end;
    unsigned long long k = strtoull(marker + 4, &end, 10);
    if (end == marker + 4 || *end || k >= spans->n)
        return -1;
    *p = spans->text + spans->v[k].off;
    *n = spans->v[k].len;
    return 0;
}
