/* What vsock_conn.c (packets from the guest) and vsock_rx.c (packets to
 * the guest, host fd events) share; not for other files. */
#ifndef KB_VSOCK_CONN_PRIV_H
#define KB_VSOCK_CONN_PRIV_H

#include "vsock_conn.h"

/* control packets a connection owes the guest (kb_vsock_conn.pending) */
#define PEND_REQUEST 1u
#define PEND_RESPONSE 2u
#define PEND_CREDIT_UPDATE 4u
#define PEND_CREDIT_REQUEST 8u

/* Drop c at once (the host side sees EOF) and owe the guest an RST for it. */
void kb_vsock_conn_reset(struct kb_vsock_table *t, struct kb_vsock_conn *c);
/* Write buffered guest bytes to the host fd; <0 when the host side is gone. */
int kb_vsock_conn_flush(struct kb_vsock_conn *c);

#endif
