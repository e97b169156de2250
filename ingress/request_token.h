/*
 * Polling tokens of reservation requests, and the Idempotency-Key header that binds a
 * retried request to its first token. Pure apart from the random bytes of a new token.
 */
#ifndef FT_INGRESS_REQUEST_TOKEN_H
#define FT_INGRESS_REQUEST_TOKEN_H

#include <stdbool.h>

#include "ft/command.h"

/* Longest Idempotency-Key accepted, in bytes (the column allows 1..128). */
#define FT_IDEMPOTENCY_KEY_MAX 128

/*
 * Writes a new token into out: the wall-clock millisecond as 12 hex digits, then 16
 * random bytes (libsodium) as 22 characters of base64url without padding,
 * NUL-terminated. Unguessable, so it may travel in a URL.
 * libsodium must be initialised (sodium_init) before.
 */
void ft_request_token_new(char out[FT_REQUEST_TOKEN_SIZE]);

/* True when text has the shape of a token: exactly 34 characters of A-Z a-z 0-9 - _. */
bool ft_request_token_valid(const char *text);

/* True when key is 1..FT_IDEMPOTENCY_KEY_MAX printable ASCII characters (space to ~). */
bool ft_idempotency_key_valid(const char *key);

#endif
