#include "ft/payment_verify.h"

#include <string.h>

static void refuse(struct ft_payment_verdict *out, int status, const char *code, const char *message)
{
    *out = (struct ft_payment_verdict){ .kind = FT_VERDICT_REFUSE, .status = status, .code = code, .message = message };
}

static void refund(struct ft_payment_verdict *out, const struct ft_portone_payment *p, const char *reason,
                   const char *message)
{
    *out = (struct ft_payment_verdict){ .kind = FT_VERDICT_REFUND, .status = 409, .code = reason, .message = message,
                                        .refund_amount = p->amount - p->cancel_amount };
}

void ft_payment_verify(const struct ft_portone_payment *p, const char *merchant_uid, int64_t amount,
                       struct ft_payment_verdict *out)
{
    if (strcmp(p->merchant_uid, merchant_uid) != 0)
        refuse(out, 409, "PAYMENT_ORDER_MISMATCH", "this payment was made for another order");
    else if (p->status != FT_PORTONE_STATUS_PAID || p->amount - p->cancel_amount <= 0)
        refuse(out, 409, "PAYMENT_NOT_PAID", "PortOne does not report this payment as paid");
    else if (strcmp(p->currency, "KRW") != 0)
        refund(out, p, "CURRENCY_MISMATCH", "the payment is not in KRW; it is being refunded");
    else if (p->amount != amount || p->cancel_amount != 0)
        refund(out, p, "AMOUNT_MISMATCH", "the amount paid is not the reservation's; it is being refunded");
    else
        *out = (struct ft_payment_verdict){ .kind = FT_VERDICT_CONFIRM };
}
