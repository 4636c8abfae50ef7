// SPDX-License-Identifier: GPL-2.0
/* The TCP side channel of a client/server RDMA run. */
#define _GNU_SOURCE
#include "chan.h"

#include "clock.h"
#include "error.h"
#include "session.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHAN_MAGIC 0x52423250u	/* "P2BR" little-endian */
#define CHAN_VERSION 2
#define TICK_MS 200

struct chan_hdr {
	uint32_t magic;
	uint16_t version, type;
	uint32_t len, pad;
};

int p2pb_chan_listen(uint16_t port, int *lfd)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = in6addr_any };
	int one = 1, zero = 0;

	*lfd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*lfd < 0)
		return p2pb_fail(-errno, "a TCP socket: %s", strerror(errno));
	setsockopt(*lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(*lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(*lfd, (struct sockaddr *)&a, sizeof(a)) || listen(*lfd, 1)) {
		int err = errno;

		close(*lfd);
		*lfd = -1;
		return p2pb_fail(-err, "listening on TCP port %u: %s", port, strerror(err));
	}
	return 0;
}

/*
 * Wait until @fd has @events, in ticks so that Ctrl-C is seen while waiting
 * for the peer (@interruptible); -ETIMEDOUT after timeout_ns (0: never).
 * Sends and the closing drain are not cut short by Ctrl-C: the last words to
 * the peer (done, bye) still go out, and its answer is still read.
 */
static int wait_fd_as(int fd, short events, uint64_t timeout_ns, bool interruptible)
{
	uint64_t end = timeout_ns ? p2pb_now_ns() + timeout_ns : 0;
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	for (;;) {
		if (p2pb_interrupted && interruptible)
			return -EINTR;
		n = poll(&p, 1, TICK_MS);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
		if (end && p2pb_now_ns() >= end)
			return -ETIMEDOUT;
	}
}

static int wait_fd(int fd, short events, uint64_t timeout_ns)
{
	return wait_fd_as(fd, events, timeout_ns, events == POLLIN);
}

