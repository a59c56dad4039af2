/* cmd_bundle.c — `kizuna bundle export|import`: federation for partners
 * that are air-gapped or reachable only by e-mail. A bundle is our feed for
 * one peer (the same ACL and filters as a live sync), signed by this node
 * and sealed to the peer's key (kz_sync_bundle_seal), so only that peer can
 * open it and it can tell who made it. Import verifies every envelope like
 * a live pull and is idempotent: importing the same file twice changes
 * nothing the second time.
 */
#include "cli.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "sync/sync.h"

static const cli_opt export_opts[] = {
    CLI_OPT_DB,
    {"for", CLI_VALUE, "PEER", "the peer the bundle is for (name or id)"},
    {"since", CLI_VALUE, "CURSOR", "our change-log position the peer already has (default 0: "
                                   "everything)"},
    {0},
};
static const cli_spec export_spec = {
    "bundle export", "--for PEER [--since CURSOR] FILE",
    "Writes what PEER may receive after CURSOR, signed and sealed to PEER's key. Prints the\n"
    "cursor to give as --since next time.",
    export_opts, 1, 1,
};

static int bundle_export(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&export_spec, argc, argv, &args, &rc))
        return rc;
    const char *peer_name = cli_need(&args, "for");
    uint64_t since = 0;
    if (!peer_name || cli_get_uint(&args, "since", 0, 0, INT64_MAX, &since)) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_err err = {0};
    kz_peer p;
    kz_node_identity id;
    bool have_id = false;
    kz_sync_batch all = {0};
    all.objects = json_array();
    int r = kz_store_peer_get(st, peer_name, &a, &p, &err);
    if (!r)
        r = kz_sync_identity_load(st, &id, &err);
    have_id = r == 0;
    int64_t cursor = (int64_t)since;
    /* One bundle holds every page: it is opened whole on the other side. */
    while (!r) {
        kz_sync_batch b;
        r = kz_sync_feed_page(st, &id, &p, cursor, KZ_SYNC_PAGE_INDICATORS, &b, &err);
        if (r)
            break;
        json_array_extend(all.objects, b.objects);
        bool more = b.more, moved = b.cursor != cursor;
        cursor = b.cursor;
        kz_sync_batch_clear(&b);
        if (!more || !moved)
            break;
    }
    kz_buf out;
    kz_buf_init(&out);
    if (!r) {
        snprintf(all.from_node, sizeof all.from_node, "%s", id.node_id);
        all.cursor = cursor;
        all.more = false;
        r = kz_sync_bundle_seal(&id, p.public_key, &all, &out, &err);
    }
    if (r) {
        cli_report("bundle export", &err);
        rc = CLI_FAIL;
    } else {
        FILE *f = fopen(args.pos.v[0], "wb");
        bool written = f && fwrite(out.p, 1, out.len, f) == out.len;
        if (f && fclose(f) != 0) /* closed either way: never close it twice */
            written = false;
        if (!written) {
            cli_error("cannot write '%s'", args.pos.v[0]);
            rc = CLI_FAIL;
        } else {
            printf("wrote %s: %zu object(s) for peer %s; next --since %lld\n", args.pos.v[0],
                   json_array_size(all.objects), p.name, (long long)cursor);
        }
    }
    kz_buf_free(&out);
    kz_sync_batch_clear(&all);
    if (have_id)
        kz_sync_identity_clear(&id);
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

static const cli_opt import_opts[] = {CLI_OPT_DB, {0}};
static const cli_spec import_spec = {
    "bundle import", "FILE",
    "Opens a bundle sealed to this node, checks the sender is a peer and every signature,\n"
    "and applies it (all or nothing; importing it again changes nothing).",
    import_opts, 1, 1,
};

typedef struct sender_ctx {
    kz_peer *peers;
    size_t n;
    kz_peer *found;
} sender_ctx;

static bool known_sender(void *ctx, const uint8_t pk[32])
{
    sender_ctx *s = ctx;
    for (size_t i = 0; i < s->n; i++)
        if (sodium_memcmp(s->peers[i].public_key, pk, 32) == 0) {
            s->found = &s->peers[i];
            return true;
        }
    return false;
}

static int read_file(const char *path, kz_buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error("cannot read '%s'", path);
        return CLI_FAIL;
    }
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (out->len + n > KZ_SYNC_MAX_BATCH || kz_buf_append(out, chunk, n)) {
            fclose(f);
            cli_error("'%s' is larger than a bundle may be", path);
            return CLI_FAIL;
        }
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        cli_error("cannot read '%s'", path);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int bundle_import(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&import_spec, argc, argv, &args, &rc))
        return rc;
    kz_buf bytes;
    kz_buf_init(&bytes);
    kz_store *st = NULL;
    if ((rc = read_file(args.pos.v[0], &bytes)) != CLI_OK ||
        (rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        kz_buf_free(&bytes);
        cli_args_free(&args);
        return rc;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_err err = {0};
    kz_node_identity id;
    sender_ctx sc = {0};
    kz_sync_batch b = {0};
    uint8_t sender[32];
    int r = kz_sync_identity_load(st, &id, &err);
    bool have_id = r == 0;
    if (!r)
        r = kz_store_peer_list(st, &a, &sc.peers, &sc.n, &err);
    if (!r)
        r = kz_sync_bundle_open(&id, bytes.p, bytes.len, known_sender, &sc, KZ_SYNC_MAX_BATCH, &b,
                                sender, &err);
    kz_sync_apply_stats s = {0};
    if (!r)
        r = kz_sync_apply(st, &id, sc.found, &b, &s, &err);
    if (r) {
        cli_report("bundle import", &err);
        rc = CLI_FAIL;
    } else {
        printf("imported %s from peer %s: %zu event(s), %zu indicator(s), %zu sighting(s), "
               "%zu deletion(s), %zu org(s), %zu unchanged\n",
               args.pos.v[0], sc.found ? sc.found->name : "?", s.events, s.indicators,
               s.sightings, s.deletions, s.orgs, s.unchanged);
    }
    kz_sync_batch_clear(&b);
    if (have_id)
        kz_sync_identity_clear(&id);
    kz_arena_free(&a);
    kz_store_close(st);
    kz_buf_free(&bytes);
    cli_args_free(&args);
    return rc;
}

int cli_cmd_bundle(int argc, char **argv)
{
    static const cli_sub subs[] = {
        {"export", bundle_export, "write a signed, sealed bundle for a peer"},
        {"import", bundle_import, "verify and apply a bundle from a peer"},
        {0},
    };
    return cli_dispatch("bundle", "Offline federation: signed, sealed files (docs/federation.md).",
                        subs, argc, argv);
}
