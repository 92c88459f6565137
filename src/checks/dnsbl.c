/* The DNS lists check (dnsbl.h). The zones of the configuration are copied
 * at init into one arena together with the symbol rows they define; a
 * scan gathers the names to ask about, resolves them in one mg_task_dns
 * batch and maps each answer through its zone's codes. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/dnsbl.h"
#include "core/err.h"
#include "learn/reputation_addr.h"
#include "mime/url.h"
#include "net/dns.h"
#include "net/dns_rr.h"

#define DNSBL_NAME_MAX	253	/* a query name */

struct dnsbl_code {
	const uint32_t	*codes;
	size_t		 ncodes;
	uint32_t	 mask;
	const char	*symbol;
};

struct dnsbl_zone {
	const char	*zone, *symbol, *fail;
	enum conf_zone_type type;
	bool		 sender;
	double		 weight;
	const uint32_t	*refused;
	size_t		 nrefused;
	struct dnsbl_code *codes;
	size_t		 ncodes;
};

struct dnsbl {
	struct mg_arena	*arena;
	struct dnsbl_zone *zones;
	size_t		 nzones;
	bool		 check_private;
	unsigned	 max_domains;
	bool		 any_ip, any_domain, any_sender;
	struct symbol_def *defs;
	size_t		 ndefs;
};

/* What is asked about: the client address or a domain. */
struct dnsbl_item {
	const char	*name;		/* as shown in options; the domain itself */
	bool		 ip;		/* the client address, which is addr */
	struct rep_ip	 addr;
	bool		 url, sender;	/* where a domain was found */
};

static void
dnsbl_fini(void *state)
{
	struct dnsbl *d = state;

	if (d == NULL)
		return;
	mg_arena_free(d->arena);
	free(d);
}

/* "<before><zone><after>" in the arena: a symbol's description. */
static const char *
dnsbl_desc(struct mg_arena *a, const char *before, const char *zone, const char *after)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s%s%s", before, zone, after);
	return mg_arena_strndup(a, buf, strlen(buf));
}

static int
dnsbl_def(struct dnsbl *d, const char *name, double score, int category, const char *desc)
{
	if (desc == NULL)
		return -MG_ENOMEM;
	d->defs[d->ndefs++] = (struct symbol_def){ name, score, (enum mg_category)category,
		MG_VERDICT_ACCEPT, desc };
	return 0;
}

/* n answers copied into the arena; NULL when n is 0 or memory ran out. */
static uint32_t *
dnsbl_dup_codes(struct mg_arena *a, const uint32_t *v, size_t n)
{
	uint32_t *c = n ? mg_arena_alloc(a, n * sizeof(*c)) : NULL;

	if (c != NULL)
		memcpy(c, v, n * sizeof(*c));
	return c;
}

/* Copies zone c into z, adding its symbol rows. */
static int
dnsbl_copy_zone(struct dnsbl *d, const struct conf_zone *c, struct dnsbl_zone *z)
{
	struct mg_arena *a = d->arena;
	int rc;

	*z = (struct dnsbl_zone){ .type = c->type, .sender = c->sender, .weight = c->weight,
		.refused = dnsbl_dup_codes(a, c->refused, c->nrefused),
		.nrefused = c->nrefused, .ncodes = c->ncodes };
	if ((c->nrefused && z->refused == NULL) ||
	    (z->zone = mg_arena_strndup(a, c->zone, strlen(c->zone))) == NULL ||
	    (z->symbol = mg_arena_strndup(a, c->symbol, strlen(c->symbol))) == NULL ||
	    (z->fail = mg_arena_strndup(a, c->fail_symbol, strlen(c->fail_symbol))) == NULL ||
	    (c->ncodes && (z->codes = mg_arena_zalloc(a, c->ncodes * sizeof(*z->codes))) == NULL))
		return -MG_ENOMEM;
	rc = dnsbl_def(d, z->symbol, c->score, c->category,
	    dnsbl_desc(a, "listed in ", z->zone, ""));
	rc = rc ? rc : dnsbl_def(d, z->fail, 0.0, MG_CAT_CLEAN,
	    dnsbl_desc(a, "", z->zone, " timed out, failed or refused the query"));
	for (size_t i = 0; i < c->ncodes && rc == 0; i++) {
		const struct conf_zone_code *cc = &c->codes[i];
		struct dnsbl_code *dc = &z->codes[i];

		*dc = (struct dnsbl_code){ dnsbl_dup_codes(a, cc->codes, cc->ncodes), cc->ncodes,
			cc->mask, mg_arena_strndup(a, cc->symbol, strlen(cc->symbol)) };
		if ((cc->ncodes && dc->codes == NULL) || dc->symbol == NULL)
			return -MG_ENOMEM;
		rc = dnsbl_def(d, dc->symbol, cc->score, cc->category,
		    dnsbl_desc(a, "listed in ", z->zone, " with this code"));
	}
	return rc;
}

