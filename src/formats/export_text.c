/* export_text.c — a plain blocklist: one normalised value per line, each
 * value once, in the order first seen. Values that span lines (free text)
 * cannot be a line of a list and are left out.
 */
#include "export_int.h"

#include <string.h>

int kz_export_text_row(kz_export_writer *w, const kz_export_row *r, kz_buf *out)
{
    const char *v = r->ind->value ? r->ind->value : "";
    size_t n = strlen(v);
    if (n == 0 || memchr(v, '\n', n) || memchr(v, '\r', n))
        return 0;
    int added = kz_strset_add(&w->seen, v, n);
    if (added <= 0)
        return added;
    int rc = kz_buf_append(out, v, n);
    return rc ? rc : kz_buf_putc(out, '\n');
}
