#include "service.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../util.h"

/* Ticks close handshakes (kb_vsock_tick) even when nothing else happens. */
#define IDLE_POLL_MS 500

static void *serve(void *arg)
{
    struct kb_vsock_service *s = arg;
    struct pollfd pfd[KB_VSB_MAX_POLL + 1];
    kb_err err;

    for (;;) {
        unsigned n = kb_vsock_backend_pollfds(s->b, pfd, KB_VSB_MAX_POLL);

        pfd[n] = (struct pollfd){ .fd = s->stop_fd, .events = POLLIN };
        if (poll(pfd, n + 1, IDLE_POLL_MS) < 0) {
            if (errno == EINTR)
                continue;
            /* only EFAULT/EINVAL/ENOMEM: nothing to retry; the owner sees
             * the agent connection end */
            break;
        }
        if (pfd[n].revents)
            break;
        if (kb_vsock_backend_dispatch(s->b, pfd, n, &err) < 0)
            break;
    }
    return NULL;
}

int kb_vsock_service_start(struct kb_vsock_service *s, const char *vhost_path,
                           const char *uds_path, uint64_t guest_cid, kb_err *err)
{
    sigset_t all, old;
    int r;

    memset(s, 0, sizeof *s);
    s->stop_fd = -1;
    s->b = malloc(sizeof *s->b);
    if (!s->b)
        return kb_error(err, ENOMEM, "vsock back-end");
    if (kb_vsock_backend_init(s->b, vhost_path, uds_path, guest_cid, err) < 0) {
        free(s->b);
        s->b = NULL;
        return -1;
    }
    s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (s->stop_fd < 0) {
        kb_error_errno(err, "eventfd");
        goto fail;
    }
    /* every signal stays with the owner's signalfd: the thread starts with
     * all of them blocked (writes to a closed peer give EPIPE, not SIGPIPE) */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    r = pthread_create(&s->thread, NULL, serve, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r != 0) {
        kb_error(err, r, "start the vsock back-end thread");
        goto fail;
    }
    s->running = true;
    return 0;
fail:
    kb_closep(&s->stop_fd);
    kb_vsock_backend_fini(s->b);
    free(s->b);
    s->b = NULL;
    return -1;
}

void kb_vsock_service_stop(struct kb_vsock_service *s)
{
    if (s->running) {
        uint64_t one = 1;
        (void)!write(s->stop_fd, &one, sizeof one);
        pthread_join(s->thread, NULL);
        s->running = false;
    }
    kb_closep(&s->stop_fd);
    if (s->b) {
        kb_vsock_backend_fini(s->b);
        free(s->b);
        s->b = NULL;
    }
}
