/* cmd_peer.c — `kizuna peer add|list|remove|pause|resume|set-key`: the
 * nodes this node federates with (docs/federation.md); `peer set` changes
 * direction, interval and TLP ceiling.
 *
 * Adding a peer asks its public node record (GET /api/v1/sync/node) and
 * checks that the key it answers is the one the operator verified out of
 * band (--public-key): the org record that comes with it is signed by that
 * key, so the peer's org is created here with its real id and is homed on
 * the peer — only the peer's node may change that org's objects here.
 * Offline peers (bundles only) give their org with --org (an org already on
 * this node, or --org ID --org-name NAME --country CC to record it).
 */
#include "cli.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "sync/sync.h"

static const cli_opt add_opts[] = {
    CLI_OPT_DB,
    {"public-key", CLI_VALUE, "HEX", "the peer node's Ed25519 public key (64 hex), verified "
                                     "out of band ('kizuna node show' on the peer)"},
    {"org", CLI_VALUE, "ORG", "the peer's org (id or name) instead of asking the peer; required "
                              "with URL 'offline'"},
    {"org-name", CLI_VALUE, "NAME", "with --org ID: record the peer's org under this name"},
    {"country", CLI_VALUE, "CC", "with --org-name: the org's country"},
    {"direction", CLI_VALUE, "DIR", "pull, push or both (default both)"},
    {"api-key-file", CLI_VALUE, "FILE", "file whose first line is this node's API key at the "
                                        "peer (a 'sync' user of our org there)"},
    {"tag", CLI_MULTI, "TAG", "send only events with one of these tags"},
    {"type", CLI_MULTI, "TYPE", "send only indicators of these types"},
    {"org-filter", CLI_MULTI, "ORG", "send only events created by these orgs"},
    {"tlp-ceiling", CLI_VALUE, "TLP", "send nothing above this TLP (default amber+strict; red "
                                      "never leaves)"},
    {"published-only", CLI_FLAG, NULL, "send only published events (always the case: "
                                       "unpublished events never leave the node)"},
    {"interval", CLI_VALUE, "S", "pull every S seconds (default 300; 0 = only 'sync now')"},
    {"relay", CLI_FLAG, NULL, "the peer is a hub: it may introduce the keys of orgs whose "
                              "events it relays (default: trust only the peer's own org)"},
    {0},
};
static const cli_spec add_spec = {
    "peer add", "NAME URL --public-key HEX [options]",
    "Adds a peer node. URL is https://HOST[:PORT] (http:// only to loopback), or 'offline'\n"
    "for a partner reached only by bundles (then give --org).",
    add_opts, 2, 2,
};

static int read_key_file(const char *path, char *out, size_t max)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        cli_error("cannot read the API key file '%s'", path);
        return CLI_FAIL;
    }
    char *line = fgets(out, (int)max, f);
    fclose(f);
    size_t n = line ? strcspn(out, "\r\n") : 0;
    out[n] = '\0';
    if (n == 0) {
        cli_error("the API key file '%s' is empty", path);
        return CLI_FAIL;
    }
    return CLI_OK;
}

typedef struct key_ctx {
    const uint8_t *key;
} key_ctx;

static bool exact_key(void *ctx, const char *org_id, const uint8_t key[32])
{
    (void)org_id;
    return sodium_memcmp(((key_ctx *)ctx)->key, key, 32) == 0;
}

