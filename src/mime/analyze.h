/* The second pass over a parsed message: HTML of every text/html part,
 * URLs from text, HTML and text attachments, each attachment's real type
 * and archive members, and the Received chain. The context holds what
 * must not be shared between threads (the libmagic handle): one per
 * scanning thread. */
#ifndef MG_MIME_ANALYZE_H
#define MG_MIME_ANALYZE_H

#include <stddef.h>

#include "core/arena.h"
#include "mime/mime.h"

#define ANALYZE_MAX_URLS	4096		/* unique URLs kept per message */
#define ANALYZE_MAX_CANDIDATES	8192		/* URL candidates looked at per text */
#define ANALYZE_TEXT_MAX	(4u << 20)	/* bytes of one text body searched for URLs */
#define ANALYZE_TEXT_ATT_MAX	(1u << 20)	/* bytes of one text attachment searched */

struct mime_analyze_ctx;

/* NULL with a reason in err when libmagic cannot be loaded. */
struct mime_analyze_ctx *mime_analyze_ctx_new(char *err, size_t errlen);
struct mime_analyze_ctx *mime_analyze_ctx_free(struct mime_analyze_ctx *);	/* NULL */

/* Fills msg->urls/nurls/received and each part's html and att, allocating
 * in arena (the one msg lives in). 0, or -MG_ENOMEM when the arena is
 * exhausted (what was filled so far stays valid). */
int	mime_analyze(struct mime_analyze_ctx *, struct mg_arena *, struct mime_msg *);

#endif
