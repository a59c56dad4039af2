/* stix_pattern_parse.c — recursive descent over the STIX 2.1 pattern grammar
 * (spec section 9 and its ANTLR grammar):
 *
 *   pattern     := obs_fb EOF
 *   obs_fb      := obs_or  (FOLLOWEDBY obs_or)*       lowest
 *   obs_or      := obs_and (OR obs_and)*
 *   obs_and     := obs_q   (AND obs_q)*
 *   obs_q       := obs_primary qualifier*              WITHIN, REPEATS, START/STOP
 *   obs_primary := '[' cmp_or ']' | '(' obs_fb ')'
 *   cmp_or      := cmp_and (OR cmp_and)*
 *   cmp_and     := cmp (AND cmp)*
 *   cmp         := '(' cmp_or ')' | EXISTS path | path [NOT] op constant
 *
 * Recursion happens only at '[' and '(', and they are counted, so hostile
 * nesting stops at KZ_STIX_PATTERN_DEPTH instead of at the end of the stack.
 * Chains of one operator become one node with many children, which keeps the
 * tree as shallow as the nesting.
 */
#include "stix_pattern_int.h"

#include <stdio.h>
#include <string.h>

typedef struct node_vec {
    kz_stix_node **v;
    size_t n, cap;
} node_vec;

static int nomem(kz_stix_parser *p)
{
    return kz_fail(p->err, KZ_E_NOMEM, "pattern", "out of memory");
}

/* Arena arrays grow by doubling: the copies left behind cost at most as much
 * as the final array. */
static void *grow(kz_stix_parser *p, void *v, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return v;
    size_t ncap = *cap ? *cap * 2 : 4;
    void *nv = kz_arena_alloc(p->a, ncap * size);
    if (!nv)
        return NULL;
    if (n)
        memcpy(nv, v, n * size);
    *cap = ncap;
    return nv;
}

static int vec_push(kz_stix_parser *p, node_vec *k, kz_stix_node *x)
{
    kz_stix_node **nv = grow(p, k->v, k->n, &k->cap, sizeof *nv);
    if (!nv)
        return nomem(p);
    k->v = nv;
    k->v[k->n++] = x;
    return KZ_OK;
}

/* An operand of a chain of kind: a child of the same kind is spliced in,
 * except that only the first operand of FOLLOWEDBY may be (a FOLLOWEDBY
 * (b FOLLOWEDBY c) keeps its grouping, (a FOLLOWEDBY b) FOLLOWEDBY c is the
 * left-to-right reading anyway). */
static int push_operand(kz_stix_parser *p, node_vec *k, kz_stix_node_kind kind, kz_stix_node *x)
{
    if (x->kind == kind && (kind != KZ_STIX_N_FOLLOWEDBY || k->n == 0)) {
        for (size_t i = 0; i < x->nkids; i++) {
            int rc = vec_push(p, k, x->kids[i]);
            if (rc < 0)
                return rc;
        }
        return KZ_OK;
    }
    return vec_push(p, k, x);
}

static kz_stix_node *new_node(kz_stix_parser *p, kz_stix_node_kind kind, size_t off)
{
    kz_stix_node *x = kz_arena_alloc(p->a, sizeof *x);
    if (x) {
        x->kind = kind;
        x->off = off;
    }
    return x;
}

static int open_group(kz_stix_parser *p)
{
    if (++p->depth > KZ_STIX_PATTERN_DEPTH)
        return kz_stix__fail(p, p->pos, "nesting deeper than %d brackets and parentheses",
                             KZ_STIX_PATTERN_DEPTH);
    p->pos++;
    return KZ_OK;
}

/* ---- object paths ------------------------------------------------------- */

/* A property name or dictionary key: an identifier without '-', or a quoted
 * string. */
static int parse_key(kz_stix_parser *p, const char *after, const char **out)
{
    int c = kz_stix__peek(p);
    size_t off = p->pos;
    if (c == '\'') {
        size_t n;
        int rc = kz_stix__scan_string(p, out, &n);
        if (rc < 0)
            return rc;
        if (n == 0)
            return kz_stix__fail(p, off, "empty property name ''");
        return KZ_OK;
    }
    size_t w = kz_stix__word_len(p, off);
    if (w == 0) {
        char what[64];
        snprintf(what, sizeof what, "a property name after %s", after);
        return kz_stix__expected(p, off, what);
    }
    if (off + w < p->n && p->s[off + w] == '-') {
        size_t e = off + w;
        while (e < p->n && (kz_stix__ident_char((unsigned char)p->s[e]) || p->s[e] == '-'))
            e++;
        int l = (int)(e - off > 64 ? 64 : e - off);
        return kz_stix__fail(p, off,
                             "property name '%.*s' contains '-' and must be quoted: '%.*s'", l,
                             p->s + off, l, p->s + off);
    }
    if (w > KZ_STIX_IDENT_MAX)
        return kz_stix__fail(p, off, "property name longer than %d bytes", KZ_STIX_IDENT_MAX);
    *out = kz_arena_strndup(p->a, p->s + off, w);
    if (!*out)
        return nomem(p);
    p->pos += w;
    return KZ_OK;
}

