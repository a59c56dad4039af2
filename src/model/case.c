/* case.c — the vocabulary and rules of a joint incident case: status names,
 * the workflow (which status may follow which), the Reference Security
 * Incident Taxonomy (RSIT) pairs, and the overdue test for tasks. Pure
 * functions, so the API, the CLI and the tests agree on one table.
 */
#include "model.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *const STATUS[] = {"new",       "acknowledged", "in_progress",
                                     "contained", "resolved",     "closed"};
static const char *const PART[] = {"invited", "accepted", "declined"};
static const char *const TASK[] = {"waiting", "in_progress", "done", "cancelled"};
static const char *const ENTRY[] = {"comment", "action", "correction"};

static int find(const char *const *v, size_t n, const char *s)
{
    if (!s)
        return -1;
    for (size_t i = 0; i < n && v[i]; i++)
        if (!strcmp(v[i], s))
            return (int)i;
    return -1;
}

#define NAME_OF(v, x) ((unsigned)(x) < KZ_ARRAY_LEN(v) ? (v)[(unsigned)(x)] : NULL)

const char *kz_case_status_name(kz_case_status s) { return NAME_OF(STATUS, s); }
int kz_case_status_parse(const char *s) { return find(STATUS, KZ_ARRAY_LEN(STATUS), s); }
const char *kz_participation_name(kz_participation p) { return NAME_OF(PART, p); }
int kz_participation_parse(const char *s) { return find(PART, KZ_ARRAY_LEN(PART), s); }
const char *kz_task_status_name(kz_task_status s) { return NAME_OF(TASK, s); }
int kz_task_status_parse(const char *s) { return find(TASK, KZ_ARRAY_LEN(TASK), s); }
const char *kz_entry_kind_name(kz_entry_kind k) { return NAME_OF(ENTRY, k); }
int kz_entry_kind_parse(const char *s) { return find(ENTRY, KZ_ARRAY_LEN(ENTRY), s); }

/* ---- workflow ----------------------------------------------------------
 * One step forward at a time, so each milestone (acknowledged, contained,
 * resolved) gets a time and the response metrics mean something. Two ways
 * back, both to in_progress: containment that failed (contained), and a
 * reopen (resolved or closed) when the incident turns out not to be over. */
static const bool NEXT[KZ_CASE_STATUS_COUNT][KZ_CASE_STATUS_COUNT] = {
    [KZ_CASE_NEW] = {[KZ_CASE_ACKNOWLEDGED] = true},
    [KZ_CASE_ACKNOWLEDGED] = {[KZ_CASE_IN_PROGRESS] = true},
    [KZ_CASE_IN_PROGRESS] = {[KZ_CASE_CONTAINED] = true},
    [KZ_CASE_CONTAINED] = {[KZ_CASE_RESOLVED] = true, [KZ_CASE_IN_PROGRESS] = true},
    [KZ_CASE_RESOLVED] = {[KZ_CASE_CLOSED] = true, [KZ_CASE_IN_PROGRESS] = true},
    [KZ_CASE_CLOSED] = {[KZ_CASE_IN_PROGRESS] = true},
};

static const char *const WHERE[KZ_CASE_STATUS_COUNT] = {
    [KZ_CASE_NEW] = "a new case can only be acknowledged",
    [KZ_CASE_ACKNOWLEDGED] = "an acknowledged case can only go to in_progress",
    [KZ_CASE_IN_PROGRESS] = "a case in progress can only be contained",
    [KZ_CASE_CONTAINED] = "a contained case can only be resolved or go back to in_progress",
    [KZ_CASE_RESOLVED] = "a resolved case can only be closed or reopened (in_progress)",
    [KZ_CASE_CLOSED] = "a closed case can only be reopened (in_progress)",
};

bool kz_case_transition_valid(kz_case_status from, kz_case_status to, const char **why)
{
    const char *no = NULL;
    if ((unsigned)from >= KZ_CASE_STATUS_COUNT || (unsigned)to >= KZ_CASE_STATUS_COUNT)
        no = "unknown status";
    else if (from == to)
        no = "the case already has this status";
    else if (!NEXT[from][to])
        no = WHERE[from];
    if (why)
        *why = no;
    return no == NULL;
}

