/* Charset conversion to UTF-8 (see mime_charset.h). ICU does the real
 * work; the UTF-8 checks and the ASCII fast paths are our own because they
 * run on every text part and header and must not pay for a converter. */
#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ucnv.h>
#include <unicode/ucsdet.h>

#include "core/err.h"
#include "mime/mime.h"
#include "mime/mime_charset.h"

#define CS_CACHE	8		/* converters kept per thread */
#define DETECT_SAMPLE	2048		/* bytes shown to the detector */
#define DETECT_MIN_CONF	10		/* ICU confidence below this is a guess */
#define DETECT_TRIES	3		/* candidates tried in turn */

enum cs_kind { CS_UNKNOWN, CS_ASCII, CS_UTF8, CS_ICU };

/* Declared names mapped to what mail clients actually decode them as. */
static const struct {
	const char	*alias;
	const char	*name;		/* reported and opened (NULL: special) */
	enum cs_kind	 kind;
} cs_aliases[] = {
	{ "us-ascii", "us-ascii", CS_ASCII }, { "ascii", "us-ascii", CS_ASCII },
	{ "ansi_x3.4-1968", "us-ascii", CS_ASCII }, { "iso646-us", "us-ascii", CS_ASCII },
	{ "us", "us-ascii", CS_ASCII },
	{ "utf-8", "utf-8", CS_UTF8 }, { "utf8", "utf-8", CS_UTF8 },
	{ "x-utf8", "utf-8", CS_UTF8 }, { "unicode-1-1-utf-8", "utf-8", CS_UTF8 },
	{ "iso-8859-1", "windows-1252", CS_ICU }, { "iso8859-1", "windows-1252", CS_ICU },
	{ "iso_8859-1", "windows-1252", CS_ICU }, { "latin1", "windows-1252", CS_ICU },
	{ "latin-1", "windows-1252", CS_ICU }, { "l1", "windows-1252", CS_ICU },
	{ "cp819", "windows-1252", CS_ICU }, { "iso-ir-100", "windows-1252", CS_ICU },
	{ "windows-1252", "windows-1252", CS_ICU }, { "cp1252", "windows-1252", CS_ICU },
	{ "x-cp1252", "windows-1252", CS_ICU }, { "win-1252", "windows-1252", CS_ICU },
	{ "iso-8859-9", "windows-1254", CS_ICU }, { "latin5", "windows-1254", CS_ICU },
	{ "iso-8859-11", "windows-874", CS_ICU }, { "tis-620", "windows-874", CS_ICU },
	{ "gb2312", "gb18030", CS_ICU }, { "gbk", "gb18030", CS_ICU },
	{ "gb_2312-80", "gb18030", CS_ICU }, { "csgb2312", "gb18030", CS_ICU },
	{ "cp936", "gb18030", CS_ICU }, { "x-gbk", "gb18030", CS_ICU },
	{ "euc-cn", "gb18030", CS_ICU }, { "windows-936", "gb18030", CS_ICU },
	{ "gb18030", "gb18030", CS_ICU },
	{ "ks_c_5601-1987", "windows-949", CS_ICU }, { "ks_c_5601", "windows-949", CS_ICU },
	{ "ks_c_5601-1989", "windows-949", CS_ICU }, { "euc-kr", "windows-949", CS_ICU },
	{ "cp949", "windows-949", CS_ICU }, { "windows-949", "windows-949", CS_ICU },
	{ "big5", "big5-hkscs", CS_ICU }, { "big-5", "big5-hkscs", CS_ICU },
	{ "cn-big5", "big5-hkscs", CS_ICU }, { "x-x-big5", "big5-hkscs", CS_ICU },
	{ "shift_jis", "windows-31j", CS_ICU }, { "shift-jis", "windows-31j", CS_ICU },
	{ "sjis", "windows-31j", CS_ICU }, { "x-sjis", "windows-31j", CS_ICU },
	{ "ms_kanji", "windows-31j", CS_ICU }, { "cp932", "windows-31j", CS_ICU },
	{ "unicode-1-1-utf-7", "utf-7", CS_ICU },
	{ "x-unknown", NULL, CS_UNKNOWN }, { "unknown", NULL, CS_UNKNOWN },
	{ "unknown-8bit", NULL, CS_UNKNOWN }, { "x-user-defined", NULL, CS_UNKNOWN },
	{ "default", NULL, CS_UNKNOWN }, { "charset", NULL, CS_UNKNOWN },
};