static int parse_path(kz_stix_parser *p, const char *what, kz_stix_path *path)
{
    kz_stix__peek(p);
    size_t off = p->pos, e = off;
    if (off < p->n && kz_stix__ident_start((unsigned char)p->s[off])) {
        while (e < p->n && (kz_stix__ident_char((unsigned char)p->s[e]) || p->s[e] == '-'))
            e++;
    }
    if (e == off)
        return kz_stix__expected(p, off, what);
    if (e - off > KZ_STIX_IDENT_MAX)
        return kz_stix__fail(p, off, "object type longer than %d bytes", KZ_STIX_IDENT_MAX);
    char *type = kz_arena_strndup(p->a, p->s + off, e - off);
    if (!type)
        return nomem(p);
    p->pos = e;
    if (kz_stix__peek(p) != ':') {
        int l = (int)(e - off > 64 ? 64 : e - off);
        return kz_stix__fail(p, p->pos, "expected ':' after object type '%.*s', found %s", l,
                             p->s + off, kz_stix__found(p, p->pos));
    }
    p->pos++;
    kz_stix_step *steps = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        kz_stix_step st = {.kind = KZ_STIX_STEP_KEY};
        int rc;
        if (n == 0) {
            rc = parse_key(p, "':'", &st.key);
        } else {
            int c = kz_stix__peek(p);
            if (c == '.') {
                p->pos++;
                rc = parse_key(p, "'.'", &st.key);
            } else if (c == '[') {
                p->pos++;
                c = kz_stix__peek(p);
                size_t ioff = p->pos;
                rc = KZ_OK;
                if (c == '*') {
                    st.kind = KZ_STIX_STEP_ANY;
                    p->pos++;
                } else {
                    kz_stix_lit idx;
                    if (!(c >= '0' && c <= '9') && c != '-' && c != '+')
                        return kz_stix__expected(p, ioff, "a list index (an integer or *)");
                    rc = kz_stix__scan_number(p, &idx);
                    if (rc < 0)
                        return rc;
                    if (idx.kind != KZ_STIX_LIT_INT)
                        return kz_stix__fail(p, ioff, "list index %s is not an integer",
                                             kz_stix__found(p, ioff));
                    st.kind = KZ_STIX_STEP_INDEX;
                    st.index = idx.i;
                }
                if (kz_stix__peek(p) != ']')
                    return kz_stix__expected(p, p->pos, "']' after the list index");
                p->pos++;
            } else {
                break;
            }
        }
        if (rc < 0)
            return rc;
        kz_stix_step *ns = grow(p, steps, n, &cap, sizeof *ns);
        if (!ns)
            return nomem(p);
        steps = ns;
        steps[n++] = st;
    }
    path->type = type;
    path->steps = steps;
    path->nsteps = n;
    return KZ_OK;
}

/* ---- comparisons -------------------------------------------------------- */

static const struct {
    const char *text;
    kz_stix_op op;
} sym_ops[] = {
    {"==", KZ_STIX_EQ}, {"!=", KZ_STIX_NE}, {"<>", KZ_STIX_NE}, {"<=", KZ_STIX_LE},
    {">=", KZ_STIX_GE}, {"=", KZ_STIX_EQ},  {"<", KZ_STIX_LT},  {">", KZ_STIX_GT},
};

static const struct {
    const char *word;
    kz_stix_op op;
} word_ops[] = {
    {"IN", KZ_STIX_IN},
    {"LIKE", KZ_STIX_LIKE},
    {"MATCHES", KZ_STIX_MATCHES},
    {"ISSUBSET", KZ_STIX_ISSUBSET},
    {"ISSUPERSET", KZ_STIX_ISSUPERSET},
};

