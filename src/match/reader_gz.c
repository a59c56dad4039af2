/* reader_gz.c — inputs that cannot be mapped: gzip files (rotated logs are
 * nearly always compressed) and stdin, plain or gzip. Both are read as a
 * stream of blocks by the producer thread while the workers sweep earlier
 * blocks.
 *
 * Gzip is recognised by its magic bytes, not the file name. A file may hold
 * several gzip members one after the other (what `cat a.gz b.gz` and
 * parallel compressors produce); all are read. A file that ends inside
 * compressed data is reported as truncated, after everything before the
 * cut has been delivered.
 */
#include "sweep_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define IN_BUF (256u << 10)

struct kz_sw_stream {
    int fd;
    bool own_fd;
    bool gz;
    bool zinit;
    bool in_eof;
    bool done;
    z_stream z;
    uint64_t pos; /* stored bytes read */
    size_t in_len, in_pos;
    unsigned char in[IN_BUF];
};

static int fill(kz_sw_stream *s, kz_err *err)
{
    if (s->in_pos < s->in_len || s->in_eof)
        return KZ_OK;
    s->in_pos = s->in_len = 0;
    for (;;) {
        ssize_t r = read(s->fd, s->in, IN_BUF);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return kz_fail(err, KZ_E_IO, NULL, "read error: %s", strerror(errno));
        if (r == 0)
            s->in_eof = true;
        s->in_len = (size_t)r;
        s->pos += (uint64_t)r;
        return KZ_OK;
    }
}

int kz_sw_stream_open(const char *path, int fd, kz_sw_stream **out, kz_err *err)
{
    *out = NULL;
    kz_sw_stream *s = calloc(1, sizeof *s);
    if (!s)
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    if (fd >= 0) {
        s->fd = fd;
    } else if (strcmp(path, "-") == 0) {
        s->fd = STDIN_FILENO;
    } else {
        s->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (s->fd < 0) {
            free(s);
            return kz_fail(err, KZ_E_IO, NULL, "cannot open: %s", strerror(errno));
        }
        s->own_fd = true;
    }
    /* the magic: read until two bytes are there or the input ends */
    int rc = fill(s, err);
    while (rc == 0 && s->in_len < 2 && !s->in_eof) {
        ssize_t r = read(s->fd, s->in + s->in_len, IN_BUF - s->in_len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = kz_fail(err, KZ_E_IO, NULL, "read error: %s", strerror(errno));
            break;
        }
        if (r == 0)
            s->in_eof = true;
        s->in_len += (size_t)r;
        s->pos += (uint64_t)r;
    }
    if (rc < 0) {
        kz_sw_stream_close(s);
        return rc;
    }
    s->gz = s->in_len >= 2 && s->in[0] == 0x1f && s->in[1] == 0x8b;
    if (s->gz) {
        if (inflateInit2(&s->z, 15 + 16) != Z_OK) {
            kz_sw_stream_close(s);
            return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory (zlib)");
        }
        s->zinit = true;
    }
    *out = s;
    return KZ_OK;
}

uint64_t kz_sw_stream_pos(const kz_sw_stream *s)
{
    return s->pos - (s->in_len - s->in_pos);
}

static int read_plain(kz_sw_stream *s, char *buf, size_t cap, size_t *n, kz_err *err)
{
    *n = 0;
    while (*n < cap) {
        if (s->in_pos < s->in_len) {
            size_t k = s->in_len - s->in_pos;
            if (k > cap - *n)
                k = cap - *n;
            memcpy(buf + *n, s->in + s->in_pos, k);
            s->in_pos += k;
            *n += k;
            continue;
        }
        if (s->in_eof)
            break;
        int rc = fill(s, err);
        if (rc < 0)
            return rc;
    }
    return KZ_OK;
}

static int read_gz(kz_sw_stream *s, char *buf, size_t cap, size_t *n, kz_err *err)
{
    *n = 0;
    while (*n < cap && !s->done) {
        int rc = fill(s, err);
        if (rc < 0)
            return rc;
        if (s->in_pos == s->in_len && s->in_eof) {
            s->done = true;
            return kz_fail(err, KZ_E_IO, NULL,
                           "truncated gzip: the file ends inside compressed data");
        }
        s->z.next_in = s->in + s->in_pos;
        s->z.avail_in = (uInt)(s->in_len - s->in_pos);
        s->z.next_out = (Bytef *)buf + *n;
        s->z.avail_out = (uInt)(cap - *n);
        int zr = inflate(&s->z, Z_NO_FLUSH);
        s->in_pos = s->in_len - s->z.avail_in;
        *n = cap - s->z.avail_out;
        if (zr == Z_STREAM_END) {
            /* another member may follow */
            if ((rc = fill(s, err)) < 0)
                return rc;
            if (s->in_pos == s->in_len && s->in_eof) {
                s->done = true;
                break;
            }
            if (s->in_len - s->in_pos >= 1 && s->in[s->in_pos] != 0x1f) {
                s->done = true;
                bool zeros = true; /* padding some tools write: ignored, as gzip does */
                for (size_t i = s->in_pos; i < s->in_len && zeros; i++)
                    zeros = s->in[i] == 0;
                if (zeros)
                    break;
                return kz_fail(err, KZ_E_IO, NULL,
                               "data after the end of the gzip stream is not gzip: ignored");
            }
            inflateReset(&s->z);
        } else if (zr == Z_BUF_ERROR) {
            if (s->z.avail_out == 0)
                break;
            /* needs more input: the next fill reads it, or reports the cut */
        } else if (zr != Z_OK) {
            s->done = true;
            return kz_fail(err, KZ_E_IO, NULL, "corrupt gzip data (%s)",
                           s->z.msg ? s->z.msg : "inflate failed");
        }
    }
    return KZ_OK;
}

int kz_sw_stream_read(kz_sw_stream *s, char *buf, size_t cap, size_t *n, kz_err *err)
{
    return s->gz ? read_gz(s, buf, cap, n, err) : read_plain(s, buf, cap, n, err);
}

void kz_sw_stream_close(kz_sw_stream *s)
{
    if (!s)
        return;
    if (s->zinit)
        inflateEnd(&s->z);
    if (s->own_fd)
        close(s->fd);
    free(s);
}
