/* sweep.c — the engine: one producer, N workers, output in line order.
 *
 * The calling thread produces tasks: slices of a memory-mapped file cut at
 * line boundaries, or blocks read from a gzip file or stdin. Tasks form one
 * list in input order; workers take the next untaken task, sweep it into
 * the task's own result buffers, and whoever finishes the task at the head
 * of the list emits every finished task from the head on (callbacks, line
 * numbers made absolute, stats), so hits come out per file in line order
 * whatever the thread count, and no worker waits for another to emit.
 *
 * A task's line numbers are relative: only at emission, when every earlier
 * task of the file is out, is its first line known. Likewise a Zeek task
 * assumes the header its file started with; if an earlier task met a
 * different header, the emitter sweeps the task again under the right one
 * (logs joined from several writers are the only case).
 *
 * The number of tasks in flight is bounded, which bounds the memory held
 * by stream blocks and by results waiting for a slow earlier task.
 */
#include "sweep_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DETECT_BYTES (64u << 10)
#define MAX_THREADS 256
#define PROBLEMS_SHOWN 100 /* per file; the rest are counted */
#define WHOLE_FILE UINT32_MAX

struct kz_sw_file {
    const char *name;
    kz_sweep_format fmt;
    pthread_mutex_t lock; /* schemas */
    kz_sw_schema *schemas;
    kz_sw_schema *cur;    /* emission side: in force after the last emitted task */
    uint64_t lines_done;  /* emission side */
    uint64_t problems;
    bool opened;
    int fd;
    const char *map;
    size_t map_len;
    bool unmap;
    kz_sw_stream *stream;
};

typedef struct engine {
    kz_sw_env env;
    const kz_sweep_opts *o;
    pthread_mutex_t m;
    pthread_cond_t work_cv, space_cv;
    kz_sw_task *head, *tail, *next_work;
    size_t inflight, max_inflight;
    bool finished, emitting, stop;
    kz_sweep_stats st;      /* emission side */
    uint64_t total_in;      /* stored bytes of all inputs */
    uint64_t in_done;       /* of those, consumed by emitted tasks */
    int64_t t0, last_progress;
} engine;

const char *kz_sweep_format_name(kz_sweep_format f)
{
    switch (f) {
    case KZ_SWEEP_AUTO: return "auto";
    case KZ_SWEEP_ZEEK: return "zeek";
    case KZ_SWEEP_ZEEK_JSON: return "zeek-json";
    case KZ_SWEEP_EVE: return "eve";
    case KZ_SWEEP_CSV: return "csv";
    case KZ_SWEEP_TEXT: return "text";
    }
    return "unknown";
}

int kz_sweep_format_parse(const char *name)
{
    for (int f = KZ_SWEEP_AUTO; f <= KZ_SWEEP_TEXT; f++)
        if (name && strcmp(name, kz_sweep_format_name((kz_sweep_format)f)) == 0)
            return f;
    return -1;
}

/* ---- files and their schemas ------------------------------------------- */

int kz_sw_file_schema(kz_sw_file *f, kz_sw_schema *s, kz_sw_schema **out)
{
    pthread_mutex_lock(&f->lock);
    for (kz_sw_schema *x = f->schemas; x; x = x->next)
        if (x->sig == s->sig) {
            pthread_mutex_unlock(&f->lock);
            kz_sw_schema_free(s);
            *out = x;
            return KZ_OK;
        }
    s->next = f->schemas;
    f->schemas = s;
    pthread_mutex_unlock(&f->lock);
    *out = s;
    return KZ_OK;
}

static void file_close(kz_sw_file *f)
{
    if (f->unmap)
        kz_sw_unmap(f->map, f->map_len);
    kz_sw_stream_close(f->stream);
    if (f->fd >= 0)
        close(f->fd);
    while (f->schemas) {
        kz_sw_schema *n = f->schemas->next;
        kz_sw_schema_free(f->schemas);
        f->schemas = n;
    }
    pthread_mutex_destroy(&f->lock);
    free(f);
}

/* ---- workers ------------------------------------------------------------ */

void kz_sw_worker_init(kz_sw_worker *w, const kz_sw_env *env)
{
    memset(w, 0, sizeof *w);
    w->env = env;
    kz_buf_init(&w->norm);
    kz_buf_init(&w->tmp);
    kz_buf_init(&w->fmt);
}

