/* sweep_int.h — what the files of the sweep share: the kinds of value a log
 * field holds, the per-task result buffers (hits are collected per chunk and
 * emitted in line order once every earlier chunk is out), the per-file
 * format state ("schema": a Zeek #fields header, a CSV header) and the
 * worker's scratch space. The engine is sweep.c, the readers reader*.c, the
 * per-format extraction logfmt*.c and the lookups of one value sweep_value.c.
 */
#ifndef KZ_SWEEP_INT_H
#define KZ_SWEEP_INT_H

#include "match_int.h"

#include <pthread.h>

#define KZ_SW_CHUNK (4u << 20)  /* default bytes of one memory-mapped work unit */
#define KZ_SW_BLOCK (1u << 20)  /* bytes of one block read from a stream */
#define KZ_SW_MAX_FIELDS 512    /* columns of one Zeek / CSV line */
#define KZ_SW_HITS 64           /* hits of one lookup kept on the stack */
#define KZ_SW_MAX_VALUE 8192    /* longest value looked up (kz_ioc_normalize's limit) */
#define KZ_SW_IP4_CACHE 16384   /* worker's cache of IPv4 addresses that missed */
#define KZ_SW_DOM_CACHE 16384   /* and of domain names that missed */

/* ---- what a field holds ------------------------------------------------ */

typedef enum {
    KZ_SWF_NONE,
    KZ_SWF_IP,       /* an address */
    KZ_SWF_HOST,     /* a domain name or an address */
    KZ_SWF_URL,      /* a whole URL: the URL, then its host */
    KZ_SWF_URI,      /* an HTTP request target, joined with the line's host */
    KZ_SWF_HASH,     /* md5, sha1, sha256 or sha512 by length */
    KZ_SWF_EMAIL,    /* an address, also "Name <addr>" */
    KZ_SWF_FILENAME,
    KZ_SWF_UA,       /* user agent */
    KZ_SWF_DN,       /* an X.509 distinguished name: its CN as a host */
    KZ_SWF_AUTO,     /* anything: the type is guessed (CSV, unknown logs) */
} kz_swf_kind;

/* The kind of a field of a Zeek log (path may be NULL or unknown: then by
 * name alone, and addr-typed columns are addresses). *vec tells a
 * comma-separated set or vector (from the #types line or the name). */
kz_swf_kind kz_sw_zeek_kind(const char *path, const char *name, size_t n, const char *type,
                            size_t tn, bool *vec);
/* The kind of a JSON member by its dotted path without array indices
 * ("dns.answers.rdata"), for Zeek JSON (path from "_path") and EVE. */
kz_swf_kind kz_sw_json_kind(kz_sweep_format fmt, const char *zeek_path, const char *key, size_t n);

/* ---- the filter in front of the index (sweep_filter.c) ------------------ */

/* Namespace of the hosts of listed URLs (string-table namespaces are
 * indicator types, so this one cannot clash). */
#define KZ_SW_NS_URL_HOST ((uint8_t)0xfe)

typedef struct kz_sw_filter {
    uint64_t *bits;  /* blocked Bloom filter: 512-bit blocks */
    size_t nblocks;  /* a power of two */
    uint64_t *v4;    /* a bit per IPv4 /20 with a listed address or network */
    uint64_t *v4port; /* a bit per IPv4 /20 with the address of a listed ip:port */
    bool v6port;      /* an ip:port with an IPv6 address is listed */
} kz_sw_filter;

int kz_sw_filter_build(kz_sw_filter *f, const kz_match_index *idx);
void kz_sw_filter_free(kz_sw_filter *f);
uint64_t kz_sw_fhash(uint8_t ns, const char *s, size_t n);
/* Asks for the hash's block ahead of kz_sw_filter_maybe. */
void kz_sw_filter_prefetch(const kz_sw_filter *f, uint64_t h);
/* False when no key with that hash is in the index. */
bool kz_sw_filter_maybe(const kz_sw_filter *f, uint64_t h);
/* False when no listed address or network covers the IPv4 address a. */
bool kz_sw_filter_v4(const kz_sw_filter *f, const uint8_t a[16]);
/* False when no listed ip:port has the IPv4 address a. */
bool kz_sw_filter_v4port(const kz_sw_filter *f, const uint8_t a[16]);

/* ---- shared, read-only while sweeping ---------------------------------- */

typedef struct kz_sw_env {
    const kz_match_index *idx;
    const kz_sweep_opts *o;
    uint32_t types;       /* bit (1 << kz_ioc_type) for each type the index holds */
    size_t max_line;
    size_t chunk;
    kz_sw_filter filter;
    /* per payload: the warninglist answer, computed once (INT32_MIN = not yet) */
    _Atomic int32_t *wl_cache;
    const char **wl_names; /* list number -> name, for o->wl */
    size_t nwl;
} kz_sw_env;

