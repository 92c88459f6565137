/* The first_seen check (first_seen.h): the domains of one message, their
 * lookup in the kv, and the verdict hook that counts and learns them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/account.h"
#include "checks/first_seen.h"
#include "core/err.h"
#include "core/log.h"
#include "learn/reputation.h"
#include "learn/reputation_addr.h"
#include "mime/mime.h"
#include "store/kv.h"

#define FS_MAX_DOMAINS	32		/* domains of one message looked at */
#define FS_MAX_FACTOR	4.0		/* URL_FIRST_SEEN counts at most this many */
#define FS_TTL		(400u * 86400)	/* a domain stays known this long */

static const struct symbol_def fs_symbols[] = {
	CHECK_SYMBOL("URL_FIRST_SEEN", 0.25, PHISHING, ACCEPT, "a link goes to a domain this "
	    "installation never saw before (score per new domain, up to 4; options: domains)"),
	CHECK_SYMBOL("FROM_FIRST_SEEN_DOMAIN", 0.3, SPAM, ACCEPT, "the From domain was never "
	    "seen before by this installation"),
	CHECK_SYMBOL("FIRST_SEEN_FAIL", 0.0, CLEAN, ACCEPT, "the first_seen check failed or "
	    "timed out"),
};

struct first_seen {
	struct account_site site;
	struct kv	*kv;
	int64_t		 warmup;
};

/* The registrable domains of a message, unique, protected ones left out. */
struct fs_domains {
	const char	*d[FS_MAX_DOMAINS];
	size_t		 n;
};

static void
fs_fini(void *state)
{
	struct first_seen *f = state;

	if (f == NULL)
		return;
	account_site_fini(&f->site);
	f->kv = kv_close(f->kv);
	free(f);
}

static int
fs_init(const struct mg_conf *conf, void **state, char *err, size_t errlen)
{
	const struct conf_first_seen *c = &conf->engine.account.first_seen;
	struct first_seen *f;

	*state = NULL;
	if (!c->enabled)
		return 0;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -MG_ENOMEM;
	f->warmup = c->warmup;
	if (account_site_init(&f->site, conf) < 0) {
		fs_fini(f);
		return -MG_ENOMEM;
	}
	if ((f->kv = rep_state_open(conf, "first_seen", err, errlen)) == NULL) {
		log_warn("first_seen state status=off reason=\"%s\"", err);
		fs_fini(f);
		return 0;
	}
	*state = f;
	return 0;
}

static void
fs_add(const struct first_seen *f, struct fs_domains *ds, const char *d)
{
	if (d == NULL || d[0] == '\0' || ds->n == FS_MAX_DOMAINS ||
	    strlen(d) + sizeof(FIRST_SEEN_PREFIX) > KV_KEY_MAX ||
	    account_site_protected(&f->site, d))
		return;
	for (size_t i = 0; i < ds->n; i++)
		if (strcmp(ds->d[i], d) == 0)
			return;
	ds->d[ds->n++] = d;
}

/* The web links' registrable domains (not IP addresses). */
static void
fs_url_domains(const struct first_seen *f, const struct mime_msg *m, struct fs_domains *ds)
{
	for (size_t i = 0; i < m->nurls; i++) {
		const struct mime_url *u = &m->urls[i];
		if ((u->flags & (URL_F_IP_LITERAL | URL_F_NUMERIC_IP | URL_F_BAD_HOST)) ||
		    u->scheme == NULL || (strcmp(u->scheme, "http") != 0 &&
		    strcmp(u->scheme, "https") != 0))
			continue;
		fs_add(f, ds, u->domain);
	}
}

/* The From address's registrable domain (in the arena), or NULL. */
static const char *
fs_from_domain(const struct mg_task *t)
{
	char addr[ACCOUNT_ADDR_MAX + 1];

	if (rep_header_from(t->msg, addr, sizeof(addr)) < 0)
		return NULL;
	return rep_registrable(t->arena, rep_addr_domain(addr));
}

