#include "linebuf.h"

#include <string.h>

static int emit(struct kb_linebuf *lb, kb_line_fn fn, void *ctx)
{
    int r;

    while (lb->len && lb->buf[lb->len - 1] == '\r')
        lb->len--;
    lb->buf[lb->len] = '\0';
    r = fn(ctx, lb->buf, lb->len, lb->truncated);
    lb->len = 0;
    lb->truncated = 0;
    return r;
}

int kb_linebuf_feed(struct kb_linebuf *lb, const char *data, size_t len, kb_line_fn fn, void *ctx)
{
    size_t i = 0;

    while (i < len) {
        const char *nl = memchr(data + i, '\n', len - i);
        size_t chunk = nl ? (size_t)(nl - (data + i)) : len - i;
        size_t room = KB_LINE_MAX - lb->len;
        size_t take = chunk < room ? chunk : room;

        memcpy(lb->buf + lb->len, data + i, take);
        lb->len += take;
        if (take < chunk)
            lb->truncated = 1;
        i += chunk;
        if (nl) {
            int r = emit(lb, fn, ctx);
            i++;
            if (r)
                return r;
        }
    }
    return 0;
}

int kb_linebuf_flush(struct kb_linebuf *lb, kb_line_fn fn, void *ctx)
{
    if (!lb->len && !lb->truncated)
        return 0;
    return emit(lb, fn, ctx);
}