static int parse_op(kz_stix_parser *p, kz_stix_op *op)
{
    kz_stix__peek(p);
    size_t off = p->pos;
    for (size_t i = 0; i < KZ_ARRAY_LEN(sym_ops); i++) {
        size_t l = strlen(sym_ops[i].text);
        if (p->n - off >= l && memcmp(p->s + off, sym_ops[i].text, l) == 0) {
            *op = sym_ops[i].op;
            p->pos += l;
            return KZ_OK;
        }
    }
    for (size_t i = 0; i < KZ_ARRAY_LEN(word_ops); i++) {
        if (kz_stix__accept_word(p, word_ops[i].word)) {
            *op = word_ops[i].op;
            return KZ_OK;
        }
    }
    return kz_stix__expected(p, off, "a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, "
                                     "MATCHES, ISSUBSET or ISSUPERSET)");
}

static const char *op_name(kz_stix_op op)
{
    static const char *const names[] = {"=",    "!=",      ">",        "<",          ">=",    "<=",
                                        "IN",   "LIKE",    "MATCHES",  "ISSUBSET",   "ISSUPERSET",
                                        "EXISTS"};
    return names[op];
}

static const char *kind_name(kz_stix_lit_kind k)
{
    static const char *const names[] = {"a string", "an integer", "a float",    "a boolean",
                                        "a binary", "a hex",      "a timestamp"};
    return names[k];
}

/* Integers and floats are one kind of number in a set. */
static int lit_class(kz_stix_lit_kind k)
{
    return k == KZ_STIX_LIT_FLOAT ? KZ_STIX_LIT_INT : (int)k;
}

static int parse_set(kz_stix_parser *p, kz_stix_node *x)
{
    if (kz_stix__peek(p) != '(')
        return kz_stix__expected(p, p->pos, "a set such as ('a', 'b') after IN");
    p->pos++;
    kz_stix_lit *v = NULL;
    size_t n = 0, cap = 0;
    if (kz_stix__peek(p) != ')') {
        for (;;) {
            kz_stix__peek(p);
            size_t loff = p->pos;
            kz_stix_lit lit;
            int rc = kz_stix__scan_literal(p, &lit);
            if (rc < 0)
                return rc;
            if (n > 0 && lit_class(lit.kind) != lit_class(v[0].kind))
                return kz_stix__fail(p, loff,
                                     "the members of a set must be of one type: %s is %s, "
                                     "the first member %s",
                                     kz_stix__found(p, loff), kind_name(lit.kind),
                                     kind_name(v[0].kind));
            kz_stix_lit *nv = grow(p, v, n, &cap, sizeof *nv);
            if (!nv)
                return nomem(p);
            v = nv;
            v[n++] = lit;
            int c = kz_stix__peek(p);
            if (c == ')')
                break;
            if (c != ',')
                return kz_stix__expected(p, p->pos, "',' or ')' in the set");
            p->pos++;
        }
    }
    p->pos++; /* ')' */
    x->lits = v;
    x->nlits = n;
    return KZ_OK;
}

static int parse_cmp_or(kz_stix_parser *p, kz_stix_node **out);

static int parse_comparison(kz_stix_parser *p, kz_stix_node **out)
{
    int c = kz_stix__peek(p);
    size_t off = p->pos;
    if (c == '(') {
        int rc = open_group(p);
        if (rc < 0)
            return rc;
        if ((rc = parse_cmp_or(p, out)) < 0)
            return rc;
        if (kz_stix__peek(p) != ')')
            return kz_stix__expected(p, p->pos, "')'");
        p->pos++;
        p->depth--;
        return KZ_OK;
    }
    kz_stix_node *x = new_node(p, KZ_STIX_N_COMPARISON, off);
    if (!x)
        return nomem(p);
    /* EXISTS is a keyword unless it is an object type ("exists:..."). */
    if (kz_stix__at_word(p, "EXISTS")) {
        size_t save = p->pos;
        p->pos += 6;
        if (kz_stix__peek(p) != ':') {
            x->op = KZ_STIX_EXISTS;
            int rc = parse_path(p, "an object path after EXISTS", &x->path);
            if (rc < 0)
                return rc;
            *out = x;
            return KZ_OK;
        }
        p->pos = save;
    }
    int rc = parse_path(p,
                        "a comparison (object path such as file:name, '(' or EXISTS)",
                        &x->path);
    if (rc < 0)
        return rc;
    x->negated = kz_stix__accept_word(p, "NOT");
    if ((rc = parse_op(p, &x->op)) < 0)
        return rc;
    kz_stix__peek(p);
    size_t loff = p->pos;
    if (x->op == KZ_STIX_IN) {
        rc = parse_set(p, x);
        if (rc < 0)
            return rc;
        *out = x;
        return KZ_OK;
    }
    bool want_string = x->op >= KZ_STIX_LIKE && x->op <= KZ_STIX_ISSUPERSET;
    if (want_string && kz_stix__peek(p) != '\'')
        return kz_stix__fail(p, loff, "%s needs a string constant, found %s", op_name(x->op),
                             kz_stix__found(p, loff));
    kz_stix_lit *lit = kz_arena_alloc(p->a, sizeof *lit);
    if (!lit)
        return nomem(p);
    if ((rc = kz_stix__scan_literal(p, lit)) < 0)
        return rc;
    if (lit->kind == KZ_STIX_LIT_BOOL && x->op >= KZ_STIX_GT && x->op <= KZ_STIX_LE)
        return kz_stix__fail(p, loff, "'%s' cannot order a boolean (%s)", op_name(x->op),
                             kz_stix__found(p, loff));
    x->lits = lit;
    x->nlits = 1;
    *out = x;
    return KZ_OK;
}

