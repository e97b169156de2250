/*
 * A client of PortOne's REST API v1 (https://api.iamport.kr, or the imitation under
 * tests/portone): the access token, fetching a payment and cancelling (refunding) one.
 *
 * Every call is blocking and bounded by the timeout given to ft_portone_new (connect and
 * whole transfer); answers over 1 MiB are refused. The access token is cached with its
 * expiry, reused until shortly before it expires and renewed once when PortOne answers
 * 401. A handle may be used by several threads at once (the token is behind a mutex; each
 * call uses a curl handle of its own). Finished calls' curl handles are kept with their
 * connections open for the next calls; a kept connection found broken is replaced once by
 * curl itself. Neither the secret nor the token is ever logged.
 */
#ifndef FT_PORTONE_H
#define FT_PORTONE_H

#include <stdint.h>

struct ft_portone;

/* What a call came to. */
enum ft_portone_result {
    FT_PORTONE_OK,           /* PortOne answered code 0; *out holds the payment */
    FT_PORTONE_NOT_FOUND,    /* HTTP 404: PortOne knows no such payment */
    FT_PORTONE_UNAUTHORIZED, /* the key or secret is refused, also after renewing the token */
    FT_PORTONE_UNAVAILABLE,  /* network error, timeout, 5xx, 408/429, oversized or malformed
                                answer: retryable; the call may or may not have taken effect */
    FT_PORTONE_REFUSED,      /* a business refusal (code != 0 with HTTP 200, or another 4xx):
                                nothing was done; out->message says why */
};

/* The payment's status as PortOne names it. */
enum ft_portone_status {
    FT_PORTONE_STATUS_OTHER,     /* absent or a value we do not know */
    FT_PORTONE_STATUS_READY,     /* "ready": not paid yet (e.g. a virtual account waiting) */
    FT_PORTONE_STATUS_PAID,      /* "paid": paid, also when partially cancelled */
    FT_PORTONE_STATUS_CANCELLED, /* "cancelled": cancelled in full */
    FT_PORTONE_STATUS_FAILED,    /* "failed": the payment did not go through */
};

/*
 * A payment as PortOne reports it. Plain values, owned by the caller; the strings are
 * NUL-terminated (an answer whose strings do not fit is treated as malformed, never cut).
 */
struct ft_portone_payment {
    char imp_uid[128];
    char merchant_uid[256];
    int64_t amount;        /* the amount paid, in currency units (KRW: won) */
    int64_t cancel_amount; /* how much of it has been cancelled so far */
    char currency[8];
    enum ft_portone_status status;
    int64_t paid_at; /* unix seconds, 0 if never paid */
    char message[256]; /* PortOne's message on REFUSED/NOT_FOUND (possibly cut), else "" */
};

/*
 * Creates a client of the API at base_url (e.g. "https://api.iamport.kr", no trailing
 * path) with the REST API key and secret; the strings are copied as they are (a key that
 * begins with 0 stays so). timeout_ms (> 0) bounds connecting and each whole request.
 * NULL when an argument is missing or invalid, or on lack of memory. The caller owns the
 * result and frees it with ft_portone_free.
 */
__attribute__((warn_unused_result)) struct ft_portone *ft_portone_new(const char *base_url, const char *imp_key,
                                                                      const char *imp_secret, int timeout_ms);

/* Frees the client (NULL is fine); no call may be running on it. Wipes the secret. */
void ft_portone_free(struct ft_portone *portone);

/*
 * Fetches payment imp_uid (GET /payments/{imp_uid}) into *out. *out is cleared first and
 * is meaningful on OK only (message also on NOT_FOUND and REFUSED).
 */
__attribute__((warn_unused_result)) enum ft_portone_result ft_portone_get_payment(struct ft_portone *portone,
                                                                                  const char *imp_uid,
                                                                                  struct ft_portone_payment *out);

/*
 * Fetches the latest paid payment made for our order merchant_uid (GET
 * /payments/find/{merchant_uid}/paid) into *out: NOT_FOUND when PortOne knows none. *out
 * is cleared first and is meaningful on OK only.
 */
__attribute__((warn_unused_result)) enum ft_portone_result ft_portone_find_paid(struct ft_portone *portone,
                                                                                const char *merchant_uid,
                                                                                struct ft_portone_payment *out);

/*
 * Cancels (refunds) payment imp_uid (POST /payments/cancel): `amount` of it, or all that
 * remains when amount <= 0. `checksum` is the cancellable amount the caller believes
 * remains (amount - cancel_amount); it is always sent, and PortOne refuses the cancel
 * when it differs, which is what keeps a retried refund from refunding twice. reason may
 * be NULL. On OK *out is the updated payment; on REFUSED out->message says why. On
 * UNAVAILABLE the cancel may have happened: fetch the payment, or retry with the same
 * checksum.
 */
__attribute__((warn_unused_result)) enum ft_portone_result ft_portone_cancel(struct ft_portone *portone,
                                                                             const char *imp_uid, int64_t amount,
                                                                             int64_t checksum, const char *reason,
                                                                             struct ft_portone_payment *out);

/* A stable lower-case name of a result, for logs and metrics ("ok", "unavailable", …). */
const char *ft_portone_result_name(enum ft_portone_result result);

/* PortOne's name of a status ("paid", …; "other" for FT_PORTONE_STATUS_OTHER). */
const char *ft_portone_status_name(enum ft_portone_status status);

#endif
