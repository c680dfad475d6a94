#!/usr/bin/python3
"""A small CRI (runtime.v1) client for the tests, as crictl would be: crictl is
not packaged in Debian. Debian's python3-grpcio carries the calls; the messages
are described here, the fields this client uses with the numbers of
kubernetes' cri-api (pkg/apis/runtime/v1/api.proto), and built at run time.

    cri.py --socket PATH version
    cri.py --socket PATH runp NAME [--runtime HANDLER]        -> pod id
    cri.py --socket PATH create POD POD_NAME NAME IMAGE CMD...   -> container id (POD_NAME: runp's NAME)
    cri.py --socket PATH start|stop|rm|status ID
    cri.py --socket PATH execsync ID CMD...                  -> its stdout, stderr, exit code
    cri.py --socket PATH update ID MEMORY_BYTES [CPU_QUOTA CPU_PERIOD]   (UpdateContainerResources)
    cri.py --socket PATH stopp|rmp|podstatus POD
    cri.py --socket PATH ps                                  -> "ID STATE" lines
"""
import argparse
import sys

import grpc
from google.protobuf import descriptor_pb2, message_factory

F = descriptor_pb2.FieldDescriptorProto
STRING, BOOL, INT64, INT32, UINT32, BYTES, MSG, ENUM = (F.TYPE_STRING, F.TYPE_BOOL, F.TYPE_INT64, F.TYPE_INT32,
                                                         F.TYPE_UINT32, F.TYPE_BYTES, F.TYPE_MESSAGE, F.TYPE_ENUM)
REPEATED = object()

# message: [(field, number, type, type name or None, repeated)]
MESSAGES = {
    "VersionRequest": [("version", 1, STRING)],
    "VersionResponse": [("version", 1, STRING), ("runtime_name", 2, STRING), ("runtime_version", 3, STRING),
                        ("runtime_api_version", 4, STRING)],
    "PodSandboxMetadata": [("name", 1, STRING), ("uid", 2, STRING), ("namespace", 3, STRING),
                           ("attempt", 4, UINT32)],
    "NamespaceOption": [("network", 1, ENUM, "NamespaceMode"), ("pid", 2, ENUM, "NamespaceMode"),
                        ("ipc", 3, ENUM, "NamespaceMode")],
    "LinuxSandboxSecurityContext": [("namespace_options", 1, MSG, "NamespaceOption")],
    "LinuxPodSandboxConfig": [("cgroup_parent", 1, STRING),
                              ("security_context", 2, MSG, "LinuxSandboxSecurityContext")],
    "PodSandboxConfig": [("metadata", 1, MSG, "PodSandboxMetadata"), ("hostname", 2, STRING),
                         ("log_directory", 3, STRING), ("linux", 8, MSG, "LinuxPodSandboxConfig")],
    "RunPodSandboxRequest": [("config", 1, MSG, "PodSandboxConfig"), ("runtime_handler", 2, STRING)],
    "RunPodSandboxResponse": [("pod_sandbox_id", 1, STRING)],
    "PodSandboxIdRequest": [("pod_sandbox_id", 1, STRING)],     # Stop/Remove/StatusPodSandboxRequest
    "Empty": [],
    "PodSandboxStatus": [("id", 1, STRING), ("state", 3, ENUM, "PodSandboxState")],
    "PodSandboxStatusResponse": [("status", 1, MSG, "PodSandboxStatus")],
    "ContainerMetadata": [("name", 1, STRING), ("attempt", 2, UINT32)],
    "ImageSpec": [("image", 1, STRING)],
    "ContainerConfig": [("metadata", 1, MSG, "ContainerMetadata"), ("image", 2, MSG, "ImageSpec"),
                        ("command", 3, STRING, None, REPEATED), ("log_path", 11, STRING)],
    "CreateContainerRequest": [("pod_sandbox_id", 1, STRING), ("config", 2, MSG, "ContainerConfig"),
                               ("sandbox_config", 3, MSG, "PodSandboxConfig")],
    "CreateContainerResponse": [("container_id", 1, STRING)],
    "ContainerIdRequest": [("container_id", 1, STRING)],         # Start/Remove/ContainerStatusRequest
    "StopContainerRequest": [("container_id", 1, STRING), ("timeout", 2, INT64)],
    "ContainerStatus": [("id", 1, STRING), ("state", 3, ENUM, "ContainerState"), ("exit_code", 7, INT32),
                        ("reason", 10, STRING), ("message", 11, STRING)],
    "ContainerStatusResponse": [("status", 1, MSG, "ContainerStatus")],
    "ExecSyncRequest": [("container_id", 1, STRING), ("cmd", 2, STRING, None, REPEATED), ("timeout", 3, INT64)],
    "ExecSyncResponse": [("stdout", 1, BYTES), ("stderr", 2, BYTES), ("exit_code", 3, INT32)],
    "LinuxContainerResources": [("cpu_period", 1, INT64), ("cpu_quota", 2, INT64), ("cpu_shares", 3, INT64),
                                ("memory_limit_in_bytes", 4, INT64)],
    "UpdateContainerResourcesRequest": [("container_id", 1, STRING), ("linux", 2, MSG, "LinuxContainerResources")],
    "Container": [("id", 1, STRING), ("pod_sandbox_id", 2, STRING), ("state", 6, ENUM, "ContainerState")],
    "ListContainersResponse": [("containers", 1, MSG, "Container", REPEATED)],
}
ENUMS = {
    "NamespaceMode": ["POD", "CONTAINER", "NODE", "TARGET"],
    "PodSandboxState": ["SANDBOX_READY", "SANDBOX_NOTREADY"],
    "ContainerState": ["CONTAINER_CREATED", "CONTAINER_RUNNING", "CONTAINER_EXITED", "CONTAINER_UNKNOWN"],
}
PKG = "runtime.v1"


