/* ttrpc frames and their protobuf payloads: containerd is trusted, but no
 * bytes may crash the decoder, and what decodes encodes again to bytes
 * that decode to the same. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../core/shim/task_pb.h"
#include "../../core/ttrpc/ttrpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kb_ttrpc_hdr h;
    struct kb_ttrpc_request req, again;
    struct kb_ttrpc_response resp;
    struct kb_buf out = { 0 };
    kb_err err;

    if (size >= KB_TTRPC_HDR)
        kb_ttrpc_hdr_parse(data, &h, &err);
    if (kb_pb_decode(&kb_ttrpc_request_pb, data, size, &req, &err) == 0) {
        if (kb_pb_encode(&kb_ttrpc_request_pb, &req, &out, &err) != 0 ||
            kb_pb_decode(&kb_ttrpc_request_pb, out.data, out.len, &again, &err) != 0)
            __builtin_trap();
        /* an empty string is left out when encoded: it comes back absent */
        const char *s1 = req.service && *req.service ? req.service : NULL;
        const char *s2 = again.service && *again.service ? again.service : NULL;
        if ((s1 == NULL) != (s2 == NULL) || (s1 && strcmp(s1, s2) != 0))
            __builtin_trap();
        if (req.n_metadata != again.n_metadata || req.payload_len != again.payload_len)
            __builtin_trap();
        kb_pb_free(&kb_ttrpc_request_pb, &again);
    }
    kb_pb_free(&kb_ttrpc_request_pb, &req);
    kb_pb_decode(&kb_ttrpc_response_pb, data, size, &resp, &err);
    kb_pb_free(&kb_ttrpc_response_pb, &resp);
    /* the task service's requests, as a shim decodes their payloads */
    {
        static const struct kb_pb_msg *const task[] = {
            &kb_pb_create_req_msg, &kb_pb_exec_req_msg, &kb_pb_update_req_msg, &kb_pb_kill_req_msg,
            &kb_pb_resize_req_msg, &kb_pb_close_io_req_msg, &kb_pb_forward_req_msg, &kb_pb_state_resp_msg,
        };
        union {
            struct kb_pb_create_req a;
            struct kb_pb_exec_req b;
            struct kb_pb_update_req c;
            struct kb_pb_forward_req d;
            struct kb_pb_state_resp e;
        } u;
        for (size_t i = 0; i < sizeof task / sizeof task[0]; i++) {
            kb_pb_decode(task[i], data, size, &u, &err);
            kb_pb_free(task[i], &u);
        }
    }
    kb_buf_free(&out);
    return 0;
}
