/* Password candidates (passwords.h): a phrase from the table below, then
 * filler words ("for the archive"), then a separator (':', '=', "is",
 * "lautet", "は"...) and the token, quotes stripped; or, when the phrase
 * line ends there, the next line when it is one lone token. "use password
 * X" needs no separator. Written by hand: no library reads lures. */
#include <stdbool.h>
#include <string.h>

#include "core/err.h"
#include "mime/passwords.h"

#define NELEM(x)	(sizeof(x) / sizeof((x)[0]))
#define FILLER_MAX	8	/* words between the phrase and the separator */
#define PAREN_MAX	40	/* bytes of a "(case sensitive)" skipped */
#define LINES_AHEAD	3	/* lines looked at for a lone token */

/* ASCII letters compare case-insensitively, other bytes exactly: the
 * capitalised forms of non-ASCII phrases are listed. Longer first. */
static const char *const phrases[] = {
	"password", "passwort", "passwd", "passcode", "pass code", "pass", "pwd", "pw",
	"pin code", "pin", "kennwort", "mot de passe", "mdp", "contrase\xc3\xb1" "a",
	"CONTRASE\xc3\x91" "A", "clave", "senha", "wachtwoord", "has\xc5\x82o", "HAS\xc5\x81O",
	"haslo", "heslo", "parola", "\xc5\x9f" "ifre", "\xc5\x9e" "ifre", "l\xc3\xb6senord",
	"passord", "adgangskode", "salasana", "jelsz\xc3\xb3", "JELSZ\xc3\x93",
	"\xd0\xbf\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c",		/* пароль */
	"\xd0\x9f\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c",		/* Пароль */
	"\xd0\x9f\xd0\x90\xd0\xa0\xd0\x9e\xd0\x9b\xd0\xac",		/* ПАРОЛЬ */
	"\xe5\xaf\x86\xe7\xa0\x81", "\xe5\xaf\x86\xe7\xa2\xbc",	/* 密码 密碼 */
	"\xe5\x8f\xa3\xe4\xbb\xa4",					/* 口令 */
	"\xe3\x83\x91\xe3\x82\xb9\xe3\x83\xaf\xe3\x83\xbc\xe3\x83\x89",	/* パスワード */
	"\xeb\xb9\x84\xeb\xb0\x80\xeb\xb2\x88\xed\x98\xb8",		/* 비밀번호 */
	"\xec\x95\x94\xed\x98\xb8",					/* 암호 */
	"\xce\xba\xcf\x89\xce\xb4\xce\xb9\xce\xba\xcf\x8c\xcf\x82",	/* κωδικός */
	"\xce\x9a\xcf\x89\xce\xb4\xce\xb9\xce\xba\xcf\x8c\xcf\x82",	/* Κωδικός */
	"m\xe1\xba\xadt kh\xe1\xba\xa9u", "kata sandi",
	"\xd9\x83\xd9\x84\xd9\x85\xd8\xa9 \xd8\xa7\xd9\x84\xd9\x85\xd8\xb1\xd9\x88\xd8\xb1",
	"\xd9\x83\xd9\x84\xd9\x85\xd8\xa9 \xd8\xa7\xd9\x84\xd8\xb3\xd8\xb1",	/* Arabic */
};

/* Between a phrase and its separator: "password for the archive is". */
static const char *const fillers[] = {
	"for", "the", "a", "an", "to", "of", "this", "that", "open", "opening", "extract",
	"unzip", "view", "access", "zip", "rar", "7z", "7-zip", "archive", "file", "files",
	"document", "documents", "attachment", "attached", "invoice", "below", "follows",
	"following", "protected", "secure", "f\xc3\xbcr", "die", "das", "den", "der", "zum",
	"\xc3\xb6" "ffnen", "datei", "anhang", "archiv", "dokument", "pour", "le", "la", "les",
	"du", "de", "des", "fichier", "ouvrir", "pi\xc3\xa8" "ce", "jointe", "para", "el", "del",
	"archivo", "documento", "adjunto", "abrir", "o", "do", "da", "arquivo", "anexo", "voor",
	"het", "bestand", "bijlage", "openen", "van", "pliku", "archiwum",
	"\xd0\xb4\xd0\xbb\xd1\x8f", "\xd0\xb0\xd1\x80\xd1\x85\xd0\xb8\xd0\xb2\xd0\xb0",
	"\xd1\x84\xd0\xb0\xd0\xb9\xd0\xbb\xd0\xb0", "\xd0\xba", "\xd0\xbe\xd1\x82",
};

/* Separators; words among them need a boundary after an ASCII end. */
static const char *const separators[] = {
	":", "=", "- ", "->", "\xef\xbc\x9a", "\xef\xbc\x9d", "\xe2\x80\x93", "\xe2\x80\x94",
	"\xe2\x86\x92", "is", "ist", "lautet", "est", "es", "\xc3\xa9", "jest", "\xc3\xa4r",
	"era", "sera", "will be", "\xd1\x8d\xd1\x82\xd0\xbe",
	"\xe6\x98\xaf", "\xe4\xb8\xba", "\xe7\x82\xba", "\xe3\x81\xaf", "\xeb\x8a\x94",
	"\xec\x9d\x80",
};

