/* Shared by the unit tests of the checks: the default symbol table (with
 * a check's own symbols), a one-attachment message, and one check run on
 * a hand-built message compared, as the string
 * "NAME=opt|opt NAME=..." in firing order, with what the case wants. */
#ifndef MG_TESTS_CHECK_FIXTURE_H
#define MG_TESTS_CHECK_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "core/conf.h"
#include "engine/check.h"
#include "engine/symbol.h"
#include "engine/task.h"
#include "mime/attach.h"

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

/* The symbol table of a configuration without an engine group. */
static inline void
default_symbols(struct symbol_table *st)
{
	struct mg_conf conf = { 0 };
	char err[256];

	conf_engine_defaults(&conf.engine);
	if (symbol_table_load(st, &conf, NULL, 0, err, sizeof(err)) != 0)
		fail_msg("default symbol table: %s", err);
}

/* The default table plus the symbols check c defines itself (its
 * .symbols hook, with state from its init or NULL). */
static inline void
check_symbols(struct symbol_table *st, const struct mg_check *c, void *state)
{
	struct mg_conf conf = { 0 };
	const struct symbol_def *defs = NULL;
	size_t n = 0;
	char err[256];

	conf_engine_defaults(&conf.engine);
	if (c->symbols != NULL)
		defs = c->symbols(state, &n);
	if (symbol_table_load(st, &conf, defs, n, err, sizeof(err)) != 0)
		fail_msg("symbol table of %s: %s", c->name, err);
}

/* A message whose only part under a multipart/mixed root is the
 * attachment name with body text (borrowed). */
struct one_attachment {
	struct mime_attachment att;
	struct mime_part p[2];
	struct mime_part *parts[2];
	struct mime_msg msg;
};

static inline struct mime_msg *
one_attachment(struct one_attachment *o, const char *name, const char *body)
{
	memset(o, 0, sizeof(*o));
	o->att.name = name;
	o->p[0] = (struct mime_part){ .type = "multipart", .subtype = "mixed" };
	o->p[1] = (struct mime_part){ .index = 1, .type = "application",
	    .subtype = "octet-stream", .filename = name, .is_attachment = true,
	    .att = &o->att, .body = mg_slice_make(body, strlen(body)) };
	o->parts[0] = &o->p[0];
	o->parts[1] = &o->p[1];
	o->msg = (struct mime_msg){ .root = &o->p[0], .parts = o->parts, .nparts = 2 };
	return &o->msg;
}

/* Runs check c on msg; fails case i unless the symbols are exactly want
 * and each has a default score. */
static inline void
expect_symbols(const struct mg_check *c, const struct symbol_table *st,
    struct mime_msg *msg, size_t i, const char *want)
{
	struct mg_task t;
	char got[2048];

	assert_int_equal(task_init(&t, st, (const uint8_t *)"", 0, NULL, 1 << 20), 0);
	t.msg = msg;
	assert_int_equal(c->scan(NULL, &t), 0);
	symbols_text(&t, got, sizeof(got));
	if (strcmp(got, want) != 0)
		fail_msg("case %zu: got \"%s\", want \"%s\"", i, got, want);
	for (size_t j = 0; j < t.nsymbols; j++)
		if (symbol_find(st, t.symbols[j].name) == NULL)
			fail_msg("case %zu: %s has no default score", i, t.symbols[j].name);
	task_clear(&t);
}

#endif
