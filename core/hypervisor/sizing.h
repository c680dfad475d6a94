/* The VM's size from the container's linux.resources, the way Kata sizes
 * a sandbox, so that a limit set for the container is what it can use:
 *
 * vCPUs: ceil(cpu.quota / cpu.period) when a quota is set (the period
 *   defaults to 100000 us, the kernel's); else the number of CPUs listed in
 *   cpu.cpus ("0-3,5" is 5); else the configured default (cfg->vcpus as
 *   kb_vm_config_defaults sets it). Never more than the host's CPUs
 *   (host_cpus, 0: unknown) or QEMU's 255, never less than 1.
 * Memory: the configured base (cfg->mem_mib) plus memory.limit rounded up
 *   to a MiB. The guest kernel, the agent and the page cache live in the
 *   base, so a container limited to 256 MiB gets 256 MiB of its own. A limit
 *   above the host's memory is an error; a tiny one is not (runc leaves that
 *   to the kernel too, which refuses a limit below what the cgroup already
 *   uses when the agent applies it).
 *
 * The values are checked as the kernel checks them when the agent writes
 * them into the guest's cgroups, so a bad spec fails here, naming the field,
 * before a VM is started for it. */
#ifndef KB_SIZING_H
#define KB_SIZING_H

#include <stdint.h>

#include "../err.h"
#include "../oci/spec.h"
#include "qemu.h"

/* The CFS period the kernel uses when none is given, in microseconds. */
#define KB_CPU_PERIOD_DEFAULT 100000
/* CPU numbers in a cpuset must be below this (the kernel's NR_CPUS limit). */
#define KB_CPUSET_MAX 8192

/* Set cfg->vcpus and cfg->mem_mib from linux.resources (defaults when absent), bounded by the host.
 * r may be NULL (no resources); cfg is unchanged on error. */
int kb_vm_size(const struct kb_resources *r, unsigned host_cpus, uint64_t host_mem_mib,
               struct kb_vm_config *cfg, kb_err *err);
/* Count the CPUs in a cpuset list ("0-3,5"): 1 or more, or <0 for bad syntax. */
int kb_cpuset_count(const char *list, unsigned *count, kb_err *err);

#endif
