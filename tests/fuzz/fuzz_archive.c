/* libFuzzer target for attachment analysis: the input is an attachment's
 * bytes (seeds: archives of each kind made by real tools), walked with
 * tight limits so that a run stays fast. Whatever the input, the result
 * must keep the limits, list members within the depth, carry UTF-8 paths,
 * and show every member flag on the attachment. The input's start, as a
 * name, also goes through the name rules. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "mime/attach.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct attach_ctx *ctx;

/* True when s is valid UTF-8 (the paths promise it). */
static bool
utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, n;

	while (*p != '\0') {
		if (*p < 0x80)
			n = 0;
		else if (*p >= 0xc2 && *p <= 0xdf)
			n = 1;
		else if (*p >= 0xe0 && *p <= 0xef)
			n = 2;
		else if (*p >= 0xf0 && *p <= 0xf4)
			n = 3;
		else
			return false;
		for (i = 1; i <= n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		p += n + 1;
	}
	return true;
}

static void
check(const struct mime_attachment *att, const struct attach_limits *lim, size_t size)
{
	unsigned all = 0;
	size_t i;

	if (att == NULL || att->size != size || strlen(att->sha256) != 64 ||
	    att->real_type == NULL || att->nmembers > lim->max_members)
		abort();
	if (!(att->flags & ATT_F_BOMB) && att->expanded > lim->max_expanded)
		abort();
	for (i = 0; i < att->nmembers; i++) {
		const struct attach_member *m = &att->members[i];

		if (m->path == NULL || !utf8_valid(m->path) || m->depth < 1 ||
		    m->depth > lim->max_depth || (m->flags & ATT_F_NO_NAME) ||
		    ((m->flags & ATT_F_RTLO) != 0) != (m->visual_path != NULL))
			abort();
		all |= m->flags;
	}
	if ((att->flags & all) != all)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const passwords[] = { "infected", "secret" };
	struct attach_limits lim;
	struct mg_arena *a;
	char err[256], name[128];
	size_t n;

	if (ctx == NULL && (ctx = attach_ctx_new(err, sizeof(err))) == NULL) {
		fprintf(stderr, "attach_ctx_new: %s\n", err);
		abort();
	}
	attach_limits_default(&lim);
	lim.max_expanded = 16 * 1024 * 1024;
	lim.max_members = 1000;
	lim.passwords = passwords;	/* encrypted seeds use "secret": the retry path */
	lim.npasswords = sizeof(passwords) / sizeof(passwords[0]);
	if ((a = mg_arena_new(64 * 1024, 0)) == NULL)
		abort();
	check(attach_analyze(ctx, a, "fuzz.tar.gz", "application/octet-stream", data, size, &lim),
	    &lim, size);
	/* the first bytes as a file name */
	n = size < sizeof(name) - 1 ? size : sizeof(name) - 1;
	memcpy(name, data, n);
	name[n] = '\0';
	(void)attach_name_flags(name);
	if (attach_visual_name(a, name) == NULL)
		abort();
	mg_arena_free(a);
	return 0;
}
