#include <string.h>

#include "../../core/linebuf.h"
#include "tap.h"

struct seen {
    char lines[8][KB_LINE_MAX + 1];
    int trunc[8];
    int n;
    int stop_at;
};

static int collect(void *ctx, const char *line, size_t len, int truncated)
{
    struct seen *s = ctx;

    if (s->n < 8) {
        memcpy(s->lines[s->n], line, len + 1);
        s->trunc[s->n] = truncated;
    }
    s->n++;
    return s->stop_at && s->n == s->stop_at ? 7 : 0;
}

int main(void)
{
    struct kb_linebuf lb = { 0 };
    struct seen s = { 0 };
    char big[3000];

    kb_linebuf_feed(&lb, "one\r\ntw", 7, collect, &s);
    ok(s.n == 1 && strcmp(s.lines[0], "one") == 0, "CRLF line delivered without CR");
    kb_linebuf_feed(&lb, "o\nthree", 7, collect, &s);
    ok(s.n == 2 && strcmp(s.lines[1], "two") == 0, "line split across feeds is joined");
    kb_linebuf_flush(&lb, collect, &s);
    ok(s.n == 3 && strcmp(s.lines[2], "three") == 0, "flush delivers the partial line");
    kb_linebuf_flush(&lb, collect, &s);
    ok(s.n == 3, "flush of nothing delivers nothing");

    memset(&s, 0, sizeof s);
    memset(big, 'x', sizeof big);
    big[sizeof big - 1] = '\n';
    kb_linebuf_feed(&lb, big, sizeof big, collect, &s);
    ok(s.n == 1 && s.trunc[0] && strlen(s.lines[0]) == KB_LINE_MAX,
       "an over-long line is cut to KB_LINE_MAX and marked");
    kb_linebuf_feed(&lb, "ok\n", 3, collect, &s);
    ok(s.n == 2 && !s.trunc[1] && strcmp(s.lines[1], "ok") == 0, "the next line is whole again");

    memset(&s, 0, sizeof s);
    s.stop_at = 2;
    ok(kb_linebuf_feed(&lb, "a\nb\nc\n", 6, collect, &s) == 7 && s.n == 2,
       "a callback's non-zero return stops the feed");
    kb_linebuf_feed(&lb, "", 0, collect, &s);
    ok(s.n == 2, "empty feed is a no-op");
    return tap_done();
}
