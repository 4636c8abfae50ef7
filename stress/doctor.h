/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_DOCTOR_H
#define P2PB_DOCTOR_H
/* p2pbench doctor: what works on this machine, and why. */
int p2pb_cmd_doctor(int argc, char **argv);
#endif