def build():
    fd = descriptor_pb2.FileDescriptorProto(name="katabox_cri_test.proto", package=PKG, syntax="proto3")
    for name, values in ENUMS.items():
        e = fd.enum_type.add(name=name)
        for i, v in enumerate(values):
            e.value.add(name=v, number=i)
    for name, fields in MESSAGES.items():
        m = fd.message_type.add(name=name)
        for f in fields:
            fname, number, ftype = f[:3]
            tname = f[3] if len(f) > 3 else None
            label = F.LABEL_REPEATED if len(f) > 4 else F.LABEL_OPTIONAL
            field = m.field.add(name=fname, number=number, type=ftype, label=label)
            if tname:
                field.type_name = "." + PKG + "." + tname
    return message_factory.GetMessages([fd])


T = build()


def msg(type_name, **fields):
    return T[PKG + "." + type_name](**fields)


class Client:
    def __init__(self, socket, timeout):
        self.ch = grpc.insecure_channel("unix://" + socket)
        self.timeout = timeout

    def call(self, service, method, req, resp):
        fn = self.ch.unary_unary("/runtime.v1.%s/%s" % (service, method),
                                 request_serializer=lambda m: m.SerializeToString(),
                                 response_deserializer=T[PKG + "." + resp].FromString)
        try:
            return fn(req, timeout=self.timeout)
        except grpc.RpcError as e:
            sys.exit("cri.py: %s: %s: %s" % (method, e.code().name, e.details()))

    def rt(self, method, req, resp="Empty"):
        return self.call("RuntimeService", method, req, resp)


def sandbox_config(name):
    """A host-network pod: CRI needs no CNI for it (and it has no UTS namespace: no hostname)."""
    ns = msg("NamespaceOption", network=2)     # NODE
    return msg("PodSandboxConfig", metadata=msg("PodSandboxMetadata", name=name, uid=name + "-uid",
                                                namespace="katabox-test", attempt=0),
               linux=msg("LinuxPodSandboxConfig",
                                        security_context=msg("LinuxSandboxSecurityContext", namespace_options=ns)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("command")
    ap.add_argument("args", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    c, args = Client(a.socket, a.timeout), a.args
    if a.command == "version":
        r = c.rt("Version", msg("VersionRequest", version="v1"), "VersionResponse")
        print(r.runtime_name, r.runtime_version, r.runtime_api_version)
    elif a.command == "runp":
        handler = args[2] if len(args) > 2 and args[1] == "--runtime" else ""
        r = c.rt("RunPodSandbox", msg("RunPodSandboxRequest", config=sandbox_config(args[0]),
                                      runtime_handler=handler), "RunPodSandboxResponse")
        print(r.pod_sandbox_id)
    elif a.command in ("stopp", "rmp"):
        c.rt("StopPodSandbox" if a.command == "stopp" else "RemovePodSandbox",
             msg("PodSandboxIdRequest", pod_sandbox_id=args[0]))
    elif a.command == "podstatus":
        r = c.rt("PodSandboxStatus", msg("PodSandboxIdRequest", pod_sandbox_id=args[0]), "PodSandboxStatusResponse")
        print(ENUMS["PodSandboxState"][r.status.state])
    elif a.command == "create":
        pod, pod_name, name, image, cmd = args[0], args[1], args[2], args[3], args[4:]
        cfg = msg("ContainerConfig", metadata=msg("ContainerMetadata", name=name), image=msg("ImageSpec", image=image),
                  command=cmd, log_path=name + ".log")
        r = c.rt("CreateContainer", msg("CreateContainerRequest", pod_sandbox_id=pod, config=cfg,
                                        sandbox_config=sandbox_config(pod_name)), "CreateContainerResponse")
        print(r.container_id)
    elif a.command in ("start", "rm"):
        c.rt("StartContainer" if a.command == "start" else "RemoveContainer", msg("ContainerIdRequest",
                                                                                  container_id=args[0]))
    elif a.command == "stop":
        c.rt("StopContainer", msg("StopContainerRequest", container_id=args[0], timeout=10))
    elif a.command == "status":
        r = c.rt("ContainerStatus", msg("ContainerIdRequest", container_id=args[0]), "ContainerStatusResponse")
        s = r.status
        print(ENUMS["ContainerState"][s.state], "exit=%d" % s.exit_code, "reason=%s" % s.reason)
    elif a.command == "execsync":
        r = c.rt("ExecSync", msg("ExecSyncRequest", container_id=args[0], cmd=args[1:], timeout=60),
                 "ExecSyncResponse")
        sys.stdout.buffer.write(r.stdout)
        sys.stderr.buffer.write(r.stderr)
        sys.exit(r.exit_code)
    elif a.command == "update":
        res = msg("LinuxContainerResources", memory_limit_in_bytes=int(args[1]))
        if len(args) > 3:
            res.cpu_quota, res.cpu_period = int(args[2]), int(args[3])
        c.rt("UpdateContainerResources", msg("UpdateContainerResourcesRequest", container_id=args[0], linux=res))
    elif a.command == "ps":
        r = c.rt("ListContainers", msg("Empty"), "ListContainersResponse")
        for x in r.containers:
            print(x.id, ENUMS["ContainerState"][x.state])
    else:
        sys.exit("cri.py: unknown command %s" % a.command)


if __name__ == "__main__":
    main()
