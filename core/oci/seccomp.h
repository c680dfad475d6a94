/* linux.seccomp of config.json: parsed and checked on its own (a profile is
 * large and has rules of its own), compiled to a BPF filter with libseccomp
 * the way runc does, and loaded into the container's processes. */
#ifndef KB_OCI_SECCOMP_H
#define KB_OCI_SECCOMP_H

#include <yajl/yajl_tree.h>

#include "../err.h"

struct kb_seccomp;

/* Parse linux.seccomp (v: NULL or JSON null: none, *out stays NULL). */
int kb_seccomp_parse(yajl_val v, struct kb_seccomp **out, kb_err *err);
void kb_seccomp_free(struct kb_seccomp *s);

#endif