void kz_sw_worker_free(kz_sw_worker *w)
{
    kz_buf_free(&w->norm);
    kz_buf_free(&w->tmp);
    kz_buf_free(&w->fmt);
}

static void process(kz_sw_worker *w, kz_sw_task *t)
{
    w->out = &t->out;
    w->file = t->file;
    w->line = 0;
    if (t->len == 0) { /* a marker: its result was filled when it was made */
        t->end = t->start;
        return;
    }
    if (t->start->fmt == KZ_SWEEP_ZEEK)
        kz_sw_zeek_task(w, t);
    else
        kz_sw_lines_task(w, t);
    if (t->file->unmap) /* a mapped file: the chunk's pages are done with */
        kz_sw_release(t->data, t->len);
}

static void free_task(kz_sw_task *t)
{
    kz_sw_out_free(&t->out);
    free(t->own);
    free(t);
}

static void progress(engine *e, bool force)
{
    if (!e->o->on_progress)
        return;
    int64_t now = kz_time_now();
    if (!force && now - e->last_progress < 100000)
        return;
    e->last_progress = now;
    kz_sweep_stats s = e->st;
    s.input_bytes = e->in_done;
    s.seconds = (double)(now - e->t0) / 1e6;
    e->o->on_progress(e->o->ctx, &s, e->total_in);
}

static void problem_out(engine *e, kz_sw_file *f, uint64_t line, int code, const char *msg)
{
    e->st.errors++;
    if (++f->problems > PROBLEMS_SHOWN || !e->o->on_problem)
        return;
    kz_sweep_problem p = {.file = f->name, .line = line, .code = code, .msg = msg};
    e->o->on_problem(e->o->ctx, &p);
}

/* Reports one finished task; false when on_hit asked to stop. */
static bool emit(engine *e, kz_sw_worker *w, kz_sw_task *t)
{
    kz_sw_file *f = t->file;
    bool go = true;
    if (t->len && f->cur && t->start->sig != f->cur->sig) {
        kz_sw_out_reset(&t->out);
        t->start = f->cur;
        process(w, t);
    }
    if (t->end)
        f->cur = t->end;
    const kz_sw_out *o = &t->out;
    uint64_t base = f->lines_done;
    size_t ip = 0, ih = 0;
    while (ip < o->nprob || ih < o->nrec) {
        if (ip < o->nprob && (ih >= o->nrec || o->prob[ip].line <= o->rec[ih].line)) {
            const kz_sw_prob *p = &o->prob[ip++];
            problem_out(e, f, p->line == WHOLE_FILE ? 0 : base + p->line + 1, p->code,
                        o->text.p + p->msg);
            continue;
        }
        const kz_sw_rec *r = &o->rec[ih++];
        if (r->wl)
            e->st.warninglisted++;
        else
            e->st.hits++;
        if (go && e->o->on_hit) {
            kz_sweep_hit h = {
                .file = f->name,
                .line = base + r->line + 1,
                .field = o->text.p + r->field,
                .value = o->text.p + r->value,
                .value_type = (kz_ioc_type)r->vtype,
                .kind = (kz_match_kind)r->kind,
                .payload = r->payload,
                .warninglist = r->wl,
                .text = e->o->format_hit ? o->text.p + r->text : NULL,
                .text_len = r->text_len,
            };
            go = e->o->on_hit(e->o->ctx, &h);
        }
    }
    if (o->oom)
        problem_out(e, f, base + 1, KZ_E_NOMEM,
                    "out of memory: hits in this part of the file may be missing");
    f->lines_done += o->lines;
    e->st.lines += o->lines;
    e->st.bytes += o->bytes;
    if (t->in_bytes > e->in_done)
        e->in_done = t->in_bytes;
    if (t->last) {
        if (f->problems > PROBLEMS_SHOWN && e->o->on_problem) {
            char msg[128];
            snprintf(msg, sizeof msg, "%llu more problems in this file were not shown",
                     (unsigned long long)(f->problems - PROBLEMS_SHOWN));
            kz_sweep_problem p = {.file = f->name, .line = 0, .code = KZ_E_INVALID, .msg = msg};
            e->o->on_problem(e->o->ctx, &p);
        }
        if (f->opened)
            e->st.files++;
        file_close(f);
    }
    progress(e, false);
    return go;
}