/* One left-to-right chain of keyword operators at one precedence level. */
typedef int (*parse_fn)(kz_stix_parser *p, kz_stix_node **out);

static int parse_chain(kz_stix_parser *p, const char *kw, kz_stix_node_kind kind, parse_fn sub,
                       kz_stix_node **out)
{
    kz_stix_node *first;
    int rc = sub(p, &first);
    if (rc < 0)
        return rc;
    if (!kz_stix__at_word(p, kw)) {
        *out = first;
        return KZ_OK;
    }
    node_vec k = {0};
    if ((rc = push_operand(p, &k, kind, first)) < 0)
        return rc;
    while (kz_stix__accept_word(p, kw)) {
        kz_stix_node *next;
        if ((rc = sub(p, &next)) < 0 || (rc = push_operand(p, &k, kind, next)) < 0)
            return rc;
    }
    kz_stix_node *x = new_node(p, kind, first->off);
    if (!x)
        return nomem(p);
    x->kids = k.v;
    x->nkids = k.n;
    *out = x;
    return KZ_OK;
}

static int parse_cmp_and(kz_stix_parser *p, kz_stix_node **out)
{
    return parse_chain(p, "AND", KZ_STIX_N_AND, parse_comparison, out);
}

static int parse_cmp_or(kz_stix_parser *p, kz_stix_node **out)
{
    return parse_chain(p, "OR", KZ_STIX_N_OR, parse_cmp_and, out);
}

/* ---- observation expressions -------------------------------------------- */

static int parse_obs_fb(kz_stix_parser *p, kz_stix_node **out);

static int parse_obs_primary(kz_stix_parser *p, kz_stix_node **out)
{
    int c = kz_stix__peek(p);
    size_t off = p->pos;
    int rc;
    if (c == '[') {
        if ((rc = open_group(p)) < 0)
            return rc;
        if (kz_stix__peek(p) == ']')
            return kz_stix__fail(p, p->pos,
                                 "empty observation expression: expected a comparison, found ']'");
        kz_stix_node *x = new_node(p, KZ_STIX_N_OBSERVATION, off);
        kz_stix_node **kids = kz_arena_alloc(p->a, sizeof *kids);
        if (!x || !kids)
            return nomem(p);
        if ((rc = parse_cmp_or(p, &kids[0])) < 0)
            return rc;
        if (kz_stix__peek(p) != ']')
            return kz_stix__expected(p, p->pos, "']'");
        p->pos++;
        p->depth--;
        x->kids = kids;
        x->nkids = 1;
        *out = x;
        return KZ_OK;
    }
    if (c == '(') {
        if ((rc = open_group(p)) < 0)
            return rc;
        if ((rc = parse_obs_fb(p, out)) < 0)
            return rc;
        if (kz_stix__peek(p) != ')')
            return kz_stix__expected(p, p->pos, "')'");
        p->pos++;
        p->depth--;
        return KZ_OK;
    }
    return kz_stix__expected(p, off, "an observation expression ('[' or '(')");
}

