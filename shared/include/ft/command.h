/*
 * The messages of the reservation pipeline and their JSON form on Kafka
 * (the JSON schemas under schemas/messages/ describe the same).
 *
 * Commands travel on FT_TOPIC_COMMANDS, one schedule's commands in one partition
 * (partition = schedule id mod partition count), keyed by the schedule id. Every command
 * carries its own time (`ts`, milliseconds since the epoch, set by whoever produced it):
 * the worker never reads its own clock, so replaying the log gives the same decisions.
 */
#ifndef FT_COMMAND_H
#define FT_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" { /* ft_command_decode is written in C++ (command_decode.cpp) */
#endif

/*
 * A request token: the millisecond it was issued as 12 hex digits, then 16 random bytes
 * as 22 characters of base64url, plus the terminator. The time in front makes tokens
 * issued together sort together, so PostgreSQL's index on request_outcomes.token grows
 * at one edge instead of taking each batch's rows on random pages (a third of the
 * cost of writing them); the random part keeps a token unguessable.
 */
#define FT_REQUEST_TOKEN_TIME_CHARS 12
#define FT_REQUEST_TOKEN_SIZE 35
/* The latest command time accepted: 9999-12-31T23:59:59.999Z, in milliseconds. */
#define FT_COMMAND_TS_MAX 253402300799999LL
/* Seats one request may ask for. */
#define FT_SEATS_PER_REQUEST_MAX 4

enum ft_grade { FT_GRADE_VIP, FT_GRADE_R, FT_GRADE_S, FT_GRADE_A, FT_GRADE_ANY };

enum ft_command_type {
    FT_CMD_RESERVE, /* hold seats for a user: specific ones, or the best `quantity` adjacent */
    FT_CMD_CANCEL,  /* the owner gives an unpaid hold back */
    FT_CMD_EXPIRE,  /* the expirer says a hold's time is up */
    FT_CMD_CONFIRM_PAYMENT, /* a verified PortOne payment asks to turn a hold into a sale */
};

/* Room for PortOne's payment id and for our order id, with the terminator. */
#define FT_IMP_UID_SIZE 128
#define FT_MERCHANT_UID_SIZE 64

/* A provider payment as a CONFIRM_PAYMENT carries it: what a refund needs, if one is due. */
struct ft_payment_ref {
    char imp_uid[FT_IMP_UID_SIZE];           /* PortOne's id of the payment */
    char merchant_uid[FT_MERCHANT_UID_SIZE]; /* our order id it was made for */
    int64_t amount;                          /* what was paid, won */
};

struct ft_command {
    enum ft_command_type type;
    int64_t ts_ms;       /* when the command was made */
    int64_t schedule_id; /* also the message key */
    int64_t user_id;     /* RESERVE, CANCEL: who asks */
    char token[FT_REQUEST_TOKEN_SIZE]; /* RESERVE: the request's polling token */
    int32_t hold_seconds;              /* RESERVE: how long a hold lasts */
    int32_t seat_count;                /* RESERVE by seat: how many of seat_ids are set (0 = best available) */
    int64_t seat_ids[FT_SEATS_PER_REQUEST_MAX];
    int32_t quantity;    /* RESERVE best available: 1..FT_SEATS_PER_REQUEST_MAX */
    enum ft_grade grade; /* RESERVE best available: a grade, or FT_GRADE_ANY */
    int64_t reservation_id; /* CANCEL, EXPIRE, CONFIRM_PAYMENT */
    struct ft_payment_ref payment; /* CONFIRM_PAYMENT */
};

/* Outcome of one request, as published on FT_TOPIC_OUTCOMES and stored in request_outcomes. */
enum ft_outcome_status { FT_OUTCOME_HELD, FT_OUTCOME_REJECTED };

struct ft_outcome {
    char token[FT_REQUEST_TOKEN_SIZE];
    int64_t user_id;
    int64_t schedule_id;
    int32_t partition;
    int64_t offset;
    enum ft_outcome_status status;
    const char *reject_code; /* static string, REJECTED only: SEAT_TAKEN, SOLD_OUT, … */
    int64_t reservation_id;  /* HELD only */
    int64_t amount;          /* HELD only, won */
    int64_t expires_at_ms;   /* HELD only */
    int32_t seat_count;      /* HELD only */
    int64_t seat_ids[FT_SEATS_PER_REQUEST_MAX];
    int64_t decided_at_ms; /* the command's time */
};

const char *ft_grade_name(enum ft_grade grade);
/* "VIP", "R", "S", "A"; false for anything else. */
bool ft_grade_parse(const char *name, enum ft_grade *out);

/* True when text[0..len) has a request token's shape: FT_REQUEST_TOKEN_SIZE - 1 characters
 * of base64url (A-Z a-z 0-9 - _), the time in front included. */
bool ft_request_token_shaped(const char *text, size_t len);

/*
 * Writes the command as JSON into buf (cap bytes). Returns the length, or 0 when it
 * does not fit.
 */
size_t ft_command_encode(const struct ft_command *cmd, char *buf, size_t cap);

/*
 * Reads a command. False with a reason in err for anything malformed: the worker skips
 * such a message (and says so) rather than stop the partition.
 */
__attribute__((warn_unused_result)) bool ft_command_decode(const char *data, size_t len, struct ft_command *cmd,
                                                           char *err, size_t errlen);

/* Outcome JSON on FT_TOPIC_OUTCOMES: encode returns the length or 0; decode is strict. */
size_t ft_outcome_encode(const struct ft_outcome *outcome, char *buf, size_t cap);
__attribute__((warn_unused_result)) bool ft_outcome_decode(const char *data, size_t len, struct ft_outcome *out);

/*
 * Progress of a partition's writer, published on FT_TOPIC_OUTCOMES after every commit:
 * every command before next_offset is decided and its outcome durable. rate_per_sec is
 * the measured decision rate, for the waiting room's ETA.
 */
struct ft_progress {
    int32_t partition;
    int64_t next_offset;
    double rate_per_sec;
};

size_t ft_progress_encode(const struct ft_progress *progress, char *buf, size_t cap);
__attribute__((warn_unused_result)) bool ft_progress_decode(const char *data, size_t len, struct ft_progress *out);

/* The `type` of a message on FT_TOPIC_OUTCOMES: "outcome" or "progress"; NULL otherwise.
 * Cheap: looks at the first member only, which the encoders always write first. */
const char *ft_outcomes_message_type(const char *data, size_t len);

/* Maps a reject code read from JSON to the static string of the known codes; NULL if unknown. */
const char *ft_reject_code_intern(const char *code);

#ifdef __cplusplus
}
#endif

#endif
