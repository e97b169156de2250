#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access_cache.h"

#define SECRET "k3Jd9-Qm2_xV7pLz0aR5tY8uWc4bN6eH1sGf"
#define NOW ((time_t)1790000000)

static struct ft_access_cache_stats stats_of(struct ft_access_cache *cache)
{
    struct ft_access_cache_stats stats;
    ft_access_cache_stats(cache, &stats);
    return stats;
}

Test(access_cache, a_verified_token_is_answered_from_the_cache_with_the_same_claims)
{
    struct ft_access_cache *cache = ft_access_cache_new(1024);
    char *token = ft_token_issue(SECRET, 42, FT_ROLE_ADMIN, NOW, 3600);
    struct ft_token_claims first, again;
    cr_assert_eq(ft_access_cache_verify(cache, SECRET, token, NOW, &first), FT_TOKEN_OK);
    cr_assert_eq(ft_access_cache_verify(cache, SECRET, token, NOW + 10, &again), FT_TOKEN_OK);
    cr_expect_eq(again.user_id, 42);
    cr_expect_eq(again.role, FT_ROLE_ADMIN);
    cr_expect_eq(again.issued_at, first.issued_at);
    cr_expect_eq(again.expires_at, NOW + 3600);
    struct ft_access_cache_stats stats = stats_of(cache);
    cr_expect_eq(stats.misses, 1);
    cr_expect_eq(stats.hits, 1);
    cr_expect_geq(stats.bytes, 1024 * 48);
    free(token);
    ft_access_cache_free(cache);
}

Test(access_cache, a_cached_token_is_refused_once_it_has_expired)
{
    struct ft_access_cache *cache = ft_access_cache_new(64);
    char *token = ft_token_issue(SECRET, 7, FT_ROLE_USER, NOW, 60);
    struct ft_token_claims claims;
    cr_assert_eq(ft_access_cache_verify(cache, SECRET, token, NOW, &claims), FT_TOKEN_OK);
    cr_expect_eq(ft_access_cache_verify(cache, SECRET, token, NOW + 59, &claims), FT_TOKEN_OK);
    cr_expect_eq(ft_access_cache_verify(cache, SECRET, token, NOW + 60, &claims), FT_TOKEN_EXPIRED);
    cr_expect_eq(ft_access_cache_verify(cache, SECRET, token, NOW + 61, &claims), FT_TOKEN_EXPIRED);
    free(token);
    ft_access_cache_free(cache);
}

/* A token that differs from a cached one in its signature alone is a forgery: refused. */
Test(access_cache, a_token_that_differs_from_a_cached_one_is_verified_not_matched)
{
    struct ft_access_cache *cache = ft_access_cache_new(64);
    char *token = ft_token_issue(SECRET, 7, FT_ROLE_USER, NOW, 3600);
    struct ft_token_claims claims;
    cr_assert_eq(ft_access_cache_verify(cache, SECRET, token, NOW, &claims), FT_TOKEN_OK);
    size_t len = strlen(token);
    token[len - 2] = token[len - 2] == 'A' ? 'B' : 'A';
    cr_expect_eq(ft_access_cache_verify(cache, SECRET, token, NOW, &claims), FT_TOKEN_MALFORMED);
    cr_expect_eq(ft_access_cache_verify(cache, SECRET, token, NOW, &claims), FT_TOKEN_MALFORMED);
    struct ft_access_cache_stats stats = stats_of(cache);
    cr_expect_eq(stats.hits, 0);
    cr_expect_eq(stats.misses, 3);
    /* the prefix of a cached token, and the same token with a byte more, are not it either */
    token[len - 2] = '\0';
    cr_expect_neq(ft_access_cache_verify(cache, SECRET, token, NOW, &claims), FT_TOKEN_OK);
    free(token);
    ft_access_cache_free(cache);
}

