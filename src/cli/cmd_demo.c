/* cmd_demo.c — `kizuna demo seed`: the demo community `make run` starts
 * with. The ten ASEAN national CERTs, their partners in Japan, Korea, the US
 * and Australia, one (invented) security company and one (invented) NGO,
 * every name marked "(demo)"; three communities; a publisher per org; and a
 * handful of events built from real indicators of maltrail's static trails,
 * so that search, the ACL and the API have something true to chew on.
 *
 * Idempotent: if the demo orgs exist it does nothing. One transaction.
 */
#include "cli.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_EVENTS 10
#define MAX_PER_EVENT 2500 /* the big trails hold 10k+: a demo needs a taste */
#define MAX_REFS 20

typedef struct demo_org {
    const char *name, *country, *type, *slug, *sector;
} demo_org;

/* The ten ASEAN CERTs first: communities refer to them by position. */
static const demo_org orgs[] = {
    {"BruCERT (demo)", "BN", "national_cert", "brucert", "national CERT"},
    {"CamCERT (demo)", "KH", "national_cert", "camcert", "national CERT"},
    {"Gov-CSIRT/BSSN (demo)", "ID", "national_cert", "bssn", "national CERT"},
    {"LaoCERT (demo)", "LA", "national_cert", "laocert", "national CERT"},
    {"MyCERT (demo)", "MY", "national_cert", "mycert", "national CERT"},
    {"mmCERT (demo)", "MM", "national_cert", "mmcert", "national CERT"},
    {"CERT-PH (demo)", "PH", "national_cert", "cert-ph", "national CERT"},
    {"SingCERT (demo)", "SG", "national_cert", "singcert", "national CERT"},
    {"ThaiCERT (demo)", "TH", "national_cert", "thaicert", "national CERT"},
    {"VNCERT/CC (demo)", "VN", "national_cert", "vncert", "national CERT"},
    {"JPCERT/CC (demo)", "JP", "national_cert", "jpcert", "national CERT"},
    {"KrCERT/CC (demo)", "KR", "national_cert", "krcert", "national CERT"},
    {"CISA (demo)", "US", "national_cert", "cisa", "national CERT"},
    {"ACSC (demo)", "AU", "national_cert", "acsc", "national CERT"},
    {"Mekong Threat Labs (demo)", "SG", "company", "mekong-threat-labs", "security vendor"},
    {"Open Net Watch (demo)", "PH", "ngo", "open-net-watch", "civil society"},
};
enum { N_ORGS = KZ_ARRAY_LEN(orgs), N_ASEAN = 10, JP = 10, KR = 11, US = 12, N_CERTS = 14 };

/* Families worth showing first (regional relevance, well known), with their
 * usual spelling and a plausible reporting CERT; the rest of the directory
 * fills up to MAX_EVENTS, titled from the file name. */
static const struct {
    const char *file, *title;
    int creator; /* index into orgs */
} preferred[] = {
    {"apt_oceanlotus", "APT OceanLotus", 9},   {"apt_mustangpanda", "APT Mustang Panda", 6},
    {"apt_naikon", "APT Naikon", 4},           {"apt_lazarus", "APT Lazarus", 11},
    {"apt_kimsuky", "APT Kimsuky", 10},        {"apt_darkhotel", "APT DarkHotel", 7},
    {"emotet", "Emotet", 12},                  {"qakbot", "QakBot", 13},
    {"lockbit", "LockBit", 2},                 {"agenttesla", "Agent Tesla", 8},
};

static const cli_opt opts[] = {
    CLI_OPT_DB,
    {"maltrail", CLI_VALUE, "DIR",
     "extracted maltrail trails (DIR/trails/static/malware/*.txt); without it, no events"},
    {0},
};
static const cli_spec seed_spec = {
    "demo seed", "[--db PATH] [--maltrail DIR]",
    "Seeds the demo community: the ten ASEAN national CERTs, JPCERT/CC, KrCERT/CC, CISA,\n"
    "ACSC, a security company and an NGO (all marked \"(demo)\"), the communities\n"
    "\"ASEAN CERTs\", \"ASEAN–Japan\" and \"KR–US–JP trilateral\", a publisher per org\n"
    "(publisher@SLUG.demo.example), and events from maltrail's static trails.\n"
    "Does nothing if the demo organisations already exist.",
    opts, 0, 0,
};

