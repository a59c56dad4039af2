/* vocab.c — the closed vocabularies of the model (TLP, PAP, distribution,
 * roles, org types, sighting types) and their names on the wire. One table per
 * vocabulary so that names and parsers cannot drift apart. */
#include "model.h"

static const char *const tlp_names[] = {"clear", "green", "amber", "amber+strict", "red"};
static const char *const pap_names[] = {"clear", "green", "amber", "red"};
static const char *const dist_names[] = {"org", "community", "connected", "all", "sharing_group"};
static const char *const role_names[] = {"admin", "org_admin", "publisher", "analyst", "read_only", "sync"};
static const char *const org_type_names[] = {"national_cert", "government", "company", "ngo", "academic"};
static const char *const sighting_names[] = {"seen", "false_positive", "expired"};

static const char *name_of(const char *const *names, size_t n, int v)
{
    return v >= 0 && (size_t)v < n ? names[v] : NULL;
}

static int parse_in(const char *const *names, size_t n, const char *s)
{
    if (!s)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (kz_streq_nocase(s, names[i]))
            return (int)i;
    return -1;
}

#define VOCAB(fn_name, fn_parse, type, table)                                                      \
    const char *fn_name(type v) { return name_of(table, KZ_ARRAY_LEN(table), (int)v); }            \
    int fn_parse(const char *s) { return parse_in(table, KZ_ARRAY_LEN(table), s); }

VOCAB(kz_tlp_name, kz_tlp_parse, kz_tlp, tlp_names)
VOCAB(kz_pap_name, kz_pap_parse, kz_pap, pap_names)
VOCAB(kz_distribution_name, kz_distribution_parse, kz_distribution, dist_names)
VOCAB(kz_role_name, kz_role_parse, kz_role, role_names)
VOCAB(kz_org_type_name, kz_org_type_parse, kz_org_type, org_type_names)
VOCAB(kz_sighting_type_name, kz_sighting_type_parse, kz_sighting_type, sighting_names)

/* How far each distribution reaches. A sharing group is an explicit list of
 * orgs chosen by the creator: wider than the org alone, narrower than any
 * community-based audience. */
static int dist_rank(kz_distribution d)
{
    switch (d) {
    case KZ_DIST_ORG: return 0;
    case KZ_DIST_SHARING_GROUP: return 1;
    case KZ_DIST_COMMUNITY: return 2;
    case KZ_DIST_CONNECTED: return 3;
    case KZ_DIST_ALL: return 4;
    }
    return 5; /* unknown: wider than anything, so it never passes as "no wider" */
}

bool kz_distribution_no_wider(kz_distribution a, kz_distribution b)
{
    int ra = dist_rank(a), rb = dist_rank(b);
    return ra <= 4 && rb <= 4 && ra <= rb;
}
