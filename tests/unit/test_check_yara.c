/* The YARA check inside an engine: rule symbols with their meta (and the
 * defaults without meta), private rules never reported, archive members
 * scanned, the size and time limits, rule files that refuse the open with
 * FILE:LINE, engine.yara settings, and several threads scanning at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include "checks/yara.h"
#include "core/buf.h"
#include "core/err.h"
#include "engine/check.h"
#include "engine/engine.h"
#include "test_util.h"
#include "conf_fixture.h"

static const char rules_ok[] =
    "rule with_meta : foo\n"
    "{\n meta:\n  score = 6\n  category = \"dangerous\"\n  description = \"test one\"\n"
    " strings:\n  $a = \"PAYLOAD-ONE\"\n condition:\n  $a\n}\n"
    "rule no_meta { strings: $a = \"PAYLOAD-TWO\" condition: $a }\n"
    "rule tagged : phishing { meta: score = \"2.5\" force = \"tag\""
    " strings: $a = \"PAYLOAD-TWO\" condition: $a }\n"
    "private rule helper { strings: $a = \"PAYLOAD\" condition: $a }\n"
    "rule uses_helper { meta: score = 1 category = \"spam\""
    " description = \"short file with a payload\" condition: helper and filesize < 64 }\n"
    "rule never { strings: $a = \"NOT-THERE\" condition: $a }\n";

/* filesize squared iterations, seconds for 32 KiB: the timeout test's rule. */
static const char rules_slow[] =
    "rule slow { condition: for all i in (0..filesize) : "
    "(for all j in (0..filesize) : (uint8(i) + uint8(j) < 1000)) }\n";

/* A message with one attachment (base64 of body) named name. */
static char *
make_msg(const char *name, const char *type, const uint8_t *body, size_t len)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct mg_buf b;

	mg_buf_init(&b, 0);
	assert_int_equal(mg_buf_appendf(&b, "From: a@b.example\r\nSubject: files\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
	    "--XX\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--XX\r\n"
	    "Content-Type: %s\r\nContent-Disposition: attachment; filename=\"%s\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n", type, name), 0);
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)body[i] << 16 | (i + 1 < len ? body[i + 1] << 8 : 0) |
		    (i + 2 < len ? body[i + 2] : 0);
		char q[4] = { tab[v >> 18], tab[(v >> 12) & 63],
			i + 1 < len ? tab[(v >> 6) & 63] : '=', i + 2 < len ? tab[v & 63] : '=' };
		assert_int_equal(mg_buf_append(&b, q, 4), 0);
		if (i % 57 == 54)
			assert_int_equal(mg_buf_append(&b, "\r\n", 2), 0);
	}
	assert_int_equal(mg_buf_appendf(&b, "\r\n--XX--\r\n"), 0);
	assert_int_equal(mg_buf_cstr(&b), 0);
	return (char *)b.data;
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

/* An engine of the YARA check alone on dir; err gets the open's error. */
static struct mg_engine *
open_engine(char *dir, uint32_t timeout, uint32_t max_size, char *err, size_t errlen)
{
	static const struct mg_check *const checks[] = { &check_yara };
	struct mg_conf conf = { 0 };
	struct mg_error e;
	struct mg_engine *eng;
	char *dirs[1] = { dir };

	conf_engine_defaults(&conf.engine);
	conf.engine.yara.dirs = dirs;
	conf.engine.yara.ndirs = 1;
	if (timeout != 0)
		conf.engine.yara.timeout = timeout;
	if (max_size != 0)
		conf.engine.yara.max_file_size = max_size;
	eng = engine_open_checks(&conf, checks, 1, &e);
	snprintf(err, errlen, "%s", eng ? "" : e.text);
	return eng;
}

/* "NAME(score)=opt|opt,..." of res, and "category/action". */
static void
result_text(const struct mg_result *res, char *out, size_t outlen)
{
	static const char *const act[] = { "accept", "tag", "quarantine", "reject" };
	size_t n = 0;

	for (size_t i = 0; i < res->nsymbols && n < outlen; i++) {
		const struct mg_symbol *s = &res->symbols[i];
		n += (size_t)snprintf(out + n, outlen - n, "%s(%.2f)", s->name, s->score);
		for (size_t j = 0; j < s->noptions && n < outlen; j++)
			n += (size_t)snprintf(out + n, outlen - n, "%c%s", j ? '|' : '=',
			    s->options[j]);
		n += (size_t)snprintf(out + n, outlen - n, ",");
	}
	snprintf(out + n, outlen - n, " %s/%s", res->verdict, act[res->verdict_action]);
}

