#include "ft/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ft/clock.h"

static atomic_int least_level = FT_LOG_INFO;
static const char *const level_names[] = { "debug", "info", "warn", "error" };

/*
 * The writer (ft_log_start_writer): lines are copied into one of two buffers and a thread
 * of their own writes the buffer out every WRITE_EVERY_MS, or at once for a warning, an
 * error or a buffer half full. Written one write(2) per line, the ingress's two lines per
 * reservation were 12,000 system calls a second on a file all HTTP threads append to,
 * each of which can wait on the disk. Without the writer (before it starts, after it
 * stops, in ft-admin) every line is one write(2), as the header says.
 */
#define BUFFER_SIZE (256 * 1024)
#define WRITE_EVERY_MS 20

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;    /* for the writer: something to write now */
    pthread_cond_t drained; /* for a line that did not fit: the buffers were swapped */
    char *filling;          /* lines go here, under the lock */
    char *writing;          /* the writer's, outside the lock */
    size_t used;
    bool running, stopping, urgent;
    pthread_t thread;
} out = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER, .drained = PTHREAD_COND_INITIALIZER };
static char buffers[2][BUFFER_SIZE];

static void write_all(const char *bytes, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, bytes, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* nowhere to complain to */
        bytes += n;
        len -= (size_t)n;
    }
}

static void *writer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&out.lock);
    for (;;) {
        if (out.used < BUFFER_SIZE / 2 && !out.urgent && !out.stopping) {
            struct timespec until = ft_clock_deadline(WRITE_EVERY_MS);
            while (!out.urgent && !out.stopping && out.used < BUFFER_SIZE / 2 &&
                   pthread_cond_timedwait(&out.wake, &out.lock, &until) == 0)
                ;
        }
        if (out.used == 0) {
            if (!out.stopping)
                continue;
            out.running = false; /* under the lock: a line from now on is written by its caller */
            break;
        }
        char *full = out.filling;
        size_t len = out.used;
        out.filling = out.writing;
        out.writing = full;
        out.used = 0;
        out.urgent = false;
        pthread_cond_broadcast(&out.drained);
        pthread_mutex_unlock(&out.lock);
        write_all(full, len); /* the next swap waits for this: lines keep their order */
        pthread_mutex_lock(&out.lock);
    }
    pthread_mutex_unlock(&out.lock);
    return NULL;
}

static void emit(const char *line, size_t len, bool urgent)
{
    pthread_mutex_lock(&out.lock);
    if (!out.running) {
        write_all(line, len); /* under the lock: after a stop, still in order */
    } else {
        while (out.used + len > BUFFER_SIZE)
            pthread_cond_wait(&out.drained, &out.lock);
        memcpy(out.filling + out.used, line, len);
        out.used += len;
        if (urgent || out.used >= BUFFER_SIZE / 2) {
            out.urgent = out.urgent || urgent;
            pthread_cond_signal(&out.wake);
        }
    }
    pthread_mutex_unlock(&out.lock);
}

bool ft_log_start_writer(void)
{
    pthread_mutex_lock(&out.lock);
    bool ok = out.running;
    if (!ok) {
        out.filling = buffers[0];
        out.writing = buffers[1];
        out.used = 0;
        out.stopping = false;
        ok = out.running = pthread_create(&out.thread, NULL, writer_main, NULL) == 0;
    }
    pthread_mutex_unlock(&out.lock);
    static atomic_bool registered;
    if (ok && !atomic_exchange(&registered, true))
        atexit(ft_log_stop_writer);
    return ok;
}

void ft_log_stop_writer(void)
{
    pthread_mutex_lock(&out.lock);
    bool running = out.running;
    out.stopping = true;
    pthread_cond_signal(&out.wake);
    pthread_mutex_unlock(&out.lock);
    if (!running)
        return;
    pthread_join(out.thread, NULL); /* it leaves with both buffers written */
}

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

/*
 * Writes "ts=YYYY-MM-DDTHH:MM:SS.mmmZ " for now at dest (TS_PREFIX_LEN bytes, no NUL).
 * The ingress logs a line per reservation, tens of thousands a second: the date is
 * formatted once a second per thread, and only the milliseconds for each line.
 */
#define TS_PREFIX_LEN (sizeof "ts=2026-01-01T00:00:00.000Z " - 1)
#define TS_DATE_LEN (sizeof "ts=2026-01-01T00:00:00." - 1)

static void timestamp(char *dest)
{
    static _Thread_local time_t second = -1;
    static _Thread_local char date[64]; /* room for any int's digits: -Wformat-truncation */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (now.tv_sec != second) {
        struct tm utc;
        gmtime_r(&now.tv_sec, &utc);
        snprintf(date, sizeof date, "ts=%04d-%02d-%02dT%02d:%02d:%02d.", utc.tm_year + 1900, utc.tm_mon + 1,
                 utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
        second = now.tv_sec;
    }
    long ms = now.tv_nsec / 1000000;
    memcpy(dest, date, TS_DATE_LEN);
    dest += TS_DATE_LEN;
    *dest++ = (char)('0' + ms / 100);
    *dest++ = (char)('0' + ms / 10 % 10);
    *dest++ = (char)('0' + ms % 10);
    *dest++ = 'Z';
    *dest = ' ';
}

void ft_log(enum ft_log_level level, const char *event, const char *fmt, ...)
{
    if ((int)level < atomic_load(&least_level))
        return;
    char line[2048];
    timestamp(line);
    int used = (int)TS_PREFIX_LEN;
    used += snprintf(line + used, sizeof line - (size_t)used, "level=%s event=%s ", level_names[level], event);
    va_list args;
    va_start(args, fmt);
    int more = vsnprintf(line + used, sizeof line - (size_t)used, fmt, args);
    va_end(args);
    size_t len = (size_t)used + (more > 0 ? (size_t)more : 0);
    if (len >= sizeof line - 1)
        len = sizeof line - 2; /* cut, but keep the line whole */
    line[len++] = '\n';
    emit(line, len, level >= FT_LOG_WARN);
}
