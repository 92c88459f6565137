/* Shared by the files of the bec check: the phrase sets (bec_text.c). */
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

#endif