static inline bool kz_sw_has(const kz_sw_env *e, kz_ioc_type t)
{
    return (e->types >> t) & 1u;
}

/* ---- results of one task ----------------------------------------------- */

typedef struct kz_sw_rec {
    uint32_t line;    /* from 0, within the task */
    uint32_t field;   /* offsets into the task's text */
    uint32_t value;
    uint32_t payload;
    const char *wl;   /* list name (lives in the index or the lists), NULL */
    uint32_t text, text_len; /* opts.format_hit's bytes in the task's text */
    uint8_t kind;
    uint8_t vtype;
} kz_sw_rec;

typedef struct kz_sw_prob {
    uint32_t line; /* from 0, within the task */
    int code;
    uint32_t msg;  /* offset into the task's text */
} kz_sw_prob;

typedef struct kz_sw_out {
    kz_sw_rec *rec;
    size_t nrec, caprec;
    kz_sw_prob *prob;
    size_t nprob, capprob;
    kz_buf text;
    uint64_t lines; /* lines in the task */
    uint64_t bytes;
    bool oom;       /* a result was lost to memory: reported at emission */
} kz_sw_out;

void kz_sw_out_free(kz_sw_out *o);
void kz_sw_out_reset(kz_sw_out *o);
void kz_sw_problem(kz_sw_out *o, uint32_t line, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- format state of a file --------------------------------------------- */

typedef struct kz_sw_col {
    uint32_t col;
    uint8_t kind; /* kz_swf_kind */
    bool vec;
} kz_sw_col;

/* A Zeek header or a CSV header line, compiled. Immutable once made; the
 * file keeps every one it met until its last task is out. */
typedef struct kz_sw_schema {
    struct kz_sw_schema *next;
    uint64_t sig;         /* equal headers, equal signatures */
    kz_sweep_format fmt;
    bool have;            /* a #fields (CSV: header) line was seen */
    char sep, set_sep;
    char *empty, *unset;  /* Zeek's "(empty)" and "-" */
    size_t empty_len, unset_len;
    char *path;           /* #path, "" when none */
    char *fields_raw, *types_raw; /* the header lines as given */
    size_t nfields;
    char **names;         /* nfields column names */
    size_t *name_len;
    kz_sw_col *cols;      /* the columns worth looking at */
    size_t ncols;
    int resp_h, resp_p;   /* responder address and port columns, -1 when absent */
    int host;             /* HTTP host column for KZ_SWF_URI, -1 */
} kz_sw_schema;

/* From the header block at the start of a Zeek log (have = false when it
 * has no #fields line). */
int kz_sw_zeek_initial(const char *p, size_t n, kz_sw_schema **out);
/* Splits one CSV line (RFC 4180 quoting, ',' separated) into at most max
 * fields, unquoting into scratch (n bytes); returns the field count (all
 * counted), or -1 when a quote is not closed. */
long kz_sw_csv_split(const char *p, size_t n, char *scratch, const char **f, size_t *fl,
                     size_t max);
/* From a CSV header line. */
int kz_sw_csv_schema(const char *line, size_t n, kz_sw_schema **out);
/* A stateless placeholder for JSON and text. */
int kz_sw_plain_schema(kz_sweep_format fmt, kz_sw_schema **out);
void kz_sw_schema_free(kz_sw_schema *s);
/* The first header of a file starting with p[0..n) (for a task's assumed
 * start). Formats without headers get the plain schema. */
int kz_sw_initial_schema(kz_sweep_format fmt, const char *p, size_t n, kz_sw_schema **out);

/* The format of a file by its first bytes. */
kz_sweep_format kz_sw_detect(const char *p, size_t n);

/* ---- workers ----------------------------------------------------------- */

typedef struct kz_sw_file kz_sw_file;

typedef struct kz_sw_worker {
    const kz_sw_env *env;
    kz_sw_out *out;
    uint32_t line;      /* within the task, from 0 */
    kz_sw_file *file;   /* for new schemas met inside a task */
    kz_buf norm, tmp, fmt;
    kz_match_hit hits[KZ_SW_HITS];
    uint64_t ip4_miss[KZ_SW_IP4_CACHE];  /* 1 << 32 | address */
    uint64_t dom_miss[KZ_SW_DOM_CACHE];  /* hash of a missed name, 0 = empty */
} kz_sw_worker;

void kz_sw_worker_init(kz_sw_worker *w, const kz_sw_env *env);
void kz_sw_worker_free(kz_sw_worker *w);

/* Adds a schema a task met to its file (thread-safe), or finds an equal one
 * already there; *out is owned by the file. */
int kz_sw_file_schema(kz_sw_file *f, kz_sw_schema *s, kz_sw_schema **out);

/* ---- one value (sweep_value.c) ----------------------------------------- */

/* Looks s[0..n) up as the given kind and records the hits under the field
 * name fname[0..fn). Values that cannot be of that kind are passed over. */
void kz_sw_value(kz_sw_worker *w, kz_swf_kind kind, const char *fname, size_t fn, const char *s,
                 size_t n);
/* The same for each element of a set / vector separated by sep. */
void kz_sw_values(kz_sw_worker *w, kz_swf_kind kind, const char *fname, size_t fn,
                  const char *s, size_t n, char sep);
/* host[0..hn) and uri[0..un) of an HTTP request, as one URL (exact). */
void kz_sw_http_url(kz_sw_worker *w, const char *fname, size_t fn, const char *host, size_t hn,
                    const char *uri, size_t un);
/* addr:port of a responder, as ip|port (exact). */
void kz_sw_ip_port(kz_sw_worker *w, const char *fname, size_t fn, const char *ip, size_t in,
                   const char *port, size_t pn);

/* Parses a dotted quad strictly (no leading zeros) into 16 bytes. */
bool kz_sw_parse_ip4(const char *s, size_t n, uint8_t out[16]);

/* ---- lines (sweep_line.c) ---------------------------------------------- */

/* NULL when the line is clean, else why it is binary garbage. */
const char *kz_sw_line_garbage(const char *p, size_t n);

/* ---- per format, one task (logfmt_*.c) --------------------------------- */

typedef struct kz_sw_task kz_sw_task;
/* Each processes t's bytes, fills w->out, and sets the schema in force at
 * the end of the task. */
void kz_sw_zeek_task(kz_sw_worker *w, kz_sw_task *t);
void kz_sw_lines_task(kz_sw_worker *w, kz_sw_task *t);
void kz_sw_json_line(kz_sw_worker *w, kz_sweep_format fmt, const char *p, size_t n);
void kz_sw_csv_line(kz_sw_worker *w, const kz_sw_schema *s, const char *p, size_t n);
void kz_sw_text_line(kz_sw_worker *w, const char *p, size_t n);

/* ---- the engine's task ------------------------------------------------- */

struct kz_sw_task {
    struct kz_sw_task *next;
    kz_sw_file *file;
    const char *data;
    size_t len;
    char *own;           /* the block to free after emission (streams) */
    bool first;          /* starts at the file's first byte */
    bool last;           /* the file ends with this task */
    kz_sw_schema *start; /* the schema assumed at the start */
    kz_sw_schema *end;   /* the one in force at the end */
    uint64_t in_bytes;   /* stored bytes consumed up to this task (progress) */
    kz_sw_out out;
    bool done;
};

/* ---- readers (reader*.c) ------------------------------------------------ */

/* A stream: a gzip file or stdin (plain or gzip), read in blocks. */
typedef struct kz_sw_stream kz_sw_stream;

/* Opens path ("-" = stdin) as a stream; gzip is recognised by its magic. */
int kz_sw_stream_open(const char *path, int fd, kz_sw_stream **out, kz_err *err);
/* Reads up to cap bytes of content into buf; *n = bytes read, 0 at the end.
 * KZ_E_IO with err saying why (truncated or corrupt gzip, read error). */
int kz_sw_stream_read(kz_sw_stream *s, char *buf, size_t cap, size_t *n, kz_err *err);
/* Stored bytes consumed so far. */
uint64_t kz_sw_stream_pos(const kz_sw_stream *s);
void kz_sw_stream_close(kz_sw_stream *s);

/* A regular file mapped read-only (NULL map for an empty file). */
int kz_sw_map(int fd, size_t size, const char **out, kz_err *err);
void kz_sw_unmap(const char *p, size_t size);
/* Drops the whole pages of p[0..n) from the process (they stay cached). */
void kz_sw_release(const char *p, size_t n);

/* ---- one thread, prepared once (sweep.c) -------------------------------- */

/* kz_sweep_mem on the calling thread, with the filter built once per index:
 * the engine of a sweep without its threads, for the fuzz target, which
 * sweeps millions of small buffers (tests/fuzz/fuzz_sweep.c). o->wl must be
 * NULL. Every task of the buffer is held at once: small buffers only. */
typedef struct kz_sw_inline kz_sw_inline;
int kz_sw_inline_new(const kz_match_index *idx, kz_sw_inline **out, kz_err *err);
int kz_sw_inline_mem(kz_sw_inline *s, const char *name, const void *data, size_t len,
                     const kz_sweep_opts *o, kz_sweep_stats *stats, kz_err *err);
void kz_sw_inline_free(kz_sw_inline *s);

#endif
