/* A pod: one sandbox VM running several containers, as Kata runs a
 * Kubernetes pod. The first container (the sandbox's own, e.g. CRI's pause
 * container) boots the VM with the pod share: <state dir>/pod on the host,
 * tag KB_POD_TAG, mounted once in the guest at KB_GUEST_POD (a virtio-9p
 * device cannot be mounted twice). Every further container gets
 * pod/<id>/rootfs (its rootfs layers, mounted by the keeper in its own mount
 * namespace, which QEMU shares) and pod/<id>/binds/<i> (its bind sources)
 * there; the keeper adds it to the running VM (keeper.c, "container LEN"). */
#ifndef KB_SANDBOX_POD_H
#define KB_SANDBOX_POD_H

#include <stddef.h>
#include <stdint.h>

#include "../err.h"
#include "../shim/task_pb.h"

#define KB_POD_TAG "kbpod"
#define KB_GUEST_POD "/run/katabox/pod"
/* the share's directory in the state dir */
#define KB_POD_DIR "pod"

struct kb_relay;

/* Add a container to the running pod: req is containerd's CreateTaskRequest
 * (id, bundle, rootfs mounts, terminal), fds its stdio (taken, on failure
 * too); the client gets "ok" now and "exit N" when it ends (run.h). */
int kb_pod_add(struct kb_relay *r, const uint8_t *req, size_t len, int fds[3], int client, kb_err *err);
/* Remove member cid: from the guest (killed if it runs), then its mounts and dir. */
int kb_pod_delete(struct kb_relay *r, const char *cid, kb_err *err);
/* Remove state_dir's pod share and what is left in it. */
void kb_pod_remove_dir(const char *state_dir);
/* Mount containerd's rootfs mounts (an overlay from the snapshotter, or
 * binds), one over the other, at target. */
int kb_mount_layers(const struct kb_pb_mount *m, size_t n, const char *target, kb_err *err);

#endif
