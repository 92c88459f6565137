/* Character references of HTML: the named ones mail actually uses (the
 * HTML 4 set, the invisible and spacing characters of HTML 5, common
 * punctuation and symbols) and numeric ones, decimal and hexadecimal, with
 * the Windows-1252 reading of 0x80..0x9f that browsers apply. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mime/html_int.h"

#define ENTITY_NAME_MAX	32
#define ENTITY_LEGACY_MAX 6	/* longest name recognised without ';' */

struct entity {
	const char	*name;
	uint32_t	 cp;
	bool		 legacy;	/* recognised without the ';' too */
};

/* Sorted by name, byte order (names are case-sensitive). */
static const struct entity entities[] = {
	{ "AElig", 0x00c6, true },
	{ "AMP", 0x0026, true },
	{ "Aacute", 0x00c1, true },
	{ "Acirc", 0x00c2, true },
	{ "Agrave", 0x00c0, true },
	{ "Alpha", 0x0391, false },
	{ "ApplyFunction", 0x2061, false },
	{ "Aring", 0x00c5, true },
	{ "Atilde", 0x00c3, true },
	{ "Auml", 0x00c4, true },
	{ "Beta", 0x0392, false },
	{ "COPY", 0x00a9, true },
	{ "Ccedil", 0x00c7, true },
	{ "Chi", 0x03a7, false },
	{ "Dagger", 0x2021, false },
	{ "Delta", 0x0394, false },
	{ "DoubleRightArrow", 0x21d2, false },
	{ "ETH", 0x00d0, true },
	{ "Eacute", 0x00c9, true },
	{ "Ecirc", 0x00ca, true },
	{ "Egrave", 0x00c8, true },
	{ "Epsilon", 0x0395, false },
	{ "Eta", 0x0397, false },
	{ "Euml", 0x00cb, true },
	{ "GT", 0x003e, true },
	{ "Gamma", 0x0393, false },
	{ "Hat", 0x005e, false },
	{ "Iacute", 0x00cd, true },
	{ "Icirc", 0x00ce, true },
	{ "Igrave", 0x00cc, true },
	{ "InvisibleComma", 0x2063, false },
	{ "InvisibleTimes", 0x2062, false },
	{ "Iota", 0x0399, false },
	{ "Iuml", 0x00cf, true },
	{ "Kappa", 0x039a, false },
	{ "LT", 0x003c, true },
	{ "Lambda", 0x039b, false },
	{ "MediumSpace", 0x205f, false },
	{ "Mu", 0x039c, false },
	{ "NegativeMediumSpace", 0x200b, false },
	{ "NegativeThickSpace", 0x200b, false },
	{ "NegativeThinSpace", 0x200b, false },
	{ "NegativeVeryThinSpace", 0x200b, false },
	{ "NewLine", 0x000a, false },
	{ "NoBreak", 0x2060, false },
	{ "NonBreakingSpace", 0x00a0, false },
	{ "Ntilde", 0x00d1, true },
	{ "Nu", 0x039d, false },
	{ "OElig", 0x0152, false },
	{ "Oacute", 0x00d3, true },
	{ "Ocirc", 0x00d4, true },
	{ "Ograve", 0x00d2, true },
	{ "Omega", 0x03a9, false },
	{ "Omicron", 0x039f, false },
	{ "Oslash", 0x00d8, true },
	{ "Otilde", 0x00d5, true },
	{ "Ouml", 0x00d6, true },
	{ "Phi", 0x03a6, false },
	{ "Pi", 0x03a0, false },
	{ "Prime", 0x2033, false },
	{ "Psi", 0x03a8, false },
	{ "QUOT", 0x0022, true },
	{ "REG", 0x00ae, true },
	{ "Rho", 0x03a1, false },
	{ "Scaron", 0x0160, false },
	{ "Sigma", 0x03a3, false },
	{ "THORN", 0x00de, true },
	{ "TRADE", 0x2122, false },
	{ "Tab", 0x0009, false },
	{ "Tau", 0x03a4, false },
	{ "Theta", 0x0398, false },
	{ "ThinSpace", 0x2009, false },
	{ "Uacute", 0x00da, true },
	{ "Ucirc", 0x00db, true },
	{ "Ugrave", 0x00d9, true },
	{ "Upsilon", 0x03a5, false },
	{ "Uuml", 0x00dc, true },
	{ "Vert", 0x2016, false },
	{ "Xi", 0x039e, false },
	{ "Yacute", 0x00dd, true },
	{ "Yuml", 0x0178, false },
	{ "ZeroWidthSpace", 0x200b, false },
	{ "Zeta", 0x0396, false },
	{ "aacute", 0x00e1, true },
	{ "acirc", 0x00e2, true },
	{ "acute", 0x00b4, true },
	{ "aelig", 0x00e6, true },
	{ "af", 0x2061, false },
	{ "agrave", 0x00e0, true },
	{ "alefsym", 0x2135, false },
	{ "alpha", 0x03b1, false },
	{ "amp", 0x0026, true },
	{ "and", 0x2227, false },
	{ "ang", 0x2220, false },
	{ "angst", 0x00c5, false },
	{ "apos", 0x0027, false },
	{ "aring", 0x00e5, true },
	{ "ast", 0x002a, false },
	{ "asymp", 0x2248, false },
	{ "atilde", 0x00e3, true },
	{ "auml", 0x00e4, true },
	{ "bdquo", 0x201e, false },
	{ "beta", 0x03b2, false },
	{ "blacksquare", 0x25aa, false },
	{ "brvbar", 0x00a6, true },
	{ "bsol", 0x005c, false },
	{ "bull", 0x2022, false },
	{ "bullet", 0x2022, false },
	{ "cap", 0x2229, false },
	{ "ccedil", 0x00e7, true },
	{ "cedil", 0x00b8, true },
	{ "cent", 0x00a2, true },
	{ "check", 0x2713, false },
	{ "chi", 0x03c7, false },
	{ "circ", 0x02c6, false },
	{ "clubs", 0x2663, false },
	{ "colon", 0x003a, false },
	{ "comma", 0x002c, false },
	{ "commat", 0x0040, false },
	{ "cong", 0x2245, false },
	{ "copy", 0x00a9, true },
	{ "copysr", 0x2117, false },
	{ "crarr", 0x21b5, false },
	{ "cross", 0x2717, false },
	{ "cup", 0x222a, false },
	{ "curren", 0x00a4, true },
	{ "dArr", 0x21d3, false },
	{ "dagger", 0x2020, false },
	{ "darr", 0x2193, false },
	{ "dash", 0x2010, false },
	{ "deg", 0x00b0, true },
	{ "delta", 0x03b4, false },
	{ "diams", 0x2666, false },
	{ "divide", 0x00f7, true },
	{ "dollar", 0x0024, false },
	{ "downarrow", 0x2193, false },
	{ "dtrif", 0x25be, false },
	{ "eacute", 0x00e9, true },
	{ "ecirc", 0x00ea, true },
	{ "egrave", 0x00e8, true },
	{ "empty", 0x2205, false },
	{ "emsp", 0x2003, false },
	{ "emsp13", 0x2004, false },
	{ "emsp14", 0x2005, false },
	{ "ensp", 0x2002, false },
	{ "epsilon", 0x03b5, false },
	{ "equals", 0x003d, false },
	{ "equiv", 0x2261, false },
	{ "eta", 0x03b7, false },
	{ "eth", 0x00f0, true },
	{ "euml", 0x00eb, true },
	{ "euro", 0x20ac, false },
	{ "excl", 0x0021, false },
	{ "exist", 0x2203, false },
	{ "female", 0x2640, false },
	{ "flat", 0x266d, false },
	{ "fnof", 0x0192, false },
	{ "forall", 0x2200, false },
	{ "frac12", 0x00bd, true },
	{ "frac13", 0x2153, false },
	{ "frac14", 0x00bc, true },
	{ "frac15", 0x2155, false },
	{ "frac18", 0x215b, false },
	{ "frac23", 0x2154, false },
	{ "frac34", 0x00be, true },
	{ "frasl", 0x2044, false },
	{ "gamma", 0x03b3, false },
	{ "ge", 0x2265, false },
	{ "grave", 0x0060, false },
	{ "gt", 0x003e, true },
	{ "hArr", 0x21d4, false },
	{ "hairsp", 0x200a, false },
	{ "half", 0x00bd, false },
	{ "harr", 0x2194, false },
	{ "hearts", 0x2665, false },
	{ "hellip", 0x2026, false },
	{ "hookrightarrow", 0x21aa, false },
	{ "horbar", 0x2015, false },
	{ "hyphen", 0x2010, false },
	{ "iacute", 0x00ed, true },
	{ "ic", 0x2063, false },
	{ "icirc", 0x00ee, true },
	{ "iexcl", 0x00a1, true },
	{ "igrave", 0x00ec, true },
	{ "image", 0x2111, false },
	{ "incare", 0x2105, false },
	{ "infin", 0x221e, false },
	{ "int", 0x222b, false },
	{ "iota", 0x03b9, false },
	{ "iquest", 0x00bf, true },
	{ "isin", 0x2208, false },
	{ "it", 0x2062, false },
	{ "iuml", 0x00ef, true },
	{ "kappa", 0x03ba, false },
	{ "lArr", 0x21d0, false },
	{ "lambda", 0x03bb, false },
	{ "lang", 0x27e8, false },
	{ "laquo", 0x00ab, true },
	{ "larr", 0x2190, false },
	{ "lceil", 0x2308, false },
	{ "lcub", 0x007b, false },
	{ "ldquo", 0x201c, false },
	{ "ldquor", 0x201e, false },
	{ "le", 0x2264, false },
	{ "leftarrow", 0x2190, false },
	{ "lfloor", 0x230a, false },
	{ "lowast", 0x2217, false },
	{ "lowbar", 0x005f, false },
	{ "loz", 0x25ca, false },
	{ "lpar", 0x0028, false },
	{ "lrm", 0x200e, false },
	{ "lsaquo", 0x2039, false },
	{ "lsqb", 0x005b, false },
	{ "lsquo", 0x2018, false },
	{ "lsquor", 0x201a, false },
	{ "lt", 0x003c, true },
	{ "ltrif", 0x25c2, false },
	{ "macr", 0x00af, true },
	{ "male", 0x2642, false },
	{ "mdash", 0x2014, false },
	{ "mho", 0x2127, false },
	{ "micro", 0x00b5, true },
	{ "middot", 0x00b7, true },
	{ "minus", 0x2212, false },
	{ "mldr", 0x2026, false },
	{ "mu", 0x03bc, false },
	{ "nabla", 0x2207, false },
	{ "natural", 0x266e, false },
	{ "nbsp", 0x00a0, true },
	{ "ndash", 0x2013, false },
	{ "ne", 0x2260, false },
	{ "ni", 0x220b, false },
	{ "nldr", 0x2025, false },
	{ "not", 0x00ac, true },
	{ "notin", 0x2209, false },
	{ "nsub", 0x2284, false },
	{ "ntilde", 0x00f1, true },
	{ "nu", 0x03bd, false },
	{ "num", 0x0023, false },
	{ "numsp", 0x2007, false },
	{ "oacute", 0x00f3, true },
	{ "ocirc", 0x00f4, true },
	{ "oelig", 0x0153, false },
	{ "ograve", 0x00f2, true },
	{ "ohm", 0x03a9, false },
	{ "oline", 0x203e, false },
	{ "omega", 0x03c9, false },
	{ "omicron", 0x03bf, false },
	{ "oplus", 0x2295, false },
	{ "or", 0x2228, false },
	{ "ordf", 0x00aa, true },
	{ "ordm", 0x00ba, true },
	{ "oslash", 0x00f8, true },
	{ "otilde", 0x00f5, true },
	{ "otimes", 0x2297, false },
	{ "ouml", 0x00f6, true },
	{ "para", 0x00b6, true },
	{ "part", 0x2202, false },
	{ "percnt", 0x0025, false },
	{ "period", 0x002e, false },
	{ "permil", 0x2030, false },
	{ "perp", 0x22a5, false },
	{ "phi", 0x03c6, false },
	{ "phone", 0x260e, false },
	{ "pi", 0x03c0, false },
	{ "piv", 0x03d6, false },
	{ "plus", 0x002b, false },
	{ "plusmn", 0x00b1, true },
	{ "pound", 0x00a3, true },
	{ "prime", 0x2032, false },
	{ "prod", 0x220f, false },
	{ "prop", 0x221d, false },
	{ "psi", 0x03c8, false },
	{ "puncsp", 0x2008, false },
	{ "quest", 0x003f, false },
	{ "quot", 0x0022, true },
	{ "rArr", 0x21d2, false },
	{ "radic", 0x221a, false },
	{ "rang", 0x27e9, false },
	{ "raquo", 0x00bb, true },
	{ "rarr", 0x2192, false },
	{ "ratio", 0x2236, false },
	{ "rceil", 0x2309, false },
	{ "rcub", 0x007d, false },
	{ "rdquo", 0x201d, false },
	{ "rdquor", 0x201d, false },
	{ "real", 0x211c, false },
	{ "reg", 0x00ae, true },
	{ "rfloor", 0x230b, false },
	{ "rho", 0x03c1, false },
	{ "rightarrow", 0x2192, false },
	{ "rlm", 0x200f, false },
	{ "rpar", 0x0029, false },
	{ "rsaquo", 0x203a, false },
	{ "rsqb", 0x005d, false },
	{ "rsquo", 0x2019, false },
	{ "rsquor", 0x2019, false },
	{ "rtrif", 0x25b8, false },
	{ "sbquo", 0x201a, false },
	{ "scaron", 0x0161, false },
	{ "sdot", 0x22c5, false },
	{ "sect", 0x00a7, true },
	{ "semi", 0x003b, false },
	{ "sharp", 0x266f, false },
	{ "shy", 0x00ad, true },
	{ "sigma", 0x03c3, false },
	{ "sigmaf", 0x03c2, false },
	{ "sim", 0x223c, false },
	{ "sol", 0x002f, false },
	{ "spades", 0x2660, false },
	{ "squ", 0x25a1, false },
	{ "square", 0x25a1, false },
	{ "star", 0x2606, false },
	{ "starf", 0x2605, false },
	{ "sub", 0x2282, false },
	{ "sube", 0x2286, false },
	{ "sum", 0x2211, false },
	{ "sung", 0x266a, false },
	{ "sup", 0x2283, false },
	{ "sup1", 0x00b9, true },
	{ "sup2", 0x00b2, true },
	{ "sup3", 0x00b3, true },
	{ "supe", 0x2287, false },
	{ "szlig", 0x00df, true },
	{ "tau", 0x03c4, false },
	{ "there4", 0x2234, false },
	{ "theta", 0x03b8, false },
	{ "thetasym", 0x03d1, false },
	{ "thinsp", 0x2009, false },
	{ "thorn", 0x00fe, true },
	{ "tilde", 0x02dc, false },
	{ "times", 0x00d7, true },
	{ "trade", 0x2122, false },
	{ "uArr", 0x21d1, false },
	{ "uacute", 0x00fa, true },
	{ "uarr", 0x2191, false },
	{ "ucirc", 0x00fb, true },
	{ "ugrave", 0x00f9, true },
	{ "uml", 0x00a8, true },
	{ "uparrow", 0x2191, false },
	{ "upsih", 0x03d2, false },
	{ "upsilon", 0x03c5, false },
	{ "utrif", 0x25b4, false },
	{ "uuml", 0x00fc, true },
	{ "verbar", 0x007c, false },
	{ "vert", 0x007c, false },
	{ "weierp", 0x2118, false },
	{ "xi", 0x03be, false },
	{ "yacute", 0x00fd, true },
	{ "yen", 0x00a5, true },
	{ "yuml", 0x00ff, true },
	{ "zeta", 0x03b6, false },
	{ "zwj", 0x200d, false },
	{ "zwnj", 0x200c, false },
};

