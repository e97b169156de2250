/*
 * The decision fuzz harness: bytes -> 2-3 small seeded schedules and a run of commands,
 * decided by two deciders and the reference model side by side (see fuzz_harness.h).
 *
 * Layout of the input (a byte past the end reads as 0):
 *   config        schedules 2 + b%2, seat limit 1 + (b>>1)%4, partition (b>>3)%8
 *   per schedule  [shape] rows 1 + b%4, seats per row 1 + (b>>2)%8, seat number b>>5 missing
 *                 [flags] exists unless b%16 == 15, open unless (b>>4)%8 == 7, and when
 *                 b>>7 the right half of every row is of the next grade (rows of mixed grades)
 *                 [grades] row r has grade (b >> 2r) & 3
 *                 [seeds] 0-2 live reservations, each [user 1 + b%6, paid = b>>7, paid by
 *                 the payment "imp-<id>-0" unless b&0x40 (then by one unknown)] [seats 1 + b%4,
 *                 expiry T0 + ((b>>2) - 16) * 2 s] then one byte per seat (an index; one past
 *                 the last names a seat of another schedule, which the seed must refuse)
 *   per command   [kind and schedule] kind b%8: 0-3 RESERVE by seat ids, 4-5 best available,
 *                 6 CANCEL, 7 EXPIRE or CONFIRM_PAYMENT; schedule (b>>3)%8; b>>6 == 3 first
 *                 empties batch A
 *                 [time] ts += b*25 ms, or (b-199)*4 s when b >= 200 (past hold expiries)
 *                 [user] user 1 + b%6; b&0x40: a CANCEL comes from the owner, a kind 7 is a
 *                 CONFIRM_PAYMENT; b >= 0xF0 skips an offset
 *                 [parameter] RESERVE by ids: 1 + b%4 seats (one byte each, an index, or past
 *                 it an unknown id or a seat of another schedule), hold 1 + (b>>2)%16 s;
 *                 best available: quantity 1 + b%4, grade (b>>2)%5, hold 1 + (b>>5)*4 s;
 *                 CANCEL, EXPIRE: a reservation id seen so far (b%count), or an unknown one;
 *                 CONFIRM_PAYMENT: the same when b >= 0x80, else one of the 4 latest seen
 *                 (b%4 back from the latest), more often still live
 *                 [payment] CONFIRM_PAYMENT only: b>>6 == 3 sends the previous CONFIRM_PAYMENT
 *                 again as it was (but for its time); otherwise payment "imp-<reservation>-<b%4>"
 *                 (b%4 == 3: "imp-shared", one payment named for every reservation) for order
 *                 "ord-<reservation>", of the live hold's amount, one won more when (b>>2)%4 == 0;
 *                 from the owner of the reservation unless (b>>4)%4 == 0 (then from the user)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_harness.h"

#define SCHEDULES_MAX 3
#define ROWS_MAX 4
#define PER_ROW_MAX 8
#define SEEDS_MAX 2
#define COMMANDS_MAX 3000
#define KNOWN_MAX 64
#define T0 1790000000000LL

static const int64_t prices[] = { 150000, 120000, 90000, 60000 };

struct reader {
    const uint8_t *data;
    size_t size, at;
};

static uint8_t take(struct reader *r)
{
    return r->at < r->size ? r->data[r->at++] : 0;
}

struct venue {
    struct ft_seat_seed seats[ROWS_MAX * PER_ROW_MAX];
    struct ft_reservation_seed reservations[SEEDS_MAX];
    struct ft_schedule_seed seed;
};

struct run {
    struct ft_decider *a, *b;      /* b is fed the same log and never has its batch emptied */
    struct ft_batch batch_a, batch_b;
    struct ft_model *model;
    struct venue venues[SCHEDULES_MAX];
    size_t venue_count;
    int64_t known[KNOWN_MAX]; /* reservation ids seen, for CANCEL, EXPIRE and CONFIRM_PAYMENT */
    size_t known_count;
    struct ft_command last_confirm; /* the previous CONFIRM_PAYMENT, to send again */
    bool confirmed_before;
    char *why;
    size_t whylen;
};

static int64_t schedule_id_of(size_t k)
{
    return 11 + (int64_t)k;
}

static int64_t seat_id_of(int64_t schedule, int row, int number)
{
    return schedule * 1000 + row * 10 + number;
}

static void remember(struct run *run, int64_t reservation_id)
{
    run->known[run->known_count++ % KNOWN_MAX] = reservation_id;
}

