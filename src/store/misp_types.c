/* misp_types.c — MISP's attribute types and categories (the 194 types and 16
 * categories of MISP's describeTypes), and how each maps onto the model.
 *
 * Types the model has a concrete type for (IPs, domains, hashes, ...) are
 * validated and normalised as that type; every other MISP type is accepted
 * and kept as typed text (KZ_IOC_TEXT with the MISP type name kept on the
 * row), so nothing a MISP user wrote is lost. "lenient" types are the ones
 * real MISP data often fills loosely (a "url" holding a file path, a
 * "vulnerability" that is not a CVE id): an invalid value of those becomes
 * typed text with a warning; an invalid value of any other mapped type is
 * an error. Sorted by strcmp for bsearch.
 */
#include "store_int.h"

#include <stdlib.h>

#define C0 "Internal reference"
#define C1 "Targeting data"
#define C2 "Antivirus detection"
#define C3 "Payload delivery"
#define C4 "Artifacts dropped"
#define C5 "Payload installation"
#define C6 "Persistence mechanism"
#define C7 "Network activity"
#define C8 "Payload type"
#define C9 "Attribution"
#define C10 "External analysis"
#define C11 "Financial fraud"
#define C12 "Support Tool"
#define C13 "Social network"
#define C14 "Person"
#define C15 "Other"

