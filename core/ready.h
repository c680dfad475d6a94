/* The guest agent's status lines on the console, until the agent protocol
 * exists: "katabox-agent: ready boottime_ns=N version=V" once it is up and
 * "katabox-agent: power-off" just before it resets the VM. The host parses
 * them from an untrusted guest: strict, bounded, no allocation. */
#ifndef KB_READY_H
#define KB_READY_H

#include <stddef.h>
#include <stdint.h>

#define KB_READY_PREFIX "katabox-agent: "

enum kb_status_kind { KB_STATUS_NONE, KB_STATUS_READY, KB_STATUS_POWEROFF };

struct kb_status {
    enum kb_status_kind kind;
    uint64_t boottime_ns;   /* READY: guest CLOCK_BOOTTIME when ready */
    char version[64];       /* READY: the agent's katabox version */
};

/* Format the ready line (with trailing newline) into buf; <0 if it does not fit. */
int kb_ready_format(char *buf, size_t len, uint64_t boottime_ns, const char *version);
/* Classify one console line: 1 and *st filled for a status line, 0 for any
 * other line, -1 for a line that claims to be a status line but is malformed. */
int kb_status_parse(const char *line, size_t len, struct kb_status *st);

#endif
