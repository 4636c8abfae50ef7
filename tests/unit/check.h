/* SPDX-License-Identifier: GPL-2.0 */
/* A tiny harness for the unit tests: KTAP lines, non-zero exit on failure. */
#ifndef P2PB_TEST_CHECK_H
#define P2PB_TEST_CHECK_H
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int t_failed, t_n;

#define CHECK(cond)                                                                      \
	do {                                                                             \
		t_n++;                                                                   \
		if (cond) {                                                              \
			printf("ok %d %s\n", t_n, #cond);                                \
		} else {                                                                 \
			printf("not ok %d %s (%s:%d)\n", t_n, #cond, __FILE__, __LINE__); \
			t_failed++;                                                      \
		}                                                                        \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                                     \
	do {                                                                                   \
		uint64_t _a = (uint64_t)(a), _b = (uint64_t)(b);                               \
		t_n++;                                                                         \
		if (_a == _b) {                                                                \
			printf("ok %d %s == %s\n", t_n, #a, #b);                               \
		} else {                                                                       \
			printf("not ok %d %s == %s: %" PRIu64 " != %" PRIu64 " (%s:%d)\n", t_n, #a, \
			       #b, _a, _b, __FILE__, __LINE__);                                \
			t_failed++;                                                            \
		}                                                                              \
	} while (0)

#define CHECK_STR(a, b) CHECK(strcmp((a), (b)) == 0)

static inline int check_done(void)
{
	printf("1..%d\n# %d passed, %d failed\n", t_n, t_n - t_failed, t_failed);
	return t_failed ? 1 : 0;
}
#endif
