#include "port.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../core/util.h"

/* 1 and the device name in dev if an entry of dir is the port `name`, 0 if
 * none is (yet), -1 if the VM has no virtio-serial ports at all. */
static int scan(const char *dir, const char *name, char *dev, size_t devlen)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int found = 0, any = 0;

    if (!d)
        return -1;
    while (!found && (e = readdir(d))) {
        char path[512];
        _cleanup_free_ char *text = NULL;
        size_t len;
        kb_err ignored;

        if (e->d_name[0] == '.')
            continue;
        any = 1;
        if ((size_t)snprintf(path, sizeof path, "%s/%s/name", dir, e->d_name) >= sizeof path)
            continue;
        if (kb_read_file(path, 256, &text, &len, &ignored) < 0)
            continue;
        if (len && text[len - 1] == '\n')
            text[--len] = '\0';
        if (strcmp(text, name) == 0 && (size_t)snprintf(dev, devlen, "/dev/%s", e->d_name) < devlen)
            found = 1;
    }
    closedir(d);
    return found ? 1 : any ? 0 : -1;
}

int agent_open_port(const char *sysfs_dir, const char *name, unsigned wait_ms, kb_err *err)
{
    uint64_t deadline = kb_now_ns() + (uint64_t)wait_ms * 1000000u;
    char dev[300];
    int r, fd;

    /* the port appears with its device, but its name comes later from the host */
    while ((r = scan(sysfs_dir, name, dev, sizeof dev)) == 0 && kb_now_ns() < deadline)
        usleep(2000);
    if (r <= 0)
        return kb_error(err, ENOENT, "no virtio-serial port named %s", name);
    fd = open(dev, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return kb_error_errno(err, "open %s (port %s)", dev, name);
    return fd;
}

int agent_listen_vsock(unsigned port, kb_err *err)
{
    struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = port };
    int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return kb_error_errno(err, "vsock socket (is the VM's vsock device missing?)");
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 1) < 0) {
        kb_error_errno(err, "listen on vsock port %u", port);
        close(fd);
        return -1;
    }
    return fd;
}
