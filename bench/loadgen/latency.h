/*
 * Latency samples and their percentiles, for the load generator.
 *
 * Every sample is kept (microseconds, 8 bytes each: a million requests take 8 MB), so a
 * percentile is exact, not an estimate from buckets. Percentiles sort the samples once,
 * on the first query after an addition.
 */
#ifndef LG_LATENCY_H
#define LG_LATENCY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct lg_latency {
    int64_t *us; /* the samples, microseconds */
    size_t count, cap;
    bool sorted;
};

/* Adds one sample (negative ones count as 0). False when out of memory. */
__attribute__((warn_unused_result)) bool lg_latency_add(struct lg_latency *lat, int64_t us);

/* The p-th percentile (0..100) in milliseconds, nearest rank; 0 when there are no samples. */
double lg_latency_ms(struct lg_latency *lat, double p);

/* {p50, p90, p99, max} in milliseconds; NULL when out of memory. */
json_t *lg_latency_json(struct lg_latency *lat);

void lg_latency_free(struct lg_latency *lat);

#endif
