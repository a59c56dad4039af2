/* stix_types.c — the names STIX 2.1 defines and the shapes of its
 * identifiers and timestamps. Both the importer (to validate and classify
 * what arrives) and the export test (to hold our own output to the same
 * rules) go through these, so there is one reading of the spec.
 */
#include "stix_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct type_kind {
    const char *name;
    sx_kind kind;
} type_kind;

/* Sections 4 to 7 of the spec; sorted for bsearch. */
static const type_kind TYPES[] = {
    {"artifact", SX_SCO},
    {"attack-pattern", SX_SDO},
    {"autonomous-system", SX_SCO},
    {"campaign", SX_SDO},
    {"course-of-action", SX_SDO},
    {"directory", SX_SCO},
    {"domain-name", SX_SCO},
    {"email-addr", SX_SCO},
    {"email-message", SX_SCO},
    {"extension-definition", SX_EXTDEF},
    {"file", SX_SCO},
    {"grouping", SX_SDO},
    {"identity", SX_SDO},
    {"incident", SX_SDO},
    {"indicator", SX_SDO},
    {"infrastructure", SX_SDO},
    {"intrusion-set", SX_SDO},
    {"ipv4-addr", SX_SCO},
    {"ipv6-addr", SX_SCO},
    {"language-content", SX_LANG},
    {"location", SX_SDO},
    {"mac-addr", SX_SCO},
    {"malware", SX_SDO},
    {"malware-analysis", SX_SDO},
    {"marking-definition", SX_MARKING},
    {"mutex", SX_SCO},
    {"network-traffic", SX_SCO},
    {"note", SX_SDO},
    {"observed-data", SX_SDO},
    {"opinion", SX_SDO},
    {"process", SX_SCO},
    {"relationship", SX_SRO},
    {"report", SX_SDO},
    {"sighting", SX_SRO},
    {"software", SX_SCO},
    {"threat-actor", SX_SDO},
    {"tool", SX_SDO},
    {"url", SX_SCO},
    {"user-account", SX_SCO},
    {"vulnerability", SX_SDO},
    {"windows-registry-key", SX_SCO},
    {"x509-certificate", SX_SCO},
};

static int cmp_type(const void *k, const void *e)
{
    return strcmp((const char *)k, ((const type_kind *)e)->name);
}

sx_kind kz__stix_kind(const char *type)
{
    const type_kind *t = bsearch(type, TYPES, KZ_ARRAY_LEN(TYPES), sizeof TYPES[0], cmp_type);
    return t ? t->kind : SX_CUSTOM;
}

const char *kz__stix_type_intern(const char *type)
{
    const type_kind *t = bsearch(type, TYPES, KZ_ARRAY_LEN(TYPES), sizeof TYPES[0], cmp_type);
    return t ? t->name : NULL;
}

bool kz__stix_type_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 3 || n > 250 || !(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok || (c == '-' && i + 1 < n && s[i + 1] == '-'))
            return false;
    }
    return s[n - 1] != '-';
}

/* RFC 4122: the 8-4-4-4-12 shape, a version 1 to 8 and the variant 10xx. */
static bool rfc4122(const char *u)
{
    if (!kz_uuid_valid(u))
        return false;
    char ver = u[14], var = u[19];
    if (!(ver >= '1' && ver <= '8'))
        return false;
    return var == '8' || var == '9' || var == 'a' || var == 'b' || var == 'A' || var == 'B';
}

bool kz__stix_identifier_ok(const char *s, char *type_out)
{
    const char *sep = strstr(s, "--");
    if (!sep)
        return false;
    size_t tl = (size_t)(sep - s);
    if (tl < 3 || tl > 250)
        return false;
    char type[251];
    memcpy(type, s, tl);
    type[tl] = '\0';
    if (!kz__stix_type_name_ok(type) || !rfc4122(sep + 2))
        return false;
    if (type_out)
        memcpy(type_out, type, tl + 1);
    return true;
}

int kz__stix_ts(const char *s, bool need_ms, kz_time *out, const char **why)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t n = strlen(s);
    *why = "is not a STIX timestamp (YYYY-MM-DDTHH:MM:SS[.sss]Z, in UTC)";
    if (n < sizeof shape || n > 64)
        return -1;
    for (size_t i = 0; i < sizeof shape - 1; i++) {
        bool digit = s[i] >= '0' && s[i] <= '9';
        if (shape[i] == 'd' ? !digit : s[i] != shape[i])
            return -1;
    }
    size_t i = sizeof shape - 1, frac = 0;
    if (s[i] == '.') {
        i++;
        while (s[i] >= '0' && s[i] <= '9')
            i++, frac++;
        if (frac == 0)
            return -1;
    }
    if (s[i] != 'Z' || s[i + 1] != '\0')
        return -1;
    if (need_ms && frac < 3) {
        *why = "needs at least millisecond precision (three digits after the seconds)";
        return -1;
    }
    /* kz_time_parse checks the calendar; it takes at most 9 fraction digits,
     * so longer fractions (allowed by STIX) are cut for it. */
    char tmp[40];
    size_t keep = sizeof shape - 1 + (frac ? 1 + (frac > 9 ? 9 : frac) : 0);
    memcpy(tmp, s, keep);
    tmp[keep] = 'Z';
    tmp[keep + 1] = '\0';
    kz_err e;
    if (kz_time_parse(tmp, out, &e) != 0) {
        *why = "is not a valid date and time";
        return -1;
    }
    return 0;
}