static void finish(engine *e, kz_sw_worker *w, kz_sw_task *t)
{
    pthread_mutex_lock(&e->m);
    t->done = true;
    if (e->emitting) {
        pthread_mutex_unlock(&e->m);
        return;
    }
    e->emitting = true;
    while (e->head && e->head->done) {
        kz_sw_task *h = e->head;
        e->head = h->next;
        if (!e->head)
            e->tail = NULL;
        bool stop = e->stop;
        pthread_mutex_unlock(&e->m);
        bool go = stop ? true : emit(e, w, h);
        if (stop && h->last)
            file_close(h->file);
        free_task(h);
        pthread_mutex_lock(&e->m);
        if (!go)
            e->stop = true;
        e->inflight--;
        pthread_cond_signal(&e->space_cv);
    }
    e->emitting = false;
    pthread_mutex_unlock(&e->m);
}

typedef struct wctx {
    engine *e;
    kz_sw_worker w;
    pthread_t th;
} wctx;

static void *worker_main(void *arg)
{
    wctx *c = arg;
    engine *e = c->e;
    for (;;) {
        pthread_mutex_lock(&e->m);
        while (!e->next_work && !e->finished)
            pthread_cond_wait(&e->work_cv, &e->m);
        kz_sw_task *t = e->next_work;
        if (!t) {
            pthread_mutex_unlock(&e->m);
            break;
        }
        e->next_work = t->next;
        bool stop = e->stop;
        pthread_mutex_unlock(&e->m);
        if (!stop)
            process(&c->w, t);
        finish(e, &c->w, t);
    }
    return NULL;
}

/* ---- producing tasks ---------------------------------------------------- */

/* Appends t, waiting while too many are in flight; false when stopping. */
static bool push(engine *e, kz_sw_task *t)
{
    pthread_mutex_lock(&e->m);
    while (e->inflight >= e->max_inflight && !e->stop)
        pthread_cond_wait(&e->space_cv, &e->m);
    bool stop = e->stop;
    if (e->tail)
        e->tail->next = t;
    else
        e->head = t;
    e->tail = t;
    if (!e->next_work)
        e->next_work = t;
    e->inflight++;
    pthread_cond_signal(&e->work_cv);
    pthread_mutex_unlock(&e->m);
    return !stop;
}

static kz_sw_task *task_new(kz_sw_file *f, kz_sw_schema *start)
{
    kz_sw_task *t = calloc(1, sizeof *t);
    if (t) {
        t->file = f;
        t->start = start;
    }
    return t;
}

/* A task that carries only a problem (and maybe a line it stands for). */
static bool push_marker(engine *e, kz_sw_file *f, kz_sw_schema *start, uint32_t line, int code,
                        uint64_t lines, bool last, uint64_t in_bytes, const char *fmt, ...)
    __attribute__((format(printf, 9, 10)));

static bool push_marker(engine *e, kz_sw_file *f, kz_sw_schema *start, uint32_t line, int code,
                        uint64_t lines, bool last, uint64_t in_bytes, const char *fmt, ...)
{
    kz_sw_task *t = task_new(f, start);
    if (!t)
        return false;
    if (fmt) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        kz_sw_problem(&t->out, line, code, "%s", msg);
    }
    t->out.lines = lines;
    t->last = last;
    t->in_bytes = in_bytes;
    return push(e, t);
}

static int start_schema(engine *e, kz_sw_file *f, const char *p, size_t n, kz_sw_schema **out)
{
    f->fmt = e->o->format == KZ_SWEEP_AUTO ? kz_sw_detect(p, n < DETECT_BYTES ? n : DETECT_BYTES)
                                           : e->o->format;
    kz_sw_schema *s;
    int rc = kz_sw_initial_schema(f->fmt, p, n, &s);
    if (rc < 0)
        return rc;
    s->next = NULL;
    f->schemas = s;
    f->cur = s;
    *out = s;
    return KZ_OK;
}

/* Ends a file whose tasks were cut short (stopping, out of memory), so its
 * resources are released when the tasks before it are out. */
