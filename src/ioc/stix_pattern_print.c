/* stix_pattern_print.c — one canonical text per STIX pattern, so that two
 * spellings of the same pattern (keyword case, spacing, quoting, redundant
 * parentheses, == and <>) store and compare as one.
 *
 * Parentheses are printed only where the tree needs them: a child that binds
 * looser than its parent (OR under AND, FOLLOWEDBY under OR), a right-hand
 * operand of the parent's own operator (only FOLLOWEDBY keeps those), an
 * operator chain under a qualifier, and a qualifier whose type already
 * follows the expression it qualifies ("([a] WITHIN 1 SECONDS) WITHIN 2
 * SECONDS"). Reading the output back gives the same tree, hence the same
 * text.
 */
#include "stix_pattern_int.h"

#include <inttypes.h>
#include <string.h>

static int put_string(kz_buf *b, const char *s, size_t n)
{
    int rc = kz_buf_putc(b, '\'');
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (s[i] == '\'' || s[i] == '\\')
            rc = kz_buf_putc(b, '\\');
        if (rc == 0)
            rc = kz_buf_putc(b, s[i]);
    }
    return rc ? rc : kz_buf_putc(b, '\'');
}

/* Keys that read back as an unquoted identifier are printed bare. */
static bool plain_key(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > KZ_STIX_IDENT_MAX || !kz_stix__ident_start((unsigned char)s[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!kz_stix__ident_char((unsigned char)s[i]))
            return false;
    return true;
}

int kz_stix_path_print(const kz_stix_path *path, kz_buf *out)
{
    int rc = kz_buf_puts(out, path->type);
    for (size_t i = 0; i < path->nsteps && rc == 0; i++) {
        const kz_stix_step *st = &path->steps[i];
        switch (st->kind) {
        case KZ_STIX_STEP_KEY:
            rc = kz_buf_putc(out, i == 0 ? ':' : '.');
            if (rc == 0)
                rc = plain_key(st->key) ? kz_buf_puts(out, st->key)
                                        : put_string(out, st->key, strlen(st->key));
            break;
        case KZ_STIX_STEP_INDEX:
            rc = kz_buf_printf(out, "[%" PRId64 "]", st->index);
            break;
        case KZ_STIX_STEP_ANY:
            rc = kz_buf_puts(out, "[*]");
            break;
        }
    }
    return rc;
}

static int print_lit(const kz_stix_lit *l, kz_buf *out)
{
    switch (l->kind) {
    case KZ_STIX_LIT_STRING:
        return put_string(out, l->s, l->n);
    case KZ_STIX_LIT_INT:
        return kz_buf_printf(out, "%" PRId64, l->i);
    case KZ_STIX_LIT_FLOAT:
        return kz_buf_puts(out, l->s);
    case KZ_STIX_LIT_BOOL:
        return kz_buf_puts(out, l->b ? "true" : "false");
    case KZ_STIX_LIT_BINARY:
        return kz_buf_printf(out, "b'%s'", l->s);
    case KZ_STIX_LIT_HEX:
        return kz_buf_printf(out, "h'%s'", l->s);
    case KZ_STIX_LIT_TIMESTAMP:
        return kz_buf_printf(out, "t'%s'", l->s);
    }
    return KZ_E_INTERNAL;
}

static const char *const op_text[] = {"=",  "!=",   ">",       "<",        ">=",         "<=",
                                      "IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET", "EXISTS"};

static int print_comparison(const kz_stix_node *x, kz_buf *out)
{
    if (x->op == KZ_STIX_EXISTS) {
        int rc = kz_buf_puts(out, "EXISTS ");
        return rc ? rc : kz_stix_path_print(&x->path, out);
    }
    int rc = kz_stix_path_print(&x->path, out);
    if (rc == 0)
        rc = kz_buf_printf(out, " %s%s ", x->negated ? "NOT " : "", op_text[x->op]);
    if (rc == 0 && x->op == KZ_STIX_IN) {
        rc = kz_buf_putc(out, '(');
        for (size_t i = 0; i < x->nlits && rc == 0; i++) {
            if (i > 0)
                rc = kz_buf_puts(out, ", ");
            if (rc == 0)
                rc = print_lit(&x->lits[i], out);
        }
        return rc ? rc : kz_buf_putc(out, ')');
    }
    return rc ? rc : print_lit(&x->lits[0], out);
}

/* Binding strength: higher binds tighter. */
static int prec(kz_stix_node_kind k)
{
    switch (k) {
    case KZ_STIX_N_FOLLOWEDBY:
    case KZ_STIX_N_OR:
        return 1;
    case KZ_STIX_N_OBS_OR:
    case KZ_STIX_N_AND:
        return 2;
    case KZ_STIX_N_OBS_AND:
        return 3;
    default:
        return 4; /* observations, qualifiers, comparisons */
    }
}

static bool is_qualifier(kz_stix_node_kind k)
{
    return k == KZ_STIX_N_WITHIN || k == KZ_STIX_N_REPEATS || k == KZ_STIX_N_STARTSTOP;
}

static unsigned qual_bit(kz_stix_node_kind k)
{
    return 1u << (k - KZ_STIX_N_WITHIN);
}

/* The qualifier types printed after x without parentheses between them. */
static unsigned trailing_quals(const kz_stix_node *x)
{
    if (!is_qualifier(x->kind))
        return 0;
    unsigned m = trailing_quals(x->kids[0]);
    if (m & qual_bit(x->kind))
        m = 0; /* the child is printed in parentheses */
    return m | qual_bit(x->kind);
}

static int print_node(const kz_stix_node *x, kz_buf *out);

static int print_child(const kz_stix_node *c, bool paren, kz_buf *out)
{
    int rc = paren ? kz_buf_putc(out, '(') : 0;
    if (rc == 0)
        rc = print_node(c, out);
    if (rc == 0 && paren)
        rc = kz_buf_putc(out, ')');
    return rc;
}

static int print_qualifier(const kz_stix_node *x, kz_buf *out)
{
    const kz_stix_node *c = x->kids[0];
    bool paren = prec(c->kind) < 4 || (trailing_quals(c) & qual_bit(x->kind));
    int rc = print_child(c, paren, out);
    if (rc)
        return rc;
    switch (x->kind) {
    case KZ_STIX_N_WITHIN:
        rc = kz_buf_puts(out, " WITHIN ");
        if (rc == 0)
            rc = print_lit(&x->q1, out);
        return rc ? rc : kz_buf_puts(out, " SECONDS");
    case KZ_STIX_N_REPEATS:
        return kz_buf_printf(out, " REPEATS %" PRId64 " TIMES", x->q1.i);
    default:
        return kz_buf_printf(out, " START t'%s' STOP t'%s'", x->q1.s, x->q2.s);
    }
}

static int print_node(const kz_stix_node *x, kz_buf *out)
{
    const char *sep;
    switch (x->kind) {
    case KZ_STIX_N_OBSERVATION: {
        int rc = kz_buf_putc(out, '[');
        if (rc == 0)
            rc = print_node(x->kids[0], out);
        return rc ? rc : kz_buf_putc(out, ']');
    }
    case KZ_STIX_N_WITHIN:
    case KZ_STIX_N_REPEATS:
    case KZ_STIX_N_STARTSTOP:
        return print_qualifier(x, out);
    case KZ_STIX_N_COMPARISON:
        return print_comparison(x, out);
    case KZ_STIX_N_OBS_AND:
    case KZ_STIX_N_AND:
        sep = " AND ";
        break;
    case KZ_STIX_N_OBS_OR:
    case KZ_STIX_N_OR:
        sep = " OR ";
        break;
    case KZ_STIX_N_FOLLOWEDBY:
        sep = " FOLLOWEDBY ";
        break;
    default:
        return KZ_E_INTERNAL;
    }
    int rc = 0;
    for (size_t i = 0; i < x->nkids && rc == 0; i++) {
        const kz_stix_node *c = x->kids[i];
        /* Left to right: the first operand may be the same operator. */
        bool paren = i == 0 ? prec(c->kind) < prec(x->kind) : prec(c->kind) <= prec(x->kind);
        if (i > 0)
            rc = kz_buf_puts(out, sep);
        if (rc == 0)
            rc = print_child(c, paren, out);
    }
    return rc;
}

int kz_stix_pattern_print(const kz_stix_pattern *p, kz_buf *out)
{
    if (!p || !p->root)
        return KZ_E_INTERNAL;
    return print_node(p->root, out);
}
