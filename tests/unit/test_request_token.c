#include <criterion/criterion.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "ft/clock.h"

#include "request_token.h"

#define ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
#define TIME_CHARS FT_REQUEST_TOKEN_TIME_CHARS

Test(request_token, is_time_in_hex_then_22_characters_of_base64url)
{
    cr_assert_geq(sodium_init(), 0);
    for (int i = 0; i < 1000; i++) {
        char token[FT_REQUEST_TOKEN_SIZE];
        memset(token, '#', sizeof token);
        ft_request_token_new(token);
        cr_assert_eq(strlen(token), 34);
        cr_assert(ft_request_token_valid(token), "%s", token);
        cr_assert_geq(strspn(token, "0123456789abcdef"), TIME_CHARS, "%s", token);
        cr_assert_eq(strspn(token + TIME_CHARS, ALPHABET), 22);
        /* 16 bytes: the last character carries 2 bits, the other 4 are zero */
        cr_assert(strchr("AQgw", token[33]) != NULL, "%s", token);
    }
}

Test(request_token, starts_with_the_millisecond_it_was_issued)
{
    int64_t before = ft_clock_wall_ms();
    char token[FT_REQUEST_TOKEN_SIZE];
    ft_request_token_new(token);
    int64_t after = ft_clock_wall_ms();
    char hex[TIME_CHARS + 1];
    memcpy(hex, token, TIME_CHARS);
    hex[TIME_CHARS] = '\0';
    long long issued = strtoll(hex, NULL, 16);
    cr_assert(issued >= before && issued <= after, "%lld not in [%lld, %lld]", issued, (long long)before,
              (long long)after);
}

/* What the time in front is for: tokens issued later sort after, byte for byte. */
Test(request_token, later_tokens_sort_after_earlier_ones)
{
    cr_assert_geq(sodium_init(), 0);
    char earlier[FT_REQUEST_TOKEN_SIZE], later[FT_REQUEST_TOKEN_SIZE];
    ft_request_token_new(earlier);
    int64_t issued = ft_clock_wall_ms();
    while (ft_clock_wall_ms() <= issued + 1)
        ; /* the next millisecond but one */
    ft_request_token_new(later);
    cr_assert_lt(strcmp(earlier, later), 0, "%s !< %s", earlier, later);
}

Test(request_token, carries_128_random_bits)
{
    cr_assert_geq(sodium_init(), 0);
    char a[FT_REQUEST_TOKEN_SIZE], b[FT_REQUEST_TOKEN_SIZE];
    ft_request_token_new(a);
    ft_request_token_new(b);
    cr_assert_str_neq(a + TIME_CHARS, b + TIME_CHARS);
    unsigned char raw[32];
    size_t len = 0;
    cr_assert_eq(sodium_base642bin(raw, sizeof raw, a + TIME_CHARS, strlen(a + TIME_CHARS), NULL, &len, NULL,
                                   sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                 0);
    cr_assert_eq(len, 16);
}

#define TOKENS_PER_THREAD 1000 /* several refills of a thread's reserve of random bytes */

static int by_random_part(const void *a, const void *b)
{
    return strcmp((const char *)a + TIME_CHARS, (const char *)b + TIME_CHARS);
}

static void *make_tokens(void *out)
{
    for (int i = 0; i < TOKENS_PER_THREAD; i++)
        ft_request_token_new((char *)out + (size_t)i * FT_REQUEST_TOKEN_SIZE);
    return NULL;
}

/* Random bytes are taken from the kernel in reserves: no byte may be handed out twice,
 * within a thread or between threads. */
Test(request_token, random_parts_never_repeat_across_reserves_and_threads)
{
    cr_assert_geq(sodium_init(), 0);
    enum { THREADS = 3 };
    char(*tokens)[FT_REQUEST_TOKEN_SIZE] = calloc(THREADS * TOKENS_PER_THREAD, FT_REQUEST_TOKEN_SIZE);
    cr_assert_not_null(tokens);
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++)
        cr_assert_eq(pthread_create(&threads[t], NULL, make_tokens, tokens[t * TOKENS_PER_THREAD]), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    qsort(tokens, THREADS * TOKENS_PER_THREAD, FT_REQUEST_TOKEN_SIZE, by_random_part);
    for (int i = 1; i < THREADS * TOKENS_PER_THREAD; i++)
        cr_assert_str_neq(tokens[i - 1] + TIME_CHARS, tokens[i] + TIME_CHARS, "repeated: %s", tokens[i]);
    free(tokens);
}

Test(request_token, shape_check)
{
    cr_assert(ft_request_token_valid("019ab3c4d5e6AAAAAAAAAAAAAAAAAAAAAA"));
    cr_assert(ft_request_token_valid("-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_"));
    cr_assert_not(ft_request_token_valid(NULL));
    cr_assert_not(ft_request_token_valid(""));
    cr_assert_not(ft_request_token_valid("AAAAAAAAAAAAAAAAAAAAAA"), "22: the shape before the time was in front");
    cr_assert_not(ft_request_token_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), "33");
    cr_assert_not(ft_request_token_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), "35");
    cr_assert_not(ft_request_token_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
    cr_assert_not(ft_request_token_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+"));
    cr_assert_not(ft_request_token_valid("AAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAA"));
    cr_assert_not(ft_request_token_valid("../../../../etc/passwd/../../../.."));
}

Test(request_token, idempotency_keys)
{
    char longest[FT_IDEMPOTENCY_KEY_MAX + 2];
    memset(longest, 'k', sizeof longest);
    longest[FT_IDEMPOTENCY_KEY_MAX] = '\0';
    cr_assert(ft_idempotency_key_valid(longest));
    longest[FT_IDEMPOTENCY_KEY_MAX] = 'k';
    longest[FT_IDEMPOTENCY_KEY_MAX + 1] = '\0';
    cr_assert_not(ft_idempotency_key_valid(longest), "129 characters");
    cr_assert(ft_idempotency_key_valid("a"));
    cr_assert(ft_idempotency_key_valid("order 42 / try #1 ~"));
    cr_assert(ft_idempotency_key_valid("550e8400-e29b-41d4-a716-446655440000"));
    cr_assert_not(ft_idempotency_key_valid(NULL));
    cr_assert_not(ft_idempotency_key_valid(""));
    cr_assert_not(ft_idempotency_key_valid("tab\there"));
    cr_assert_not(ft_idempotency_key_valid("del\x7f"));
    cr_assert_not(ft_idempotency_key_valid("\xed\x82\xa4"), "not ASCII");
}
