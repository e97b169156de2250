#include "ft/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int least_level = FT_LOG_INFO;
static const char *const level_names[] = { "debug", "info", "warn", "error" };

bool ft_log_set_level(const char *name)
{
    for (int i = FT_LOG_DEBUG; i <= FT_LOG_ERROR; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            atomic_store(&least_level, i);
            return true;
        }
    }
    return false;
}

void ft_log(enum ft_log_level level, const char *event, const char *fmt, ...)
{
    if ((int)level < atomic_load(&least_level))
        return;
    char line[2048];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm utc;
    gmtime_r(&now.tv_sec, &utc);
    int used = snprintf(line, sizeof line, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s event=%s ",
                        utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                        utc.tm_sec, now.tv_nsec / 1000000, level_names[level], event);
    va_list args;
    va_start(args, fmt);
    int more = vsnprintf(line + used, sizeof line - (size_t)used, fmt, args);
    va_end(args);
    size_t len = (size_t)used + (more > 0 ? (size_t)more : 0);
    if (len >= sizeof line - 1)
        len = sizeof line - 2; /* cut, but keep the line whole */
    line[len++] = '\n';
    ssize_t ignored = write(STDERR_FILENO, line, len);
    (void)ignored;
}
