/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_CLOCK_H
#define P2PB_CLOCK_H
#include <stdint.h>
#include <time.h>

/*
 * CLOCK_MONOTONIC in ns: the clock ktime_get_ns() and the trace ring use, so
 * userspace and kernel timestamps compare without conversion.
 */
static inline uint64_t p2pb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void p2pb_sleep_ns(uint64_t ns);
#endif
