/* hooks of config.json: parsed with the spec; run with the container's
 * state JSON on their stdin, as the runtime spec says. */
#ifndef KB_OCI_HOOKS_H
#define KB_OCI_HOOKS_H

#include <stddef.h>

#include <yajl/yajl_tree.h>

#include "../err.h"

enum kb_hook_kind { KB_HOOK_PRESTART, KB_HOOK_CREATE_RUNTIME, KB_HOOK_CREATE_CONTAINER,
                    KB_HOOK_START_CONTAINER, KB_HOOK_POSTSTART, KB_HOOK_POSTSTOP, KB_HOOK_KINDS };

struct kb_hook {
    char *path;         /* absolute */
    char **args;        /* NULL-terminated; NULL: just the path */
    char **env;         /* NULL-terminated; NULL: empty */
    unsigned timeout;   /* seconds; 0: none */
};

struct kb_hooks {
    struct kb_hook *list[KB_HOOK_KINDS];
    size_t n[KB_HOOK_KINDS];
};

/* Parse hooks (v: NULL or JSON null: none, *out stays NULL). */
int kb_hooks_parse(yajl_val v, struct kb_hooks **out, kb_err *err);
void kb_hooks_free(struct kb_hooks *h);
/* The key of a kind in config.json ("createRuntime"). */
const char *kb_hook_kind_name(enum kb_hook_kind kind);
/* Run one hook with state_json on its stdin; an error names it (exit status, timeout). */
int kb_hook_run(const struct kb_hook *h, const char *state_json, size_t len, kb_err *err);
/* Run every hook of kind in order (h NULL: none), stopping at the first failure. */
int kb_hooks_run(const struct kb_hooks *h, enum kb_hook_kind kind, const char *state_json, size_t len,
                 kb_err *err);
/* The OCI state JSON (pid left out when <= 0, annotations key, value, ..., NULL). */
int kb_oci_state_json(const char *oci_version, const char *id, const char *status, int pid, const char *bundle,
                      char *const *annotations, char **out, size_t *len, kb_err *err);

#endif
