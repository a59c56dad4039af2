/* kz_fed.h — what the federation tests share: running the CLI against a
 * node's database, waiting for something to cross between nodes, and the
 * steps that peer two running nodes (keys, `kizuna peer add`, API keys).
 * Each helper asserts (cmocka) rather than returning an error.
 */
#ifndef KZ_FED_H
#define KZ_FED_H

#include "kz_node.h"
#include "store/store.h"

void kz_sleep_ms(long ms);

/* Polls cond every 100 ms for up to ms milliseconds. */
#define KZ_WAIT_UNTIL(cond, ms)                                                                    \
    do {                                                                                           \
        for (long t_ = 0; !(cond) && t_ < (ms); t_ += 100)                                         \
            kz_sleep_ms(100);                                                                      \
    } while (0)

/* Runs `kizuna ARGS... --db <n's database>` (args end with NULL); its
 * stdout and stderr into out (may be NULL). Returns the exit status. */
int kz_cli(const kz_node *n, char *out, size_t outn, ...);
#define KZ_CLI(n, out, outn, ...) kz_cli((n), (out), (outn), __VA_ARGS__, (const char *)NULL)

/* n's org (into n->admin_org) and node key; node_id when not NULL. */
void kz_fed_node_key(kz_node *n, char pk[65], char *node_id, size_t idn);
/* `kizuna peer add NAME` on `on` for `peer` (manual pushes and pulls:
 * --interval 0); the peer's org is fetched and checked against the key. */
void kz_fed_peer_add(kz_node *on, const char *name, kz_node *peer, const char *pk);
/* `kizuna peer set-key` on `on`: the API key it uses at the peer. */
void kz_fed_set_key(kz_node *on, const char *peer_name, const char *key);
/* n's database, opened beside the running server (the caller closes it). */
kz_store *kz_fed_open_db(const kz_node *n);

#endif