static int
dnsbl_init(const struct mg_conf *conf, void **state, char *err, size_t errlen)
{
	const struct conf_reputation *c = &conf->engine.reputation;
	struct dnsbl *d = calloc(1, sizeof(*d));
	size_t ndefs = 1;
	int rc = 0;

	for (size_t i = 0; i < c->nzones; i++)
		ndefs += 2 + c->zones[i].ncodes;
	if (d == NULL || (d->arena = mg_arena_new(8 * 1024, 0)) == NULL ||
	    (c->nzones && (d->zones = mg_arena_zalloc(d->arena,
	    c->nzones * sizeof(*d->zones))) == NULL) ||
	    (d->defs = mg_arena_zalloc(d->arena, ndefs * sizeof(*d->defs))) == NULL) {
		dnsbl_fini(d);
		return -MG_ENOMEM;
	}
	d->check_private = c->check_private;
	d->max_domains = c->max_domains;
	dnsbl_def(d, "DNSBL_FAIL", 0.0, MG_CAT_CLEAN, "the dnsbl check failed or timed out");
	for (size_t i = 0; i < c->nzones && rc == 0; i++) {
		struct dnsbl_zone *z = &d->zones[d->nzones++];
		rc = dnsbl_copy_zone(d, &c->zones[i], z);
		d->any_ip |= z->type == CONF_ZONE_IP;
		d->any_domain |= z->type == CONF_ZONE_DOMAIN;
		d->any_sender |= z->sender;
	}
	if (rc < 0) {
		dnsbl_fini(d);
		return rc;
	}
	*state = d;
	return 0;
}

static const struct symbol_def *
dnsbl_defs(void *state, size_t *n)
{
	struct dnsbl *d = state;

	*n = d->ndefs;
	return d->defs;
}

/* Adds domain (registrable, lower case) once, while there is room. */
static void
dnsbl_add_domain(struct dnsbl_item *items, size_t *n, size_t max, const char *domain,
    bool url)
{
	for (size_t i = 0; i < *n; i++)
		if (!items[i].ip && strcmp(items[i].name, domain) == 0) {
			items[i].url |= url;
			items[i].sender |= !url;
			return;
		}
	if (*n < max && strchr(domain, '.') != NULL)
		items[(*n)++] = (struct dnsbl_item){ .name = domain, .url = url, .sender = !url };
}

/* The client address (when some zone takes addresses and it may be asked
 * about) and the distinct domains: URLs first, up to max_domains, then
 * the senders when a zone wants them. */
