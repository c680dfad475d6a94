/* The agent transports against stand-in "QEMU" scripts: how each fails
 * when QEMU dies, when the agent never answers, when paths do not fit;
 * transport choice; vhost-vsock's CID choice with a fake kernel. The real
 * data paths run in tests/integration (hybrid vsock and virtio-serial). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../core/agent/client.h"
#include "../../core/transport/transport.h"
#include "../../core/util.h"
#include "tap.h"

static char script[64];

static struct kb_vm_config fake(const char *body)
{
    struct kb_vm_config cfg;
    FILE *f;

    snprintf(script, sizeof script, "/tmp/kb-test-qemu-%d", (int)getpid());
    f = fopen(script, "w");
    fprintf(f, "#!/bin/sh\n%s\n", body);
    fclose(f);
    chmod(script, 0755);
    kb_vm_config_defaults(&cfg);
    cfg.qemu = script;
    cfg.kernel = "k";
    cfg.initrd = "i";
    return cfg;
}

/* the fake kernel: CIDs in `busy` are taken; `fail` answers EPERM */
struct fake_kernel { uint32_t busy[8]; unsigned nbusy; uint32_t fail; unsigned calls; };

static int fake_set_cid(void *ctx, uint32_t cid)
{
    struct fake_kernel *k = ctx;

    k->calls++;
    if (cid == k->fail)
        return EPERM;
    if (cid < 3 || cid == UINT32_MAX)
        return EINVAL;
    for (unsigned i = 0; i < k->nbusy; i++)
        if (k->busy[i] == cid)
            return EADDRINUSE;
    return 0;
}

static void test_pick_cid(void)
{
    struct fake_kernel k = { .busy = { 100, 101, 102 }, .nbusy = 3 };
    kb_err err;

    ok(kb_vhost_vsock_pick_cid(fake_set_cid, &k, 50, 8, &err) == 50, "a free CID is taken as is");
    ok(kb_vhost_vsock_pick_cid(fake_set_cid, &k, 100, 8, &err) == 103, "CIDs in use are skipped");
    ok(kb_vhost_vsock_pick_cid(fake_set_cid, &k, 0, 8, &err) == 3 &&
           kb_vhost_vsock_pick_cid(fake_set_cid, &k, 2, 8, &err) == 3,
       "the reserved CIDs 0-2 are never tried");
    k = (struct fake_kernel){ .busy = { UINT32_MAX - 1 }, .nbusy = 1 };
    ok(kb_vhost_vsock_pick_cid(fake_set_cid, &k, UINT32_MAX - 1, 8, &err) == 3,
       "the search wraps past VMADDR_CID_ANY back to 3");
    k = (struct fake_kernel){ .busy = { 7, 8, 9, 10 }, .nbusy = 4 };
    ok(kb_vhost_vsock_pick_cid(fake_set_cid, &k, 7, 4, &err) == 0 && err.errnum == EADDRINUSE &&
           k.calls == 4 && strstr(err.msg, "no free guest CID"),
       "a bounded search: %s", err.msg);
    k = (struct fake_kernel){ .fail = 20 };
    ok(kb_vhost_vsock_pick_cid(fake_set_cid, &k, 20, 8, &err) == 0 && err.errnum == EPERM &&
           k.calls == 1, "another error ends the search: %s", err.msg);
}

static void test_choose(void)
{
    char why[160];
    kb_err err;
    const struct kb_transport *t;

    t = kb_transport_choose("virtio-serial", why, sizeof why, &err);
    ok(t == &kb_transport_virtio_serial && strstr(why, "configuration"), "a transport by name");
    ok(kb_transport_choose("carrier-pigeon", why, sizeof why, &err) == NULL &&
           err.errnum == EINVAL && strstr(err.msg, "carrier-pigeon") && strstr(err.msg, "hybrid-vsock"),
       "an unknown name is refused with the choices: %s", err.msg);
    t = kb_transport_choose("auto", why, sizeof why, &err);
    if (access("/dev/vhost-vsock", R_OK | W_OK) == 0)
        ok(t == &kb_transport_vhost_vsock, "auto with /dev/vhost-vsock: vhost-vsock");
    else
        ok(t == &kb_transport_hybrid_vsock && strstr(why, "/dev/vhost-vsock"),
           "auto without /dev/vhost-vsock: hybrid-vsock (%s)", why);
    ok(kb_transport_choose(NULL, NULL, 0, &err) == t, "no name is auto");
}