static void
scan_expect(struct mg_engine *e, const char *what, const char *msg, const char *want)
{
	struct mg_result res;
	char got[2048];

	assert_int_equal(mg_scan(e, NULL, (const uint8_t *)msg, strlen(msg), &res), 0);
	result_text(&res, got, sizeof(got));
	check_str(what, got, want);
	mg_result_clear(&res);
}

static void
test_yara_scan(void **state)
{
	static const uint8_t one[] = "xx PAYLOAD-ONE PAYLOAD-TWO xx";
	static const uint8_t clean[] = "nothing to see here: PAYLOAD alone is a private rule, "
	    "and this file is longer than 64 bytes";
	char dir[] = "/tmp/test_check_yara.XXXXXX", err[512], *m;
	struct mg_engine *e;

	assert_non_null(mkdtemp(dir));
	write_file(dir, "10-test.yar", rules_ok);
	write_file(dir, "20-ignored.txt", "not a rule file {");
	if ((e = open_engine(dir, 0, 0, err, sizeof(err))) == NULL)
		fail_msg("engine open: %s", err);
	m = make_msg("a.bin", "application/octet-stream", one, sizeof(one) - 1);
	scan_expect(e, "meta, defaults, helper", m,
	    "YARA_WITH_META(6.00)=a.bin,YARA_NO_META(5.00)=a.bin,YARA_TAGGED(2.50)=a.bin,"
	    "YARA_USES_HELPER(1.00)=a.bin, dangerous/quarantine");
	free(m);
	m = make_msg("c.txt", "text/plain", clean, sizeof(clean) - 1);
	scan_expect(e, "clean", m, " clean/accept");
	free(m);
	mg_engine_close(e);
	assert_int_equal(remove_tree(dir), 0);
	check_failures();
}

/* A zip (stored, no compression) holding inner.txt with text. */
static size_t
make_zip(uint8_t *out, const char *text)
{
	static const char name[] = "inner.txt";
	uint32_t len = (uint32_t)strlen(text), crc = 0xffffffffu, n = 0, cd, cdlen;

	for (uint32_t i = 0; i < len; i++) {
		crc ^= (uint8_t)text[i];
		for (int k = 0; k < 8; k++)
			crc = crc >> 1 ^ (0xedb88320u & -(crc & 1));
	}
	crc ^= 0xffffffffu;
#define U16(v) do { out[n++] = (uint8_t)(v); out[n++] = (uint8_t)((v) >> 8); } while (0)
#define U32(v) do { U16((v) & 0xffff); U16((uint32_t)(v) >> 16); } while (0)
	U32(0x04034b50); U16(10); U16(0); U16(0); U16(0); U16(0); U32(crc); U32(len);
	U32(len); U16(sizeof(name) - 1); U16(0);
	memcpy(out + n, name, sizeof(name) - 1); n += sizeof(name) - 1;
	memcpy(out + n, text, len); n += len;
	cd = n;
	U32(0x02014b50); U16(20); U16(10); U16(0); U16(0); U16(0); U16(0); U32(crc);
	U32(len); U32(len); U16(sizeof(name) - 1); U16(0); U16(0); U16(0); U16(0); U32(0);
	U32(0);
	memcpy(out + n, name, sizeof(name) - 1); n += sizeof(name) - 1;
	cdlen = n - cd;
	U32(0x06054b50); U16(0); U16(0); U16(1); U16(1); U32(cdlen); U32(cd); U16(0);
#undef U32
#undef U16
	return n;
}

/* Archive members are scanned (named ARCHIVE/MEMBER); bigger files than
 * max_file_size are skipped; a scan past the timeout is YARA_FAIL. */
