/* secret.c — the node secret that keys the API key hashes. It lives in its
 * own file next to the database ("<db>.secret", mode 0600) so that a copy of
 * the database alone (a backup, a support bundle) cannot be used to test
 * guessed keys. Like ssh with private keys, a secret file that group or
 * others can read is refused rather than silently used.
 */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int secret_path(const kz_store *st, char *out, size_t n, kz_err *err)
{
    int w = snprintf(out, n, "%s.secret", st->path);
    if (w < 0 || (size_t)w >= n)
        return kz_fail(err, KZ_E_VALUE, "db", "database path '%.200s' is too long", st->path);
    return 0;
}

/* Writes a fresh secret to a private temporary file and links it into place:
 * link() fails if the name exists, so two processes opening a new database
 * at once agree on one secret and nobody ever reads a half-written file. */
static int create_secret(const char *path, kz_err *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
    int fd = mkstemp(tmp); /* mode 0600 */
    if (fd < 0)
        return kz_fail(err, KZ_E_IO, "db", "cannot create secret file next to '%s': %s", path,
                       strerror(errno));
    uint8_t raw[32];
    char hex[65];
    kz_random_bytes(raw, sizeof raw);
    kz_hex_encode(raw, sizeof raw, hex);
    sodium_memzero(raw, sizeof raw);
    hex[64] = '\n';
    ssize_t w = write(fd, hex, sizeof hex);
    sodium_memzero(hex, sizeof hex);
    int rc = 0;
    if (w != (ssize_t)sizeof hex || fsync(fd) != 0)
        rc = kz_fail(err, KZ_E_IO, "db", "cannot write secret file '%s': %s", tmp,
                     strerror(errno));
    close(fd);
    if (!rc && link(tmp, path) != 0 && errno != EEXIST)
        rc = kz_fail(err, KZ_E_IO, "db", "cannot create secret file '%s': %s", path,
                     strerror(errno));
    unlink(tmp);
    return rc;
}

int kz__secret_ensure(kz_store *st, kz_err *err)
{
    if (st->memory) {
        /* No file to put it in: the secret lives as long as the database. */
        kz_random_bytes(st->secret, sizeof st->secret);
        st->secret_loaded = true;
        return 0;
    }
    char path[4096];
    int r = secret_path(st, path, sizeof path, err);
    if (r)
        return r;
    struct stat sb;
    if (lstat(path, &sb) == 0)
        return 0; /* checked when it is used */
    if (errno != ENOENT)
        return kz_fail(err, KZ_E_IO, "db", "cannot inspect secret file '%s': %s", path,
                       strerror(errno));
    return create_secret(path, err);
}

static int load_secret(kz_store *st, kz_err *err)
{
    char path[4096];
    int r = secret_path(st, path, sizeof path, err);
    if (r)
        return r;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return kz_fail(err, KZ_E_IO, "db", "cannot open secret file '%s': %s", path,
                       strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return kz_fail(err, KZ_E_IO, "db", "secret file '%s' is not a regular file", path);
    }
    if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
        close(fd);
        return kz_fail(err, KZ_E_IO, "db",
                       "secret file '%s' is accessible by group or others (mode %04o); "
                       "refusing to use it: run chmod 600 on it",
                       path, (unsigned)(sb.st_mode & 07777));
    }
    char buf[80];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    bool ok = n == 64 || (n == 65 && buf[64] == '\n');
    if (ok) {
        buf[64] = '\0';
        ok = kz_hex_decode(buf, st->secret, 32);
    }
    sodium_memzero(buf, sizeof buf);
    if (!ok)
        return kz_fail(err, KZ_E_IO, "db",
                       "secret file '%s' is malformed (expected 64 hex digits)", path);
    st->secret_loaded = true;
    return 0;
}

int kz_store_node_secret(kz_store *st, uint8_t out[32], kz_err *err)
{
    if (!st->secret_loaded) {
        int r = load_secret(st, err);
        if (r)
            return r;
    }
    memcpy(out, st->secret, 32);
    return 0;
}
