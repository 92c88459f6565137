/* The Received chain (RFC 5321 section 4.4): hops from the newest (added
 * by us or the last relay) to the oldest, the first external hop (the
 * client that handed the message to the organisation's edge), and clock
 * skew between hops. */
#ifndef MG_MIME_RECEIVED_H
#define MG_MIME_RECEIVED_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/arena.h"
#include "mime/mime.h"

struct received_hop {
	const char	*from_helo;	/* "from" name as given */
	const char	*from_rdns;	/* reverse name in the comment, or NULL */
	const char	*from_ip;	/* address literal, or NULL */
	const char	*by;		/* "by" host */
	const char	*with;		/* ESMTP, ESMTPS, SMTP, LMTP, ... */
	time_t		 time;		/* after the ';', 0 when unparsable */
};

struct mime_received {
	struct received_hop *hops;	/* hops[0] is the top (newest) field */
	size_t		 nhops;
	const struct received_hop *first_external;	/* oldest hop with a public IP, or NULL */
	long		 max_skew;	/* largest time going backwards between hops, seconds */
	bool		 unparsable;	/* a field could not be parsed */
};

/* Parses the Received fields of the top-level header; NULL only when the
 * arena is exhausted. */
struct mime_received *received_parse(struct mg_arena *, const struct mime_part *root);

/* RFC 5322 date-time in s[0..n) (obsolete forms too: 2-digit years,
 * named zones, no seconds; comments skipped) as seconds since the epoch;
 * false when it is not one. */
bool	received_date_parse(const char *s, size_t n, time_t *out);

#endif