/* ---- reading one trail file ----------------------------------------------- */

typedef struct trail {
    kz_strlist refs;
    char *aliases;
    kz_indicator *inds;
    size_t n, more, skipped; /* more: indicator lines beyond MAX_PER_EVENT, unread */
    uint64_t *seen; /* open addressing on the value's hash: drops duplicates; never more
                     * than MAX_PER_EVENT entries, so it stays under half full */
    size_t seen_cap;
} trail;

static bool seen_add(trail *t, const char *v, size_t n)
{
    uint64_t h = kz_hash64(v, n) | 1; /* 0 marks an empty slot */
    size_t i = h & (t->seen_cap - 1);
    while (t->seen[i]) {
        if (t->seen[i] == h)
            return false;
        i = (i + 1) & (t->seen_cap - 1);
    }
    t->seen[i] = h;
    return true;
}

static char *trim(char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

/* Types a trail line and normalises it; maltrail writes URLs without their
 * scheme ("1.2.3.4/bins/x"), so those are read as http URLs. */
static int typed(const char *v, kz_buf *tmp, kz_buf *norm, kz_ioc_type *type)
{
    kz_err err = {0};
    size_t n = strlen(v);
    int t = kz_ioc_guess(v, n);
    if (t < 0 && strchr(v, '/') && !strstr(v, "://")) {
        kz_buf_reset(tmp);
        if (kz_buf_puts(tmp, "http://") != 0 || kz_buf_puts(tmp, v) != 0)
            return KZ_E_NOMEM;
        v = tmp->p;
        n = tmp->len;
        t = kz_ioc_guess(v, n);
    }
    if (t < 0)
        return KZ_E_VALUE;
    *type = (kz_ioc_type)t;
    return kz_ioc_normalize((kz_ioc_type)t, v, n, norm, &err);
}

static int read_trail(const char *path, kz_arena *a, trail *t)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        cli_error("cannot read '%s': %s", path, strerror(errno));
        return CLI_FAIL;
    }
    *t = (trail){0};
    t->seen_cap = 8192;
    t->seen = kz_arena_alloc(a, t->seen_cap * sizeof *t->seen);
    t->inds = kz_arena_alloc(a, MAX_PER_EVENT * sizeof *t->inds);
    if (!t->seen || !t->inds) {
        fclose(f);
        cli_error("out of memory");
        return CLI_FAIL;
    }
    kz_buf tmp, norm;
    kz_buf_init(&tmp);
    kz_buf_init(&norm);
    char line[4096];
    int rc = CLI_OK;
    while (rc == CLI_OK && fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') { /* overlong: skip it whole */
            int c;
            while ((c = fgetc(f)) != EOF && c != '\n')
                ;
            t->skipped++;
            continue;
        }
        char *s = trim(line);
        if (!*s)
            continue;
        if (*s == '#') {
            char *c = trim(s + 1);
            if (strncmp(c, "Reference:", 10) == 0 && t->refs.n < 1000) {
                kz_strlist_push(a, &t->refs, trim(c + 10));
            } else if (strncmp(c, "Aliases:", 8) == 0 && !t->aliases) {
                t->aliases = kz_arena_strdup(a, trim(c + 8));
            }
            continue;
        }
        if (t->n == MAX_PER_EVENT) {
            t->more++;
            continue;
        }
        char *hash = strstr(s, " #"); /* an inline comment */
        if (hash) {
            *hash = '\0';
            s = trim(s);
        }
        kz_ioc_type type;
        int r = typed(s, &tmp, &norm, &type);
        if (r == KZ_E_NOMEM) {
            cli_error("out of memory");
            rc = CLI_FAIL;
        } else if (r != 0 || !kz_utf8_valid(s, strlen(s))) {
            t->skipped++;
        } else if (seen_add(t, norm.p, norm.len)) {
            kz_indicator *ind = &t->inds[t->n++];
            ind->type = type;
            ind->value = kz_arena_strndup(a, norm.p, norm.len);
            if (!ind->value) {
                cli_error("out of memory");
                rc = CLI_FAIL;
            }
        }
    }
    if (ferror(f)) {
        cli_error("cannot read '%s'", path);
        rc = CLI_FAIL;
    }
    fclose(f);
    kz_buf_free(&tmp);
    kz_buf_free(&norm);
    return rc;
}

