// SPDX-License-Identifier: GPL-2.0
/*
 * The NVMe side of the test importer (driver "p2pbench_nvme"). An NVMe
 * controller bound to this driver (driver_override "p2pbench_nvme", never one
 * the kernel nvme driver holds) is brought up by hand: admin queue, one
 * polled I/O queue pair, namespace 1. The importer's NVMe load (load.c)
 * claims the I/O queue and submits commands whose data pointers are a
 * dma-buf mapping's IOVAs (p2pb_nvme_submit(), p2pb_nvme_reap()).
 *
 * Self-test through sysfs: writing a block number N (4 KiB blocks) to the
 * device's "read_block" attribute reads that block into host memory; reading
 * the attribute returns its first 64 bytes.
 */
#define pr_fmt(fmt) "p2pbench_nvme: " fmt

#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "nvme.h"

/* Controller registers (NVMe base specification, "Controller Registers"). */
#define NVME_REG_CAP	0x00
#define NVME_REG_CC	0x14
#define NVME_REG_CSTS	0x1c
#define NVME_REG_AQA	0x24
#define NVME_REG_ASQ	0x28
#define NVME_REG_ACQ	0x30
#define NVME_REG_DBS	0x1000

#define CC_EN		BIT(0)
#define CC_IOSQES	(6 << 16)	/* 64-byte submission entries */
#define CC_IOCQES	(4 << 20)	/* 16-byte completion entries */
#define CSTS_RDY	BIT(0)
#define CSTS_CFS	BIT(1)

#define OPC_ADMIN_CREATE_SQ	0x01
#define OPC_ADMIN_CREATE_CQ	0x05
#define OPC_ADMIN_IDENTIFY	0x06
#define OPC_WRITE		0x01
#define OPC_READ		0x02

#define P2PB_NVME_ADMIN_QSIZE	16
#define P2PB_NVME_IO_QSIZE	(P2PB_NVME_MAX_QD + 1)
#define P2PB_NVME_PAGE		4096
#define P2PB_NVME_BLOCK		4096
#define P2PB_NVME_TIMEOUT_MS	5000

