/* The words of a parsed message as the classifiers see them: subject,
 * visible text (hidden text left out: it is there to fool classifiers),
 * selected header fields, URL hosts and attachment names, normalised
 * (Unicode case folding, full-width ASCII made ASCII, punctuation
 * stripped around words, long digit runs reduced to their length,
 * ideographs and Thai one token each, long words cut) so that Bayes and
 * the trained model share one view of the message. */
#ifndef MG_LEARN_TOKENS_H
#define MG_LEARN_TOKENS_H

#include <stddef.h>

#include "mime/mime.h"

enum tok_source {
	TOK_SUBJECT,
	TOK_TEXT,	/* visible text of the text and HTML parts */
	TOK_HEADER,	/* words of a selected header field (tok.field names it) */
	TOK_URL,	/* a URL's host, registrable domain, path words */
	TOK_ATTACH,	/* attachment name words and real type */
};

#define TOK_MAX_LEN	40	/* bytes; longer words are cut and end in '~' */
#define TOK_MAX_COUNT	20000	/* tokens per message at most */
#define TOK_DIGITS_KEEP	4	/* longer digit runs become "#N" (N digits) */

struct tok {
	enum tok_source	 source;
	const char	*field;		/* TOK_HEADER: lower-case field name, else NULL */
	const char	*text;		/* normalised UTF-8, valid during the call only */
	size_t		 len;
	size_t		 pos;		/* index within its run, for n-grams: 0 starts a
					 * new run (the subject, one text part, one
					 * header field, one URL, one attachment) and
					 * n-grams never span two runs */
};

/* Returns 0 to go on, anything else to stop the walk with that value. */
typedef int tok_fn(void *arg, const struct tok *);

/* Calls fn for every token of m, source by source, in text order; stops
 * after TOK_MAX_COUNT. Returns fn's non-zero value, or 0. */
int	tokens_walk(const struct mime_msg *m, tok_fn *fn, void *arg);

#endif
