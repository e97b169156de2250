/*
 * Where the ingress reads and writes PostgreSQL. Every function takes a connection from
 * the caller and returns an ft_store_result; documents for the API are built by
 * PostgreSQL itself (json_build_object), returned as malloc'd JSON text in *json that
 * the caller frees.
 */
#ifndef FT_INGRESS_STORE_H
#define FT_INGRESS_STORE_H

#include <libpq-fe.h>
#include <stdint.h>

#include "ft/auth_token.h"

enum ft_store_result {
    FT_STORE_OK,
    FT_STORE_NOT_FOUND,   /* the row asked for does not exist */
    FT_STORE_CONFLICT,    /* a unique constraint refused the write */
    FT_STORE_UNAVAILABLE, /* PostgreSQL could not be reached */
    FT_STORE_FAILED,      /* any other database error (logged) */
};

/* --- accounts (store_users.c) --- */

/* Inserts a USER; CONFLICT when the email is taken in any letter case. *json: User. */
enum ft_store_result ft_store_user_create(PGconn *db, const char *email, const char *password_hash,
                                          const char *name, char **json);

/* Finds an account by email (any case) for login; hash is copied into hash[hash_size]. */
enum ft_store_result ft_store_user_credentials(PGconn *db, const char *email, int64_t *user_id,
                                               enum ft_role *role, char *hash, size_t hash_size);

/* *json: User. */
enum ft_store_result ft_store_user_get(PGconn *db, int64_t user_id, char **json);

/* Creates the account or, when the email exists, makes it ADMIN with this password. */
enum ft_store_result ft_store_admin_upsert(PGconn *db, const char *email, const char *password_hash,
                                           const char *name, int64_t *user_id);

/* --- catalog reads (store_catalog.c) --- */

/* *json: ConcertPage. */
enum ft_store_result ft_store_concert_page(PGconn *db, int64_t page, int64_t size, char **json);
/* *json: ConcertDetail. */
enum ft_store_result ft_store_concert_get(PGconn *db, int64_t concert_id, char **json);
/* *json: SeatMap. */
enum ft_store_result ft_store_seat_map(PGconn *db, int64_t schedule_id, char **json);

/* --- catalog writes, admin only (store_admin.c) --- */

/* rows_json: a validated JSON array of {seats, grade, price}. *json: Venue. */
enum ft_store_result ft_store_venue_create(PGconn *db, const char *name, const char *rows_json, char **json);
/* *json: Concert. */
enum ft_store_result ft_store_concert_create(PGconn *db, const char *title, const char *artist,
                                             const char *description, char **json);
/* Creates the schedule and one seat per place of the venue's layout, atomically.
 * NOT_FOUND when the concert or the venue does not exist. *json: Schedule. */
enum ft_store_result ft_store_schedule_create(PGconn *db, int64_t concert_id, int64_t venue_id,
                                              const char *starts_at, char **json);

/* Runs a query whose one row and column is a JSON document; the shared tail of the above. */
enum ft_store_result ft_store_json_row(PGconn *db, const char *what, const char *sql, int nparams,
                                       const char *const *params, char **json);

#endif
