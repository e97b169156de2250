#include "huge_pages.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#define HUGE_PAGE ((size_t)2 << 20) /* x86-64's transparent huge page */

void *ft_huge_calloc(size_t bytes)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (bytes == 0 || bytes > SIZE_MAX - 2 * HUGE_PAGE)
        return NULL;
    bytes = (bytes + page - 1) / page * page; /* what lies past it is given back by whole pages */
    /* A huge page needs an aligned 2 MB: map one more and give back what lies outside. */
    size_t mapped = bytes + HUGE_PAGE;
    char *start = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (start == MAP_FAILED)
        return NULL;
    char *aligned = (char *)(((uintptr_t)start + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    if (aligned > start)
        munmap(start, (size_t)(aligned - start));
    size_t tail = (size_t)(start + mapped - (aligned + bytes));
    if (tail > 0)
        munmap(aligned + bytes, tail);
    (void)madvise(aligned, bytes, MADV_HUGEPAGE); /* a hint: refused, the pages stay small */
    return aligned;
}

void ft_huge_free(void *memory, size_t bytes)
{
    if (memory != NULL)
        munmap(memory, bytes);
}
