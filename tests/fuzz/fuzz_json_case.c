/* fuzz_json_case.c — the bodies of the case routes (/api/v1/cases...),
 * through the server's door: kz_json_load with the memory budget on, then
 * one case parser picked by the first input byte. Properties: whatever a
 * parser accepts serialises (the handler's answer never fails on what it
 * let in), a case that parses has a valid RSIT pair, and a PATCH applied
 * to a stored case keeps it valid.
 */
#include "fuzz_common.h"

#include "formats/formats.h"

enum {
    P_CASE, P_CASE_PATCH, P_TRANSITION, P_INVITE, P_LINK, P_TASK, P_TASK_PATCH, P_ENTRY, P_INJECT,
    P_OBSERVABLE, P_PROMOTE, P__COUNT
};

static const char base_case[] =
    "{\"title\":\"base\",\"category\":\"intrusions\",\"subtype\":\"system-compromise\"}";
static const char base_task[] =
    "{\"title\":\"base\",\"org_id\":\"0b6c2f3e-8a3d-4c52-9d1e-5f6a7b8c9d0e\"}";

static json_t *load_or_die(const char *s)
{
    json_t *j = NULL;
    kz_err err;
    if (kz_json_load(s, strlen(s), &j, &err) != 0) {
        fprintf(stderr, "base body does not load: %s\n", err.msg);
        abort();
    }
    return j;
}

static void must_serialise(json_t *j, const char *what)
{
    FUZZ_CHECK(j != NULL, "an accepted %s does not serialise", what);
    char *s = json_dumps(j, JSON_COMPACT);
    FUZZ_CHECK(s != NULL, "an accepted %s does not dump", what);
    free(s);
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool budget;
    fuzz_init();
    if (!budget) {
        budget = true;
        kz_json_set_load_budget(KZ_JSON_BUDGET_RATIO, KZ_JSON_BUDGET_CAP);
    }
    if (size < 1 || size > FUZZ_MAX_INPUT)
        return 0;
    unsigned which = data[0] % P__COUNT;
    json_t *j = NULL;
    kz_err err;
    if (kz_json_load((const char *)data + 1, size - 1, &j, &err) != 0)
        return 0;
    kz_arena a;
    kz_arena_init(&a);
    switch (which) {
    case P_CASE:
    case P_CASE_PATCH: {
        kz_case c;
        int rc;
        if (which == P_CASE_PATCH) {
            json_t *b = load_or_die(base_case);
            if (kz_json_case_parse(b, &a, &c, &err) != 0)
                abort();
            json_decref(b);
            rc = kz_json_case_patch(j, &a, &c, &err);
        } else {
            rc = kz_json_case_parse(j, &a, &c, &err);
        }
        if (rc == 0) {
            kz_err e2;
            FUZZ_CHECK(kz_rsit_valid(c.category, c.subtype, &e2) == 0,
                       "accepted an invalid RSIT pair '%s'/'%s'", c.category, c.subtype);
            FUZZ_CHECK(c.severity >= 1 && c.severity <= 4, "severity %d", c.severity);
            must_serialise(kz_json_case(&c, false), "case");
        }
        break;
    }
    case P_TRANSITION: {
        kz_case_transition t;
        if (kz_json_case_transition_parse(j, &a, &t, &err) == 0) {
            t.from = KZ_CASE_NEW;
            must_serialise(kz_json_case_transition(&t), "transition");
        }
        break;
    }
    case P_INVITE: {
        kz_uuid org;
        if (kz_json_case_invite_parse(j, org, &err) == 0)
            FUZZ_CHECK(kz_uuid_valid(org), "invite org '%s'", org);
        break;
    }
    case P_LINK: {
        const char *kind;
        kz_uuid id;
        if (kz_json_case_link_parse(j, &kind, id, &err) == 0)
            FUZZ_CHECK(kind && kz_uuid_valid(id), "link");
        break;
    }
    case P_TASK:
    case P_TASK_PATCH: {
        kz_case_task t;
        int rc;
        if (which == P_TASK_PATCH) {
            json_t *b = load_or_die(base_task);
            if (kz_json_case_task_parse(b, &a, &t, &err) != 0)
                abort();
            json_decref(b);
            rc = kz_json_case_task_patch(j, &a, &t, &err);
        } else {
            rc = kz_json_case_task_parse(j, &a, &t, &err);
        }
        if (rc == 0)
            must_serialise(kz_json_case_task(&t, kz_time_now()), "task");
        break;
    }
    case P_ENTRY: {
        kz_case_entry e;
        if (kz_json_case_entry_parse(j, &a, &e, &err) == 0) {
            FUZZ_CHECK(e.kind != KZ_ENTRY_ACTION, "a client wrote an action entry");
            FUZZ_CHECK((e.kind == KZ_ENTRY_CORRECTION) == (e.corrects[0] != '\0'),
                       "correction without the entry it corrects, or the reverse");
            must_serialise(kz_json_case_entry(&e), "entry");
        }
        break;
    }
    case P_INJECT: {
        kz_case_inject x;
        if (kz_json_case_inject_parse(j, &a, &x, &err) == 0)
            must_serialise(kz_json_case_inject(&x), "inject");
        break;
    }
    case P_OBSERVABLE: {
        kz_case_observable o;
        if (kz_json_case_observable_parse(j, &a, &o, &err) == 0)
            must_serialise(kz_json_case_observable(&o), "observable");
        break;
    }
    case P_PROMOTE: {
        kz_uuid ev;
        if (kz_json_case_promote_parse(j, ev, &err) == 0)
            FUZZ_CHECK(kz_uuid_valid(ev), "promote event '%s'", ev);
        break;
    }
    }
    json_decref(j);
    kz_arena_free(&a);
    return 0;
}