struct p2pb_nvme_sqe {
	u8 opc;
	u8 flags;
	__le16 cid;
	__le32 nsid;
	__le64 rsvd;
	__le64 mptr;
	__le64 prp1;
	__le64 prp2;
	__le32 cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

struct p2pb_nvme_cqe {
	__le32 result;
	__le32 rsvd;
	__le16 sq_head;
	__le16 sq_id;
	__le16 cid;
	__le16 status;		/* bit 0: phase */
};

struct p2pb_nvme_queue {
	struct p2pb_nvme_sqe *sq;
	struct p2pb_nvme_cqe *cq;
	dma_addr_t sq_dma, cq_dma;
	u16 qid, size, sq_tail, cq_head;
	u8 phase;
};

struct p2pb_nvme {
	struct pci_dev *pdev;
	void __iomem *bar;
	u32 db_stride;			/* bytes between doorbells */
	u32 lba_shift;			/* namespace 1's LBA size */
	unsigned int ready_ms;		/* CAP.TO: how long enable/disable may take */
	struct mutex lock;		/* one command at a time (polled) */
	struct p2pb_nvme_queue admin, io;
	void *buf;			/* one block of host memory */
	dma_addr_t buf_dma;
	__le64 *prp_lists;		/* a page of PRP entries per I/O queue slot */
	dma_addr_t prp_lists_dma;
	u64 capacity;			/* namespace 1, bytes */
	u32 max_io;			/* MDTS in bytes, capped at P2PB_NVME_MAX_IO */
	bool live;
	bool claimed;			/* under lock: a load owns the I/O queue */
};

static void p2pb_nvme_shutdown(struct p2pb_nvme *n);

/* CFS matters only when enabling: clearing CC.EN is how a failed controller is reset. */
static int p2pb_nvme_wait_ready(struct p2pb_nvme *n, bool ready)
{
	unsigned long end = jiffies + msecs_to_jiffies(n->ready_ms);
	u32 csts;

	for (;;) {
		csts = readl(n->bar + NVME_REG_CSTS);
		if (csts == ~0u || (ready && (csts & CSTS_CFS)))
			return -EIO;
		if (!!(csts & CSTS_RDY) == ready)
			return 0;
		if (time_after(jiffies, end))
			return -ETIMEDOUT;
		usleep_range(1000, 2000);
	}
}

static int p2pb_nvme_queue_alloc(struct p2pb_nvme *n, struct p2pb_nvme_queue *q, u16 qid,
				 u16 size)
{
	struct device *dev = &n->pdev->dev;

	q->qid = qid;
	q->size = size;
	q->phase = 1;
	q->sq = dma_alloc_coherent(dev, size * sizeof(*q->sq), &q->sq_dma, GFP_KERNEL);
	q->cq = dma_alloc_coherent(dev, size * sizeof(*q->cq), &q->cq_dma, GFP_KERNEL);
	return q->sq && q->cq ? 0 : -ENOMEM;
}

static void p2pb_nvme_queue_free(struct p2pb_nvme *n, struct p2pb_nvme_queue *q)
{
	struct device *dev = &n->pdev->dev;

	if (q->sq)
		dma_free_coherent(dev, q->size * sizeof(*q->sq), q->sq, q->sq_dma);
	if (q->cq)
		dma_free_coherent(dev, q->size * sizeof(*q->cq), q->cq, q->cq_dma);
	q->sq = NULL;
	q->cq = NULL;
}

/* Put @cmd at the tail of @q's SQ and ring its doorbell. */
static void p2pb_nvme_sq_push(struct p2pb_nvme *n, struct p2pb_nvme_queue *q,
			      const struct p2pb_nvme_sqe *cmd)
{
	q->sq[q->sq_tail] = *cmd;
	q->sq_tail = (q->sq_tail + 1) % q->size;
	/* the entry (and a PRP list) are in memory before the doorbell */
	writel(q->sq_tail, n->bar + NVME_REG_DBS + (2 * q->qid) * n->db_stride);
}

/* Consume the completion at the head of @q's CQ and tell the controller. */
static void p2pb_nvme_cq_advance(struct p2pb_nvme *n, struct p2pb_nvme_queue *q)
{
	q->cq_head = (q->cq_head + 1) % q->size;
	if (!q->cq_head)
		q->phase ^= 1;
	writel(q->cq_head, n->bar + NVME_REG_DBS + (2 * q->qid + 1) * n->db_stride);
}

/*
 * Submit one command on @q and poll for its completion. Caller holds
 * n->lock. Returns 0, -EIO with the status in *@status, or -ETIMEDOUT.
 */
static int p2pb_nvme_exec(struct p2pb_nvme *n, struct p2pb_nvme_queue *q, struct p2pb_nvme_sqe *cmd,
			  u16 *status)
{
	unsigned long end = jiffies + msecs_to_jiffies(P2PB_NVME_TIMEOUT_MS);
	struct p2pb_nvme_cqe *cqe;
	u16 st;

	lockdep_assert_held(&n->lock);
	if (!n->live && q != &n->admin)
		return -ENODEV;
	cmd->cid = cpu_to_le16(q->sq_tail);
	p2pb_nvme_sq_push(n, q, cmd);
	for (;;) {
		cqe = &q->cq[q->cq_head];
		st = le16_to_cpu(READ_ONCE(cqe->status));
		if ((st & 1) == q->phase)
			break;
		if (time_after(jiffies, end)) {
			/* a late completion would be taken for the next command's */
			n->live = false;
			pci_err(n->pdev, "command %#x timed out: the controller is no longer used\n", cmd->opc);
			return -ETIMEDOUT;
		}
		usleep_range(50, 100);
	}
	dma_rmb();
	if (cqe->cid != cmd->cid || le16_to_cpu(cqe->sq_id) != q->qid) {
		n->live = false;
		pci_err(n->pdev, "completion for cid %u of queue %u, expected cid %u of queue %u\n",
			le16_to_cpu(cqe->cid), le16_to_cpu(cqe->sq_id), le16_to_cpu(cmd->cid), q->qid);
		return -EIO;
	}
	p2pb_nvme_cq_advance(n, q);
	*status = st >> 1;
	return *status ? -EIO : 0;
}

static int p2pb_nvme_admin(struct p2pb_nvme *n, struct p2pb_nvme_sqe *cmd)
{
	u16 status = 0;
	int err = p2pb_nvme_exec(n, &n->admin, cmd, &status);

	if (err)
		pci_err(n->pdev, "admin command %#x failed: %d (status %#x)\n", cmd->opc, err, status);
	return err;
}

/* Disable, set up the admin queue, enable. */
static int p2pb_nvme_enable(struct p2pb_nvme *n)
{
	u64 cap = lo_hi_readq(n->bar + NVME_REG_CAP);
	int err;

	n->db_stride = 4 << ((cap >> 32) & 0xf);
	/* the last doorbell we ring (the I/O CQ's; n->io is set up before this) must be inside BAR0 */
	if (NVME_REG_DBS + (2 * n->io.qid + 2) * (u64)n->db_stride > pci_resource_len(n->pdev, 0)) {
		pci_err(n->pdev, "doorbell stride %u puts queue %u's doorbells past BAR0 (%llu bytes)\n",
			n->db_stride, n->io.qid, (u64)pci_resource_len(n->pdev, 0));
		return -EOPNOTSUPP;
	}
	n->ready_ms = max_t(unsigned int, ((cap >> 24) & 0xff) * 500, P2PB_NVME_TIMEOUT_MS);
	/* queues of 64, 4 KiB pages, the NVM command set */
	if ((cap & 0xffff) + 1 < P2PB_NVME_IO_QSIZE || ((cap >> 48) & 0xf) || !(cap & BIT_ULL(37)))
		return -EOPNOTSUPP;
	writel(0, n->bar + NVME_REG_CC);
	err = p2pb_nvme_wait_ready(n, false);
	if (err)
		return err;
	writel(((P2PB_NVME_ADMIN_QSIZE - 1) << 16) | (P2PB_NVME_ADMIN_QSIZE - 1),
	       n->bar + NVME_REG_AQA);
	lo_hi_writeq(n->admin.sq_dma, n->bar + NVME_REG_ASQ);
	lo_hi_writeq(n->admin.cq_dma, n->bar + NVME_REG_ACQ);
	writel(CC_EN | CC_IOSQES | CC_IOCQES, n->bar + NVME_REG_CC);
	return p2pb_nvme_wait_ready(n, true);
}

/* The controller's largest transfer (MDTS, in units of the 4 KiB minimum page). */
static int p2pb_nvme_identify_ctrl(struct p2pb_nvme *n)
{
	struct p2pb_nvme_sqe cmd = {};
	u8 mdts;
	int err;

	cmd.opc = OPC_ADMIN_IDENTIFY;
	cmd.prp1 = cpu_to_le64(n->buf_dma);
	cmd.cdw10 = cpu_to_le32(1);	/* CNS 1: the controller */
	err = p2pb_nvme_admin(n, &cmd);
	if (err)
		return err;
	mdts = ((u8 *)n->buf)[77];
	n->max_io = !mdts || mdts > 8 ? P2PB_NVME_MAX_IO : P2PB_NVME_PAGE << mdts;
	return 0;
}

/* Namespace 1's LBA size, then one polled I/O queue pair (qid 1). */
static int p2pb_nvme_setup_io(struct p2pb_nvme *n)
{
	struct p2pb_nvme_sqe cmd = {};
	u8 *id = n->buf, flbas;
	int err;

	err = p2pb_nvme_identify_ctrl(n);
	if (err)
		return err;
	cmd.opc = OPC_ADMIN_IDENTIFY;
	cmd.nsid = cpu_to_le32(1);
	cmd.prp1 = cpu_to_le64(n->buf_dma);
	cmd.cdw10 = cpu_to_le32(0);	/* CNS 0: the namespace */
	err = p2pb_nvme_admin(n, &cmd);
	if (err)
		return err;
	flbas = id[26] & 0xf;
	n->lba_shift = id[128 + 4 * flbas + 2];	/* LBAF[flbas].LBADS */
	/* no metadata (LBAF.MS): with it a 4 KiB read would need more than one PRP */
	if (n->lba_shift < 9 || n->lba_shift > 12 || id[128 + 4 * flbas] || id[128 + 4 * flbas + 1])
		return -EOPNOTSUPP;
	n->capacity = le64_to_cpup((__le64 *)id) << n->lba_shift;	/* NSZE */

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = OPC_ADMIN_CREATE_CQ;
	cmd.prp1 = cpu_to_le64(n->io.cq_dma);
	cmd.cdw10 = cpu_to_le32(((n->io.size - 1) << 16) | n->io.qid);
	cmd.cdw11 = cpu_to_le32(1);	/* physically contiguous, no interrupts */
	err = p2pb_nvme_admin(n, &cmd);
	if (err)
		return err;
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = OPC_ADMIN_CREATE_SQ;
	cmd.prp1 = cpu_to_le64(n->io.sq_dma);
	cmd.cdw10 = cpu_to_le32(((n->io.size - 1) << 16) | n->io.qid);
	cmd.cdw11 = cpu_to_le32((n->io.qid << 16) | 1);
	return p2pb_nvme_admin(n, &cmd);
}

/* Read 4 KiB block @block of namespace 1 into the host buffer. */
static int p2pb_nvme_read_block(struct p2pb_nvme *n, u64 block)
{
	struct p2pb_nvme_sqe cmd = {};
	u32 per_block = P2PB_NVME_BLOCK >> n->lba_shift;
	u16 status = 0;
	int err;

	if (block > U64_MAX / per_block)
		return -EINVAL;
	cmd.opc = OPC_READ;
	cmd.nsid = cpu_to_le32(1);
	cmd.prp1 = cpu_to_le64(n->buf_dma);
	cmd.cdw10 = cpu_to_le32(lower_32_bits(block * per_block));
	cmd.cdw11 = cpu_to_le32(upper_32_bits(block * per_block));
	cmd.cdw12 = cpu_to_le32(per_block - 1);
	err = p2pb_nvme_exec(n, &n->io, &cmd, &status);
	if (err)
		pci_err(n->pdev, "read of block %llu failed: %d (status %#x)\n", block, err, status);
	return err;
}

/**
 * p2pb_nvme_of - the controller behind @pdev
 * @pdev: a PCI function
 *
 * Return: the controller when @pdev is bound to p2pbench_nvme and up, else
 * NULL. The caller keeps it bound (device lock, or an attachment made as
 * @pdev: p2pb_nvme_remove() tears those down first).
 */
struct p2pb_nvme *p2pb_nvme_of(struct pci_dev *pdev)
{
	if (pdev->dev.driver != &p2pb_nvme_driver.driver)
		return NULL;
	return pci_get_drvdata(pdev);
}

/**
 * p2pb_nvme_claim - take the I/O queue for asynchronous commands
 * @n: the controller
 * @capacity: out: bytes of namespace 1
 * @max_io: out: the largest transfer the controller takes (MDTS), bytes
 *
 * Return: 0; -EBUSY when another load has it; -ENODEV when the controller
 * was retired.
 */
int p2pb_nvme_claim(struct p2pb_nvme *n, u64 *capacity, u32 *max_io)
{
	int err = 0;

	mutex_lock(&n->lock);
	if (!n->live)
		err = -ENODEV;
	else if (n->claimed)
		err = -EBUSY;
	else
		n->claimed = true;
	*capacity = n->capacity;
	*max_io = n->max_io;
	mutex_unlock(&n->lock);
	return err;
}

/**
 * p2pb_nvme_release - give the I/O queue back
 * @n: the controller
 *
 * Every submitted command must have been reaped, or the controller retired.
 */
void p2pb_nvme_release(struct p2pb_nvme *n)
{
	mutex_lock(&n->lock);
	n->claimed = false;
	mutex_unlock(&n->lock);
}

/**
 * p2pb_nvme_submit - submit one read or write on the claimed I/O queue
 * @n: the controller, claimed by the caller (the only submitter and reaper)
 * @slot: 0..P2PB_NVME_MAX_QD - 1, not in flight; it comes back as the
 *	completion's slot and names the PRP list page used
 * @write: data from @iova to the namespace; else from the namespace to @iova
 * @dev_off: byte offset in namespace 1, a multiple of 4 KiB
 * @iova: bus address of the data, 4 KiB aligned and contiguous for @len
 * @len: a multiple of 4 KiB, at most P2PB_NVME_MAX_IO
 *
 * The data pointer is PRP1 = @iova and, past the first page, PRP2 = the
 * second page or a PRP list of the following pages.
 *
 * Return: 0, -EINVAL for a misaligned request, -ENODEV once retired.
 */
int p2pb_nvme_submit(struct p2pb_nvme *n, u16 slot, bool write, u64 dev_off, dma_addr_t iova,
		     u32 len)
{
	u32 pages = len / P2PB_NVME_PAGE, nlb = len >> n->lba_shift, i;
	struct p2pb_nvme_sqe cmd = {};
	__le64 *list;

	if (!READ_ONCE(n->live))
		return -ENODEV;
	if (slot >= P2PB_NVME_MAX_QD || !len || len % P2PB_NVME_PAGE || len > P2PB_NVME_MAX_IO ||
	    iova % P2PB_NVME_PAGE || dev_off % P2PB_NVME_PAGE)
		return -EINVAL;
	cmd.opc = write ? OPC_WRITE : OPC_READ;
	cmd.cid = cpu_to_le16(slot);
	cmd.nsid = cpu_to_le32(1);
	cmd.prp1 = cpu_to_le64(iova);
	if (pages == 2) {
		cmd.prp2 = cpu_to_le64(iova + P2PB_NVME_PAGE);
	} else if (pages > 2) {
		list = n->prp_lists + slot * (P2PB_NVME_PAGE / sizeof(*list));
		for (i = 1; i < pages; i++)
			list[i - 1] = cpu_to_le64(iova + (u64)i * P2PB_NVME_PAGE);
		cmd.prp2 = cpu_to_le64(n->prp_lists_dma + (u64)slot * P2PB_NVME_PAGE);
	}
	cmd.cdw10 = cpu_to_le32(lower_32_bits(dev_off >> n->lba_shift));
	cmd.cdw11 = cpu_to_le32(upper_32_bits(dev_off >> n->lba_shift));
	cmd.cdw12 = cpu_to_le32(nlb - 1);
	p2pb_nvme_sq_push(n, &n->io, &cmd);
	return 0;
}

/**
 * p2pb_nvme_reap - collect completions of the claimed I/O queue
 * @n: the controller
 * @done: out: the completions
 * @max: capacity of @done
 *
 * Does not sleep, unless the controller answered with a slot it was not
 * given: it is then retired (which waits up to CAP.TO) and -EIO returned.
 * Return: the number of completions, or -EIO.
 */
int p2pb_nvme_reap(struct p2pb_nvme *n, struct p2pb_nvme_done *done, unsigned int max)
{
	struct p2pb_nvme_queue *q = &n->io;
	struct p2pb_nvme_cqe *cqe;
	unsigned int count = 0;
	u16 st, slot;

	while (count < max) {
		cqe = &q->cq[q->cq_head];
		st = le16_to_cpu(READ_ONCE(cqe->status));
		if ((st & 1) != q->phase)
			break;
		dma_rmb();
		slot = le16_to_cpu(cqe->cid);
		if (slot >= P2PB_NVME_MAX_QD || le16_to_cpu(cqe->sq_id) != q->qid) {
			p2pb_nvme_retire(n, "a completion for a command it was not given");
			return -EIO;
		}
		done[count].slot = slot;
		done[count].status = st >> 1;
		count++;
		p2pb_nvme_cq_advance(n, q);
	}
	return count;
}

/**
 * p2pb_nvme_retire - stop using a controller that misbehaved
 * @n: the controller
 * @why: for the log
 *
 * Disables it and takes bus mastering away (bounded by CAP.TO), so that a
 * command it still holds cannot move data any more; it is not used again
 * until rebound.
 */
void p2pb_nvme_retire(struct p2pb_nvme *n, const char *why)
{
	WRITE_ONCE(n->live, false);
	pci_err(n->pdev, "%s: the controller is stopped and no longer used\n", why);
	p2pb_nvme_shutdown(n);
}

static ssize_t read_block_store(struct device *dev, struct device_attribute *attr, const char *buf,
				size_t count)
{
	struct p2pb_nvme *n = dev_get_drvdata(dev);
	u64 block;
	int err;

	err = kstrtou64(buf, 0, &block);
	if (err)
		return err;
	mutex_lock(&n->lock);
	if (n->claimed)
		err = -EBUSY;	/* a load owns the I/O queue */
	else
		err = n->live ? p2pb_nvme_read_block(n, block) : -ENODEV;
	mutex_unlock(&n->lock);
	return err ? err : count;
}

static ssize_t read_block_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct p2pb_nvme *n = dev_get_drvdata(dev);
	ssize_t len;

