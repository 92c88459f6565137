/* scand's side of the policies (docs/policy.md): the filter set, read
 * from the store at start and again every SCAND_POLICY_RELOAD seconds on
 * the loop thread and shared by the scan workers by reference, and the
 * decision for each recipient of a scanned message. */
#ifndef MG_DAEMON_SCAND_POLICY_H
#define MG_DAEMON_SCAND_POLICY_H

#include <stdint.h>

#include "core/conf.h"
#include "daemon/proto.h"
#include "engine/engine.h"
#include "policy/policy.h"

#define SCAND_POLICY_RELOAD	5	/* seconds between two reads of the filters */

struct event_base;
struct scand_policy;

/* A filter set as one scan uses it; released with scand_policy_put. */
struct policy_ref {
	struct policy_set set;
	unsigned	 refs;
};

/* Reads the filters now and then every SCAND_POLICY_RELOAD seconds from
 * the store of *conf (*conf is followed: scand replaces it on SIGHUP).
 * NULL when out of memory. */
struct scand_policy *scand_policy_new(struct event_base *, struct mg_conf *const *conf);
struct scand_policy *scand_policy_free(struct scand_policy *);	/* returns NULL */
/* The current set (thread-safe), and its release. */
struct policy_ref *scand_policy_get(struct scand_policy *);
void	scand_policy_put(struct scand_policy *, struct policy_ref *);

/* One message's decision, filled by scand_policy_inspect (an mg_inspect_fn)
 * while the engine holds the parsed message. acts[i] (req->nrcpts of them)
 * point into set's strings or are static. */
struct scand_decision {
	const struct policy_set *set;
	const struct conf_bulk *bulk;	/* the bulk action when no filter decides */
	const struct proto_scan_request *req;
	uint64_t	 size;
	struct proto_rcpt_act *acts;	/* caller-allocated, req->nrcpts */
	uint32_t	 nreject;	/* recipients whose action is reject */
	char		 verdict_reply[320];	/* the verdict's reject reply, with its code */
	const char	*reject_reply;	/* the first rejecting filter's "CODE text", or NULL */
};

int	scand_policy_inspect(const struct mime_msg *, const struct mg_result *, void *arg);

#endif