static void read_venue(struct run *run, struct reader *in, size_t k)
{
    struct venue *v = &run->venues[k];
    int64_t schedule = schedule_id_of(k);
    uint8_t shape = take(in), flags = take(in), grades = take(in);
    int rows = 1 + shape % ROWS_MAX, per_row = 1 + (shape >> 2) % PER_ROW_MAX, missing = shape >> 5;
    v->seed = (struct ft_schedule_seed){ .schedule_id = schedule, .exists = flags % 16 != 15,
                                         .open = (flags >> 4) % 8 != 7, .seats = v->seats,
                                         .reservations = v->reservations };
    for (int row = 1; row <= rows; row++)
        for (int number = per_row; number >= 1; number--) { /* any order will do */
            if (number == missing && per_row > 1)
                continue;
            int g = (grades >> (2 * (row - 1))) & 3;
            if ((flags >> 7) && 2 * number > per_row)
                g = (g + 1) % 4;
            enum ft_grade grade = (enum ft_grade)g;
            v->seats[v->seed.seat_count++] = (struct ft_seat_seed){
                .id = seat_id_of(schedule, row, number), .row = row, .number = number, .grade = grade,
                .price = prices[grade] + row * 100 + number, /* distinct prices make the amount tell seats apart */
            };
        }
    size_t seeds = take(in) % (SEEDS_MAX + 1);
    for (size_t j = 0; j < seeds; j++) {
        uint8_t who = take(in), shape_r = take(in);
        struct ft_reservation_seed *r = &v->reservations[v->seed.reservation_count++];
        *r = (struct ft_reservation_seed){ .id = 900000 + (int64_t)k * 10 + (int64_t)j, /* never a log id */
                                           .user_id = 1 + who % 6, .paid = who >> 7,
                                           .expires_at_ms = T0 + ((shape_r >> 2) - 16) * 2000 };
        if (r->paid && !(who & 0x40)) {
            char imp_uid[FT_IMP_UID_SIZE];
            snprintf(imp_uid, sizeof imp_uid, "imp-%lld-0", (long long)r->id);
            r->paid_by = ft_payment_fingerprint(imp_uid);
        }
        int count = 1 + shape_r % FT_SEATS_PER_REQUEST_MAX;
        for (int i = 0; i < count; i++) {
            size_t pick = take(in) % (v->seed.seat_count + 1);
            int64_t id = pick < v->seed.seat_count ? v->seats[pick].id : seat_id_of(schedule + 1, 1, 1);
            bool repeated = false;
            for (int32_t l = 0; l < r->seat_count; l++)
                repeated |= r->seat_ids[l] == id;
            /* A seat twice in one reservation is a known gap of ft_decider_add_schedule
             * (unit test decide::a_seed_with_one_seat_twice_in_one_reservation_is_refused):
             * not generated, so that the fuzzer looks further. */
            if (!repeated)
                r->seat_ids[r->seat_count++] = id;
        }
        r->amount = 0;
        for (int32_t l = 0; l < r->seat_count; l++)
            for (size_t s = 0; s < v->seed.seat_count; s++)
                if (v->seats[s].id == r->seat_ids[l])
                    r->amount += v->seats[s].price;
        remember(run, r->id);
    }
}

/* Loads venue k into both deciders and the model; they must agree on whether it is sound. */
static bool load(struct run *run, size_t k, bool *loaded)
{
    const struct ft_schedule_seed *seed = &run->venues[k].seed;
    bool in_a = ft_decider_add_schedule(run->a, seed);
    bool in_b = ft_decider_add_schedule(run->b, seed);
    bool in_model = ft_model_add_schedule(run->model, seed);
    if (in_a != in_model || in_b != in_model) {
        snprintf(run->why, run->whylen, "schedule %lld: the decider %s the seed, the model %s it",
                 (long long)seed->schedule_id, in_a ? "accepted" : "refused", in_model ? "accepts" : "refuses");
        return false;
    }
    if (ft_decider_knows(run->a, seed->schedule_id) != in_model) {
        snprintf(run->why, run->whylen, "schedule %lld: knows() disagrees with the load", (long long)seed->schedule_id);
        return false;
    }
    *loaded = in_model;
    return true;
}

static int64_t pick_reservation(const struct run *run, uint8_t b)
{
    size_t count = run->known_count < KNOWN_MAX ? run->known_count : KNOWN_MAX;
    return count == 0 || b == 0xFF ? 5 : run->known[b % count];
}

