/*
 * unit.fuzz_corpus: replays the checked-in corpus (every file of tests/fuzz/corpus/<target>) through
 * the same harness functions the libFuzzer targets call, so that what the fuzzers found
 * stays fixed in every build, gcc included; plus a few hundred random inputs.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_harness.h"

typedef bool (*check_fn)(const uint8_t *data, size_t size, char *why, size_t whylen);

static uint8_t *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    size_t cap = 4096, n = 0;
    uint8_t *data = malloc(cap);
    cr_assert_not_null(data);
    for (size_t got; (got = fread(data + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) {
            cap *= 2;
            data = realloc(data, cap);
            cr_assert_not_null(data);
        }
    }
    fclose(f);
    *size = n;
    return data;
}

/* Runs every file of corpus/<target>; returns how many there were. */
static size_t replay(const char *target, check_fn check)
{
    char dir_path[1024];
    snprintf(dir_path, sizeof dir_path, "%s/%s", FT_FUZZ_CORPUS, target);
    DIR *dir = opendir(dir_path);
    cr_assert_not_null(dir, "no corpus folder %s", dir_path);
    size_t files = 0;
    for (struct dirent *entry; (entry = readdir(dir)) != NULL;) {
        if (entry->d_name[0] == '.')
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir_path, entry->d_name);
        size_t size = 0;
        uint8_t *data = read_all(path, &size);
        char why[512] = "";
        cr_expect(check(data, size, why, sizeof why), "%s/%s: %s", target, entry->d_name, why);
        free(data);
        files++;
    }
    closedir(dir);
    return files;
}

Test(fuzz_corpus, decide_corpus_replays_clean)
{
    cr_assert_geq(replay("decide", ft_fuzz_decide_check), 5, "the decide corpus is missing");
}

Test(fuzz_corpus, command_decode_corpus_replays_clean)
{
    cr_assert_geq(replay("command_decode", ft_fuzz_command_decode_check), 5, "the codec corpus is missing");
}

static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

Test(fuzz_corpus, random_inputs_agree_with_the_model)
{
    uint64_t rng = 20260101;
    uint8_t data[4096];
    for (int round = 0; round < 300; round++) {
        size_t size = 16 + next_random(&rng) % (sizeof data - 16);
        for (size_t i = 0; i < size; i++)
            data[i] = (uint8_t)next_random(&rng);
        char why[512] = "";
        cr_assert(ft_fuzz_decide_check(data, size, why, sizeof why), "round %d: %s", round, why);
    }
}

Test(fuzz_corpus, the_harnesses_take_empty_and_tiny_inputs)
{
    char why[512] = "";
    const uint8_t one = 0xFF;
    cr_assert(ft_fuzz_decide_check(NULL, 0, why, sizeof why), "%s", why);
    cr_assert(ft_fuzz_decide_check(&one, 1, why, sizeof why), "%s", why);
    cr_assert(ft_fuzz_command_decode_check((const uint8_t *)"", 0, why, sizeof why), "%s", why);
    cr_assert(ft_fuzz_command_decode_check(&one, 1, why, sizeof why), "%s", why);
}
