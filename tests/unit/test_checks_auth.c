/* The auth check (checks/auth.h) on messages signed in the test, with SPF,
 * DKIM key and DMARC records answered from a table: the symbols and the
 * Authentication-Results field for aligned, forged and unsigned mail; no
 * envelope; network checks off; outbound mail; several From domains; and
 * the first batch of lookups carrying both SPF identities and DMARC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "test_util.h"
#include "check_fixture.h"
#include "dkim_fixture.h"
#include "checks/auth.h"

#define MSG	"From: Alice <alice@example.org>\r\nTo: bob@example.net\r\n" \
		"Subject: hello\r\nMessage-ID: <1@example.org>\r\n\r\nHello Bob.\r\n"

struct fixture {
	struct mg_conf	 conf;
	struct symbol_table st;
	void		*state;
	struct fake_dns	 dns;
	EVP_PKEY	*key;
	char		*signed_msg;
	char		 err[512];	/* the check's init failure */
};

static int
setup(void **state)
{
	static struct fixture f;
	const struct symbol_def *defs;
	struct dkim_sign_spec spec = { .kind = DKIM_KIND_SIGNATURE, .alg = DKIM_RSA_SHA256,
		.domain = "example.org", .selector = "s1", .hrelaxed = true, .brelaxed = true,
		.t = -1, .x = -1, .l = -1 };
	char err[256], *rec;
	size_t n;

	memset(&f, 0, sizeof(f));
	conf_engine_defaults(&f.conf.engine);
	f.conf.hostname = "mx.gw.test";
	assert_int_equal(check_auth.init(&f.conf, &f.state, f.err, sizeof(f.err)), 0);
	defs = check_auth.symbols(f.state, &n);
	if (symbol_table_load(&f.st, &f.conf, defs, n, err, sizeof(err)) != 0)
		fail_msg("symbol table: %s", err);
	f.key = spec.key = gen_key("RSA", 2048);
	f.signed_msg = sign_message(&spec, MSG);
	fake_add(&f.dns, "s1._domainkey.example.org", "TXT", rec = key_record(f.key, ""));
	free(rec);
	fake_add(&f.dns, "example.org", "TXT", "v=spf1 ip4:192.0.2.0/24 -all");
	fake_add(&f.dns, "mail.example.org", "TXT", "v=spf1 ip4:192.0.2.1 -all");
	fake_add(&f.dns, "_dmarc.example.org", "TXT", "v=DMARC1; p=reject");
	fake_add(&f.dns, "_dmarc.example.com", "TXT", "v=DMARC1; p=quarantine");
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	check_auth.fini(f->state);
	symbol_table_clear(&f->st);
	conf_engine_free(&f->conf.engine);
	EVP_PKEY_free(f->key);
	free(f->signed_msg);
	fake_clear(&f->dns);
	return 0;
}

/* Runs the check; fills symbols and the added fields. */
static void
run(struct fixture *f, const char *msg, const struct mg_envelope *env, bool network,
    char *symbols, size_t slen, char *fields, size_t flen)
{
	struct dns_resolver r = fake_resolver(&f->dns);
	struct mg_task t;

	assert_int_equal(task_init(&t, &f->st, (const uint8_t *)msg, strlen(msg), env,
	    1 << 24), 0);
	assert_non_null(t.msg = mime_parse(t.arena, t.raw, t.len, NULL));
	t.dns = network ? &r : NULL;
	assert_int_equal(check_auth.scan(f->state, &t), 0);
	symbols_text(&t, symbols, slen);
	snprintf(fields, flen, "%.*s", (int)t.headers.len, t.headers.data ?
	    (const char *)t.headers.data : "");
	task_clear(&t);
}