/* Words before a phrase that take the token without a separator. */
static const char *const verbs[] = {
	"use", "using", "with", "enter", "type", "mit", "avec", "con", "com", "met",
};

/* Tokens that are words of the sentence, not passwords. */
static const char *const stopwords[] = {
	"the", "a", "an", "is", "to", "for", "and", "or", "your", "you", "my", "our", "this",
	"that", "it", "will", "be", "was", "has", "have", "here", "below", "above", "follows",
	"following", "sent", "separately", "separate", "later", "soon", "please", "see",
	"protected", "protection", "required", "reset", "change", "changed", "expired",
	"expire", "expires", "expiring", "about", "going", "incorrect", "wrong", "invalid",
	"same", "usual", "attached", "thanks", "thank", "regards", "hello", "hi", "dear",
	"none", "n/a", "not", "no", "yes", "by", "via", "in", "on", "sms", "phone", "email",
	"e-mail", "mail", "call", "text",
};

static bool
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static unsigned char
fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* Length of word at s (within n bytes), ASCII case folded, else 0. */
static size_t
match(const char *s, size_t n, const char *word)
{
	size_t i;

	for (i = 0; word[i] != '\0'; i++)
		if (i >= n || fold((unsigned char)s[i]) != fold((unsigned char)word[i]))
			return 0;
	return i;
}