static size_t
dnsbl_items(const struct dnsbl *d, struct mg_task *t, struct dnsbl_item *items, size_t max)
{
	const struct mime_msg *m = t->msg;
	char addr[REP_ADDR_MAX + 1];
	struct rep_ip ip;
	size_t n = 0, cap;

	if (d->any_ip && t->env != NULL && !t->env->outbound &&
	    rep_ip_parse(t->env->client_ip, &ip) == 0 &&
	    (d->check_private || !rep_ip_private(&ip)))
		items[n++] = (struct dnsbl_item){ .name = t->env->client_ip, .ip = true,
			.addr = ip };
	if (!d->any_domain)
		return n;
	cap = n + d->max_domains;
	for (size_t i = 0; i < m->nurls && n < cap; i++) {
		const struct mime_url *u = &m->urls[i];
		if (u->domain != NULL && u->domain[0] != '\0' &&
		    !(u->flags & (URL_F_IP_LITERAL | URL_F_NUMERIC_IP | URL_F_BAD_HOST)))
			dnsbl_add_domain(items, &n, cap, u->domain, true);
	}
	if (!d->any_sender)
		return n;
	for (int from = 0; from < 2; from++) {
		const char *dom;
		int rc = from ? rep_header_from(m, addr, sizeof(addr)) :
		    t->env ? rep_addr_clean(t->env->mail_from, addr, sizeof(addr)) : -MG_ENOENT;
		if (rc == 0 && (dom = rep_registrable(t->arena, rep_addr_domain(addr))) != NULL)
			dnsbl_add_domain(items, &n, max, dom, false);
	}
	return n;
}

/* A note on the zone's _FAIL symbol: a timeout, an error, a refusal. */
static int
dnsbl_note(struct mg_task *t, const struct dnsbl_zone *z, const char *item, const char *what)
{
	char opt[320];

	snprintf(opt, sizeof(opt), "%s %s", item, what);
	return mg_task_symbol(t, z->fail, opt);
}

/* One A record of a listing: 127.0.0.0/8, mapped through the codes. */
static int
dnsbl_code(struct mg_task *t, const struct dnsbl_zone *z, const char *item, uint32_t code)
{
	char text[INET_ADDRSTRLEN], opt[320];
	struct in_addr a = { htonl(code) };
	bool mapped = false;
	int rc = 0;

	inet_ntop(AF_INET, &a, text, sizeof(text));
	if ((code >> 8) == 0x7fffff)	/* Spamhaus: typo, public resolver, over limit */
		return dnsbl_note(t, z, item, text);
	for (size_t i = 0; i < z->nrefused; i++)
		if (z->refused[i] == code)
			return dnsbl_note(t, z, item, text);
	if ((code >> 24) != 127)
		return dnsbl_note(t, z, item, "answer outside 127.0.0.0/8");
	snprintf(opt, sizeof(opt), "%s %s", item, text);
	if (z->ncodes == 0)
		return mg_task_symbol_scaled(t, z->symbol, z->weight, opt);
	for (size_t i = 0; i < z->ncodes && rc == 0; i++) {
		const struct dnsbl_code *c = &z->codes[i];
		bool hit = c->mask != 0 && (code & c->mask) != 0;

		for (size_t j = 0; j < c->ncodes && !hit; j++)
			hit = c->codes[j] == code;
		if (hit) {
			rc = mg_task_symbol_scaled(t, c->symbol, z->weight, opt);
			mapped = true;
		}
	}
	if (rc == 0 && !mapped) {
		snprintf(opt, sizeof(opt), "unknown code %s", text);
		rc = dnsbl_note(t, z, item, opt);
	}
	return rc;
}

