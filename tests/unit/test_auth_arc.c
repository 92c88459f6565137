/* ARC chain validation: chains of one to three sets sealed here with our
 * own signing primitives (RSA and Ed25519 keys made here), then broken in
 * each way RFC 8617 5.2 names: structure, cv= values, a message changed
 * after the last seal or between hops, seals altered, keys missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_util.h"
#include "dkim_fixture.h"
#include "auth/arc.h"

static EVP_PKEY *rsa_key, *ed_key;

static const char base_msg[] =
	"From: Alice <alice@example.org>\r\n"
	"To: list@list.example\r\n"
	"Subject: Meeting\r\n"
	"Date: Mon, 2 Mar 2026 09:00:00 +0000\r\n"
	"Message-ID: <arc1@example.org>\r\n"
	"\r\n"
	"See you at ten.\r\n";

/* One hop that seals: its domain, key, and what it does. */
struct hop {
	const char	*domain;
	bool		 ed;
	const char	*cv;		/* cv= written */
	const char	*headers;	/* AMS h=, NULL: default */
};

/* Instance of an ARC field written by us: "Name: i=N;...". */
static unsigned
field_instance(const struct dkim_field *f)
{
	const uint8_t *colon = memchr(f->all.ptr, ':', f->all.len);
	unsigned i = 0;

	return colon && sscanf((const char *)colon + 1, " i=%u", &i) == 1 ? i : 0;
}

/* The ARC sets of msg as they are (fields inside dm). */
static void
find_sets(const struct dkim_msg *dm, struct arc_set *sets)
{
	memset(sets, 0, 50 * sizeof(*sets));
	for (size_t k = 0; k < dm->nfields; k++) {
		const struct dkim_field *f = &dm->fields[k];
		unsigned i = field_instance(f);

		if (i == 0 || i > 50)
			continue;
		if (mg_slice_eq_nocase(f->name, "ARC-Authentication-Results"))
			sets[i - 1].aar = f;
		else if (mg_slice_eq_nocase(f->name, "ARC-Message-Signature"))
			sets[i - 1].ams = f;
		else if (mg_slice_eq_nocase(f->name, "ARC-Seal"))
			sets[i - 1].as = f;
	}
}

static char *
prepend(const char *field, char *msg)
{
	size_t n = strlen(field) + strlen(msg) + 1;
	char *out = malloc(n);

	snprintf(out, n, "%s%s", field, msg);
	free(msg);
	return out;
}

/* Adds ARC set number i of hop h to msg (freed); the new message. */
static char *
seal(char *msg, unsigned i, const struct hop *h)
{
	EVP_PKEY *key = h->ed ? ed_key : rsa_key;
	enum dkim_alg alg = h->ed ? DKIM_ED25519_SHA256 : DKIM_RSA_SHA256;
	struct dkim_sign_spec spec = {
		.kind = DKIM_KIND_AMS, .key = key, .alg = alg, .domain = h->domain,
		.selector = "arc", .instance = i, .headers = h->headers, .hrelaxed = true,
		.brelaxed = true, .t = 1772442000, .x = -1, .l = -1,
	};
	struct mg_arena *a = mg_arena_new(16384, 0);
	struct arc_set sets[50];
	struct dkim_field self;
	struct dkim_sig *s = calloc(1, sizeof(*s));
	struct dkim_msg dm;
	struct mg_buf f, in;
	char aar[256], *signed_msg;

	snprintf(aar, sizeof(aar), "ARC-Authentication-Results: i=%u; mx.%s;\r\n"
	    "\tspf=pass smtp.mailfrom=example.org\r\n", i, h->domain);
	msg = prepend(aar, msg);
	signed_msg = sign_message(&spec, msg);
	free(msg);
	msg = signed_msg;
	mg_buf_init(&f, 0);
	mg_buf_init(&in, 0);
	assert_int_equal(mg_buf_appendf(&f, "ARC-Seal: i=%u; a=%s; t=1772442000; cv=%s;\r\n"
	    "\td=%s; s=arc; b=", i, h->ed ? "ed25519-sha256" : "rsa-sha256", h->cv, h->domain), 0);
	self.name = mg_slice_make(f.data, 8);
	self.all = mg_slice_make(f.data, f.len);
	s->kind = DKIM_KIND_SEAL;
	s->alg = alg;
	s->instance = i;
	s->hrelaxed = true;
	s->field = &self;
	s->b_start = s->b_end = f.len;
	assert_int_equal(dkim_msg_init(&dm, NULL, (const uint8_t *)msg, strlen(msg), a), 0);
	find_sets(&dm, sets);
	assert_int_equal(arc_seal_input(sets, s, &in), 0);
	assert_int_equal(dkim_sign_finish(key, alg, &in, &f), 0);
	assert_int_equal(mg_buf_cstr(&f), 0);
	msg = prepend((char *)f.data, msg);
	mg_buf_release(&f);
	mg_buf_release(&in);
	free(s);
	mg_arena_free(a);
	return msg;
}

