/* The text side of the bec check (bec.h): folding (ICU: NFD, marks
 * removed, case folded), display-name keys, the edit distance of domains,
 * and the phrase sets searched in the subject and visible text. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include "checks/bec.h"
#include "checks/bec_int.h"
#include "core/err.h"
#include "mime/html.h"
#include "mime/mime.h"

#define BEC_WORDS_MAX	16	/* words of a name key */
#define BEC_CP_MAX	256	/* code points of a domain for the distance */

/* Each phrase is written folded: lower case, no diacritics, ss for ß. */
const struct bec_phrase bec_phrases[] = {
	{ "wire transfer", BEC_SET_PAYMENT }, { "bank transfer", BEC_SET_PAYMENT },
	{ "wire the funds", BEC_SET_PAYMENT }, { "make a payment", BEC_SET_PAYMENT },
	{ "process a payment", BEC_SET_PAYMENT }, { "process the payment", BEC_SET_PAYMENT },
	{ "outstanding invoice", BEC_SET_PAYMENT }, { "overdue invoice", BEC_SET_PAYMENT },
	{ "payment instructions", BEC_SET_PAYMENT }, { "remittance", BEC_SET_PAYMENT },
	{ "send the payment", BEC_SET_PAYMENT }, { "transfer the amount", BEC_SET_PAYMENT },
	{ "uberweisung", BEC_SET_PAYMENT }, { "zahlung veranlassen", BEC_SET_PAYMENT },
	{ "offene rechnung", BEC_SET_PAYMENT }, { "virement", BEC_SET_PAYMENT },
	{ "effectuer un paiement", BEC_SET_PAYMENT }, { "facture impayee", BEC_SET_PAYMENT },
	{ "transferencia bancaria", BEC_SET_PAYMENT }, { "realizar un pago", BEC_SET_PAYMENT },
	{ "factura pendiente", BEC_SET_PAYMENT }, { "汇款", BEC_SET_PAYMENT },
	{ "转账", BEC_SET_PAYMENT }, { "付款", BEC_SET_PAYMENT },

	{ "gift card", BEC_SET_GIFT }, { "gift cards", BEC_SET_GIFT },
	{ "itunes card", BEC_SET_GIFT }, { "google play card", BEC_SET_GIFT },
	{ "apple card", BEC_SET_GIFT }, { "steam card", BEC_SET_GIFT },
	{ "amazon card", BEC_SET_GIFT }, { "scratch off the back", BEC_SET_GIFT },
	{ "scratch the back", BEC_SET_GIFT }, { "geschenkkarte", BEC_SET_GIFT },
	{ "gutscheinkarte", BEC_SET_GIFT }, { "carte cadeau", BEC_SET_GIFT },
	{ "cartes cadeaux", BEC_SET_GIFT }, { "tarjeta de regalo", BEC_SET_GIFT },
	{ "tarjetas de regalo", BEC_SET_GIFT }, { "礼品卡", BEC_SET_GIFT },
	{ "购物卡", BEC_SET_GIFT },

	{ "new bank account", BEC_SET_BANK }, { "new bank details", BEC_SET_BANK },
	{ "change of bank", BEC_SET_BANK }, { "bank details have changed", BEC_SET_BANK },
	{ "banking details have changed", BEC_SET_BANK }, { "update our bank", BEC_SET_BANK },
	{ "updated bank details", BEC_SET_BANK }, { "updated banking", BEC_SET_BANK },
	{ "change my direct deposit", BEC_SET_BANK }, { "update my direct deposit", BEC_SET_BANK },
	{ "changed our bank", BEC_SET_BANK }, { "new account details", BEC_SET_BANK },
	{ "neue bankverbindung", BEC_SET_BANK }, { "bankverbindung geandert", BEC_SET_BANK },
	{ "anderung der bankverbindung", BEC_SET_BANK },
	{ "nouvelles coordonnees bancaires", BEC_SET_BANK },
	{ "changement de coordonnees bancaires", BEC_SET_BANK },
	{ "nuevos datos bancarios", BEC_SET_BANK }, { "cambio de cuenta bancaria", BEC_SET_BANK },
	{ "新的银行账户", BEC_SET_BANK }, { "更改银行账户", BEC_SET_BANK },
	{ "银行账户变更", BEC_SET_BANK },

	{ "urgent", BEC_SET_URGENT }, { "urgently", BEC_SET_URGENT },
	{ "as soon as possible", BEC_SET_URGENT }, { "right away", BEC_SET_URGENT },
	{ "are you available", BEC_SET_URGENT }, { "are you at your desk", BEC_SET_URGENT },
	{ "quick favor", BEC_SET_URGENT }, { "quick favour", BEC_SET_URGENT },
	{ "keep this confidential", BEC_SET_URGENT }, { "dringend", BEC_SET_URGENT },
	{ "umgehend", BEC_SET_URGENT }, { "tres urgent", BEC_SET_URGENT },
	{ "de toute urgence", BEC_SET_URGENT }, { "urgente", BEC_SET_URGENT },
	{ "lo antes posible", BEC_SET_URGENT }, { "紧急", BEC_SET_URGENT },
	{ "尽快", BEC_SET_URGENT },
	{ NULL, 0 }
};

