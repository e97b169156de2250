#include "answer.h"

#include <simdjson.h>

#include <cstring>
#include <string_view>

namespace {

void text_member(const simdjson::dom::object &o, std::string_view name, char *out)
{
    std::string_view value;
    if (!o.at_key(name).get_string().get(value) && value.size() < LG_ANSWER_TEXT) {
        std::memcpy(out, value.data(), value.size());
        out[value.size()] = '\0';
    }
}

void int_member(const simdjson::dom::object &o, std::string_view name, int64_t *out)
{
    int64_t value = 0;
    if (!o.at_key(name).get_int64().get(value))
        *out = value;
}

} // namespace

extern "C" bool lg_answer_read(const char *body, size_t len, struct lg_answer *out)
{
    *out = lg_answer{};
    thread_local simdjson::dom::parser parser;
    simdjson::dom::object o;
    if (body == nullptr || parser.parse(body, len).get_object().get(o))
        return false;
    text_member(o, "token", out->token);
    text_member(o, "status", out->status);
    text_member(o, "code", out->code);
    simdjson::dom::object error;
    if (!o.at_key("error").get_object().get(error))
        text_member(error, "code", out->code);
    int_member(o, "reservationId", &out->reservation_id);
    int_member(o, "amount", &out->amount);
    int_member(o, "pollAfterMs", &out->poll_after_ms);
    return true;
}
