#include <criterion/criterion.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ft/json_writer.h"

static char *finish(struct ft_json_writer *w)
{
    size_t len = 0;
    char *text = ft_json_writer_finish(w, &len);
    cr_assert_not_null(text, "the writer failed");
    cr_assert_eq(len, strlen(text));
    return text;
}

Test(json_writer, writes_compact_json_in_the_order_given)
{
    struct ft_json_writer *w = ft_json_writer_new();
    cr_assert_not_null(w);
    ft_json_begin_object(w);
    ft_json_member_string(w, "token", "abc");
    ft_json_member_int(w, "position", 0);
    ft_json_key(w, "etaMs");
    ft_json_null(w);
    ft_json_key(w, "seats");
    ft_json_begin_array(w);
    ft_json_begin_object(w);
    ft_json_member_int(w, "id", 7);
    ft_json_end_object(w);
    ft_json_int(w, -3);
    ft_json_end_array(w);
    ft_json_end_object(w);
    char *text = finish(w);
    cr_assert_str_eq(text, "{\"token\":\"abc\",\"position\":0,\"etaMs\":null,\"seats\":[{\"id\":7},-3]}");
    free(text);
}

Test(json_writer, integers_keep_every_digit)
{
    struct ft_json_writer *w = ft_json_writer_new();
    ft_json_begin_array(w);
    ft_json_int(w, INT64_MAX);
    ft_json_int(w, INT64_MIN);
    ft_json_int(w, 1234567890123);
    ft_json_end_array(w);
    char *text = finish(w);
    cr_assert_str_eq(text, "[9223372036854775807,-9223372036854775808,1234567890123]");
    free(text);
}

/* What jansson reads back is what was written: quotes, backslashes, control characters
 * and characters beyond ASCII in keys and values. */
Test(json_writer, strings_are_escaped_and_read_back_the_same)
{
    const char *values[] = { "say \"hi\"", "back\\slash", "tab\tnew\nline\x01", "서울 콘서트 — 🎫", "</script>", "" };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        struct ft_json_writer *w = ft_json_writer_new();
        ft_json_begin_object(w);
        ft_json_member_string(w, values[i], values[i]);
        ft_json_end_object(w);
        char *text = finish(w);
        json_error_t error;
        json_t *doc = json_loads(text, 0, &error);
        cr_assert_not_null(doc, "#%zu: %s is not JSON: %s", i, text, error.text);
        cr_assert_str_eq(json_string_value(json_object_get(doc, values[i])), values[i], "#%zu: %s", i, text);
        json_decref(doc);
        free(text);
    }
}

Test(json_writer, text_longer_than_the_first_buffer_is_whole)
{
    char long_value[5000];
    memset(long_value, 'x', sizeof long_value - 1);
    long_value[sizeof long_value - 1] = '\0';
    struct ft_json_writer *w = ft_json_writer_new();
    ft_json_begin_array(w);
    for (int i = 0; i < 3; i++)
        ft_json_string(w, long_value);
    ft_json_end_array(w);
    size_t len = 0;
    char *text = ft_json_writer_finish(w, &len);
    cr_assert_not_null(text);
    cr_assert_eq(len, 3 * (sizeof long_value - 1 + 2) + 2 + 2, "length %zu", len);
    json_t *doc = json_loads(text, 0, NULL);
    cr_assert_eq(json_array_size(doc), 3);
    cr_assert_str_eq(json_string_value(json_array_get(doc, 2)), long_value);
    json_decref(doc);
    free(text);
}

Test(json_writer, deep_nesting_is_whole)
{
    struct ft_json_writer *w = ft_json_writer_new();
    for (int i = 0; i < 100; i++)
        ft_json_begin_array(w);
    for (int i = 0; i < 100; i++)
        ft_json_end_array(w);
    char *text = finish(w);
    cr_assert_eq(strlen(text), 200);
    cr_assert_eq(text[0], '[');
    cr_assert_eq(text[199], ']');
    free(text);
}

Test(json_writer, a_string_that_is_not_utf8_fails_the_writer)
{
    struct ft_json_writer *w = ft_json_writer_new();
    ft_json_begin_object(w);
    ft_json_member_string(w, "name", "caf\xe9"); /* Latin-1 */
    ft_json_member_int(w, "later", 1);           /* changes nothing */
    ft_json_end_object(w);
    cr_assert_null(ft_json_writer_finish(w, NULL));

    w = ft_json_writer_new();
    ft_json_begin_object(w);
    ft_json_key(w, "\xc3"); /* a character cut short */
    ft_json_int(w, 1);
    ft_json_end_object(w);
    char buf[64] = "untouched";
    cr_assert_eq(ft_json_writer_copy(w, buf, sizeof buf), 0);
    cr_assert_str_eq(buf, "untouched");

    w = ft_json_writer_new();
    ft_json_begin_array(w);
    ft_json_string(w, NULL);
    ft_json_end_array(w);
    cr_assert_null(ft_json_writer_finish(w, NULL), "NULL is no string");
}

Test(json_writer, text_not_whole_fails)
{
    struct ft_json_writer *w = ft_json_writer_new();
    ft_json_begin_object(w);
    ft_json_member_int(w, "open", 1);
    cr_assert_null(ft_json_writer_finish(w, NULL), "an object left open");

    w = ft_json_writer_new();
    cr_assert_null(ft_json_writer_finish(w, NULL), "nothing written");
    cr_assert_null(ft_json_writer_finish(NULL, NULL));
    char buf[8];
    cr_assert_eq(ft_json_writer_copy(NULL, buf, sizeof buf), 0);
}

Test(json_writer, copy_needs_room_for_the_text_and_its_nul)
{
    char buf[8];
    struct ft_json_writer *w = ft_json_writer_new();
    ft_json_begin_array(w);
    ft_json_int(w, 12345); /* [12345] is 7 bytes */
    ft_json_end_array(w);
    cr_assert_eq(ft_json_writer_copy(w, buf, sizeof buf), 7);
    cr_assert_str_eq(buf, "[12345]");

    w = ft_json_writer_new();
    ft_json_begin_array(w);
    ft_json_int(w, 123456); /* 8 bytes: no room for the NUL */
    ft_json_end_array(w);
    cr_assert_eq(ft_json_writer_copy(w, buf, sizeof buf), 0);
}
