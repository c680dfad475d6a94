/* kb_vm against stand-in "QEMU" scripts: the misbehaviours a real QEMU and
 * guest rarely show on demand (early exit, silence, floods, lies). The real
 * QEMU is driven by tests/integration/boot.sh. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../core/hypervisor/vm.h"
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

static const char good[] =
    "echo 'Linux version 6.1 junk'\n"
    "printf 'katabox-agent: ready boottime_ns=250000000 version=9.9\\r\\n'\n"
    "read cmd\n"
    "[ \"$cmd\" = poweroff ] && echo 'katabox-agent: power-off' && exit 0\n"
    "exit 5";

int main(void)
{
    struct kb_vm_config cfg;
    struct kb_vm vm;
    kb_err err;
    pid_t pid;

    cfg = fake(good);
    ok(kb_vm_start(&vm, &cfg, NULL, &err) == 0, "start a well-behaved stand-in");
    ok(kb_vm_wait_ready(&vm, 5000, &err) == 0 && vm.ready.boottime_ns == 250000000 &&
           strcmp(vm.ready.version, "9.9") == 0, "ready line seen with its boot time and version");
    ok(vm.t_ready >= vm.t_spawn, "ready time recorded");
    ok(kb_vm_poweroff(&vm, 5000, &err) == 0 && vm.exited && vm.pid == 0, "power-off ends it cleanly");
    kb_vm_destroy(&vm);

    cfg = fake("echo 'qemu: cannot open kernel' >&2; exit 1");
    kb_vm_start(&vm, &cfg, NULL, &err);
    ok(kb_vm_wait_ready(&vm, 5000, &err) < 0 && strstr(err.msg, "status 1") &&
           strstr(err.msg, "cannot open kernel"), "early exit: status and QEMU's words (%s)", err.msg);
    kb_vm_destroy(&vm);

    cfg = fake("echo 'Kernel panic - not syncing: No working init found'; exit 0");
    kb_vm_start(&vm, &cfg, NULL, &err);
    ok(kb_vm_wait_ready(&vm, 5000, &err) < 0 && strstr(err.msg, "Kernel panic"),
       "guest death before ready quotes the console (%s)", err.msg);
    kb_vm_destroy(&vm);

    cfg = fake("echo 'init: giving up'; echo 'Kernel panic - not syncing: Attempted to kill init!';"
               "for i in 1 2 3 4 5 6 7 8 9 10; do echo ' ? 0xffffffff813c9d48'; done; exit 0");
    kb_vm_start(&vm, &cfg, NULL, &err);
    ok(kb_vm_wait_ready(&vm, 5000, &err) < 0 && strstr(err.msg, "init: giving up") &&
           strstr(err.msg, "Attempted to kill init") && !strstr(err.msg, "0xffff"),
       "after a panic the stack dump does not push the cause out (%s)", err.msg);
    kb_vm_destroy(&vm);

    cfg = fake("exec sleep 100");
    kb_vm_start(&vm, &cfg, NULL, &err);
    pid = vm.pid;
    ok(kb_vm_wait_ready(&vm, 300, &err) < 0 && err.errnum == ETIMEDOUT, "silence times out");
    kb_vm_destroy(&vm);
    ok(kill(pid, 0) < 0 && errno == ESRCH, "destroy killed and reaped the stand-in");

    cfg = fake("head -c 1000000 /dev/zero | tr '\\0' x; echo;"
               "echo 'katabox-agent: ready boottime_ns=x version=1';"
               "echo 'katabox-agent: ready boottime_ns=7 version=1'; exec sleep 100");
    kb_vm_start(&vm, &cfg, "/dev/null", &err);
    ok(kb_vm_wait_ready(&vm, 10000, &err) == 0 && vm.ready.boottime_ns == 7,
       "a 1 MB line and a malformed status line do not stop the real one");
    ok(vm.bad_status_lines == 1, "the malformed status line is counted");
    kb_vm_destroy(&vm);

    cfg = fake("printf 'katabox-agent: ready boottime_ns=7 version=1\\nkatabox-agent: power-off\\n';"
               "exec 0<&- 1>&-; exit 0");
    kb_vm_start(&vm, &cfg, NULL, &err);
    ok(kb_vm_wait_ready(&vm, 5000, &err) == 0 && vm.saw_poweroff,
       "a line in the same read as the ready line is not lost");
    kb_vm_destroy(&vm);

    cfg = fake("echo 'katabox-agent: ready boottime_ns=7 version=1'; read x; exit 0");
    kb_vm_start(&vm, &cfg, NULL, &err);
    kb_vm_wait_ready(&vm, 5000, &err);
    ok(kb_vm_poweroff(&vm, 5000, &err) < 0 && strstr(err.msg, "without powering off"),
       "a guest that stops without its power-off line is an error");
    kb_vm_destroy(&vm);

    cfg = fake("echo 'katabox-agent: ready boottime_ns=7 version=1'; exec 0<&- 1>&-; exit 0");
    kb_vm_start(&vm, &cfg, NULL, &err);
    kb_vm_wait_ready(&vm, 5000, &err);
    usleep(200000);
    ok(kb_vm_poweroff(&vm, 5000, &err) < 0, "power-off to a QEMU that already left is an error, not a SIGPIPE");
    kb_vm_destroy(&vm);

    cfg = fake("echo 'katabox-agent: ready boottime_ns=7 version=1'; exec sleep 100");
    kb_vm_start(&vm, &cfg, NULL, &err);
    kb_vm_wait_ready(&vm, 5000, &err);
    ok(kb_vm_poweroff(&vm, 300, &err) < 0 && err.errnum == ETIMEDOUT, "a guest that ignores power-off times out");
    kb_vm_destroy(&vm);

    cfg = fake("");
    cfg.qemu = "/nonexistent/qemu-system-x86_64";
    ok(kb_vm_start(&vm, &cfg, NULL, &err) < 0 && err.errnum == ENOENT &&
           strstr(err.msg, "/nonexistent/qemu-system-x86_64"), "missing QEMU: ENOENT naming it");
    ok(vm.pid == 0 && vm.console < 0, "nothing left after a failed start");

    cfg = fake("");
    ok(kb_vm_start(&vm, &cfg, "/nonexistent/dir/log", &err) < 0 && strstr(err.msg, "console log"),
       "unwritable console log is refused before QEMU starts");
    unlink(script);
    return tap_done();
}
