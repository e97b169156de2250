/*
 * Reading an outcome: ft_outcome_decode. Every ingress reads the outcome of every decided
 * request from FT_TOPIC_OUTCOMES (its registry answers polls from them), so, like a command
 * (command_decode.cpp), an outcome is parsed with simdjson instead of jansson. The rules are
 * the encoder's (command.c): the members it writes with their types and ranges; other
 * members are ignored, and a member named twice counts once, the first time.
 */
#include "ft/command.h"

#include <simdjson.h>

#include <cstdint>
#include <cstring>
#include <string_view>

namespace {

using simdjson::dom::element;
using simdjson::dom::object;

bool int_member(const object &o, std::string_view name, int64_t *out)
{
    return !o.at_key(name).get_int64().get(*out);
}

bool string_member(const object &o, std::string_view name, std::string_view *out)
{
    return !o.at_key(name).get_string().get(*out);
}

bool decode_held(const object &o, ft_outcome *out)
{
    simdjson::dom::array seats;
    if (!int_member(o, "reservationId", &out->reservation_id) || out->reservation_id <= 0 ||
        !int_member(o, "amount", &out->amount) || out->amount < 0 || !int_member(o, "expiresAt", &out->expires_at_ms) ||
        o.at_key("seatIds").get_array().get(seats) || seats.size() < 1 || seats.size() > FT_SEATS_PER_REQUEST_MAX)
        return false;
    for (element seat : seats) {
        int64_t id = 0;
        if (seat.get_int64().get(id) || id <= 0)
            return false;
        out->seat_ids[out->seat_count++] = id;
    }
    out->status = FT_OUTCOME_HELD;
    return true;
}

bool decode_rejected(const object &o, ft_outcome *out)
{
    std::string_view code; /* NUL-terminated in the parser's buffer; one inside is refused */
    if (!string_member(o, "code", &code) || code.find('\0') != std::string_view::npos)
        return false;
    out->status = FT_OUTCOME_REJECTED;
    out->reject_code = ft_reject_code_intern(code.data());
    return out->reject_code != nullptr;
}

} // namespace

extern "C" bool ft_outcome_decode(const char *data, size_t len, ft_outcome *out)
{
    std::memset(out, 0, sizeof *out);
    /* One parser per thread: it keeps its buffers from one outcome to the next. */
    thread_local simdjson::dom::parser parser;
    element doc;
    object o;
    if (data == nullptr || parser.parse(data, len).get(doc) || doc.get_object().get(o))
        return false;
    std::string_view type, token, status;
    int64_t partition = -1;
    if (!string_member(o, "type", &type) || type != "outcome" || !string_member(o, "token", &token) ||
        !ft_request_token_shaped(token.data(), token.size()) || !int_member(o, "userId", &out->user_id) ||
        out->user_id <= 0 || !int_member(o, "scheduleId", &out->schedule_id) || out->schedule_id <= 0 ||
        !int_member(o, "partition", &partition) || partition < 0 || partition > INT32_MAX ||
        !int_member(o, "offset", &out->offset) || out->offset < 0 || !string_member(o, "status", &status) ||
        !int_member(o, "decidedAt", &out->decided_at_ms))
        return false;
    std::memcpy(out->token, token.data(), token.size());
    out->token[token.size()] = '\0';
    out->partition = static_cast<int32_t>(partition);
    if (status == "HELD")
        return decode_held(o, out);
    return status == "REJECTED" && decode_rejected(o, out);
}