static void test_paths(void)
{
    char longpath[200];
    struct kb_vm_config cfg;
    struct kb_channel ch;
    kb_err err;

    memset(longpath, 'a', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = '\0';
    kb_vm_config_defaults(&cfg);
    kb_channel_init(&ch, &kb_transport_virtio_serial);
    ok(ch.t->configure(&ch, &cfg, longpath, &err) < 0 && err.errnum == ENAMETOOLONG &&
           strstr(err.msg, "--root"),
       "virtio-serial: a socket path too long for sun_path is refused: %s", err.msg);
    kb_channel_release(&ch);
    kb_channel_init(&ch, &kb_transport_hybrid_vsock);
    ok(ch.t->configure(&ch, &cfg, longpath, &err) < 0 && err.errnum == ENAMETOOLONG &&
           strstr(err.msg, "--root") && cfg.vsock_user_socket == NULL,
       "hybrid-vsock: the same: %s", err.msg);
    kb_channel_release(&ch);
}

/* A hybrid channel in a fresh directory, against a stand-in QEMU. */
static int hybrid_start(struct kb_channel *ch, char *dir, struct kb_vm *vm, const char *body,
                        kb_err *err)
{
    struct kb_vm_config cfg = fake(body);

    strcpy(dir, "/tmp/kb-test-transport.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    kb_channel_init(ch, &kb_transport_hybrid_vsock);
    if (ch->t->configure(ch, &cfg, dir, err) < 0)
        return -1;
    return kb_vm_start(vm, &cfg, NULL, err);
}

static void hybrid_stop(struct kb_channel *ch, char *dir, struct kb_vm *vm)
{
    char path[PATH_MAX];
    struct stat st;

    kb_vm_destroy(vm);
    kb_channel_release(ch);
    snprintf(path, sizeof path, "%s/vsock.sock", dir);
    ok(stat(path, &st) < 0 && errno == ENOENT, "the back-end's sockets are gone after release");
    rmdir(dir);
}

static void test_hybrid(void)
{
    struct kb_connect_opts co = { .timeout_ms = 5000, .abort_fd = -1 };
    char dir[64];
    struct kb_channel ch;
    struct kb_vm vm;
    kb_err err;
    uint64_t t0;
    sigset_t term;
    int sfd;

    ok(hybrid_start(&ch, dir, &vm, "echo 'qemu: vhost-user: bad option' >&2; exit 1", &err) == 0,
       "hybrid back-end started, stand-in QEMU spawned");
    ok(ch.t->connect(&ch, &vm, &co, &err) < 0 && strstr(err.msg, "QEMU exited with status 1") &&
           strstr(err.msg, "never got ready") &&
           strstr(err.msg, "bad option"),
       "QEMU gone while we wait for the agent: QEMU's words (%s)", err.msg);
    hybrid_stop(&ch, dir, &vm);

    /* QEMU runs but no guest ever takes the CONNECT: the boot time-out */
    co.timeout_ms = 300;
    hybrid_start(&ch, dir, &vm, "exec sleep 30", &err);
    t0 = kb_now_ns();
    ok(ch.t->connect(&ch, &vm, &co, &err) < 0 && err.errnum == ETIMEDOUT &&
           strstr(err.msg, "not ready within 300 ms") && strstr(err.msg, "vsock port 1024"),
       "no agent: a time-out naming the port (%s)", err.msg);
    ok(kb_now_ns() - t0 < 3000000000ull, "and it came in time");
    hybrid_stop(&ch, dir, &vm);

    /* Ctrl-C while the guest boots */
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, NULL);
    sfd = signalfd(-1, &term, SFD_CLOEXEC | SFD_NONBLOCK);
    co = (struct kb_connect_opts){ .timeout_ms = 10000, .abort_fd = sfd };
    hybrid_start(&ch, dir, &vm, "exec sleep 30", &err);
    kill(getpid(), SIGTERM);
    ok(ch.t->connect(&ch, &vm, &co, &err) < 0 && err.errnum == EINTR,
       "SIGTERM on the abort fd ends the wait: %s", err.msg);
    hybrid_stop(&ch, dir, &vm);
    close(sfd);
}

static void test_virtio_serial(void)
{
    struct kb_connect_opts co = { .timeout_ms = 5000, .abort_fd = -1 };
    struct kb_vm_config cfg = fake("echo 'qemu: -chardev socket: bad option' >&2; exit 1");
    struct kb_channel ch;
    struct kb_vm vm;
    kb_err err;

    kb_channel_init(&ch, &kb_transport_virtio_serial);
    cfg.agent_socket = "/tmp/kb-test-no-such-dir/agent.sock";
    strcpy(ch.endpoint, cfg.agent_socket);
    ok(kb_vm_start(&vm, &cfg, NULL, &err) == 0, "start a stand-in that dies before its socket");
    ok(ch.t->connect(&ch, &vm, &co, &err) < 0 && strstr(err.msg, "before it opened the agent socket") &&
           strstr(err.msg, "bad option"),
       "virtio-serial: QEMU gone before the agent socket: QEMU's words (%s)", err.msg);
    ok(vm.pid == 0, "nothing left after it");
    kb_vm_destroy(&vm);
    kb_channel_release(&ch);
}

/* A real VM (the built kernel and initramfs under TCG) over hybrid vsock:
 * so the back-end's thread runs under the sanitizers with real traffic.
 * Then QEMU is killed under an open connection. */
static void test_real_vm(void)
{
    struct kb_connect_opts co = { .timeout_ms = 60000, .abort_fd = -1 };
    struct kb_msg req = { .kind = KB_KIND_HELLO }, resp;
    struct kb_vm_config cfg;
    struct kb_channel ch;
    struct kb_agent a;
    struct kb_vm vm;
    char dir[64] = "/tmp/kb-test-transport.XXXXXX";
    kb_err err;
    int fd, r = 0;

    if (access("build/bzImage", R_OK) || access("build/initramfs.cpio.gz", R_OK) ||
        access("/usr/bin/qemu-system-x86_64", X_OK)) {
        tap_skip("no built kernel and initramfs, or no QEMU");
        return;
    }
    for (int round = 0; round < 2; round++) {
        kb_vm_config_defaults(&cfg);
        cfg.kernel = "build/bzImage";
        cfg.initrd = "build/initramfs.cpio.gz";
        strcpy(dir, "/tmp/kb-test-transport.XXXXXX");
        mkdtemp(dir);
        kb_channel_init(&ch, &kb_transport_hybrid_vsock);
        ok(ch.t->configure(&ch, &cfg, dir, &err) == 0 && kb_vm_start(&vm, &cfg, NULL, &err) == 0,
           "a real VM with the hybrid back-end");
        fd = ch.t->connect(&ch, &vm, &co, &err);
        ok(fd >= 0 && kb_agent_open(&a, fd, &vm, &err) == 0, "connected to the agent: %s",
           fd < 0 ? err.msg : "ok");
        if (fd < 0) {
            kb_vm_destroy(&vm);
            kb_channel_release(&ch);
            rmdir(dir);
            return;
        }
        kb_msg_hello_self(&req.u.hello, "test");
        if (round == 0) {
            for (int i = 0; i < 50 && r == 0; i++) {
                r = kb_agent_call(&a, KB_MSG_HELLO, &req, &resp, 10000, &err);
                if (r == 0)
                    r = kb_proto_check_hello(&resp.u.hello, &err);
                kb_msg_free(&resp);
            }
            ok(r == 0, "50 HELLO round trips: %s", r ? err.msg : "ok");
            ok(kb_agent_shutdown(&a, 10000, &err) == 0, "SHUTDOWN: QEMU exits cleanly");
        } else {
            kill(vm.pid, SIGKILL);
            ok(kb_agent_call(&a, KB_MSG_HELLO, &req, &resp, 10000, &err) < 0 &&
                   strstr(err.msg, "QEMU was killed by signal 9"),
               "QEMU killed under the connection: the call ends saying so (%s)", err.msg);
        }
        kb_agent_close(&a);
        hybrid_stop(&ch, dir, &vm);
    }
}

int main(void)
{
    test_pick_cid();
    test_choose();
    test_paths();
    test_hybrid();
    test_virtio_serial();
    unlink(script);
    test_real_vm();
    return tap_done();
}
