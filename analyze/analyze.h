/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_ANALYZE_H
#define P2PB_ANALYZE_H
/* Commands that read results back: compare, report, run. */
int p2pb_cmd_compare(int argc, char **argv);
int p2pb_cmd_report(int argc, char **argv);
#endif