static bool end_file(engine *e, kz_sw_file *f, kz_sw_schema *s, uint64_t in_bytes, bool oom)
{
    if (oom)
        return push_marker(e, f, s, 0, KZ_E_NOMEM, 0, true, in_bytes,
                           "out of memory: the rest of the file is not swept");
    return push_marker(e, f, s, 0, 0, 0, true, in_bytes, NULL);
}

static bool produce_map(engine *e, kz_sw_file *f, uint64_t in_base)
{
    kz_sw_schema *s;
    if (start_schema(e, f, f->map ? f->map : "", f->map_len, &s) < 0)
        return push_marker(e, f, NULL, WHOLE_FILE, KZ_E_NOMEM, 0, true, in_base + f->map_len,
                           "out of memory");
    const char *p = f->map;
    size_t len = f->map_len, off = 0, chunk = e->env.chunk;
    if (len == 0)
        return end_file(e, f, s, in_base, false);
    while (off < len) {
        size_t end = len - off > chunk ? off + chunk : len;
        if (end < len) {
            const char *nl = memchr(p + end, '\n', len - end);
            end = nl ? (size_t)(nl - p) + 1 : len;
        }
        kz_sw_task *t = task_new(f, s);
        if (!t)
            return end_file(e, f, s, in_base + off, true) && false;
        bool last = end == len;
        t->data = p + off;
        t->len = end - off;
        t->first = off == 0;
        t->last = last;
        t->in_bytes = in_base + end;
        if (!push(e, t)) /* t may be gone already */
            return last ? false : end_file(e, f, s, in_base + end, false) && false;
        off = end;
    }
    return true;
}

/* Reads a stream into blocks that end at a line end. A line longer than
 * the limit is skipped without being held; a stream error ends the file
 * (what came before it is swept; a cut-off last line is not). */
static bool produce_stream(engine *e, kz_sw_file *f, uint64_t in_base)
{
    size_t block = e->env.chunk < KZ_SW_BLOCK ? e->env.chunk : KZ_SW_BLOCK;
    size_t max = e->env.max_line;
    kz_sw_schema *s = NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0, target = block;
    bool eof = false, first = true, skipping = false, failed = false, dropped = false;
    bool go = true, oom = false;
    kz_err rerr;
    kz_err_clear(&rerr);
    while (go) {
        while (!eof && len < target) {
            if (cap < target) {
                char *nb = realloc(buf, target);
                if (!nb) {
                    oom = true;
                    goto done;
                }
                buf = nb;
                cap = target;
            }
            size_t got = 0;
            if (kz_sw_stream_read(f->stream, buf + len, target - len, &got, &rerr) < 0)
                failed = eof = true;
            len += got;
            if (got == 0)
                eof = true;
        }
        uint64_t pos = in_base + kz_sw_stream_pos(f->stream);
        if (!s && start_schema(e, f, buf ? buf : "", len, &s) < 0) {
            oom = true;
            goto done;
        }
        if (skipping) { /* the rest of an overlong line */
            const char *nl = len ? memchr(buf, '\n', len) : NULL;
            if (!nl && !eof) {
                len = 0;
                continue;
            }
            skipping = false;
            size_t rest = nl ? len - (size_t)(nl + 1 - buf) : 0;
            if (rest)
                memmove(buf, nl + 1, rest);
            len = rest;
            go = push_marker(e, f, s, 0, KZ_E_TOOLARGE, 1, false, pos,
                             "line is longer than %zu bytes: skipped", max);
            if (len == 0 && eof)
                break;
            continue;
        }
        if (len == 0)
            break;
        const char *nl = memrchr(buf, '\n', len);
        size_t cut;
        if (nl) {
            cut = (size_t)(nl - buf) + 1;
        } else if (eof) {
            if (failed) { /* the line the data was cut in */
                dropped = true;
                break;
            }
            cut = len; /* a last line without its newline */
        } else if (len > max) {
            skipping = true;
            len = 0;
            continue;
        } else {
            target = len * 2 > max + 1 ? max + 1 : len * 2;
            continue;
        }
        size_t rest = len - cut, ncap = block > rest ? block : rest + 1;
        char *nb = NULL;
        if (rest || !eof) {
            if (!(nb = malloc(ncap))) {
                oom = true;
                goto done;
            }
            memcpy(nb, buf + cut, rest);
        }
        kz_sw_task *t = task_new(f, s);
        if (!t) {
            free(nb);
            oom = true;
            goto done;
        }
        t->own = buf;
        t->data = buf;
        t->len = cut;
        t->first = first;
        t->in_bytes = pos;
        first = false;
        buf = nb;
        cap = nb ? ncap : 0;
        len = rest;
        target = block;
        go = push(e, t);
        if (eof && len == 0)
            break;
    }
done:
    free(buf);
    uint64_t pos = in_base + kz_sw_stream_pos(f->stream);
    if (failed && !oom)
        return push_marker(e, f, s, 0, KZ_E_IO, 0, true, pos, "%s%s", rerr.msg,
                           dropped ? " (the incomplete line is skipped)" : "") &&
               go;
    return end_file(e, f, s, pos, oom) && go;
}

