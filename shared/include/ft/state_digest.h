/*
 * A digest of the pipeline's state in PostgreSQL: reservations, their seats, request
 * outcomes, the refunds the log decided and the decided offsets of one commands topic,
 * in a canonical order. Two databases that hold the same state have the same digest;
 * the replay test compares the live database with one rebuilt from the log.
 */
#ifndef FT_STATE_DIGEST_H
#define FT_STATE_DIGEST_H

#include <libpq-fe.h>
#include <stdbool.h>

/* Hex SHA-256, 64 characters plus the terminator. */
#define FT_STATE_DIGEST_SIZE 65

__attribute__((warn_unused_result)) bool ft_state_digest(PGconn *db, const char *topic,
                                                         char digest[FT_STATE_DIGEST_SIZE]);

#endif