/* Asks the peer who it is, checks its key, and records its org. */
static int org_from_peer(kz_store *st, const char *url, const uint8_t pk[32], kz_arena *a,
                         kz_uuid org_id)
{
    kz_err err = {0};
    json_t *node = NULL;
    if (kz_sync_fetch_node(url, &node, &err) != 0) {
        cli_report("peer add", &err);
        return CLI_FAIL;
    }
    const char *hex = json_string_value(json_object_get(node, "public_key"));
    uint8_t got[32];
    char want[65];
    kz_sync_key_format(pk, want);
    if (!hex || kz_sync_key_parse(hex, got, &err) != 0 || sodium_memcmp(got, pk, 32) != 0) {
        cli_error("the node at %s has public key %.64s, not the one you verified (%s); "
                  "nothing was added", url, hex ? hex : "(none)", want);
        json_decref(node);
        return CLI_FAIL;
    }
    key_ctx kc = {pk};
    kz_sync_object o;
    int rc = kz_sync_envelope_open(json_object_get(node, "org"), exact_key, &kc, a, &o, &err);
    if (rc == 0 && o.kind != KZ_SYNC_ORG)
        rc = kz_fail(&err, KZ_E_INVALID, "org", "the node record holds no org envelope");
    kz_node_identity me;
    if (rc == 0 && kz_sync_identity_load(st, &me, &err) == 0) {
        bool mine = sodium_memcmp(me.public_key, pk, 32) == 0 || strcmp(me.org_id, o.org.id) == 0;
        kz_sync_identity_clear(&me);
        if (mine)
            rc = kz_fail(&err, KZ_E_VALUE, "url", "%s is this node itself, not a peer", url);
    }
    if (rc == 0)
        rc = kz_store_sync_org_put(st, &o.org, &err);
    if (rc == 0)
        rc = kz_store_org_key_set(st, o.org.id, pk, NULL, &err);
    if (rc == 0) {
        /* Kept like any received envelope, so it can be relayed. */
        char *text = json_dumps(json_object_get(node, "org"), JSON_COMPACT);
        rc = text ? kz_store_envelope_keep(st, o.org.id, "org", o.org.modified, o.signer_fp, text,
                                           strlen(text), NULL, &err)
                  : kz_fail(&err, KZ_E_NOMEM, "", "out of memory");
        free(text);
    }
    json_decref(node);
    if (rc != 0) {
        cli_report("peer add", &err);
        return CLI_FAIL;
    }
    snprintf(org_id, sizeof(kz_uuid), "%s", o.org.id);
    return CLI_OK;
}

static int org_given(kz_store *st, const cli_args *args, const uint8_t pk[32], kz_arena *a,
                     kz_uuid org_id)
{
    const char *org = cli_get(args, "org", NULL), *name = cli_get(args, "org-name", NULL);
    kz_err err = {0};
    kz_org o;
    if (name) {
        memset(&o, 0, sizeof o);
        if (!kz_uuid_normalize(org, o.id)) {
            cli_error("--org-name needs --org to be the peer org's id (a UUID), not '%s'", org);
            return CLI_USAGE;
        }
        const char *cc = cli_get(args, "country", NULL);
        if (!cc || !kz_country_normalize(cc, o.country)) {
            cli_error("--org-name needs --country CC (ISO 3166-1 alpha-2)");
            return CLI_USAGE;
        }
        o.name = (char *)name;
        o.type = KZ_ORG_NATIONAL_CERT;
        o.created = o.modified = kz_time_now();
        if (kz_store_sync_org_put(st, &o, &err) != 0) {
            cli_report("peer add", &err);
            return CLI_FAIL;
        }
    } else if (cli_org_resolve(st, org, a, &o) != CLI_OK) {
        return CLI_FAIL;
    }
    kz_node_identity me;
    if (kz_sync_identity_load(st, &me, &err) == 0) {
        bool mine = strcmp(me.org_id, o.id) == 0;
        kz_sync_identity_clear(&me);
        if (mine) {
            cli_error("'%s' is this node's own organisation, not a peer's", o.name);
            return CLI_FAIL;
        }
    }
    if (kz_store_org_key_set(st, o.id, pk, NULL, &err) != 0) {
        cli_report("peer add", &err);
        return CLI_FAIL;
    }
    snprintf(org_id, sizeof(kz_uuid), "%s", o.id);
    return CLI_OK;
}