	mutex_lock(&n->lock);
	len = sysfs_emit(buf, "%.64s\n", (const char *)n->buf);
	mutex_unlock(&n->lock);
	return len;
}
static DEVICE_ATTR_RW(read_block);

static struct attribute *p2pb_nvme_attrs[] = {
	&dev_attr_read_block.attr,
	NULL,
};
ATTRIBUTE_GROUPS(p2pb_nvme);

/*
 * Stop the controller's DMA before its queues and buffers go: disable it,
 * wait for it (bounded), and turn bus mastering off whatever the wait said.
 */
static void p2pb_nvme_shutdown(struct p2pb_nvme *n)
{
	writel(0, n->bar + NVME_REG_CC);
	p2pb_nvme_wait_ready(n, false);
	pci_clear_master(n->pdev);
}

static void p2pb_nvme_free(struct p2pb_nvme *n)
{
	if (n->buf)
		dma_free_coherent(&n->pdev->dev, P2PB_NVME_BLOCK, n->buf, n->buf_dma);
	if (n->prp_lists)
		dma_free_coherent(&n->pdev->dev, P2PB_NVME_IO_QSIZE * P2PB_NVME_PAGE, n->prp_lists,
				  n->prp_lists_dma);
	p2pb_nvme_queue_free(n, &n->io);
	p2pb_nvme_queue_free(n, &n->admin);
}

