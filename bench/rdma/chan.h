/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_RDMA_CHAN_H
#define P2PB_RDMA_CHAN_H
#include <stdbool.h>
#include <stdint.h>

/*
 * The TCP side channel of a client/server run (perftest's role for it): QP
 * numbers, keys and addresses go across, then one message per step. A
 * message is a header (magic, version, type, length) and a fixed struct; both
 * ends run the same p2pbench, and a header that does not match (another
 * program, another version, another byte order) is one clear error.
 */
enum p2pb_chan_msg {
	P2PB_CHAN_HELLO = 1,	/* client -> server: struct p2pb_rdma_hello */
	P2PB_CHAN_QPS,		/* both ways: struct p2pb_rdma_qp_info[qps] */
	P2PB_CHAN_STEP,		/* client -> server: struct p2pb_rdma_step, the server prepares its buffers;
				 * one of size 0: no more steps */
	P2PB_CHAN_READY,	/* server -> client: buffers ready, traffic may start */
	P2PB_CHAN_DONE,		/* client -> server: the step's traffic is over; uint64_t: QPs given up */
	P2PB_CHAN_RESULT,	/* server -> client: struct p2pb_rdma_served */
	P2PB_CHAN_ERROR,	/* either way: struct p2pb_chan_error, then the sender gives up */
};

struct p2pb_chan_error {
	int32_t err;		/* -errno; -EOPNOTSUPP: the server's device cannot register its memory */
	char msg[256];
};

#define P2PB_CHAN_PORT 18520

int p2pb_chan_listen(uint16_t port, int *lfd);
/* Wait for one client (Ctrl-C ends the wait with -EINTR). */
int p2pb_chan_accept(int lfd, int *fd);
/* Connect, retrying a refused connection until @timeout_ns (a server still starting). */
int p2pb_chan_connect(const char *host, uint16_t port, uint64_t timeout_ns, int *fd);
int p2pb_chan_send(int fd, enum p2pb_chan_msg type, const void *buf, uint32_t len);
/*
 * Receive a message of @type and exactly @len bytes within @timeout_ns. A
 * P2PB_CHAN_ERROR from the peer returns its err with its message set.
 */
int p2pb_chan_recv(int fd, enum p2pb_chan_msg type, void *buf, uint32_t len, uint64_t timeout_ns);
/* Tell the peer why we give up (best effort). */
void p2pb_chan_send_error(int fd, int err, const char *msg);
/* Close after the peer has read what we sent (at most a second's wait). */
void p2pb_chan_close(int fd);
/* A message is waiting (never blocks). */
bool p2pb_chan_pending(int fd);
#endif
