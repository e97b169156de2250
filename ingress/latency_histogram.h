/*
 * A Prometheus latency histogram with fixed bounds (0.5 ms to 5 s), lock-free: observing
 * is two atomic additions. Buckets are kept one per interval and summed when rendered.
 * The HTTP metrics keep one per route; the pipeline one for Kafka's acknowledgements.
 */
#ifndef FT_INGRESS_LATENCY_HISTOGRAM_H
#define FT_INGRESS_LATENCY_HISTOGRAM_H

#include <stdatomic.h>
#include <stdint.h>

#include "ft/strbuf.h"

#define FT_LATENCY_BUCKETS 14 /* 13 bounds and +Inf */

struct ft_latency_histogram {
    atomic_uint_fast64_t buckets[FT_LATENCY_BUCKETS]; /* zeroed: empty */
    atomic_uint_fast64_t micros_total;
};

void ft_latency_histogram_observe(struct ft_latency_histogram *h, int64_t micros);

/*
 * Appends the _bucket, _sum and _count lines of metric `name` (no HELP or TYPE lines);
 * `labels` (e.g. route="/x") go before le, or "" for none.
 */
void ft_latency_histogram_render(struct ft_latency_histogram *h, struct ft_strbuf *t, const char *name,
                                 const char *labels);

#endif
