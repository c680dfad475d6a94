#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

int kb_log_format_parse(const char *s, enum kb_log_format *f)
{
    if (strcmp(s, "text") == 0)
        *f = KB_LOG_TEXT;
    else if (strcmp(s, "json") == 0)
        *f = KB_LOG_JSON;
    else
        return -1;
    return 0;
}

/* Quote msg for a JSON string or a logrus text value: both escape " and \
 * and control characters the same way for what we write. */
static size_t quote(char *out, size_t cap, const char *msg)
{
    size_t n = 0;

    for (const unsigned char *c = (const unsigned char *)msg; *c && n + 7 < cap; c++) {
        if (*c == '"' || *c == '\\') {
            out[n++] = '\\';
            out[n++] = (char)*c;
        } else if (*c == '\n') {
            out[n++] = '\\';
            out[n++] = 'n';
        } else if (*c < 0x20) {
            n += (size_t)snprintf(out + n, cap - n, "\\u%04x", *c);
        } else {
            out[n++] = (char)*c;
        }
    }
    out[n] = '\0';
    return n;
}

int kb_log_write(const char *path, enum kb_log_format f, const char *level, const char *msg,
                 kb_err *err)
{
    char q[2200], line[2600], when[40];
    struct timespec ts;
    struct tm tm;
    int fd, n;

    if (!path)
        return 0;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    quote(q, sizeof q, msg);
    if (f == KB_LOG_JSON)
        n = snprintf(line, sizeof line, "{\"level\":\"%s\",\"msg\":\"%s\",\"time\":\"%s\"}\n", level,
                     q, when);
    else
        n = snprintf(line, sizeof line, "time=\"%s\" level=%s msg=\"%s\"\n", when, level, q);
    if (n < 0 || (size_t)n >= sizeof line)
        n = (int)strlen(line);
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return kb_error_errno(err, "--log: open %s", path);
    if (kb_write_all(fd, line, (size_t)n) < 0) {
        close(fd);
        return kb_error_errno(err, "--log: write %s", path);
    }
    close(fd);
    return 0;
}
