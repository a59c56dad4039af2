/* cmd_contact.c — `kizuna contact add|list|verify|remove|stale-days`: the
 * points-of-contact directory from the node operator's shell. Values go
 * through the same validation as the REST API (http/notify_contact.c), so
 * both accept and refuse the same phone numbers, fingerprints, language
 * tags and time zones.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "http/http.h"

#define DAY_US 86400000000LL

static const cli_opt add_opts[] = {
    CLI_OPT_DB,
    {"org", CLI_VALUE, "ORG", "the organisation (name or id)"},
    {"name", CLI_VALUE, "NAME", "who: a desk (\"SOC duty officer\") or a person"},
    {"phone", CLI_VALUE, "PHONE", "24/7 phone in international form (+66 2 123 4567)"},
    {"email", CLI_VALUE, "EMAIL", "24/7 e-mail address"},
    {"pgp", CLI_VALUE, "FINGERPRINT", "PGP key fingerprint (40 hex digits)"},
    {"language", CLI_MULTI, "TAG", "a language spoken (BCP 47: en, th, zh-Hant)"},
    {"timezone", CLI_VALUE, "ZONE", "IANA time zone (Asia/Bangkok)"},
    {"escalation", CLI_VALUE, "N", "escalation order, 1 = call first (default 1)"},
    {"verified", CLI_VALUE, "DATE", "when the entry was last verified (default now)"},
    {0},
};
static const cli_spec add_spec = {
    "contact add", "--org ORG --name NAME (--phone PHONE | --email EMAIL) [options]",
    "Adds an incident contact of an organisation and prints its id.", add_opts, 0, 0,
};

static int stale_days(kz_store *st, const cli_args *args, kz_arena *a, long *out)
{
    *out = KZ_CONTACT_STALE_DAYS;
    char *meta = NULL;
    kz_err err;
    if (kz_store_meta_get(st, "contacts.stale_days", a, &meta, &err) == 0 && meta)
        *out = strtol(meta, NULL, 10) > 0 ? strtol(meta, NULL, 10) : KZ_CONTACT_STALE_DAYS;
    uint64_t v;
    if (cli_get_uint(args, "stale-days", (uint64_t)*out, 1, 36500, &v))
        return CLI_USAGE;
    *out = (long)v;
    return CLI_OK;
}

static int contact_add(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&add_spec, argc, argv, &args, &rc))
        return rc;
    const char *org = cli_need(&args, "org");
    const char *name = org ? cli_need(&args, "name") : NULL;
    kz_store *st = NULL;
    if (!org || !name || (rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_args_free(&args);
        return org && name ? rc : CLI_USAGE;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_org o;
    uint64_t esc = 1;
    if ((rc = cli_org_resolve(st, org, &a, &o)) == CLI_OK &&
        cli_get_uint(&args, "escalation", 1, 1, 99, &esc))
        rc = CLI_USAGE;
    if (rc == CLI_OK) {
        json_t *j = json_object();
        json_object_set_new(j, "name", json_string(name));
        static const struct { const char *opt, *field; } map[] = {
            {"phone", "phone"}, {"email", "email"}, {"pgp", "pgp_fingerprint"},
            {"timezone", "timezone"}, {"verified", "last_verified"}};
        for (size_t i = 0; i < KZ_ARRAY_LEN(map); i++) {
            const char *v = cli_get(&args, map[i].opt, NULL);
            if (v)
                json_object_set_new(j, map[i].field, json_string(v));
        }
        const kz_strlist *langs = cli_multi(&args, "language");
        json_t *l = json_array();
        for (size_t i = 0; i < langs->n; i++)
            json_array_append_new(l, json_string(langs->v[i]));
        json_object_set_new(j, "languages", l);
        json_object_set_new(j, "escalation", json_integer((json_int_t)esc));
        kz_contact c;
        memset(&c, 0, sizeof c);
        kz_err err = {0};
        int r = kz_contact_json_apply(j, true, &a, &c, &err);
        json_decref(j);
        if (r == 0) {
            memcpy(c.org_id, o.id, sizeof c.org_id);
            kz_uuid_v7(c.id);
            c.created = c.modified = kz_time_now();
            if (!c.last_verified)
                c.last_verified = c.created;
            r = kz_store_contact_put(st, &c, &err);
        }
        if (r != 0) {
            cli_report("contact", &err);
            rc = CLI_FAIL;
        } else {
            cli_audit(st, c.org_id, NULL, "contact add", "contact", c.id, -1);
            printf("%s\n", c.id);
        }
    }
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

static const cli_opt list_opts[] = {
    CLI_OPT_DB,
    CLI_OPT_JSON,
    {"org", CLI_VALUE, "ORG", "only this organisation's contacts (name or id)"},
    {"country", CLI_VALUE, "CC", "only contacts of organisations in this country (JP, SG, ...)"},
    {"stale", CLI_FLAG, NULL, "only entries not verified within the stale time"},
    {"stale-days", CLI_VALUE, "N",
     "days after which an entry is stale (default: the node's setting, else 180)"},
    {0},
};
static const cli_spec list_spec = {
    "contact list", "[--org ORG] [--country CC] [--stale] [--stale-days N] [--json]",
    "Lists incident contacts by organisation and escalation order; STALE marks\n"
    "entries not verified within the stale time.",
    list_opts, 0, 0,
};

static int contact_list(int argc, char **argv)
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
    long days = 0;
    kz_contact_filter f = {0};
    kz_org o;
    char cc[3];
    const char *org = cli_get(&args, "org", NULL), *country = cli_get(&args, "country", NULL);
    rc = stale_days(st, &args, &a, &days);
    if (rc == CLI_OK && org && (rc = cli_org_resolve(st, org, &a, &o)) == CLI_OK)
        f.org_id = o.id;
    if (rc == CLI_OK && country) {
        if (!kz_country_normalize(country, cc)) {
            cli_error("--country: '%s' is not an ISO 3166-1 alpha-2 code (JP, SG, ...)", country);
            rc = CLI_USAGE;
        }
        f.country = cc;
    }
    kz_time before = kz_time_now() - days * DAY_US;
    if (cli_flag(&args, "stale"))
        f.stale_before = before;
    kz_contact *v = NULL;
    size_t n = 0;
    kz_err err = {0};
    if (rc == CLI_OK && kz_store_contact_list(st, &f, &a, &v, &n, &err) != 0) {
        cli_report("cannot list contacts", &err);
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK && cli_flag(&args, "json")) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, kz_contact_json(&v[i], before));
        rc = cli_print_json(stdout, arr, true);
    } else if (rc == CLI_OK) {
        for (size_t i = 0; i < n; i++) {
            kz_org co;
            memset(&co, 0, sizeof co);
            kz_err e2;
            const char *oname = kz_store_org_get(st, v[i].org_id, &a, &co, &e2) == 0 ? co.name : "?";
            char lv[KZ_TIME_STRLEN + 1];
            kz_time_format(v[i].last_verified, lv);
            lv[10] = 0;
            printf("%s  %s (%s)  #%d  %s", v[i].id, oname, co.country, v[i].escalation, v[i].name);
            if (v[i].phone)
                printf("  %s", v[i].phone);
            if (v[i].email)
                printf("  %s", v[i].email);
            if (v[i].timezone)
                printf("  %s", v[i].timezone);
            printf("  verified %s%s\n", lv, v[i].last_verified < before ? "  STALE" : "");
        }
    }
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

static const cli_opt id_opts[] = {CLI_OPT_DB, {0}};
static const cli_spec verify_spec = {
    "contact verify", "ID", "Marks a contact as verified now (someone answered).", id_opts, 1, 1,
};
static const cli_spec remove_spec = {"contact remove", "ID", "Removes a contact.", id_opts, 1, 1};

static int contact_by_id(const cli_spec *spec, bool remove, int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(spec, argc, argv, &args, &rc))
        return rc;
    kz_uuid id;
    if (!kz_uuid_normalize(args.pos.v[0], id)) {
        cli_error("'%s' is not a contact id (see 'kizuna contact list')", args.pos.v[0]);
        cli_args_free(&args);
        return CLI_FAIL;
    }
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_err err = {0};
    kz_contact c;
    int r;
    if (remove) {
        r = kz_store_contact_delete(st, id, &err);
    } else if ((r = kz_store_contact_get(st, id, &a, &c, &err)) == 0) {
        c.last_verified = c.modified = kz_time_now();
        r = kz_store_contact_update(st, &c, &err);
    }
    if (r != 0) {
        cli_report("contact", &err);
        rc = CLI_FAIL;
    } else {
        cli_audit(st, remove ? NULL : c.org_id, NULL, remove ? "contact remove" : "contact verify",
                  "contact", id, -1);
    }
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

static int contact_verify(int argc, char **argv) { return contact_by_id(&verify_spec, false, argc, argv); }
static int contact_remove(int argc, char **argv) { return contact_by_id(&remove_spec, true, argc, argv); }

static const cli_spec days_spec = {
    "contact stale-days", "N",
    "Sets after how many days (1-36500) an unverified contact is flagged stale\n"
    "(default 180); the API and 'contact list' use it.",
    id_opts, 1, 1,
};

static int contact_stale_days(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&days_spec, argc, argv, &args, &rc))
        return rc;
    char *end;
    long d = strtol(args.pos.v[0], &end, 10);
    if (!*args.pos.v[0] || *end || d < 1 || d > 36500) {
        rc = cli_usage_error(&days_spec, "'%s' is not a number of days from 1 to 36500",
                             args.pos.v[0]);
        cli_args_free(&args);
        return rc;
    }
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) == CLI_OK) {
        char v[24];
        snprintf(v, sizeof v, "%ld", d);
        kz_err err = {0};
        if (kz_store_meta_set(st, "contacts.stale_days", v, &err) != 0) {
            cli_report("contact stale-days", &err);
            rc = CLI_FAIL;
        }
        kz_store_close(st);
    }
    cli_args_free(&args);
    return rc;
}

int cli_cmd_contact(int argc, char **argv)
{
    static const cli_sub subs[] = {
        {"add", contact_add, "add an incident contact of an organisation"},
        {"list", contact_list, "list contacts (by org, country; stale ones flagged)"},
        {"verify", contact_verify, "mark a contact as verified now"},
        {"remove", contact_remove, "remove a contact"},
        {"stale-days", contact_stale_days, "set after how many days a contact is stale"},
        {0},
    };
    return cli_dispatch("contact", "Points of contact: each organisation's incident contacts.",
                        subs, argc, argv);
}
