// SPDX-License-Identifier: GPL-2.0
/* The pure half of the RDMA generator: parsing, data patterns, completion classes. */
#define _GNU_SOURCE
#include "params.h"

#include "error.h"
#include "units.h"

#include <errno.h>
#include <infiniband/verbs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const p2pb_rdma_op_names[] = { "write", "read", "send", NULL };
const char *const p2pb_rdma_mode_names[] = { "bw", "lat", NULL };

const char *p2pb_rdma_op_name(enum p2pb_rdma_op op)
{
	return op < P2PB_RDMA_N_OPS ? p2pb_rdma_op_names[op] : "?";
}

static int range_key(struct p2pb_rdma_mem_spec *m, char *kv)
{
	char *val = strchr(kv, '=');
	uint64_t v;

	if (!val)
		return p2pb_fail(-EINVAL, "'%s' is not KEY=VALUE (bar=, offset=, len=)", kv);
	*val++ = 0;
	if (!strcmp(kv, "bar")) {
		if (p2pb_parse_u64(val, &v) || v > 5)
			return p2pb_fail(-EINVAL, "bar must be 0-5");
		m->bar = (uint32_t)v;
	} else if (!strcmp(kv, "offset") || !strcmp(kv, "len")) {
		if (p2pb_parse_size(val, &v) || (v & 4095))
			return p2pb_fail(-EINVAL, "%s must be a multiple of 4 KiB", kv);
		*(!strcmp(kv, "offset") ? &m->offset : &m->length) = v;
	} else {
		return p2pb_fail(-EINVAL, "unknown key '%s' (bar=, offset=, len=)", kv);
	}
	return 0;
}

/* A back-end with BARs: "DEV[,bar=N][,offset=SIZE][,len=SIZE]", DEV naming the PCI function. */
static int parse_range(struct p2pb_rdma_mem_spec *m)
{
	char *keys = strchr(m->dev, ','), *save = NULL, *tok;
	const char *bdf;
	int err;

	if (keys)
		*keys++ = 0;
	bdf = p2pb_exporter_function(m->dev);
	if (!bdf || !bdf[0] || strlen(bdf) >= sizeof(m->bdf) || strchr(bdf, '='))
		return p2pb_fail(-EINVAL, "give the exporter's PCI address, vfio:BDF[,bar=N]");
	snprintf(m->bdf, sizeof(m->bdf), "%s", bdf);
	for (tok = keys ? strtok_r(keys, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save))
		if ((err = range_key(m, tok)))
			return err;
	return 0;
}

int p2pb_rdma_mem_parse(const char *s, struct p2pb_rdma_mem_spec *m)
{
	memset(m, 0, sizeof(*m));
	m->bar = 2;
	if (strlen(s) >= sizeof(m->text))
		return p2pb_fail(-EINVAL, "at most %zu characters", sizeof(m->text) - 1);
	snprintf(m->text, sizeof(m->text), "%s", s);
	snprintf(m->dev, sizeof(m->dev), "%s", s);
	m->kind = p2pb_exporter_find(s);
	/* a NIC registers a dma-buf or memory mapped here */
	if (!m->kind || !(m->kind->dmabuf || m->kind->cpu_mapped))
		return p2pb_fail(-EINVAL, "unknown memory '%s' (host, udmabuf, heap[:NAME], vfio:BDF[,bar=N,offset=,len=])", s);
	if (m->kind->bar_size)
		return parse_range(m);
	if (m->kind->check && m->kind->check(m->dev))
		return -EINVAL;	/* the back-end said why; the command names the option */
	return 0;
}

int p2pb_rdma_sizes_parse(const char *s, uint64_t *sizes, unsigned int *n)
{
	char buf[512], *save = NULL, *tok;

	*n = 0;
	if (strlen(s) >= sizeof(buf))
		return p2pb_fail(-EINVAL, "too many sizes");
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n == P2PB_RDMA_MAX_SIZES)
			return p2pb_fail(-EINVAL, "at most %d sizes", P2PB_RDMA_MAX_SIZES);
		if (p2pb_parse_size(tok, &sizes[*n]) || !sizes[*n] || sizes[*n] > P2PB_RDMA_MAX_MSG)
			return p2pb_fail(-EINVAL, "size '%s' is not 1 B to 1 GiB (e.g. 64k)", tok);
		(*n)++;
	}
	if (!*n)
		return p2pb_fail(-EINVAL, "no size given");
	return 0;
}

