/* SPF mechanisms that look at DNS or addresses (RFC 7208 section 5): a,
 * mx, ptr, exists, ip4, ip6, and the validated names behind ptr and %{p};
 * the per-evaluation cache of answers through which every lookup goes
 * (spf_int.h explains the replay). */
#include <string.h>
#include <sys/socket.h>

#include "auth/spf_int.h"
#include "core/err.h"
#include "net/dns.h"
#include "net/dns_rr.h"

int
spf_absorb(struct spf_eval *ev)
{
	for (size_t i = 0; i < ev->nasked; i++) {
		if (ev->ncache == ev->capcache) {
			size_t cap = ev->capcache ? ev->capcache * 2 : 16;
			struct dns_lookup *c = mg_arena_alloc(ev->arena, cap * sizeof(*c));
			if (c == NULL)
				return -MG_ENOMEM;
			if (ev->ncache)
				memcpy(c, ev->cache, ev->ncache * sizeof(*c));
			ev->cache = c;
			ev->capcache = cap;
		}
		ev->cache[ev->ncache++] = ev->asked[i];
	}
	ev->nasked = 0;
	ev->asked = NULL;
	return 0;
}

const struct dns_lookup *
spf_need(struct spf_eval *ev, const char *name, uint16_t type)
{
	char *copy;

	for (size_t i = 0; i < ev->ncache; i++)
		if (ev->cache[i].type == type && strcmp(ev->cache[i].name, name) == 0)
			return &ev->cache[i];
	ev->blocked = true;
	for (size_t i = ev->qstart; i < *ev->qn; i++)
		if (ev->q[i].type == type && strcmp(ev->q[i].name, name) == 0)
			return NULL;
	if (*ev->qn == ev->qmax || ev->qstart + SPF_MAX_ROUND == *ev->qn)
		return NULL;
	if ((copy = mg_arena_strndup(ev->arena, name, strlen(name))) == NULL) {
		spf_finish(ev, SPF_TEMPERROR, "out of memory");
		return NULL;
	}
	ev->q[(*ev->qn)++] = (struct dns_lookup){ .name = copy, .type = type };
	return NULL;
}

/* RCODE other than NOERROR and NXDOMAIN, or no answer at all. */
static bool
spf_dns_failed(const struct dns_lookup *l)
{
	return l->err != 0 || (l->rcode != DNS_RCODE_NOERROR && l->rcode != DNS_RCODE_NXDOMAIN);
}

/* Counts a void lookup (4.6.4); SPF_STOP past the limit. */
static enum spf_match
spf_void(struct spf_eval *ev)
{
	if (++ev->out.void_lookups > SPF_MAX_VOID) {
		spf_finish(ev, SPF_PERMERROR, "more than 2 void DNS lookups");
		return SPF_STOP;
	}
	return SPF_NOMATCH;
}

static bool
spf_addr_match(const struct spf_eval *ev, const uint8_t *a, size_t len, const uint8_t *net,
    unsigned cidr)
{
	size_t full = cidr / 8;

	if (len != (ev->ipv6 ? 16u : 4u))
		return false;
	if (memcmp(a, net, full) != 0)
		return false;
	if (cidr % 8 == 0)
		return true;
	return ((a[full] ^ net[full]) & (uint8_t)(0xff00 >> (cidr % 8))) == 0;
}

/* Whether any address record of l is in the client's network of size cidr. */
static bool
spf_rr_match(const struct spf_eval *ev, const struct dns_lookup *l, unsigned cidr)
{
	for (size_t i = 0; i < l->nrr; i++)
		if (spf_addr_match(ev, l->rr[i].ptr, l->rr[i].len, ev->ip, cidr))
			return true;
	return false;
}

static uint16_t
spf_addr_type(const struct spf_eval *ev)
{
	return ev->ipv6 ? DNS_TYPE_AAAA : DNS_TYPE_A;
}

static enum spf_match
spf_dns_error(struct spf_eval *ev)
{
	spf_finish(ev, SPF_TEMPERROR, "DNS lookup failed or timed out");
	return SPF_STOP;
}

