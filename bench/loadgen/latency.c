#include "latency.h"

#include <math.h>
#include <stdlib.h>

bool lg_latency_add(struct lg_latency *lat, int64_t us)
{
    if (lat->count == lat->cap) {
        size_t cap = lat->cap ? lat->cap * 2 : 4096;
        int64_t *grown = realloc(lat->us, cap * sizeof *grown);
        if (grown == NULL)
            return false;
        lat->us = grown;
        lat->cap = cap;
    }
    lat->us[lat->count++] = us < 0 ? 0 : us;
    lat->sorted = false;
    return true;
}

static int by_value(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

double lg_latency_ms(struct lg_latency *lat, double p)
{
    if (lat->count == 0)
        return 0.0;
    if (!lat->sorted) {
        qsort(lat->us, lat->count, sizeof *lat->us, by_value);
        lat->sorted = true;
    }
    /* Nearest rank: the smallest sample with at least p% of the samples at or below it. */
    double rank = ceil(p / 100.0 * (double)lat->count);
    size_t index = rank < 1.0 ? 0 : (size_t)rank - 1;
    if (index >= lat->count)
        index = lat->count - 1;
    return (double)lat->us[index] / 1000.0;
}

json_t *lg_latency_json(struct lg_latency *lat)
{
    return json_pack("{s:f, s:f, s:f, s:f}", "p50", lg_latency_ms(lat, 50), "p90", lg_latency_ms(lat, 90), "p99",
                     lg_latency_ms(lat, 99), "max", lg_latency_ms(lat, 100));
}

void lg_latency_free(struct lg_latency *lat)
{
    free(lat->us);
    *lat = (struct lg_latency){ 0 };
}
