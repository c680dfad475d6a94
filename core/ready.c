#include "ready.h"

#include <stdio.h>
#include <string.h>

int kb_ready_format(char *buf, size_t len, uint64_t boottime_ns, const char *version)
{
    int n = snprintf(buf, len, KB_READY_PREFIX "ready boottime_ns=%llu version=%s\n",
                     (unsigned long long)boottime_ns, version);
    return (n < 0 || (size_t)n >= len) ? -1 : n;
}

static int starts(const char *p, const char *end, const char *word)
{
    size_t n = strlen(word);
    return (size_t)(end - p) >= n && memcmp(p, word, n) == 0;
}

static int parse_u64(const char **pp, const char *end, uint64_t *out)
{
    const char *p = *pp;
    uint64_t v = 0;

    if (p == end || *p < '0' || *p > '9')
        return -1;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *pp = p;
    *out = v;
    return 0;
}

static int version_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           c == '.' || c == '-' || c == '+' || c == '_' || c == '~';
}

int kb_status_parse(const char *line, size_t len, struct kb_status *st)
{
    const char *p = line, *end = line + len;
    const char *prefix;

    memset(st, 0, sizeof *st);
    /* kernel messages may precede ours on the same line: look for the prefix */
    prefix = NULL;
    for (const char *q = line; q + sizeof KB_READY_PREFIX - 1 <= end; q++) {
        if (memcmp(q, KB_READY_PREFIX, sizeof KB_READY_PREFIX - 1) == 0) {
            prefix = q;
            break;
        }
    }
    if (!prefix)
        return 0;
    p = prefix + sizeof KB_READY_PREFIX - 1;
    if (starts(p, end, "power-off") && p + 9 == end) {
        st->kind = KB_STATUS_POWEROFF;
        return 1;
    }
    if (!starts(p, end, "ready "))
        return 0;
    p += 6;
    if (!starts(p, end, "boottime_ns="))
        return -1;
    p += 12;
    if (parse_u64(&p, end, &st->boottime_ns) < 0)
        return -1;
    if (!starts(p, end, " version="))
        return -1;
    p += 9;
    if (p == end || (size_t)(end - p) >= sizeof st->version)
        return -1;
    for (const char *q = p; q < end; q++)
        if (!version_char(*q))
            return -1;
    memcpy(st->version, p, (size_t)(end - p));
    st->version[end - p] = '\0';
    st->kind = KB_STATUS_READY;
    return 1;
}
