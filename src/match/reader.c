/* reader.c — plain files are memory-mapped: the workers read the page cache
 * directly, each its own chunk, with no copy and no read() per block. The
 * kernel is told the access is sequential so it reads ahead generously,
 * and a chunk's pages are dropped from the process once it is swept: they
 * stay in the page cache, but not in the sweep's resident set, which would
 * otherwise grow with the size of the logs.
 */
#include "sweep_int.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int kz_sw_map(int fd, size_t size, const char **out, kz_err *err)
{
    *out = NULL;
    if (size == 0)
        return KZ_OK;
    void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED)
        return kz_fail(err, KZ_E_IO, NULL, "cannot map the file: %s", strerror(errno));
    (void)madvise(p, size, MADV_SEQUENTIAL);
    *out = p;
    return KZ_OK;
}

void kz_sw_release(const char *p, size_t n)
{
    long pg = sysconf(_SC_PAGESIZE);
    if (pg <= 0 || !p)
        return;
    uintptr_t a = ((uintptr_t)p + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);
    uintptr_t e = ((uintptr_t)p + n) & ~((uintptr_t)pg - 1);
    if (e > a) /* whole pages only: the partial ones at the ends belong to neighbours too */
        (void)madvise((void *)a, e - a, MADV_DONTNEED);
}

void kz_sw_unmap(const char *p, size_t size)
{
    if (p && size)
        munmap((void *)(uintptr_t)p, size);
}
