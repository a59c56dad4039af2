/* match.h — layer 2: the compiled, immutable indicator index that sweeps look
 * values up in at line rate, the atomic handle that publishes a new index
 * while readers keep using the old one, and MISP warninglists (known-benign
 * values) that suppress false positives.
 *
 * An index is built once from entries (indicator, event, org, type,
 * normalised value, TLP, tags) and never changes: lookups take no locks and
 * touch only the index and the caller's hit array. One value reported by many
 * events maps to all their payload records.
 *
 * Values are looked up in their normalised form (kz_ioc_normalize); a value
 * that is not normalised simply misses. kz_match_lookup_raw guesses the type
 * and normalises first, for search boxes and tests.
 */
#ifndef KZ_MATCH_H
#define KZ_MATCH_H

#include "base/base.h"
#include "ioc/ioc.h"
#include "model/model.h"

/* ---- building ----------------------------------------------------------- */

/* One indicator value as the builder takes it. Strings are copied. */
typedef struct kz_match_entry {
    const char *indicator_id; /* required, 1..255 bytes */
    const char *event_id;     /* NULL or 1..255 bytes */
    const char *org_id;       /* creator org, NULL or 1..255 bytes */
    kz_ioc_type type;
    const char *value;        /* normalised text of type `type` */
    kz_tlp tlp;
    bool to_ids;
    const char *tags;         /* comma-joined, or NULL */
} kz_match_entry;

typedef struct kz_match_builder kz_match_builder;
typedef struct kz_match_index kz_match_index;

kz_match_builder *kz_match_builder_new(void);
/* Copies e into the builder. KZ_E_VALUE for a value that cannot be indexed
 * (an IP or CIDR that does not parse, an empty or oversized value, text that
 * is not UTF-8), KZ_E_INVALID for a missing id or an unknown type or TLP,
 * KZ_E_TOOLARGE past 2^32 - 2 entries or 4 GiB of strings. The builder stays
 * usable after a refused entry. Entries are not de-duplicated. */
int kz_match_builder_add(kz_match_builder *b, const kz_match_entry *e, kz_err *err);
/* Compiles what was added into *out (refcount 1, owned by the caller) and
 * leaves the builder empty, ready to be reused or freed. */
int kz_match_build(kz_match_builder *b, kz_match_index **out, kz_err *err);
void kz_match_builder_free(kz_match_builder *b);
/* Drops the caller's reference (the same as kz_match_release). */
void kz_match_index_free(kz_match_index *idx);

/* ---- lookups ------------------------------------------------------------ */

typedef enum {
    KZ_MATCH_EXACT,     /* the value itself is listed */
    KZ_MATCH_CIDR,      /* the address lies in a listed network */
    KZ_MATCH_SUBDOMAIN, /* a parent domain is listed (a.evil.com -> evil.com) */
    KZ_MATCH_URL_HOST,  /* the URL's host (name or address) is listed */
} kz_match_kind;

const char *kz_match_kind_name(kz_match_kind k); /* "exact", "cidr", "subdomain", "url-host" */

typedef struct kz_match_hit {
    kz_match_kind kind;
    uint32_t payload; /* see kz_match_payload_get */
} kz_match_hit;

/* One payload record. The strings live in the index and stay valid while the
 * caller holds a reference to it. */
typedef struct kz_match_payload {
    const char *indicator_id;
    const char *event_id; /* NULL when none */
    const char *org_id;   /* NULL when none */
    const char *value;    /* the listed value: "10.0.0.0/8" for a cidr hit */
    const char *tags;     /* comma-joined, NULL when none */
    kz_ioc_type type;
    kz_tlp tlp;
    bool to_ids;
} kz_match_payload;

/* False when i is not a payload of idx. */
bool kz_match_payload_get(const kz_match_index *idx, uint32_t i, kz_match_payload *out);

/* Every lookup writes at most max hits and returns how many there are in
 * all, so a return value above max means the caller's array was too small
 * (nothing is dropped silently: call again with a larger one). Order: exact
 * hits first, then the most specific network or parent domain first.
 *
 * kz_match_lookup takes a normalised value of type t:
 *   ipv4, ipv6  exact address, then every listed network that contains it;
 *   cidr        the same network listed (exact), then every wider one;
 *   domain, hostname  exact, then every parent domain on a label boundary
 *               (b.evil.com, evil.com for a.b.evil.com; never notevil.com).
 *               Only domain indicators match subdomains; a hostname
 *               indicator names one host and matches only itself;
 *   url         exact URL, then the host as above (kind url-host);
 *   anything else  exact (ip|port, domain|ip, hashes, e-mail, file names, ...).
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the same key as a.b.c.d. */
size_t kz_match_lookup(const kz_match_index *idx, kz_ioc_type t, const char *value, size_t n,
                       kz_match_hit *hits, size_t max);
/* The fast paths a sweep uses without formatting text. */
size_t kz_match_lookup_ip(const kz_match_index *idx, const kz_ip *ip, kz_match_hit *hits,
                          size_t max);
