/* The keeper's side of a pod (pod.h): a container joining the running
 * sandbox gets its rootfs and bind sources mounted under pod/<id> in the
 * keeper's mount namespace (QEMU's too), and is created in the guest in
 * the sandbox's namespaces. pod/<id> existing is the record that it joined. */
#include "pod.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../oci/guest_spec.h"
#include "../oci/spec.h"
#include "../util.h"
#include "binds.h"
#include "exec.h"

int kb_mount_layers(const struct kb_pb_mount *m, size_t n, const char *target, kb_err *err)
{
    for (size_t i = 0; i < n; i++) {
        char data[8192] = "";
        unsigned long flags = 0;
        size_t used = 0;

        for (size_t j = 0; j < m[i].n_options; j++) {
            const char *o = m[i].options[j];
            if (!strcmp(o, "bind") || !strcmp(o, "rbind"))
                flags |= MS_BIND | (o[0] == 'r' ? MS_REC : 0);
            else if (!strcmp(o, "ro"))
                flags |= MS_RDONLY;
            else if (strcmp(o, "rw") != 0)
                used += (size_t)snprintf(data + used, sizeof data - used, "%s%s", used ? "," : "", o);
            if (used >= sizeof data)
                return kb_error(err, E2BIG, "rootfs mount options");
        }
        if (mount(m[i].source, target, m[i].type, flags, data[0] ? data : NULL) < 0) {
            kb_error_errno(err, "mount the rootfs (%s %s)", m[i].type ? m[i].type : "",
                           m[i].source ? m[i].source : "");
            /* each layer is one mount on target: take back the ones made */
            while (i--)
                umount2(target, MNT_DETACH);
            return -1;
        }
    }
    return 0;
}

/* Unmount and remove what a member has under pod/<id> (from any process: mounts not seen are not there). */
static void member_release(const char *dir)
{
    char path[PATH_MAX + 16];

    snprintf(path, sizeof path, "%s/rootfs", dir);
    while (umount2(path, MNT_DETACH) == 0)
        ;
    rmdir(path);
    kb_binds_remove(dir);
    rmdir(dir);
}

void kb_pod_remove_dir(const char *state_dir)
{
    char dir[PATH_MAX];

    snprintf(dir, sizeof dir, "%s/" KB_POD_DIR, state_dir);
    kb_clear_dir(dir, member_release);
}

/* Without rootfs mounts (ctr --rootfs), the bundle's root.path, bound. */
static int mount_rootfs(const struct kb_pb_create_req *c, const struct kb_spec *spec, const char *at, kb_err *err)
{
    char src[PATH_MAX * 2];
    struct kb_pb_mount bind = { .type = "bind", .source = src, .options = (char *[]){ "rbind" }, .n_options = 1 };

    if (mkdir(at, 0755) < 0)
        return kb_error_errno(err, "mkdir %s", at);
    if (c->n_rootfs)
        return kb_mount_layers(c->rootfs, c->n_rootfs, at, err);
    if (!spec->root_path || !*spec->root_path)
        return kb_error(err, EINVAL, "config.json: root.path is missing");
    snprintf(src, sizeof src, "%s%s%s", spec->root_path[0] == '/' ? "" : c->bundle,
             spec->root_path[0] == '/' ? "" : "/", spec->root_path);
    return kb_mount_layers(&bind, 1, at, err);
}

/* Everything but the guest: the member's dir with its rootfs and binds, its config for the guest. */
static int prepare(struct kb_relay *r, const struct kb_pb_create_req *c, const char *dir, char **guest,
                   size_t *glen, unsigned *n_binds, kb_err *err)
{
    char path[PATH_MAX + 16];
    _cleanup_free_ char *config = NULL;
    struct kb_spec spec;
    uint32_t join;
    size_t len;
    int rc = -1;

    snprintf(path, sizeof path, "%s/config.json", c->bundle);
    if (kb_read_file(path, KB_SPEC_MAX_BYTES, &config, &len, err) < 0)
        return -1;
    if (kb_spec_parse(config, len, &spec, err) < 0) {
        kb_error_wrap(err, "%s", path);
        goto out;
    }
    if (!spec.process.terminal != !c->terminal) {
        kb_error(err, EINVAL, "%s: process.terminal is %s but Create asks for %s", path,
                 spec.process.terminal ? "true" : "false", c->terminal ? "a terminal" : "none");
        goto out;
    }
    if (mkdir(dir, 0700) < 0) {
        kb_error_errno(err, "mkdir %s", dir);
        goto out;
    }
    snprintf(path, sizeof path, "%s/rootfs", dir);
    if (mount_rootfs(c, &spec, path, err) < 0)
        goto out;
    *n_binds = kb_binds_count(&spec);
    snprintf(path, sizeof path, "%s/binds", dir);
    if (*n_binds && kb_binds_share(&spec, c->bundle, path, err) < 0) {
        kb_error_wrap(err, "share the bind mounts' sources");
        goto out;
    }
    if (kb_relay_init_pid(r, &join, err) < 0 || kb_spec_for_guest(config, len, &spec, join, guest, glen, err) < 0)
        goto out;
    rc = 0;
out:
    kb_spec_free(&spec);
    return rc;
}

int kb_pod_add(struct kb_relay *r, const uint8_t *req, size_t len, int fds[3], int client, kb_err *err)
{
    struct kb_pb_create_req c;
    char dir[PATH_MAX];
    _cleanup_free_ char *guest = NULL;
    size_t glen = 0;
    unsigned n_binds = 0;
    int made = 0, rc = -1;

    if (kb_pb_decode(&kb_pb_create_req_msg, req, len, &c, err) < 0) {
        kb_error_wrap(err, "container request");
    } else if (!c.id || !c.bundle || c.bundle[0] != '/') {
        kb_error(err, EINVAL, "container request: an id and an absolute bundle are required");
    } else if (!r->sb->pod[0]) {
        kb_error(err, ENOTSUP, "this sandbox was not made for a pod: no container can join it");
    } else if (kb_container_id_check(c.id, err) == 0) {
        if ((size_t)snprintf(dir, sizeof dir, "%s/%s", r->sb->pod, c.id) >= sizeof dir)
            kb_error(err, ENAMETOOLONG, "%s/%s", r->sb->pod, c.id);
        else if (access(dir, F_OK) == 0 || !strcmp(c.id, r->id))
            kb_error(err, EEXIST, "container %s already exists in this sandbox", c.id);
        else if ((made = 1, prepare(r, &c, dir, &guest, &glen, &n_binds, err)) == 0)
            /* takes the fds, the client on success */
            rc = kb_relay_add(r, c.id, c.bundle, guest, glen, c.terminal, n_binds != 0, fds, client, err);
    }
    if (rc < 0 && made)
        member_release(dir);
    for (int i = 0; i < 3; i++)
        kb_closep(&fds[i]);
    kb_pb_free(&kb_pb_create_req_msg, &c);
    return rc;
}

int kb_pod_delete(struct kb_relay *r, const char *cid, kb_err *err)
{
    char dir[PATH_MAX];
    struct stat st;

    if (kb_container_id_check(cid, err) < 0)
        return -1;
    snprintf(dir, sizeof dir, "%s/%s", r->sb->pod, cid);
    if (!r->sb->pod[0] || stat(dir, &st) < 0)
        return kb_error(err, ENOENT, "container %s does not exist in this sandbox", cid);
    /* the guest's part first: its processes hold the rootfs */
    if (r->sb->agent_open && kb_relay_delete(r, cid, err) < 0 && err->errnum != ENOENT)
        return -1;
    kb_exec_drop_member(r, cid);
    member_release(dir);
    return 0;
}