static int parse_qualifier(kz_stix_parser *p, kz_stix_node *q)
{
    int rc;
    size_t off;
    if (q->kind == KZ_STIX_N_STARTSTOP) {
        for (int i = 0; i < 2; i++) {
            if (i == 1 && !kz_stix__accept_word(p, "STOP"))
                return kz_stix__expected(p, p->pos, "STOP after the START timestamp");
            kz_stix__peek(p);
            off = p->pos;
            if (!(off + 1 < p->n && p->s[off] == 't' && p->s[off + 1] == '\''))
                return kz_stix__expected(p, off, i ? "a timestamp t'...' after STOP"
                                                   : "a timestamp t'...' after START");
            if ((rc = kz_stix__scan_timestamp(p, i ? &q->q2 : &q->q1)) < 0)
                return rc;
        }
        return KZ_OK;
    }
    bool within = q->kind == KZ_STIX_N_WITHIN;
    int c = kz_stix__peek(p);
    off = p->pos;
    if (!((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))
        return kz_stix__expected(p, off, within ? "a number of seconds after WITHIN"
                                                : "a number of times after REPEATS");
    if ((rc = kz_stix__scan_number(p, &q->q1)) < 0)
        return rc;
    bool positive = q->q1.kind == KZ_STIX_LIT_INT ? q->q1.i > 0 : q->q1.f > 0;
    if (within && !positive)
        return kz_stix__fail(p, off, "WITHIN needs a positive number of seconds, found %s",
                             kz_stix__found(p, off));
    if (!within && (q->q1.kind != KZ_STIX_LIT_INT || !positive))
        return kz_stix__fail(p, off, "REPEATS needs a positive integer, found %s",
                             kz_stix__found(p, off));
    const char *unit = within ? "SECONDS" : "TIMES";
    if (!kz_stix__accept_word(p, unit))
        return kz_stix__expected(p, p->pos, within ? "SECONDS" : "TIMES");
    return KZ_OK;
}

static int parse_obs_qualified(kz_stix_parser *p, kz_stix_node **out)
{
    static const struct {
        const char *word;
        kz_stix_node_kind kind;
    } quals[] = {
        {"WITHIN", KZ_STIX_N_WITHIN},
        {"REPEATS", KZ_STIX_N_REPEATS},
        {"START", KZ_STIX_N_STARTSTOP},
    };
    kz_stix_node *x;
    int rc = parse_obs_primary(p, &x);
    if (rc < 0)
        return rc;
    unsigned seen = 0;
    for (;;) {
        kz_stix__peek(p);
        size_t off = p->pos;
        size_t i = 0;
        while (i < KZ_ARRAY_LEN(quals) && !kz_stix__accept_word(p, quals[i].word))
            i++;
        if (i == KZ_ARRAY_LEN(quals))
            break;
        /* Spec 9.5.1: at most one qualifier of each type per observation
         * expression; a group in parentheses is a new expression. */
        if (seen & (1u << i))
            return kz_stix__fail(p, off,
                                 "a second %s qualifier on the same observation expression "
                                 "(put the qualified part in parentheses to qualify it again)",
                                 quals[i].word);
        seen |= 1u << i;
        kz_stix_node *q = new_node(p, quals[i].kind, off);
        kz_stix_node **kids = kz_arena_alloc(p->a, sizeof *kids);
        if (!q || !kids)
            return nomem(p);
        kids[0] = x;
        q->kids = kids;
        q->nkids = 1;
        if ((rc = parse_qualifier(p, q)) < 0)
            return rc;
        x = q;
    }
    *out = x;
    return KZ_OK;
}

static int parse_obs_and(kz_stix_parser *p, kz_stix_node **out)
{
    return parse_chain(p, "AND", KZ_STIX_N_OBS_AND, parse_obs_qualified, out);
}

static int parse_obs_or(kz_stix_parser *p, kz_stix_node **out)
{
    return parse_chain(p, "OR", KZ_STIX_N_OBS_OR, parse_obs_and, out);
}

static int parse_obs_fb(kz_stix_parser *p, kz_stix_node **out)
{
    return parse_chain(p, "FOLLOWEDBY", KZ_STIX_N_FOLLOWEDBY, parse_obs_or, out);
}

int kz_stix_pattern_parse(const char *s, size_t n, kz_arena *a, kz_stix_pattern **out, kz_err *err)
{
    kz_stix_parser p = {.s = s ? s : "", .n = s ? n : 0, .a = a, .err = err};
    *out = NULL;
    if (p.n > KZ_STIX_PATTERN_MAX)
        return kz_stix__fail(&p, KZ_STIX_PATTERN_MAX, "pattern longer than %d bytes",
                             KZ_STIX_PATTERN_MAX);
    size_t bad = kz_stix__utf8_bad(p.s, p.n);
    if (bad < p.n)
        return kz_stix__fail(&p, bad, "%s", p.s[bad] ? "invalid UTF-8" : "NUL byte");
    kz_stix_node *root;
    int rc = parse_obs_fb(&p, &root);
    if (rc < 0)
        return rc;
    if (kz_stix__peek(&p) != 0)
        return kz_stix__expected(&p, p.pos,
                                 "AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern");
    kz_stix_pattern *pat = kz_arena_alloc(a, sizeof *pat);
    if (!pat)
        return nomem(&p);
    pat->root = root;
    *out = pat;
    return KZ_OK;
}
