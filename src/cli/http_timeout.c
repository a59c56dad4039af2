/* http_timeout.c — how long the CLI's HTTP clients (MISP feeds, TAXII pulls)
 * wait for a server that stops answering. The defaults are generous (a big
 * feed over a slow link), which is minutes for a server that accepted the
 * connection and then hangs; $KIZUNA_HTTP_TIMEOUT (seconds, 1-86400) sets
 * it for a run, for scripts that would rather fail fast, and for tests.
 */
#include "cli.h"

#include <stdlib.h>

long cli_http_timeout(long dflt)
{
    const char *s = getenv("KIZUNA_HTTP_TIMEOUT");
    if (!s || !*s)
        return dflt;
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (*end || v < 1 || v > 86400) {
        cli_error("$KIZUNA_HTTP_TIMEOUT: '%.40s' is not a number of seconds from 1 to 86400;"
                  " using %ld", s, dflt);
        return dflt;
    }
    return v;
}
