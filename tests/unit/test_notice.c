/* Notices and the digest job: a digest parsed back with the MIME parser
 * has the notice fields, both alternatives, sender and subject in the
 * text, links that verify with the key (none to release malware), an
 * escaped HTML subject; the policy and code notices; queued_digest_run
 * with a real store and spool sends one digest per protected user, then
 * nothing until the interval passed and something new arrived. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_util.h"
#include "conf_fixture.h"

#include "core/arena.h"
#include "core/err.h"
#include "core/log.h"
#include "daemon/queued_digest.h"
#include "mime/mime.h"
#include "quarantine/notice.h"
#include "spool/spool.h"

#define NOW	((time_t)1800000000)

static const uint8_t key[QTOKEN_KEY_LEN] = "0123456789abcdef0123456789abcde";
static char url[] = "https://mail.example.test";

static const struct store_quarantine items[] = {
	{ 0x1000, NOW - 3600, "alice@a.test", "bob@example.test", "Café <script>x</script>",
	    "spam", 9.0, "score", "", 5000, 0, NULL, false },
	{ 0x2000, NOW - 7200, "mallory@evil.test", "bob@example.test", "Invoice",
	    "malware", 30.0, "AV_VIRUS", "", 200, 0, NULL, false },
};

static void
ctx_init(struct conf_portal *cp, struct notice_ctx *nc)
{
	conf_portal_defaults(cp);
	cp->url = url;
	*nc = (struct notice_ctx){ .conf = cp, .hostname = "gw.example.test", .key = key,
	    .now = NOW };
}

static const char *
field(const struct mime_part *p, const char *name)
{
	const struct mime_header *h = mime_header_find(p, name);

	return h ? h->value : "(none)";
}

/* Verifies every link after path in text; counts them per action. */
static void
count_links(const char *text, size_t len, const char *path, unsigned n[3])
{
	char *t = strndup(text, len);

	assert_non_null(t);
	for (char *p = strstr(t, path); p != NULL; p = strstr(p, path)) {
		char tok[QTOKEN_TEXT_MAX];
		struct qtoken q;
		size_t k = 0;
		p += strlen(path);
		while (p[k] != '\0' && p[k] != '\n' && p[k] != '\r' && p[k] != ' ' &&
		    p[k] != '"' && k + 1 < sizeof(tok))
			k++;
		snprintf(tok, sizeof(tok), "%.*s", (int)k, p);
		if (qtoken_verify(key, tok, NOW + 60, &q) != 0)
			fail_msg("token %s does not verify", tok);
		check_str("token user", q.user, "bob@example.test");
		if (q.action != QTOKEN_LOGIN && q.id != 0x1000)
			fail_msg("action link for id %llx", (unsigned long long)q.id);
		if (q.expires != NOW + 7 * 86400)
			fail_msg("expires %lld", (long long)q.expires);
		n[q.action]++;
	}
	free(t);
}

static void
test_digest(void **state)
{
	struct conf_portal cp;
	struct notice_ctx nc;
	struct mg_buf out;
	struct mg_arena *a = mg_arena_new(65536, 0);
	struct mime_limits lim;
	struct mime_msg *m;
	unsigned plain[3] = { 0 }, html[3] = { 0 };

	(void)state;
	ctx_init(&cp, &nc);
	mg_buf_init(&out, NOTICE_MAX_LEN);
	assert_int_equal(notice_digest(&nc, "Bob@Example.test", items, 2, 3, &out), 0);
	mime_limits_default(&lim);
	assert_non_null(m = mime_parse(a, out.data, out.len, &lim));
	if (m->flags != 0)
		fail_msg("mime flags %llx: %s", (unsigned long long)m->flags, esc(out.data, out.len));
	check_str("notice", field(m->root, "X-Mailgate-Notice"), "digest");
	check_str("auto", field(m->root, "Auto-Submitted"), "auto-generated");
	check_str("subject", field(m->root, "Subject"), "Quarantine digest: 3 new held messages");
	check_str("to", field(m->root, "To"), "<Bob@Example.test>");
	check_str("from", field(m->root, "From"), "Mailgate <postmaster@gw.example.test>");
	assert_int_equal(m->nparts, 3);
	check_str("plain", m->parts[1]->subtype, "plain");
	check_str("html", m->parts[2]->subtype, "html");
	assert_non_null(strstr(m->parts[1]->text, "alice@a.test"));
	assert_non_null(strstr(m->parts[1]->text, "Café <script>x</script>"));
	assert_non_null(strstr(m->parts[1]->text, "ask your administrator"));
	assert_non_null(strstr(m->parts[1]->text, "1 more are not listed"));
	assert_non_null(strstr(m->parts[2]->text, "Café &lt;script&gt;x&lt;/script&gt;"));
	assert_null(strstr(m->parts[2]->text, "<script>"));
	count_links(m->parts[1]->text, m->parts[1]->text_len, "https://mail.example.test"
	    NOTICE_ACTION_PATH, plain);
	count_links(m->parts[1]->text, m->parts[1]->text_len, "https://mail.example.test"
	    NOTICE_LOGIN_PATH, plain);
	count_links(m->parts[2]->text, m->parts[2]->text_len, NOTICE_ACTION_PATH, html);
	count_links(m->parts[2]->text, m->parts[2]->text_len, NOTICE_LOGIN_PATH, html);
	/* one release and one allow for the spam item, none for malware */
	for (int i = 0; i < 3; i++)
		if (plain[i] != 1 || html[i] != 1)
			fail_msg("action %d: plain %u html %u links, want 1", i, plain[i], html[i]);
	check_failures();
	for (size_t i = 0; i + 1 < out.len; i++)
		if ((out.data[i] == '\n' && (i == 0 || out.data[i - 1] != '\r')) ||
		    out.data[i] >= 0x80)
			fail_msg("bare LF or 8-bit byte at %zu", i);
	assert_int_equal(notice_digest(&nc, "no address", items, 1, 1, &out), -MG_EINVAL);
	mg_buf_release(&out);
	mg_arena_free(a);
}

