/* The HTML smuggling and traps check (html_smuggle.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "checks/html_smuggle.h"
#include "core/err.h"
#include "files/smuggle.h"
#include "mime/attach.h"
#include "mime/html.h"


#define HOST_MAX	256

static const struct symbol_def smuggle_symbols[] = {
	CHECK_SYMBOL("HTML_SMUGGLING", 8.0, DANGEROUS, QUARANTINE,
	    "HTML builds a file from decoded data in the browser and offers it as a download"),
	CHECK_SYMBOL("HTML_AUTOSUBMIT_FORM", 4.0, PHISHING, ACCEPT,
	    "HTML submits a form from a script"),
	CHECK_SYMBOL("HTML_CREDENTIAL_FORM", 4.0, PHISHING, ACCEPT,
	    "HTML has a password form posting to another domain"),
	CHECK_SYMBOL("HTML_DATA_PAYLOAD", 4.0, MALWARE, ACCEPT,
	    "HTML carries a data: URL with a page or an application file"),
	CHECK_SYMBOL("HTML_REFRESH_TRAP", 4.0, PHISHING, ACCEPT,
	    "HTML refreshes to a data: or javascript: URL"),
};

CHECK_SYMBOLS_HOOK(smuggle_defs, smuggle_symbols)

/* The lower-case host of an absolute http(s) URL into out, or false. */
static bool
url_host(const char *url, char *out, size_t outlen)
{
	const char *s = strstr(url, "://");
	size_t n = 0;

	if (s == NULL || (strncasecmp(url, "http", 4) != 0))
		return false;
	for (s += 3; *s && !strchr("/:?#", *s) && n + 1 < outlen; s++)
		out[n++] = (char)(*s >= 'A' && *s <= 'Z' ? *s | 0x20 : *s);
	out[n] = '\0';
	return n > 0;
}

/* The domain of the header From (lower case) into out, or "". */
static void
from_domain(const struct mime_msg *m, char *out, size_t outlen)
{
	const struct mime_header *h = m->root ? mime_header_find(m->root, "From") : NULL;
	const char *at = h && h->value ? strrchr(h->value, '@') : NULL;
	size_t n = 0;

	for (at = at ? at + 1 : ""; *at && !strchr("> \t\"", *at) && n + 1 < outlen; at++)
		out[n++] = (char)(*at >= 'A' && *at <= 'Z' ? *at | 0x20 : *at);
	out[n] = '\0';
}

/* host is dom or below it. */
static bool
host_within(const char *host, const char *dom)
{
	size_t hl = strlen(host), dl = strlen(dom);

	return dl > 0 && hl >= dl && strcmp(host + hl - dl, dom) == 0 &&
	    (hl == dl || host[hl - dl - 1] == '.');
}

/* The forms of h: auto-submitted ones, password ones posting away. */
static int
smuggle_forms(struct mg_task *t, const char *where, const struct mime_part *part,
    const struct mime_html *h, const struct smuggle_report *r)
{
	char option[TASK_MAX_OPTION_LEN], host[HOST_MAX], dom[HOST_MAX];
	unsigned passwords = 0;
	int rc;

	from_domain(t->msg, dom, sizeof(dom));
	for (size_t i = 0; i < h->nforms; i++) {
		passwords += h->forms[i].password_fields;
		if (h->forms[i].password_fields == 0 ||
		    !url_host(h->forms[i].action, host, sizeof(host)) || host_within(host, dom))
			continue;
		snprintf(option, sizeof(option), "%s: posts to %s", where, host);
		if ((rc = mg_task_symbol_part(t, "HTML_CREDENTIAL_FORM", option, part)) < 0)
			return rc;
	}
	if (h->nforms == 0 || !(r->flags & SMUG_SUBMIT))
		return 0;
	snprintf(option, sizeof(option), "%s: %zu forms, %u password fields", where, h->nforms,
	    passwords);
	return mg_task_symbol_part(t, "HTML_AUTOSUBMIT_FORM", option, part);
}

