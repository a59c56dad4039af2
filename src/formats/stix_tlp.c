/* stix_tlp.c — TLP in STIX is a reference to one of a few fixed
 * marking-definition objects, not a label. Two sets exist: TLP 1.0 (white,
 * green, amber, red) defined by the STIX 2.1 spec itself (section 7.2.1.4),
 * and TLP 2.0 (clear, green, amber, amber+strict, red) defined by OASIS as
 * an extension (extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d,
 * cti-stix-common-objects). Both are read; TLP 2.0 is what export writes.
 */
#include "stix_int.h"

#include <string.h>

typedef struct tlp_id {
    const char *id;
    kz_tlp tlp;
    const char *v1; /* TLP 1.0 definition.tlp, NULL for the 2.0 set */
} tlp_id;

static const tlp_id IDS[] = {
    /* TLP 1.0, STIX 2.1 section 7.2.1.4 */
    {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", KZ_TLP_CLEAR, "white"},
    {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", KZ_TLP_GREEN, "green"},
    {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", KZ_TLP_AMBER, "amber"},
    {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", KZ_TLP_RED, "red"},
    /* TLP 2.0, the OASIS TLP 2.0 extension */
    {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", KZ_TLP_CLEAR, NULL},
    {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", KZ_TLP_GREEN, NULL},
    {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", KZ_TLP_AMBER, NULL},
    {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", KZ_TLP_AMBER_STRICT, NULL},
    {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", KZ_TLP_RED, NULL},
};

#define TLP2_EXTENSION "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

int kz__stix_tlp_of_marking(const char *id)
{
    if (!id)
        return -1;
    for (size_t i = 0; i < KZ_ARRAY_LEN(IDS); i++)
        if (strcmp(IDS[i].id, id) == 0)
            return (int)IDS[i].tlp;
    return -1;
}

int kz_stix_tlp_of_marking(const char *id) { return kz__stix_tlp_of_marking(id); }

int kz__stix_tlp_of_refs(const json_t *refs)
{
    int best = -1;
    size_t i;
    json_t *v;
    json_array_foreach(refs, i, v) {
        int t = kz__stix_tlp_of_marking(json_string_value(v));
        if (t > best)
            best = t;
    }
    return best;
}

bool kz__stix_tlp1_definition_ok(const char *id, const json_t *definition)
{
    const char *v = json_string_value(json_object_get(definition, "tlp"));
    for (size_t i = 0; i < KZ_ARRAY_LEN(IDS); i++)
        if (IDS[i].v1 && strcmp(IDS[i].id, id) == 0)
            return v && strcmp(v, IDS[i].v1) == 0;
    return false;
}

const char *kz_stix_tlp_marking_id(kz_tlp t)
{
    for (size_t i = 0; i < KZ_ARRAY_LEN(IDS); i++)
        if (!IDS[i].v1 && IDS[i].tlp == t)
            return IDS[i].id;
    return NULL;
}

json_t *kz_stix_tlp_marking(kz_tlp t)
{
    const char *id = kz_stix_tlp_marking_id(t);
    const char *name = kz_tlp_name(t);
    if (!id || !name)
        return NULL;
    char upper[32] = "TLP:";
    for (size_t i = 0; name[i] && i + 5 < sizeof upper; i++)
        upper[4 + i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
    /* Exactly the objects OASIS publishes, so every producer's copy of a
     * TLP 2.0 marking is the same version of the same object. */
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:{s:s, s:s}}}", "type", "marking-definition",
                     "spec_version", "2.1", "id", id, "created", "2022-10-01T00:00:00.000Z",
                     "name", upper, "extensions", TLP2_EXTENSION, "extension_type",
                     "property-extension", "tlp_2_0", name);
}

/* The TLP 1.0 definitions as the spec prints them, for bundles that
 * reference one without carrying it. */
json_t *kz__stix_tlp1_marking(const char *id)
{
    for (size_t i = 0; i < KZ_ARRAY_LEN(IDS); i++) {
        if (!IDS[i].v1 || strcmp(IDS[i].id, id) != 0)
            continue;
        char upper[16] = "TLP:";
        for (size_t k = 0; IDS[i].v1[k] && k + 5 < sizeof upper; k++)
            upper[4 + k] = (char)(IDS[i].v1[k] - 32);
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s}}", "type", "marking-definition",
                         "spec_version", "2.1", "id", IDS[i].id, "created",
                         "2017-01-20T00:00:00.000Z", "definition_type", "tlp", "name", upper,
                         "definition", "tlp", IDS[i].v1);
    }
    return NULL;
}