static void
test_scan(void **state)
{
	struct fixture *f = *state;
	const struct mg_envelope good = { "192.0.2.1", "mail.example.org", "alice@example.org",
		NULL, 0, false };
	const struct mg_envelope forged = { "198.51.100.7", "mail.example.org",
		"alice@example.org", NULL, 0, false };
	const struct mg_envelope bounce = { "198.51.100.7", "mail.example.org", "", NULL, 0,
		false };
	const struct mg_envelope outbound = { "192.0.2.1", "mail.example.org",
		"alice@example.org", NULL, 0, true };
	const struct {
		const char *label, *msg;
		const struct mg_envelope *env;
		bool network;
		const char *symbols, *field;
	} c[] = {
		{ "aligned", f->signed_msg, &good, true,
		  "SPF_PASS=example.org SPF_HELO_PASS=mail.example.org DKIM_ALLOW=example.org "
		  "DMARC_POLICY_ALLOW=example.org ARC_NA",
		  "Authentication-Results: mx.gw.test;\r\n"
		  "\tspf=pass smtp.mailfrom=alice@example.org;\r\n"
		  "\tspf=pass smtp.helo=mail.example.org;\r\n\tdkim=pass header.d=example.org" },
		{ "forged", MSG, &forged, true,
		  "SPF_FAIL=example.org SPF_HELO_FAIL=mail.example.org DKIM_NA "
		  "DMARC_POLICY_REJECT=example.org ARC_NA",
		  "\tdmarc=fail (p=reject sp=reject dis=reject) header.from=example.org;" },
		{ "signed, forged path", f->signed_msg, &forged, true,
		  "SPF_FAIL=example.org SPF_HELO_FAIL=mail.example.org DKIM_ALLOW=example.org "
		  "DMARC_POLICY_ALLOW=example.org ARC_NA", "\tdmarc=pass" },
		{ "bounce", MSG, &bounce, true,
		  "SPF_FAIL=mail.example.org DKIM_NA DMARC_POLICY_REJECT=example.org ARC_NA",
		  "smtp.mailfrom=postmaster@mail.example.org;" },
		{ "no envelope", f->signed_msg, NULL, true,
		  "DKIM_ALLOW=example.org DMARC_POLICY_ALLOW=example.org ARC_NA",
		  "Authentication-Results: mx.gw.test;\r\n\tdkim=pass" },
		{ "network off", f->signed_msg, &good, false,
		  "AUTH_UNCHECKED=network checks off", "" },
		{ "outbound", f->signed_msg, &outbound, true, "", "" },
		{ "two From domains", "From: a@example.org, b@example.com\r\n\r\nx\r\n", &good, true,
		  "SPF_PASS=example.org SPF_HELO_PASS=mail.example.org DKIM_NA DMARC_BAD_FROM ARC_NA",
		  "\tdmarc=permerror (several From fields or domains, or not a host name);" },
		{ "no From", "Subject: x\r\n\r\nx\r\n", &good, true,
		  "SPF_PASS=example.org SPF_HELO_PASS=mail.example.org DKIM_NA "
		  "DMARC_NA=no From domain ARC_NA", "\tarc=none\r\n" },
	};
	char sym[1024], fields[4096], what[128];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		run(f, c[i].msg, c[i].env, c[i].network, sym, sizeof(sym), fields, sizeof(fields));
		snprintf(what, sizeof(what), "%s: symbols", c[i].label);
		check_str(what, sym, c[i].symbols);
		snprintf(what, sizeof(what), "%s: field", c[i].label);
		if (c[i].field[0] == '\0' ? fields[0] != '\0' : strstr(fields, c[i].field) == NULL)
			check_str(what, esc(fields, strlen(fields)), esc(c[i].field,
			    strlen(c[i].field)));
	}
	check_failures();
}

/* The first batch carries MAIL FROM, HELO and the DMARC lookup; the key
 * lookup follows; four lookups in two batches in all. */
static void
test_batches(void **state)
{
	struct fixture *f = *state;
	const struct mg_envelope good = { "192.0.2.1", "mail.example.org", "alice@example.org",
		NULL, 0, false };
	char sym[1024], fields[4096];

	f->dns.batches = 0;
	f->dns.lookups = 0;
	run(f, f->signed_msg, &good, true, sym, sizeof(sym), fields, sizeof(fields));
	if (f->dns.batches != 2 || f->dns.lookups != 4)
		fail_msg("got %u batches of %u lookups in all, want 2 and 4", f->dns.batches,
		    f->dns.lookups);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_batches),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
