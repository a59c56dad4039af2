/* logfmt_schema.c — what a file is (format detection from its first lines)
 * and the header state a task starts from. `auto` looks at the first
 * non-empty line: Zeek's "#separator" / "#fields" header, a JSON object
 * (Suricata's have "event_type", Zeek's "_path", "uid" or "id.orig_h"),
 * a CSV header (two or more names, and a second line with as many
 * columns); anything else is read as text.
 */
#include "sweep_int.h"

#include <stdlib.h>
#include <string.h>

void kz_sw_schema_free(kz_sw_schema *s)
{
    if (!s)
        return;
    for (size_t i = 0; s->names && i < s->nfields; i++)
        free(s->names[i]);
    free(s->names);
    free(s->name_len);
    free(s->cols);
    free(s->empty);
    free(s->unset);
    free(s->path);
    free(s->fields_raw);
    free(s->types_raw);
    free(s);
}

int kz_sw_plain_schema(kz_sweep_format fmt, kz_sw_schema **out)
{
    kz_sw_schema *s = calloc(1, sizeof *s);
    if (!s)
        return KZ_E_NOMEM;
    s->fmt = fmt;
    s->sig = (uint64_t)fmt;
    s->resp_h = s->resp_p = s->host = -1;
    *out = s;
    return KZ_OK;
}

int kz_sw_initial_schema(kz_sweep_format fmt, const char *p, size_t n, kz_sw_schema **out)
{
    switch (fmt) {
    case KZ_SWEEP_ZEEK:
        return kz_sw_zeek_initial(p, n, out);
    case KZ_SWEEP_CSV: {
        const char *nl = memchr(p, '\n', n);
        return kz_sw_csv_schema(p, nl ? (size_t)(nl - p) : n, out);
    }
    default:
        return kz_sw_plain_schema(fmt, out);
    }
}

static bool has(const char *p, size_t n, const char *lit)
{
    return memmem(p, n, lit, strlen(lit)) != NULL;
}

/* Whether a CSV header cell reads like a column name, not a value. */
static bool name_like(const char *s, size_t n)
{
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.' || c == '/' || c == '@' || c == ':' || c == '[')
            return false;
    }
    return true;
}

static long csv_count(const char *p, size_t n, bool names)
{
    if (n && p[n - 1] == '\r')
        n--;
    if (n == 0 || !memchr(p, ',', n))
        return -1;
    char *scratch = malloc(n + 1);
    const char **f = malloc(KZ_SW_MAX_FIELDS * sizeof *f);
    size_t *fl = malloc(KZ_SW_MAX_FIELDS * sizeof *fl);
    long k = -1;
    if (scratch && f && fl) {
        k = kz_sw_csv_split(p, n, scratch, f, fl, KZ_SW_MAX_FIELDS);
        for (long i = 0; names && k > 0 && i < k && i < KZ_SW_MAX_FIELDS; i++)
            if (!name_like(f[i], fl[i]))
                k = -1;
    }
    free(scratch);
    free(f);
    free(fl);
    return k;
}

kz_sweep_format kz_sw_detect(const char *p, size_t n)
{
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
        p += 3;
        n -= 3;
    }
    const char *end = p + n;
    while (p < end && (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t'))
        p++;
    if (p == end)
        return KZ_SWEEP_TEXT;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t ln = (size_t)((nl ? nl : end) - p);
    if ((ln >= 10 && memcmp(p, "#separator", 10) == 0) || (ln >= 7 && memcmp(p, "#fields", 7) == 0))
        return KZ_SWEEP_ZEEK;
    if (*p == '{') {
        if (has(p, ln, "\"event_type\""))
            return KZ_SWEEP_EVE;
        if (has(p, ln, "\"_path\"") || has(p, ln, "\"uid\"") || has(p, ln, "\"id.orig_h\""))
            return KZ_SWEEP_ZEEK_JSON;
        return KZ_SWEEP_TEXT;
    }
    long k = csv_count(p, ln, true);
    if (k >= 2) {
        if (!nl || nl + 1 >= end)
            return KZ_SWEEP_CSV;
        const char *p2 = nl + 1;
        const char *nl2 = memchr(p2, '\n', (size_t)(end - p2));
        if (!nl2 && end - p2 > 65536) /* a second line cut short by the sample */
            return KZ_SWEEP_CSV;
        long k2 = csv_count(p2, (size_t)((nl2 ? nl2 : end) - p2), false);
        if (k2 == k)
            return KZ_SWEEP_CSV;
    }
    return KZ_SWEEP_TEXT;
}