static kz_sw_file *file_new(const char *name)
{
    kz_sw_file *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->name = name;
    f->fd = -1;
    pthread_mutex_init(&f->lock, NULL);
    return f;
}

/* Opens one input and produces its tasks; false when the sweep stops. */
static bool produce_file(engine *e, const char *path, uint64_t *in_base)
{
    kz_sw_file *f = file_new(path);
    if (!f)
        return false;
    bool go;
    kz_err err;
    kz_err_clear(&err);
    struct stat sb;
    memset(&sb, 0, sizeof sb);
    bool is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? -1 : open(path, O_RDONLY | O_CLOEXEC);
    if (!is_stdin && fd < 0) {
        return push_marker(e, f, NULL, WHOLE_FILE, KZ_E_IO, 0, true, *in_base, "cannot open: %s",
                           strerror(errno));
    }
    if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        close(fd);
        return push_marker(e, f, NULL, WHOLE_FILE, KZ_E_IO, 0, true, *in_base,
                           "is a directory, not a log file");
    }
    unsigned char magic[2] = {0, 0};
    bool regular = fd >= 0 && S_ISREG(sb.st_mode);
    bool gz = regular && sb.st_size >= 2 && pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f &&
              magic[1] == 0x8b;
    if (regular && !gz) {
        f->fd = fd;
        if (kz_sw_map(fd, (size_t)sb.st_size, &f->map, &err) < 0)
            return push_marker(e, f, NULL, WHOLE_FILE, KZ_E_IO, 0, true, *in_base, "%s",
                               err.msg);
        f->map_len = (size_t)sb.st_size;
        f->unmap = true;
        f->opened = true;
        go = produce_map(e, f, *in_base);
        *in_base += (uint64_t)sb.st_size;
        return go;
    }
    if (kz_sw_stream_open(path, fd, &f->stream, &err) < 0) {
        if (fd >= 0)
            close(fd);
        return push_marker(e, f, NULL, WHOLE_FILE, KZ_E_IO, 0, true, *in_base, "%s", err.msg);
    }
    f->fd = fd; /* the stream reads it; closed with the file */
    f->opened = true;
    go = produce_stream(e, f, *in_base);
    if (regular)
        *in_base += (uint64_t)sb.st_size;
    return go;
}

/* ---- the sweep ---------------------------------------------------------- */

static int env_init(engine *e, const kz_match_index *idx, const kz_sweep_opts *o, kz_err *err)
{
    kz_sw_env *v = &e->env;
    v->idx = idx;
    v->o = o;
    v->max_line = o->max_line ? o->max_line : KZ_SWEEP_MAX_LINE;
    v->chunk = o->chunk_bytes ? o->chunk_bytes : KZ_SW_CHUNK;
    for (size_t i = 0; i < idx->nrec; i++)
        v->types |= 1u << idx->rec[i].type;
    if (kz_sw_filter_build(&v->filter, idx) < 0)
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    if (o->wl) {
        v->nwl = kz_match_warninglists_count(o->wl);
        v->wl_names = calloc(v->nwl ? v->nwl : 1, sizeof *v->wl_names);
        v->wl_cache = malloc((idx->nrec ? idx->nrec : 1) * sizeof *v->wl_cache);
        if (!v->wl_names || !v->wl_cache)
            return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
        for (size_t i = 0; i < v->nwl; i++) {
            kz_match_wl_info info;
            v->wl_names[i] = kz_match_warninglist_info(o->wl, i, &info) ? info.name : "";
        }
        for (size_t i = 0; i < idx->nrec; i++)
            atomic_init(&v->wl_cache[i], INT32_MIN);
    }
    return KZ_OK;
}

