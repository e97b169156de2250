/*
 * Password hashing with Argon2id (libsodium's crypto_pwhash_str, interactive limits).
 * Call ft_password_init once before any other function here.
 */
#ifndef FT_PASSWORD_H
#define FT_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

/* Size of a buffer that holds any encoded hash, terminator included. */
#define FT_PASSWORD_HASH_SIZE 128

__attribute__((warn_unused_result)) bool ft_password_init(void);

/* Writes the encoded hash ("$argon2id$…") of `password` into hash. False when out of memory. */
__attribute__((warn_unused_result)) bool ft_password_hash(const char *password, char hash[FT_PASSWORD_HASH_SIZE]);

/* True only when `password` matches the encoded hash. */
bool ft_password_verify(const char *password, const char *hash);

/*
 * Spends the time of one verification and returns false: used when the account does
 * not exist, so that a wrong email and a wrong password take as long as each other.
 */
bool ft_password_verify_nobody(const char *password);

#endif
