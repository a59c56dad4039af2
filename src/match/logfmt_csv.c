/* logfmt_csv.c — CSV with a header line: exports from SIEMs, firewalls and
 * proxies whose columns we cannot know in advance, so every column's value
 * is looked up by its guessed type and reported under the column's name.
 * Quoting follows RFC 4180 within one line; a record spread over several
 * lines is reported as a line that does not match its header.
 */
#include "sweep_int.h"

#include <stdlib.h>
#include <string.h>

long kz_sw_csv_split(const char *p, size_t n, char *scratch, const char **f, size_t *fl,
                     size_t max)
{
    size_t k = 0, i = 0, o = 0;
    for (;;) {
        const char *start;
        size_t len;
        if (i < n && p[i] == '"') {
            start = scratch + o;
            i++;
            for (;;) {
                if (i >= n)
                    return -1;
                if (p[i] == '"') {
                    if (i + 1 < n && p[i + 1] == '"') {
                        scratch[o++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                scratch[o++] = p[i++];
            }
            len = (size_t)(scratch + o - start);
            while (i < n && p[i] != ',') /* text after the closing quote: kept out */
                i++;
        } else {
            start = p + i;
            const char *c = memchr(p + i, ',', n - i);
            size_t e = c ? (size_t)(c - p) : n;
            len = e - i;
            i = e;
        }
        if (k < max) {
            f[k] = start;
            fl[k] = len;
        }
        k++;
        if (i >= n)
            break;
        i++; /* the comma */
        if (i == n) { /* a trailing comma: one more, empty field */
            if (k < max) {
                f[k] = p + n;
                fl[k] = 0;
            }
            k++;
            break;
        }
    }
    return (long)k;
}

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

int kz_sw_csv_schema(const char *line, size_t n, kz_sw_schema **out)
{
    *out = NULL;
    if (n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) { /* a byte-order mark */
        line += 3;
        n -= 3;
    }
    if (n && line[n - 1] == '\r')
        n--;
    kz_sw_schema *s = calloc(1, sizeof *s);
    char *scratch = malloc(n + 1);
    const char **f = malloc(KZ_SW_MAX_FIELDS * sizeof *f);
    size_t *fl = malloc(KZ_SW_MAX_FIELDS * sizeof *fl);
    if (!s || !scratch || !f || !fl)
        goto nomem;
    s->fmt = KZ_SWEEP_CSV;
    s->resp_h = s->resp_p = s->host = -1;
    s->sig = kz_hash64(line, n);
    long k = n ? kz_sw_csv_split(line, n, scratch, f, fl, KZ_SW_MAX_FIELDS) : 0;
    if (k > 0 && k <= KZ_SW_MAX_FIELDS) {
        s->have = true;
        s->nfields = (size_t)k;
        s->names = calloc((size_t)k, sizeof *s->names);
        s->name_len = calloc((size_t)k, sizeof *s->name_len);
        s->cols = calloc((size_t)k, sizeof *s->cols);
        if (!s->names || !s->name_len || !s->cols)
            goto nomem;
        for (long i = 0; i < k; i++) {
            const char *nm = f[i];
            size_t nn = fl[i];
            trim(&nm, &nn);
            if (nn > 64)
                nn = 64;
            s->names[i] = malloc(nn + 1);
            if (!s->names[i])
                goto nomem;
            memcpy(s->names[i], nm, nn);
            s->names[i][nn] = '\0';
            s->name_len[i] = nn;
            s->cols[s->ncols++] = (kz_sw_col){.col = (uint32_t)i, .kind = KZ_SWF_AUTO};
        }
    }
    free(scratch);
    free(f);
    free(fl);
    *out = s;
    return KZ_OK;
nomem:
    free(scratch);
    free(f);
    free(fl);
    kz_sw_schema_free(s);
    return KZ_E_NOMEM;
}

void kz_sw_csv_line(kz_sw_worker *w, const kz_sw_schema *s, const char *p, size_t n)
{
    if (!s->have) {
        kz_sw_problem(w->out, w->line, KZ_E_INVALID, "the CSV header has no usable columns: "
                                                     "line skipped");
        return;
    }
    if (kz_buf_reserve(&w->tmp, n + 1) < 0) {
        w->out->oom = true;
        return;
    }
    const char *f[KZ_SW_MAX_FIELDS];
    size_t fl[KZ_SW_MAX_FIELDS];
    long k = kz_sw_csv_split(p, n, w->tmp.p, f, fl, KZ_SW_MAX_FIELDS);
    if (k < 0) {
        kz_sw_problem(w->out, w->line, KZ_E_INVALID,
                      "a quoted CSV field is not closed on its line: line skipped");
        return;
    }
    if ((size_t)k != s->nfields) {
        kz_sw_problem(w->out, w->line, KZ_E_INVALID,
                      "has %ld columns, the header names %zu: line skipped", k, s->nfields);
        return;
    }
    for (size_t i = 0; i < s->ncols; i++) {
        uint32_t c = s->cols[i].col;
        const char *v = f[c];
        size_t vn = fl[c];
        trim(&v, &vn);
        kz_sw_value(w, KZ_SWF_AUTO, s->names[c], s->name_len[c], v, vn);
    }
}
