/* queued's side of the policies (docs/policy.md "What queued does"): the
 * queue_ctx dispatch hook that applies each recipient's action before the
 * first delivery attempt. Recipients to quarantine or hold go to the
 * quarantine together, discarded ones are recorded, redirects replace the
 * recipient, BCC adds one, notify queues a notice, and recipients whose
 * copy must be rewritten (tag, banner, strip) get one new queue message
 * per distinct rewrite. A crash in the middle may repeat a copy or a
 * notice when the message is taken up again, never lose a recipient. */
#ifndef MG_DAEMON_QUEUED_DISPATCH_H
#define MG_DAEMON_QUEUED_DISPATCH_H

#include "queue/deliver.h"

#define DISPATCH_BCC_MAX	16	/* BCC recipients one message can gain */

int	queued_dispatch(struct queue_ctx *, struct envelope *e);

#endif
