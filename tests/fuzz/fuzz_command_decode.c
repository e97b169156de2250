/* libFuzzer target: the pipeline's JSON decoders (command_harness.c). */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return ft_fuzz_command_decode_one(data, size);
}
