/* Splits a byte stream we do not control (a guest's console) into lines
 * with a fixed buffer: an endless line is cut, never grown. */
#ifndef KB_LINEBUF_H
#define KB_LINEBUF_H

#include <stddef.h>

#define KB_LINE_MAX 1024

struct kb_linebuf {
    char buf[KB_LINE_MAX + 1];
    size_t len;
    int truncated;   /* the current line overflowed and was cut */
};

/* Called per complete line without its "\n" or "\r\n"; `line` is NUL-terminated
 * and `truncated` tells if it was cut. A non-zero return stops the feed. */
typedef int (*kb_line_fn)(void *ctx, const char *line, size_t len, int truncated);

/* Feed bytes; returns the callback's non-zero value if it stopped, else 0. */
int kb_linebuf_feed(struct kb_linebuf *lb, const char *data, size_t len, kb_line_fn fn, void *ctx);
/* Deliver a pending partial line (at end of stream). */
int kb_linebuf_flush(struct kb_linebuf *lb, kb_line_fn fn, void *ctx);

#endif