/* What browsers show for &#128; .. &#159;. */
static const uint16_t cp1252[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};

static const struct entity *
entity_find(const char *name, size_t len)
{
	size_t lo = 0, hi = sizeof(entities) / sizeof(entities[0]);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const char *e = entities[mid].name;
		size_t elen = strlen(e);
		int c = memcmp(name, e, len < elen ? len : elen);

		if (c == 0)
			c = len < elen ? -1 : len > elen;
		if (c == 0)
			return &entities[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static int
digit_value(char c, bool hex)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (hex && c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (hex && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* p[0] == '&', p[1] == '#'. */
static size_t
entity_numeric(const char *p, size_t n, uint32_t *cp)
{
	size_t i = 2, digits = 0;
	bool hex = false;
	uint32_t v = 0;
	int d;

	if (i < n && (p[i] == 'x' || p[i] == 'X')) {
		hex = true;
		i++;
	}
	for (; i < n && (d = digit_value(p[i], hex)) >= 0; i++, digits++)
		if (v <= 0x10ffff)
			v = v * (hex ? 16 : 10) + (uint32_t)d;
	if (digits == 0)
		return 0;
	if (i < n && p[i] == ';')
		i++;
	if (v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		v = 0xfffd;
	else if (v >= 0x80 && v <= 0x9f)
		v = cp1252[v - 0x80];
	*cp = v;
	return i;
}

static bool
is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

size_t
html__entity(const char *p, size_t n, bool in_attr, uint32_t *cp)
{
	const struct entity *e;
	size_t i = 1, len, k;

	if (n >= 2 && p[1] == '#')
		return entity_numeric(p, n, cp);
	while (i < n && i <= ENTITY_NAME_MAX && is_alnum(p[i]))
		i++;
	len = i - 1;
	if (len == 0)
		return 0;
	if (i < n && p[i] == ';' && (e = entity_find(p + 1, len)) != NULL) {
		*cp = e->cp;
		return i + 1;
	}
	/* without ';': the longest legacy name that starts it ("&notit" is "¬it") */
	for (k = len < ENTITY_LEGACY_MAX ? len : ENTITY_LEGACY_MAX; k >= 2; k--) {
		if ((e = entity_find(p + 1, k)) == NULL || !e->legacy)
			continue;
		/* in attributes "&copy=1" stays as written (query strings) */
		if (in_attr && 1 + k < n && (is_alnum(p[1 + k]) || p[1 + k] == '='))
			return 0;
		*cp = e->cp;
		return 1 + k;
	}
	return 0;
}
