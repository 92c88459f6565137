/* Shared between the MIME tree builder (mime_parse.c) and the body
 * decoders (mime_body.c); not part of the MIME layer's interface. */
#ifndef MG_MIME_MIME_INT_H
#define MG_MIME_MIME_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "mime/mime.h"

/* State of one mime_parse call. */
struct mparse {
	struct mg_arena	*a;
	struct mime_limits lim;		/* clamped copy */
	struct mime_msg	*msg;
	size_t		 cap;		/* room in msg->parts */
	bool		 nomem;		/* the arena is exhausted: give up */
};

/* How an entity (header section + body) is read. */
enum {
	ENT_MESSAGE	= 1u << 0,	/* a whole message (root or message/rfc822) */
	ENT_MBOX	= 1u << 1,	/* may start with an mbox "From " line */
	ENT_DIGEST	= 1u << 2,	/* default type message/rfc822 */
};

/* A new part, linked after prev (or as parent's first child) and appended
 * to msg->parts; NULL past max_parts (flagged on parent) or without memory. */
struct mime_part *mime__part_new(struct mparse *, struct mime_part *parent,
	    struct mime_part *prev);

/* Bytes that may still be decoded under max_decoded. */
static inline size_t
mime__budget_left(const struct mparse *mp)
{
	uint64_t used = mp->msg->decoded_total;

	if (used >= mp->lim.max_decoded)
		return 0;
	return mp->lim.max_decoded - used > SIZE_MAX ? SIZE_MAX :
	    (size_t)(mp->lim.max_decoded - used);
}

/* part->body from part->raw_body and part->encoding; flags set. The
 * checks for NUL and 8-bit bytes are left to the children of a composite. */
void	mime__body_decode(struct mparse *, struct mime_part *, bool composite);
/* part->text (UTF-8) from part->body; uuencoded blocks become children. */
void	mime__text_convert(struct mparse *, struct mime_part *);

#endif
