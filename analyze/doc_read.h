/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_DOC_READ_H
#define P2PB_DOC_READ_H
/* Reading one document into a result set: resultset.c's helper, nobody else's. */
#include <json-c/json.h>

#include "resultset.h"

/* The document @idx of @s (kind, path and host already set) read from @root: its cases and devices. */
void p2pb_doc_read(struct p2pb_rset *s, size_t idx, json_object *root);
/* What a case holds: its series and timeline. */
void p2pb_rcase_release(struct p2pb_rcase *c);
#endif
