#include "hybrid.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../util.h"

static int unix_addr(struct sockaddr_un *sa, const char *path)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa->sun_path))
        return -1;
    strcpy(sa->sun_path, path);
    return 0;
}

int kb_hybrid_init(struct kb_hybrid *h, const char *path, kb_err *err)
{
    struct sockaddr_un sa;
    _cleanup_close_ int fd = -1;

    memset(h, 0, sizeof(*h));
    h->listen_fd = -1;
    for (unsigned i = 0; i < KB_HYBRID_MAX_PENDING; i++)
        h->p[i].fd = -1;
    /* "<path>_<port>" must fit a sockaddr_un too: keep 11 bytes for it */
    if (strlen(path) + 12 > sizeof(h->path) || unix_addr(&sa, path) < 0)
        return kb_error(err, ENAMETOOLONG, "hybrid vsock socket path too long: %s", path);
    strcpy(h->path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return kb_error_errno(err, "socket");
    unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0)
        return kb_error_errno(err, "listen on %s", path);
    h->listen_fd = kb_steal_fd(&fd);
    return 0;
}

void kb_hybrid_fini(struct kb_hybrid *h)
{
    for (unsigned i = 0; i < KB_HYBRID_MAX_PENDING; i++) {
        kb_closep(&h->p[i].fd);
        h->p[i].fd = -1;
    }
    if (h->listen_fd >= 0) {
        close(h->listen_fd);
        unlink(h->path);
    }
    h->listen_fd = -1;
}

int kb_hybrid_connect(void *ctx, uint32_t port, kb_err *err)
{
    struct kb_hybrid *h = ctx;
    struct sockaddr_un sa;
    char path[128];
    _cleanup_close_ int fd = -1;

    snprintf(path, sizeof(path), "%s_%u", h->path, port);
    if (unix_addr(&sa, path) < 0)
        return kb_error(err, ENAMETOOLONG, "%s: path too long", path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return kb_error_errno(err, "socket");
    /* a unix connect completes at once or fails (EAGAIN: backlog full) */
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return kb_error_errno(err, "connect %s", path);
    return kb_steal_fd(&fd);
}

int kb_hybrid_parse_connect(const char *line, uint32_t *port)
{
    unsigned long long v = 0;
    const char *p;

    if (strncasecmp(line, "CONNECT ", 8) != 0)
        return -1;
    p = line + 8;
    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (unsigned)(*p - '0');
        if (v > UINT32_MAX)
            return -1;
    }
    if (*p)
        return -1;
    *port = (uint32_t)v;
    return 0;
}

unsigned kb_hybrid_pollfds(const struct kb_hybrid *h, struct pollfd *pfd, unsigned max)
{
    unsigned n = 0;

    if (h->listen_fd >= 0 && n < max)
        pfd[n++] = (struct pollfd){ .fd = h->listen_fd, .events = POLLIN };
    for (unsigned i = 0; i < KB_HYBRID_MAX_PENDING && n < max; i++)
        if (h->p[i].fd >= 0)
            pfd[n++] = (struct pollfd){ .fd = h->p[i].fd, .events = POLLIN };
    return n;
}

static void accept_one(struct kb_hybrid *h)
{
    int fd = accept4(h->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (fd < 0)
        return;
    for (unsigned i = 0; i < KB_HYBRID_MAX_PENDING; i++) {
        if (h->p[i].fd < 0) {
            h->p[i].fd = fd;
            h->p[i].len = 0;
            return;
        }
    }
    close(fd); /* too many half-open clients: they retry */
}

int kb_hybrid_event(struct kb_hybrid *h, int ready_fd, int *fd, uint32_t *port)
{
    if (ready_fd == h->listen_fd) {
        accept_one(h);
        return 0;
    }
    for (unsigned i = 0; i < KB_HYBRID_MAX_PENDING; i++) {
        struct kb_hybrid_pending *c = &h->p[i];
        if (c->fd != ready_fd || c->fd < 0)
            continue;
        /* byte by byte: whatever follows the newline is the client's
         * first data and must stay in the socket for the connection */
        for (;;) {
            char ch;
            ssize_t n = read(c->fd, &ch, 1);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == EAGAIN)
                return 0;
            if (n <= 0 || c->len + 1 >= KB_HYBRID_LINE_MAX)
                break;
            if (ch == '\n') {
                c->line[c->len] = '\0';
                if (c->len && c->line[c->len - 1] == '\r')
                    c->line[c->len - 1] = '\0';
                if (kb_hybrid_parse_connect(c->line, port) < 0)
                    break;
                *fd = c->fd;
                c->fd = -1;
                return 1;
            }
            c->line[c->len++] = ch;
        }
        close(c->fd);
        c->fd = -1;
        return 0;
    }
    return 0;
}