size_t kz_match_lookup_domain(const kz_match_index *idx, const char *domain, size_t n,
                              kz_match_hit *hits, size_t max);
/* Guesses the type of a raw value (kz_ioc_guess), normalises it and looks it
 * up; *total gets the hit count, *type (if not NULL) the guessed type.
 * KZ_E_VALUE when the value is not a recognisable or valid indicator. */
int kz_match_lookup_raw(const kz_match_index *idx, const char *s, size_t n, kz_match_hit *hits,
                        size_t max, size_t *total, kz_ioc_type *type, kz_err *err);

typedef struct kz_match_stats {
    size_t payloads;  /* entries added */
    size_t addresses; /* distinct exact IPs */
    size_t networks;  /* distinct CIDR networks */
    size_t strings;   /* distinct string keys (domains, URLs, hashes, ...) */
    size_t bytes;     /* heap memory held by the index */
} kz_match_stats;
void kz_match_index_stats(const kz_match_index *idx, kz_match_stats *out);

/* ---- publishing --------------------------------------------------------- */

/* A slot holding the current index. Readers acquire it without locks and
 * without ever waiting for a writer; a writer that publishes a new index
 * waits only for readers caught between loading the pointer and taking their
 * reference (a few instructions), then drops the old index's handle
 * reference: the old index is freed when its last reader releases it. */
typedef struct kz_match_handle kz_match_handle;

kz_match_handle *kz_match_handle_new(void);
/* Releases the current index. No reader or writer may use h any more. */
void kz_match_handle_free(kz_match_handle *h);
/* Makes idx current, taking over the caller's reference (NULL empties h).
 * Writers are serialised among themselves. */
void kz_match_publish(kz_match_handle *h, kz_match_index *idx);
/* The current index with one more reference, or NULL when none is
 * published. Pair with kz_match_release. */
const kz_match_index *kz_match_acquire(kz_match_handle *h);
void kz_match_release(const kz_match_index *idx);

/* ---- warninglists ------------------------------------------------------- */

typedef struct kz_match_warninglists kz_match_warninglists;

typedef enum {
    KZ_WL_STRING,
    KZ_WL_HOSTNAME,
    KZ_WL_CIDR,
    KZ_WL_SUBSTRING,
    KZ_WL_REGEX,
} kz_wl_type;

typedef struct kz_match_wl_info {
    const char *name; /* the list's "name" */
    const char *dir;  /* its folder under lists/ */
    kz_wl_type type;
    size_t entries;   /* values loaded (for regex: patterns that compiled) */
} kz_match_wl_info;

typedef struct kz_match_wl_stats {
    size_t lists;          /* lists loaded */
    size_t entries;        /* values loaded */
    size_t skipped_dirs;   /* folders without a readable list.json */
    size_t skipped_values; /* values that are not strings or do not parse */
    size_t regex_ok;       /* regular expressions compiled */
    size_t regex_skipped;  /* not POSIX ERE (PCRE-only syntax): left out */
    size_t regex_lists_skipped; /* regex lists left with no usable expression */
} kz_match_wl_stats;

/* Loads dir/lists/<name>/list.json (or dir/<name>/list.json when dir has no
 * lists/ folder) in folder-name order. A list applies to the indicator types
 * its "matching_attributes" name (MISP type names); to every type when it
 * names none we know. KZ_E_IO when dir cannot be read, KZ_E_INVALID when a
 * list.json is not a warninglist (the message names the file). */
int kz_match_warninglists_load_dir(const char *dir, kz_match_warninglists **out, kz_err *err);
void kz_match_warninglists_free(kz_match_warninglists *wl);
void kz_match_warninglists_stats(const kz_match_warninglists *wl, kz_match_wl_stats *out);
size_t kz_match_warninglists_count(const kz_match_warninglists *wl);
bool kz_match_warninglist_info(const kz_match_warninglists *wl, size_t i, kz_match_wl_info *out);

/* The index (in folder order) of the first list that a normalised value of
 * type t is on, or -1. string = exact value; hostname = the domain or one of
 * its parents; cidr = an address (or network) inside a listed network;
 * substring = a listed text occurs in the value (ASCII case-insensitive);
 * regex = POSIX extended expression. Composite values are also checked by
 * their parts, as MISP does: the domain and the address of domain|ip, the
 * address of ip|port, the host of a URL, the domain of an e-mail address,
 * the name and the hash of filename|hash. */
int kz_match_warninglist_find(const kz_match_warninglists *wl, kz_ioc_type t, const char *value);
/* The "name" of that list, or NULL. */
const char *kz_match_warninglist_check(const kz_match_warninglists *wl, kz_ioc_type t,
                                       const char *value);


/* ---- sweep: logs against an index (sweep*.c, reader*.c, logfmt*.c) ------
 * Reads plain or gzip files (memory-mapped where possible) and stdin, pulls
 * the values that carry addresses, hosts, URLs, hashes and e-mail out of
 * each line by log format, and looks them up on N worker threads. Hits and
 * problems come back through callbacks, per file in line order, so the
 * output is the same whatever the thread count. Bad input (a truncated
 * gzip, an overlong line, binary garbage, a line that does not match its
 * header) is reported with file and line and the sweep goes on. */