/* Bytes of a space at s: ASCII blank, NBSP, ideographic space; else 0. */
static size_t
space_len(const char *s, size_t n)
{
	if (n >= 1 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r'))
		return 1;
	if (n >= 2 && memcmp(s, "\xc2\xa0", 2) == 0)
		return 2;
	if (n >= 3 && memcmp(s, "\xe3\x80\x80", 3) == 0)
		return 3;
	return 0;
}

static size_t
skip_spaces(const char *s, size_t n)
{
	size_t i = 0, k;

	while ((k = space_len(s + i, n - i)) > 0)
		i += k;
	return i;
}

/* Bytes of punctuation ending a token: ASCII quotes and brackets, « »,
 * U+2000-U+206F, CJK U+3000-U+303F, fullwidth punctuation; else 0. */
static size_t
stop_len(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	if (n >= 1 && strchr("\"'`<>()[]{}*", u[0]) != NULL && u[0] != '\0')
		return 1;
	if (n >= 2 && u[0] == 0xc2 && (u[1] == 0xab || u[1] == 0xbb || u[1] == 0xa0))
		return 2;
	if (n >= 3 && (u[0] == 0xe2 && (u[1] == 0x80 || u[1] == 0x81)))
		return 3;
	if (n >= 3 && u[0] == 0xe3 && u[1] == 0x80)
		return 3;
	if (n >= 3 && u[0] == 0xef && ((u[1] == 0xbc && (u[2] <= 0x8f ||
	    (u[2] >= 0x9a && u[2] <= 0xa0) || u[2] >= 0xbb)) || (u[1] == 0xbd && u[2] >= 0x9b)))
		return 3;
	return 0;
}

/* A word of list at s with a boundary after it when it ends in a letter. */
static size_t
word_in(const char *const *list, size_t nlist, const char *s, size_t n)
{
	size_t i, k;

	for (i = 0; i < nlist; i++) {
		k = match(s, n, list[i]);
		if (k > 0 && (k == n || !is_alnum((unsigned char)list[i][k - 1]) ||
		    !is_alnum((unsigned char)s[k])))
			return k;
	}
	return 0;
}

/* Keeps tok[0..n) when it looks like a password: 2 to 64 bytes, a letter
 * or digit, neither a sentence word nor a link. */
static int
add(struct mime_passwords *set, struct mg_arena *a, const char *tok, size_t n)
{
	static const char trail[] = ".,;:!?";
	bool alnum = false;
	size_t i;
	char *s;

	while (n > 0 && strchr(trail, tok[n - 1]) != NULL)
		n--;
	if (n < 2 || n > PASSWORD_LEN_MAX || set->n >= PASSWORDS_MAX)
		return 0;
	for (i = 0; i < n; i++)
		alnum |= is_alnum((unsigned char)tok[i]) || (unsigned char)tok[i] >= 0x80;
	if (!alnum || word_in(stopwords, NELEM(stopwords), tok, n) == n ||
	    memmem(tok, n, "://", 3) != NULL || match(tok, n, "www.") > 0)
		return 0;
	for (i = 0; i < set->n; i++)
		if (strlen(set->v[i]) == n && memcmp(set->v[i], tok, n) == 0)
			return 0;
	if ((s = mg_arena_strndup(a, tok, n)) == NULL)
		return -MG_ENOMEM;
	set->v[set->n++] = s;
	return 0;
}

/* The token at s: quoted (spaces allowed inside) or up to a space or
 * a stop; *len its bytes, returns where it starts. */
static const char *
token(const char *s, size_t n, size_t *len)
{
	size_t q, i = 0;
	bool quoted = false;

	while ((q = stop_len(s, n)) > 0) {	/* "**'1234'**" */
		s += q;
		n -= q;
		quoted = true;
	}
	if (quoted) {
		while (i < n && stop_len(s + i, n - i) == 0)
			i++;
	} else {
		while (i < n && space_len(s + i, n - i) == 0 && stop_len(s + i, n - i) == 0)
			i++;
	}
	*len = i;
	return s;
}

/* The next line holding one lone token after line [.., end) of text. */
static int
lone_token(struct mime_passwords *set, struct mg_arena *a, const char *p, const char *end)
{
	const char *nl, *tok;
	size_t len;

	for (int i = 0; i < LINES_AHEAD && p < end; i++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		p += skip_spaces(p, (size_t)(nl - p));
		if (p == nl) {
			p = nl + 1;
			continue;
		}
		tok = token(p, (size_t)(nl - p), &len);
		p = tok + len;
		p += stop_len(p, (size_t)(nl - p));	/* a closing quote */
		if (p + skip_spaces(p, (size_t)(nl - p)) == nl)
			return add(set, a, tok, len);
		return 0;
	}
	return 0;
}

/* After a phrase at line[at..]: fillers and separators, then the token. */
static int
after_phrase(struct mime_passwords *set, struct mg_arena *a, const char *p, const char *eol,
    const char *end, bool verb)
{
	bool sep = verb;
	size_t k, len;
	const char *tok;

	for (int words = 0; words < FILLER_MAX; words++) {
		p += skip_spaces(p, (size_t)(eol - p));
		if ((k = word_in(separators, NELEM(separators), p, (size_t)(eol - p))) > 0)
			sep = true;
		else if ((k = word_in(fillers, NELEM(fillers), p, (size_t)(eol - p))) == 0 &&
		    *p == '(' && (tok = memchr(p, ')', (size_t)(eol - p))) != NULL &&
		    tok - p < PAREN_MAX)
			k = (size_t)(tok - p) + 1;
		if (k == 0)
			break;
		p += k;
	}
	p += skip_spaces(p, (size_t)(eol - p));
	if (p >= eol)
		return lone_token(set, a, eol + (eol < end), end);
	if (!sep)
		return 0;
	tok = token(p, (size_t)(eol - p), &len);
	return add(set, a, tok, len);
}

/* Start of the ASCII word ending before s (spaces skipped), or NULL. */
static const char *
prev_word(const char *line, const char *s, size_t *len)
{
	const char *w;

	while (s > line && s[-1] == ' ')
		s--;
	for (w = s; w > line && is_alnum((unsigned char)w[-1]); w--)
		;
	*len = (size_t)(s - w);
	return w < s ? w : NULL;
}

/* Whether the word before s ("the" skipped) is a verb of the table. */
static bool
after_verb(const char *line, const char *s)
{
	const char *w;
	size_t n;

	if ((w = prev_word(line, s, &n)) != NULL && n == 3 && match(w, n, "the") == 3)
		w = prev_word(line, w, &n);
	return w != NULL && word_in(verbs, NELEM(verbs), w, n) == n;
}

/* The phrase of the table at s, with word boundaries on ASCII ends. */
static size_t
phrase_at(const char *line, const char *s, size_t n)
{
	size_t i, k;

	if (s > line && is_alnum((unsigned char)s[-1]) && is_alnum((unsigned char)s[0]))
		return 0;
	for (i = 0; i < NELEM(phrases); i++) {
		k = match(s, n, phrases[i]);
		if (k > 0 && (k == n || !is_alnum((unsigned char)s[k]) ||
		    !is_alnum((unsigned char)phrases[i][k - 1])))
			return k;
	}
	return 0;
}

int
passwords_from_text(struct mime_passwords *set, struct mg_arena *a, const char *text,
    size_t len)
{
	const char *end, *line, *eol, *p;
	size_t k;
	int rc;

	if (text == NULL)
		return 0;
	end = text + (len < PASSWORDS_TEXT_MAX ? len : PASSWORDS_TEXT_MAX);
	for (line = text; line < end && set->n < PASSWORDS_MAX; line = eol + 1) {
		if ((eol = memchr(line, '\n', (size_t)(end - line))) == NULL)
			eol = end;
		for (p = line; p < eol; p++) {
			if ((k = phrase_at(line, p, (size_t)(eol - p))) == 0)
				continue;
			if ((rc = after_phrase(set, a, p + k, eol, end, after_verb(line, p))) != 0)
				return rc;
			p += k - 1;
		}
	}
	return 0;
}