/* UTF-8 to folded UTF-16 without combining marks: *out malloc'ed. */
static int
bec_fold16(const char *s, size_t n, UChar **out, int32_t *outlen)
{
	UErrorCode st = U_ZERO_ERROR;
	const UNormalizer2 *nfd = unorm2_getNFDInstance(&st);
	int32_t len = 0, cap = (int32_t)n + 1, nlen, k = 0;
	UChar *a = NULL, *b = NULL;

	if (U_FAILURE(st) || n > INT32_MAX / 8 || (a = malloc((size_t)cap * 2)) == NULL ||
	    (b = malloc((size_t)cap * 6)) == NULL)
		goto fail;
	u_strFromUTF8WithSub(a, cap, &len, s, (int32_t)n, 0xfffd, NULL, &st);
	nlen = unorm2_normalize(nfd, a, len, b, cap * 3, &st);
	if (U_FAILURE(st))
		goto fail;
	for (int32_t i = 0; i < nlen; i++)
		if (u_charType(b[i]) != U_NON_SPACING_MARK)
			b[k++] = b[i];
	nlen = u_strFoldCase(a, cap, b, k, U_FOLD_CASE_DEFAULT, &st);
	if (st == U_BUFFER_OVERFLOW_ERROR || st == U_STRING_NOT_TERMINATED_WARNING) {
		st = U_ZERO_ERROR;
		free(a);
		if ((a = malloc((size_t)nlen * 2 + 2)) == NULL)
			goto fail;
		nlen = u_strFoldCase(a, nlen + 1, b, k, U_FOLD_CASE_DEFAULT, &st);
	}
	if (U_FAILURE(st))
		goto fail;
	free(b);
	*out = a;
	*outlen = nlen;
	return 0;
fail:
	free(a);
	free(b);
	return -MG_EINVAL;
}

int
bec_fold(const char *s, size_t n, char *out, size_t outlen)
{
	UErrorCode st = U_ZERO_ERROR;
	UChar *u;
	int32_t ulen, len = 0;
	size_t o = 0;

	if (outlen == 0 || outlen > INT32_MAX || bec_fold16(s, n, &u, &ulen) < 0)
		return -MG_EINVAL;
	u_strToUTF8WithSub(out, (int32_t)outlen - 1, &len, u, ulen, 0xfffd, NULL, &st);
	free(u);
	if (U_FAILURE(st))
		return st == U_BUFFER_OVERFLOW_ERROR ? -MG_ELIMIT : -MG_EINVAL;
	for (int32_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)out[i];
		if (isspace(c)) {
			if (o > 0 && out[o - 1] != ' ')
				out[o++] = ' ';
		} else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return (int)o;
}

