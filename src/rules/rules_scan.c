/* One message against a compiled set: each scope's texts through its
 * database (at most max_scan_bytes per scope, invalid UTF-8 replaced so
 * that UTF-8 patterns see valid input), then the tests that need no
 * regex, then the meta rules in dependency order. */
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "mime/attach.h"
#include "mime/html.h"
#include "mime/mime_charset.h"
#include "mime/url.h"
#include "rules/rules_int.h"

struct scan {
	const struct rules_set *set;
	struct rules_scratch *scratch;
	struct rules_hits *hits;
	size_t		 budget[RULE_SCOPE_COUNT];	/* bytes left per scope */
	struct mg_buf	 fix;		/* a text with invalid UTF-8 replaced */
};

static int
scan_text(struct scan *sc, enum rule_scope s, const struct rules_db *db, const char *text,
    size_t len, const char *opt)
{
	size_t *left = &sc->budget[s];
	int rc;

	if (*left == 0)
		return 0;
	if (len >= *left) {
		len = mime_utf8_boundary((const uint8_t *)text, *left);
		*left = 0;	/* the scope is cut here */
	} else {
		*left -= len;
	}
	if (mime_utf8_valid_span((const uint8_t *)text, len) < len) {
		mg_buf_reset(&sc->fix);
		if ((rc = mime_utf8_sanitize((const uint8_t *)text, len, &sc->fix)) < 0 &&
		    rc != -MG_ELIMIT)
			return rc;
		text = (const char *)sc->fix.data;
		len = sc->fix.len;
	}
	return rules_db_scan(sc->set, db, sc->scratch, text ? text : "", len,
	    sc->hits->fired, sc->hits->option, opt);
}

/* The database of header name in scope s, or NULL. */
static const struct rules_db *
header_db(const struct rules_set *set, enum rule_scope s, struct mg_slice name)
{
	size_t lo = 0, hi = set->ndbs[s];

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const char *h = set->dbs[s][mid].header;
		size_t hl = strlen(h);
		int c = strncasecmp((const char *)name.ptr, h, name.len < hl ? name.len : hl);

		if (c == 0)
			c = name.len < hl ? -1 : name.len > hl;
		if (c == 0)
			return &set->dbs[s][mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* A raw value without the blanks after the colon and the line end. */
static int
scan_raw_header(struct scan *sc, const struct rules_db *db, struct mg_slice raw)
{
	const char *p = (const char *)raw.ptr;
	size_t n = raw.len;

	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n' || p[n - 1] == ' ' ||
	    p[n - 1] == '\t'))
		n--;
	return scan_text(sc, RULE_SCOPE_HEADER_RAW, db, p, n, NULL);
}

static int
scan_headers(struct scan *sc, const struct mime_part *root)
{
	const struct rules_set *set = sc->set;
	int rc = 0;

	if (set->ndbs[RULE_SCOPE_HEADER] + set->ndbs[RULE_SCOPE_HEADER_RAW] == 0)
		return 0;
	for (size_t i = 0; i < root->nheaders && rc == 0; i++) {
		const struct mime_header *h = &root->headers[i];
		const struct rules_db *db;

		if ((db = header_db(set, RULE_SCOPE_HEADER, h->name)) != NULL && h->value != NULL)
			rc = scan_text(sc, RULE_SCOPE_HEADER, db, h->value, strlen(h->value), NULL);
		if (rc == 0 && (db = header_db(set, RULE_SCOPE_HEADER_RAW, h->name)) != NULL)
			rc = scan_raw_header(sc, db, h->raw);
	}
	return rc;
}

static bool
body_part(const struct mime_part *p)
{
	return !p->is_attachment && p->type != NULL && strcmp(p->type, "text") == 0;
}

/* body: plain text and HTML visible text; rawbody: decoded text parts. */
static int
scan_bodies(struct scan *sc, const struct mime_msg *m)
{
	const struct rules_set *set = sc->set;
	const struct rules_db *body = set->ndbs[RULE_SCOPE_BODY] ? set->dbs[RULE_SCOPE_BODY] : NULL;
	const struct rules_db *raw = set->ndbs[RULE_SCOPE_RAWBODY] ?
	    set->dbs[RULE_SCOPE_RAWBODY] : NULL;
	int rc = 0;

	for (size_t i = 0; i < m->nparts && rc == 0; i++) {
		const struct mime_part *p = m->parts[i];
		bool html = p->subtype != NULL && strcmp(p->subtype, "html") == 0;

		if (!body_part(p) || p->text == NULL)
			continue;
		if (raw != NULL)
			rc = scan_text(sc, RULE_SCOPE_RAWBODY, raw, p->text, p->text_len, NULL);
		if (rc == 0 && body != NULL && html && p->html != NULL)
			rc = scan_text(sc, RULE_SCOPE_BODY, body, p->html->visible,
			    p->html->visible_len, NULL);
		else if (rc == 0 && body != NULL && !html)
			rc = scan_text(sc, RULE_SCOPE_BODY, body, p->text, p->text_len, NULL);
	}
	return rc;
}

