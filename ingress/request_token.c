#include "request_token.h"

#include <sodium.h>
#include <stdint.h>
#include <string.h>

#include "ft/clock.h"

#define TOKEN_BYTES 16
/* Random bytes each thread takes from the kernel at once: 64 tokens' worth. A getrandom
 * call per token was one of the half-dozen system calls a reservation costs the ingress. */
#define RESERVE_BYTES (64 * TOKEN_BYTES)

/* This thread's unused random bytes: [used, RESERVE_BYTES) of bytes. */
static _Thread_local struct {
    unsigned char bytes[RESERVE_BYTES];
    size_t used;
} reserve = { .used = RESERVE_BYTES };

/* Copies n fresh random bytes to out; each byte is handed out once, then wiped. */
static void take_random(unsigned char *out, size_t n)
{
    if (RESERVE_BYTES - reserve.used < n) {
        randombytes_buf(reserve.bytes, sizeof reserve.bytes);
        reserve.used = 0;
    }
    memcpy(out, reserve.bytes + reserve.used, n);
    sodium_memzero(reserve.bytes + reserve.used, n);
    reserve.used += n;
}

void ft_request_token_new(char out[FT_REQUEST_TOKEN_SIZE])
{
    /* Hex sorts in byte order; 48 bits of milliseconds last until the year 10889. */
    uint64_t ms = (uint64_t)ft_clock_wall_ms();
    unsigned char time[FT_REQUEST_TOKEN_TIME_CHARS / 2];
    for (size_t i = 0; i < sizeof time; i++)
        time[i] = (unsigned char)(ms >> (8 * (sizeof time - 1 - i))); /* big-endian */
    sodium_bin2hex(out, FT_REQUEST_TOKEN_TIME_CHARS + 1, time, sizeof time);
    unsigned char random[TOKEN_BYTES];
    take_random(random, sizeof random);
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
