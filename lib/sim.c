// SPDX-License-Identifier: GPL-2.0
/* The sim exporter: vfio-pci's revoke rules in-process (see sim.h). */
#define _GNU_SOURCE
#include "sim.h"
#include "clock.h"
#include "error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int p2pb_sim_open(struct p2pb_sim_dev **out, const char *name)
{
	const char *fault = strchr(name, ':');
	struct p2pb_sim_dev *d;

	if (strncmp(name, "sim", 3) || (name[3] && name[3] != ':'))
		return p2pb_fail(-EINVAL, "'%s' is not a sim device (sim, sim:no-wait, sim:map-while-revoked)", name);
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	pthread_mutex_init(&d->lock, NULL);
	if (fault && !strcmp(fault + 1, "no-wait"))
		d->fault = P2PB_SIM_NO_WAIT;
	else if (fault && !strcmp(fault + 1, "map-while-revoked"))
		d->fault = P2PB_SIM_MAP_WHILE_REVOKED;
	else if (fault) {
		free(d);
		return p2pb_fail(-EINVAL, "unknown sim fault '%s' (no-wait, map-while-revoked)", fault + 1);
	}
	*out = d;
	return 0;
}

void p2pb_sim_close(struct p2pb_sim_dev *d)
{
	unsigned int i;

	if (!d)
		return;
	p2pb_sim_revoke(d);	/* as vfio-pci's close: revoked for good */
	for (i = 0; i < d->n_bufs; i++)
		if (d->bufs[i])
			d->bufs[i]->dev = NULL;
	pthread_mutex_destroy(&d->lock);
	free(d);
}

void p2pb_sim_lock(struct p2pb_sim_dev *d)
{
	pthread_mutex_lock(&d->lock);
}

void p2pb_sim_unlock(struct p2pb_sim_dev *d)
{
	pthread_mutex_unlock(&d->lock);
}

struct p2pb_sim_buf *p2pb_sim_export(struct p2pb_sim_dev *d)
{
	struct p2pb_sim_buf *b;

	if (d->n_bufs == sizeof(d->bufs) / sizeof(d->bufs[0]) || !(b = calloc(1, sizeof(*b))))
		return NULL;
	p2pb_sim_lock(d);
	b->dev = d;
	b->revoked = d->revoked;
	d->bufs[d->n_bufs++] = b;
	p2pb_sim_unlock(d);
	return b;
}

/* The buffer outlives its device (a dma-buf outlives the device fd): revoked for good. */
void p2pb_sim_unexport(struct p2pb_sim_buf *b)
{
	struct p2pb_sim_dev *d = b->dev;
	unsigned int i;

	if (d) {
		p2pb_sim_lock(d);
		for (i = 0; i < d->n_bufs; i++)
			if (d->bufs[i] == b)
				d->bufs[i] = d->bufs[--d->n_bufs];
		p2pb_sim_unlock(d);
	}
	free(b);
}

int p2pb_sim_attach(struct p2pb_sim_buf *b, const struct p2pb_sim_importer *imp, void *priv,
		    struct p2pb_sim_att **out)
{
	struct p2pb_sim_att *a;

	if (b->n_atts == P2PB_SIM_MAX_ATTS || !(a = calloc(1, sizeof(*a))))
		return -ENOMEM;
	a->buf = b;
	a->imp = imp;
	a->priv = priv;
	if (b->dev)
		p2pb_sim_lock(b->dev);
	b->atts[b->n_atts++] = a;
	if (b->dev)
		p2pb_sim_unlock(b->dev);
	*out = a;
	return 0;
}

void p2pb_sim_detach(struct p2pb_sim_att *a)
{
	struct p2pb_sim_buf *b = a->buf;
	unsigned int i;

	if (b->dev)
		p2pb_sim_lock(b->dev);
	for (i = 0; i < b->n_atts; i++)
		if (b->atts[i] == a)
			b->atts[i] = b->atts[--b->n_atts];
	if (b->dev)
		p2pb_sim_unlock(b->dev);
	free(a);
}

int p2pb_sim_map(struct p2pb_sim_att *a)
{
	struct p2pb_sim_dev *d = a->buf->dev;
	int err = 0;

	if (!d)
		return -ENODEV;	/* the device is gone: revoked for good */
	p2pb_sim_lock(d);
	if (a->buf->revoked && d->fault != P2PB_SIM_MAP_WHILE_REVOKED)
		err = -ENODEV;
	else
		a->mapped = true;
	p2pb_sim_unlock(d);
	return err;
}

void p2pb_sim_unmap_locked(struct p2pb_sim_att *a)
{
	a->mapped = false;
}

void p2pb_sim_unmap(struct p2pb_sim_att *a)
{
	struct p2pb_sim_dev *d = a->buf->dev;

	if (d)
		p2pb_sim_lock(d);
	p2pb_sim_unmap_locked(a);
	if (d)
		p2pb_sim_unlock(d);
}

static unsigned int poll_locked(struct p2pb_sim_dev *d)
{
	uint64_t now = p2pb_now_ns();
	unsigned int i, k, live = 0;

	for (i = 0; i < d->n_bufs; i++)
		for (k = 0; k < d->bufs[i]->n_atts; k++) {
			struct p2pb_sim_att *a = d->bufs[i]->atts[k];

			if (a->mapped && a->imp->poll)
				a->imp->poll(a->priv, now);
			live += a->mapped;
		}
	return live;
}

unsigned int p2pb_sim_poll(struct p2pb_sim_dev *d)
{
	unsigned int live;

	p2pb_sim_lock(d);
	live = poll_locked(d);
	p2pb_sim_unlock(d);
	return live;
}

static void move_locked(struct p2pb_sim_dev *d, bool revoked)
{
	unsigned int i, k;

	d->revoked = revoked;
	for (i = 0; i < d->n_bufs; i++) {
		d->bufs[i]->revoked = revoked;
		for (k = 0; k < d->bufs[i]->n_atts; k++) {
			struct p2pb_sim_att *a = d->bufs[i]->atts[k];

			a->imp->invalidate(a->priv, a->mapped);
		}
	}
}

/* As vfio_pci_dma_buf_move(true): invalidate everyone, then wait until all unmapped. */
int p2pb_sim_revoke(struct p2pb_sim_dev *d)
{
	p2pb_sim_lock(d);
	move_locked(d, true);
	while (d->fault != P2PB_SIM_NO_WAIT && poll_locked(d)) {
		p2pb_sim_unlock(d);
		p2pb_sleep_ns(200000);
		p2pb_sim_lock(d);
	}
	p2pb_sim_unlock(d);
	return 0;
}

int p2pb_sim_unrevoke(struct p2pb_sim_dev *d)
{
	p2pb_sim_lock(d);
	move_locked(d, false);
	p2pb_sim_unlock(d);
	return 0;
}
