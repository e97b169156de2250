/*
 * One line per event on standard error, in logfmt:
 *   ts=2026-11-24T03:00:00.123Z level=info event=http.request rid=… route=… status=200
 * The caller gives the event name and the context as `key=value` pairs in a format
 * string. Lines are written whole, so that threads never interleave them: one write(2)
 * each, or, once ft_log_start_writer has run, in batches by a thread of their own.
 */
#ifndef FT_LOG_H
#define FT_LOG_H

#include <stdbool.h>

enum ft_log_level { FT_LOG_DEBUG, FT_LOG_INFO, FT_LOG_WARN, FT_LOG_ERROR };

/* Sets the least level written; accepts "debug", "info", "warn", "error". */
bool ft_log_set_level(const char *name);

/* From now on lines are buffered and written by a thread of their own at least every
 * 20 ms, warnings and errors at once; ft_log_stop_writer (also run at exit) writes what
 * is left. A process killed with SIGKILL loses at most its last 20 ms of lines. */
bool ft_log_start_writer(void);
void ft_log_stop_writer(void);

void ft_log(enum ft_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define ft_log_debug(event, ...) ft_log(FT_LOG_DEBUG, event, __VA_ARGS__)
#define ft_log_info(event, ...) ft_log(FT_LOG_INFO, event, __VA_ARGS__)
#define ft_log_warn(event, ...) ft_log(FT_LOG_WARN, event, __VA_ARGS__)
#define ft_log_error(event, ...) ft_log(FT_LOG_ERROR, event, __VA_ARGS__)

#endif