/* ---- choosing families ----------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directory holding the *.txt trails, as given or below it. */
static char *find_malware_dir(const char *dir)
{
    static const char *subs[] = {"trails/static/malware", "static/malware", "malware", ""};
    for (size_t i = 0; i < KZ_ARRAY_LEN(subs); i++) {
        char *p = NULL;
        if (asprintf(&p, "%s%s%s", dir, *subs[i] ? "/" : "", subs[i]) < 0)
            return NULL;
        struct stat sb;
        if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
            return p;
        free(p);
    }
    return NULL;
}

/* Family names (file names without .txt): preferred ones first, then the
 * rest in name order. */
static int list_families(const char *dir, kz_arena *a, kz_strlist *out)
{
    DIR *d = opendir(dir);
    if (!d) {
        cli_error("cannot read '%s': %s", dir, strerror(errno));
        return CLI_FAIL;
    }
    kz_strlist all = {0};
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n > 4 && n < 200 && strcmp(e->d_name + n - 4, ".txt") == 0 && e->d_name[0] != '.')
            kz_strlist_push(a, &all, kz_arena_strndup(a, e->d_name, n - 4));
    }
    closedir(d);
    if (all.n)
        qsort(all.v, all.n, sizeof *all.v, cmp_str);
    for (size_t i = 0; i < KZ_ARRAY_LEN(preferred); i++)
        if (kz_strlist_has(&all, preferred[i].file))
            kz_strlist_push(a, out, preferred[i].file);
    for (size_t i = 0; i < all.n; i++)
        if (!kz_strlist_has(out, all.v[i]))
            kz_strlist_push(a, out, all.v[i]);
    return CLI_OK;
}

/* "apt_oceanlotus" -> "APT OceanLotus"-ish: words capitalised, known
 * prefixes upper-cased. */
static void family_title(const char *fam, char *out, size_t n)
{
    size_t o = 0;
    bool start = true;
    for (size_t i = 0; fam[i] && o + 2 < n; i++) {
        char c = fam[i];
        if (c == '_' || c == '-') {
            out[o++] = ' ';
            start = true;
            continue;
        }
        if (start) {
            const char *w = fam + i;
            size_t wl = strcspn(w, "_-");
            bool upper = (wl == 3 && (!strncmp(w, "apt", 3) || !strncmp(w, "elf", 3) ||
                                      !strncmp(w, "rat", 3))) ||
                         (wl == 2 && !strncmp(w, "c2", 2));
            for (size_t k = 0; k < wl && o + 2 < n; k++)
                out[o++] = (char)(upper || k == 0 ? toupper((unsigned char)w[k]) : w[k]);
            i += wl - 1;
            start = false;
            continue;
        }
        out[o++] = c;
    }
    out[o] = '\0';
}

static char *describe(kz_arena *a, const char *fam, const trail *t)
{
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_printf(&b,
                  "Infrastructure of the %s malware family, from the static trails of maltrail "
                  "(trails/static/malware/%s.txt, MIT licence). Demo data.",
                  fam, fam);
    if (t->more)
        kz_buf_printf(&b, " The first %zu indicators; the trail lists about %zu more.", t->n,
                      t->more);
    if (t->aliases && *t->aliases)
        kz_buf_printf(&b, "\n\nAliases: %.2000s", t->aliases);
    if (t->refs.n) {
        kz_buf_puts(&b, "\n\nReferences:");
        for (size_t i = 0; i < t->refs.n && i < MAX_REFS; i++)
            kz_buf_printf(&b, "\n- %.500s", t->refs.v[i]);
        if (t->refs.n > MAX_REFS)
            kz_buf_printf(&b, "\n- ... and %zu more in the trail file", t->refs.n - MAX_REFS);
    }
    char *s = b.p && kz_utf8_valid(b.p, b.len) ? kz_arena_strdup(a, b.p)
                                                : kz_arena_strdup(a, "Demo data from maltrail.");
    kz_buf_free(&b);
    return s;
}

/* ---- seeding ------------------------------------------------------------- */