/* "WHERE: Blob atob download click, base64 run N": what was found. */
static void
smuggle_option(char *out, size_t outlen, const char *where, const struct smuggle_report *r)
{
	static const struct {
		unsigned	 flag;
		const char	*name;
	} found[] = {
		{ SMUG_BLOB, "Blob" }, { SMUG_OBJECT_URL, "createObjectURL" },
		{ SMUG_SAVE, "msSaveOrOpenBlob" }, { SMUG_DECODE, "atob/Uint8Array" },
		{ SMUG_DOWNLOAD, "download" }, { SMUG_CLICK, "click" },
	};
	size_t n = (size_t)snprintf(out, outlen, "%s:", where);

	for (size_t i = 0; i < sizeof(found) / sizeof(found[0]) && n < outlen; i++)
		if (r->flags & found[i].flag)
			n += (size_t)snprintf(out + n, outlen - n, " %s", found[i].name);
	if (n < outlen && (r->flags & SMUG_BIG_BASE64))
		snprintf(out + n, outlen - n, ", base64 run %zu", r->longest_base64);
}

/* One HTML text: its raw bytes and its analysed forms; part is the
 * attachment it is (the symbols are about it), NULL for a body. */
static int
smuggle_html(struct mg_task *t, const char *where, const struct mime_part *part,
    const char *src, size_t len, const struct mime_html *h)
{
	char option[TASK_MAX_OPTION_LEN];
	struct smuggle_limits lim;
	struct smuggle_report r;
	int rc = 0;

	smuggle_limits_default(&lim);
	smuggle_scan(src, len, &lim, &r);
	if (smuggle_is_smuggling(&r)) {
		smuggle_option(option, sizeof(option), where, &r);
		rc = mg_task_symbol_part(t, "HTML_SMUGGLING", option, part);
	}
	if (rc == 0 && (r.flags & SMUG_DATA)) {
		snprintf(option, sizeof(option), "%s: data:%s", where, r.data_type);
		rc = mg_task_symbol_part(t, "HTML_DATA_PAYLOAD", option, part);
	}
	if (rc == 0 && (r.flags & SMUG_REFRESH)) {
		snprintf(option, sizeof(option), "%s: refresh to %s", where, r.refresh);
		rc = mg_task_symbol_part(t, "HTML_REFRESH_TRAP", option, part);
	}
	return rc == 0 ? smuggle_forms(t, where, part, h, &r) : rc;
}

/* An attachment named like an HTML page but not declared text/html. */
static bool
html_named(const struct mime_part *p)
{
	static const char *const ext[] = { "htm", "html", "shtml", "xhtml", "svg" };
	const char *e = p->att ? p->att->extension : NULL;

	for (size_t i = 0; e != NULL && i < sizeof(ext) / sizeof(ext[0]); i++)
		if (strcmp(e, ext[i]) == 0)
			return true;
	return false;
}

static int
html_smuggle_scan(void *state, struct mg_task *t)
{
	const struct mime_msg *m = t->msg;
	struct html_limits lim;
	int rc;

	html_limits_default(&lim);
	for (size_t i = 0; i < m->nparts; i++) {
		const struct mime_part *p = m->parts[i];
		const struct mime_html *h = p->html;
		const char *src = p->text ? p->text : (const char *)p->body.ptr;
		size_t len = p->text ? p->text_len : p->body.len;
		char where[128];
		if ((h == NULL && !html_named(p)) || src == NULL)
			continue;
		if (mg_task_expired(t))
			return -MG_ETIMEOUT;
		if (h == NULL && (h = html_analyze(t->arena, src, len, &lim)) == NULL)
			return -MG_ENOMEM;
		snprintf(where, sizeof(where), "%s", p->filename && *p->filename ? p->filename :
		    p->is_attachment ? "(no name)" : "body");
		if ((rc = smuggle_html(t, where, p->is_attachment ? p : NULL, src, len, h)) < 0)
			return rc;
	}
	return 0;
}

const struct mg_check check_html_smuggle = {
	.name = "html_smuggle",
	.scan = html_smuggle_scan,
	.symbols = smuggle_defs,
};
