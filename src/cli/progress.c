/* progress.c — a one-line progress bar on stderr for long imports.
 *
 * Only when stderr is a terminal: a log file or a test capturing stderr must
 * see nothing but errors. Updates are cheap (one clock read) and the line is
 * redrawn at most ten times a second, so callers can call it per batch
 * without thinking about cost.
 */
#include "cli.h"

#include <time.h>
#include <unistd.h>

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void cli_progress_init(cli_progress *p, int64_t total_bytes, const char *unit)
{
    *p = (cli_progress){0};
    p->on = isatty(STDERR_FILENO) == 1;
    p->total = total_bytes > 0 ? total_bytes : 0;
    p->unit = unit;
    p->start_us = p->last_us = now_us();
}

static void human_bytes(int64_t b, char *out, size_t n)
{
    if (b >= (int64_t)1 << 30)
        snprintf(out, n, "%.1f GiB", (double)b / (1 << 30));
    else if (b >= 1 << 20)
        snprintf(out, n, "%.1f MiB", (double)b / (1 << 20));
    else
        snprintf(out, n, "%.1f KiB", (double)b / 1024);
}

static void draw(cli_progress *p, int64_t t)
{
    double secs = (double)(t - p->start_us) / 1e6;
    double rate = secs > 0 ? (double)p->items / secs : 0;
    char done[32], total[32], eta[32] = "";
    human_bytes(p->done_bytes, done, sizeof done);
    if (p->total > 0) {
        double frac = (double)p->done_bytes / (double)p->total;
        if (frac > 1)
            frac = 1;
        int width = 24, fill = (int)(frac * width);
        char bar[32];
        for (int i = 0; i < width; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[width] = '\0';
        human_bytes(p->total, total, sizeof total);
        if (frac > 0.001 && secs > 0.5) {
            long left = (long)(secs / frac - secs);
            snprintf(eta, sizeof eta, "  ETA %ld:%02ld", left / 60, left % 60);
        }
        fprintf(stderr, "\r[%s] %3d%%  %s / %s  %.0f %s/s%s\033[K", bar, (int)(frac * 100), done,
                total, rate, p->unit, eta);
    } else {
        fprintf(stderr, "\r%s read  %lld %s  %.0f %s/s\033[K", done, (long long)p->items, p->unit,
                rate, p->unit);
    }
    fflush(stderr);
}

void cli_progress_update(cli_progress *p, int64_t bytes, int64_t items)
{
    if (!p->on)
        return;
    p->done_bytes = bytes;
    p->items = items;
    int64_t t = now_us();
    if (t - p->last_us < 100000)
        return;
    p->last_us = t;
    draw(p, t);
}

void cli_progress_done(cli_progress *p)
{
    if (!p->on)
        return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
}
