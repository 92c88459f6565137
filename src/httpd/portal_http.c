/* The portal's HTTP side: pages wrapped in one frame with the security
 * headers (no script, no framing, no caching, no referrer), redirects,
 * and the form fields of a request. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "httpd/portal_int.h"

static const char frame_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	"<meta name=\"viewport\" content=\"width=device-width\">"
	"<meta name=\"referrer\" content=\"no-referrer\">"
	"<style>body{font-family:sans-serif;max-width:60em;margin:1em auto;padding:0 1em}"
	"table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ccc;"
	"padding:.3em;text-align:left;vertical-align:top}pre{white-space:pre-wrap;"
	"background:#f6f6f6;padding:.5em}.note{color:#666}</style><title>";

static enum MHD_Result
respond(struct portal_req *r, unsigned status, const void *data, size_t len,
    const char *cookie, const char *location)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, (void *)(uintptr_t)data,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
	MHD_add_response_header(resp, "Content-Security-Policy",
	    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self';"
	    " frame-ancestors 'none'; base-uri 'none'");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cache-Control", "no-store, max-age=0");
	MHD_add_response_header(resp, "Pragma", "no-cache");
	if (cookie != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, cookie);
	if (location != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, location);
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result
portal_page(struct portal_req *r, unsigned status, const char *title,
    const struct mg_buf *body, const char *cookie)
{
	struct mg_buf page;
	enum MHD_Result ret;
	int rc;

	mg_buf_init(&page, PORTAL_PAGE_MAX + 4096);
	rc = mg_buf_append(&page, frame_head, sizeof(frame_head) - 1);
	rc = rc ? rc : html_esc(&page, title, SIZE_MAX);
	rc = rc ? rc : mg_buf_appendf(&page, "</title></head><body><h1>");
	rc = rc ? rc : html_esc(&page, title, SIZE_MAX);
	rc = rc ? rc : mg_buf_appendf(&page, "</h1>\n");
	rc = rc ? rc : mg_buf_append(&page, body->data, body->len);
	rc = rc ? rc : mg_buf_appendf(&page, "\n</body></html>\n");
	if (rc < 0) {
		mg_buf_release(&page);
		return respond(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "", 0, NULL, NULL);
	}
	ret = respond(r, status, page.data, page.len, cookie, NULL);
	mg_buf_release(&page);
	return ret;
}

enum MHD_Result
portal_message(struct portal_req *r, unsigned status, const char *title, const char *text)
{
	struct mg_buf b;
	enum MHD_Result ret;

	mg_buf_init(&b, PORTAL_PAGE_MAX);
	if (mg_buf_appendf(&b, "<p>") < 0 || html_esc(&b, text, SIZE_MAX) < 0 ||
	    mg_buf_appendf(&b, "</p>\n<p><a href=\"/portal\">Your quarantine</a></p>") < 0)
		mg_buf_reset(&b);
	ret = portal_page(r, status, title, &b, NULL);
	mg_buf_release(&b);
	return ret;
}

enum MHD_Result
portal_not_found(struct portal_req *r)
{
	return portal_message(r, MHD_HTTP_NOT_FOUND, "Not found",
	    "There is nothing here.");
}

enum MHD_Result
portal_invalid_link(struct portal_req *r)
{
	return portal_message(r, MHD_HTTP_FORBIDDEN, "Invalid link",
	    "This link is not valid or has expired.");
}

enum MHD_Result
portal_signin_needed(struct portal_req *r)
{
	static const char body[] = "<p>You are not signed in, or your session has ended."
	    " Use the link in your latest quarantine digest, or"
	    " <a href=\"/portal/code\">get a sign-in code by e-mail</a>.</p>";
	struct mg_buf b = { .data = (uint8_t *)(uintptr_t)body, .len = sizeof(body) - 1 };

	return portal_page(r, MHD_HTTP_FORBIDDEN, "Sign in", &b, NULL);
}

enum MHD_Result
portal_redirect(struct portal_req *r, const char *to, const char *cookie)
{
	return respond(r, MHD_HTTP_SEE_OTHER, "", 0, cookie, to);
}

/* Decodes one urlencoded value (len bytes) into out: '+' is a space. */
static int
form_decode(const char *v, size_t len, char *out, size_t outlen)
{
	if (len >= outlen || len >= PORTAL_FIELD_MAX)
		return -MG_ELIMIT;
	for (size_t i = 0; i < len; i++) {
		if (v[i] == '%' && i + 2 < len && v[i + 1] == '0' && v[i + 2] == '0')
			return -MG_EPROTO;	/* a NUL would cut the value short */
		out[i] = v[i] == '+' ? ' ' : v[i];
	}
	out[len] = '\0';
	MHD_http_unescape(out);
	return 0;
}

int
portal_field(struct portal_req *r, bool get, const char *name, char *out, size_t outlen)
{
	const char *v, *p, *end, *amp, *eq;
	size_t nlen = strlen(name);

	if (get) {
		v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
		if (v == NULL || strlen(v) >= outlen)
			return -MG_ENOENT;
		memcpy(out, v, strlen(v) + 1);
		return 0;
	}
	if (r->body.len == 0)
		return -MG_ENOENT;
	p = (const char *)r->body.data;
	end = p + r->body.len;
	for (; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq != NULL && (size_t)(eq - p) == nlen && memcmp(p, name, nlen) == 0)
			return form_decode(eq + 1, (size_t)(amp - eq - 1), out, outlen) == 0 ?
			    0 : -MG_ENOENT;
		if (amp == end)
			break;
	}
	return -MG_ENOENT;
}

int
html_esc(struct mg_buf *b, const char *s, size_t len)
{
	int rc = 0;

	if (s == NULL)
		return 0;
	if (len == SIZE_MAX)
		len = strlen(s);
	for (size_t i = 0; i < len && rc == 0; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '&':  rc = mg_buf_append(b, "&amp;", 5); break;
		case '<':  rc = mg_buf_append(b, "&lt;", 4); break;
		case '>':  rc = mg_buf_append(b, "&gt;", 4); break;
		case '"':  rc = mg_buf_append(b, "&quot;", 6); break;
		case '\'': rc = mg_buf_append(b, "&#39;", 5); break;
		default:
			rc = mg_buf_putc(b, (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f ?
			    '?' : c);
		}
	}
	return rc;
}

int
html_escf(struct mg_buf *b, const char *fmt, const char *s)
{
	const char *at = strstr(fmt, "%s");
	int rc;

	MG_BUG_ON(at == NULL);
	rc = mg_buf_append(b, fmt, (size_t)(at - fmt));
	rc = rc ? rc : html_esc(b, s, SIZE_MAX);
	return rc ? rc : mg_buf_append(b, at + 2, strlen(at + 2));
}
