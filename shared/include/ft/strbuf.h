/* A growing text buffer for building documents and SQL array literals. */
#ifndef FT_STRBUF_H
#define FT_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct ft_strbuf {
    char *data; /* NUL-terminated while not failed */
    size_t len, cap;
    bool failed; /* sticks once an allocation fails; later appends do nothing */
};

void ft_strbuf_init(struct ft_strbuf *buf);
/* Forgets the content, keeps the memory. */
void ft_strbuf_reset(struct ft_strbuf *buf);
void ft_strbuf_free(struct ft_strbuf *buf);

void ft_strbuf_printf(struct ft_strbuf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends len bytes as they are (no format to read: for bodies arriving in pieces). */
void ft_strbuf_append(struct ft_strbuf *buf, const char *data, size_t len);

/* Hands the text over to the caller (who frees it) and empties buf; NULL if an append failed. */
char *ft_strbuf_take(struct ft_strbuf *buf);

#endif