bool kz_case_is_reopen(kz_case_status from, kz_case_status to)
{
    return (from == KZ_CASE_RESOLVED || from == KZ_CASE_CLOSED) && to == KZ_CASE_IN_PROGRESS;
}

bool kz_case_status_open(kz_case_status s) { return s != KZ_CASE_RESOLVED && s != KZ_CASE_CLOSED; }

bool kz_case_task_overdue(const kz_case_task *t, kz_time now)
{
    return t->due != 0 && t->due < now &&
           (t->status == KZ_TASK_WAITING || t->status == KZ_TASK_IN_PROGRESS);
}

/* ---- RSIT --------------------------------------------------------------
 * The machine-readable values of the ENISA / TF-CSIRT Reference Security
 * Incident Taxonomy (the "rsit" machine tags): classification = predicate,
 * incident type = value. */
const char *const kz_rsit_categories[] = {"abusive-content",
                                          "malicious-code",
                                          "information-gathering",
                                          "intrusion-attempts",
                                          "intrusions",
                                          "availability",
                                          "information-content-security",
                                          "fraud",
                                          "vulnerable",
                                          "other",
                                          "test",
                                          NULL};

static const char *const T_ABUSIVE[] = {"spam", "harmful-speech", "violence", NULL};
static const char *const T_MALICIOUS[] = {"infected-system", "c2-server", "malware-distribution",
                                          "malware-configuration", NULL};
static const char *const T_GATHERING[] = {"scanner", "sniffing", "social-engineering", NULL};
static const char *const T_ATTEMPTS[] = {"ids-alert", "brute-force", "exploit", NULL};
static const char *const T_INTRUSIONS[] = {"privileged-account-compromise",
                                           "unprivileged-account-compromise",
                                           "application-compromise",
                                           "system-compromise",
                                           "burglary",
                                           NULL};
static const char *const T_AVAILABILITY[] = {"dos",      "ddos",   "misconfiguration",
                                             "sabotage", "outage", NULL};
static const char *const T_CONTENT[] = {"unauthorised-information-access",
                                        "unauthorised-information-modification", "data-loss",
                                        "data-leak", NULL};
static const char *const T_FRAUD[] = {"unauthorised-use-of-resources", "copyright", "masquerade",
                                      "phishing", NULL};
static const char *const T_VULNERABLE[] = {"weak-crypto",
                                           "ddos-amplifier",
                                           "potentially-unwanted-accessible",
                                           "information-disclosure",
                                           "vulnerable-system",
                                           NULL};
static const char *const T_OTHER[] = {"other", "undetermined", NULL};
static const char *const T_TEST[] = {"test", NULL};

static const char *const *const TYPES[] = {T_ABUSIVE,    T_MALICIOUS,    T_GATHERING, T_ATTEMPTS,
                                           T_INTRUSIONS, T_AVAILABILITY, T_CONTENT,   T_FRAUD,
                                           T_VULNERABLE, T_OTHER,        T_TEST};

const char *const *kz_rsit_types(const char *category)
{
    int i = find(kz_rsit_categories, KZ_ARRAY_LEN(kz_rsit_categories) - 1, category);
    return i < 0 ? NULL : TYPES[i];
}

static void join(const char *const *v, char *out, size_t n)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; v[i] && len < n; i++) {
        int w = snprintf(out + len, n - len, "%s%s", i ? ", " : "", v[i]);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

int kz_rsit_valid(const char *category, const char *subtype, kz_err *err)
{
    char choices[400];
    const char *const *types = kz_rsit_types(category);
    if (!types) {
        join(kz_rsit_categories, choices, sizeof choices);
        return kz_fail(err, KZ_E_VALUE, "category",
                       "category: '%.64s' is not an RSIT classification (one of: %s)",
                       category ? category : "", choices);
    }
    if (find(types, SIZE_MAX, subtype) < 0) {
        join(types, choices, sizeof choices);
        return kz_fail(err, KZ_E_VALUE, "subtype",
                       "subtype: '%.64s' is not an RSIT incident type of '%s' (one of: %s)",
                       subtype ? subtype : "", category, choices);
    }
    return 0;
}