int p2pb_chan_accept(int lfd, int *fd)
{
	int err = wait_fd(lfd, POLLIN, 0), one = 1;

	if (err)
		return err == -EINTR ? err : p2pb_fail(err, "waiting for a client: %s", strerror(-err));
	*fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (*fd < 0)
		return p2pb_fail(-errno, "accepting a client: %s", strerror(errno));
	setsockopt(*fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return 0;
}

static int try_connect(const struct addrinfo *ai, int *fd)
{
	int one = 1;

	*fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		return -errno;
	if (connect(*fd, ai->ai_addr, ai->ai_addrlen)) {
		int err = errno;

		close(*fd);
		*fd = -1;
		return -err;
	}
	setsockopt(*fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return 0;
}

int p2pb_chan_connect(const char *host, uint16_t port, uint64_t timeout_ns, int *fd)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	uint64_t end = p2pb_now_ns() + timeout_ns;
	char svc[8];
	int err, gai;

	snprintf(svc, sizeof(svc), "%u", port);
	gai = getaddrinfo(host, svc, &hints, &res);
	if (gai)
		return p2pb_fail(-EHOSTUNREACH, "server '%s': %s", host, gai_strerror(gai));
	for (;;) {
		err = -ECONNREFUSED;
		for (ai = res; ai && err; ai = ai->ai_next)
			err = try_connect(ai, fd);
		if (!err || (err != -ECONNREFUSED) || p2pb_interrupted || p2pb_now_ns() >= end)
			break;
		p2pb_sleep_ns(100000000ull);
	}
	freeaddrinfo(res);
	if (err)
		return p2pb_interrupted ? -EINTR : p2pb_fail(err, "cannot reach the server at %s port %u: %s", host,
							     port, strerror(-err));
	return 0;
}

static int xfer_all(int fd, void *buf, size_t len, bool out, uint64_t timeout_ns)
{
	size_t done = 0;
	ssize_t n;
	int err;

	while (done < len) {
		if ((err = wait_fd(fd, out ? POLLOUT : POLLIN, timeout_ns)))
			return err;
		n = out ? send(fd, (char *)buf + done, len - done, MSG_NOSIGNAL) :
			  recv(fd, (char *)buf + done, len - done, 0);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		done += n > 0 ? (size_t)n : 0;
	}
	return 0;
}

static int peer_error(int fd, const struct chan_hdr *h, uint64_t timeout_ns);

/* The peer closed the channel: did it say why first? Its error, or 0. */
static int why_closed(int fd)
{
	struct chan_hdr h;

	if (!p2pb_chan_pending(fd) || xfer_all(fd, &h, sizeof(h), false, 1000000000ull) ||
	    h.magic != CHAN_MAGIC || h.type != P2PB_CHAN_ERROR)
		return 0;
	return peer_error(fd, &h, 1000000000ull);
}

int p2pb_chan_send(int fd, enum p2pb_chan_msg type, const void *buf, uint32_t len)
{
	struct chan_hdr h = { .magic = CHAN_MAGIC, .version = CHAN_VERSION, .type = (uint16_t)type, .len = len };
	int err = xfer_all(fd, &h, sizeof(h), true, 10000000000ull), why;

	if (!err && len)
		err = xfer_all(fd, (void *)buf, len, true, 10000000000ull);
	if ((err == -EPIPE || err == -ECONNRESET) && (why = why_closed(fd)))
		return why;
	return err && err != -EINTR ? p2pb_fail(err, "the side channel to the peer: %s", strerror(-err)) : err;
}

void p2pb_chan_send_error(int fd, int err, const char *msg)
{
	struct p2pb_chan_error e = { .err = err };

	struct chan_hdr h = { .magic = CHAN_MAGIC, .version = CHAN_VERSION, .type = P2PB_CHAN_ERROR, .len = sizeof(e) };

	/* no p2pb_fail here: the message being reported must survive a peer that is gone */
	snprintf(e.msg, sizeof(e.msg), "%s", msg);
	if (fd >= 0 && !xfer_all(fd, &h, sizeof(h), true, 1000000000ull))
		xfer_all(fd, &e, sizeof(e), true, 1000000000ull);
}

static int peer_error(int fd, const struct chan_hdr *h, uint64_t timeout_ns)
{
	struct p2pb_chan_error e;
	int err;

	if (h->len != sizeof(e))
		return p2pb_fail(-EPROTO, "the peer gave up (malformed error message)");
	if ((err = xfer_all(fd, &e, sizeof(e), false, timeout_ns)))
		return p2pb_fail(err, "the peer gave up");
	e.msg[sizeof(e.msg) - 1] = 0;
	return p2pb_fail(e.err < 0 ? e.err : -EPROTO, "peer: %s", e.msg);
}

int p2pb_chan_recv(int fd, enum p2pb_chan_msg type, void *buf, uint32_t len, uint64_t timeout_ns)
{
	struct chan_hdr h;
	int err = xfer_all(fd, &h, sizeof(h), false, timeout_ns);

	if (err == -EINTR)
		return err;
	if (err)
		return p2pb_fail(err, "the side channel to the peer: %s", err == -ECONNRESET ?
				 "the peer closed it" : err == -ETIMEDOUT ? "no answer" : strerror(-err));
	if (h.magic != CHAN_MAGIC || h.version != CHAN_VERSION)
		return p2pb_fail(-EPROTO, "the peer is not this version of p2pbench rdma");
	if (h.type == P2PB_CHAN_ERROR)
		return peer_error(fd, &h, timeout_ns);
	if (h.type != type || h.len != len)
		return p2pb_fail(-EPROTO, "the peer sent message %u of %u bytes, expected %u of %u", h.type, h.len,
				 type, len);
	if (len && (err = xfer_all(fd, buf, len, false, timeout_ns)))
		return p2pb_fail(err, "the side channel to the peer: %s", strerror(-err));
	return 0;
}

bool p2pb_chan_pending(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

void p2pb_chan_close(int fd)
{
	char buf[256];
	uint64_t end = p2pb_now_ns() + 1000000000ull;

	if (fd < 0)
		return;
	/* a graceful end: what the peer still sends is read, so the last message is not lost to a reset */
	shutdown(fd, SHUT_WR);
	while (p2pb_now_ns() < end && !wait_fd_as(fd, POLLIN, 100000000ull, false) &&
	       recv(fd, buf, sizeof(buf), 0) > 0)
		;
	close(fd);
}
