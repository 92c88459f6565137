/* mailgate parse FILE (cmd_parse.h): mime_parse and mime_analyze, then
 * every part of the result as JSON. Long texts are cut (PARSE_TEXT_MAX)
 * and say so. */
#include <stdio.h>
#include <string.h>

#include "cli/cli_files.h"
#include "cli/cmd_json.h"
#include "cli/cmd_parse.h"
#include "core/arena.h"
#include "mime/analyze.h"
#include "mime/attach.h"
#include "mime/html.h"
#include "mime/mime.h"
#include "mime/received.h"
#include "mime/url.h"

#define PARSE_TEXT_MAX		4096		/* bytes of each text shown */
#define PARSE_ARENA_MAX		(512u << 20)

static const char *
url_name(uint64_t f)
{
	return url_flag_name((unsigned)f);
}

static const char *
hidden_name(uint64_t f)
{
	return html_hidden_name((unsigned)f);
}

static const char *
att_name(uint64_t f)
{
	return attach_flag_name((unsigned)f);
}

/* A text cut at PARSE_TEXT_MAX (on a character boundary) under key, and
 * key_truncated when it was cut. */
static void
parse_text(json_t *o, const char *key, const char *s, size_t len)
{
	char tkey[64];
	size_t n = len;

	if (n > PARSE_TEXT_MAX) {
		n = PARSE_TEXT_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		snprintf(tkey, sizeof(tkey), "%s_truncated", key);
		cli_json_set(o, tkey, json_true());
	}
	cli_json_set(o, key, cli_json_strn(s, n));
}