static int peer_add(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&add_spec, argc, argv, &args, &rc))
        return rc;
    const char *name = args.pos.v[0], *url = args.pos.v[1];
    const char *hex = cli_need(&args, "public-key");
    kz_err err = {0};
    kz_peer p = {0};
    uint64_t interval = 300;
    bool offline = strcmp(url, "offline") == 0;
    if (!hex || cli_get_uint(&args, "interval", 300, 0, 86400 * 30, &interval)) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    if (kz_sync_key_parse(hex, p.public_key, &err) != 0) {
        cli_report("--public-key", &err);
        cli_args_free(&args);
        return CLI_USAGE;
    }
    if (!offline && kz_sync_url_check(url, &err) != 0) {
        cli_report(NULL, &err);
        cli_args_free(&args);
        return CLI_USAGE;
    }
    if (offline && !cli_get(&args, "org", NULL)) {
        cli_error("an offline peer needs --org (its organisation)");
        cli_args_free(&args);
        return CLI_USAGE;
    }
    const char *dir = cli_get(&args, "direction", "both");
    p.direction = strcmp(dir, "pull") == 0   ? KZ_PEER_PULL
                  : strcmp(dir, "push") == 0 ? KZ_PEER_PUSH
                  : strcmp(dir, "both") == 0 ? KZ_PEER_BOTH
                                             : 0;
    int tlp = kz_tlp_parse(cli_get(&args, "tlp-ceiling", "amber+strict"));
    if (!p.direction || tlp < 0) {
        cli_error(!p.direction ? "--direction must be pull, push or both, not '%s'"
                               : "--tlp-ceiling must be clear, green, amber, amber+strict or red, "
                                 "not '%s'",
                  !p.direction ? dir : cli_get(&args, "tlp-ceiling", ""));
        cli_args_free(&args);
        return CLI_USAGE;
    }
    p.tlp_ceiling = (kz_tlp)tlp;
    p.published_only = true;
    p.relay = cli_flag(&args, "relay");
    p.pull_interval = offline ? 0 : (int)interval;
    p.name = (char *)name;
    p.url = (char *)url;
    char key[300] = "";
    const char *kf = cli_get(&args, "api-key-file", NULL);
    if (kf && read_key_file(kf, key, sizeof key) != CLI_OK) {
        cli_args_free(&args);
        return CLI_FAIL;
    }
    p.api_key = key;
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    kz_arena a;
    kz_arena_init(&a);
    const kz_strlist *tags = cli_multi(&args, "tag"), *types = cli_multi(&args, "type"),
                     *orgs = cli_multi(&args, "org-filter");
    for (size_t i = 0; rc == CLI_OK && tags && i < tags->n; i++)
        kz_strlist_push(&a, &p.filter_tags, tags->v[i]);
    for (size_t i = 0; rc == CLI_OK && types && i < types->n; i++) {
        int t = kz_ioc_type_parse(types->v[i]);
        if (t < 0) {
            cli_error("--type '%s' is not an indicator type", types->v[i]);
            rc = CLI_USAGE;
        } else {
            kz_strlist_push(&a, &p.filter_types, kz_ioc_type_name((kz_ioc_type)t));
        }
    }
    for (size_t i = 0; rc == CLI_OK && orgs && i < orgs->n; i++) {
        kz_org o;
        if ((rc = cli_org_resolve(st, orgs->v[i], &a, &o)) == CLI_OK)
            kz_strlist_push(&a, &p.filter_orgs, o.id);
    }
    if (rc == CLI_OK && kz_store_begin(st, &err) != 0) {
        cli_report(NULL, &err);
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK) {
        rc = cli_get(&args, "org", NULL) ? org_given(st, &args, p.public_key, &a, p.org_id)
                                         : org_from_peer(st, url, p.public_key, &a, p.org_id);
        kz_uuid_v4(p.id);
        if (rc == CLI_OK && kz_store_peer_put(st, &p, &err) != 0) {
            cli_report("peer add", &err);
            rc = CLI_FAIL;
        }
        if (rc == CLI_OK && kz_store_commit(st, &err) != 0) {
            cli_report(NULL, &err);
            rc = CLI_FAIL;
        } else if (rc != CLI_OK) {
            kz_store_rollback(st);
        }
    }
    if (rc == CLI_OK)
        printf("%s\t%s\n", p.id, p.org_id);
    sodium_memzero(key, sizeof key);
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

static const char *dir_name(kz_peer_direction d)
{
    return d == KZ_PEER_PULL ? "pull" : d == KZ_PEER_PUSH ? "push" : "both";
}

static json_t *strlist_json(const kz_strlist *l)
{
    json_t *a = json_array();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(a, json_string(l->v[i]));
    return a;
}

