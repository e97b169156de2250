/*
 * Zeroed memory for a large table read at random places, in huge pages where the kernel
 * allows them (transparent huge pages in "always" or "madvise" mode; this machine has the
 * latter). A lookup in the token registry's 16-MB slot array missed the TLB on 4-KB pages
 * nearly every time: perf put 80 % of the lookup's samples on its first load. Without
 * huge pages (THP off, or a table under 2 MB) the memory is the same, in ordinary pages.
 */
#ifndef FT_INGRESS_HUGE_PAGES_H
#define FT_INGRESS_HUGE_PAGES_H

#include <stddef.h>

/* bytes of zeroed memory, aligned to a huge page; NULL when it cannot be had. */
void *ft_huge_calloc(size_t bytes);
/* Gives back what ft_huge_calloc(bytes) returned; NULL is ignored. */
void ft_huge_free(void *memory, size_t bytes);

#endif
