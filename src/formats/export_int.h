/* export_int.h — private to the export writers (export_*.c): the writer's
 * state, shared by the row formats, and a small set of strings for the
 * formats that must not repeat a line.
 */
#ifndef KZ_FORMATS_EXPORT_INT_H
#define KZ_FORMATS_EXPORT_INT_H

#include "misp_int.h"

/* A set of strings (open addressing, copies kept), for de-duplication. */
typedef struct kz_strset {
    char **slot;
    uint64_t *hash;
    size_t cap, n;
} kz_strset;
void kz_strset_free(kz_strset *s);
/* 1 if added, 0 if it was there, KZ_E_NOMEM. */
int kz_strset_add(kz_strset *s, const char *v, size_t n);

typedef enum { DS_STRING, DS_MD5, DS_SHA256, DS_IPV4, DS_IP } kz_dataset_kind;

/* One line of an IP reputation file, kept until the end to merge repeats. */
typedef struct kz_iprep {
    char *ip;
    int category;
    int score;
} kz_iprep;

struct kz_export_writer {
    kz_export_format f;
    kz_dataset_kind ds;
    kz_buf tmp, tmp2;
    kz_strset seen;
    kz_iprep *rep; /* merged at the end: one line per address and category */
    size_t n_rep, cap_rep;
};

int kz_export_csv_row(kz_export_writer *w, const kz_export_row *r, kz_buf *out);
int kz_export_text_row(kz_export_writer *w, const kz_export_row *r, kz_buf *out);
int kz_export_zeek_row(kz_export_writer *w, const kz_export_row *r, kz_buf *out);
int kz_export_dataset_row(kz_export_writer *w, const kz_export_row *r, kz_buf *out);
int kz_export_iprep_row(kz_export_writer *w, const kz_export_row *r, kz_buf *out);
int kz_export_iprep_end(kz_export_writer *w, kz_buf *out);

#endif