/* The keys of every hop's domain, arc._domainkey.DOMAIN. */
static void
serve_keys(struct fake_dns *d, const struct hop *hops, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char name[128], *rec = key_record(hops[i].ed ? ed_key : rsa_key, "");

		snprintf(name, sizeof(name), "arc._domainkey.%s", hops[i].domain);
		fake_add(d, name, "TXT", rec);
		free(rec);
	}
}

/* "status i=N oldest=D reason" of msg. */
static void
arc_text(const char *msg, const struct dns_resolver *dns, char *out, size_t len)
{
	struct mg_arena *a = mg_arena_new(16384, 0);
	struct mime_msg *m = mime_parse(a, (const uint8_t *)msg, strlen(msg), NULL);
	struct arc_result r;

	assert_int_equal(arc_verify(m, (const uint8_t *)msg, strlen(msg), dns, UINT64_MAX, a, &r),
	    0);
	snprintf(out, len, "%s i=%u oldest=%s%s%s", arc_status_name(r.status), r.instances,
	    r.oldest_pass_domain ? r.oldest_pass_domain : "-", r.reason ? " " : "",
	    r.reason ? r.reason : "");
	mg_arena_free(a);
}

struct arc_case {
	const char	*label;
	struct hop	 hops[3];
	size_t		 nhops;
	/* applied before hop number at_hop seals (nhops: after the last) */
	size_t		 at_hop;
	const char	*find, *replace;
	const char	*dns;		/* "" all keys, "HOP1ONLY" only hop 1's keys, "NODNS" */
	const char	*want;
};

#define HOP1	{ "example.org", false, "none", NULL }
#define HOP2	{ "list.example", false, "pass", NULL }
#define HOP3	{ "fwd.example", true, "pass", NULL }

