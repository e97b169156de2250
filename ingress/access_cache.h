/*
 * Access tokens already verified, so that a buyer who polls every few hundred
 * milliseconds costs one HMAC and one JSON parse (libjwt) per token, not per request.
 * Measured under wrk polling: verifying was a quarter of the ingress's CPU.
 *
 * A slot holds a token's 128-bit SipHash under a key drawn at start, and its claims. A
 * hit needs that hash of the presented string, so a token that was not verified cannot
 * match one that was except by a 2^-128 chance against a key nobody outside knows; a
 * hit is also refused once the claims' exp has passed, so an answer from the cache is
 * the answer ft_token_verify would give now. Only FT_TOKEN_OK results are kept: a
 * refused token is verified (and refused) again every time.
 *
 * Fixed size, 4-way set-associative: a token's hash picks a set of four places; a new
 * token takes an empty one, else the one whose claims expire first. Direct-mapped (one
 * place per token), 20,000 buyers in 65,536 places left about a quarter of them sharing
 * their place with another, each pushing the other out: verified again on most of their
 * requests. Sets are guarded by striped mutexes. 56 bytes per place.
 */
#ifndef FT_INGRESS_ACCESS_CACHE_H
#define FT_INGRESS_ACCESS_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ft/auth_token.h"

struct ft_access_cache;

/* A cache of `slots` places (rounded up to a power of two, at least 4: one set); NULL when out of memory. */
struct ft_access_cache *ft_access_cache_new(size_t slots);
void ft_access_cache_free(struct ft_access_cache *cache);

/* ft_token_verify(secret, token, now, claims), answered from the cache when it can.
 * `secret` must be the same on every call. A NULL cache verifies every time. */
__attribute__((warn_unused_result)) enum ft_token_result
ft_access_cache_verify(struct ft_access_cache *cache, const char *secret, const char *token, time_t now,
                       struct ft_token_claims *claims);

struct ft_access_cache_stats {
    uint64_t hits;   /* answered from the cache */
    uint64_t misses; /* verified by libjwt */
    size_t bytes;    /* allocated */
};

void ft_access_cache_stats(struct ft_access_cache *cache, struct ft_access_cache_stats *out);

#endif
