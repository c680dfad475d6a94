/* The OCI runtime spec (config.json) as katabox uses it: parsed once into
 * plain C, validated with errors that name the field. Unknown fields are
 * ignored, as runc does; a known field with a bad value is an error. */
#ifndef KB_OCI_SPEC_H
#define KB_OCI_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../err.h"

#define KB_SPEC_MAX_BYTES (4u << 20)   /* a config.json larger than this is refused */
#define KB_SPEC_MAX_LIST 4096          /* args, env, mounts, options... each */

enum kb_ns_type { KB_NS_PID, KB_NS_NETWORK, KB_NS_MOUNT, KB_NS_IPC, KB_NS_UTS, KB_NS_USER, KB_NS_CGROUP };

struct kb_namespace {
    enum kb_ns_type type;
    char *path;        /* join this one instead of creating; may be NULL */
};

struct kb_mount {
    char *destination; /* absolute, in the container */
    char *type, *source; /* may be NULL */
    char **options;    /* NULL-terminated */
};

struct kb_rlimit {
    int resource;      /* RLIMIT_* */
    uint64_t soft, hard;
};

enum kb_cap_set { KB_CAP_BOUNDING, KB_CAP_EFFECTIVE, KB_CAP_INHERITABLE, KB_CAP_PERMITTED,
                  KB_CAP_AMBIENT, KB_CAP_SETS };

struct kb_process {
    int terminal;
    unsigned console_rows, console_cols; /* 0: not given */
    uint32_t uid, gid;
    int has_umask;
    uint32_t umask;
    uint32_t *additional_gids;
    size_t n_additional_gids;
    char **args;       /* NULL-terminated, at least one */
    char **env;        /* NULL-terminated, may be empty */
    char *cwd;         /* absolute */
    int no_new_privileges;
    char **caps[KB_CAP_SETS]; /* names as given ("CAP_KILL"); NULL when absent */
    struct kb_rlimit *rlimits;
    size_t n_rlimits;
    int has_oom_score_adj;
    int oom_score_adj;
    char *apparmor_profile, *selinux_label; /* NULL: not given; no LSM in the guest */
};

/* linux.uidMappings / gidMappings entries */
struct kb_id_map {
    uint32_t container_id, host_id, size;
};

/* linux.devices entries: nodes created in the container's /dev */
struct kb_device {
    char *path;             /* absolute, in the container */
    char type;              /* 'c', 'b', 'u' (unbuffered char) or 'p' (fifo) */
    int64_t major, minor;   /* unused for 'p' */
    int has_mode, has_uid, has_gid;
    uint32_t mode, uid, gid;
};

struct kb_seccomp;  /* linux.seccomp: core/oci/seccomp.h */
struct kb_hooks;    /* hooks: core/oci/hooks.h */

/* linux.resources.devices entries: the device cgroup's rules, in order */
struct kb_dev_rule {
    int allow;
    char type;              /* 'a' (all), 'b' or 'c' */
    int64_t major, minor;   /* -1: any */
    unsigned access;        /* KB_DEV_READ | KB_DEV_WRITE | KB_DEV_MKNOD */
};
enum { KB_DEV_MKNOD = 1, KB_DEV_READ = 2, KB_DEV_WRITE = 4 }; /* the kernel's BPF_DEVCG_ACC_* */

struct kb_resources {
    int64_t memory_limit;   /* bytes; 0: none */
    int64_t cpu_quota;      /* us per period; 0: none */
    uint64_t cpu_period;    /* us; 0: default */
    char *cpus;             /* cpuset, may be NULL */
    int64_t pids_limit;     /* 0: none */
    int64_t memory_reservation; /* bytes (memory.low); 0: none */
    int64_t memory_swap;    /* memory + swap, bytes, -1: unlimited, 0: none (cgroup v1's meaning) */
    uint64_t cpu_shares;    /* cgroup v1's shares, converted to cpu.weight; 0: none */
    char *mems;             /* cpuset.mems, may be NULL */
    /* which of them the document set (for update: the others stay as they are) */
    int has_memory_limit, has_cpu_quota, has_cpu_period, has_pids_limit;
    int has_memory_reservation, has_memory_swap, has_cpu_shares;
    struct kb_dev_rule *devices;
    size_t n_devices;       /* 0: no rule, no filter */
};

struct kb_spec {
    char *oci_version;
    struct kb_process process;
    char *root_path;
    int root_readonly;
    char *hostname;
    struct kb_mount *mounts;
    size_t n_mounts;
    struct kb_namespace *namespaces;
    size_t n_namespaces;
    struct kb_resources resources;
    char **masked_paths, **readonly_paths;
    char **annotations; /* key, value, key, value, ..., NULL */
    struct kb_id_map *uid_mappings, *gid_mappings;
    size_t n_uid_mappings, n_gid_mappings;
    struct kb_device *devices;
    size_t n_devices;
    char **sysctl;      /* key, value, key, value, ..., NULL */
    char *rootfs_propagation;   /* NULL: not given */
    char *mount_label;          /* NULL: not given */
    struct kb_seccomp *seccomp; /* NULL: no filter */
    struct kb_hooks *hooks;     /* NULL: none */
};

/* Parse config.json text into spec (zeroed first; kb_spec_free it after, on error too). */
int kb_spec_parse(const char *json, size_t len, struct kb_spec *spec, kb_err *err);
/* The value of annotation key, or NULL. */
const char *kb_spec_annotation(const struct kb_spec *spec, const char *key);
/* Read and parse a config.json file. */
int kb_spec_load(const char *path, struct kb_spec *spec, kb_err *err);
void kb_spec_free(struct kb_spec *spec);
/* Parse one OCI process object (runc exec --process) with config.json's
 * rules; kb_process_free it after, on error too. */
int kb_process_parse(const char *json, size_t len, struct kb_process *p, kb_err *err);
void kb_process_free(struct kb_process *p);
/* Parse one OCI linux.resources object (runc update -r); kb_resources_free it after. */
int kb_resources_parse(const char *json, size_t len, struct kb_resources *r, kb_err *err);
void kb_resources_free(struct kb_resources *r);
/* Is m a bind mount (type "bind", or option "bind" or "rbind", as runc reads it)? */
bool kb_mount_is_bind(const struct kb_mount *m);
/* The spec's namespace entry of `type`, or NULL. */
const struct kb_namespace *kb_spec_namespace(const struct kb_spec *spec, enum kb_ns_type type);
/* Name <-> value of an RLIMIT_* ("RLIMIT_NOFILE"); -1 if unknown. */
int kb_rlimit_from_name(const char *name);

#endif
