/* Shared by the unit tests of the checks: the symbols a task collected, as
 * one comparable string "NAME=opt|opt NAME=..." in the order they fired. */
#ifndef MG_TESTS_CHECK_FIXTURE_H
#define MG_TESTS_CHECK_FIXTURE_H

#include <stdio.h>

#include "engine/task.h"

static inline void
symbols_text(const struct mg_task *t, char *out, size_t outlen)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < t->nsymbols && n < outlen; i++) {
		const struct task_symbol *s = &t->symbols[i];
		n += (size_t)snprintf(out + n, outlen - n, "%s%s", i ? " " : "", s->name);
		for (size_t j = 0; j < s->noptions && n < outlen; j++)
			n += (size_t)snprintf(out + n, outlen - n, "%c%s", j ? '|' : '=',
			    s->options[j]);
	}
}

#endif