static const kz_misp_type_info types[] = {
    {"AS", KZ_IOC_ASN, C7, false, false},
    {"aba-rtn", KZ_IOC_TEXT, C11, true, false},
    {"anonymised", KZ_IOC_TEXT, C15, false, false},
    {"attachment", KZ_IOC_TEXT, C10, false, false},
    {"authentihash", KZ_IOC_TEXT, C3, true, false},
    {"azure-application-id", KZ_IOC_TEXT, C3, true, false},
    {"bank-account-nr", KZ_IOC_TEXT, C11, true, false},
    {"bic", KZ_IOC_TEXT, C11, true, false},
    {"bin", KZ_IOC_TEXT, C11, true, false},
    {"boolean", KZ_IOC_TEXT, C15, false, false},
    {"bro", KZ_IOC_TEXT, C7, true, false},
    {"btc", KZ_IOC_BTC, C11, true, true},
    {"campaign-id", KZ_IOC_TEXT, C9, false, false},
    {"campaign-name", KZ_IOC_TEXT, C9, false, false},
    {"cc-number", KZ_IOC_TEXT, C11, true, false},
    {"cdhash", KZ_IOC_TEXT, C3, true, false},
    {"chrome-extension-id", KZ_IOC_TEXT, C3, true, false},
    {"comment", KZ_IOC_TEXT, C15, false, false},
    {"community-id", KZ_IOC_TEXT, C7, true, false},
    {"cookie", KZ_IOC_TEXT, C7, false, false},
    {"cortex", KZ_IOC_TEXT, C10, false, false},
    {"counter", KZ_IOC_TEXT, C15, false, false},
    {"country-of-residence", KZ_IOC_TEXT, C14, false, false},
    {"cpe", KZ_IOC_TEXT, C10, false, false},
    {"dash", KZ_IOC_TEXT, C11, true, false},
    {"date-of-birth", KZ_IOC_TEXT, C14, false, false},
    {"datetime", KZ_IOC_TEXT, C15, false, false},
    {"dkim", KZ_IOC_TEXT, C7, false, false},
    {"dkim-signature", KZ_IOC_TEXT, C7, false, false},
    {"dns-soa-email", KZ_IOC_EMAIL, C9, false, true},
    {"dom-hash", KZ_IOC_TEXT, C7, true, false},
    {"domain", KZ_IOC_DOMAIN, C7, true, false},
    {"domain|ip", KZ_IOC_DOMAIN_IP, C7, true, false},
    {"edge-extension-id", KZ_IOC_TEXT, C3, true, false},
    {"email", KZ_IOC_EMAIL, C13, true, false},
    {"email-attachment", KZ_IOC_TEXT, C3, true, false},
    {"email-body", KZ_IOC_TEXT, C3, false, false},
    {"email-dst", KZ_IOC_EMAIL, C7, true, false},
    {"email-dst-display-name", KZ_IOC_TEXT, C3, false, false},
    {"email-header", KZ_IOC_TEXT, C3, false, false},
    {"email-message-id", KZ_IOC_TEXT, C3, false, false},
    {"email-mime-boundary", KZ_IOC_TEXT, C3, false, false},
    {"email-reply-to", KZ_IOC_EMAIL, C3, false, true},
    {"email-src", KZ_IOC_EMAIL, C3, true, false},
    {"email-src-display-name", KZ_IOC_TEXT, C3, false, false},
    {"email-subject", KZ_IOC_TEXT, C3, false, false},
    {"email-thread-index", KZ_IOC_TEXT, C3, false, false},
    {"email-x-mailer", KZ_IOC_TEXT, C3, false, false},
    {"eppn", KZ_IOC_TEXT, C7, true, false},
    {"favicon-mmh3", KZ_IOC_TEXT, C7, true, false},
    {"filename", KZ_IOC_FILENAME, C3, true, false},
    {"filename-pattern", KZ_IOC_TEXT, C5, true, false},
    {"filename|authentihash", KZ_IOC_TEXT, C3, true, false},
    {"filename|impfuzzy", KZ_IOC_TEXT, C3, true, false},
    {"filename|imphash", KZ_IOC_TEXT, C3, true, false},
    {"filename|md5", KZ_IOC_FILENAME_HASH, C3, true, false},
    {"filename|pehash", KZ_IOC_TEXT, C3, true, false},
    {"filename|sha1", KZ_IOC_FILENAME_HASH, C3, true, false},
    {"filename|sha224", KZ_IOC_TEXT, C3, true, false},
    {"filename|sha256", KZ_IOC_FILENAME_HASH, C3, true, false},
    {"filename|sha3-224", KZ_IOC_TEXT, C3, true, false},
    {"filename|sha3-256", KZ_IOC_TEXT, C3, true, false},
    {"filename|sha3-384", KZ_IOC_TEXT, C3, true, false},
    {"filename|sha3-512", KZ_IOC_TEXT, C3, true, false},
    {"filename|sha384", KZ_IOC_TEXT, C3, true, false},
    {"filename|sha512", KZ_IOC_FILENAME_HASH, C3, true, false},
    {"filename|sha512/224", KZ_IOC_TEXT, C3, true, false},
    {"filename|sha512/256", KZ_IOC_TEXT, C3, true, false},
    {"filename|ssdeep", KZ_IOC_TEXT, C3, true, false},
    {"filename|tlsh", KZ_IOC_TEXT, C3, true, false},
    {"filename|vhash", KZ_IOC_TEXT, C3, true, false},
    {"first-name", KZ_IOC_TEXT, C14, false, false},
    {"float", KZ_IOC_TEXT, C15, false, false},
    {"frequent-flyer-number", KZ_IOC_TEXT, C14, false, false},
    {"full-name", KZ_IOC_TEXT, C14, false, false},
    {"gender", KZ_IOC_TEXT, C14, false, false},
    {"gene", KZ_IOC_TEXT, C4, false, false},
    {"git-commit-id", KZ_IOC_TEXT, C0, false, false},
    {"github-organisation", KZ_IOC_TEXT, C13, false, false},
    {"github-repository", KZ_IOC_TEXT, C13, false, false},
    {"github-username", KZ_IOC_TEXT, C13, false, false},
    {"hassh-md5", KZ_IOC_TEXT, C7, true, false},
    {"hasshserver-md5", KZ_IOC_TEXT, C7, true, false},
    {"hex", KZ_IOC_TEXT, C15, false, false},
    {"hostname", KZ_IOC_HOSTNAME, C7, true, false},
    {"hostname|port", KZ_IOC_TEXT, C7, true, false},
    {"http-method", KZ_IOC_TEXT, C7, false, false},
    {"iban", KZ_IOC_TEXT, C11, true, false},
    {"identity-card-number", KZ_IOC_TEXT, C14, false, false},
    {"impfuzzy", KZ_IOC_TEXT, C3, true, false},
    {"imphash", KZ_IOC_TEXT, C3, true, false},
    {"integer", KZ_IOC_TEXT, C15, false, false},
    {"ip-dst", KZ_MISP_ANY_IP, C7, true, false},
    {"ip-dst|port", KZ_IOC_IP_PORT, C7, true, false},
    {"ip-src", KZ_MISP_ANY_IP, C7, true, false},
    {"ip-src|port", KZ_IOC_IP_PORT, C7, true, false},
    {"issue-date-of-the-visa", KZ_IOC_TEXT, C14, false, false},
    {"ja3-fingerprint-md5", KZ_IOC_TEXT, C7, true, false},
    {"jabber-id", KZ_IOC_TEXT, C13, false, false},
    {"jarm-fingerprint", KZ_IOC_TEXT, C7, true, false},
    {"kusto-query", KZ_IOC_TEXT, C4, false, false},
    {"last-name", KZ_IOC_TEXT, C14, false, false},
    {"link", KZ_IOC_TEXT, C10, false, false},
    {"mac-address", KZ_IOC_TEXT, C7, false, false},
    {"mac-eui-64", KZ_IOC_TEXT, C7, false, false},
    {"malware-sample", KZ_IOC_TEXT, C3, true, false},
    {"malware-type", KZ_IOC_TEXT, C3, false, false},
    {"md5", KZ_IOC_MD5, C3, true, false},
    {"middle-name", KZ_IOC_TEXT, C14, false, false},
    {"mime-type", KZ_IOC_TEXT, C4, false, false},
    {"mobile-application-id", KZ_IOC_TEXT, C3, true, false},
    {"mutex", KZ_IOC_MUTEX, C4, true, false},
    {"named pipe", KZ_IOC_TEXT, C4, false, false},
    {"nationality", KZ_IOC_TEXT, C14, false, false},
    {"onion-address", KZ_IOC_TEXT, C7, true, false},
    {"other", KZ_IOC_TEXT, C15, false, false},
    {"passenger-name-record-locator-number", KZ_IOC_TEXT, C14, false, false},
    {"passport-country", KZ_IOC_TEXT, C14, false, false},
    {"passport-expiration", KZ_IOC_TEXT, C14, false, false},
    {"passport-number", KZ_IOC_TEXT, C14, false, false},
    {"pattern-in-file", KZ_IOC_TEXT, C5, true, false},
    {"pattern-in-memory", KZ_IOC_TEXT, C5, true, false},
    {"pattern-in-traffic", KZ_IOC_TEXT, C7, true, false},
    {"payment-details", KZ_IOC_TEXT, C14, false, false},
    {"pdb", KZ_IOC_TEXT, C4, false, false},
    {"pehash", KZ_IOC_TEXT, C3, true, false},
    {"pgp-private-key", KZ_IOC_TEXT, C14, false, false},
    {"pgp-public-key", KZ_IOC_TEXT, C14, false, false},
    {"phone-number", KZ_IOC_TEXT, C14, false, false},
    {"place-of-birth", KZ_IOC_TEXT, C14, false, false},
    {"place-port-of-clearance", KZ_IOC_TEXT, C14, false, false},
    {"place-port-of-onward-foreign-destination", KZ_IOC_TEXT, C14, false, false},
    {"place-port-of-original-embarkation", KZ_IOC_TEXT, C14, false, false},
    {"port", KZ_IOC_TEXT, C7, false, false},
    {"primary-residence", KZ_IOC_TEXT, C14, false, false},
    {"process-state", KZ_IOC_TEXT, C4, false, false},
    {"prtn", KZ_IOC_TEXT, C11, true, false},
    {"redress-number", KZ_IOC_TEXT, C14, false, false},
    {"regkey", KZ_IOC_REGKEY, C6, true, false},
    {"regkey|value", KZ_IOC_TEXT, C6, true, false},
    {"sha1", KZ_IOC_SHA1, C3, true, false},
    {"sha224", KZ_IOC_TEXT, C3, true, false},
    {"sha256", KZ_IOC_SHA256, C3, true, false},
    {"sha3-224", KZ_IOC_TEXT, C3, true, false},
    {"sha3-256", KZ_IOC_TEXT, C3, true, false},
    {"sha3-384", KZ_IOC_TEXT, C3, true, false},
    {"sha3-512", KZ_IOC_TEXT, C3, true, false},
    {"sha384", KZ_IOC_TEXT, C3, true, false},
    {"sha512", KZ_IOC_SHA512, C3, true, false},
    {"sha512/224", KZ_IOC_TEXT, C3, true, false},
    {"sha512/256", KZ_IOC_TEXT, C3, true, false},
    {"sigma", KZ_IOC_TEXT, C5, true, false},
    {"size-in-bytes", KZ_IOC_TEXT, C15, false, false},
    {"snort", KZ_IOC_TEXT, C7, true, false},
    {"special-service-request", KZ_IOC_TEXT, C14, false, false},
    {"ssdeep", KZ_IOC_TEXT, C3, true, false},
    {"ssh-fingerprint", KZ_IOC_TEXT, C7, false, false},
    {"stix2-pattern", KZ_IOC_TEXT, C5, true, false},
    {"suricata", KZ_IOC_TEXT, C7, true, false},
    {"target-email", KZ_IOC_EMAIL, C1, false, true},
    {"target-external", KZ_IOC_TEXT, C1, false, false},
    {"target-location", KZ_IOC_TEXT, C1, false, false},
    {"target-machine", KZ_IOC_TEXT, C1, false, false},
    {"target-org", KZ_IOC_TEXT, C1, false, false},
    {"target-user", KZ_IOC_TEXT, C1, false, false},
    {"telfhash", KZ_IOC_TEXT, C3, true, false},
    {"text", KZ_IOC_TEXT, C15, false, false},
    {"threat-actor", KZ_IOC_TEXT, C9, false, false},
    {"tlsh", KZ_IOC_TEXT, C3, true, false},
    {"travel-details", KZ_IOC_TEXT, C14, false, false},
    {"twitter-id", KZ_IOC_TEXT, C13, false, false},
    {"uri", KZ_IOC_TEXT, C7, true, false},
    {"url", KZ_IOC_URL, C7, true, true},
    {"user-agent", KZ_IOC_USER_AGENT, C7, false, false},
    {"uuid", KZ_IOC_TEXT, C15, false, false},
    {"vhash", KZ_IOC_TEXT, C3, true, false},
    {"visa-number", KZ_IOC_TEXT, C14, false, false},
    {"vulnerability", KZ_IOC_CVE, C10, false, true},
    {"weakness", KZ_IOC_TEXT, C10, false, false},
    {"whois-creation-date", KZ_IOC_TEXT, C9, false, false},
    {"whois-registrant-email", KZ_IOC_EMAIL, C9, false, true},
    {"whois-registrant-name", KZ_IOC_TEXT, C9, false, false},
    {"whois-registrant-org", KZ_IOC_TEXT, C9, false, false},
    {"whois-registrant-phone", KZ_IOC_TEXT, C9, false, false},
    {"whois-registrar", KZ_IOC_TEXT, C9, false, false},
    {"windows-scheduled-task", KZ_IOC_TEXT, C4, false, false},
    {"windows-service-displayname", KZ_IOC_TEXT, C4, false, false},
    {"windows-service-name", KZ_IOC_TEXT, C4, false, false},
    {"x509-fingerprint-md5", KZ_IOC_TEXT, C7, true, false},
    {"x509-fingerprint-sha1", KZ_IOC_TEXT, C7, true, false},
    {"x509-fingerprint-sha256", KZ_IOC_TEXT, C7, true, false},
    {"xmr", KZ_IOC_TEXT, C11, true, false},
    {"yara", KZ_IOC_TEXT, C5, true, false},
    {"zeek", KZ_IOC_TEXT, C7, true, false},
};

