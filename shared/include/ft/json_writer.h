/*
 * JSON text written straight out, member by member, with no document in between
 * (RapidJSON's Writer, shared/src/json_writer.cpp). For what is written once per
 * request: the command the ingress produces, the outcome the worker publishes, the
 * ingress's 202 and its answers to polls. jansson builds a tree of allocations for each
 * of them and prints integers with snprintf; that was 4 to 5 µs of the ingress's CPU per
 * decided request (perf, nobody-paying closed loop). Everything else keeps jansson.
 *
 * Use: ft_json_writer_new, then values in order (a member is a key, then its value), then
 * ft_json_writer_finish or ft_json_writer_copy, which free the writer. The text is
 * compact, members in the order written. Strings must be UTF-8; a writer given anything
 * else (NULL too), or out of memory, or finished with an object or array still open, fails: finish
 * gives NULL and copy 0. Calls on a writer that failed change nothing. Values out of
 * order (a value where a key belongs, a second top-level value) are a programming error,
 * asserted in debug builds.
 */
#ifndef FT_JSON_WRITER_H
#define FT_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ft_json_writer;

/* A writer with nothing written; NULL when out of memory. */
__attribute__((warn_unused_result)) struct ft_json_writer *ft_json_writer_new(void);

void ft_json_begin_object(struct ft_json_writer *w);
void ft_json_end_object(struct ft_json_writer *w);
void ft_json_begin_array(struct ft_json_writer *w);
void ft_json_end_array(struct ft_json_writer *w);
/* A member's name; its value comes next. */
void ft_json_key(struct ft_json_writer *w, const char *key);
void ft_json_string(struct ft_json_writer *w, const char *value);
void ft_json_int(struct ft_json_writer *w, int64_t value);
void ft_json_null(struct ft_json_writer *w);

/* A member with its value: key, then value. */
void ft_json_member_string(struct ft_json_writer *w, const char *key, const char *value);
void ft_json_member_int(struct ft_json_writer *w, const char *key, int64_t value);

/*
 * The text, NUL-terminated, in memory of its own that the caller frees; its length in
 * *len when len is not NULL. NULL when the writer failed or the text is not whole. Frees
 * the writer in every case (NULL is taken as a writer that failed).
 */
__attribute__((warn_unused_result)) char *ft_json_writer_finish(struct ft_json_writer *w, size_t *len);

/*
 * The text copied into buf, NUL-terminated; its length, or 0 when the writer failed, the
 * text is not whole or it does not fit in cap bytes with its NUL. Frees the writer in
 * every case (NULL is taken as a writer that failed).
 */
__attribute__((warn_unused_result)) size_t ft_json_writer_copy(struct ft_json_writer *w, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
