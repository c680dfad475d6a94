#include <string.h>

#include "../../core/ready.h"
#include "tap.h"

static int parse(const char *line, struct kb_status *st)
{
    return kb_status_parse(line, strlen(line), st);
}

int main(void)
{
    struct kb_status st;
    char line[256];
    int n;

    n = kb_ready_format(line, sizeof line, 312345678, "0.1.0");
    ok(n > 0 && line[n - 1] == '\n', "ready line formats with a newline");
    line[n - 1] = '\0';
    ok(parse(line, &st) == 1 && st.kind == KB_STATUS_READY && st.boottime_ns == 312345678 &&
           strcmp(st.version, "0.1.0") == 0, "ready line round-trips");
    ok(kb_ready_format(line, 10, 1, "0.1.0") < 0, "format refuses a small buffer");

    ok(parse("[    0.5] x katabox-agent: ready boottime_ns=5 version=1.2", &st) == 1 &&
           st.boottime_ns == 5, "kernel text before the prefix is skipped");
    ok(parse("katabox-agent: power-off", &st) == 1 && st.kind == KB_STATUS_POWEROFF, "power-off line");
    ok(parse("katabox-agent: power-offx", &st) == 0, "power-off with trailing junk is not a status");
    ok(parse("Linux version 6.1", &st) == 0 && st.kind == KB_STATUS_NONE, "other lines are not status");
    ok(parse("katabox-agent: unknown command", &st) == 0, "other agent lines are not status");

    ok(parse("katabox-agent: ready boottime_ns= version=1", &st) < 0, "missing number is malformed");
    ok(parse("katabox-agent: ready boottime_ns=99999999999999999999 version=1", &st) < 0,
       "u64 overflow is malformed");
    ok(parse("katabox-agent: ready boottime_ns=18446744073709551615 version=1", &st) == 1 &&
           st.boottime_ns == 18446744073709551615ull, "u64 max parses");
    ok(parse("katabox-agent: ready boottime_ns=1 version=", &st) < 0, "empty version is malformed");
    ok(parse("katabox-agent: ready boottime_ns=1 version=a b", &st) < 0, "space in version is malformed");
    ok(parse("katabox-agent: ready boottime_ns=1 version=\x1b[31m", &st) < 0,
       "control characters in version are malformed");
    memset(line, 0, sizeof line);
    strcpy(line, "katabox-agent: ready boottime_ns=1 version=");
    memset(line + strlen(line), 'v', 100);
    ok(parse(line, &st) < 0, "over-long version is malformed");
    ok(parse("katabox-agent: ready boottime_ns=1x version=1", &st) < 0, "junk after number is malformed");
    ok(kb_status_parse("katabox-agent: ready", 5, &st) == 0, "length is honoured, not the NUL");
    return tap_done();
}