/* A CONFIRM_PAYMENT for cmd's reservation, per the [payment] byte (see the top). */
static void read_payment(struct run *run, struct reader *in, struct ft_command *cmd)
{
    uint8_t p = take(in);
    if (p >> 6 == 3 && run->confirmed_before) {
        int64_t ts = cmd->ts_ms;
        *cmd = run->last_confirm;
        cmd->ts_ms = ts;
        return;
    }
    int64_t id = cmd->reservation_id, owner = ft_model_owner(run->model, id), amount = ft_model_amount(run->model, id);
    if (p % 4 == 3)
        snprintf(cmd->payment.imp_uid, sizeof cmd->payment.imp_uid, "imp-shared");
    else
        snprintf(cmd->payment.imp_uid, sizeof cmd->payment.imp_uid, "imp-%lld-%d", (long long)id, p % 4);
    snprintf(cmd->payment.merchant_uid, sizeof cmd->payment.merchant_uid, "ord-%lld", (long long)id);
    cmd->payment.amount = (amount > 0 ? amount : 50000) + ((p >> 2) % 4 == 0 ? 1 : 0);
    if ((p >> 4) % 4 != 0 && owner != 0)
        cmd->user_id = owner;
    run->last_confirm = *cmd;
    run->confirmed_before = true;
}

/* For a CONFIRM_PAYMENT: mostly one of the latest reservations, which may still be live. */
static int64_t pick_recent(const struct run *run, uint8_t b)
{
    if (b >= 0x80 || run->known_count == 0)
        return pick_reservation(run, b);
    size_t back = b % 4 < run->known_count ? b % 4 : 0;
    return run->known[(run->known_count - 1 - back) % KNOWN_MAX];
}

static struct ft_command read_command(struct run *run, struct reader *in, int64_t *ts, int64_t offset, size_t *k,
                                      bool *skip_offset)
{
    uint8_t what = take(in), time = take(in), who = take(in), param = take(in);
    *k = ((size_t)what >> 3) % 8 % run->venue_count;
    *skip_offset = who >= 0xF0;
    *ts += time < 200 ? time * 25 : (time - 199) * 4000;
    struct ft_command cmd = { .ts_ms = *ts, .schedule_id = schedule_id_of(*k), .user_id = 1 + who % 6,
                              .grade = FT_GRADE_ANY };
    snprintf(cmd.token, sizeof cmd.token, "fz%020lld", (long long)offset);
    const struct venue *v = &run->venues[*k];
    switch (what % 8) {
    case 0: case 1: case 2: case 3:
        cmd.type = FT_CMD_RESERVE;
        cmd.seat_count = 1 + param % FT_SEATS_PER_REQUEST_MAX;
        cmd.hold_seconds = 1 + (param >> 2) % 16;
        for (int32_t i = 0; i < cmd.seat_count; i++) {
            size_t pick = take(in) % (v->seed.seat_count + 2);
            cmd.seat_ids[i] = pick < v->seed.seat_count       ? v->seats[pick].id
                              : pick == v->seed.seat_count ? 999999
                                                            : seat_id_of(schedule_id_of((*k + 1) % run->venue_count), 1, 1);
        }
        break;
    case 4: case 5:
        cmd.type = FT_CMD_RESERVE;
        cmd.quantity = 1 + param % FT_SEATS_PER_REQUEST_MAX;
        cmd.grade = (enum ft_grade)((param >> 2) % 5);
        cmd.hold_seconds = 1 + (param >> 5) * 4;
        break;
    case 6:
        cmd.type = FT_CMD_CANCEL;
        cmd.reservation_id = pick_reservation(run, param);
        if (who & 0x40) {
            int64_t owner = ft_model_owner(run->model, cmd.reservation_id);
            if (owner != 0)
                cmd.user_id = owner;
        }
        break;
    default:
        if (who & 0x40) {
            cmd.type = FT_CMD_CONFIRM_PAYMENT;
            cmd.reservation_id = pick_recent(run, param);
            read_payment(run, in, &cmd);
            *k = (size_t)(cmd.schedule_id - schedule_id_of(0)); /* a repeat keeps its schedule */
        } else {
            cmd.type = FT_CMD_EXPIRE;
            cmd.user_id = 0;
            cmd.reservation_id = pick_reservation(run, param);
        }
        break;
    }
    if (cmd.type != FT_CMD_RESERVE)
        memset(cmd.token, 0, sizeof cmd.token);
    return cmd;
}

static bool unchanged(const struct ft_batch *b, struct ft_batch_mark mark)
{
    struct ft_batch_mark now = ft_batch_mark_of(b);
    return now.outcomes == mark.outcomes && now.created == mark.created && now.ended == mark.ended &&
           now.payments == mark.payments && now.commands == mark.commands && now.next_offset == mark.next_offset;
}