typedef struct seeded {
    kz_org org[N_ORGS];
    kz_user user[N_ORGS];
    size_t events, indicators, skipped;
} seeded;

static int seed_principals(kz_store *st, kz_arena *a, seeded *s)
{
    for (size_t i = 0; i < N_ORGS; i++) {
        const demo_org *o = &orgs[i];
        char *email = kz_arena_printf(a, "publisher@%s.demo.example", o->slug);
        char *contact = kz_arena_printf(a, "contact@%s.demo.example", o->slug);
        char *name = kz_arena_printf(a, "%.*s publisher", (int)(strlen(o->name) - 7), o->name);
        if (!email || !contact || !name ||
            cli_org_create(st, o->name, o->country, o->type, o->sector, contact, a, &s->org[i]) ||
            cli_user_create(st, s->org[i].id, email, "publisher", name, NULL, a, &s->user[i]))
            return CLI_FAIL;
    }
    static const struct {
        const char *name, *description;
        int members[N_ASEAN + 1];
        size_t n;
    } comms[] = {
        {"ASEAN CERTs", "The national CERTs of the ten ASEAN member states (demo).",
         {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, N_ASEAN},
        {"ASEAN\xe2\x80\x93Japan", "ASEAN national CERTs with JPCERT/CC (demo).",
         {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, JP}, N_ASEAN + 1},
        {"KR\xe2\x80\x93US\xe2\x80\x93JP trilateral",
         "Korea, the United States and Japan (demo).", {KR, US, JP}, 3},
    };
    for (size_t c = 0; c < KZ_ARRAY_LEN(comms); c++) {
        kz_strlist ids = {0};
        for (size_t k = 0; k < comms[c].n; k++)
            kz_strlist_push(a, &ids, s->org[comms[c].members[k]].id);
        kz_community out;
        if (cli_community_create(st, comms[c].name, comms[c].description, &ids, a, &out))
            return CLI_FAIL;
    }
    return CLI_OK;
}

static int seed_event(kz_store *st, const char *dir, const char *fam, size_t k, seeded *s)
{
    static const kz_tlp tlps[] = {KZ_TLP_CLEAR, KZ_TLP_GREEN, KZ_TLP_AMBER, KZ_TLP_AMBER_STRICT,
                                  KZ_TLP_RED};
    kz_arena a;
    kz_arena_init(&a);
    char *path = kz_arena_printf(&a, "%s/%s.txt", dir, fam);
    trail t;
    int rc = path ? read_trail(path, &a, &t) : CLI_FAIL;
    s->skipped += rc == CLI_OK ? t.skipped : 0;
    if (rc != CLI_OK || t.n == 0) {
        if (rc == CLI_OK)
            printf("  %s: no usable indicators, skipped\n", fam);
        kz_arena_free(&a);
        return rc; /* an empty trail is not an error: nothing made */
    }
    size_t who = k % N_CERTS;
    char title[256];
    family_title(fam, title, sizeof title);
    for (size_t i = 0; i < KZ_ARRAY_LEN(preferred); i++)
        if (strcmp(preferred[i].file, fam) == 0) {
            who = (size_t)preferred[i].creator;
            snprintf(title, sizeof title, "%s", preferred[i].title);
        }
    kz_time now = kz_time_now();
    kz_event ev = {0};
    kz_uuid_v4(ev.id);
    ev.title = kz_arena_printf(&a, "%s infrastructure (maltrail)", title);
    ev.description = describe(&a, fam, &t);
    ev.threat_level = 2;
    ev.analysis = 2;
    ev.tlp = tlps[k % KZ_ARRAY_LEN(tlps)];
    ev.pap = ev.tlp <= KZ_TLP_GREEN ? KZ_PAP_GREEN : KZ_PAP_AMBER;
    /* Public markings travel widely; the rest stays in the creator's circles. */
    ev.distribution = ev.tlp <= KZ_TLP_GREEN ? KZ_DIST_ALL : KZ_DIST_COMMUNITY;
    kz_strlist_push(&a, &ev.tags, "maltrail");
    kz_strlist_push(&a, &ev.tags, "demo");
    ev.published = k % 5 != 3; /* most, not all */
    ev.published_at = ev.published ? now : 0;
    memcpy(ev.creator_org, s->org[who].id, sizeof ev.creator_org);
    memcpy(ev.creator_user, s->user[who].id, sizeof ev.creator_user);
    ev.created = ev.modified = now;
    for (size_t i = 0; i < t.n; i++) {
        kz_indicator *ind = &t.inds[i];
        kz_uuid_v7(ind->id);
        memcpy(ind->event_id, ev.id, sizeof ind->event_id);
        ind->to_ids = true;
        ind->tlp = -1;
        ind->distribution = -1;
        ind->created = ind->modified = now;
    }
    ev.indicators = t.inds;
    ev.n_indicators = t.n;
    kz_err err = {0};
    if (!ev.title || !ev.description || kz_store_event_put(st, &ev, &err) != 0) {
        cli_report(fam, &err);
        kz_arena_free(&a);
        return CLI_FAIL;
    }
    printf("  %-44s %5zu indicators  %-22s tlp:%-12s %s\n", ev.title, t.n, s->org[who].name,
           kz_tlp_name(ev.tlp), ev.published ? "published" : "draft");
    s->events++;
    s->indicators += t.n;
    kz_arena_free(&a);
    return CLI_OK;
}

static int seed_events(kz_store *st, const char *maltrail, seeded *s)
{
    char *dir = find_malware_dir(maltrail);
    if (!dir) {
        cli_error("no maltrail trails under '%s' (expected %s/trails/static/malware/*.txt)",
                  maltrail, maltrail);
        return CLI_FAIL;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_strlist fams = {0};
    int rc = list_families(dir, &a, &fams);
    for (size_t i = 0; rc == CLI_OK && i < fams.n && s->events < MAX_EVENTS; i++) {
        rc = seed_event(st, dir, fams.v[i], s->events, s);
    }
    if (rc == CLI_OK && s->events == 0)
        printf("  (no trail files with usable indicators in %s)\n", dir);
    kz_arena_free(&a);
    free(dir);
    return rc;
}

static int demo_seed(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&seed_spec, argc, argv, &args, &rc))
        return rc;
    kz_store *st = NULL;
    const char *path = NULL;
    if ((rc = cli_store_open(&args, false, &st, &path)) != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    const char *maltrail = cli_get(&args, "maltrail", NULL);
    kz_arena a;
    kz_arena_init(&a);
    kz_err err = {0};
    kz_org probe;
    int r = kz_store_org_find(st, orgs[0].name, &a, &probe, &err);
    seeded *s = calloc(1, sizeof *s);
    if (r == 0) {
        printf("demo data already present in %s ('%s' exists); nothing to do\n", path,
               orgs[0].name);
    } else if (r != KZ_E_NOTFOUND) {
        cli_report(NULL, &err);
        rc = CLI_FAIL;
    } else if (!s) {
        cli_error("out of memory");
        rc = CLI_FAIL;
    } else if (kz_store_begin(st, &err) != 0) {
        cli_report(NULL, &err);
        rc = CLI_FAIL;
    } else {
        kz_store_bulk_mode(st, true);
        rc = seed_principals(st, &a, s);
        if (rc == CLI_OK && maltrail) {
            printf("events from %s:\n", maltrail);
            rc = seed_events(st, maltrail, s);
        }
        if (rc == CLI_OK && kz_store_commit(st, &err) != 0) {
            cli_report("cannot commit", &err);
            rc = CLI_FAIL;
        }
        if (rc != CLI_OK)
            kz_store_rollback(st);
        kz_store_bulk_mode(st, false);
        if (rc == CLI_OK) {
            printf("seeded %d organisations, 3 communities, %d publishers, %zu events, %zu "
                   "indicators",
                   N_ORGS, N_ORGS, s->events, s->indicators);
            if (s->skipped)
                printf(" (%zu trail lines skipped: not a recognisable indicator)", s->skipped);
            printf("\n");
            if (!maltrail)
                printf("no --maltrail directory given: no events seeded\n");
        } else {
            cli_error("demo seed failed; nothing stored");
        }
    }
    free(s);
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

int cli_cmd_demo(int argc, char **argv)
{
    static const cli_sub subs[] = {
        {"seed", demo_seed, "seed the ASEAN demo community and maltrail events"},
        {0},
    };
    return cli_dispatch("demo", "Demo data for 'make run'.", subs, argc, argv);
}
