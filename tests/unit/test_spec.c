#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "../../core/oci/spec.h"
#include "tap.h"

/* runc 1.1's `runc spec`, trimmed */
static const char runc_spec[] =
    "{\"ociVersion\":\"1.0.2-dev\",\"process\":{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},"
    "\"args\":[\"sh\"],\"env\":[\"PATH=/usr/bin:/bin\",\"TERM=xterm\"],\"cwd\":\"/\","
    "\"capabilities\":{\"bounding\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\"],\"effective\":[\"CAP_KILL\"]},"
    "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],\"noNewPrivileges\":true},"
    "\"root\":{\"path\":\"rootfs\",\"readonly\":true},\"hostname\":\"runc\","
    "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
    "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"mode=755\"]}],"
    "\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],\"memory\":{\"limit\":268435456}},"
    "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},"
    "{\"type\":\"mount\"}],\"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[\"/proc/sys\"]},"
    "\"annotations\":{\"io.kubernetes.cri.sandbox-id\":\"abc\"},\"someFutureField\":{\"x\":1}}";

/* the runc spec with one substring replaced */
static int parse_with(const char *from, const char *to, struct kb_spec *spec, kb_err *err)
{
    char buf[sizeof runc_spec + 512];
    const char *at = strstr(runc_spec, from);
    int r;

    if (!at) {
        printf("# test bug: '%s' not in the spec\n", from);
        return 99;
    }
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - runc_spec), runc_spec, to, at + strlen(from));
    r = kb_spec_parse(buf, strlen(buf), spec, err);
    kb_spec_free(spec);
    return r;
}

#define BAD(from, to, want, desc) \
    ok(parse_with(from, to, &spec, &err) == -1 && strstr(err.msg, want), desc " (%s)", err.msg)