static void
test_yara_members_limits(void **state)
{
	char dir[] = "/tmp/test_check_yara.XXXXXX", err[512], *m;
	uint8_t zip[512];
	static uint8_t big[32 << 10];
	struct mg_engine *e;

	assert_non_null(mkdtemp(dir));
	write_file(dir, "10-test.yar", rules_ok);
	if ((e = open_engine(dir, 0, 1024, err, sizeof(err))) == NULL)
		fail_msg("engine open: %s", err);
	m = make_msg("z.zip", "application/zip", zip,
	    make_zip(zip, "a long enough text with PAYLOAD-ONE in it"));
	scan_expect(e, "member", m, "YARA_WITH_META(6.00)=z.zip|z.zip/inner.txt,"
	    "YARA_USES_HELPER(1.00)=z.zip/inner.txt, dangerous/quarantine");
	free(m);
	memset(big, 'x', 2048);
	memcpy(big + 100, "PAYLOAD-ONE", 11);
	m = make_msg("big.bin", "application/octet-stream", big, 2048);
	scan_expect(e, "skipped", m, "YARA_SKIPPED(0.00)=big.bin, clean/accept");
	free(m);
	mg_engine_close(e);

	write_file(dir, "10-test.yar", rules_slow);
	if ((e = open_engine(dir, 1, 0, err, sizeof(err))) == NULL)
		fail_msg("engine open: %s", err);
	m = make_msg("slow.bin", "application/octet-stream", big, sizeof(big));
	scan_expect(e, "timeout", m, "YARA_FAIL(0.00)=timeout: slow.bin, clean/accept");
	free(m);
	mg_engine_close(e);
	assert_int_equal(remove_tree(dir), 0);
	check_failures();
}

/* Broken rule files refuse the open with the reason, file and line. */
static void
test_yara_refused(void **state)
{
	static const struct {
		const char	*file;
		const char	*why;	/* after "check yara: DIR/10-test.yar" */
	} bad[] = {
		{ "rule x {\n condition:\n  $a\n}\n", ":4: undefined string \"$a\"" },
		{ "rule x {\n strings: $a = \"x\"\n condition: $a and\n", ": syntax error" },
		{ "// c\n\nrule bad_cat {\n meta: category = \"evil\"\n condition: true }\n",
		  ":3: rule bad_cat: meta category must be one of clean, spam, bulk, phishing, "
		  "malware, bec, policy, dangerous" },
		{ "rule a { condition: true }\nrule  bad_score { meta: score = \"high\" "
		  "condition: true }\n", ":2: rule bad_score: meta score must be a number in "
		  "[-1000, 1000]" },
		{ "rule bad_act { meta: force = 3 condition: true }\n",
		  ":1: rule bad_act: meta force must be one of accept, tag, quarantine, hold, reject" },
		{ "rule bad_desc { meta: description = true condition: true }\n",
		  ":1: rule bad_desc: meta description must be a string" },
	};
	char dir[] = "/tmp/test_check_yara.XXXXXX", err[512], want[640];
	struct mg_engine *e;

	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(dir, "10-test.yar", bad[i].file);
		if ((e = open_engine(dir, 0, 0, err, sizeof(err))) != NULL) {
			mg_engine_close(e);
			fail_msg("case %zu: engine opened", i);
		}
		snprintf(want, sizeof(want), "check yara: %s/10-test.yar%s", dir, bad[i].why);
		check_str("refused", err, want);
	}
	/* the same rule name in two files */
	write_file(dir, "10-test.yar", "rule twice { condition: true }\n");
	write_file(dir, "20-test.yara", "\nrule twice { condition: false }\n");
	assert_null(e = open_engine(dir, 0, 0, err, sizeof(err)));
	snprintf(want, sizeof(want), "check yara: %s/20-test.yara:2: duplicated identifier "
	    "\"twice\"", dir);
	check_str("duplicated", err, want);
	assert_int_equal(remove_tree(dir), 0);
	check_failures();
}