static const cli_opt list_opts[] = {CLI_OPT_DB, CLI_OPT_JSON, {0}};
static const cli_spec list_spec = {
    "peer list", "[--json]", "Lists the peers, their cursors and last errors (never API keys).",
    list_opts, 0, 0,
};

static int peer_list(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&list_spec, argc, argv, &args, &rc))
        return rc;
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_peer *v = NULL;
    size_t n = 0;
    kz_err err = {0};
    if (kz_store_peer_list(st, &a, &v, &n, &err) != 0) {
        cli_report(NULL, &err);
        rc = CLI_FAIL;
    } else if (cli_flag(&args, "json")) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            char pk[65], ls[40] = "";
            kz_sync_key_format(v[i].public_key, pk);
            if (v[i].last_sync)
                kz_time_format(v[i].last_sync, ls);
            json_array_append_new(
                arr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:s,s:o,s:o,s:o,s:i,s:I,s:I,s:s?,s:s?}",
                               "id", v[i].id, "name", v[i].name, "url", v[i].url, "org_id",
                               v[i].org_id, "public_key", pk, "direction",
                               dir_name(v[i].direction), "paused", v[i].paused, "relay", v[i].relay, "tlp_ceiling",
                               kz_tlp_name(v[i].tlp_ceiling), "filter_tags",
                               strlist_json(&v[i].filter_tags), "filter_types",
                               strlist_json(&v[i].filter_types), "filter_orgs",
                               strlist_json(&v[i].filter_orgs), "interval", v[i].pull_interval,
                               "pulled_cursor", (json_int_t)v[i].pulled_cursor, "pushed_cursor",
                               (json_int_t)v[i].pushed_cursor, "last_sync",
                               v[i].last_sync ? ls : NULL, "last_error", v[i].last_error));
        }
        rc = cli_print_json(stdout, arr, true);
    } else {
        printf("%-20s %-6s %-7s %10s %10s  %s\n", "NAME", "DIR", "STATE", "PULLED", "PUSHED",
               "URL / LAST ERROR");
        for (size_t i = 0; i < n; i++)
            printf("%-20s %-6s %-7s %10lld %10lld  %s%s%s\n", v[i].name, dir_name(v[i].direction),
                   v[i].paused ? "paused" : v[i].relay ? "relay" : "active", (long long)v[i].pulled_cursor,
                   (long long)v[i].pushed_cursor, v[i].url, v[i].last_error ? "  error: " : "",
                   v[i].last_error ? v[i].last_error : "");
    }
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

static const cli_opt one_opts[] = {CLI_OPT_DB, {0}};
static const cli_spec remove_spec = {"peer remove", "PEER", "Removes a peer (by name or id).",
                                     one_opts, 1, 1};
static const cli_spec pause_spec = {"peer pause", "PEER",
                                    "Stops syncing with a peer (its requests are refused too).",
                                    one_opts, 1, 1};
static const cli_spec resume_spec = {"peer resume", "PEER", "Resumes syncing with a peer.",
                                     one_opts, 1, 1};
static const cli_opt key_opts[] = {
    CLI_OPT_DB,
    {"api-key-file", CLI_VALUE, "FILE", "file whose first line is the API key at the peer"},
    {0},
};
static const cli_spec key_spec = {"peer set-key", "PEER --api-key-file FILE",
                                  "Sets the API key this node uses at the peer (sealed at rest).",
                                  key_opts, 1, 1};