struct cs_entry {
	char		 key[MIME_CS_NAME_MAX];		/* normalised declared name */
	char		 name[MIME_CS_NAME_MAX];	/* reported name */
	enum cs_kind	 kind;
	UConverter	*cnv;
	bool		 ascii_ok;	/* ASCII bytes stand for themselves */
};

struct cs_thread {
	struct cs_entry	 e[CS_CACHE];
	unsigned	 next;		/* slot replaced on the next miss */
	struct cs_entry	 unusable;	/* for names that are not charset names */
	UCharsetDetector *det;
};

static pthread_key_t cs_key;
static pthread_once_t cs_once = PTHREAD_ONCE_INIT;

static void
cs_thread_free(void *arg)
{
	struct cs_thread *t = arg;
	unsigned i;

	for (i = 0; i < CS_CACHE; i++)
		if (t->e[i].cnv != NULL)
			ucnv_close(t->e[i].cnv);
	if (t->det != NULL)
		ucsdet_close(t->det);
	free(t);
}

static void
cs_key_init(void)
{
	if (pthread_key_create(&cs_key, cs_thread_free) != 0)
		abort();
}

static struct cs_thread *
cs_thread(void)
{
	struct cs_thread *t;

	pthread_once(&cs_once, cs_key_init);
	if ((t = pthread_getspecific(cs_key)) != NULL)
		return t;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if (pthread_setspecific(cs_key, t) != 0) {
		free(t);
		return NULL;
	}
	return t;
}

size_t
mime_ascii_span(const uint8_t *p, size_t len)
{
	size_t i = 0;
	uint64_t w;

	for (; len - i >= 8; i += 8) {
		memcpy(&w, p + i, 8);
		if (w & 0x8080808080808080ull)
			break;
	}
	while (i < len && p[i] < 0x80)
		i++;
	return i;
}

/* Length of the valid UTF-8 sequence at p (n > 0 bytes left), or 0 with
 * *bad set to the length of its maximal invalid prefix (at least 1). */
