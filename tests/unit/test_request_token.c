#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "request_token.h"

Test(request_token, is_22_characters_of_base64url)
{
    cr_assert_geq(sodium_init(), 0);
    for (int i = 0; i < 1000; i++) {
        char token[FT_REQUEST_TOKEN_SIZE];
        memset(token, '#', sizeof token);
        ft_request_token_new(token);
        cr_assert_eq(strlen(token), 22);
        cr_assert(ft_request_token_valid(token), "%s", token);
        cr_assert_eq(strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 22);
        /* 16 bytes: the last character carries 2 bits, the other 4 are zero */
        cr_assert(strchr("AQgw", token[21]) != NULL, "%s", token);
    }
}

Test(request_token, carries_128_random_bits)
{
    cr_assert_geq(sodium_init(), 0);
    char a[FT_REQUEST_TOKEN_SIZE], b[FT_REQUEST_TOKEN_SIZE];
    ft_request_token_new(a);
    ft_request_token_new(b);
    cr_assert_str_neq(a, b);
    unsigned char raw[32];
    size_t len = 0;
    cr_assert_eq(sodium_base642bin(raw, sizeof raw, a, strlen(a), NULL, &len, NULL,
                                   sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                 0);
    cr_assert_eq(len, 16);
}

Test(request_token, shape_check)
{
    cr_assert(ft_request_token_valid("AAAAAAAAAAAAAAAAAAAAAA"));
    cr_assert(ft_request_token_valid("-_-_-_-_-_-_-_-_-_-_-_"));
    cr_assert_not(ft_request_token_valid(NULL));
    cr_assert_not(ft_request_token_valid(""));
    cr_assert_not(ft_request_token_valid("AAAAAAAAAAAAAAAAAAAAA"), "21");
    cr_assert_not(ft_request_token_valid("AAAAAAAAAAAAAAAAAAAAAAA"), "23");
    cr_assert_not(ft_request_token_valid("AAAAAAAAAAAAAAAAAAAAA="));
    cr_assert_not(ft_request_token_valid("AAAAAAAAAAAAAAAAAAAAA+"));
    cr_assert_not(ft_request_token_valid("AAAAAAAAAA AAAAAAAAAAA"));
    cr_assert_not(ft_request_token_valid("../../../../etc/passwd"));
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