static int peer_one(const cli_spec *spec, int argc, char **argv, int what)
{
    cli_args args;
    int rc;
    if (!cli_parse(spec, argc, argv, &args, &rc))
        return rc;
    char key[300] = "";
    if (what == 3) {
        const char *kf = cli_need(&args, "api-key-file");
        if (!kf || read_key_file(kf, key, sizeof key) != CLI_OK) {
            cli_args_free(&args);
            return kf ? CLI_FAIL : CLI_USAGE;
        }
    }
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_peer p;
    kz_err err = {0};
    int r = kz_store_peer_get(st, args.pos.v[0], &a, &p, &err);
    if (r == 0)
        r = what == 0   ? kz_store_peer_delete(st, p.id, &err)
            : what == 3 ? kz_store_peer_set_key(st, p.id, key, &err)
                        : kz_store_peer_set_paused(st, p.id, what == 1, &err);
    if (r != 0) {
        cli_report(NULL, &err);
        rc = CLI_FAIL;
    }
    sodium_memzero(key, sizeof key);
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

static const cli_opt set_opts[] = {
    CLI_OPT_DB,
    {"direction", CLI_VALUE, "DIR", "pull, push or both"},
    {"interval", CLI_VALUE, "S", "pull every S seconds (0 = only 'sync now')"},
    {"tlp-ceiling", CLI_VALUE, "TLP", "send nothing above this TLP"},
    {"relay", CLI_VALUE, "on|off", "whether the peer is a hub that may introduce the keys of "
                                   "orgs whose events it relays"},
    {0},
};
static const cli_spec set_spec = {
    "peer set", "PEER [--direction DIR] [--interval S] [--tlp-ceiling TLP] [--relay on|off]",
    "Changes how this node syncs with a peer; cursors are kept.", set_opts, 1, 1,
};

static int peer_set(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&set_spec, argc, argv, &args, &rc))
        return rc;
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_peer p;
    kz_err err = {0};
    uint64_t interval = 0;
    if (kz_store_peer_get(st, args.pos.v[0], &a, &p, &err) != 0) {
        cli_report(NULL, &err);
        rc = CLI_FAIL;
    } else if (cli_get_uint(&args, "interval", (uint64_t)p.pull_interval, 0, 86400 * 30,
                            &interval)) {
        rc = CLI_USAGE;
    }
    if (rc == CLI_OK) {
        const char *dir = cli_get(&args, "direction", NULL);
        const char *tlp_s = cli_get(&args, "tlp-ceiling", NULL);
        int tlp = tlp_s ? kz_tlp_parse(tlp_s) : (int)p.tlp_ceiling;
        kz_peer_direction d = !dir                      ? p.direction
                              : strcmp(dir, "pull") == 0 ? KZ_PEER_PULL
                              : strcmp(dir, "push") == 0 ? KZ_PEER_PUSH
                              : strcmp(dir, "both") == 0 ? KZ_PEER_BOTH
                                                         : (kz_peer_direction)0;
        if (!d || tlp < 0) {
            cli_error(!d ? "--direction must be pull, push or both, not '%s'"
                         : "--tlp-ceiling must be a TLP level, not '%s'",
                      !d ? dir : tlp_s);
            rc = CLI_USAGE;
        } else if (kz_store_peer_configure(st, p.id, d, (int)interval, (kz_tlp)tlp, &err) != 0) {
            cli_report(NULL, &err);
            rc = CLI_FAIL;
        }
        const char *relay = cli_get(&args, "relay", NULL);
        if (rc == CLI_OK && relay && strcmp(relay, "on") != 0 && strcmp(relay, "off") != 0) {
            cli_error("--relay must be on or off, not '%s'", relay);
            rc = CLI_USAGE;
        } else if (rc == CLI_OK && relay &&
                   kz_store_peer_set_relay(st, p.id, strcmp(relay, "on") == 0, &err) != 0) {
            cli_report(NULL, &err);
            rc = CLI_FAIL;
        }
    }
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

static int peer_remove(int argc, char **argv) { return peer_one(&remove_spec, argc, argv, 0); }
static int peer_pause(int argc, char **argv) { return peer_one(&pause_spec, argc, argv, 1); }
static int peer_resume(int argc, char **argv) { return peer_one(&resume_spec, argc, argv, 2); }
static int peer_set_key(int argc, char **argv) { return peer_one(&key_spec, argc, argv, 3); }

int cli_cmd_peer(int argc, char **argv)
{
    static const cli_sub subs[] = {
        {"add", peer_add, "add a peer node (its key verified out of band)"},
        {"list", peer_list, "list peers, cursors and last errors"},
        {"set", peer_set, "change a peer's direction, interval or TLP ceiling"},
        {"remove", peer_remove, "remove a peer"},
        {"pause", peer_pause, "stop syncing with a peer"},
        {"resume", peer_resume, "resume syncing with a peer"},
        {"set-key", peer_set_key, "set the API key used at a peer"},
        {0},
    };
    return cli_dispatch("peer", "Peers: the nodes this node federates with (docs/federation.md).",
                        subs, argc, argv);
}
