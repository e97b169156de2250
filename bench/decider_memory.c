/*
 * Memory the worker spends per seat it holds in memory: loads schedules of 2,000 seats
 * into one decider until N seats, holds a quarter of them, and reports heap bytes per
 * seat (glibc's mallinfo2, so allocator overhead is included).
 *
 *   build/release/bin/bench-decider-memory [seats]      (default 1,000,000)
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"

#define SEATS_PER_SCHEDULE 2000

static size_t heap_in_use(void)
{
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

int main(int argc, char **argv)
{
    long total = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
    size_t before = heap_in_use();
    struct ft_decider *decider = ft_decider_new(0, 4);
    struct ft_seat_seed *seats = calloc(SEATS_PER_SCHEDULE, sizeof *seats);
    struct ft_batch batch;
    ft_batch_init(&batch);
    if (decider == NULL || seats == NULL)
        return EXIT_FAILURE;
    size_t seeds = heap_in_use() - before;
    int64_t next_seat = 1, offset = 0;
    for (int64_t schedule = 1; schedule * SEATS_PER_SCHEDULE <= total; schedule++) {
        for (int i = 0; i < SEATS_PER_SCHEDULE; i++)
            seats[i] = (struct ft_seat_seed){ .id = next_seat++, .row = 1 + i / 50, .number = 1 + i % 50,
                                              .grade = (enum ft_grade)(i / 500), .price = 100000 };
        struct ft_schedule_seed seed = { .schedule_id = schedule, .exists = true, .open = true, .seats = seats,
                                         .seat_count = SEATS_PER_SCHEDULE };
        if (!ft_decider_add_schedule(decider, &seed))
            return EXIT_FAILURE;
        /* A quarter of the seats held, one per buyer, as during an on-sale. */
        for (int i = 0; i < SEATS_PER_SCHEDULE / 4; i++) {
            struct ft_command cmd = { .type = FT_CMD_RESERVE, .ts_ms = 1000 + offset, .schedule_id = schedule,
                                      .user_id = 1 + offset, .hold_seconds = 300, .quantity = 1,
                                      .grade = FT_GRADE_ANY };
            memcpy(cmd.token, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", FT_REQUEST_TOKEN_SIZE);
            if (ft_decide(decider, &cmd, offset++, &batch) != FT_DECIDED)
                return EXIT_FAILURE;
            ft_batch_clear(&batch);
        }
    }
    ft_batch_free(&batch);
    size_t used = heap_in_use() - before - seeds;
    long loaded = (total / SEATS_PER_SCHEDULE) * SEATS_PER_SCHEDULE;
    printf("{\"seats\": %ld, \"held\": %ld, \"heap_bytes\": %zu, \"bytes_per_seat\": %.1f}\n", loaded, loaded / 4,
           used, (double)used / (double)loaded);
    ft_decider_free(decider);
    free(seats);
    return EXIT_SUCCESS;
}