int main(void)
{
    struct kb_spec spec;
    kb_err err;
    FILE *f;

    ok(kb_spec_parse(runc_spec, strlen(runc_spec), &spec, &err) == 0, "runc's default spec parses");
    ok(strcmp(spec.oci_version, "1.0.2-dev") == 0 && spec.process.terminal, "version, terminal");
    ok(strcmp(spec.process.args[0], "sh") == 0 && !spec.process.args[1], "args");
    ok(strcmp(spec.process.env[1], "TERM=xterm") == 0 && !spec.process.env[2], "env");
    ok(strcmp(spec.process.cwd, "/") == 0 && spec.process.uid == 0 && !spec.process.has_umask, "cwd, uid, umask");
    ok(spec.process.no_new_privileges, "noNewPrivileges");
    ok(spec.process.caps[KB_CAP_BOUNDING] && strcmp(spec.process.caps[KB_CAP_BOUNDING][1], "CAP_KILL") == 0 &&
           !spec.process.caps[KB_CAP_AMBIENT], "capability sets; an absent set is NULL");
    ok(spec.process.n_rlimits == 1 && spec.process.rlimits[0].resource == RLIMIT_NOFILE &&
           spec.process.rlimits[0].soft == 1024, "rlimits");
    ok(strcmp(spec.root_path, "rootfs") == 0 && spec.root_readonly, "root");
    ok(strcmp(spec.hostname, "runc") == 0, "hostname");
    ok(spec.n_mounts == 2 && strcmp(spec.mounts[1].destination, "/dev") == 0 &&
           strcmp(spec.mounts[1].options[1], "mode=755") == 0 && !spec.mounts[0].options, "mounts");
    ok(spec.n_namespaces == 5 && kb_spec_namespace(&spec, KB_NS_MOUNT) && !kb_spec_namespace(&spec, KB_NS_USER),
       "namespaces");
    ok(spec.resources.memory_limit == 268435456, "memory limit");
    ok(strcmp(spec.masked_paths[0], "/proc/kcore") == 0 && strcmp(spec.readonly_paths[0], "/proc/sys") == 0,
       "masked and read-only paths");
    ok(strcmp(spec.annotations[0], "io.kubernetes.cri.sandbox-id") == 0 && strcmp(spec.annotations[1], "abc") == 0,
       "annotations; the unknown top-level field is ignored");
    ok(!strcmp(kb_spec_annotation(&spec, "io.kubernetes.cri.sandbox-id"), "abc") &&
           !kb_spec_annotation(&spec, "io.kubernetes.cri.container-type"), "one annotation by its key");
    kb_spec_free(&spec);
    ok(!kb_spec_annotation(&spec, "io.kubernetes.cri.sandbox-id"), "none in a freed spec");
    ok(spec.process.args == NULL, "free resets");

    ok(parse_with("\"uid\":0,\"gid\":0}", "\"uid\":1000,\"gid\":100,\"umask\":18,\"additionalGids\":[5,6]}",
                  &spec, &err) == 0, "user with umask and additional gids parses");
    {
        char buf[sizeof runc_spec + 128];
        const char *at = strstr(runc_spec, "\"uid\":0,\"gid\":0}");
        snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - runc_spec), runc_spec,
                 "\"uid\":1000,\"gid\":100,\"umask\":18,\"additionalGids\":[5,6]}", at + 16);
        kb_spec_parse(buf, strlen(buf), &spec, &err);
        ok(spec.process.uid == 1000 && spec.process.has_umask && spec.process.umask == 022 &&
               spec.process.n_additional_gids == 2 && spec.process.additional_gids[1] == 6,
           "the values arrive");
        kb_spec_free(&spec);
    }

    BAD("\"ociVersion\":\"1.0.2-dev\",", "", "ociVersion: required but missing", "missing ociVersion");
    BAD("\"args\":[\"sh\"]", "\"args\":[]", "process.args: must name", "empty args");
    BAD("\"args\":[\"sh\"]", "\"args\":\"sh\"", "process.args: expected an array", "args not an array");
    BAD("\"cwd\":\"/\"", "\"cwd\":\"tmp\"", "process.cwd: 'tmp' is not an absolute path", "relative cwd");
    BAD("\"uid\":0", "\"uid\":-1", "process.user.uid: -1 is negative", "negative uid");
    BAD("\"uid\":0", "\"uid\":4294967296", "process.user.uid: 4294967296 is out of range", "uid too large");
    BAD("\"uid\":0,", "", "process.user.uid: required", "missing uid");
    BAD("\"gid\":0}", "\"gid\":0,\"umask\":1024}", "umask: 2000 is not a file mode mask", "umask too large");
    BAD("\"TERM=xterm\"", "\"TERM\"", "process.env[1]: 'TERM' is not NAME=VALUE", "env without =");
    BAD("\"terminal\":true", "\"terminal\":\"yes\"", "process.terminal: expected true or false", "terminal not bool");
    BAD("RLIMIT_NOFILE", "RLIMIT_FOO", "process.rlimits[0].type: unknown limit 'RLIMIT_FOO'", "unknown rlimit");
    BAD("\"hard\":1024,\"soft\":1024", "\"hard\":1,\"soft\":2", "soft 2 above hard 1", "soft above hard");
    BAD("\"CAP_KILL\"]}", "\"KILL\"]}", "process.capabilities.effective[0]: 'KILL' is not a capability name",
        "capability without CAP_");
    BAD("\"path\":\"rootfs\"", "\"path\":\"\"", "root.path: must not be empty", "empty root path");
    BAD("\"root\":{\"path\":\"rootfs\",\"readonly\":true},", "", "root: required object", "missing root");
    BAD("\"destination\":\"/proc\"", "\"destination\":\"proc\"", "mounts[0].destination: 'proc' is not an absolute",
        "relative mount destination");
    BAD("\"options\":[\"nosuid\",\"mode=755\"]", "\"options\":[1]", "mounts[1].options[0]: expected a string",
        "mount option not a string");
    BAD("{\"type\":\"uts\"}", "{\"type\":\"time\"}", "linux.namespaces[3].type: unknown namespace 'time'",
        "unknown namespace");
    BAD("{\"type\":\"uts\"}", "{\"type\":\"pid\"}", "'pid' is given twice", "duplicate namespace");
    BAD("{\"type\":\"uts\"}", "{\"type\":\"uts\",\"path\":\"ns/uts\"}", "is not an absolute path",
        "relative namespace path");
    BAD("\"limit\":268435456", "\"limit\":-5", "a negative limit", "negative memory limit");
    BAD("\"memory\":{\"limit\":268435456}", "\"cpu\":{\"period\":5}", "cpu.period: 5 us", "cpu period too small");
    BAD("\"hostname\":\"runc\"", "\"hostname\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
        "hostname: longer than 64", "hostname too long");
    BAD("\"abc\"", "7", "annotations.io.kubernetes.cri.sandbox-id: expected a string", "annotation not a string");
    /* linux: user namespace maps, devices, sysctl, propagation, more resources */
    {
        static const char more[] =
            "\"maskedPaths\":[\"/proc/kcore\"],\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":10}],"
            "\"gidMappings\":[{\"containerID\":0,\"hostID\":2000,\"size\":1},{\"containerID\":5,\"hostID\":3,"
            "\"size\":2}],\"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,\"minor\":229,"
            "\"fileMode\":438,\"uid\":0},{\"path\":\"/dev/f\",\"type\":\"p\"}],\"sysctl\":{\"kernel.shmmax\":\"1\"},"
            "\"rootfsPropagation\":\"rslave\",\"mountLabel\":\"x\"";
        char buf[sizeof runc_spec + 1024];
        const char *at = strstr(runc_spec, "\"maskedPaths\":[\"/proc/kcore\"]");
        snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - runc_spec), runc_spec, more,
                 at + strlen("\"maskedPaths\":[\"/proc/kcore\"]"));
        ok(kb_spec_parse(buf, strlen(buf), &spec, &err) < 0 && strstr(err.msg, "without a user namespace"),
           "id maps without a user namespace (%s)", err.msg);
        kb_spec_free(&spec);
        at = strstr(buf, "{\"type\":\"mount\"}");
        {
            char buf2[sizeof buf + 32];
            snprintf(buf2, sizeof buf2, "%.*s{\"type\":\"user\"},%s", (int)(at - buf), buf, at);
            ok(kb_spec_parse(buf2, strlen(buf2), &spec, &err) == 0, "user namespace, maps, devices, sysctl (%s)",
               err.msg);
        }
        ok(spec.n_uid_mappings == 1 && spec.uid_mappings[0].host_id == 1000 && spec.uid_mappings[0].size == 10 &&
               spec.n_gid_mappings == 2 && spec.gid_mappings[1].container_id == 5, "uid and gid mappings");
        ok(spec.n_devices == 2 && spec.devices[0].type == 'c' && spec.devices[0].major == 10 &&
               spec.devices[0].has_mode && spec.devices[0].mode == 0666 && spec.devices[0].has_uid &&
               !spec.devices[0].has_gid && spec.devices[1].type == 'p' && !spec.devices[1].has_mode, "devices");
        ok(spec.sysctl && !strcmp(spec.sysctl[0], "kernel.shmmax") && !strcmp(spec.sysctl[1], "1") && !spec.sysctl[2],
           "sysctl");
        ok(!strcmp(spec.rootfs_propagation, "rslave") && !strcmp(spec.mount_label, "x"), "rootfsPropagation, mountLabel");
        kb_spec_free(&spec);
    }
    BAD("\"maskedPaths\"", "\"devices\":[{\"path\":\"/dev/x\",\"type\":\"q\",\"major\":1,\"minor\":1}],\"maskedPaths\"",
        "linux.devices[0].type: 'q' is not one of c, b, u, p", "bad device type");
    BAD("\"maskedPaths\"", "\"devices\":[{\"path\":\"/dev/x\",\"type\":\"c\",\"minor\":1}],\"maskedPaths\"",
        "linux.devices[0].major", "device without a major");
    BAD("\"maskedPaths\"", "\"devices\":[{\"path\":\"/dev/x\",\"type\":\"c\",\"major\":5000,\"minor\":1}],"
        "\"maskedPaths\"", "is not a device number", "device major too large");
    BAD("\"maskedPaths\"", "\"devices\":[{\"path\":\"dev/x\",\"type\":\"p\"}],\"maskedPaths\"",
        "linux.devices[0].path: 'dev/x' is not an absolute path", "relative device path");
    BAD("\"maskedPaths\"", "\"sysctl\":{\"a\":1},\"maskedPaths\"", "linux.sysctl.a: expected a string", "sysctl value not a string");
    BAD("\"maskedPaths\"", "\"rootfsPropagation\":\"sideways\",\"maskedPaths\"",
        "linux.rootfsPropagation: unknown propagation 'sideways'", "bad rootfsPropagation");
    BAD("\"maskedPaths\"", "\"uidMappings\":[{\"containerID\":0,\"hostID\":0,\"size\":0}],\"maskedPaths\"",
        "linux.uidMappings[0]: size 0", "empty uid mapping");
    BAD("\"limit\":268435456", "\"limit\":268435456,\"swap\":1000", "is below the memory limit", "swap below memory");
    BAD("\"memory\":{\"limit\":268435456}", "\"cpu\":{\"shares\":1}", "cpu.shares: 1 is outside", "cpu shares too small");
    ok(kb_spec_parse("[1]", 3, &spec, &err) < 0 && strstr(err.msg, "expected an object at the top"), "not an object");
    kb_spec_free(&spec);
    ok(kb_spec_parse("{\"ociVersion\":", 14, &spec, &err) < 0 && strstr(err.msg, "config.json: invalid JSON"),
       "malformed JSON");
    kb_spec_free(&spec);

    ok(kb_spec_load("/nonexistent/config.json", &spec, &err) < 0 && err.errnum == ENOENT &&
           strstr(err.msg, "/nonexistent/config.json"), "missing file names itself");
    f = fopen("/tmp/kb-test-spec.json", "w");
    fputs("{\"ociVersion\":\"1\"}", f);
    fclose(f);
    ok(kb_spec_load("/tmp/kb-test-spec.json", &spec, &err) < 0 &&
           strstr(err.msg, "/tmp/kb-test-spec.json: process: required"), "load errors are prefixed with the path");
    kb_spec_free(&spec);
    remove("/tmp/kb-test-spec.json");
    return tap_done();
}
