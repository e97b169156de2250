/*
 * Where the ingress reads and writes PostgreSQL. Every function takes a connection from
 * the caller and returns an ft_store_result; documents for the API are built by
 * PostgreSQL itself (json_build_object), returned as malloc'd JSON text in *json that
 * the caller frees.
 */
#ifndef FT_INGRESS_STORE_H
#define FT_INGRESS_STORE_H

#include <libpq-fe.h>
#include <stdbool.h>
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
/* Creates the schedule (starting at starts_at, seconds since the epoch) and one seat per
 * place of the venue's layout, atomically. The instant is given, not the client's text:
 * PostgreSQL refuses offsets of 16 hours and more, which RFC 3339 allows.
 * NOT_FOUND when the concert or the venue does not exist. *json: Schedule. */
enum ft_store_result ft_store_schedule_create(PGconn *db, int64_t concert_id, int64_t venue_id, int64_t starts_at,
                                              char **json);

/* --- reservation pipeline (store_pipeline.c) --- */

struct ft_catalog;

/*
 * Brings the in-memory catalog up to date: every schedule's open flag, and the seats of
 * each schedule it does not know yet. only > 0: that schedule alone.
 */
enum ft_store_result ft_store_catalog_sync(PGconn *db, struct ft_catalog *catalog, int64_t only);

/* Reads the writers' next offsets of `topic` (partition_offsets) into next[0..count);
 * 0 for a partition without a row. */
enum ft_store_result ft_store_partition_offsets(PGconn *db, const char *topic, int64_t *next, int32_t count);

/* The token the user's key is bound to (FT_REQUEST_TOKEN_SIZE bytes; keys are bound by
 * key_binder.c), and whether it was bound for another request than `request`
 * (ft_reservation_fingerprint); NOT_FOUND when the key is not bound. */
enum ft_store_result ft_store_idempotency_find(PGconn *db, int64_t user_id, const char *key, const char *request,
                                               char *token, bool *other_request);
/* Unbinds the key, if it is still bound to token. */
enum ft_store_result ft_store_idempotency_unbind(PGconn *db, int64_t user_id, const char *key, const char *token);
/* Moves the key from old_token to new_token, for `request`; NOT_FOUND when it is no longer
 * bound to old_token. */
enum ft_store_result ft_store_idempotency_rebind(PGconn *db, int64_t user_id, const char *key, const char *old_token,
                                                 const char *new_token, const char *request);

/* The decided outcome of the user's request `token`, as the poll answers it (*json:
 * RequestStatus, HELD with its seats or REJECTED). NOT_FOUND when that user has no
 * decided request with this token. */
enum ft_store_result ft_store_request_outcome(PGconn *db, const char *token, int64_t user_id, char **json);

/* --- the owner's reservations (store_owner.c) --- */

/* *json: MyReservations, the newest 100 first. */
enum ft_store_result ft_store_my_reservations(PGconn *db, int64_t user_id, char **json);

struct ft_owned_reservation {
    int64_t schedule_id;
    char status[16];  /* HELD, PAID, CANCELLED, EXPIRED as stored */
    bool past_expiry; /* a HELD one whose time is up */
};

/* Reads a reservation of user_id; NOT_FOUND when it does not exist or is someone else's. */
enum ft_store_result ft_store_reservation_of(PGconn *db, int64_t reservation_id, int64_t user_id,
                                            struct ft_owned_reservation *out);

/* --- payments (store_payments.c) --- */

/* One reservation's payment order as the payment routes need it. */
struct ft_payment_order {
    int64_t reservation_id, schedule_id, user_id, amount;
    char reservation_status[16]; /* HELD, PAID, CANCELLED, EXPIRED as stored */
    bool past_expiry;            /* a HELD one whose time is up */
    bool prepared;               /* an order (payments row) exists; the fields below are set */
    char merchant_uid[64];
    char imp_uid[128];    /* "" while none settled it */
    char status[16];      /* PREPARED, CONFIRMING, PAID, REFUND_DUE, REFUNDED */
    char refund_reason[32]; /* "" unless a refund of it was decided */
};

/* Reads the order of reservation_id owned by user_id (NOT_FOUND for anyone else's), or,
 * with reservation_id 0, the order whose merchant_uid is given (for the webhook). */
enum ft_store_result ft_store_payment_order(PGconn *db, int64_t reservation_id, int64_t user_id,
                                            const char *merchant_uid, struct ft_payment_order *out);

/* Binds imp_uid to the PREPARED order and makes it CONFIRMING. CONFLICT when imp_uid
 * settles another order; NOT_FOUND when the order is no longer PREPARED. */
enum ft_store_result ft_store_payment_claim(PGconn *db, int64_t reservation_id, const char *imp_uid);

/* Binds imp_uid to the PREPARED order as REFUND_DUE and puts its refund in the outbox, in
 * one statement. CONFLICT when imp_uid settles another order; NOT_FOUND when the order is
 * no longer PREPARED. */
enum ft_store_result ft_store_payment_refuse(PGconn *db, int64_t reservation_id, const char *imp_uid,
                                             const char *merchant_uid, int64_t amount, const char *reason);

/* Creates the order of user_id's live hold reservation_id with merchant_uid, if it has none,
 * and gives it as ft_store_payment_view does, in one statement. NOT_FOUND when nothing was
 * created: the hold is not the user's, not live, or already has its order. */
enum ft_store_result ft_store_payment_open(PGconn *db, int64_t reservation_id, int64_t user_id,
                                           const char *merchant_uid, char **json);

/* *json: Payment (the order, its state and its refund with every attempt). */
enum ft_store_result ft_store_payment_view(PGconn *db, int64_t reservation_id, int64_t user_id, char **json);

/* Maps a failed PGresult to a store result (CONFLICT on a unique violation), logging
 * what the client will not see. */
enum ft_store_result ft_store_failure(PGconn *db, const PGresult *res, const char *what);

/* ft_store_json_row for a query whose one parameter ($1) is an id. */
enum ft_store_result ft_store_json_by_id(PGconn *db, const char *what, const char *sql, int64_t id, char **json);

/* Runs a query whose one row and column is a JSON document; the shared tail of the above. */
enum ft_store_result ft_store_json_row(PGconn *db, const char *what, const char *sql, int nparams,
                                       const char *const *params, char **json);

#endif
