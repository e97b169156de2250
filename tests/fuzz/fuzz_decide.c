/* libFuzzer target: the seat decisions against the reference model (decide_harness.c). */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return ft_fuzz_decide_one(data, size);
}
