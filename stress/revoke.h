/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_REVOKE_H
#define P2PB_REVOKE_H
int p2pb_cmd_revoke(int argc, char **argv);
int p2pb_cmd_check(int argc, char **argv);
#endif