static bool
fs_known(const struct first_seen *f, const char *d)
{
	char key[KV_KEY_MAX], val[8];
	size_t vlen;
	int n = snprintf(key, sizeof(key), FIRST_SEEN_PREFIX "%s", d);

	return n < 0 || (size_t)n >= sizeof(key) ||
	    kv_get(f->kv, key, (size_t)n, val, sizeof(val), &vlen) != -MG_ENOENT;
}

static bool
fs_warm(const struct first_seen *f)
{
	double seen = 0;

	return f->warmup == 0 || (kv_get_double(f->kv, FIRST_SEEN_COUNT,
	    strlen(FIRST_SEEN_COUNT), &seen) == 0 && seen >= (double)f->warmup);
}

static int
fs_scan(void *state, struct mg_task *t)
{
	const struct first_seen *f = state;
	struct fs_domains urls = { .n = 0 }, from = { .n = 0 };
	size_t nnew = 0;
	int rc = 0;

	if (f == NULL || t->msg == NULL || (t->env != NULL && t->env->outbound) || !fs_warm(f))
		return 0;
	fs_url_domains(f, t->msg, &urls);
	for (size_t i = 0; i < urls.n; i++)
		if (!fs_known(f, urls.d[i]))
			urls.d[nnew++] = urls.d[i];
	for (size_t i = 0; i < nnew && rc == 0; i++)
		rc = mg_task_symbol_scaled(t, "URL_FIRST_SEEN",
		    (double)(nnew < FS_MAX_FACTOR ? nnew : FS_MAX_FACTOR), urls.d[i]);
	fs_add(f, &from, fs_from_domain(t));
	if (rc == 0 && from.n == 1 && !fs_known(f, from.d[0]))
		rc = mg_task_symbol(t, "FROM_FIRST_SEEN_DOMAIN", from.d[0]);
	return rc;
}

static void
fs_learn(const struct first_seen *f, const char *d)
{
	char key[KV_KEY_MAX];
	int n = snprintf(key, sizeof(key), FIRST_SEEN_PREFIX "%s", d);

	if (n > 0 && (size_t)n < sizeof(key) && kv_put(f->kv, key, (size_t)n, "1", 1, FS_TTL) < 0)
		log_debug("first_seen learn status=failed");
}

/* Every message counts towards the warm-up; the domains of mail judged
 * clean or bulk become known, and so do those outbound mail is sent to. */
static void
fs_verdict(void *state, const struct mg_task *t, const struct mg_result *res)
{
	const struct first_seen *f = state;
	struct fs_domains ds = { .n = 0 };
	char addr[ACCOUNT_ADDR_MAX + 1];

	if (f == NULL || t->msg == NULL)
		return;
	if (kv_incr(f->kv, FIRST_SEEN_COUNT, strlen(FIRST_SEEN_COUNT), 1, 0, NULL) < 0)
		log_debug("first_seen count status=failed");
	if (res->category != MG_CAT_CLEAN && res->category != MG_CAT_BULK)
		return;
	fs_url_domains(f, t->msg, &ds);
	fs_add(f, &ds, fs_from_domain(t));
	for (size_t i = 0; t->env != NULL && t->env->outbound && i < t->env->nrcpts; i++)
		if (rep_addr_clean(t->env->rcpts[i], addr, sizeof(addr)) == 0)
			fs_add(f, &ds, rep_registrable(t->arena, rep_addr_domain(addr)));
	for (size_t i = 0; i < ds.n; i++)
		fs_learn(f, ds.d[i]);
}

CHECK_SYMBOLS_HOOK(fs_defs, fs_symbols)

const struct mg_check check_first_seen = {
	.name = "first_seen",
	.init = fs_init,
	.scan = fs_scan,
	.fini = fs_fini,
	.symbols = fs_defs,
	.verdict = fs_verdict,
};
