/* slow_guard.h — a deadline for request headers (see slow_guard.c). Private
 * to src/http: server.c wraps its MHD callbacks with these. */
#ifndef KZ_HTTP_SLOW_GUARD_H
#define KZ_HTTP_SLOW_GUARD_H

#include <microhttpd.h>

typedef struct kz_slow_guard kz_slow_guard;

/* A guard that cuts connections whose request headers have not all arrived
 * within limit_s seconds of the connection opening or of the previous
 * response; it calls access/access_cls and done/done_cls for the requests
 * themselves. Starts its thread; NULL when out of memory or threads. */
kz_slow_guard *kz_slow_guard_new(unsigned limit_s, MHD_AccessHandlerCallback access,
                                 void *access_cls, MHD_RequestCompletedCallback done,
                                 void *done_cls);
/* After MHD_stop_daemon. */
void kz_slow_guard_free(kz_slow_guard *g);

/* The MHD callbacks, each with the guard as cls. */
enum MHD_Result kz_slow_guard_access(void *cls, struct MHD_Connection *conn, const char *url,
                                     const char *method, const char *version,
                                     const char *upload, size_t *upload_size, void **con_cls);
void kz_slow_guard_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                             enum MHD_RequestTerminationCode toe);
void kz_slow_guard_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe);

#endif
