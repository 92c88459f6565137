/* Learned reputation arithmetic on an injected clock (no sleeps): decay by
 * half-lives, epochs, expiry, evidence; the address helpers: parsing,
 * private ranges, DNS list reversal (IPv4 octets, IPv6 nibbles), the /24
 * and /64 networks, mail addresses and the From field; and the reputation
 * check in an engine: learning from verdicts (from several threads), the
 * symbols it then fires, what it must not learn, the state file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <math.h>
#include <pthread.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_util.h"

#include "checks/gtube.h"
#include "checks/lists.h"
#include "checks/reputation.h"
#include "core/err.h"
#include "engine/check.h"
#include "engine/engine.h"
#include "learn/reputation.h"
#include "learn/reputation_addr.h"
#include "mime/mime.h"
#include "net/dns_rr.h"

#define DAY	86400.0

static double now_s;

static time_t
test_clock(void)
{
	return (time_t)now_s;
}

static struct kv *
memory_kv(void)
{
	struct kv_local_opts o = { .clock = test_clock };
	char err[128];
	struct kv *kv = kv_local_open(&o, err, sizeof(err));

	if (kv == NULL)
		fail_msg("kv: %s", err);
	return kv;
}

static void
test_ip_forms(void **state)
{
	static const struct {
		const char	*in;
		const char	*reverse;	/* or the error */
		const char	*network;
		bool		 private;
	} cases[] = {
		{ "192.0.2.1", "1.2.0.192", "192.0.2.0/24", true },
		{ "127.0.0.1", "1.0.0.127", "127.0.0.0/24", true },
		{ "8.8.4.4", "4.4.8.8", "8.8.4.0/24", false },
		{ "172.31.255.255", "255.255.31.172", "172.31.255.0/24", true },
		{ "172.32.0.1", "1.0.32.172", "172.32.0.0/24", false },
		{ "100.64.1.1", "1.1.64.100", "100.64.1.0/24", true },
		{ "::ffff:198.51.100.9", "9.100.51.198", "198.51.100.0/24", true },
		{ "[IPv6:2001:db8::1]", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
		  "8.b.d.0.1.0.0.2", "2001:db8::/64", true },
		{ "2a00:1450:4001:81c::200e", "e.0.0.2.0.0.0.0.0.0.0.0.0.0.0.0.c.1.8.0.1.0.0.4."
		  "0.5.4.1.0.0.a.2", "2a00:1450:4001:81c::/64", false },
		{ "::1", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0",
		  "::/64", true },
		{ "fe80::1", NULL, "fe80::/64", true },
		{ "300.1.1.1", "invalid argument", NULL, false },
		{ "", "invalid argument", NULL, false },
		{ "1.2.3.4.5", "invalid argument", NULL, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rep_ip ip;
		char rev[80], want[80], net[64], what[80];
		int rc = rep_ip_parse(cases[i].in, &ip);

		snprintf(what, sizeof(what), "case %zu (%s) reverse", i, cases[i].in);
		if (rc < 0) {
			check_str(what, mg_strerror(rc), cases[i].reverse);
			continue;
		}
		/* the parsed form is what the dnsbl check hands dns_reverse_name */
		assert_int_equal(dns_reverse_name(ip.family, ip.addr, "z", rev, sizeof(rev)), 0);
		if (cases[i].reverse != NULL) {
			snprintf(want, sizeof(want), "%s.z", cases[i].reverse);
			check_str(what, rev, want);
		}
		assert_int_equal(rep_ip_network(&ip, net, sizeof(net)), 0);
		snprintf(what, sizeof(what), "case %zu (%s) network", i, cases[i].in);
		check_str(what, net, cases[i].network);
		snprintf(what, sizeof(what), "case %zu (%s) private", i, cases[i].in);
		check_str(what, rep_ip_private(&ip) ? "private" : "public",
		    cases[i].private ? "private" : "public");
	}
	check_failures();
}