/* Decides one command everywhere and compares. */
static bool step(struct run *run, const struct ft_command *cmd, int64_t offset, size_t k)
{
    struct ft_batch_mark mark_a = ft_batch_mark_of(&run->batch_a), mark_b = ft_batch_mark_of(&run->batch_b);
    enum ft_decide_result result = ft_decide(run->a, cmd, offset, &run->batch_a);
    if (result == FT_DECIDE_NEEDS_SCHEDULE) {
        bool loaded = false;
        if (ft_model_knows(run->model, cmd->schedule_id) || !unchanged(&run->batch_a, mark_a)) {
            snprintf(run->why, run->whylen, "offset %lld: asked to load schedule %lld, loaded or with effects",
                     (long long)offset, (long long)cmd->schedule_id);
            return false;
        }
        if (!load(run, k, &loaded))
            return false;
        if (!loaded)
            return true; /* an unsound seed: the worker cannot go on with this schedule */
        result = ft_decide(run->a, cmd, offset, &run->batch_a);
    }
    if (result != FT_DECIDED) {
        snprintf(run->why, run->whylen, "offset %lld: ft_decide answered %d", (long long)offset, result);
        return false;
    }
    if (ft_decide(run->b, cmd, offset, &run->batch_b) != FT_DECIDED)
        return snprintf(run->why, run->whylen, "decider b did not decide offset %lld", (long long)offset), false;
    if (!ft_model_decide_and_compare(run->model, cmd, offset, &run->batch_a, mark_a, run->why, run->whylen) ||
        !ft_fuzz_same_effects(&run->batch_a, mark_a, &run->batch_b, mark_b, run->why, run->whylen))
        return false;
    for (size_t i = mark_a.created; i < run->batch_a.created_count; i++)
        remember(run, run->batch_a.created[i].id);
    return ft_model_compare_seat_map(run->model, run->a, cmd->schedule_id, cmd->ts_ms, run->why, run->whylen) &&
           ft_model_compare_seat_map(run->model, run->b, cmd->schedule_id, cmd->ts_ms + 7000, run->why, run->whylen);
}

bool ft_fuzz_decide_check(const uint8_t *data, size_t size, char *why, size_t whylen)
{
    struct reader in = { .data = data, .size = size };
    uint8_t config = take(&in);
    int32_t limit = 1 + (config >> 1) % 4, partition = (config >> 3) % 8;
    struct run *run = calloc(1, sizeof *run);
    if (run == NULL)
        return snprintf(why, whylen, "out of memory"), false;
    *run = (struct run){ .a = ft_decider_new(partition, limit), .b = ft_decider_new(partition, limit),
                         .model = ft_model_new(partition, limit), .venue_count = 2 + config % 2,
                         .why = why, .whylen = whylen };
    ft_batch_init(&run->batch_a);
    ft_batch_init(&run->batch_b);
    bool ok = run->a != NULL && run->b != NULL && run->model != NULL;
    if (!ok)
        snprintf(why, whylen, "out of memory");
    for (size_t k = 0; ok && k < run->venue_count; k++)
        read_venue(run, &in, k);
    int64_t ts = T0, offset = 0;
    for (size_t n = 0; ok && in.at < in.size && n < COMMANDS_MAX; n++) {
        if (in.data[in.at] >> 6 == 3)
            ft_batch_clear(&run->batch_a);
        size_t k = 0;
        bool skip_offset = false;
        struct ft_command cmd = read_command(run, &in, &ts, offset, &k, &skip_offset);
        ok = step(run, &cmd, offset, k);
        offset += skip_offset ? 2 : 1;
    }
    /* at the end, every seat map by a time far ahead */
    for (size_t k = 0; ok && k < run->venue_count; k++)
        ok = ft_model_compare_seat_map(run->model, run->a, schedule_id_of(k), ts + 86400000, why, whylen);
    ft_batch_free(&run->batch_a);
    ft_batch_free(&run->batch_b);
    ft_decider_free(run->a);
    ft_decider_free(run->b);
    ft_model_free(run->model);
    free(run);
    return ok;
}

int ft_fuzz_decide_one(const uint8_t *data, size_t size)
{
    char why[512] = "";
    if (!ft_fuzz_decide_check(data, size, why, sizeof why)) {
        fprintf(stderr, "fuzz_decide: %s\n", why);
        abort();
    }
    return 0;
}
