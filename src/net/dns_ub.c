/* libunbound context set-up shared by both resolvers (dns_ub.h). */
#include <stdio.h>
#include <unbound.h>

#include "core/err.h"
#include "net/dns_ub.h"

/* An explicit upstream is a test or site resolver: loopback is allowed,
 * and the reserved .test names (RFC 6761) and loopback reverse names,
 * which unbound answers itself by default, are asked upstream like any
 * other (the site resolver knows its own loopback names). */
static int
dns_ub_upstream(struct ub_ctx *ctx, const char *upstream, char *err, size_t errlen)
{
	int rc;

	if ((rc = ub_ctx_set_fwd(ctx, upstream)) != 0 ||
	    (rc = ub_ctx_set_option(ctx, "do-not-query-localhost:", "no")) != 0 ||
	    (rc = ub_ctx_set_option(ctx, "local-zone:", "test. transparent")) != 0 ||
	    (rc = ub_ctx_set_option(ctx, "local-zone:", "127.in-addr.arpa. transparent")) != 0) {
		snprintf(err, errlen, "resolver upstream %s: %s", upstream, ub_strerror(rc));
		return -MG_EINVAL;
	}
	return 0;
}

int
dns_ub_configure(struct ub_ctx *ctx, const struct conf_resolver *rc, char *err,
    size_t errlen)
{
	int ub;

	if ((ub = ub_ctx_async(ctx, 1)) != 0) {
		snprintf(err, errlen, "resolver async mode: %s", ub_strerror(ub));
		return -MG_EINVAL;
	}
	if (rc->upstream != NULL) {
		if (dns_ub_upstream(ctx, rc->upstream, err, errlen) < 0)
			return -MG_EINVAL;
	} else if ((ub = ub_ctx_resolvconf(ctx, NULL)) != 0) {
		snprintf(err, errlen, "cannot read /etc/resolv.conf: %s", ub_strerror(ub));
		return -MG_EINVAL;
	}
	(void)ub_ctx_hosts(ctx, NULL);	/* a missing /etc/hosts is fine */
	return 0;
}
