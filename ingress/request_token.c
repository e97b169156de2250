#include "request_token.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "ft/clock.h"

#define TOKEN_BYTES 16

void ft_request_token_new(char out[FT_REQUEST_TOKEN_SIZE])
{
    /* Hex sorts in byte order; 48 bits of milliseconds last until the year 10889. */
    snprintf(out, FT_REQUEST_TOKEN_TIME_CHARS + 1, "%012llx",
             (unsigned long long)ft_clock_wall_ms() & 0xFFFFFFFFFFFFULL);
    unsigned char random[TOKEN_BYTES];
    randombytes_buf(random, sizeof random);
    /* 16 bytes are 22 characters without padding; the buffer holds them and the NUL. */
    sodium_bin2base64(out + FT_REQUEST_TOKEN_TIME_CHARS, FT_REQUEST_TOKEN_SIZE - FT_REQUEST_TOKEN_TIME_CHARS, random,
                      sizeof random, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool ft_request_token_valid(const char *text)
{
    return text != NULL && ft_request_token_shaped(text, strlen(text));
}

bool ft_idempotency_key_valid(const char *key)
{
    if (key == NULL)
        return false;
    size_t len = strlen(key);
    if (len < 1 || len > FT_IDEMPOTENCY_KEY_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)key[i] < 0x20 || (unsigned char)key[i] > 0x7E)
            return false;
    return true;
}
