/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_JSONQ_H
#define P2PB_JSONQ_H
#include <json-c/json.h>
#include <stddef.h>

/*
 * Reading documents back, defensively: a key of an unexpected type reads as
 * absent, never as a crash (json-c asserts on array calls on non-arrays).
 * PATH is dot-separated; a numeric token indexes an array ("findings.0").
 */
json_object *p2pb_jpath(json_object *o, const char *path);
/* The array or object at PATH, or NULL when it is something else. */
json_object *p2pb_jarr(json_object *o, const char *path);
json_object *p2pb_jobj(json_object *o, const char *path);
/* The string at PATH, or def. */
const char *p2pb_jstr(json_object *o, const char *path, const char *def);
/* The number at PATH, or NAN. */
double p2pb_jnum(json_object *o, const char *path);
/* Elements of an array, 0 for anything else (NULL included). */
size_t p2pb_jlen(json_object *arr);
/*
 * Writing: put @v (its reference is taken) at PATH in object @o, making the
 * objects on the way that are not there yet; an existing key is replaced.
 * A step through something that is not an object drops @v.
 */
void p2pb_jset(json_object *o, const char *path, json_object *v);
#endif
