/* lines.c — a bounded line reader for imports.
 *
 * getline() would grow without limit on a hostile file with no newline; this
 * reader refuses lines above a cap, reads in large blocks (memchr finds the
 * ends), and can hold the start of the input so that the importer can look
 * at the whole of a small input (one JSON document) before deciding how to
 * read it, which also works on a pipe.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK (1 << 20)

void cli_lines_init(cli_lines *r, FILE *f, size_t max_line)
{
    *r = (cli_lines){.f = f, .max_line = max_line};
}

void cli_lines_free(cli_lines *r)
{
    free(r->buf);
    r->buf = NULL;
}

/* Makes room for at least one more block; drops consumed bytes unless held. */
static int make_room(cli_lines *r, size_t limit)
{
    if (!r->hold && r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    if (r->cap - r->end >= BLOCK / 2)
        return 0;
    size_t cap = r->cap ? r->cap * 2 : BLOCK;
    if (cap - r->start > limit + BLOCK)
        cap = r->start + limit + BLOCK;
    if (cap <= r->cap)
        return KZ_E_TOOLARGE;
    char *p = realloc(r->buf, cap);
    if (!p)
        return KZ_E_NOMEM;
    r->buf = p;
    r->cap = cap;
    return 0;
}

static int fill(cli_lines *r, size_t limit)
{
    int rc = make_room(r, limit);
    if (rc != 0)
        return rc;
    size_t got = fread(r->buf + r->end, 1, r->cap - r->end, r->f);
    r->end += got;
    if (got == 0) {
        if (ferror(r->f))
            return KZ_E_IO;
        r->eof = true;
    }
    return 0;
}

int cli_lines_next(cli_lines *r, char **line, size_t *len)
{
    size_t scanned = r->start;
    for (;;) {
        char *nl = r->end > scanned ? memchr(r->buf + scanned, '\n', r->end - scanned) : NULL;
        if (nl) {
            *line = r->buf + r->start;
            *len = (size_t)(nl - *line);
            r->start += *len + 1;
            r->consumed += (int64_t)*len + 1;
            r->lineno++;
            return 1;
        }
        if (r->end - r->start > r->max_line)
            return KZ_E_TOOLARGE;
        if (r->eof) {
            if (r->end == r->start)
                return 0;
            *line = r->buf + r->start;
            *len = r->end - r->start;
            r->start = r->end;
            r->consumed += (int64_t)*len;
            r->lineno++;
            return 1;
        }
        size_t off = r->end - r->start; /* no newline up to here */
        int rc = fill(r, r->max_line);
        if (rc != 0)
            return rc;
        scanned = r->start + off; /* the buffer may have moved */
    }
}

int cli_lines_hold_all(cli_lines *r, size_t limit, bool *whole)
{
    r->hold = true;
    while (!r->eof && r->end - r->start <= limit) {
        int rc = fill(r, limit);
        if (rc == KZ_E_TOOLARGE)
            break;
        if (rc != 0)
            return rc;
    }
    *whole = r->eof && r->end - r->start <= limit;
    return 0;
}

void cli_lines_hold(cli_lines *r)
{
    r->hold = true;
}

void cli_lines_rewind(cli_lines *r)
{
    /* Valid while held: nothing consumed has been dropped. */
    r->start = 0;
    r->consumed = 0;
    r->lineno = 0;
}

void cli_lines_release(cli_lines *r)
{
    r->hold = false;
}