static int
bec_word_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
bec_name_key(const char *name, char *out, size_t outlen)
{
	char f[BEC_KEY_MAX], *w[BEC_WORDS_MAX];
	size_t nw = 0, o = 0;
	int depth = 0;

	if (bec_fold(name, strlen(name), f, sizeof(f)) < 0)
		return -1;
	/* words: runs of letters and digits (every non-ASCII byte counts),
	 * outside () and [] */
	for (char *p = f; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '(' || c == '[')
			depth++;
		else if ((c == ')' || c == ']') && depth > 0)
			depth--;
		if (depth > 0 || (!isalnum(c) && c < 0x80)) {
			*p = '\0';
			continue;
		}
		if ((p == f || p[-1] == '\0') && nw < BEC_WORDS_MAX)
			w[nw++] = p;
	}
	if (nw == 0)
		return -1;
	qsort(w, nw, sizeof(w[0]), bec_word_cmp);
	out[0] = '\0';
	for (size_t i = 0; i < nw; i++) {
		int k = snprintf(out + o, outlen - o, "%s%s", i ? " " : "", w[i]);
		if (k < 0 || (size_t)k >= outlen - o)
			return -1;
		o += (size_t)k;
	}
	return 0;
}

/* UTF-8 to code points; the count, at most max (bad bytes count as one). */
/* Whether the byte before / after a match ends a word (only for phrases
 * that begin / end with an ASCII letter or digit). */
static bool
bec_edge(const char *text, const char *at, const char *phrase, size_t plen)
{
	unsigned char first = (unsigned char)phrase[0], last = (unsigned char)phrase[plen - 1];

	if (isalnum(first) && at > text && isalnum((unsigned char)at[-1]))
		return false;
	return !(isalnum(last) && isalnum((unsigned char)at[plen]));
}

const char *
bec_phrase_find(const char *folded, unsigned set)
{
	for (const struct bec_phrase *p = bec_phrases; p->text != NULL; p++) {
		size_t plen = strlen(p->text);
		if (p->set != set)
			continue;
		for (const char *at = strstr(folded, p->text); at != NULL;
		    at = strstr(at + 1, p->text))
			if (bec_edge(folded, at, p->text, plen))
				return p->text;
	}
	return NULL;
}

/* Appends s[0..n) and a newline to buf (of BEC_TEXT_MAX + 1). */
static void
bec_append(char *buf, size_t *len, const char *s, size_t n)
{
	if (n > BEC_PART_MAX)
		n = BEC_PART_MAX;
	if (n > BEC_TEXT_MAX - *len)
		n = BEC_TEXT_MAX - *len;
	memcpy(buf + *len, s, n);
	*len += n;
	if (*len < BEC_TEXT_MAX)
		buf[(*len)++] = '\n';
}

/* The subject and the visible text, folded (malloc'ed), or NULL. */
char *
bec_message_text(const struct mime_msg *m)
{
	const struct mime_header *subj = mime_header_find(m->root, "Subject");
	char *raw, *out = NULL;
	size_t len = 0;

	if ((raw = malloc(BEC_TEXT_MAX + 1)) == NULL)
		return NULL;
	if (subj != NULL && subj->value != NULL)
		bec_append(raw, &len, subj->value, strlen(subj->value));
	for (size_t i = 0; i < m->nparts && len < BEC_TEXT_MAX; i++) {
		const struct mime_part *p = m->parts[i];
		if (p->is_attachment || p->text == NULL)
			continue;
		if (p->html != NULL && p->html->visible != NULL)
			bec_append(raw, &len, p->html->visible, p->html->visible_len);
		else if (strcmp(p->subtype, "plain") == 0)
			bec_append(raw, &len, p->text, p->text_len);
	}
	if ((out = malloc(4 * len + 16)) != NULL && bec_fold(raw, len, out, 4 * len + 16) < 0) {
		free(out);
		out = NULL;
	}
	free(raw);
	return out;
}