static const char *const categories[] = {
    C0,
    C1,
    C2,
    C3,
    C4,
    C5,
    C6,
    C7,
    C8,
    C9,
    C10,
    C11,
    C12,
    C13,
    C14,
    C15,
};

static int cmp_name(const void *k, const void *e)
{
    return strcmp((const char *)k, ((const kz_misp_type_info *)e)->name);
}

const kz_misp_type_info *kz_misp_type_find(const char *name)
{
    if (!name)
        return NULL;
    return bsearch(name, types, KZ_ARRAY_LEN(types), sizeof types[0], cmp_name);
}

const char *kz_misp_category_find(const char *name)
{
    for (size_t i = 0; name && i < KZ_ARRAY_LEN(categories); i++)
        if (strcmp(name, categories[i]) == 0)
            return categories[i];
    return NULL;
}

/* filename|hash keeps no hash kind: the length of the hash tells it. */
static const char *filename_hash_type(const char *v)
{
    const char *bar = v ? strrchr(v, '|') : NULL;
    size_t n = bar ? strlen(bar + 1) : 0;
    switch (n) {
    case 32: return "filename|md5";
    case 40: return "filename|sha1";
    case 128: return "filename|sha512";
    default: return "filename|sha256";
    }
}

const char *kz_misp_default_type(const kz_indicator *ind)
{
    switch (ind->type) {
    case KZ_IOC_IPV4: case KZ_IOC_IPV6: case KZ_IOC_CIDR: return "ip-dst";
    case KZ_IOC_DOMAIN: return "domain";
    case KZ_IOC_HOSTNAME: return "hostname";
    case KZ_IOC_URL: return "url";
    case KZ_IOC_EMAIL: return "email";
    case KZ_IOC_MD5: return "md5";
    case KZ_IOC_SHA1: return "sha1";
    case KZ_IOC_SHA256: return "sha256";
    case KZ_IOC_SHA512: return "sha512";
    case KZ_IOC_FILENAME: return "filename";
    case KZ_IOC_FILENAME_HASH: return filename_hash_type(ind->value);
    case KZ_IOC_IP_PORT: return "ip-dst|port";
    case KZ_IOC_DOMAIN_IP: return "domain|ip";
    case KZ_IOC_ASN: return "AS";
    case KZ_IOC_CVE: return "vulnerability";
    case KZ_IOC_BTC: return "btc";
    case KZ_IOC_USER_AGENT: return "user-agent";
    case KZ_IOC_MUTEX: return "mutex";
    case KZ_IOC_REGKEY: return "regkey";
    default: return "text";
    }
}
