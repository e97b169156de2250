/*
 * ft_json_writer over RapidJSON's Writer (see ft/json_writer.h for why). One allocation
 * per writer: the writer, its output's first 512 bytes and its nesting stack live in one
 * block; only longer text takes more, from malloc.
 */
#include "ft/json_writer.h"

#include <rapidjson/allocators.h>
#include <rapidjson/encodings.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

namespace {

/* The output: a byte buffer, first inline, then from malloc when the text outgrows it. */
class Output {
public:
    typedef char Ch;

    Output() : buf_(inline_), len_(0), cap_(sizeof inline_), failed_(false) {}
    ~Output()
    {
        if (buf_ != inline_)
            std::free(buf_);
    }
    Output(const Output &) = delete;
    Output &operator=(const Output &) = delete;

    void Put(char c)
    {
        if (len_ == cap_ && !grow())
            return;
        buf_[len_++] = c;
    }
    void Flush() {}

    bool failed() const { return failed_; }
    const char *data() const { return buf_; }
    size_t size() const { return len_; }

private:
    bool grow()
    {
        if (failed_)
            return false;
        size_t cap = cap_ * 2;
        char *bigger = static_cast<char *>(std::malloc(cap));
        if (bigger == nullptr) {
            failed_ = true;
            return false;
        }
        std::memcpy(bigger, buf_, len_);
        if (buf_ != inline_)
            std::free(buf_);
        buf_ = bigger;
        cap_ = cap;
        return true;
    }

    char inline_[512];
    char *buf_;
    size_t len_, cap_;
    bool failed_;
};

/* The nesting stack's memory, inside the writer. RapidJSON's Writer takes room for 32
 * levels (512 bytes) at its first value; the pool keeps a header in the same block. */
constexpr size_t STACK_BYTES = 1024;

typedef rapidjson::MemoryPoolAllocator<rapidjson::CrtAllocator> StackAllocator;
/* Without RapidJSON's own UTF-8 check: in 1.1.0 it reads past the end of a string that ends
 * inside a character (AddressSanitizer, tests/unit/test_json_writer.c). simdjson checks. */
typedef rapidjson::Writer<Output, rapidjson::UTF8<>, rapidjson::UTF8<>, StackAllocator> JsonWriter;

} // namespace

struct ft_json_writer {
    ft_json_writer() : stack(stack_memory, sizeof stack_memory), writer(out, &stack), failed(false) {}

    /* Records a step that failed, or an output out of memory. */
    void check(bool ok)
    {
        if (!ok || out.failed())
            failed = true;
    }

    Output out;
    alignas(std::max_align_t) char stack_memory[STACK_BYTES];
    StackAllocator stack;
    JsonWriter writer;
    bool failed;
};

/* One step of the writer's, unless an earlier one failed. */
template <typename Step> static void step(struct ft_json_writer *w, Step write)
{
    if (!w->failed)
        w->check(write(w->writer));
}

extern "C" {

struct ft_json_writer *ft_json_writer_new(void)
{
    return new (std::nothrow) ft_json_writer();
}

void ft_json_begin_object(struct ft_json_writer *w)
{
    step(w, [](JsonWriter &out) { return out.StartObject(); });
}

void ft_json_end_object(struct ft_json_writer *w)
{
    step(w, [](JsonWriter &out) { return out.EndObject(); });
}

void ft_json_begin_array(struct ft_json_writer *w)
{
    step(w, [](JsonWriter &out) { return out.StartArray(); });
}

void ft_json_end_array(struct ft_json_writer *w)
{
    step(w, [](JsonWriter &out) { return out.EndArray(); });
}

/* A key or a string value, when it is UTF-8 (and not NULL). */
static void text(struct ft_json_writer *w, const char *s, bool key)
{
    if (w->failed)
        return;
    size_t len = s != nullptr ? std::strlen(s) : 0;
    if (s == nullptr || !simdjson::validate_utf8(s, len)) {
        w->failed = true;
        return;
    }
    auto size = static_cast<rapidjson::SizeType>(len);
    step(w, [=](JsonWriter &out) { return key ? out.Key(s, size) : out.String(s, size); });
}

void ft_json_key(struct ft_json_writer *w, const char *key)
{
    text(w, key, true);
}

void ft_json_string(struct ft_json_writer *w, const char *value)
{
    text(w, value, false);
}

void ft_json_int(struct ft_json_writer *w, int64_t value)
{
    step(w, [value](JsonWriter &out) { return out.Int64(value); });
}

void ft_json_null(struct ft_json_writer *w)
{
    step(w, [](JsonWriter &out) { return out.Null(); });
}

void ft_json_member_string(struct ft_json_writer *w, const char *key, const char *value)
{
    ft_json_key(w, key);
    ft_json_string(w, value);
}

void ft_json_member_int(struct ft_json_writer *w, const char *key, int64_t value)
{
    ft_json_key(w, key);
    ft_json_int(w, value);
}

/* The text when it is whole and nothing failed, else NULL; *len its length. */
static const char *whole_text(const struct ft_json_writer *w, size_t *len)
{
    if (w == nullptr || w->failed || w->out.failed() || !w->writer.IsComplete())
        return nullptr;
    *len = w->out.size();
    return w->out.data();
}

char *ft_json_writer_finish(struct ft_json_writer *w, size_t *len)
{
    size_t n = 0;
    const char *text = whole_text(w, &n);
    char *copy = text != nullptr ? static_cast<char *>(std::malloc(n + 1)) : nullptr;
    if (copy != nullptr) {
        std::memcpy(copy, text, n);
        copy[n] = '\0';
        if (len != nullptr)
            *len = n;
    }
    delete w;
    return copy;
}

size_t ft_json_writer_copy(struct ft_json_writer *w, char *buf, size_t cap)
{
    size_t n = 0;
    const char *text = whole_text(w, &n);
    bool fits = text != nullptr && n < cap;
    if (fits) {
        std::memcpy(buf, text, n);
        buf[n] = '\0';
    }
    delete w;
    return fits ? n : 0;
}

} // extern "C"