static enum spf_match
spf_match_a(struct spf_eval *ev, const char *name, unsigned cidr)
{
	const struct dns_lookup *l = spf_need(ev, name, spf_addr_type(ev));

	if (l == NULL)
		return ev->done ? SPF_STOP : SPF_BLOCKED;
	if (spf_dns_failed(l))
		return spf_dns_error(ev);
	if (l->nrr == 0)
		return spf_void(ev);
	return spf_rr_match(ev, l, cidr) ? SPF_MATCH : SPF_NOMATCH;
}

/* exists: an A lookup whatever the client's family (5.7). */
static enum spf_match
spf_match_exists(struct spf_eval *ev, const char *name)
{
	const struct dns_lookup *l = spf_need(ev, name, DNS_TYPE_A);

	if (l == NULL)
		return ev->done ? SPF_STOP : SPF_BLOCKED;
	if (spf_dns_failed(l))
		return spf_dns_error(ev);
	return l->nrr == 0 ? spf_void(ev) : SPF_MATCH;
}

static enum spf_match
spf_match_mx(struct spf_eval *ev, const char *name, unsigned cidr)
{
	const struct dns_lookup *l = spf_need(ev, name, DNS_TYPE_MX), *hl[SPF_MAX_NAMES];
	char host[SPF_MAX_NAMES][DNS_NAME_MAX + 1];
	size_t n = 0;
	uint16_t pref;

	if (l == NULL)
		return ev->done ? SPF_STOP : SPF_BLOCKED;
	if (spf_dns_failed(l))
		return spf_dns_error(ev);
	if (l->nrr == 0)
		return spf_void(ev);
	if (l->nrr > SPF_MAX_NAMES) {
		spf_finish(ev, SPF_PERMERROR, "more than 10 MX records");
		return SPF_STOP;
	}
	for (size_t i = 0; i < l->nrr; i++) {
		if (dns_mx_decode(l->rr[i], &pref, host[n]) < 0 || host[n][0] == '\0')
			continue;	/* malformed, or a null MX (RFC 7505) */
		hl[n] = spf_need(ev, host[n], spf_addr_type(ev));
		n++;
	}
	if (ev->done)
		return SPF_STOP;
	for (size_t i = 0; i < n; i++)
		if (hl[i] == NULL)
			return SPF_BLOCKED;
	for (size_t i = 0; i < n; i++) {
		if (spf_dns_failed(hl[i]))
			return spf_dns_error(ev);
		if (spf_rr_match(ev, hl[i], cidr))
			return SPF_MATCH;
	}
	return SPF_NOMATCH;
}

/* The client's PTR names (the first 10) whose addresses include the client
 * (5.5): SPF_MATCH with names[0..*n), SPF_BLOCKED, or SPF_STOP. DNS errors
 * only remove names; a void PTR lookup counts when count_void. */
static enum spf_match
spf_validated(struct spf_eval *ev, bool count_void, char (*names)[DNS_NAME_MAX + 1],
    size_t *n)
{
	const struct dns_lookup *l, *hl[SPF_MAX_NAMES];
	char rev[80];
	size_t k = 0;

	*n = 0;
	dns_reverse_name(ev->ipv6 ? AF_INET6 : AF_INET, ev->ip, NULL, rev, sizeof(rev));
	if ((l = spf_need(ev, rev, DNS_TYPE_PTR)) == NULL)
		return ev->done ? SPF_STOP : SPF_BLOCKED;
	if (spf_dns_failed(l))
		return SPF_MATCH;
	if (l->nrr == 0)
		return count_void && spf_void(ev) == SPF_STOP ? SPF_STOP : SPF_MATCH;
	for (size_t i = 0; i < l->nrr && k < SPF_MAX_NAMES; i++) {
		size_t off = 0;
		if (dns_name_decode(l->rr[i], &off, names[k]) < 0 || names[k][0] == '\0')
			continue;
		hl[k] = spf_need(ev, names[k], spf_addr_type(ev));
		k++;
	}
	if (ev->done)
		return SPF_STOP;
	for (size_t i = 0; i < k; i++)
		if (hl[i] == NULL)
			return SPF_BLOCKED;
	for (size_t i = 0; i < k; i++)
		if (!spf_dns_failed(hl[i]) && spf_rr_match(ev, hl[i], ev->ipv6 ? 128 : 32))
			memmove(names[(*n)++], names[i], DNS_NAME_MAX + 1);
	return SPF_MATCH;
}

