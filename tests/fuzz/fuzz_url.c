/* libFuzzer target for URL extraction and normalisation. The first byte
 * gives the flags passed to url_normalize for the rest taken as one URL
 * (bit 0: SCHEMELESS, bit 1: FROM_HTML, bit 2: OBFUSCATED);
 * then every candidate url_extract_text finds in the rest is normalised
 * too. A normalised URL must be printable ASCII holding its scheme, host
 * and path, with the domain a suffix of the host, and must normalise again
 * to itself (idempotence) with nothing left to undo; a set of them must
 * count every add. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "mime/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_URLS	64

struct fuzz_ctx {
	struct mg_arena	*arena;
	struct url_set	*set;
	const char	*text;
	size_t		 len;
	unsigned	 added;		/* url_set_add calls that returned 0 */
};

static void
check_shape(const struct mime_url *u)
{
	size_t i, sl = strlen(u->scheme), hl = strlen(u->host), dl = strlen(u->domain);

	if (strlen(u->url) > URL_MAX_LEN || strncmp(u->url, u->scheme, sl) != 0 ||
	    u->url[sl] != ':' || dl > hl || strcmp(u->host + hl - dl, u->domain) != 0 ||
	    (hl > 0 && strstr(u->url, u->host) == NULL) || strstr(u->url, u->path) == NULL ||
	    u->count != 1)
		abort();
	for (i = 0; u->url[i] != '\0'; i++)
		if (u->url[i] <= 0x20 || u->url[i] >= 0x7f)
			abort();
	for (i = 0; i < hl && !(u->flags & URL_F_BAD_HOST); i++)	/* bad: %XX */
		if (u->host[i] >= 'A' && u->host[i] <= 'Z')
			abort();
}

/* Normalises raw; the url must normalise to the same parts. */
static void
check_one(struct fuzz_ctx *c, const char *raw, size_t len, unsigned flags)
{
	const unsigned undone = URL_F_OBFUSCATED | URL_F_USERINFO | URL_F_NUMERIC_IP |
	    URL_F_SCHEMELESS | URL_F_TRUNCATED;
	struct mime_url u, v;
	int rc;

	if ((rc = url_normalize(c->arena, raw, len, flags, &u)) == -MG_EINVAL)
		return;
	if (rc != 0)
		abort();
	check_shape(&u);
	if (url_normalize(c->arena, u.url, strlen(u.url), 0, &v) != 0 ||
	    strcmp(u.url, v.url) != 0 || strcmp(u.host, v.host) != 0 ||
	    strcmp(u.host_unicode, v.host_unicode) != 0 || strcmp(u.domain, v.domain) != 0 ||
	    strcmp(u.path, v.path) != 0 || u.port != v.port || (v.flags & undone) != 0 ||
	    (u.flags & URL_F_BAD_HOST) != (v.flags & URL_F_BAD_HOST))
		abort();
	rc = url_set_add(c->set, raw, len, flags);
	if (rc == 0)
		c->added++;
	else if (rc != -MG_ELIMIT)
		abort();
}

static int
on_candidate(const char *raw, size_t len, unsigned flags, void *arg)
{
	struct fuzz_ctx *c = arg;

	if (raw < c->text || raw + len > c->text + c->len || len == 0 ||
	    !(flags & URL_F_FROM_TEXT))
		abort();
	check_one(c, raw, len, flags);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_ctx c = { 0 };
	struct mime_url *items;
	size_t n, i;
	unsigned total = 0;
	int rc;

	if (size == 0)
		return 0;
	if ((c.arena = mg_arena_new(64 * 1024, 0)) == NULL ||
	    (c.set = url_set_new(c.arena, FUZZ_MAX_URLS)) == NULL)
		abort();
	c.text = (const char *)data + 1;
	c.len = size - 1;
	check_one(&c, c.text, c.len, (data[0] & 1 ? URL_F_SCHEMELESS : 0) |
	    (data[0] & 2 ? URL_F_FROM_HTML : 0) | (data[0] & 4 ? URL_F_OBFUSCATED : 0));
	rc = url_extract_text(c.text, c.len, 256, on_candidate, &c);
	if (rc != 0 && rc != -MG_ELIMIT)
		abort();
	items = url_set_items(c.set, &n);
	for (i = 0; i < n; i++)
		total += items[i].count;
	if (n > FUZZ_MAX_URLS || total != c.added)
		abort();
	mg_arena_free(c.arena);
	return 0;
}
