/* The host reads a guest's console: arbitrary bytes from an untrusted VM.
 * Split them into lines and parse every status line, as kb_vm does. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../core/linebuf.h"
#include "../../core/ready.h"

static int on_line(void *ctx, const char *line, size_t len, int truncated)
{
    struct kb_status st;
    int r;

    (void)ctx;
    if (strlen(line) > len || len > KB_LINE_MAX)
        __builtin_trap();
    if (truncated)
        return 0;
    r = kb_status_parse(line, len, &st);
    if (r == 1 && st.kind == KB_STATUS_READY && strlen(st.version) >= sizeof st.version)
        __builtin_trap();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kb_linebuf lb = { 0 };
    size_t half = size / 2;

    /* two feeds, so lines split across reads are exercised too */
    kb_linebuf_feed(&lb, (const char *)data, half, on_line, NULL);
    kb_linebuf_feed(&lb, (const char *)data + half, size - half, on_line, NULL);
    kb_linebuf_flush(&lb, on_line, NULL);
    /* and the parser on the raw bytes, without the splitter's help */
    {
        struct kb_status st;
        kb_status_parse((const char *)data, size, &st);
    }
    return 0;
}
