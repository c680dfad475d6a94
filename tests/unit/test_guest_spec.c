/* kb_spec_for_guest: host namespace paths never reach the guest. */
#include <stdlib.h>
#include <string.h>

#include "../../core/oci/guest_spec.h"
#include "tap.h"

static const char base[] =
    "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0},"
    "\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"hard\":18446744073709551615,\"soft\":1.5e3}]},"
    "\"root\":{\"path\":\"rootfs\"},\"linux\":{\"namespaces\":[{\"type\":\"mount\"},NETNS],"
    "\"future\":[true,false,null,\"\\u00e9\"]}}";

static int with_pid(const char *netns, unsigned join_pid, char **out, size_t *out_len, kb_err *err)
{
    char json[sizeof base + 256];
    const char *at = strstr(base, "NETNS");
    struct kb_spec spec;
    int r;

    snprintf(json, sizeof json, "%.*s%s%s", (int)(at - base), base, netns, at + 5);
    /* the parser refuses a fractional rlimit; the guest copy is tested on text alone */
    memset(&spec, 0, sizeof spec);
    spec.namespaces = calloc(2, sizeof *spec.namespaces);
    spec.n_namespaces = 2;
    spec.namespaces[0].type = KB_NS_MOUNT;
    spec.namespaces[1].type = strstr(netns, "pid") ? KB_NS_PID : KB_NS_NETWORK;
    if (strstr(netns, "path"))
        spec.namespaces[1].path = strdup("/run/netns/x");
    r = kb_spec_for_guest(json, strlen(json), &spec, join_pid, out, out_len, err);
    kb_spec_free(&spec);
    return r;
}

static int with(const char *netns, char **out, size_t *out_len, kb_err *err)
{
    return with_pid(netns, 0, out, out_len, err);
}

int main(void)
{
    char *out = NULL;
    size_t n = 0;
    kb_err err = { 0 };

    ok(with("{\"type\":\"network\"}", &out, &n, &err) == 0 && n == strlen(base) - 5 + 18 &&
           memcmp(out, base, 60) == 0, "without a path the document is passed as it is");
    free(out);
    ok(with("{\"type\":\"network\",\"path\":\"/run/netns/x\"}", &out, &n, &err) == 0, "a network path (%s)",
       err.msg);
    ok(out && !memmem(out, n, "/run/netns/x", 12) && memmem(out, n, "{\"type\":\"network\"}", 18),
       "the network namespace loses its path, keeps its type");
    ok(out && memmem(out, n, "18446744073709551615", 20) && memmem(out, n, "1.5e3", 5),
       "numbers are written as they were read");
    ok(out && memmem(out, n, "[true,false,null,\"\xc3\xa9\"]", 22), "unknown members are kept");
    free(out);
    out = NULL;
    ok(with("{\"type\":\"pid\",\"path\":\"/proc/1/ns/pid\"}", &out, &n, &err) < 0 && !out &&
           strstr(err.msg, "linux.namespaces[1]: the pid namespace /run/netns/x cannot be joined"),
       "any other namespace path is refused (%s)", err.msg);
    /* a pod member: the sandbox container's namespaces, in the guest */
    ok(with_pid("{\"path\":\"/proc/77/ns/pid\",\"type\":\"pid\"}", 42, &out, &n, &err) == 0, "a pod member's pid "
       "namespace path (%s)", err.msg);
    ok(out && memmem(out, n, "{\"path\":\"/proc/42/ns/pid\",\"type\":\"pid\"}", 39) && !memmem(out, n, "/77/", 4),
       "names the sandbox's init in the guest");
    free(out);
    out = NULL;
    ok(with_pid("{\"type\":\"network\",\"path\":\"/proc/77/ns/net\"}", 42, &out, &n, &err) == 0 && out &&
           memmem(out, n, "{\"type\":\"network\",\"path\":\"/proc/42/ns/net\"}", 43),
       "a network path too: the pod shares the VM's network namespace of its sandbox");
    free(out);
    return tap_done();
}
