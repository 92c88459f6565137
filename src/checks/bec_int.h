/* Shared by the files of the bec check and the account check: the phrase
 * sets and the text they are searched in (bec_text.c). */
#ifndef MG_CHECKS_BEC_INT_H
#define MG_CHECKS_BEC_INT_H

enum bec_set { BEC_SET_PAYMENT = 1, BEC_SET_GIFT, BEC_SET_BANK, BEC_SET_URGENT };

struct bec_phrase {
	const char	*text;		/* folded (bec_fold) */
	unsigned	 set;		/* enum bec_set */
};

extern const struct bec_phrase bec_phrases[];	/* ends with text NULL */

/* The first phrase of set found in folded text as whole words (phrases of
 * CJK characters anywhere), or NULL. */
const char *bec_phrase_find(const char *folded, unsigned set);

#define BEC_TEXT_MAX	(256u << 10)	/* bytes of subject and text searched */
#define BEC_PART_MAX	(64u << 10)	/* bytes of one part searched */

struct mime_msg;

/* The subject and the visible text of m, folded (malloc'ed), or NULL. */
char	*bec_message_text(const struct mime_msg *m);

#endif
