/* Next-hop selection per recipient and MX ordering (see route.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "queue/route.h"

/* The key says everything that must match for two recipients to share a
 * connection: destination, port, TLS policy and AUTH identity. */
static void
route_make_key(struct route_hop *h)
{
	snprintf(h->key, sizeof(h->key), "%s:%s:%u tls=%d auth=%s",
	    h->kind == ROUTE_MX ? "mx" : "host", h->host, h->port, (int)h->tls,
	    h->auth_user ? h->auth_user : "");
}

/* Copies the domain of rcpt in lower case; an address literal "[1.2.3.4]"
 * or "[IPv6:...]" becomes the bare address with *literal set. */
static int
route_domain(const char *rcpt, char out[DNS_NAME_MAX + 1], bool *literal)
{
	const char *at = strrchr(rcpt, '@');
	const char *d = at ? at + 1 : "";
	size_t len = strlen(d);

	*literal = false;
	if (len == 0 || len > DNS_NAME_MAX)
		return -MG_EINVAL;
	if (d[0] == '[') {
		if (len < 3 || d[len - 1] != ']')
			return -MG_EINVAL;
		d++;
		len -= 2;
		if (len > 5 && strncasecmp(d, "IPv6:", 5) == 0) {
			d += 5;
			len -= 5;
		}
		*literal = true;
	}
	for (size_t i = 0; i < len; i++)
		out[i] = (char)(d[i] >= 'A' && d[i] <= 'Z' ? d[i] + 32 : d[i]);
	out[len] = '\0';
	return 0;
}

static void
route_from_conf(struct route_hop *h, const struct conf_route *r, uint16_t port)
{
	h->port = r->port ? r->port : port;
	h->tls = r->tls;
	h->auth_user = r->auth_user;
	h->auth_password = r->auth_password;
}

int
route_for_rcpt(const struct mg_conf *conf, bool outbound, const char *rcpt,
    struct route_hop *out, const char **why)
{
	const struct conf_route *r;
	char domain[DNS_NAME_MAX + 1];
	bool literal;

	memset(out, 0, sizeof(*out));
	if (route_domain(rcpt, domain, &literal) < 0) {
		*why = "5.1.2 recipient has no valid domain";
		return -MG_ENOENT;
	}
	r = literal ? NULL : conf_route_for(conf, domain, strlen(domain));
	if (r == NULL && !outbound) {
		*why = "5.7.1 recipient domain is not protected by this gateway";
		return -MG_ENOENT;
	}
	if (r == NULL)
		r = &conf->outbound;
	route_from_conf(out, r, (uint16_t)conf->queue.mx_port);
	if (r->host != NULL) {
		out->kind = ROUTE_HOST;
		snprintf(out->host, sizeof(out->host), "%s", r->host);
	} else {
		/* an address literal is its own next hop (no MX lookup) */
		out->kind = literal ? ROUTE_HOST : ROUTE_MX;
		memcpy(out->host, domain, sizeof(domain));
		out->port = (uint16_t)conf->queue.mx_port;
	}
	route_make_key(out);
	return 0;
}

bool
route_mx_is_null(const struct route_mx *mx, size_t n)
{
	return n == 1 && mx[0].name[0] == '\0';
}

static int
route_mx_cmp(const void *a, const void *b)
{
	const struct route_mx *x = a, *y = b;

	return (int)x->pref - (int)y->pref;
}

size_t
route_mx_sort(struct route_mx *mx, size_t n, uint32_t rnd)
{
	size_t kept = 0;

	for (size_t i = 0; i < n; i++)
		if (mx[i].name[0] != '\0')
			mx[kept++] = mx[i];
	qsort(mx, kept, sizeof(*mx), route_mx_cmp);
	/* shuffle each run of equal preference (Fisher-Yates, xorshift) */
	for (size_t start = 0, end; start < kept; start = end) {
		for (end = start + 1; end < kept && mx[end].pref == mx[start].pref; end++)
			;
		for (size_t i = end - 1; i > start; i--) {
			rnd ^= rnd << 13;
			rnd ^= rnd >> 17;
			rnd ^= rnd << 5;
			size_t j = start + rnd % (i - start + 1);
			struct route_mx t = mx[i];
			mx[i] = mx[j];
			mx[j] = t;
		}
	}
	return kept;
}