typedef enum {
    KZ_SWEEP_AUTO,      /* detected per file from its first lines */
    KZ_SWEEP_ZEEK,      /* Zeek TSV with #separator / #fields headers */
    KZ_SWEEP_ZEEK_JSON, /* Zeek, one JSON object per line */
    KZ_SWEEP_EVE,       /* Suricata EVE JSON */
    KZ_SWEEP_CSV,       /* CSV with a header line */
    KZ_SWEEP_TEXT,      /* free text: indicators found as tokens, refanged */
} kz_sweep_format;

/* "auto", "zeek", "zeek-json", "eve", "csv", "text"; parse returns -1 for
 * an unknown name. */
const char *kz_sweep_format_name(kz_sweep_format f);
int kz_sweep_format_parse(const char *name);

#define KZ_SWEEP_MAX_LINE (1u << 20) /* default line limit, bytes */

typedef struct kz_sweep_hit {
    const char *file;        /* as given ("-" for stdin) */
    uint64_t line;           /* from 1 */
    const char *field;       /* "id.resp_h", "dns.rrname", "column 3 (dst)", "text" */
    const char *value;       /* the value looked up, normalised */
    kz_ioc_type value_type;  /* how it was looked up */
    kz_match_kind kind;
    uint32_t payload;        /* kz_match_payload_get on the swept index */
    const char *warninglist; /* the list the hit is on, NULL for an alert */
    const char *text;        /* what opts.format_hit wrote for it, NULL without one */
    size_t text_len;
} kz_sweep_hit;

typedef struct kz_sweep_problem {
    const char *file;
    uint64_t line;   /* from 1; 0 = the file as a whole (cannot be opened) */
    int code;        /* KZ_E_IO, KZ_E_TOOLARGE, KZ_E_INVALID */
    const char *msg; /* without file and line */
} kz_sweep_problem;

typedef struct kz_sweep_stats {
    uint64_t files;         /* inputs opened */
    uint64_t lines;         /* lines read, bad ones included */
    uint64_t bytes;         /* of log text (after gunzip) */
    uint64_t hits;          /* alerts: hits not on a warninglist */
    uint64_t warninglisted; /* hits on a warninglist */
    uint64_t errors;        /* problems reported */
    uint64_t input_bytes;   /* of the files as stored (for progress) */
    double seconds;
} kz_sweep_stats;

typedef struct kz_sweep_opts {
    kz_sweep_format format;
    unsigned threads;    /* workers; 0 = one per online core */
    size_t max_line;     /* longer lines are reported and skipped; 0 = KZ_SWEEP_MAX_LINE */
    size_t chunk_bytes;  /* work unit; 0 = default (tests make it small) */
    /* Known-benign values: a hit whose indicator value (or, for cidr,
     * subdomain and url-host hits, whose observed value) is on one of these
     * lists is reported with its name. NULL = none. */
    const kz_match_warninglists *wl;
    /* A warninglist already recorded with the payload (flagged at import),
     * or NULL; called from worker threads, must be pure. May be NULL. */
    const char *(*payload_warninglist)(const kz_match_payload *p);
    /* Optional: renders a hit on the worker thread that found it (file and
     * line are not known yet: h->file is NULL and h->line 0), so that the
     * costly part of the output is made in parallel; on_hit then gets the
     * bytes in h->text. False drops the hit. Must be thread-safe. */
    bool (*format_hit)(void *ctx, const kz_sweep_hit *h, kz_buf *out);
    /* Called from one thread at a time, files in the order given, each in
     * line order. Return false from on_hit to stop the sweep early. */
    bool (*on_hit)(void *ctx, const kz_sweep_hit *h);
    void (*on_problem)(void *ctx, const kz_sweep_problem *p);
    /* About ten times a second while sweeping, from the same serialised
     * context; total_bytes is the sum of the inputs' stored sizes. */
    void (*on_progress)(void *ctx, const kz_sweep_stats *so_far, uint64_t total_bytes);
    void *ctx;
} kz_sweep_opts;

/* Sweeps files ("-" = stdin) against idx. A file that cannot be read is a
 * problem, not a failure: the sweep goes on. Returns KZ_E_NOMEM / KZ_E_INVALID
 * (bad options) / KZ_E_INTERNAL (threads) only. stats may be NULL. */
int kz_sweep_files(const kz_match_index *idx, const char *const *files, size_t nfiles,
                   const kz_sweep_opts *o, kz_sweep_stats *stats, kz_err *err);
/* The same over bytes in memory, reported under the name `name`. */
int kz_sweep_mem(const kz_match_index *idx, const char *name, const void *data, size_t len,
                 const kz_sweep_opts *o, kz_sweep_stats *stats, kz_err *err);

#endif