typedef struct input {
    const char *const *files;
    size_t nfiles;
    const char *mem_name;
    const void *mem;
    size_t mem_len;
} input;

static unsigned thread_count(const kz_sweep_opts *o)
{
    unsigned n = o->threads;
    if (n == 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c > 0 ? (unsigned)c : 1;
    }
    return n > MAX_THREADS ? MAX_THREADS : n;
}

static int run(const kz_match_index *idx, const input *in, const kz_sweep_opts *o,
               kz_sweep_stats *stats, kz_err *err)
{
    if (stats)
        memset(stats, 0, sizeof *stats);
    if (!idx || !o || (in->nfiles && !in->files))
        return kz_fail(err, KZ_E_INVALID, NULL, "sweep: no index or no options");
    if ((unsigned)o->format > KZ_SWEEP_TEXT)
        return kz_fail(err, KZ_E_INVALID, "format", "sweep: unknown format %d", (int)o->format);
    engine *e = calloc(1, sizeof *e);
    if (!e)
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    e->o = o;
    int rc = env_init(e, idx, o, err);
    unsigned nt = thread_count(o);
    wctx *wc = rc == 0 ? calloc(nt, sizeof *wc) : NULL;
    if (rc == 0 && !wc)
        rc = kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    if (rc < 0) {
        kz_sw_filter_free(&e->env.filter);
        free(e->env.wl_names);
        free(e->env.wl_cache);
        free(e);
        return rc;
    }
    e->max_inflight = 4 * (size_t)nt + 4;
    pthread_mutex_init(&e->m, NULL);
    pthread_cond_init(&e->work_cv, NULL);
    pthread_cond_init(&e->space_cv, NULL);
    e->t0 = e->last_progress = kz_time_now();
    for (size_t i = 0; i < in->nfiles; i++) {
        struct stat sb;
        if (strcmp(in->files[i], "-") != 0 && stat(in->files[i], &sb) == 0 && S_ISREG(sb.st_mode))
            e->total_in += (uint64_t)sb.st_size;
    }
    if (in->mem)
        e->total_in = in->mem_len;
    unsigned started = 0;
    for (; started < nt; started++) {
        wc[started].e = e;
        kz_sw_worker_init(&wc[started].w, &e->env);
        if (pthread_create(&wc[started].th, NULL, worker_main, &wc[started]) != 0) {
            kz_sw_worker_free(&wc[started].w);
            break;
        }
    }
    if (started == 0) {
        rc = kz_fail(err, KZ_E_INTERNAL, NULL, "sweep: cannot start a worker thread");
    } else if (in->mem) {
        kz_sw_file *f = file_new(in->mem_name);
        if (f) {
            f->map = in->mem;
            f->map_len = in->mem_len;
            f->opened = true;
            produce_map(e, f, 0);
        } else {
            rc = kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
        }
    } else {
        uint64_t in_base = 0;
        for (size_t i = 0; i < in->nfiles; i++)
            if (!produce_file(e, in->files[i], &in_base))
                break;
    }
    pthread_mutex_lock(&e->m);
    e->finished = true;
    pthread_cond_broadcast(&e->work_cv);
    pthread_mutex_unlock(&e->m);
    for (unsigned i = 0; i < started; i++) {
        pthread_join(wc[i].th, NULL);
        kz_sw_worker_free(&wc[i].w);
    }
    progress(e, true);
    e->st.seconds = (double)(kz_time_now() - e->t0) / 1e6;
    e->st.input_bytes = e->in_done;
    if (stats)
        *stats = e->st;
    pthread_mutex_destroy(&e->m);
    pthread_cond_destroy(&e->work_cv);
    pthread_cond_destroy(&e->space_cv);
    free(wc);
    kz_sw_filter_free(&e->env.filter);
    free(e->env.wl_names);
    free(e->env.wl_cache);
    free(e);
    return rc;
}

