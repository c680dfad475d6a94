/* kata-runtime's verbs, one file each; runtime.c holds the table and the
 * global options that come before the verb, as runc's. */
#ifndef KB_RUNTIME_H
#define KB_RUNTIME_H

#include "../../core/err.h"
#include "../../core/log.h"
#include "../../core/oci/hooks.h"
#include "../../core/oci/spec.h"

#define RUNTIME_APPLET "kata-runtime"

struct rt_globals {
    const char *root;            /* --root: state directory */
    const char *log;             /* --log: file for errors, NULL: none */
    enum kb_log_format log_format;
    int debug;
};

struct rt_create_opts {
    const char *bundle, *pid_file, *console_socket, *id;
};

/* Check id, resolve the bundle into bundle (PATH_MAX), read and parse its
 * config.json: *config keeps the text (free it), spec is kb_spec_free'd on error. */
int rt_load_bundle(const char *id, const char *bundle_arg, char *bundle, char **config, size_t *len,
                   struct kb_spec *spec, kb_err *err);
struct kb_state;
/* Check id, find its state dir (into dir) and read its state; errors like
 * runc's. Commands on one container are serialised by an exclusive flock
 * on its state dir, held in *lock until closed (a delete that won the race
 * leaves an unlinked dir: the loser then finds no state and says so). */
int rt_load_state(const struct rt_globals *g, const char *id, char *dir, size_t len,
                  struct kb_state *st, int *lock, kb_err *err);
/* create's work, shared with run --detach: fork the keeper, wait until created. */
int rt_create(const struct rt_globals *g, const struct rt_create_opts *co, kb_err *err);
/* Start the created container of state dir dir, then its poststart hooks; when
 * one fails, the container is killed (it is then stopped) and start fails. */
int rt_start(const char *dir, const struct kb_state *st, kb_err *err);
/* hooks.c: the hooks run on the host */
/* Keep config.json in the state dir, for the hooks of later commands. */
int rt_hooks_save(const char *dir, const char *config, size_t len, kb_err *err);
/* The config.json kept by rt_hooks_save (kb_spec_free it, on error too). */
int rt_hooks_load(const char *dir, struct kb_spec *spec, kb_err *err);
/* The hooks of creation, in runc's order: prestart, createRuntime, createContainer
 * (pid: the container's, as `state` reports it). */
int rt_hooks_create(const struct kb_spec *spec, const char *id, int pid, const char *bundle, kb_err *err);
/* The poststart hooks, once the container's program started. */
int rt_hooks_poststart(const struct kb_spec *spec, const char *id, int pid, const char *bundle, kb_err *err);
/* The poststop hooks, once the container is gone; a failure is a warning
 * ("VERB: warning: ..."), as runc logs it and goes on. */
void rt_hooks_poststop(const struct rt_globals *g, const char *verb, const struct kb_spec *spec, const char *id,
                       const char *bundle);
/* lifecycle.c: what delete --force does to a container: its keeper (and QEMU
 * with it) killed if it lives, the state dir removed, then the poststop hooks. */
void rt_destroy(const struct rt_globals *g, const char *verb, const char *dir, const struct kb_state *st);
/* Print err as "katabox: kata-runtime: VERB: ..." and log it to --log; returns 1. */
int rt_fail(const struct rt_globals *g, const char *verb, const kb_err *err);

int runtime_check(const struct rt_globals *g, int argc, char **argv);
int runtime_create(const struct rt_globals *g, int argc, char **argv);
int runtime_delete(const struct rt_globals *g, int argc, char **argv);
int runtime_exec(const struct rt_globals *g, int argc, char **argv);
int runtime_pause(const struct rt_globals *g, int argc, char **argv);
int runtime_resume(const struct rt_globals *g, int argc, char **argv);
int runtime_ps(const struct rt_globals *g, int argc, char **argv);
int runtime_update(const struct rt_globals *g, int argc, char **argv);
int runtime_events(const struct rt_globals *g, int argc, char **argv);
int runtime_list(const struct rt_globals *g, int argc, char **argv);
int runtime_features(const struct rt_globals *g, int argc, char **argv);
int runtime_kill(const struct rt_globals *g, int argc, char **argv);
int runtime_start(const struct rt_globals *g, int argc, char **argv);
int runtime_state(const struct rt_globals *g, int argc, char **argv);
int runtime_run(const struct rt_globals *g, int argc, char **argv);
int runtime_spec(const struct rt_globals *g, int argc, char **argv);

#endif
