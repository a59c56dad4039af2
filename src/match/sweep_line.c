/* sweep_line.c — lines of the formats read one line at a time (JSON, CSV,
 * text), and what every format shares about a line: the length limit, the
 * test for binary garbage, and the per-task buffers that problems and hits
 * are written to. Zeek TSV has its own fused loop (logfmt_zeek.c) because
 * it finds the line end and the field separators in one pass.
 */
#include "sweep_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kz_sw_out_reset(kz_sw_out *o)
{
    o->nrec = o->nprob = 0;
    kz_buf_reset(&o->text);
    o->lines = o->bytes = 0;
    o->oom = false;
}

void kz_sw_out_free(kz_sw_out *o)
{
    free(o->rec);
    free(o->prob);
    kz_buf_free(&o->text);
    memset(o, 0, sizeof *o);
}

void kz_sw_problem(kz_sw_out *o, uint32_t line, int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (o->nprob == o->capprob) {
        size_t nc = o->capprob ? o->capprob * 2 : 8;
        kz_sw_prob *p = realloc(o->prob, nc * sizeof *p);
        if (!p) {
            o->oom = true;
            return;
        }
        o->prob = p;
        o->capprob = nc;
    }
    size_t n = strlen(msg);
    if (o->text.len + n + 1 > UINT32_MAX || kz_buf_reserve(&o->text, n + 1) < 0) {
        o->oom = true;
        return;
    }
    o->prob[o->nprob++] = (kz_sw_prob){.line = line, .code = code, .msg = (uint32_t)o->text.len};
    memcpy(o->text.p + o->text.len, msg, n + 1);
    o->text.len += n + 1;
    o->text.p[o->text.len] = '\0';
}

const char *kz_sw_line_garbage(const char *p, size_t n)
{
    /* eight bytes at a time: any NUL byte, any byte >= 0x80 */
    size_t i = 0;
    bool high = false;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        if ((v - 0x0101010101010101ULL) & ~v & 0x8080808080808080ULL)
            return "binary data (a NUL byte)";
        if (v & 0x8080808080808080ULL)
            high = true;
    }
    for (; i < n; i++) {
        if (p[i] == '\0')
            return "binary data (a NUL byte)";
        if ((unsigned char)p[i] >= 0x80)
            high = true;
    }
    if (high && !kz_utf8_valid(p, n))
        return "binary data (not valid UTF-8)";
    return NULL;
}

void kz_sw_lines_task(kz_sw_worker *w, kz_sw_task *t)
{
    const kz_sw_schema *s = t->start;
    const char *p = t->data, *end = t->data + t->len;
    size_t max = w->env->max_line;
    uint32_t line = 0;
    bool header = t->first && s->fmt == KZ_SWEEP_CSV;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        size_t n = (size_t)(le - p);
        w->line = line;
        if (n > max) {
            kz_sw_problem(w->out, line, KZ_E_TOOLARGE,
                          "line is longer than %zu bytes (%zu): skipped", max, n);
        } else {
            if (n && p[n - 1] == '\r')
                n--;
            const char *bad = kz_sw_line_garbage(p, n);
            if (bad) {
                kz_sw_problem(w->out, line, KZ_E_INVALID, "%s: line skipped", bad);
            } else if (header) {
                /* the CSV header: compiled into t->start already */
            } else if (n) {
                switch (s->fmt) {
                case KZ_SWEEP_ZEEK_JSON:
                case KZ_SWEEP_EVE:
                    kz_sw_json_line(w, s->fmt, p, n);
                    break;
                case KZ_SWEEP_CSV:
                    kz_sw_csv_line(w, s, p, n);
                    break;
                default:
                    kz_sw_text_line(w, p, n);
                    break;
                }
            }
        }
        line++;
        /* The first line is the CSV header even when it was bad (its schema
         * was compiled from it), as in any later task of the file. */
        header = false;
        p = nl ? nl + 1 : end;
    }
    w->out->lines = line;
    w->out->bytes = t->len;
    t->end = t->start;
}