int kz_sweep_files(const kz_match_index *idx, const char *const *files, size_t nfiles,
                   const kz_sweep_opts *o, kz_sweep_stats *stats, kz_err *err)
{
    input in = {.files = files, .nfiles = nfiles};
    return run(idx, &in, o, stats, err);
}

int kz_sweep_mem(const kz_match_index *idx, const char *name, const void *data, size_t len,
                 const kz_sweep_opts *o, kz_sweep_stats *stats, kz_err *err)
{
    input in = {.mem_name = name ? name : "-", .mem = data ? data : "", .mem_len = data ? len : 0};
    return run(idx, &in, o, stats, err);
}

/* ---- one thread, prepared once (the fuzz target) ------------------------
 * tests/fuzz/fuzz_sweep.c sweeps millions of small buffers, several times
 * each. Through kz_sweep_mem every sweep started its threads and built the
 * filter and a worker's miss caches afresh: about a megabyte of new pages a
 * sweep, which under ASan took most of the time. This keeps the filter and
 * one worker, and runs the same engine (tasks, emission in line order, the
 * re-sweep of a task whose assumed header was wrong) with the calling thread
 * as its only worker, after every task of the buffer is produced (so for
 * small buffers only: every task is held at once). Each sweep starts from a
 * cleared worker, so its result never depends on the sweep before it. */

struct kz_sw_inline {
    engine e;
    wctx w;
};

int kz_sw_inline_new(const kz_match_index *idx, kz_sw_inline **out, kz_err *err)
{
    *out = NULL;
    kz_sw_inline *s = calloc(1, sizeof *s);
    if (!s)
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    static const kz_sweep_opts none; /* the filter and types depend on idx alone */
    int rc = env_init(&s->e, idx, &none, err);
    if (rc < 0) {
        kz_sw_filter_free(&s->e.env.filter);
        free(s);
        return rc;
    }
    pthread_mutex_init(&s->e.m, NULL);
    pthread_cond_init(&s->e.work_cv, NULL);
    pthread_cond_init(&s->e.space_cv, NULL);
    s->w.e = &s->e;
    *out = s;
    return KZ_OK;
}

void kz_sw_inline_free(kz_sw_inline *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->e.m);
    pthread_cond_destroy(&s->e.work_cv);
    pthread_cond_destroy(&s->e.space_cv);
    kz_sw_filter_free(&s->e.env.filter);
    free(s);
}

int kz_sw_inline_mem(kz_sw_inline *s, const char *name, const void *data, size_t len,
                     const kz_sweep_opts *o, kz_sweep_stats *stats, kz_err *err)
{
    if (stats)
        memset(stats, 0, sizeof *stats);
    if (!o || o->wl)
        return kz_fail(err, KZ_E_INVALID, NULL, "inline sweep: no options, or warninglists");
    if ((unsigned)o->format > KZ_SWEEP_TEXT)
        return kz_fail(err, KZ_E_INVALID, "format", "sweep: unknown format %d", (int)o->format);
    engine *e = &s->e;
    e->o = o;
    e->env.o = o;
    e->env.max_line = o->max_line ? o->max_line : KZ_SWEEP_MAX_LINE;
    e->env.chunk = o->chunk_bytes ? o->chunk_bytes : KZ_SW_CHUNK;
    e->head = e->tail = e->next_work = NULL;
    e->inflight = 0;
    e->max_inflight = SIZE_MAX; /* push never waits: nobody consumes yet */
    e->finished = e->emitting = e->stop = false;
    memset(&e->st, 0, sizeof e->st);
    e->total_in = data ? len : 0;
    e->in_done = 0;
    e->t0 = e->last_progress = kz_time_now();
    kz_sw_worker_init(&s->w.w, &e->env);
    int rc = KZ_OK;
    kz_sw_file *f = file_new(name ? name : "-");
    if (f) {
        f->map = data ? data : "";
        f->map_len = data ? len : 0;
        f->opened = true;
        produce_map(e, f, 0);
    } else {
        rc = kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    }
    e->finished = true;
    worker_main(&s->w);
    kz_sw_worker_free(&s->w.w);
    progress(e, true);
    e->st.seconds = (double)(kz_time_now() - e->t0) / 1e6;
    e->st.input_bytes = e->in_done;
    if (stats)
        *stats = e->st;
    return rc;
}