static int
scan_uris(struct scan *sc, const struct mime_msg *m)
{
	const struct rules_db *db = sc->set->dbs[RULE_SCOPE_URI];
	int rc = 0;

	for (size_t i = 0; db != NULL && i < m->nurls && rc == 0; i++)
		rc = scan_text(sc, RULE_SCOPE_URI, db, m->urls[i].url, strlen(m->urls[i].url),
		    m->urls[i].url);
	return rc;
}

static int
scan_attachments(struct scan *sc, const struct mime_msg *m)
{
	const struct rules_db *db = sc->set->dbs[RULE_SCOPE_ATTACHMENT];
	int rc = 0;

	for (size_t i = 0; db != NULL && i < m->nparts && rc == 0; i++) {
		const struct mime_attachment *a = m->parts[i]->att;

		if (a == NULL)
			continue;
		if (a->name[0] != '\0')
			rc = scan_text(sc, RULE_SCOPE_ATTACHMENT, db, a->name, strlen(a->name),
			    a->name);
		for (size_t k = 0; k < a->nmembers && rc == 0; k++)
			rc = scan_text(sc, RULE_SCOPE_ATTACHMENT, db, a->members[k].path,
			    strlen(a->members[k].path), a->members[k].path);
	}
	return rc;
}

/* !~, exists, missing, eval. */
static void
scan_post(struct scan *sc, const struct mime_msg *m, const struct rules_env *env,
    struct mg_arena *arena)
{
	const struct rules_set *set = sc->set;
	uint8_t *fired = sc->hits->fired;

	for (size_t k = 0; k < set->npost; k++) {
		unsigned i = set->post[k];
		const struct rule *r = &set->rules[i];
		bool present = r->header != NULL && mime_header_find(m->root, r->header) != NULL;

		switch (r->kind) {
		case RULE_NOT_MATCH:
			fired[i] = present && !fired[i];
			break;
		case RULE_EXISTS:
			fired[i] = present;
			break;
		case RULE_MISSING:
			fired[i] = !present;
			break;
		default:
			fired[i] = rules_evals[r->eval].test(m, r->eval_arg, env, arena,
			    &sc->hits->option[i]);
			break;
		}
	}
}

static int
scan_metas(const struct rules_set *set, struct rules_hits *hits, const struct rules_env *env,
    struct mg_arena *arena)
{
	int8_t *ext = NULL;

	if (set->nexternals > 0 && (ext = mg_arena_alloc(arena, set->nexternals)) == NULL)
		return -MG_ENOMEM;
	if (ext != NULL)
		memset(ext, -1, set->nexternals);
	for (size_t k = 0; k < set->nmetas; k++) {
		unsigned i = set->metas[k];
		hits->fired[i] = meta_eval(set->rules[i].prog, hits->fired, ext, set, env) != 0;
	}
	return 0;
}

static int
scan_scopes(struct scan *sc, const struct mime_msg *m, const struct rules_env *env)
{
	int (*const steps[])(struct scan *, const struct mime_msg *) = { scan_bodies,
		scan_uris, scan_attachments };
	int rc;

	if ((rc = scan_headers(sc, m->root)) < 0)
		return rc;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (env->expired != NULL && env->expired(env->arg))
			return -MG_ETIMEOUT;
		if ((rc = steps[i](sc, m)) < 0)
			return rc;
	}
	return 0;
}

int
rules_scan(const struct rules_set *set, struct mg_arena *arena, const struct mime_msg *m,
    const struct rules_env *env, struct rules_hits *hits)
{
	struct scan sc = { .set = set, .hits = hits };
	size_t n = set->nrules ? set->nrules : 1;
	int rc;

	if ((hits->fired = mg_arena_zalloc(arena, n)) == NULL ||
	    (hits->option = mg_arena_zalloc(arena, n * sizeof(*hits->option))) == NULL)
		return -MG_ENOMEM;
	if (!set->compiled || set->nrules == 0)
		return 0;
	for (int s = 0; s < RULE_SCOPE_COUNT; s++)
		sc.budget[s] = set->limits.max_scan_bytes;
	if ((sc.scratch = rules_scratch_get(set)) == NULL)
		return -MG_ENOMEM;
	mg_buf_init(&sc.fix, 4 * set->limits.max_scan_bytes + 16);
	rc = scan_scopes(&sc, m, env);
	rules_scratch_put(set, sc.scratch);
	mg_buf_release(&sc.fix);
	if (rc < 0)
		return rc;
	scan_post(&sc, m, env, arena);
	return scan_metas(set, hits, env, arena);
}
