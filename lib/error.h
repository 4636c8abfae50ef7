/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_ERROR_H
#define P2PB_ERROR_H

/*
 * One error message per failure, set where the cause is known (which file,
 * which BDF, what to do) and printed once by the tool that gives up. The
 * message is per thread.
 */
__attribute__((format(printf, 2, 3)))
int p2pb_fail(int err, const char *fmt, ...);	/* sets the message, returns err */
const char *p2pb_error(void);
void p2pb_clear_error(void);
/* A message was set since the last p2pb_clear_error(). */
#include <stdbool.h>
bool p2pb_has_error(void);
#endif
