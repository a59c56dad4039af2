/* export_format.c — the export formats by name, and the writer that row
 * formats (CSV, text, Zeek, Suricata) share: begin, one call per indicator,
 * end. MISP JSON and feeds are per event and live in misp_export.c and
 * export_feed.c.
 */
#include "export_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const names[] = {
    [KZ_EXPORT_MISP] = "misp",
    [KZ_EXPORT_MISP_FEED] = "misp-feed",
    [KZ_EXPORT_CSV] = "csv",
    [KZ_EXPORT_TEXT] = "text",
    [KZ_EXPORT_ZEEK] = "zeek",
    [KZ_EXPORT_SURICATA_DATASET] = "suricata-dataset",
    [KZ_EXPORT_SURICATA_IPREP] = "suricata-iprep",
};

int kz_export_format_parse(const char *s)
{
    for (size_t i = 0; s && i < KZ_ARRAY_LEN(names); i++)
        if (strcmp(s, names[i]) == 0)
            return (int)i;
    return -1;
}

const char *kz_export_format_name(kz_export_format f)
{
    return (unsigned)f < KZ_ARRAY_LEN(names) ? names[f] : "unknown";
}

const char *kz_export_content_type(kz_export_format f)
{
    switch (f) {
    case KZ_EXPORT_MISP: case KZ_EXPORT_MISP_FEED: return "application/json";
    case KZ_EXPORT_CSV: return "text/csv; charset=utf-8";
    default: return "text/plain; charset=utf-8";
    }
}

int kz_export_writer_new(kz_export_format f, const char *dataset_type, kz_export_writer **out,
                         kz_err *err)
{
    *out = NULL;
    if (f != KZ_EXPORT_CSV && f != KZ_EXPORT_TEXT && f != KZ_EXPORT_ZEEK &&
        f != KZ_EXPORT_SURICATA_DATASET && f != KZ_EXPORT_SURICATA_IPREP)
        return kz_fail(err, KZ_E_INVALID, "format", "'%s' is not a row format",
                       kz_export_format_name(f));
    kz_export_writer *w = calloc(1, sizeof *w);
    if (!w)
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    w->f = f;
    kz_buf_init(&w->tmp);
    kz_buf_init(&w->tmp2);
    if (f == KZ_EXPORT_SURICATA_DATASET) {
        static const struct {
            const char *name;
            kz_dataset_kind k;
        } kinds[] = {{"string", DS_STRING}, {"md5", DS_MD5}, {"sha256", DS_SHA256},
                     {"ipv4", DS_IPV4}, {"ip", DS_IP}};
        bool found = false;
        for (size_t i = 0; dataset_type && i < KZ_ARRAY_LEN(kinds); i++)
            if (strcmp(dataset_type, kinds[i].name) == 0) {
                w->ds = kinds[i].k;
                found = true;
            }
        if (!found) {
            kz_export_writer_free(w);
            return kz_fail(err, KZ_E_INVALID, "dataset",
                           "a Suricata dataset needs its type: string, md5, sha256, ipv4 or ip");
        }
    }
    *out = w;
    return 0;
}

void kz_export_writer_free(kz_export_writer *w)
{
    if (!w)
        return;
    kz_buf_free(&w->tmp);
    kz_buf_free(&w->tmp2);
    kz_strset_free(&w->seen);
    for (size_t i = 0; i < w->n_rep; i++)
        free(w->rep[i].ip);
    free(w->rep);
    free(w);
}

int kz_export_begin(kz_export_writer *w, kz_buf *out)
{
    switch (w->f) {
    case KZ_EXPORT_CSV:
        return kz_buf_puts(out, "uuid,event_id,category,type,value,comment,to_ids,date,"
                                "object_relation,attribute_tag,object_uuid,object_name,"
                                "object_meta_category\n");
    case KZ_EXPORT_ZEEK:
        return kz_buf_puts(out, "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc"
                                "\tmeta.url\n");
    default:
        return 0;
    }
}

int kz_export_row_write(kz_export_writer *w, const kz_export_row *row, kz_buf *out)
{
    switch (w->f) {
    case KZ_EXPORT_CSV: return kz_export_csv_row(w, row, out);
    case KZ_EXPORT_TEXT: return kz_export_text_row(w, row, out);
    case KZ_EXPORT_ZEEK: return kz_export_zeek_row(w, row, out);
    case KZ_EXPORT_SURICATA_DATASET: return kz_export_dataset_row(w, row, out);
    case KZ_EXPORT_SURICATA_IPREP: return kz_export_iprep_row(w, row, out);
    default: return KZ_E_INTERNAL;
    }
}

int kz_export_end(kz_export_writer *w, kz_buf *out)
{
    return w->f == KZ_EXPORT_SURICATA_IPREP ? kz_export_iprep_end(w, out) : 0;
}
