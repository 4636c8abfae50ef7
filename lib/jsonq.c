// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "jsonq.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_object *p2pb_jpath(json_object *o, const char *path)
{
	char buf[160], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array) && isdigit((unsigned char)tok[0])) {
			size_t i = strtoul(tok, NULL, 10);

			o = i < json_object_array_length(o) ? json_object_array_get_idx(o, i) : NULL;
		} else if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, tok, &o)) {
			return NULL;
		}
	}
	return o;
}

json_object *p2pb_jarr(json_object *o, const char *path)
{
	json_object *v = path ? p2pb_jpath(o, path) : o;

	return json_object_is_type(v, json_type_array) ? v : NULL;
}

json_object *p2pb_jobj(json_object *o, const char *path)
{
	json_object *v = path ? p2pb_jpath(o, path) : o;

	return json_object_is_type(v, json_type_object) ? v : NULL;
}

const char *p2pb_jstr(json_object *o, const char *path, const char *def)
{
	json_object *v = p2pb_jpath(o, path);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : def;
}

double p2pb_jnum(json_object *o, const char *path)
{
	json_object *v = p2pb_jpath(o, path);

	if (!(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return NAN;
	return json_object_get_double(v);
}

size_t p2pb_jlen(json_object *arr)
{
	return json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
}

void p2pb_jset(json_object *o, const char *path, json_object *v)
{
	char buf[160], *tok, *next, *save = NULL;
	json_object *child;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok; tok = next) {
		next = strtok_r(NULL, ".", &save);
		if (!json_object_is_type(o, json_type_object))
			break;
		if (!next) {
			json_object_object_add(o, tok, v);
			return;
		}
		if (!json_object_object_get_ex(o, tok, &child)) {
			child = json_object_new_object();
			json_object_object_add(o, tok, child);
		}
		o = child;
	}
	json_object_put(v);
}