static const struct arc_case arc_cases[] = {
	{ "no ARC", { HOP1 }, 0, 0, NULL, NULL, "", "none i=0 oldest=-" },
	{ "one set", { HOP1 }, 1, 1, NULL, NULL, "", "pass i=1 oldest=example.org" },
	{ "three sets", { HOP1, HOP2, HOP3 }, 3, 3, NULL, NULL, "",
	  "pass i=3 oldest=example.org" },
	{ "ed25519 first hop", { { "example.org", true, "none", NULL }, HOP2 }, 2, 2, NULL,
	  NULL, "", "pass i=2 oldest=example.org" },
	{ "list changed the body", { HOP1, HOP2, HOP3 }, 3, 1, "ten.\r\n",
	  "ten.\r\n--\r\nlist footer\r\n", "", "pass i=3 oldest=list.example" },
	{ "changed after the last seal", { HOP1, HOP2 }, 2, 2, "ten.", "eleven.", "",
	  "fail i=2 oldest=- AMS body hash mismatch" },
	{ "subject changed after the last seal", { HOP1, HOP2 }, 2, 2, "Meeting", "Party", "",
	  "fail i=2 oldest=- AMS did not verify" },
	{ "old AAR altered", { HOP1, HOP2 }, 2, 2, "mx.example.org;", "mx.evil.test;", "",
	  "fail i=2 oldest=- ARC-Seal did not verify" },
	{ "first cv=pass", { { "example.org", false, "pass", NULL } }, 1, 1, NULL, NULL, "",
	  "fail i=1 oldest=- bad cv=" },
	{ "second cv=none", { HOP1, { "list.example", false, "none", NULL } }, 2, 2, NULL,
	  NULL, "", "fail i=2 oldest=- bad cv=" },
	{ "last cv=fail", { HOP1, { "list.example", false, "fail", NULL } }, 2, 2, NULL, NULL,
	  "", "fail i=2 oldest=- chain marked failed" },
	{ "set missing an AAR", { HOP1, HOP2 }, 2, 2, "ARC-Authentication-Results: i=1;",
	  "X-Old-Results: i=1;", "", "fail i=2 oldest=- incomplete ARC set" },
	{ "duplicate instance", { HOP1, HOP2 }, 2, 2, "ARC-Authentication-Results: i=2;",
	  "ARC-Authentication-Results: i=1; x;\r\nARC-Authentication-Results: i=2;", "",
	  "fail i=2 oldest=- duplicate ARC instance" },
	{ "instance past 50", { HOP1 }, 1, 1, "ARC-Seal: i=1;", "ARC-Seal: i=51;", "",
	  "fail i=0 oldest=- bad instance" },
	{ "AMS signs ARC-Seal", { HOP1, { "list.example", false, "pass", "from:arc-seal" } },
	  2, 2, NULL, NULL, "", "fail i=2 oldest=- ARC-Seal signed by an AMS" },
	{ "keys of hops 2 and 3 gone", { HOP1, HOP2, HOP3 }, 3, 3, NULL, NULL, "HOP1ONLY",
	  "fail i=3 oldest=- no key" },
	{ "no DNS", { HOP1 }, 1, 1, NULL, NULL, "NODNS", "none i=1 oldest=- no DNS" },
};

static void
test_arc_cases(void **state)
{
	for (size_t i = 0; i < sizeof(arc_cases) / sizeof(arc_cases[0]); i++) {
		const struct arc_case *c = &arc_cases[i];
		struct fake_dns d = { 0 };
		struct dns_resolver dns = fake_resolver(&d);
		char *msg = strdup(base_msg), got[256], what[96];

		for (size_t h = 0; h <= c->nhops; h++) {
			if (h == c->at_hop && c->find != NULL) {
				char *at = strstr(msg, c->find), *out;

				if (at == NULL)
					fail_msg("case %zu: \"%s\" not found", i, c->find);
				out = malloc(strlen(msg) + strlen(c->replace) + 1);
				memcpy(out, msg, (size_t)(at - msg));
				strcpy(out + (at - msg), c->replace);
				strcat(out, at + strlen(c->find));
				free(msg);
				msg = out;
			}
			if (h < c->nhops)
				msg = seal(msg, (unsigned)h + 1, &c->hops[h]);
		}
		serve_keys(&d, c->hops, strcmp(c->dns, "HOP1ONLY") == 0 ? 1 : c->nhops);
		arc_text(msg, strcmp(c->dns, "NODNS") == 0 ? NULL : &dns, got, sizeof(got));
		snprintf(what, sizeof(what), "case %zu (%s)", i, c->label);
		check_str(what, got, c->want);
		if (c->nhops > 0 && strcmp(c->dns, "NODNS") != 0 && d.batches != 1 &&
		    strstr(c->want, "pass") != NULL) {
			print_error("%s: %u DNS calls, want 1\n", what, d.batches);
			test_failures++;
		}
		fake_clear(&d);
		free(msg);
	}
	check_failures();
}

static int
setup(void **state)
{
	rsa_key = gen_key("RSA", 2048);
	ed_key = gen_key("ED25519", 0);
	return 0;
}

static int
teardown(void **state)
{
	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(ed_key);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arc_cases),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
