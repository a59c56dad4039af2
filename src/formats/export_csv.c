/* export_csv.c — attributes in MISP's CSV layout, column for column, so
 * tools written against MISP's CSV export read ours: text columns quoted
 * with '"' doubled inside, event_id, to_ids (0/1) and date (the attribute's
 * timestamp, epoch seconds) bare.
 */
#include "export_int.h"

#include <stdio.h>
#include <string.h>

static int quoted(kz_buf *out, const char *s, size_t n)
{
    int r = kz_buf_putc(out, '"');
    for (size_t i = 0; !r && i < n; i++)
        r = s[i] == '"' ? kz_buf_puts(out, "\"\"") : kz_buf_putc(out, s[i]);
    return r ? r : kz_buf_putc(out, '"');
}

static int q(kz_buf *out, const char *s)
{
    return quoted(out, s ? s : "", s ? strlen(s) : 0);
}

int kz_export_csv_row(kz_export_writer *w, const kz_export_row *r, kz_buf *out)
{
    const kz_indicator *ind = r->ind;
    const char *type = r->ma && r->ma->type ? r->ma->type : kz_misp_default_type(ind);
    const char *cat = r->ma ? r->ma->category : NULL;
    if (!cat) {
        const kz_misp_type_info *ti = kz_misp_type_find(type);
        cat = ti ? ti->category : "Other";
    }
    if (kz_misp_value_out(ind, r->ma, &w->tmp) < 0)
        return KZ_E_NOMEM;
    kz_buf_reset(&w->tmp2);
    int rc = 0;
    if (ind->tlp >= 0)
        rc = kz_buf_puts(&w->tmp2, kz_tlp_tag((kz_tlp)ind->tlp));
    for (size_t i = 0; !rc && i < ind->tags.n; i++) {
        if (w->tmp2.len)
            rc = kz_buf_putc(&w->tmp2, ',');
        if (!rc)
            rc = kz_buf_puts(&w->tmp2, ind->tags.v[i]);
    }
    if (!rc)
        rc = q(out, ind->id);
    if (!rc)
        rc = kz_buf_printf(out, ",%lld,", (long long)r->event_seq);
    if (!rc)
        rc = q(out, cat);
    if (!rc)
        rc = kz_buf_putc(out, ',');
    if (!rc)
        rc = q(out, type);
    if (!rc)
        rc = kz_buf_putc(out, ',');
    if (!rc)
        rc = quoted(out, w->tmp.p, w->tmp.len);
    if (!rc)
        rc = kz_buf_putc(out, ',');
    if (!rc)
        rc = q(out, ind->comment);
    if (!rc)
        rc = kz_buf_printf(out, ",%d,%lld,", ind->to_ids ? 1 : 0,
                           (long long)kz_misp_secs(ind->modified));
    if (!rc)
        rc = q(out, r->ma ? r->ma->relation : NULL);
    if (!rc)
        rc = kz_buf_putc(out, ',');
    if (!rc)
        rc = quoted(out, w->tmp2.p ? w->tmp2.p : "", w->tmp2.len);
    if (!rc)
        rc = kz_buf_putc(out, ',');
    if (!rc)
        rc = q(out, r->object_uuid);
    if (!rc)
        rc = kz_buf_putc(out, ',');
    if (!rc)
        rc = q(out, r->object_name);
    if (!rc)
        rc = kz_buf_putc(out, ',');
    if (!rc)
        rc = q(out, r->object_meta_category);
    if (!rc)
        rc = kz_buf_putc(out, '\n');
    return rc;
}