Test(access_cache, a_token_signed_with_another_secret_is_never_cached_as_valid)
{
    struct ft_access_cache *cache = ft_access_cache_new(64);
    char *token = ft_token_issue("another-secret-of-a-sufficient-length!!", 7, FT_ROLE_ADMIN, NOW, 3600);
    struct ft_token_claims claims;
    for (int i = 0; i < 3; i++)
        cr_expect_eq(ft_access_cache_verify(cache, SECRET, token, NOW, &claims), FT_TOKEN_MALFORMED);
    cr_expect_eq(stats_of(cache).hits, 0);
    free(token);
    ft_access_cache_free(cache);
}

Test(access_cache, a_token_whose_slot_was_taken_is_verified_again)
{
    struct ft_access_cache *cache = ft_access_cache_new(64); /* 64 slots, 200 tokens */
    char *tokens[200];
    struct ft_token_claims claims;
    for (int i = 0; i < 200; i++) {
        tokens[i] = ft_token_issue(SECRET, 1000 + i, FT_ROLE_USER, NOW, 3600);
        cr_assert_eq(ft_access_cache_verify(cache, SECRET, tokens[i], NOW, &claims), FT_TOKEN_OK);
    }
    for (int i = 0; i < 200; i++) {
        cr_assert_eq(ft_access_cache_verify(cache, SECRET, tokens[i], NOW, &claims), FT_TOKEN_OK);
        cr_expect_eq(claims.user_id, 1000 + i); /* never another token's claims */
        free(tokens[i]);
    }
    struct ft_access_cache_stats stats = stats_of(cache);
    cr_expect_eq(stats.hits + stats.misses, 400);
    cr_expect_gt(stats.misses, 200); /* some were pushed out */
    cr_expect_leq(stats.hits, 64);
    ft_access_cache_free(cache);
}

/* A cache of four places is one set: any four tokens are kept side by side, whatever
 * their hashes (direct-mapped, four tokens in four places share one most of the time). */
Test(access_cache, four_tokens_of_one_set_are_all_kept)
{
    struct ft_access_cache *cache = ft_access_cache_new(4);
    char *tokens[4];
    struct ft_token_claims claims;
    for (int i = 0; i < 4; i++) {
        tokens[i] = ft_token_issue(SECRET, 10 + i, FT_ROLE_USER, NOW, 3600);
        cr_assert_eq(ft_access_cache_verify(cache, SECRET, tokens[i], NOW, &claims), FT_TOKEN_OK);
    }
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(ft_access_cache_verify(cache, SECRET, tokens[i], NOW, &claims), FT_TOKEN_OK);
        cr_expect_eq(claims.user_id, 10 + i);
        free(tokens[i]);
    }
    struct ft_access_cache_stats stats = stats_of(cache);
    cr_expect_eq(stats.misses, 4);
    cr_expect_eq(stats.hits, 4);
    cr_expect_lt(stats.bytes, 64 * 48, "four places, not the 64 of a minimum");
    ft_access_cache_free(cache);
}

/* A fifth token takes the place of the one whose claims expire first. */
Test(access_cache, a_full_set_gives_way_to_the_token_that_expires_first)
{
    struct ft_access_cache *cache = ft_access_cache_new(4);
    char *tokens[5];
    struct ft_token_claims claims;
    const int ttl[5] = { 300, 100, 400, 200, 500 }; /* tokens[1] expires first */
    for (int i = 0; i < 5; i++) {
        tokens[i] = ft_token_issue(SECRET, 20 + i, FT_ROLE_USER, NOW, ttl[i]);
        cr_assert_eq(ft_access_cache_verify(cache, SECRET, tokens[i], NOW, &claims), FT_TOKEN_OK);
    }
    const int kept[4] = { 0, 2, 3, 4 };
    for (int k = 0; k < 4; k++) {
        cr_assert_eq(ft_access_cache_verify(cache, SECRET, tokens[kept[k]], NOW, &claims), FT_TOKEN_OK);
        cr_expect_eq(claims.user_id, 20 + kept[k]);
    }
    cr_expect_eq(stats_of(cache).hits, 4);
    cr_expect_eq(stats_of(cache).misses, 5);
    cr_assert_eq(ft_access_cache_verify(cache, SECRET, tokens[1], NOW, &claims), FT_TOKEN_OK);
    cr_expect_eq(claims.user_id, 21);
    cr_expect_eq(stats_of(cache).misses, 6, "the token that expires first was pushed out and verified again");
    for (int i = 0; i < 5; i++)
        free(tokens[i]);
    ft_access_cache_free(cache);
}