void p2pb_rdma_sizes_all(uint64_t *sizes, unsigned int *n)
{
	uint64_t s;

	*n = 0;
	for (s = 2; s <= (8u << 20); s <<= 1)
		sizes[(*n)++] = s;
}

/* splitmix64's finaliser: cheap, and every input bit reaches every output bit */
static uint64_t mix(uint64_t x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

uint64_t p2pb_rdma_pattern_word(uint64_t seed, unsigned int side, unsigned int qp, uint64_t size, uint64_t k)
{
	uint64_t key = mix(seed ^ ((uint64_t)side << 62) ^ ((uint64_t)qp << 48) ^ (size * 0x9e3779b97f4a7c15ull));

	return mix(key + k);
}

static uint8_t pattern_byte(uint64_t seed, unsigned int side, unsigned int qp, uint64_t size, uint64_t i,
			    uint64_t *word_k, uint64_t *word)
{
	if (*word_k != i / 8) {
		*word_k = i / 8;
		*word = p2pb_rdma_pattern_word(seed, side, qp, size, *word_k);
	}
	return (uint8_t)(*word >> (8 * (i % 8)));
}

void p2pb_rdma_pattern_fill(uint64_t seed, unsigned int side, unsigned int qp, uint64_t size, void *buf,
			    uint64_t at, size_t len)
{
	uint64_t word_k = UINT64_MAX, word = 0;
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pattern_byte(seed, side, qp, size, at + i, &word_k, &word);
}

uint64_t p2pb_rdma_pattern_check(uint64_t seed, unsigned int side, unsigned int qp, uint64_t size,
				 const void *buf, uint64_t at, size_t len)
{
	uint64_t word_k = UINT64_MAX, word = 0, bad = 0;
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		bad += p[i] != pattern_byte(seed, side, qp, size, at + i, &word_k, &word);
	return bad;
}

enum p2pb_rdma_wc_class p2pb_rdma_wc_classify(int ibv_wc_status)
{
	switch (ibv_wc_status) {
	case IBV_WC_SUCCESS:
		return P2PB_WC_OK;
	case IBV_WC_WR_FLUSH_ERR:
		return P2PB_WC_FLUSH;
	case IBV_WC_LOC_PROT_ERR:
	case IBV_WC_LOC_ACCESS_ERR:
	case IBV_WC_REM_ACCESS_ERR:
	case IBV_WC_MW_BIND_ERR:
		return P2PB_WC_MEMORY;
	case IBV_WC_REM_OP_ERR:
	case IBV_WC_REM_ABORT_ERR:
		return P2PB_WC_REMOTE;
	case IBV_WC_RETRY_EXC_ERR:
	case IBV_WC_RNR_RETRY_EXC_ERR:
	case IBV_WC_RESP_TIMEOUT_ERR:
	case IBV_WC_BAD_RESP_ERR:
		return P2PB_WC_TRANSPORT;
	case IBV_WC_LOC_LEN_ERR:
	case IBV_WC_LOC_QP_OP_ERR:
	case IBV_WC_LOC_EEC_OP_ERR:
	case IBV_WC_REM_INV_REQ_ERR:
	case IBV_WC_REM_INV_RD_REQ_ERR:
	case IBV_WC_LOC_RDD_VIOL_ERR:
	case IBV_WC_INV_EECN_ERR:
	case IBV_WC_INV_EEC_STATE_ERR:
	case IBV_WC_TM_ERR:
	case IBV_WC_TM_RNDV_INCOMPLETE:
		return P2PB_WC_REQUEST;
	default:
		return P2PB_WC_FATAL;
	}
}

const char *p2pb_rdma_wc_class_name(enum p2pb_rdma_wc_class c)
{
	static const char *const names[P2PB_WC_N_CLASSES] = {
		"ok", "flush", "memory", "remote", "transport", "request", "fatal",
	};

	return c < P2PB_WC_N_CLASSES ? names[c] : "?";
}
