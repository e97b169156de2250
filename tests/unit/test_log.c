#include <criterion/criterion.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ft/log.h"

#define THREADS 4
#define LINES_PER_THREAD 20000

static char path[] = "/tmp/ft-log-test-XXXXXX";
static int saved_stderr = -1;

/* Standard error goes to a file of the test's own. */
static void capture(void)
{
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    saved_stderr = dup(STDERR_FILENO);
    cr_assert(dup2(fd, STDERR_FILENO) >= 0);
    close(fd);
}

static char *captured(size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = calloc(1, (size_t)size + 1);
    cr_assert_eq(fread(text, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    *len = (size_t)size;
    return text;
}

static void release(void)
{
    if (saved_stderr >= 0)
        dup2(saved_stderr, STDERR_FILENO);
    unlink(path);
}

/* Standard error goes to a pipe read slowly, so that the writer waits on it and the
 * threads' lines fill its buffers. */
struct slow_reader {
    int fd;
    char *text;
    size_t len, cap;
};

static void *read_slowly(void *arg)
{
    struct slow_reader *r = arg;
    char chunk[4096];
    ssize_t n;
    while ((n = read(r->fd, chunk, sizeof chunk)) > 0) {
        if (r->len + (size_t)n + 1 > r->cap) {
            r->cap = (r->cap + (size_t)n + 1) * 2;
            r->text = realloc(r->text, r->cap);
        }
        memcpy(r->text + r->len, chunk, (size_t)n);
        r->len += (size_t)n;
        r->text[r->len] = '\0';
        usleep(200);
    }
    return NULL;
}

static void *log_lines(void *arg)
{
    long thread = (long)arg;
    for (int i = 0; i < LINES_PER_THREAD; i++)
        ft_log_info("test.line", "thread=%ld i=%d pad=%s", thread, i, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    return NULL;
}

Test(log, threads_lines_arrive_whole_and_in_each_threads_order, .fini = release)
{
    int ends[2];
    cr_assert_eq(pipe(ends), 0);
    saved_stderr = dup(STDERR_FILENO);
    cr_assert(dup2(ends[1], STDERR_FILENO) >= 0);
    close(ends[1]);
    struct slow_reader reader = { .fd = ends[0] };
    pthread_t reading;
    cr_assert_eq(pthread_create(&reading, NULL, read_slowly, &reader), 0);
    cr_assert(ft_log_start_writer());
    pthread_t threads[THREADS];
    for (long t = 0; t < THREADS; t++)
        cr_assert_eq(pthread_create(&threads[t], NULL, log_lines, (void *)t), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    ft_log_stop_writer();
    dup2(saved_stderr, STDERR_FILENO); /* the pipe's last writer end: the reader sees its end */
    pthread_join(reading, NULL);
    close(ends[0]);

    size_t len = reader.len;
    char *text = reader.text;
    cr_assert_not_null(text);
    int next[THREADS] = { 0 };
    size_t lines = 0;
    for (char *line = text; line < text + len;) {
        char *end = strchr(line, '\n');
        cr_assert_not_null(end, "a line without its end");
        *end = '\0';
        long thread = -1;
        int i = -1;
        const char *fields = strstr(line, "event=test.line thread=");
        cr_assert_not_null(fields, "not one whole line: %s", line);
        cr_assert_eq(strncmp(line, "ts=", 3), 0, "not one whole line: %s", line);
        cr_assert_eq(sscanf(fields, "event=test.line thread=%ld i=%d", &thread, &i), 2);
        cr_assert(thread >= 0 && thread < THREADS);
        cr_assert_eq(i, next[thread], "thread %ld: line %d came where %d was due", thread, i, next[thread]);
        next[thread]++;
        lines++;
        line = end + 1;
    }
    cr_assert_eq(lines, (size_t)THREADS * LINES_PER_THREAD);
    free(text);
}

Test(log, the_writer_writes_without_being_stopped, .fini = release)
{
    capture();
    cr_assert(ft_log_start_writer());
    ft_log_info("test.soon", "n=1");
    size_t len = 0;
    char *text = NULL;
    for (int tries = 0; tries < 200; tries++) { /* 2 s; the writer's period is 20 ms */
        free(text);
        text = captured(&len);
        if (strstr(text, "event=test.soon n=1\n") != NULL)
            break;
        usleep(10000);
    }
    cr_assert_not_null(strstr(text, "event=test.soon n=1\n"), "the line was not written within 2 s");
    free(text);
    ft_log_stop_writer();
}

Test(log, after_a_stop_each_line_is_written_by_its_caller, .fini = release)
{
    capture();
    cr_assert(ft_log_start_writer());
    ft_log_info("test.before", "n=1");
    ft_log_stop_writer();
    ft_log_warn("test.after", "n=2");
    size_t len = 0;
    char *text = captured(&len); /* no waiting: both are in the file now, in order */
    char *before = strstr(text, "event=test.before n=1\n");
    char *after = strstr(text, "level=warn event=test.after n=2\n");
    cr_assert_not_null(before);
    cr_assert_not_null(after);
    cr_assert(before < after);
    free(text);
}

Test(log, lines_below_the_level_are_not_written, .fini = release)
{
    capture();
    cr_assert(ft_log_set_level("warn"));
    ft_log_info("test.quiet", "n=1");
    ft_log_error("test.loud", "n=2");
    size_t len = 0;
    char *text = captured(&len);
    cr_assert_null(strstr(text, "test.quiet"));
    cr_assert_not_null(strstr(text, "level=error event=test.loud n=2\n"));
    free(text);
}

/* The time of a line "ts=YYYY-MM-DDTHH:MM:SS.mmmZ level=..." in ms since the epoch; -1 when
 * the line does not begin exactly so. */
static long long line_ms(const char *line)
{
    struct tm t = { 0 };
    int ms = -1, used = 0;
    if (sscanf(line, "ts=%4d-%2d-%2dT%2d:%2d:%2d.%3dZ level=%n", &t.tm_year, &t.tm_mon, &t.tm_mday, &t.tm_hour,
               &t.tm_min, &t.tm_sec, &ms, &used) != 7 ||
        used != (int)strlen("ts=2026-01-01T00:00:00.000Z level="))
        return -1;
    t.tm_year -= 1900;
    t.tm_mon -= 1;
    return (long long)timegm(&t) * 1000 + ms;
}

static long long now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* The date is formatted once a second per thread (log.c): lines across a second's turn
 * must still carry their own time, to the millisecond. */
Test(log, each_line_carries_its_own_time_in_utc_to_the_millisecond, .fini = release)
{
    capture();
    long long first = now_ms();
    long long times[12];
    for (int i = 0; i < 12; i++) {
        times[i] = now_ms();
        ft_log_info("test.time", "i=%d", i);
        usleep(150 * 1000); /* 12 lines over 1.8 s: at least one turn of a second */
    }
    size_t len = 0;
    char *text = captured(&len);
    int seen = 0;
    for (char *line = text; line < text + len; line = strchr(line, '\n') + 1) {
        int i = -1;
        const char *fields = strstr(line, "event=test.time i=");
        cr_assert_not_null(fields, "%s", line);
        cr_assert_eq(sscanf(fields, "event=test.time i=%d", &i), 1);
        cr_assert_eq(i, seen);
        long long at = line_ms(line);
        cr_assert(at >= 0, "not a UTC time to the millisecond: %s", line);
        cr_assert(at >= times[i] && at <= times[i] + 50, "line %d says %lld, logged at %lld", i, at, times[i]);
        seen++;
    }
    cr_assert_eq(seen, 12);
    cr_assert(now_ms() - first >= 1000);
    free(text);
}
