/* One message being scanned: arenas, symbols and deadlines (task.h). */
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/err.h"
#include "engine/task.h"
#include "mime/analyze.h"
#include "mime/url.h"

#define TASK_ARENA_CHUNK	(64 * 1024)
#define TASK_SYM_CHUNK		(8 * 1024)
#define TASK_HEADERS_MAX	(64 * 1024)	/* fields the checks add */

uint64_t
task_now(void)
{
	return mg_clock_ns();
}

int
task_init(struct mg_task *t, const struct symbol_table *symtab, const uint8_t *msg,
    size_t len, const struct mg_envelope *env, size_t arena_max)
{
	memset(t, 0, sizeof(*t));
	t->raw = msg;
	t->len = len;
	t->env = env;
	t->symtab = symtab;
	t->task_deadline = t->check_deadline = UINT64_MAX;
	mg_buf_init(&t->headers, TASK_HEADERS_MAX);
	if ((t->arena = mg_arena_new(TASK_ARENA_CHUNK, arena_max)) == NULL ||
	    (t->sym_arena = mg_arena_new(TASK_SYM_CHUNK, 0)) == NULL) {
		task_clear(t);
		return -MG_ENOMEM;
	}
	return 0;
}

void
task_clear(struct mg_task *t)
{
	t->arena = mg_arena_free(t->arena);
	t->sym_arena = mg_arena_free(t->sym_arena);
	mg_buf_release(&t->headers);
	t->symbols = NULL;
	t->nsymbols = 0;
	t->msg = NULL;
}

const struct task_symbol *
mg_task_symbol_get(const struct mg_task *t, const char *name)
{
	for (size_t i = 0; i < t->nsymbols; i++)
		if (strcmp(t->symbols[i].name, name) == 0)
			return &t->symbols[i];
	return NULL;
}

/* A new symbol at the end of the array, which grows by doubling (the old
 * copy stays in the arena: at most as much again). */
static struct task_symbol *
task_symbol_new(struct mg_task *t, const char *name)
{
	const struct symbol_def *d = symbol_find(t->symtab, name);
	struct task_symbol *s;
	size_t n = t->nsymbols;

	if (n == TASK_MAX_SYMBOLS)
		return NULL;
	if (n == 0 || (n >= 8 && (n & (n - 1)) == 0)) {
		size_t cap = n == 0 ? 8 : n * 2;
		struct task_symbol *a = mg_arena_alloc(t->sym_arena, cap * sizeof(*a));
		if (a == NULL)
			return NULL;
		if (n)
			memcpy(a, t->symbols, n * sizeof(*a));
		t->symbols = a;
	}
	s = &t->symbols[t->nsymbols];
	memset(s, 0, sizeof(*s));
	if ((s->name = mg_arena_strndup(t->sym_arena, name, strlen(name))) == NULL)
		return NULL;
	if (d != NULL) {
		s->score = d->score;
		s->category = d->category;
		s->force = d->force;
	}
	t->nsymbols++;
	return s;
}

static int
task_symbol_option(struct mg_task *t, struct task_symbol *s, const char *option)
{
	size_t len = strlen(option);

	if (len > TASK_MAX_OPTION_LEN) {
		len = TASK_MAX_OPTION_LEN;
		while (len > 0 && ((unsigned char)option[len] & 0xc0) == 0x80)
			len--;
	}
	for (size_t i = 0; i < s->noptions; i++)
		if (strncmp(s->options[i], option, len) == 0 && s->options[i][len] == '\0')
			return 0;
	if (s->noptions == TASK_MAX_OPTIONS)
		return 0;
	if ((s->options[s->noptions] = mg_arena_strndup(t->sym_arena, option, len)) == NULL)
		return -MG_ENOMEM;
	s->noptions++;
	return 0;
}

/* Records what the symbol is about: a part once, or the message. */
static void
task_symbol_about(struct task_symbol *s, const struct mime_part *part)
{
	if (part == NULL) {
		s->about_message = true;
		return;
	}
	for (size_t i = 0; i < s->nparts; i++)
		if (s->parts[i] == part)
			return;
	if (s->nparts == TASK_MAX_PARTS)
		s->about_message = true;	/* not every part is known: never stripped */
	else
		s->parts[s->nparts++] = part;
}

int
mg_task_add_url(struct mg_task *t, const struct mime_url *u)
{
	struct mime_msg *m = t->msg;
	struct mime_url *v;

	for (size_t i = 0; i < m->nurls; i++)
		if (strcmp(m->urls[i].url, u->url) == 0)
			return 0;
	if (m->nurls >= ANALYZE_MAX_URLS)
		return -MG_ELIMIT;
	/* few URLs come this way: a new array each time */
	if ((v = mg_arena_alloc(t->arena, (m->nurls + 1) * sizeof(*v))) == NULL)
		return -MG_ENOMEM;
	if (m->nurls > 0)
		memcpy(v, m->urls, m->nurls * sizeof(*v));
	v[m->nurls] = *u;
	m->urls = v;
	m->nurls++;
	return 0;
}

int
mg_task_symbol_part(struct mg_task *t, const char *name, const char *option,
    const struct mime_part *part)
{
	struct task_symbol *s = (struct task_symbol *)mg_task_symbol_get(t, name);

	if (s == NULL && (s = task_symbol_new(t, name)) == NULL)
		return t->nsymbols == TASK_MAX_SYMBOLS ? -MG_ELIMIT : -MG_ENOMEM;
	task_symbol_about(s, part);
	return option != NULL ? task_symbol_option(t, s, option) : 0;
}

int
mg_task_symbol(struct mg_task *t, const char *name, const char *option)
{
	return mg_task_symbol_part(t, name, option, NULL);
}

int
mg_task_symbol_scaled(struct mg_task *t, const char *name, double factor, const char *option)
{
	bool fresh = mg_task_symbol_get(t, name) == NULL;
	int rc = mg_task_symbol(t, name, option);

	if (rc == 0 && fresh)
		t->symbols[t->nsymbols - 1].score *= factor;
	return rc;
}

int
mg_task_header(struct mg_task *t, const char *name, const char *value)
{
	size_t mark = t->headers.len;
	int rc = mg_buf_appendf(&t->headers, "%s: %s\r\n", name, value);

	if (rc < 0)
		t->headers.len = mark;
	return rc;
}

int
mg_task_tempfail(struct mg_task *t, const char *reply)
{
	t->tempfail = reply;
	return 0;
}

int
mg_task_forged_ar(struct mg_task *t, const uint8_t *field)
{
	if (field < t->raw || field >= t->raw + t->len)
		return -MG_EINVAL;
	if (t->nforged_ar < MG_FORGED_AR_MAX)
		t->forged_ar[t->nforged_ar++] = (uint64_t)(field - t->raw);
	return 0;
}

int
mg_task_dns(struct mg_task *t, struct dns_lookup *q, size_t n)
{
	if (t->dns == NULL)
		return -MG_ENOENT;
	return t->dns->resolve(t->dns->ctx, q, n, t->check_deadline, t->arena);
}

bool
mg_task_expired(const struct mg_task *t)
{
	return task_now() >= t->check_deadline;
}
