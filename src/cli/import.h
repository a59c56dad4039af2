/* import.h — private to `kizuna import` (cmd_import.c, import_queue.c,
 * import_write.c).
 *
 * An import is a two-stage pipeline. The main thread reads and parses
 * (jansson, normalisation: about a third of the work) and hands units — an
 * event, or a batch of up to 10,000 indicators — through a small bounded
 * queue to a writer thread, the only one that touches the store. The two
 * overlap, and the queue bounds memory: the reader waits when the writer
 * falls behind. Both report bad input in the same FILE:LINE: field: message
 * form; once anything failed, nothing more is written and the transaction is
 * rolled back, but parsing goes on so every bad line is reported.
 */
#ifndef KZ_CLI_IMPORT_H
#define KZ_CLI_IMPORT_H

#include <pthread.h>
#include <stdatomic.h>

#include "cli.h"

#define IMP_BATCH 10000
#define IMP_QUEUE 4
#define IMP_MAX_ERRORS 100

typedef enum { IMP_EVENT, IMP_BATCH_UNIT, IMP_END } imp_kind;

/* What travels from the parser to the writer. Owns its memory. */
typedef struct imp_unit {
    imp_kind kind;
    kz_arena arena;
    long line;     /* the event's line; a batch's first line */
    char path[96]; /* "events[2]" in a single document, else "" */
    kz_event ev;   /* IMP_EVENT: parsed, id and times filled */
    kz_indicator *inds; /* IMP_BATCH_UNIT: IMP_BATCH slots */
    size_t n;
} imp_unit;

typedef struct imp_queue {
    imp_unit *v[IMP_QUEUE];
    size_t head, count;
    pthread_mutex_t mu;
    pthread_cond_t changed;
} imp_queue;

/* What the writer remembers about orgs and users it looked up. */
typedef struct imp_known {
    kz_uuid id;
    kz_uuid org; /* users: their org; orgs: their default author */
    bool exists;
} imp_known;

typedef struct importer {
    const char *name; /* the file, for messages */
    const char *org_override;
    kz_time now;

    /* shared */
    pthread_mutex_t report_mu;
    size_t n_errors; /* under report_mu */
    atomic_bool failed, stop;
    imp_queue q;

    /* parser side (main thread) */
    bool have_event, event_ok;
    kz_uuid file_event_id; /* the id in the file, to check indicators' event_id */
    kz_uuid event_id;      /* the id it is stored under */
    kz_event acl_ev;       /* its TLP and distribution, for the not-looser check */
    imp_unit *batch;       /* being filled */
    kz_arena scratch;      /* indicators that will not be kept (after an error) */
    size_t n_scratch;
    int64_t n_parsed;
    kz_uuid7_gen ids;

    /* writer side */
    kz_store *st;
    imp_unit *cur; /* the event indicators are going to */
    bool cur_ok, cur_pending;
    imp_known *orgs, *users;
    size_t n_orgs, n_users;
    size_t n_events, n_indicators;
} importer;

/* errors (cmd_import.c): mark the import failed and print, thread-safe */
void imp_report(importer *im, long line, const char *field, const char *msg);
void imp_report_err(importer *im, long line, const char *prefix, const kz_err *err);

/* queue (import_queue.c) */
imp_unit *imp_unit_new(imp_kind kind);
void imp_unit_free(imp_unit *u);
int imp_queue_init(imp_queue *q);
void imp_queue_destroy(imp_queue *q);
void imp_queue_put(imp_queue *q, imp_unit *u); /* waits while full */
imp_unit *imp_queue_take(imp_queue *q);        /* waits while empty */

/* writer (import_write.c): the thread body; returns at IMP_END. */
void *imp_writer(void *arg);

#endif