static size_t
utf8_seq(const uint8_t *p, size_t n, size_t *bad)
{
	uint8_t c = p[0], lo = 0x80, hi = 0xbf;
	size_t need, k;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c < 0xe0) {
		need = 1;
	} else if (c >= 0xe0 && c < 0xf0) {
		need = 2;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c < 0xf5) {
		need = 3;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		*bad = 1;
		return 0;
	}
	for (k = 1; k <= need; k++) {
		if (k >= n || p[k] < lo || p[k] > hi) {
			*bad = k;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return need + 1;
}

size_t
mime_utf8_valid_span(const uint8_t *p, size_t len)
{
	size_t i = 0, k, bad;

	for (;;) {
		i += mime_ascii_span(p + i, len - i);
		if (i == len || (k = utf8_seq(p + i, len - i, &bad)) == 0)
			return i;
		i += k;
	}
}

size_t
mime_utf8_boundary(const uint8_t *s, size_t len)
{
	size_t i = len, need, k;
	uint8_t c;

	for (k = 0; k < 4 && i > 0; k++) {
		c = s[--i];
		if ((c & 0xc0) == 0x80)
			continue;
		need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		return len - i >= need ? len : i;
	}
	return len;
}

/* Appends as much of p[0..n) as out->max allows, cut at a character
 * boundary; -MG_ELIMIT when cut. */
static int
put_cut(struct mg_buf *out, const uint8_t *p, size_t n)
{
	size_t room = out->max - out->len;
	int rc;

	if (n <= room)
		return mg_buf_append(out, p, n);
	if ((rc = mg_buf_append(out, p, mime_utf8_boundary(p, room))) < 0)
		return rc;
	return -MG_ELIMIT;
}

int
mime_utf8_sanitize(const uint8_t *p, size_t len, struct mg_buf *out)
{
	static const uint8_t fffd[3] = { 0xef, 0xbf, 0xbd };
	size_t i = 0, v, bad;
	int rc;

	while (i < len) {
		v = i + mime_utf8_valid_span(p + i, len - i);
		if ((rc = put_cut(out, p + i, v - i)) < 0)
			return rc;
		if (v == len)
			break;
		utf8_seq(p + v, len - v, &bad);
		if ((rc = put_cut(out, fffd, 3)) < 0)
			return rc;
		i = v + bad;
	}
	return 0;
}

/* Declared name trimmed of blanks, quotes and backslashes (charset=\"x\"
 * is common), lower case, into key; false
 * when empty, too long or holding characters no charset name has (ICU
 * must never be asked to load a file named by a sender). */
static bool
cs_normalize(const char *s, char key[MIME_CS_NAME_MAX])
{
	size_t n = 0;

	while (*s != '\0' && strchr(" \t\"'\\", *s) != NULL)
		s++;
	for (; *s != '\0' && strchr(" \t\"'\\", *s) == NULL; s++) {
		unsigned char c = (unsigned char)tolower((unsigned char)*s);

		if (n + 1 >= MIME_CS_NAME_MAX || !(isalnum(c) || strchr("-_.:+", c) != NULL))
			return false;
		key[n++] = (char)c;
	}
	key[n] = '\0';
	return n > 0;
}

/* Whether the converter reads printable ASCII and line breaks as ASCII. */
static bool
cs_ascii_compatible(UConverter *cnv)
{
	char probe[128], got[384];
	UErrorCode err = U_ZERO_ERROR;
	int32_t n;
	int i, k = 0;

	for (i = 0x20; i < 0x7f; i++)
		probe[k++] = (char)i;
	probe[k++] = '\t';
	probe[k++] = '\r';
	probe[k++] = '\n';
	n = ucnv_toAlgorithmic(UCNV_UTF8, cnv, got, sizeof(got), probe, k, &err);
	return U_SUCCESS(err) && n == k && memcmp(got, probe, (size_t)k) == 0;
}

/* Fills e for key from the alias table or ICU's own alias list. */
static void
cs_resolve(struct cs_entry *e, const char *key)
{
	const char *name = key;
	UErrorCode err = U_ZERO_ERROR;
	size_t i;

	e->kind = CS_ICU;
	for (i = 0; i < sizeof(cs_aliases) / sizeof(cs_aliases[0]); i++) {
		if (strcmp(cs_aliases[i].alias, key) == 0) {
			e->kind = cs_aliases[i].kind;
			name = cs_aliases[i].name ? cs_aliases[i].name : key;
			break;
		}
	}
	snprintf(e->name, sizeof(e->name), "%s", name);
	if (e->kind != CS_ICU)
		return;
	if (ucnv_countAliases(name, &err) == 0 || U_FAILURE(err) ||
	    (err = U_ZERO_ERROR, e->cnv = ucnv_open(name, &err)) == NULL || U_FAILURE(err)) {
		if (e->cnv != NULL)
			ucnv_close(e->cnv);
		e->cnv = NULL;
		e->kind = CS_UNKNOWN;
		return;
	}
	e->ascii_ok = cs_ascii_compatible(e->cnv);
}

/* The cached entry for a declared name; NULL only when out of memory. */
static struct cs_entry *
cs_lookup(const char *declared)
{
	struct cs_thread *t = cs_thread();
	char key[MIME_CS_NAME_MAX];
	struct cs_entry *e;
	unsigned i;

	if (t == NULL)
		return NULL;
	if (!cs_normalize(declared, key))
		return &t->unusable;
	for (i = 0; i < CS_CACHE; i++)
		if (t->e[i].key[0] != '\0' && strcmp(t->e[i].key, key) == 0)
			return &t->e[i];
	e = &t->e[t->next];
	t->next = (t->next + 1) % CS_CACHE;
	if (e->cnv != NULL)
		ucnv_close(e->cnv);
	memset(e, 0, sizeof(*e));
	memcpy(e->key, key, sizeof(key));
	cs_resolve(e, key);
	return e;
}

/* Converts through ICU. strict: stop at the first byte that does not
 * convert (1, nothing appended); otherwise U+FFFD. 0, 1, -MG_ENOMEM;
 * *cut when out->max stopped it. */
static int
cs_icu(struct cs_entry *e, const uint8_t *in, size_t len, bool strict, struct mg_buf *out,
    bool *cut)
{
	size_t room = out->max - out->len, need, n0 = out->len, k;
	UErrorCode err = U_ZERO_ERROR;
	uint8_t *sub;
	int32_t n;
	int rc;

	if (len > ((size_t)INT32_MAX - 16) / 3)
		len = ((size_t)INT32_MAX - 16) / 3;
	/* 3 bytes of UTF-8 per byte read is the most any charset makes */
	need = 3 * len + 16;
	if (need > room) {
		if (3 * len > room) {
			*cut = true;
			strict = false;
			len = room / 3;
		}
		need = room;
	}
	if ((rc = mg_buf_reserve(out, need)) < 0)
		return rc == -MG_ENOMEM ? rc : 1;
	ucnv_setToUCallBack(e->cnv, strict ? UCNV_TO_U_CALLBACK_STOP :
	    UCNV_TO_U_CALLBACK_SUBSTITUTE, NULL, NULL, NULL, &err);
	n = ucnv_toAlgorithmic(UCNV_UTF8, e->cnv, (char *)out->data + n0, (int32_t)need,
	    (const char *)in, (int32_t)len, &err);
	if (U_FAILURE(err) || n < 0) {
		if (strict)
			return 1;
		return mime_utf8_sanitize(in, len, out) == -MG_ENOMEM ? -MG_ENOMEM : 0;
	}
	out->len = n0 + (size_t)n;
	/* U+001A is what converters with a one-byte substitute put */
	if (!strict && memchr(in, 0x1a, len) == NULL)
		for (k = n0; (sub = memchr(out->data + k, 0x1a, out->len - k)) != NULL; k++) {
			k = (size_t)(sub - out->data);
			*sub = '?';
		}
	return 0;
}

/* Plain copy of bytes already known to be valid UTF-8. */
static int
cs_copy(const uint8_t *in, size_t len, struct mg_buf *out, struct mime_conv *cv)
{
	int rc = put_cut(out, in, len);

	if (rc == -MG_ELIMIT) {
		cv->flags |= MIME_F_DECODED_LIMIT;
		rc = 0;
	}
	return rc;
}

static int
cs_sanitize(const uint8_t *in, size_t len, struct mg_buf *out, struct mime_conv *cv)
{
	int rc = mime_utf8_sanitize(in, len, out);

	if (rc == -MG_ELIMIT) {
		cv->flags |= MIME_F_DECODED_LIMIT;
		rc = 0;
	}
	return rc;
}

/* Converts with e, strictly or not; 1 when strict and not clean. */
static int
cs_convert(struct cs_entry *e, const uint8_t *in, size_t len, bool strict,
    struct mg_buf *out, struct mime_conv *cv)
{
	bool cut = false;
	int rc;

	if (e->ascii_ok && mime_ascii_span(in, len) == len)
		rc = cs_copy(in, len, out, cv);
	else if ((rc = cs_icu(e, in, len, strict, out, &cut)) == 0 && cut)
		cv->flags |= MIME_F_DECODED_LIMIT;
	if (rc == 0)
		snprintf(cv->charset, sizeof(cv->charset), "%s", e->name);
	return rc;
}

/* Up to DETECT_SAMPLE bytes of p around its 8-bit bytes, which are what
 * tells charsets apart (ICU's detector runs at a few MB/s). */
static size_t
detect_sample(const uint8_t *p, size_t len, uint8_t *s)
{
	size_t i = 0, n = 0, from, to, last = 0;

	while (n < DETECT_SAMPLE) {
		i += mime_ascii_span(p + i, len - i);
		if (i == len)
			break;
		from = i > 64 ? i - 64 : 0;
		if (from < last)
			from = last;
		to = len - i > 192 ? i + 192 : len;
		if (to - from > DETECT_SAMPLE - n)
			to = from + DETECT_SAMPLE - n;
		memcpy(s + n, p + from, to - from);
		n += to - from;
		last = to;
		i = to > i ? to : i + 1;
	}
	return n;
}

/* Tries ICU's best guesses in turn; 1 when none converts cleanly. */
static int
cs_detect(const uint8_t *in, size_t len, unsigned opts, struct mg_buf *out,
    struct mime_conv *cv)
{
	struct cs_thread *t = cs_thread();
	const UCharsetMatch *const *m;
	UErrorCode err = U_ZERO_ERROR;
	char names[DETECT_TRIES][MIME_CS_NAME_MAX];
	uint8_t sample[DETECT_SAMPLE];
	int32_t nm = 0, i, k = 0;
	size_t ns = len;
	struct cs_entry *e;
	int rc;

	if (t == NULL)
		return -MG_ENOMEM;
	if (t->det == NULL && ((t->det = ucsdet_open(&err)) == NULL || U_FAILURE(err))) {
		t->det = NULL;
		return 1;
	}
	if (len > DETECT_SAMPLE)
		ns = detect_sample(in, len, sample);
	ucsdet_enableInputFilter(t->det, (opts & MIME_CS_HTML) != 0);
	ucsdet_setText(t->det, (const char *)(len > DETECT_SAMPLE ? sample : in), (int32_t)ns,
	    &err);
	m = ucsdet_detectAll(t->det, &nm, &err);
	for (i = 0; U_SUCCESS(err) && i < nm && k < DETECT_TRIES; i++) {
		const char *name = ucsdet_getName(m[i], &err);

		if (U_SUCCESS(err) && name != NULL &&
		    ucsdet_getConfidence(m[i], &err) >= DETECT_MIN_CONF)
			snprintf(names[k++], MIME_CS_NAME_MAX, "%s", name);
	}
	/* the detector's matches die with its next use: names were copied */
	for (i = 0; i < k; i++) {
		if ((e = cs_lookup(names[i])) == NULL)
			return -MG_ENOMEM;
		if (e->kind != CS_ICU)
			continue;
		if ((rc = cs_convert(e, in, len, true, out, cv)) <= 0)
			return rc;
	}
	return 1;
}

/* 8-bit bytes of a text that is not valid UTF-8. */
struct hi_stats {
	size_t		 high;		/* bytes >= 0x80 */
	size_t		 paired;	/* of which next to another one */
	size_t		 utf8;		/* of which in valid UTF-8 sequences */
};

static void
hi_scan(const uint8_t *p, size_t len, struct hi_stats *s)
{
	size_t i = 0, k, bad;

	memset(s, 0, sizeof(*s));
	for (;;) {
		i += mime_ascii_span(p + i, len - i);
		if (i == len)
			return;
		if ((k = utf8_seq(p + i, len - i, &bad)) > 1) {
			s->high += k;
			s->paired += k;
			s->utf8 += k;
			i += k;
			continue;
		}
		s->high++;
		if ((i > 0 && p[i - 1] >= 0x80) || (i + 1 < len && p[i + 1] >= 0x80))
			s->paired++;
		i++;
	}
}

/* Reads a text whose charset is missing or wrong: UTF-8 with a few bad
 * bytes, windows-1252 when the 8-bit bytes stand alone (accented letters,
 * typographic quotes: detection would say the same, slowly), else what
 * ICU detects. 1 when nothing converts cleanly. */
static int
cs_guess(const uint8_t *in, size_t len, unsigned opts, struct mg_buf *out,
    struct mime_conv *cv)
{
	struct hi_stats hs;
	struct cs_entry *e;
	int rc;

	hi_scan(in, len, &hs);
	if (hs.utf8 >= hs.high - hs.high / 10) {
		snprintf(cv->charset, sizeof(cv->charset), "utf-8");
		return cs_sanitize(in, len, out, cv);
	}
	if (hs.paired * 4 < hs.high) {
		if ((e = cs_lookup("windows-1252")) == NULL)
			return -MG_ENOMEM;
		if (e->kind == CS_ICU && (rc = cs_convert(e, in, len, true, out, cv)) <= 0)
			return rc;
	}
	return cs_detect(in, len, opts, out, cv);
}

static size_t
count_high(const uint8_t *p, size_t len)
{
	size_t i = 0, n = 0;

	while ((i += mime_ascii_span(p + i, len - i)) < len) {
		n++;
		i++;
	}
	return n;
}

/* U+FFFD in UTF-8 text: what a conversion could not read. */
static size_t
count_fffd(const uint8_t *p, size_t len)
{
	const uint8_t *q, *end = p + len;
	size_t n = 0;

	while ((q = memmem(p, (size_t)(end - p), "\xef\xbf\xbd", 3)) != NULL) {
		n++;
		p = q + 3;
	}
	return n;
}

/* No usable declaration: ASCII, UTF-8, a guess, windows-1252. */
static int
cs_undeclared(const uint8_t *in, size_t len, unsigned opts, struct mg_buf *out,
    struct mime_conv *cv)
{
	struct cs_entry *e;
	int rc;

	if (mime_ascii_span(in, len) == len) {
		snprintf(cv->charset, sizeof(cv->charset), "us-ascii");
		return cs_copy(in, len, out, cv);
	}
	if (mime_utf8_valid_span(in, len) == len) {
		snprintf(cv->charset, sizeof(cv->charset), "utf-8");
		return cs_copy(in, len, out, cv);
	}
	if ((rc = cs_guess(in, len, opts, out, cv)) <= 0)
		return rc;
	if ((e = cs_lookup("windows-1252")) == NULL)
		return -MG_ENOMEM;
	if (e->kind == CS_ICU)
		return cs_convert(e, in, len, false, out, cv);
	snprintf(cv->charset, sizeof(cv->charset), "utf-8");
	return cs_sanitize(in, len, out, cv);
}

int
mime_charset_to_utf8(const char *charset, const uint8_t *in, size_t len, unsigned opts,
    struct mg_buf *out, struct mime_conv *cv)
{
	struct cs_entry *e;
	size_t n0;
	int rc;

	cv->flags = 0;
	cv->charset[0] = '\0';
	if (charset == NULL || charset[0] == '\0')
		return cs_undeclared(in, len, opts, out, cv);
	if ((e = cs_lookup(charset)) == NULL)
		return -MG_ENOMEM;
	switch (e->kind) {
	case CS_UNKNOWN:
		cv->flags |= MIME_F_UNKNOWN_CHARSET;
		return cs_undeclared(in, len, opts, out, cv);
	case CS_ASCII:
		if (mime_ascii_span(in, len) == len) {
			snprintf(cv->charset, sizeof(cv->charset), "us-ascii");
			return cs_copy(in, len, out, cv);
		}
		cv->flags |= MIME_F_WRONG_CHARSET;
		return cs_undeclared(in, len, opts, out, cv);
	case CS_UTF8:
		snprintf(cv->charset, sizeof(cv->charset), "utf-8");
		if (mime_utf8_valid_span(in, len) == len)
			return cs_copy(in, len, out, cv);
		cv->flags |= MIME_F_WRONG_CHARSET;
		return cs_sanitize(in, len, out, cv);
	case CS_ICU:
		break;
	}
	if ((rc = cs_convert(e, in, len, true, out, cv)) <= 0)
		return rc;
	cv->flags |= MIME_F_WRONG_CHARSET;
	/* a few bad bytes do not make the declaration wrong as a whole */
	n0 = out->len;
	if ((rc = cs_convert(e, in, len, false, out, cv)) < 0)
		return rc;
	if (count_fffd(out->data + n0, out->len - n0) * 50 <= count_high(in, len))
		return 0;
	out->len = n0;
	if ((rc = cs_guess(in, len, opts, out, cv)) <= 0)
		return rc;
	/* the detector may have evicted e from the cache */
	if ((e = cs_lookup(charset)) == NULL)
		return -MG_ENOMEM;
	return cs_convert(e, in, len, false, out, cv);
}
