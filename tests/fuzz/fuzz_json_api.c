/* fuzz_json_api.c — the native REST API's request bodies, through the same
 * door the server uses: kz_json_load with the server's memory budget on,
 * then the body parser of one route. The first input byte picks the parser
 * (see parsers[] below), the rest is the body. Whatever parses is serialised
 * again, as the handler's answer would be, and a parsed object is patched
 * with the body as well (PATCH routes apply a body to a stored object).
 */
#include "fuzz_common.h"

#include "formats/formats.h"

enum {
    P_ORG, P_ORG_PATCH, P_USER, P_API_KEY, P_COMMUNITY, P_SHARING_GROUP, P_EVENT, P_EVENT_PATCH,
    P_INDICATOR, P_INDICATORS, P_INDICATOR_PATCH, P_SIGHTING, P__COUNT
};

/* Valid bodies to patch (as the API patches a stored object). */
static const char base_org[] =
    "{\"name\":\"JPCERT/CC\",\"country\":\"JP\",\"type\":\"national_cert\"}";
static const char base_event[] = "{\"title\":\"base\",\"tlp\":\"amber\","
                                 "\"indicators\":[{\"type\":\"ipv4\",\"value\":\"198.51.100.7\"}]}";
static const char base_ind[] = "{\"type\":\"domain\",\"value\":\"evil.example\"}";

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

static void serialise(json_t *j)
{
    if (!j)
        return;
    char *s = json_dumps(j, JSON_COMPACT);
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
    if (size < 1)
        return 0;
    unsigned which = data[0] % P__COUNT;
    json_t *j = NULL;
    kz_err err;
    if (kz_json_load((const char *)data + 1, size - 1, &j, &err) != 0)
        return 0;

    kz_arena a;
    kz_arena_init(&a);
    kz_errlist errs = {0};
    int rc;
    switch (which) {
    case P_ORG:
    case P_ORG_PATCH: {
        kz_org o;
        if (which == P_ORG_PATCH) {
            json_t *b = load_or_die(base_org);
            if (kz_json_org_parse(b, &a, &o, &err) != 0)
                abort();
            json_decref(b);
            rc = kz_json_org_patch(j, &a, &o, &err);
        } else {
            rc = kz_json_org_parse(j, &a, &o, &err);
        }
        if (rc == 0)
            serialise(kz_json_org(&o));
        break;
    }
    case P_USER: {
        kz_user u;
        const char *pw = NULL;
        if (kz_json_user_parse(j, &a, &u, &pw, &err) == 0)
            serialise(kz_json_user(&u));
        break;
    }
    case P_API_KEY: {
        kz_api_key k;
        if (kz_json_api_key_parse(j, &a, &k, &err) == 0)
            serialise(kz_json_api_key(&k));
        break;
    }
    case P_COMMUNITY: {
        kz_community c;
        if (kz_json_community_parse(j, &a, &c, &err) == 0)
            serialise(kz_json_community(&c));
        break;
    }
    case P_SHARING_GROUP: {
        kz_sharing_group g;
        if (kz_json_sharing_group_parse(j, &a, &g, &err) == 0)
            serialise(kz_json_sharing_group(&g));
        break;
    }
    case P_EVENT:
    case P_EVENT_PATCH: {
        kz_event ev;
        if (which == P_EVENT_PATCH) {
            json_t *b = load_or_die(base_event);
            kz_errlist be = {0};
            if (kz_json_event_parse(b, &a, &ev, &be, &err) != 0)
                abort();
            json_decref(b);
            rc = kz_json_event_patch(j, &a, &ev, &err);
        } else {
            rc = kz_json_event_parse(j, &a, &ev, &errs, &err);
            if (rc != 0)
                serialise(kz_json_errlist(&errs));
        }
        if (rc == 0)
            serialise(kz_json_event(&ev, true));
        break;
    }
    case P_INDICATOR:
    case P_INDICATOR_PATCH: {
        kz_indicator ind;
        if (which == P_INDICATOR_PATCH) {
            json_t *b = load_or_die(base_ind);
            if (kz_json_indicator_parse(b, "", &a, &ind, &err) != 0)
                abort();
            json_decref(b);
            rc = kz_json_indicator_patch(j, &a, &ind, &err);
        } else {
            rc = kz_json_indicator_parse(j, "", &a, &ind, &err);
        }
        if (rc == 0)
            serialise(kz_json_indicator(&ind));
        break;
    }
    case P_INDICATORS: {
        kz_indicator *v = NULL;
        size_t n = 0;
        rc = kz_json_indicators_parse(j, &a, &v, &n, &errs, &err);
        if (rc == 0)
            for (size_t i = 0; i < n; i++)
                serialise(kz_json_indicator(&v[i]));
        else
            serialise(kz_json_errlist(&errs));
        break;
    }
    case P_SIGHTING: {
        kz_sighting s;
        if (kz_json_sighting_parse(j, &a, &s, &err) == 0)
            serialise(kz_json_sighting(&s));
        break;
    }
    default:
        abort();
    }
    json_decref(j);
    kz_arena_free(&a);
    return 0;
}
