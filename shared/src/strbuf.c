#include "ft/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ft_strbuf_init(struct ft_strbuf *buf)
{
    *buf = (struct ft_strbuf){ 0 };
}

void ft_strbuf_reset(struct ft_strbuf *buf)
{
    buf->len = 0;
    buf->failed = false;
    if (buf->data != NULL)
        buf->data[0] = '\0';
}

void ft_strbuf_free(struct ft_strbuf *buf)
{
    free(buf->data);
    ft_strbuf_init(buf);
}

/* Makes room for `more` bytes after the content and a NUL; false (and failed) when memory ran out. */
static bool grow(struct ft_strbuf *buf, size_t more)
{
    if (buf->cap - buf->len > more)
        return true;
    size_t cap = buf->cap * 2 + more + 256;
    char *grown = realloc(buf->data, cap);
    if (grown == NULL) {
        buf->failed = true;
        return false;
    }
    buf->data = grown;
    buf->cap = cap;
    return true;
}

void ft_strbuf_printf(struct ft_strbuf *buf, const char *fmt, ...)
{
    if (buf->failed)
        return;
    for (;;) {
        size_t room = buf->cap - buf->len;
        va_list args;
        va_start(args, fmt);
        int n = buf->data ? vsnprintf(buf->data + buf->len, room, fmt, args) : -1;
        va_end(args);
        if (n >= 0 && (size_t)n < room) {
            buf->len += (size_t)n;
            return;
        }
        if (!grow(buf, n > 0 ? (size_t)n : room))
            return;
    }
}

void ft_strbuf_append(struct ft_strbuf *buf, const char *data, size_t len)
{
    if (buf->failed || !grow(buf, len))
        return;
    memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
}

char *ft_strbuf_take(struct ft_strbuf *buf)
{
    char *text = buf->failed ? NULL : buf->data;
    if (buf->failed)
        free(buf->data);
    else if (text == NULL)
        text = calloc(1, 1);
    ft_strbuf_init(buf);
    return text;
}
