/* thread_store.c — one store connection per worker thread. SQLite connections
 * must not be shared between threads mid-statement, and opening one per
 * request would cost more than the query; so each MHD worker opens its own on
 * first use (keeping its prepared statements warm) and closes it when the
 * thread exits at shutdown.
 */
#include "http_int.h"

static __thread kz_store *t_store;
static pthread_key_t g_key;
static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;

static void close_at_exit(void *p)
{
    kz_store_close(p);
    t_store = NULL;
}

static void key_init(void) { (void)pthread_key_create(&g_key, close_at_exit); }

int kz_thread_store(const kz_http_server *srv, kz_store **out, kz_err *err)
{
    if (t_store) {
        *out = t_store;
        return 0;
    }
    pthread_once(&g_key_once, key_init);
    kz_store *st = NULL;
    int rc = kz_store_open(srv->cfg.db_path, &st, err);
    if (rc < 0)
        return rc;
    kz_store_checkpoint_by(st, srv->checkpointer);
    t_store = st;
    /* The key's destructor closes the connection when the thread ends. */
    pthread_setspecific(g_key, st);
    *out = st;
    return 0;
}

void kz_thread_store_close(void)
{
    if (!t_store)
        return;
    pthread_once(&g_key_once, key_init);
    pthread_setspecific(g_key, NULL);
    kz_store_close(t_store);
    t_store = NULL;
}
