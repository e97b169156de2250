#include "latency_histogram.h"

static const int64_t bounds_us[FT_LATENCY_BUCKETS - 1] = { 500,     1000,    2500,    5000,    10000,
                                                           25000,   50000,   100000,  250000,  500000,
                                                           1000000, 2500000, 5000000 };

void ft_latency_histogram_observe(struct ft_latency_histogram *h, int64_t micros)
{
    if (micros < 0)
        micros = 0;
    size_t bucket = 0;
    while (bucket < FT_LATENCY_BUCKETS - 1 && micros > bounds_us[bucket])
        bucket++;
    atomic_fetch_add(&h->buckets[bucket], 1);
    atomic_fetch_add(&h->micros_total, (uint_fast64_t)micros);
}

void ft_latency_histogram_render(struct ft_latency_histogram *h, struct ft_strbuf *t, const char *name,
                                 const char *labels)
{
    const char *comma = labels[0] != '\0' ? "," : "";
    unsigned long long cumulative = 0;
    for (size_t b = 0; b < FT_LATENCY_BUCKETS; b++) {
        cumulative += atomic_load(&h->buckets[b]);
        if (b + 1 < FT_LATENCY_BUCKETS)
            ft_strbuf_printf(t, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, comma, (double)bounds_us[b] / 1e6,
                             cumulative);
        else
            ft_strbuf_printf(t, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, comma, cumulative);
    }
    const char *open = labels[0] != '\0' ? "{" : "", *close = labels[0] != '\0' ? "}" : "";
    ft_strbuf_printf(t, "%s_sum%s%s%s %.6f\n%s_count%s%s%s %llu\n", name, open, labels, close,
                     (double)atomic_load(&h->micros_total) / 1e6, name, open, labels, close, cumulative);
}