Test(access_cache, refusals_and_a_missing_cache_behave_as_ft_token_verify)
{
    struct ft_token_claims claims;
    char *token = ft_token_issue(SECRET, 5, FT_ROLE_USER, NOW, 3600);
    cr_expect_eq(ft_access_cache_verify(NULL, SECRET, token, NOW, &claims), FT_TOKEN_OK);
    cr_expect_eq(claims.user_id, 5);
    struct ft_access_cache *cache = ft_access_cache_new(64);
    cr_expect_eq(ft_access_cache_verify(cache, SECRET, NULL, NOW, &claims), FT_TOKEN_MALFORMED);
    cr_expect_eq(ft_access_cache_verify(cache, SECRET, "", NOW, &claims), FT_TOKEN_MALFORMED);
    char *huge = malloc(FT_TOKEN_MAX_LEN + 2);
    memset(huge, 'a', FT_TOKEN_MAX_LEN + 1);
    huge[FT_TOKEN_MAX_LEN + 1] = '\0';
    cr_expect_eq(ft_access_cache_verify(cache, SECRET, huge, NOW, &claims), FT_TOKEN_MALFORMED);
    /* issued in the future: refused, and so not cached to be accepted later either */
    char *early = ft_token_issue(SECRET, 6, FT_ROLE_USER, NOW + 3600, 7200);
    cr_expect_eq(ft_access_cache_verify(cache, SECRET, early, NOW, &claims), FT_TOKEN_NOT_YET_VALID);
    cr_expect_eq(ft_access_cache_verify(cache, SECRET, early, NOW, &claims), FT_TOKEN_NOT_YET_VALID);
    cr_expect_eq(stats_of(cache).hits, 0);
    free(early);
    free(huge);
    free(token);
    ft_access_cache_free(cache);
}

/* Threads verifying overlapping tokens each get their own token's claims. */
struct worker_args {
    struct ft_access_cache *cache;
    char **tokens;
    int count, offset;
    int wrong;
};

static void *verify_many(void *arg)
{
    struct worker_args *a = arg;
    for (int round = 0; round < 200; round++)
        for (int i = 0; i < a->count; i++) {
            int k = (i + a->offset) % a->count;
            struct ft_token_claims claims;
            if (ft_access_cache_verify(a->cache, SECRET, a->tokens[k], NOW, &claims) != FT_TOKEN_OK ||
                claims.user_id != 100 + k)
                a->wrong++;
        }
    return NULL;
}

Test(access_cache, threads_sharing_the_cache_each_get_their_tokens_claims)
{
    struct ft_access_cache *cache = ft_access_cache_new(64);
    char *tokens[100];
    for (int i = 0; i < 100; i++)
        tokens[i] = ft_token_issue(SECRET, 100 + i, FT_ROLE_USER, NOW, 3600);
    pthread_t threads[4];
    struct worker_args args[4];
    for (int t = 0; t < 4; t++) {
        args[t] = (struct worker_args){ .cache = cache, .tokens = tokens, .count = 100, .offset = t * 25 };
        cr_assert_eq(pthread_create(&threads[t], NULL, verify_many, &args[t]), 0);
    }
    for (int t = 0; t < 4; t++) {
        pthread_join(threads[t], NULL);
        cr_expect_eq(args[t].wrong, 0, "thread %d got %d wrong answers", t, args[t].wrong);
    }
    cr_expect_gt(stats_of(cache).hits, 0);
    for (int i = 0; i < 100; i++)
        free(tokens[i]);
    ft_access_cache_free(cache);
}