static int
dnsbl_answer(struct mg_task *t, const struct dnsbl_zone *z, const char *item,
    const struct dns_lookup *q)
{
	char what[32];
	int rc = 0;

	if (q->err == -MG_ETIMEOUT)
		return dnsbl_note(t, z, item, "timeout");
	if (q->err < 0)
		return dnsbl_note(t, z, item, mg_strerror(q->err));
	if (q->rcode == DNS_RCODE_NXDOMAIN)
		return 0;
	if (q->rcode == DNS_RCODE_SERVFAIL)
		return dnsbl_note(t, z, item, "servfail");
	if (q->rcode != DNS_RCODE_NOERROR) {
		snprintf(what, sizeof(what), "rcode %d", q->rcode);
		return dnsbl_note(t, z, item, what);
	}
	for (size_t i = 0; i < q->nrr && rc == 0; i++) {
		const uint8_t *p = q->rr[i].ptr;
		if (q->rr[i].len == 4)
			rc = dnsbl_code(t, z, item, (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
			    (uint32_t)p[2] << 8 | p[3]);
	}
	return rc;
}

/* The query name of item in zone: the reversed address or the domain,
 * then the zone. 0, or -MG_ELIMIT past DNSBL_NAME_MAX. */
static int
dnsbl_name(const struct dnsbl_item *it, const struct dnsbl_zone *z, char *out, size_t outlen)
{
	int n;

	if (it->ip)
		return dns_reverse_name(it->addr.family, it->addr.addr, z->zone, out, outlen);
	n = snprintf(out, outlen, "%s.%s", it->name, z->zone);
	return n > 0 && (size_t)n < outlen ? 0 : -MG_ELIMIT;
}

/* Pairs each zone with the items it takes, as *n lookups in one batch
 * (pair: zone << 16 | item; at most CONF_REP_MAX_ZONES zones and 1 +
 * max_domains + 2 items). 0 or -MG_ENOMEM. */
static int
dnsbl_queries(const struct dnsbl *d, struct mg_task *t, const struct dnsbl_item *items,
    size_t nitems, struct dns_lookup *q, uint32_t *pair, size_t *n)
{
	char name[DNSBL_NAME_MAX + 1];

	*n = 0;
	for (size_t z = 0; z < d->nzones; z++) {
		const struct dnsbl_zone *zone = &d->zones[z];
		for (size_t i = 0; i < nitems; i++) {
			const struct dnsbl_item *it = &items[i];

			if ((zone->type == CONF_ZONE_IP) != it->ip ||
			    (!it->ip && !it->url && !zone->sender) ||
			    dnsbl_name(it, zone, name, sizeof(name)) < 0)
				continue;
			q[*n] = (struct dns_lookup){ .type = DNS_TYPE_A,
				.name = mg_arena_strndup(t->arena, name, strlen(name)) };
			if (q[*n].name == NULL)
				return -MG_ENOMEM;
			pair[(*n)++] = (uint32_t)(z << 16 | i);
		}
	}
	return 0;
}

static int
dnsbl_scan(void *state, struct mg_task *t)
{
	struct dnsbl *d = state;
	size_t max = 1 + d->max_domains + 2, nitems, n;
	struct dnsbl_item *items;
	struct dns_lookup *q;
	uint32_t *pair;
	int rc;

	if (d->nzones == 0)
		return 0;
	if ((items = mg_arena_alloc(t->arena, max * sizeof(*items))) == NULL)
		return -MG_ENOMEM;
	if ((nitems = dnsbl_items(d, t, items, max)) == 0)
		return 0;
	if ((q = mg_arena_alloc(t->arena, nitems * d->nzones * sizeof(*q))) == NULL ||
	    (pair = mg_arena_alloc(t->arena, nitems * d->nzones * sizeof(*pair))) == NULL)
		return -MG_ENOMEM;
	if ((rc = dnsbl_queries(d, t, items, nitems, q, pair, &n)) < 0 || n == 0)
		return rc;
	if ((rc = mg_task_dns(t, q, n)) == -MG_ENOENT)
		return 0;	/* network checks are off */
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = dnsbl_answer(t, &d->zones[pair[i] >> 16], items[pair[i] & 0xffff].name, &q[i]);
	return rc;
}

const struct mg_check check_dnsbl = {
	.name = "dnsbl",
	.init = dnsbl_init,
	.scan = dnsbl_scan,
	.fini = dnsbl_fini,
	.symbols = dnsbl_defs,
};
