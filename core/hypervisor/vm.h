/* A running VM: one QEMU child, its serial console, its lifetime. The
 * kb_vm owns the process and every fd; kb_vm_destroy releases them all. */
#ifndef KB_VM_H
#define KB_VM_H

#include <poll.h>
#include <stdint.h>
#include <sys/types.h>

#include "../err.h"
#include "../linebuf.h"
#include "../ready.h"
#include "qemu.h"

#define KB_VM_TAIL_LINES 8

struct kb_vm {
    pid_t pid;              /* QEMU; 0 once reaped */
    int console;            /* our end of the guest's serial console */
    int qemu_err;           /* QEMU's stderr */
    int has_agent_port;     /* the agent speaks the protocol there, not lines on the console */
    int log_fd;             /* copy of the console, -1 for none */
    int exited, status;     /* QEMU's wait status once exited */
    struct kb_linebuf lines;
    char tail[KB_VM_TAIL_LINES][128]; /* last console lines, for errors */
    unsigned tail_next;
    char qemu_msg[2048];    /* what QEMU printed on stderr */
    size_t qemu_msg_len;
    struct kb_status ready; /* the agent's ready line */
    int saw_ready, saw_poweroff, saw_panic, bad_status_lines;
    uint64_t t_spawn, t_ready, t_exit; /* kb_now_ns() */
};

/* Spawn QEMU for cfg; console_log (may be NULL) receives the console. */
int kb_vm_start(struct kb_vm *vm, const struct kb_vm_config *cfg, const char *console_log, kb_err *err);
/* Console mode: wait for the agent's ready line; fails if QEMU exits or time runs out. */
int kb_vm_wait_ready(struct kb_vm *vm, unsigned timeout_ms, kb_err *err);
/* Console mode: ask the agent to power off and wait for QEMU to exit cleanly. */
int kb_vm_poweroff(struct kb_vm *vm, unsigned timeout_ms, kb_err *err);
/* Wait for QEMU to exit (after the agent was told to stop); <0 unless it exits 0. */
int kb_vm_wait_exit(struct kb_vm *vm, unsigned timeout_ms, kb_err *err);
/* Fill 2 pollfds for QEMU's console and stderr (closed ones have fd -1). */
int kb_vm_pollfds(const struct kb_vm *vm, struct pollfd *p);
/* Drain the console and stderr after poll; reaps QEMU once it closed both. */
void kb_vm_service(struct kb_vm *vm, const struct pollfd *p, int n);
/* Is QEMU still running (reaps it if not)? */
int kb_vm_running(struct kb_vm *vm);
/* Give an exiting QEMU up to timeout_ms to finish talking and exit. */
void kb_vm_settle(struct kb_vm *vm, unsigned timeout_ms);
/* Kill QEMU if still running, reap it, close everything. */
void kb_vm_destroy(struct kb_vm *vm);
/* Append the last console lines and QEMU's stderr to err's message. */
void kb_vm_explain(const struct kb_vm *vm, kb_err *err);

#endif