/* name equals domain or is a subdomain of it. */
static bool
spf_in_domain(const char *name, const char *domain)
{
	size_t nl = strlen(name), dl = strlen(domain);

	return nl == dl ? strcmp(name, domain) == 0 :
	    nl > dl && name[nl - dl - 1] == '.' && strcmp(name + nl - dl, domain) == 0;
}

static enum spf_match
spf_match_ptr(struct spf_eval *ev, const char *target)
{
	char names[SPF_MAX_NAMES][DNS_NAME_MAX + 1];
	size_t n;
	enum spf_match m = spf_validated(ev, true, names, &n);

	if (m != SPF_MATCH)
		return m;
	for (size_t i = 0; i < n; i++)
		if (spf_in_domain(names[i], target))
			return SPF_MATCH;
	return SPF_NOMATCH;
}

/* %{p} (7.3): the current domain if validated, else a validated subdomain
 * of it, else any validated name, else "unknown". */
static enum spf_match
spf_ptr_macro(struct spf_eval *ev, const char *domain, const char **out)
{
	char names[SPF_MAX_NAMES][DNS_NAME_MAX + 1];
	size_t n, best = SIZE_MAX;
	enum spf_match m = spf_validated(ev, false, names, &n);

	*out = "unknown";
	if (m != SPF_MATCH || n == 0)
		return m;
	for (size_t i = 0; i < n && best == SIZE_MAX; i++)
		if (strcmp(names[i], domain) == 0)
			best = i;
	for (size_t i = 0; i < n && best == SIZE_MAX; i++)
		if (spf_in_domain(names[i], domain))
			best = i;
	best = best == SIZE_MAX ? 0 : best;
	if ((*out = mg_arena_strndup(ev->arena, names[best], strlen(names[best]))) == NULL) {
		spf_finish(ev, SPF_TEMPERROR, "out of memory");
		return SPF_STOP;
	}
	return SPF_MATCH;
}

enum spf_match
spf_target(struct spf_eval *ev, const char *spec, size_t len, const char **name)
{
	const char *domain = ev->frames[ev->depth - 1].domain;
	struct spf_macro_env env = { .sender = ev->out.sender, .local = ev->local,
		.sender_domain = ev->out.domain, .domain = domain, .ip = ev->ipmacro,
		.ptr = "unknown", .helo = ev->helo, .ipv6 = ev->ipv6 };
	enum spf_match m;
	char *buf;

	*name = domain;
	if (spec == NULL)
		return SPF_MATCH;
	if (spf_macro_uses_p(spec, len) && (m = spf_ptr_macro(ev, domain, &env.ptr)) != SPF_MATCH)
		return m;
	if ((buf = mg_arena_alloc(ev->arena, SPF_EXPAND_MAX)) == NULL) {
		spf_finish(ev, SPF_TEMPERROR, "out of memory");
		return SPF_STOP;
	}
	*name = spf_macro_expand(spec, len, &env, buf, SPF_EXPAND_MAX) == 0 &&
	    spf_target_name(buf) ? buf : NULL;
	return SPF_MATCH;
}

enum spf_match
spf_mech_match(struct spf_eval *ev, const struct spf_term *t)
{
	const char *name;
	enum spf_match m;

	switch (t->mech) {
	case SPF_M_ALL:
		return SPF_MATCH;
	case SPF_M_IP4:
	case SPF_M_IP6:
		return (t->mech == SPF_M_IP6) == ev->ipv6 &&
		    spf_addr_match(ev, ev->ip, ev->ipv6 ? 16 : 4, t->net,
		    ev->ipv6 ? t->cidr6 : t->cidr4) ? SPF_MATCH : SPF_NOMATCH;
	default:
		break;
	}
	if ((m = spf_target(ev, t->spec, t->speclen, &name)) != SPF_MATCH)
		return m;
	if (name == NULL)	/* not a usable name: as if it did not exist */
		return SPF_NOMATCH;
	switch (t->mech) {
	case SPF_M_A:
		return spf_match_a(ev, name, ev->ipv6 ? t->cidr6 : t->cidr4);
	case SPF_M_MX:
		return spf_match_mx(ev, name, ev->ipv6 ? t->cidr6 : t->cidr4);
	case SPF_M_PTR:
		return spf_match_ptr(ev, name);
	default:
		return spf_match_exists(ev, name);
	}
}
