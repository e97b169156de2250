/*
 * The catalog the ingress keeps in memory to refuse at once what needs no queue: which
 * schedules exist, whether each is open, and its seats (with row, number, grade and
 * price, so that a decided hold can be described without PostgreSQL).
 *
 * Pure: filled by the caller (pipeline.c loads it from PostgreSQL), read by every HTTP
 * thread. Thread-safe: readers share a read lock; a schedule's seats never change once
 * added, only its open flag.
 *
 * Memory: 16 bytes per seat plus about 48 bytes per schedule.
 */
#ifndef FT_INGRESS_CATALOG_H
#define FT_INGRESS_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ft/command.h"

struct ft_catalog_seat {
    int64_t id;
    int32_t price;  /* won; at most 100,000,000 */
    uint8_t row;    /* 1..100 */
    uint8_t number; /* 1..200 */
    uint8_t grade;  /* enum ft_grade */
};

struct ft_catalog;

/* An empty catalog; NULL when out of memory. */
__attribute__((warn_unused_result)) struct ft_catalog *ft_catalog_new(void);
void ft_catalog_free(struct ft_catalog *catalog);

/*
 * Adds a schedule with its seats (copied, any order), or sets the open flag of one
 * already known (its seats stay as they are: they never change). False when out of
 * memory.
 */
__attribute__((warn_unused_result)) bool ft_catalog_put(struct ft_catalog *catalog, int64_t schedule_id, bool open,
                                                        const struct ft_catalog_seat *seats, size_t seat_count);

/* Sets a known schedule's open flag; false when the schedule is unknown. */
bool ft_catalog_set_open(struct ft_catalog *catalog, int64_t schedule_id, bool open);

/* Whether the schedule is known. */
bool ft_catalog_knows(struct ft_catalog *catalog, int64_t schedule_id);

/* Marks the catalog as loaded once; until then nothing can be checked against it. */
void ft_catalog_set_loaded(struct ft_catalog *catalog);
bool ft_catalog_loaded(struct ft_catalog *catalog);

/* Schedules known. */
size_t ft_catalog_schedule_count(struct ft_catalog *catalog);

enum ft_catalog_check {
    FT_CATALOG_OK,
    FT_CATALOG_UNKNOWN_SCHEDULE,
    FT_CATALOG_CLOSED,
    FT_CATALOG_FOREIGN_SEAT, /* *bad names the first seat id that is not the schedule's */
};

/* Checks a request: the schedule exists and is open, and every seat id (count may be 0)
 * is a seat of it. */
enum ft_catalog_check ft_catalog_check(struct ft_catalog *catalog, int64_t schedule_id, const int64_t *seat_ids,
                                       size_t count, int64_t *bad);

/* Copies the details of the schedule's seats `ids` into out (same order). False when the
 * schedule or one seat is unknown. */
bool ft_catalog_describe(struct ft_catalog *catalog, int64_t schedule_id, const int64_t *ids, size_t count,
                         struct ft_catalog_seat *out);

#endif