static int p2pb_nvme_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct p2pb_nvme *n;
	int err;

	n = devm_kzalloc(&pdev->dev, sizeof(*n), GFP_KERNEL);
	if (!n)
		return -ENOMEM;
	n->pdev = pdev;
	n->ready_ms = P2PB_NVME_TIMEOUT_MS;
	mutex_init(&n->lock);
	err = pcim_enable_device(pdev);
	if (err)
		return err;
	n->bar = pcim_iomap_region(pdev, 0, P2PB_NVME_DRIVER);
	if (IS_ERR(n->bar))
		return PTR_ERR(n->bar);
	err = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (err)
		return err;
	pci_set_master(pdev);
	n->buf = dma_alloc_coherent(&pdev->dev, P2PB_NVME_BLOCK, &n->buf_dma, GFP_KERNEL);
	n->prp_lists = dma_alloc_coherent(&pdev->dev, P2PB_NVME_IO_QSIZE * P2PB_NVME_PAGE,
					  &n->prp_lists_dma, GFP_KERNEL);
	err = n->buf && n->prp_lists ? 0 : -ENOMEM;
	if (!err)
		err = p2pb_nvme_queue_alloc(n, &n->admin, 0, P2PB_NVME_ADMIN_QSIZE);
	if (!err)
		err = p2pb_nvme_queue_alloc(n, &n->io, 1, P2PB_NVME_IO_QSIZE);
	if (!err)
		err = p2pb_nvme_enable(n);
	mutex_lock(&n->lock);
	if (!err)
		err = p2pb_nvme_setup_io(n);
	n->live = !err;
	mutex_unlock(&n->lock);
	if (err) {
		p2pb_nvme_shutdown(n);
		p2pb_nvme_free(n);
		mutex_destroy(&n->lock);
		pci_err(pdev, "controller bring-up failed: %d\n", err);
		return err;
	}
	pci_set_drvdata(pdev, n);
	pci_info(pdev, "controller up: admin queue, one I/O queue pair, %u-byte LBAs, %u KiB per command\n",
		 1u << n->lba_shift, n->max_io / 1024);
	return 0;
}

/*
 * Tear down the attachments made as the controller first (their loads stop
 * and give the I/O queue back), then stop the controller before its queues
 * and buffers go: it does no DMA after this.
 */
static void p2pb_nvme_remove(struct pci_dev *pdev)
{
	struct p2pb_nvme *n = pci_get_drvdata(pdev);

	p2pb_teardown_as(pdev);
	mutex_lock(&n->lock);
	n->live = false;
	mutex_unlock(&n->lock);
	p2pb_nvme_shutdown(n);
	p2pb_nvme_free(n);
	mutex_destroy(&n->lock);
}

/* No id table: a controller is ours only through driver_override. */
struct pci_driver p2pb_nvme_driver = {
	.name = P2PB_NVME_DRIVER,
	.probe = p2pb_nvme_probe,
	.remove = p2pb_nvme_remove,
	.dev_groups = p2pb_nvme_groups,
};
