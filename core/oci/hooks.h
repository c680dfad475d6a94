/* hooks of config.json: parsed with the spec; run with the container's
 * state JSON on their stdin, as the runtime spec says. */
#ifndef KB_OCI_HOOKS_H
#define KB_OCI_HOOKS_H

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

#endif
