#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "huge_pages.h"

#define HUGE_PAGE ((size_t)2 << 20)

/* The VmFlags line of the mapping that holds address, from /proc/self/smaps ("" if none). */
static void vm_flags_of(const void *address, char *flags, size_t size)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    cr_assert_not_null(f);
    char line[512];
    bool inside = false;
    flags[0] = '\0';
    while (fgets(line, sizeof line, f) != NULL) {
        uintptr_t from, to;
        if (sscanf(line, "%lx-%lx ", &from, &to) == 2 && strchr(line, '-') < strchr(line, ' '))
            inside = (uintptr_t)address >= from && (uintptr_t)address < to;
        else if (inside && strncmp(line, "VmFlags:", 8) == 0) {
            snprintf(flags, size, "%s", line + 8);
            break;
        }
    }
    fclose(f);
}

Test(huge_pages, the_memory_is_zeroed_aligned_whole_and_marked_for_huge_pages)
{
    size_t bytes = 16 * HUGE_PAGE + 100; /* not a whole number of pages either */
    unsigned char *memory = ft_huge_calloc(bytes);
    cr_assert_not_null(memory);
    cr_assert_eq((uintptr_t)memory % HUGE_PAGE, 0, "a huge page needs an aligned 2 MB");
    for (size_t i = 0; i < bytes; i += 4093)
        cr_assert_eq(memory[i], 0);
    cr_assert_eq(memory[bytes - 1], 0);
    memset(memory, 0xab, bytes); /* every byte is ours */
    char flags[256];
    vm_flags_of(memory, flags, sizeof flags);
    cr_assert(strstr(flags, " hg") != NULL, "madvise(MADV_HUGEPAGE) was not applied: VmFlags%s", flags);
    vm_flags_of(memory + bytes - 1, flags, sizeof flags);
    cr_assert(strstr(flags, " hg") != NULL, "the end is not in the same mapping: VmFlags%s", flags);
    ft_huge_free(memory, bytes);
    vm_flags_of(memory, flags, sizeof flags);
    cr_assert_str_empty(flags, "given back, the memory is no mapping of ours any more");
}

Test(huge_pages, nothing_is_given_for_nothing)
{
    cr_assert_null(ft_huge_calloc(0));
    cr_assert_null(ft_huge_calloc(SIZE_MAX - 1));
    ft_huge_free(NULL, 0); /* ignored */
}