static json_t *
parse_headers(const struct mime_part *p)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < p->nheaders; i++) {
		const struct mime_header *h = &p->headers[i];
		json_t *o = json_object();
		cli_json_set(o, "name", cli_json_strn((const char *)h->name.ptr, h->name.len));
		cli_json_set(o, "value", cli_json_str(h->value));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *
parse_html(const struct mime_html *h)
{
	json_t *o = json_object(), *a;

	parse_text(o, "visible", h->visible, h->visible_len);
	cli_json_set(o, "hidden_chars", json_integer((json_int_t)h->hidden_chars));
	cli_json_set(o, "hidden_reasons", cli_json_flags(h->hidden_reasons, HTML_HID_COUNT,
	    hidden_name));
	a = json_array();
	for (size_t i = 0; i < h->nhidden; i++) {
		json_t *r = json_object();
		parse_text(r, "text", h->hidden[i].text, h->hidden[i].len);
		cli_json_set(r, "reasons", cli_json_flags(h->hidden[i].reasons, HTML_HID_COUNT,
		    hidden_name));
		json_array_append_new(a, r);
	}
	cli_json_set(o, "hidden", a);
	a = json_array();
	for (size_t i = 0; i < h->nlinks; i++)
		json_array_append_new(a, json_pack("{s:o,s:o}", "href",
		    cli_json_str(h->links[i].href), "text", cli_json_str(h->links[i].text)));
	cli_json_set(o, "links", a);
	a = json_array();
	for (size_t i = 0; i < h->nimages; i++)
		json_array_append_new(a, json_pack("{s:o,s:o,s:I,s:I}", "src",
		    cli_json_str(h->images[i].src), "alt", cli_json_str(h->images[i].alt),
		    "width", (json_int_t)h->images[i].width, "height",
		    (json_int_t)h->images[i].height));
	cli_json_set(o, "images", a);
	a = json_array();
	for (size_t i = 0; i < h->nforms; i++)
		json_array_append_new(a, json_pack("{s:o,s:o,s:I,s:I}", "action",
		    cli_json_str(h->forms[i].action), "method", cli_json_str(h->forms[i].method),
		    "inputs", (json_int_t)h->forms[i].inputs, "password_fields",
		    (json_int_t)h->forms[i].password_fields));
	cli_json_set(o, "forms", a);
	a = json_array();
	for (size_t i = 0; i < h->ncss_urls; i++)
		json_array_append_new(a, cli_json_str(h->css_urls[i]));
	cli_json_set(o, "css_urls", a);
	cli_json_set(o, "truncated", json_boolean(h->truncated));
	return o;
}

static json_t *
parse_attachment(const struct mime_attachment *att)
{
	json_t *o = json_object(), *a = json_array();

	cli_json_set(o, "name", cli_json_str(att->name));
	cli_json_set(o, "declared_type", cli_json_str(att->declared_type));
	cli_json_set(o, "real_type", cli_json_str(att->real_type));
	cli_json_set(o, "extension", cli_json_str(att->extension));
	cli_json_set(o, "size", json_integer((json_int_t)att->size));
	cli_json_set(o, "sha256", json_string(att->sha256));
	cli_json_set(o, "flags", cli_json_flags(att->flags, 32, att_name));
	for (size_t i = 0; i < att->nmembers; i++) {
		const struct attach_member *m = &att->members[i];
		json_array_append_new(a, json_pack("{s:o,s:I,s:I,s:o,s:o}", "path",
		    cli_json_str(m->path), "depth", (json_int_t)m->depth, "size",
		    (json_int_t)m->size, "real_type", cli_json_str(m->real_type), "flags",
		    cli_json_flags(m->flags, 32, att_name)));
	}
	cli_json_set(o, "members", a);
	return o;
}

static json_t *
parse_part(const struct mime_part *p)
{
	json_t *o = json_object(), *kids = json_array();
	char type[256];

	snprintf(type, sizeof(type), "%s/%s", p->type, p->subtype);
	cli_json_set(o, "index", json_integer(p->index));
	cli_json_set(o, "type", cli_json_str(type));
	cli_json_set(o, "charset", cli_json_str(p->charset));
	cli_json_set(o, "encoding", cli_json_str(p->encoding));
	cli_json_set(o, "disposition", cli_json_str(p->disposition));
	cli_json_set(o, "filename", cli_json_str(p->filename));
	cli_json_set(o, "content_id", cli_json_str(p->content_id));
	cli_json_set(o, "raw_size", json_integer((json_int_t)p->raw_body.len));
	cli_json_set(o, "size", json_integer((json_int_t)p->body.len));
	cli_json_set(o, "is_attachment", json_boolean(p->is_attachment));
	cli_json_set(o, "flags", cli_json_flags(p->flags, MIME_F_COUNT, mime_flag_name));
	cli_json_set(o, "headers", parse_headers(p));
	if (p->text != NULL) {
		cli_json_set(o, "text_charset", cli_json_str(p->text_charset));
		parse_text(o, "text", p->text, p->text_len);
	}
	if (p->html != NULL)
		cli_json_set(o, "html", parse_html(p->html));
	if (p->att != NULL)
		cli_json_set(o, "attachment", parse_attachment(p->att));
	for (const struct mime_part *c = p->first_child; c != NULL; c = c->next_sibling)
		json_array_append_new(kids, parse_part(c));
	cli_json_set(o, "children", kids);
	return o;
}

static json_t *
parse_urls(const struct mime_msg *m)
{
	json_t *a = json_array();

	for (size_t i = 0; i < m->nurls; i++) {
		const struct mime_url *u = &m->urls[i];
		json_t *o = json_object();
		cli_json_set(o, "url", cli_json_str(u->url));
		cli_json_set(o, "raw", cli_json_str(u->raw));
		cli_json_set(o, "scheme", cli_json_str(u->scheme));
		cli_json_set(o, "host", cli_json_str(u->host));
		cli_json_set(o, "host_unicode", cli_json_str(u->host_unicode));
		cli_json_set(o, "domain", cli_json_str(u->domain));
		cli_json_set(o, "port", json_integer(u->port));
		cli_json_set(o, "path", cli_json_str(u->path));
		cli_json_set(o, "flags", cli_json_flags(u->flags, URL_F_COUNT, url_name));
		cli_json_set(o, "count", json_integer(u->count));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *
parse_received(const struct mime_received *r)
{
	json_t *o = json_object(), *a = json_array();

	for (size_t i = 0; i < r->nhops; i++) {
		const struct received_hop *h = &r->hops[i];
		json_t *j = json_object();
		cli_json_set(j, "from_helo", cli_json_str(h->from_helo));
		cli_json_set(j, "from_rdns", cli_json_str(h->from_rdns));
		cli_json_set(j, "from_ip", cli_json_str(h->from_ip));
		cli_json_set(j, "by", cli_json_str(h->by));
		cli_json_set(j, "with", cli_json_str(h->with));
		cli_json_set(j, "time", json_integer((json_int_t)h->time));
		json_array_append_new(a, j);
	}
	cli_json_set(o, "hops", a);
	cli_json_set(o, "first_external", r->first_external ?
	    json_integer((json_int_t)(r->first_external - r->hops)) : json_null());
	cli_json_set(o, "max_skew", json_integer(r->max_skew));
	cli_json_set(o, "unparsable", json_boolean(r->unparsable));
	return o;
}

/* The whole document for one parsed message. */
static json_t *
parse_document(const char *path, const struct cli_file *f, const struct mime_msg *m,
    const char *analyze_error)
{
	json_t *o = json_object();

	cli_json_set(o, "file", cli_json_str(path));
	cli_json_set(o, "size", json_integer((json_int_t)f->len));
	cli_json_set(o, "flags", cli_json_flags(m->flags, MIME_F_COUNT, mime_flag_name));
	cli_json_set(o, "nparts", json_integer((json_int_t)m->nparts));
	cli_json_set(o, "decoded", json_integer((json_int_t)m->decoded_total));
	if (analyze_error != NULL)
		cli_json_set(o, "analyze_error", cli_json_str(analyze_error));
	if (m->root != NULL) {
		cli_json_set(o, "headers", parse_headers(m->root));
		cli_json_set(o, "tree", parse_part(m->root));
	}
	cli_json_set(o, "urls", parse_urls(m));
	if (m->received != NULL)
		cli_json_set(o, "received", parse_received(m->received));
	return o;
}

int
cmd_parse(int argc, char **argv)
{
	struct mime_limits limits;
	struct mime_analyze_ctx *ctx = NULL;
	struct mg_arena *a = NULL;
	struct mime_msg *m;
	struct cli_file f;
	char err[512];
	const char *aerr = NULL;
	json_t *doc;
	int rc = 1;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: mailgate parse FILE\n");
		return 2;
	}
	if (cli_file_map(argv[1], &f, err, sizeof(err)) < 0) {
		fprintf(stderr, "mailgate parse: %s: %s\n", argv[1], err);
		return 1;
	}
	mime_limits_default(&limits);
	if ((a = mg_arena_new(64 * 1024, PARSE_ARENA_MAX)) == NULL ||
	    (m = mime_parse(a, f.data, f.len, &limits)) == NULL) {
		fprintf(stderr, "mailgate parse: %s: out of memory\n", argv[1]);
		goto out;
	}
	if ((ctx = mime_analyze_ctx_new(err, sizeof(err))) == NULL)
		aerr = err;
	else if (mime_analyze(ctx, a, m) < 0)
		aerr = "out of memory";
	doc = parse_document(argv[1], &f, m, aerr);
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(doc);
	rc = 0;
out:
	mime_analyze_ctx_free(ctx);
	mg_arena_free(a);
	cli_file_unmap(&f);
	return rc;
}