static void
test_addresses(void **state)
{
	static const struct { const char *in, *want, *domain; } cases[] = {
		{ "Alice@Example.ORG", "alice@example.org", "example.org" },
		{ "<bob@sub.example.net>", "bob@sub.example.net", "sub.example.net" },
		{ "", "invalid argument", NULL },
		{ "<>", "invalid argument", NULL },
		{ "no-at-sign", "invalid argument", NULL },
		{ "trailing@", "invalid argument", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[REP_ADDR_MAX + 1], what[64];
		int rc = rep_addr_clean(cases[i].in, out, sizeof(out));

		snprintf(what, sizeof(what), "case %zu (%s)", i, cases[i].in);
		check_str(what, rc < 0 ? mg_strerror(rc) : out, cases[i].want);
		if (rc == 0)
			check_str(what, rep_addr_domain(out), cases[i].domain);
	}
	check_failures();
}

static void
test_header_from(void **state)
{
	static const struct { const char *value, *want; } cases[] = {
		{ "\"Alice\" <Alice@Example.org>", "alice@example.org" },
		{ "bob@example.net (Bob)", "bob@example.net" },
		{ "Carol <carol@example.com>, dave@example.com", "carol@example.com" },
		{ "undisclosed", "not found" },
		{ NULL, "not found" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mime_header h = { MG_SLICE_LIT("From"), { 0 }, cases[i].value };
		struct mime_part root = { .headers = &h, .nheaders = cases[i].value ? 1 : 0 };
		struct mime_msg m = { .root = &root };
		char out[REP_ADDR_MAX + 1], what[32];
		int rc = rep_header_from(&m, out, sizeof(out));

		snprintf(what, sizeof(what), "case %zu", i);
		check_str(what, rc < 0 ? mg_strerror(rc) : out, cases[i].want);
	}
	check_failures();
}

static void
test_registrable(void **state)
{
	static const struct { const char *host, *want; } cases[] = {
		{ "mail.example.co.uk", "example.co.uk" },
		{ "WWW.Example.COM", "example.com" },
		{ "example.com", "example.com" },
		{ "192.0.2.1", NULL },
		{ "bad/host", NULL },
	};
	struct mg_arena *a = mg_arena_new(4096, 0);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = rep_registrable(a, cases[i].host);
		char what[64];

		snprintf(what, sizeof(what), "case %zu (%s)", i, cases[i].host);
		check_str(what, got ? got : "(null)", cases[i].want ? cases[i].want : "(null)");
	}
	mg_arena_free(a);
	check_failures();
}

/* One verdict halves every half-life, across an epoch boundary too. */
static void
test_decay(void **state)
{
	const struct rep_params p = { 30 * DAY, 20 };
	const double epoch = p.half_life * REP_EPOCH_HALF_LIVES;
	static const struct { double learn_at, read_at, want; } cases[] = {
		{ 0, 0, 1.0 },
		{ 0, 1, 0.5 },
		{ 0, 3, 0.125 },
		{ 10, 10.5, 0.70710678 },
		{ 31.5, 32.5, 0.5 },		/* learned in one epoch, read in the next */
		{ 31.9, 33.9, 0.25 },
		{ 63.99, 64.99, 0.5 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kv *kv = memory_kv();
		struct rep_counts c;
		double base = 1000 * epoch;	/* an epoch boundary */

		now_s = base + cases[i].learn_at * p.half_life;
		assert_int_equal(rep_learn(kv, &p, REP_KIND_IP, "192.0.2.0/24", true, now_s), 0);
		now_s = base + cases[i].read_at * p.half_life;
		assert_int_equal(rep_read(kv, &p, REP_KIND_IP, "192.0.2.0/24", now_s, &c), 0);
		if (fabs(c.spam - cases[i].want) > 1e-6 || c.clean != 0.0)
			fail_msg("case %zu: got spam %.9f clean %.9f, want %.9f and 0", i, c.spam,
			    c.clean, cases[i].want);
		kv_close(kv);
	}
}

/* Many verdicts over a year sum as the closed form says; kinds and
 * entities are separate; old keys expire. */
static void
test_decay_sum(void **state)
{
	const struct rep_params p = { 7 * DAY, 20 };
	struct kv *kv = memory_kv();
	double want_spam = 0, want_clean = 0, start = 1.7e9;
	struct rep_counts c;

	for (int i = 0; i < 2000; i++) {
		bool spam = i % 3 == 0;
		now_s = start + i * 0.2 * DAY;
		assert_int_equal(rep_learn(kv, &p, REP_KIND_DOMAIN, "example.org", spam, now_s), 0);
	}
	for (int i = 0; i < 2000; i++) {
		double w = exp2(-(now_s - (start + i * 0.2 * DAY)) / p.half_life);
		*(i % 3 == 0 ? &want_spam : &want_clean) += w;
	}
	assert_int_equal(rep_read(kv, &p, REP_KIND_DOMAIN, "example.org", now_s, &c), 0);
	if (fabs(c.spam - want_spam) > 1e-6 * want_spam ||
	    fabs(c.clean - want_clean) > 1e-6 * want_clean)
		fail_msg("got %.6f/%.6f, want %.6f/%.6f", c.spam, c.clean, want_spam, want_clean);
	assert_int_equal(rep_read(kv, &p, REP_KIND_DKIM, "example.org", now_s, &c), 0);
	assert_true(c.spam == 0 && c.clean == 0);
	now_s += (REP_TTL_HALF_LIVES + 1) * p.half_life;
	assert_int_equal(rep_read(kv, &p, REP_KIND_DOMAIN, "example.org", now_s, &c), 0);
	assert_true(c.spam == 0 && c.clean == 0);
	kv_close(kv);
}

static void
test_evidence(void **state)
{
	const struct rep_params p = { DAY, 20 };
	static const struct { double spam, clean, want; } cases[] = {
		{ 0, 0, 0 },
		{ 19, 0, 0 },			/* below min_messages */
		{ 30, 0, 0.5625 },		/* 30/32 * 30/50 */
		{ 0, 100, -0.81699346 },	/* -100/102 * 100/120 */
		{ 50, 50, 0 },
		{ 1000, 10, 0.95927 },		/* 990/1012 * 1010/1030 */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rep_counts c = { cases[i].spam, cases[i].clean };
		double got = rep_evidence(&p, &c);

		if (fabs(got - cases[i].want) > 1e-4)
			fail_msg("case %zu: got %.6f, want %.6f", i, got, cases[i].want);
	}
}

/* The auth check of these tests: DKIM_ALLOW with the domains of the
 * X-Test-DKIM field, SPF_PASS (for the sender domain) when X-Test-SPF is present. */
static int
fake_auth_scan(void *state, struct mg_task *t)
{
	const struct mime_header *d = mime_header_find(t->msg->root, "X-Test-DKIM");
	int rc = 0;

	if (mime_header_find(t->msg->root, "X-Test-SPF") != NULL)
		rc = mg_task_symbol(t, "SPF_PASS", "good.test");
	for (const char *p = d ? d->value : NULL; p != NULL && *p && rc == 0; ) {
		size_t n = strcspn(p, " ");
		char dom[128];
		snprintf(dom, sizeof(dom), "%.*s", (int)n, p);
		rc = mg_task_symbol(t, "DKIM_ALLOW", dom);
		p += n + (p[n] == ' ');
	}
	return rc;
}

static const struct mg_check fake_auth = { .name = "fake_auth", .scan = fake_auth_scan };

static char dir[] = "/tmp/mg-rep-XXXXXX";

static struct mg_engine *
open_engine(const char *snippet, bool writer, struct mg_conf **conf)
{
	static const struct mg_check *const checks[] = { &fake_auth, &check_gtube, &check_lists,
		&check_reputation };
	char err[512], path[256];
	struct mg_error e;
	struct mg_engine *eng;
	FILE *f;

	snprintf(path, sizeof(path), "%s/test.conf", dir);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "spool = \"spool\";\nstore = \"db/x.db\";\n"
	    "listeners = ( { address = \"127.0.0.1:2525\"; role = \"inbound\"; } );\n"
	    "domains = ( { name = \"example.test\"; route = \"127.0.0.1:2526\"; } );\n"
	    "trusted_networks = [ \"198.18.0.0/15\", \"9.9.9.0/24\" ];\n"
	    "engine = { reputation = { %s }; };\n", snippet);
	fclose(f);
	if ((*conf = conf_load(path, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	(*conf)->engine.reputation.writer = writer;
	if ((eng = engine_open_checks(*conf, checks, 4, &e)) == NULL)
		fail_msg("engine: %s", e.text);
	return eng;
}

/* Scans one message; returns its REP_ symbols as "NAME(score)=opt ...".
 * A probe goes to an allow-listed recipient, so that it teaches nothing. */
static const char *
scan_rep(struct mg_engine *eng, const char *ip, const char *mail_from, const char *extra,
    bool spam, bool outbound, bool probe)
{
	static _Thread_local char got[1024];	/* scan_thread calls it too */
	char msg[1024];
	const char *rcpt[] = { probe ? "probe@example.test" : "bob@example.test" };
	struct mg_envelope env = { ip, "helo.test", mail_from, rcpt, 1, outbound };
	struct mg_result res;
	size_t o = 0;

	snprintf(msg, sizeof(msg), "From: <%s>\r\nTo: <bob@example.test>\r\n%sSubject: x\r\n"
	    "\r\n%s\r\n", mail_from, extra,
	    spam ? "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X" : "Hi");
	assert_int_equal(mg_scan(eng, &env, (const uint8_t *)msg, strlen(msg), &res), 0);
	got[0] = '\0';
	for (size_t i = 0; i < res.nsymbols; i++) {
		const struct mg_symbol *s = &res.symbols[i];
		if (strncmp(s->name, "REP_", 4) != 0)
			continue;
		o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s(%.2f)", o ? " " : "", s->name,
		    s->score);
		for (size_t j = 0; j < s->noptions; j++)
			o += (size_t)snprintf(got + o, sizeof(got) - o, "%c%s", j ? '|' : '=',
			    s->options[j]);
	}
	mg_result_clear(&res);
	return got;
}

#define DKIM_SPAMMY	"X-Test-DKIM: spammy.test bulk.test\r\n"
#define DKIM_GOOD	"X-Test-DKIM: mail.good.test\r\n"

/* Ten spams and ten clean messages teach the keys of each; the check then
 * fires with the strength of the evidence; outbound mail, trusted and
 * private networks and listed mail teach and score nothing. */
static void
test_check_learns(void **state)
{
	static const struct {
		const char	*ip, *from, *extra;
		bool		 outbound;
		const char	*want;
	} cases[] = {
		/* 10 spam / 12: evidence 10/12 * 10/15 = 0.556 of 4.0; the sender
		 * domain was never authenticated */
		{ "62.1.2.77", "x@spammy.test", "", false,
		  "REP_IP_BAD(2.22)=62.1.2.0/24 spam=10.0 clean=0.0" },
		/* DKIM aligned with the sender: the domain is authenticated */
		{ "8.8.8.8", "x@spammy.test", DKIM_SPAMMY, false,
		  "REP_DKIM_BAD(2.22)=spammy.test spam=10.0 clean=0.0|bulk.test spam=10.0 clean=0.0 "
		  "REP_DOMAIN_BAD(1.67)=spammy.test spam=10.0 clean=0.0" },
		{ "8.8.8.8", "x@other.test", "X-Test-DKIM: bulk.test\r\n", false,
		  "REP_DKIM_BAD(2.22)=bulk.test spam=10.0 clean=0.0" },
		/* clean: -2 * 10/12 * 10/15; DKIM aligned with the sender domain */
		{ "2001:db8:5:6::1", "alice@good.test", DKIM_GOOD, false,
		  "REP_DOMAIN_GOOD(-1.11)=good.test spam=0.0 clean=10.0 "
		  "REP_DKIM_GOOD(-1.67)=mail.good.test spam=0.0 clean=10.0" },
		{ "192.0.2.1", "alice@good.test", "X-Test-SPF: pass\r\n", false,
		  "REP_DOMAIN_GOOD(-1.11)=good.test spam=0.0 clean=10.0" },
		{ "192.0.2.1", "alice@good.test", "", false, "" },
		{ "62.1.2.77", "x@spammy.test", DKIM_SPAMMY, true, "" },
		{ "198.18.0.1", "x@x.test", "", false, "" },
		{ "9.9.9.9", "x@x.test", "", false, "" },
	};
	struct mg_conf *conf;
	struct mg_engine *eng = open_engine("history = { persist = false; min_messages = 5; };\n"
	    "lists = { allow_ip = [ \"62.1.9.200\" ]; allow_rcpt = [ \"probe@example.test\" ]; };",
	    false, &conf);

	for (int i = 0; i < 10; i++) {
		scan_rep(eng, "62.1.2.5", "x@spammy.test", DKIM_SPAMMY, true, false, false);
		scan_rep(eng, "2001:db8:5:6::99", "alice@good.test", DKIM_GOOD, false, false, false);
		/* none of these teach: outbound, trusted, private, listed */
		scan_rep(eng, "62.1.3.1", "x@x.test", DKIM_GOOD, true, true, false);
		scan_rep(eng, "198.18.0.5", "x@x.test", "", true, false, false);
		scan_rep(eng, "9.9.9.1", "x@x.test", "", true, false, false);
		scan_rep(eng, "10.1.1.1", "x@x.test", "", true, false, false);
		scan_rep(eng, "62.1.9.200", "x@x.test", "", true, false, false);
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char what[32];
		snprintf(what, sizeof(what), "case %zu", i);
		check_str(what, scan_rep(eng, cases[i].ip, cases[i].from, cases[i].extra, false,
		    cases[i].outbound, true), cases[i].want);
	}
	check_str("outbound", scan_rep(eng, "62.1.3.1", "y@y.test", "", false, false, true), "");
	check_str("private", scan_rep(eng, "10.1.1.2", "y@y.test", "", false, false, true), "");
	check_str("listed", scan_rep(eng, "62.1.9.1", "y@y.test", "", false, false, true), "");
	mg_engine_close(eng);
	conf_free(conf);
	check_failures();
}

#define THREADS	4
#define EACH	250

static void *
scan_thread(void *arg)
{
	for (int i = 0; i < EACH; i++)
		scan_rep(arg, "62.1.2.9", "x@x.test", "", true, false, false);
	return NULL;
}

/* Verdicts from several threads at once lose no count; the writer saves
 * the state at close and a reader finds it at open. */
static void
test_check_threads_and_state(void **state)
{
	char snippet[512], file[300], want[128];
	struct mg_conf *conf;
	struct mg_engine *eng;
	pthread_t th[THREADS];

	snprintf(file, sizeof(file), "%s/rep.kv", dir);
	snprintf(snippet, sizeof(snippet), "history = { state = \"%s\"; };", file);
	eng = open_engine(snippet, true, &conf);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, scan_thread, eng), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	snprintf(want, sizeof(want), "REP_IP_BAD(3.91)=62.1.2.0/24 spam=%d.0 clean=0.0",
	    THREADS * EACH);
	check_str("after threads", scan_rep(eng, "62.1.2.1", "y@y.test", "", false, false,
	    false), want);
	mg_engine_close(eng);
	conf_free(conf);
	assert_int_equal(access(file, R_OK), 0);
	eng = open_engine(snippet, false, &conf);
	snprintf(want, sizeof(want), "REP_IP_BAD(3.91)=62.1.2.0/24 spam=%d.0 clean=1.0",
	    THREADS * EACH);
	check_str("after reopen", scan_rep(eng, "62.1.2.1", "y@y.test", "", false, false, true),
	    want);
	mg_engine_close(eng);
	conf_free(conf);
	check_failures();
}

static int
setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	return remove_tree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip_forms),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_header_from),
		cmocka_unit_test(test_registrable),
		cmocka_unit_test(test_decay),
		cmocka_unit_test(test_decay_sum),
		cmocka_unit_test(test_evidence),
		cmocka_unit_test(test_check_learns),
		cmocka_unit_test(test_check_threads_and_state),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
