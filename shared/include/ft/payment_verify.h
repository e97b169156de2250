/*
 * What to do with a payment PortOne reports for one of our orders: the checks of the
 * ingress's verification and of the expirer's look at stranded orders, kept free of I/O
 * so that they are unit-tested alone.
 *
 * The payment must be for this order (merchant_uid), paid, in KRW and of the order's
 * amount. One made for another order, or not paid, is refused and left alone: it is
 * not ours to refund. One for this order that is paid but cannot be honoured (another
 * currency, another amount, partly cancelled) is refunded. Whether the hold is still
 * live is not decided here: the worker decides it at the payment's point of the log.
 */
#ifndef FT_PAYMENT_VERIFY_H
#define FT_PAYMENT_VERIFY_H

#include <stdint.h>

#include "ft/portone.h"

enum ft_payment_verdict_kind {
    FT_VERDICT_CONFIRM, /* put the confirmation on the schedule's partition */
    FT_VERDICT_REFUND,  /* ours and paid, but not honoured: refund it */
    FT_VERDICT_REFUSE,  /* not for this order or not paid: answer 4xx, change nothing */
};

struct ft_payment_verdict {
    enum ft_payment_verdict_kind kind;
    int status;          /* REFUSE, REFUND: the HTTP status to answer */
    const char *code;    /* REFUSE: the API error code; REFUND: the refund reason */
    const char *message; /* REFUSE, REFUND: a sentence for the buyer */
    int64_t refund_amount; /* REFUND: what remains to give back */
};

void ft_payment_verify(const struct ft_portone_payment *payment, const char *merchant_uid, int64_t amount,
                       struct ft_payment_verdict *out);

#endif
