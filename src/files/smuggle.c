/* HTML smuggling and traps (smuggle.h): substring searches over the raw
 * bytes, scripts delimited by their tags. JavaScript names are matched as
 * written (the language is case-sensitive); HTML parts are not. */
#include <string.h>
#include <strings.h>

#include "files/smuggle.h"

#define SMUGGLE_TAG_MAX	1024	/* bytes of a <meta> tag read */

static const struct {
	const char	*needle;
	unsigned	 flag;
} smuggle_js[] = {
	{ "new Blob(", SMUG_BLOB },
	{ "new Blob (", SMUG_BLOB },
	{ "atob(", SMUG_DECODE },
	{ "Uint8Array", SMUG_DECODE },
	{ "msSaveOrOpenBlob", SMUG_SAVE },
	{ "msSaveBlob", SMUG_SAVE },
	{ "createObjectURL", SMUG_OBJECT_URL },
	{ ".download", SMUG_DOWNLOAD },
	{ "\"download\"", SMUG_DOWNLOAD },
	{ "'download'", SMUG_DOWNLOAD },
	{ ".click()", SMUG_CLICK },
	{ ".submit()", SMUG_SUBMIT },
};

void
smuggle_limits_default(struct smuggle_limits *l)
{
	l->max_input = 8u << 20;
	l->min_base64 = 4096;
}

/* First case-insensitive occurrence of needle in h[from..len), or len. */
static size_t
ci_find(const char *h, size_t len, size_t from, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = from; n <= len && i <= len - n; i++)
		if (strncasecmp(h + i, needle, n) == 0)
			return i;
	return len;
}

static bool
b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '+' || c == '/' || c == '=';
}

/* The longest base64 run of each <script> body. */
static void
smuggle_scripts(const char *h, size_t len, struct smuggle_report *r)
{
	size_t i = 0;

	while ((i = ci_find(h, len, i, "<script")) < len) {
		const char *gt = memchr(h + i, '>', len - i);
		size_t s = gt ? (size_t)(gt - h) + 1 : len;
		size_t e = ci_find(h, len, s, "</script"), run = 0;
		for (size_t k = s; k < e; k++) {
			run = b64_char((unsigned char)h[k]) ? run + 1 : 0;
			if (run > r->longest_base64)
				r->longest_base64 = run;
		}
		i = e;
	}
}

/* data: URLs carrying a page or an application file (fonts excepted). */
static void
smuggle_data_urls(const char *h, size_t len, struct smuggle_report *r)
{
	size_t i = 0;

	while ((i = ci_find(h, len, i, "data:")) < len) {
		size_t s = i + 5, n = 0;
		char type[SMUGGLE_TYPE_MAX];
		i = s;
		while (s < len && n + 1 < sizeof(type) && h[s] != ';' && h[s] != ',' &&
		    h[s] != '"' && h[s] != '\'' && h[s] != ' ' && h[s] != '>') {
			char ch = h[s++];
			type[n++] = (char)(ch >= 'A' && ch <= 'Z' ? ch | 0x20 : ch);
		}
		type[n] = '\0';
		if ((strncmp(type, "application/", 12) != 0 && strcmp(type, "text/html") != 0) ||
		    strstr(type, "font") != NULL)
			continue;
		r->flags |= SMUG_DATA;
		if (r->data_type[0] == '\0')
			memcpy(r->data_type, type, n + 1);
	}
}

/* <meta http-equiv=refresh content="0;url=data:..."> and javascript:. */
static void
smuggle_refresh(const char *h, size_t len, struct smuggle_report *r)
{
	size_t i = 0;

	while ((i = ci_find(h, len, i, "<meta")) < len) {
		char tag[SMUGGLE_TAG_MAX];
		size_t n = 0;
		for (i += 5; i < len && h[i] != '>' && n + 1 < sizeof(tag); i++)
			if (h[i] != ' ' && h[i] != '"' && h[i] != '\'' && h[i] != '\t' &&
			    h[i] != '\n' && h[i] != '\r')
				tag[n++] = (char)(h[i] >= 'A' && h[i] <= 'Z' ? h[i] | 0x20 : h[i]);
		tag[n] = '\0';
		if (strstr(tag, "refresh") == NULL)
			continue;
		const char *what = strstr(tag, "url=data:") ? "data:" :
		    strstr(tag, "url=javascript:") ? "javascript:" : NULL;
		if (what != NULL && !(r->flags & SMUG_REFRESH)) {
			r->flags |= SMUG_REFRESH;
			strcpy(r->refresh, what);
		}
	}
}

void
smuggle_scan(const char *h, size_t len, const struct smuggle_limits *lim,
    struct smuggle_report *r)
{
	memset(r, 0, sizeof(*r));
	if (len > lim->max_input)
		len = lim->max_input;
	for (size_t k = 0; k < sizeof(smuggle_js) / sizeof(smuggle_js[0]); k++)
		if (memmem(h, len, smuggle_js[k].needle, strlen(smuggle_js[k].needle)) != NULL)
			r->flags |= smuggle_js[k].flag;
	if (ci_find(h, len, 0, " download") < len)
		r->flags |= SMUG_DOWNLOAD;	/* <a download="x.iso"> */
	smuggle_scripts(h, len, r);
	if (r->longest_base64 >= lim->min_base64)
		r->flags |= SMUG_BIG_BASE64;
	smuggle_data_urls(h, len, r);
	smuggle_refresh(h, len, r);
}

bool
smuggle_is_smuggling(const struct smuggle_report *r)
{
	unsigned f = r->flags;

	return (f & (SMUG_BLOB | SMUG_SAVE | SMUG_OBJECT_URL)) &&
	    (f & (SMUG_DECODE | SMUG_BIG_BASE64)) &&
	    (f & (SMUG_DOWNLOAD | SMUG_CLICK | SMUG_SAVE));
}