/* Policy notice: the event's facts, an encoded subject, no body. */
static void
test_policy_and_code(void **state)
{
	struct notice_event ev = { .id = 0xabc, .time = NOW, .mail_from = "",
	    .rcpts = "bob@example.test, carol@example.test", .subject = "Grüße",
	    .action = "quarantine", .filter = "no-exe", .reason = "attachment .exe" };
	struct conf_portal cp;
	struct notice_ctx nc;
	struct mg_buf out;
	struct mg_arena *a = mg_arena_new(65536, 0);
	struct mime_limits lim;
	struct mime_msg *m;

	(void)state;
	ctx_init(&cp, &nc);
	mime_limits_default(&lim);
	mg_buf_init(&out, NOTICE_MAX_LEN);
	assert_int_equal(notice_policy(&nc, NOTICE_ADMIN, "admin@example.test", &ev, &out), 0);
	assert_non_null(strstr((const char *)out.data, "Subject: =?utf-8?q?"));
	assert_non_null(m = mime_parse(a, out.data, out.len, &lim));
	check_str("subject", field(m->root, "Subject"), "Mail policy notice: Grüße");
	check_str("notice", field(m->root, "X-Mailgate-Notice"), "notify");
	assert_non_null(strstr(m->root->text, "Sender:     <>"));
	assert_non_null(strstr(m->root->text, "carol@example.test"));
	assert_non_null(strstr(m->root->text, "Filter:     no-exe"));
	assert_non_null(strstr(m->root->text, "Queue id:   0000000000000abc"));
	mg_buf_reset(&out);
	assert_int_equal(notice_code(&nc, "bob@example.test", "493817", &out), 0);
	assert_non_null(m = mime_parse(a, out.data, out.len, &lim));
	check_str("code notice", field(m->root, "X-Mailgate-Notice"), "code");
	assert_non_null(strstr(m->root->text, "493817"));
	assert_non_null(strstr(m->root->text, "15 minutes"));
	check_failures();
	mg_buf_release(&out);
	mg_arena_free(a);
}

struct digest_fx {
	char		 root[64];
	struct mg_conf	*conf;
	struct store	*st;
	struct spool	*sp;
	struct queue_ctx ctx;
};

static int
count_one(uint64_t id, void *arg)
{
	(void)id;
	(*(unsigned *)arg)++;
	return 0;
}

static unsigned
queued_count(struct digest_fx *f)
{
	unsigned n = 0;

	assert_int_equal(spool_queue_each(f->sp, count_one, &n), 0);
	return n;
}

static void
add_row(struct digest_fx *f, uint64_t id, time_t t, const char *rcpts)
{
	struct store_quarantine q = { id, t, "spam@x.test", rcpts, "Buy now", "spam", 8.0,
	    "score", "", 1000, 0, NULL, false };

	assert_int_equal(store_quar_add(f->st, &q), 0);
}

static void
test_digest_run(void **state)
{
	struct digest_fx f = { .root = "/tmp/mg-digest-XXXXXX" };
	char err[512] = "", path[128];
	struct store_quarantine held = { 9, NOW - 60, "x@x.test", "dave@example.test", "s",
	    "spam", 8.0, "score", "", 10, 0, NULL, true };

	(void)state;
	assert_non_null(mkdtemp(f.root));
	f.conf = conf_fixture_load(f.root, CONF_BASE "portal = { enabled = true; "
	    "key_file = \"portal.key\"; digest = { interval_hours = 24; }; };\n", err,
	    sizeof(err));
	if (f.conf == NULL)
		fail_msg("conf: %s", err);
	snprintf(path, sizeof(path), "%s/log.db", f.root);
	if ((f.st = store_open(path, false, err, sizeof(err))) == NULL)
		fail_msg("store: %s", err);
	snprintf(path, sizeof(path), "%s/spool", f.root);
	assert_int_equal(spool_open(path, &f.sp), 0);
	f.ctx = (struct queue_ctx){ .conf = f.conf, .store = f.st, .spool = f.sp };
	add_row(&f, 1, NOW - 3600, "bob@example.test, carol@Example.test, eve@other.test");
	add_row(&f, 2, NOW - 1800, "bob@example.test");
	add_row(&f, 3, NOW - 40 * 86400, "frank@example.test");	/* too old */
	assert_int_equal(store_quar_add(f.st, &held), 0);	/* held: admin review */
	queued_digest_run(&f.ctx, NOW);
	assert_int_equal(queued_count(&f), 2);	/* bob, carol */
	queued_digest_run(&f.ctx, NOW + 60);
	assert_int_equal(queued_count(&f), 2);
	add_row(&f, 4, NOW + 120, "carol@example.test");
	queued_digest_run(&f.ctx, NOW + 3600);	/* new, but not due */
	assert_int_equal(queued_count(&f), 2);
	queued_digest_run(&f.ctx, NOW + 25 * 3600);	/* carol only: bob has nothing new */
	assert_int_equal(queued_count(&f), 3);
	f.conf->portal.enabled = false;
	add_row(&f, 5, NOW + 26 * 3600, "bob@example.test");
	queued_digest_run(&f.ctx, NOW + 60 * 3600);
	assert_int_equal(queued_count(&f), 3);
	f.st = store_close(f.st);
	f.sp = spool_close(f.sp);
	conf_free(f.conf);
	remove_tree(f.root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_policy_and_code),
		cmocka_unit_test(test_digest_run),
	};

	log_init("test_notice", true, LOG_LVL_CRIT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
