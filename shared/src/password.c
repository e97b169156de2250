#include "ft/password.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

_Static_assert(FT_PASSWORD_HASH_SIZE >= crypto_pwhash_STRBYTES, "hash buffer too small");

static char nobody_hash[FT_PASSWORD_HASH_SIZE];
static pthread_once_t nobody_once = PTHREAD_ONCE_INIT;

bool ft_password_init(void)
{
    return sodium_init() >= 0;
}

bool ft_password_hash(const char *password, char hash[FT_PASSWORD_HASH_SIZE])
{
    return crypto_pwhash_str_alg(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                 crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) == 0;
}

bool ft_password_verify(const char *password, const char *hash)
{
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

static void make_nobody_hash(void)
{
    char random_password[33];
    randombytes_buf(random_password, sizeof random_password - 1);
    for (size_t i = 0; i < sizeof random_password - 1; i++)
        random_password[i] = (char)('a' + (unsigned char)random_password[i] % 26);
    random_password[sizeof random_password - 1] = '\0';
    if (!ft_password_hash(random_password, nobody_hash))
        nobody_hash[0] = '\0';
}

bool ft_password_verify_nobody(const char *password)
{
    pthread_once(&nobody_once, make_nobody_hash);
    if (nobody_hash[0] != '\0')
        (void)ft_password_verify(password, nobody_hash);
    return false;
}