static void
test_yara_conf(void **state)
{
	static const struct {
		const char	*snippet;
		const char	*want;
	} cases[] = {
		{ "engine = { yara = { dirs = [ \"nope\" ]; }; };",
		  "test.conf:5: engine.yara.dirs: 'nope' is not a directory" },
		{ "engine = { yara = { timeout = 0; }; };",
		  "test.conf:5: engine.yara.timeout = 0 is out of range [1, 3600]" },
		{ "engine = { yara = { colour = 1; }; };",
		  "test.conf:5: unknown setting 'colour'" },
		{ "engine = { yara = 3; };",
		  "test.conf:5: 'engine.yara' must be a group { dirs = [ ... ]; }" },
		{ "engine = { yara = { dirs = \"d\"; }; };",
		  "test.conf:5: engine.yara.dirs must be a list [ \"DIR\", ... ]" },
	};
	char dir[] = "/tmp/test_check_yara.XXXXXX", text[512], err[512];
	struct mg_conf *c;

	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), CONF_BASE "%s\n", cases[i].snippet);
		conf_fixture_expect_error(dir, cases[i].snippet, text, cases[i].want);
	}
	snprintf(text, sizeof(text), CONF_BASE "engine = { yara = { dirs = [ \".\" ]; "
	    "timeout = 2; max_file_size = 4096; enabled = false; }; };\n");
	if ((c = conf_fixture_load(dir, text, err, sizeof(err))) == NULL)
		fail_msg("load: %s", err);
	assert_int_equal(c->engine.yara.ndirs, 1);
	check_str("dir", c->engine.yara.dirs[0], dir);
	assert_int_equal(c->engine.yara.timeout, 2);
	assert_int_equal(c->engine.yara.max_file_size, 4096);
	assert_false(c->engine.yara.enabled);
	conf_free(c);
	assert_int_equal(remove_tree(dir), 0);
	check_failures();
}

struct scan_thread {
	struct mg_engine *e;
	const char	*msg;
	int		 ok;	/* scans that found YARA_WITH_META */
};

static void *
scan_loop(void *arg)
{
	struct scan_thread *st = arg;
	struct mg_result res;

	for (int i = 0; i < 40; i++) {
		if (mg_scan(st->e, NULL, (const uint8_t *)st->msg, strlen(st->msg), &res) != 0)
			continue;
		st->ok += res.nsymbols > 0 && strcmp(res.symbols[0].name, "YARA_WITH_META") == 0;
		mg_result_clear(&res);
	}
	return NULL;
}

/* One compiled set, several threads scanning through it at once. */
static void
test_yara_threads(void **state)
{
	static const uint8_t one[] = "PAYLOAD-ONE";
	char dir[] = "/tmp/test_check_yara.XXXXXX", err[512], *m;
	struct scan_thread st[6];
	pthread_t th[6];
	struct mg_engine *e;

	assert_non_null(mkdtemp(dir));
	write_file(dir, "10-test.yar", rules_ok);
	if ((e = open_engine(dir, 0, 0, err, sizeof(err))) == NULL)
		fail_msg("engine open: %s", err);
	m = make_msg("a.bin", "application/octet-stream", one, sizeof(one) - 1);
	for (int i = 0; i < 6; i++) {
		st[i] = (struct scan_thread){ e, m, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, scan_loop, &st[i]), 0);
	}
	for (int i = 0; i < 6; i++) {
		pthread_join(th[i], NULL);
		if (st[i].ok != 40)
			fail_msg("thread %d: %d of 40 scans found YARA_WITH_META", i, st[i].ok);
	}
	free(m);
	mg_engine_close(e);
	assert_int_equal(remove_tree(dir), 0);
}

/* yara_check_files (`mailgate rules check`): the public rules counted;
 * none when disabled. (The shipped rules are compiled by the e2e test.) */
static void
test_yara_check_files(void **state)
{
	char dir[] = "/tmp/test_check_yara.XXXXXX", err[512];
	char *dirs[1] = { dir };
	struct conf_yara c;
	size_t n;

	assert_non_null(mkdtemp(dir));
	write_file(dir, "10-test.yar", rules_ok);
	conf_yara_defaults(&c);
	c.dirs = dirs;
	c.ndirs = 1;
	if (yara_check_files(&c, &n, err, sizeof(err)) != 0)
		fail_msg("check: %s", err);
	if (n != 5)
		fail_msg("enabled: got %zu public rules, want 5", n);
	c.enabled = false;
	assert_int_equal(yara_check_files(&c, &n, err, sizeof(err)), 0);
	if (n != 0)
		fail_msg("disabled: got %zu rules, want 0", n);
	assert_int_equal(remove_tree(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yara_scan),
		cmocka_unit_test(test_yara_members_limits),
		cmocka_unit_test(test_yara_refused),
		cmocka_unit_test(test_yara_conf),
		cmocka_unit_test(test_yara_threads),
		cmocka_unit_test(test_yara_check_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
