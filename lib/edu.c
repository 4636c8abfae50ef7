// SPDX-License-Identifier: GPL-2.0
/* QEMU's edu DMA engine from userspace, through the VFIO region of its BAR0 (lib/edu.h). */
#include "edu.h"
#include "clock.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <stdio.h>

#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_CNT		0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_RUN		0x1
#define EDU_DMA_TO_BUS		0x2
#define EDU_BUFFER_BASE		0x40000	/* the buffer's address in the engine's own space */
#define EDU_POLL_NS		1000000ull

bool p2pb_edu_is(const char *bdf)
{
	unsigned int vendor, device;

	return !p2pb_pci_ids(bdf, &vendor, &device) && vendor == P2PB_EDU_VENDOR && device == P2PB_EDU_DEVICE;
}

static int reg_write(struct p2pb_vfio_dev *d, uint32_t reg, uint64_t v)
{
	return p2pb_vfio_bar_write(d, 0, reg, &v, sizeof(v));
}

int p2pb_edu_dma_busy(struct p2pb_vfio_dev *d)
{
	uint64_t cmd;
	int err = p2pb_vfio_bar_read(d, 0, EDU_REG_DMA_CMD, &cmd, sizeof(cmd));

	return err ? err : !!(cmd & EDU_DMA_RUN);
}

int p2pb_edu_dma_start(struct p2pb_vfio_dev *d, uint32_t buf_off, uint64_t iova, uint32_t len,
		       enum p2pb_edu_dir dir)
{
	uint64_t inside = EDU_BUFFER_BASE + buf_off;
	int err;

	if (!len || buf_off + len > P2PB_EDU_DMA_MAX)
		return -EINVAL;	/* QEMU's edu aborts the whole machine on a range outside its buffer */
	if ((err = p2pb_edu_dma_busy(d)))
		return err < 0 ? err : -EBUSY;
	if ((err = reg_write(d, EDU_REG_DMA_SRC, dir == P2PB_EDU_TO_BUS ? inside : iova)) ||
	    (err = reg_write(d, EDU_REG_DMA_DST, dir == P2PB_EDU_TO_BUS ? iova : inside)) ||
	    (err = reg_write(d, EDU_REG_DMA_CNT, len)))
		return err;
	return reg_write(d, EDU_REG_DMA_CMD, EDU_DMA_RUN | (dir == P2PB_EDU_TO_BUS ? EDU_DMA_TO_BUS : 0));
}

int p2pb_edu_dma_wait(struct p2pb_vfio_dev *d, uint64_t timeout_ns)
{
	uint64_t deadline = p2pb_now_ns() + timeout_ns;
	uint16_t cmd;
	int busy;

	while ((busy = p2pb_edu_dma_busy(d)) == 1) {
		if (p2pb_now_ns() > deadline) {
			/* edu cannot abort a transfer: take its bus mastering away instead */
			if (!p2pb_vfio_cfg_read(d, PCI_COMMAND, &cmd, sizeof(cmd))) {
				cmd &= ~PCI_COMMAND_MASTER;
				p2pb_vfio_cfg_write(d, PCI_COMMAND, &cmd, sizeof(cmd));
			}
			return -ETIMEDOUT;
		}
		p2pb_sleep_ns(EDU_POLL_NS);
	}
	return busy;
}

int p2pb_edu_dma(struct p2pb_vfio_dev *d, uint32_t buf_off, uint64_t iova, uint32_t len, enum p2pb_edu_dir dir)
{
	int err = p2pb_edu_dma_start(d, buf_off, iova, len, dir);

	return err ? err : p2pb_edu_dma_wait(d, P2PB_EDU_TIMEOUT_NS);
}

void p2pb_edu_pattern(uint8_t *p, uint32_t len, const char *what, uint64_t seed)
{
	char word[64];
	int n = snprintf(word, sizeof(word), "p2pbench %s %016llx ", what, (unsigned long long)seed);
	uint32_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)word[i % n];
}
