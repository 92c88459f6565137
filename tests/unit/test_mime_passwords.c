/* Password candidates from a message's text: lures in the languages
 * attackers write (inline, quoted, on the next line, after filler words),
 * ham that must give none, and the bounds (8 candidates, 64 bytes); then
 * the archive walk opening encrypted archives (zipcrypt and AES zips
 * built here, zip -P, 7z -p and 7z -mhe seeds, whose password is
 * "secret") with the right candidate, and not with wrong ones. */
#include "attach_fixture.h"
#include "mime/passwords.h"

#define PE_TYPE		"application/vnd.microsoft.portable-executable"

/* The candidates of text joined by '|', "-" for none. */
static void
candidates(const char *text, char *out, size_t cap)
{
	struct mg_arena *a = mg_arena_new(4096, 0);
	struct mime_passwords set = { .n = 0 };
	size_t i, o = 0;

	assert_non_null(a);
	assert_int_equal(passwords_from_text(&set, a, text, strlen(text)), 0);
	out[0] = '\0';
	for (i = 0; i < set.n; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? "|" : "", set.v[i]);
	if (set.n == 0)
		snprintf(out, cap, "-");
	mg_arena_free(a);
}

static void
test_lures(void **state)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "Please find the invoice attached.\nPassword: infected123\n", "infected123" },
		{ "The password is 7781", "7781" },
		{ "The password for the archive is: \"Ab#12x\".", "Ab#12x" },
		{ "Zip password - 4455\r\n", "4455" },
		{ "PW: 2024", "2024" },
		{ "pwd=qwerty9", "qwerty9" },
		{ "Password (case sensitive): Xr7Kp", "Xr7Kp" },
		{ "Password to open the document: 'INV 2024'", "INV 2024" },
		{ "Use password 1234 to open the file.", "1234" },
		{ "Open it with the password doc55", "doc55" },
		{ "Your PIN is 9911.", "9911" },
		{ "Passcode: **8822**", "8822" },
		{ "Archive password:\n\n   kX92mq\n\nRegards", "kX92mq" },
		{ "Password\n\"777\"\n", "777" },
		{ "Das Passwort lautet: Rechnung2024", "Rechnung2024" },
		{ "Kennwort f\xc3\xbcr den Anhang: 5566", "5566" },
		{ "Le mot de passe est : facture", "facture" },
		{ "Mot de passe du fichier : \xc2\xab" "abc123\xc2\xbb", "abc123" },
		{ "La contrase\xc3\xb1" "a es: 2023", "2023" },
		{ "A senha do arquivo \xc3\xa9 4321", "4321" },
		{ "Het wachtwoord is 8080", "8080" },
		{ "Has\xc5\x82o do pliku: faktura1", "faktura1" },
		{ "\xd0\x9f\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c: 3344", "3344" },
		{ "\xe5\xaf\x86\xe7\xa0\x81\xef\xbc\x9a" "8888\xe3\x80\x82", "8888" },
		{ "\xe8\xa7\xa3\xe5\x8e\x8b\xe5\xaf\x86\xe7\xa2\xbc: 6262", "6262" },
		{ "\xe3\x83\x91\xe3\x82\xb9\xe3\x83\xaf\xe3\x83\xbc\xe3\x83\x89\xe3\x81\xaf"
		  "\xe3\x80\x8c" "9q9q\xe3\x80\x8d\xe3\x81\xa7\xe3\x81\x99", "9q9q" },
		{ "\xeb\xb9\x84\xeb\xb0\x80\xeb\xb2\x88\xed\x98\xb8: 5050", "5050" },
		{ "\xc5\x9e" "ifre: abc999", "abc999" },
		{ "Password: 1111\nPassword: 1111\npassword: 2222", "1111|2222" },
		{ "Parola: 0000 (use it for invoice.zip)", "0000" },
		{ "PASSWORD = \xe2\x80\x9c" "Secret 1\xe2\x80\x9d", "Secret 1" },
		{ "Password: contrase\xc3\xb1" "a99", "contrase\xc3\xb1" "a99" },
	};
	char got[1024], what[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		candidates(cases[i].text, got, sizeof(got));
		snprintf(what, sizeof(what), "lure %zu (%s)", i,
		    esc(cases[i].text, strnlen(cases[i].text, 30)));
		check_str(what, got, cases[i].want);
	}
	check_failures();
}

static void
test_ham(void **state)
{
	static const char *const cases[] = {
		"Hi Anna,\nthe passport photos are attached.\nThanks, Bob",
		"Forgot your password? Click here to reset it.",
		"Your password was changed on 12 March.",
		"Your password is about to expire.",
		"I will send the password separately.",
		"Password: sent by SMS",
		"The file is password protected, I will call you.",
		"We shipped your order; the compass and the bypass valve are included.",
		"Password reset link: https://example.com/reset?t=1",
		"Password: ****",
		"Password:\nThanks\nBob",
		"Password:\nsee the next message please",
		"The pin was bent; passing it on to support.",
		"Un mot de passe vous sera envoy\xc3\xa9 s\xc3\xa9par\xc3\xa9ment.",
		"",
	};
	char got[1024], what[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		candidates(cases[i], got, sizeof(got));
		snprintf(what, sizeof(what), "ham %zu (%s)", i,
		    esc(cases[i], strnlen(cases[i], 30)));
		check_str(what, got, "-");
	}
	check_failures();
}

/* At most 8 candidates of at most 64 bytes, across several texts. */
static void
test_bounds(void **state)
{
	struct mg_arena *a = mg_arena_new(4096, 0);
	struct mime_passwords set = { .n = 0 };
	char text[4096], long_tok[100];
	size_t o = 0, i;

	(void)state;
	memset(long_tok, 'x', sizeof(long_tok) - 1);
	long_tok[sizeof(long_tok) - 1] = '\0';
	o += (size_t)snprintf(text, sizeof(text), "Password: %s\nPassword: %.64s\n", long_tok,
	    long_tok);
	for (i = 0; i < 6; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "password: p%zu\n", i);
	assert_int_equal(passwords_from_text(&set, a, text, o), 0);
	assert_int_equal(passwords_from_text(&set, a, "Password: later1\nPin: 42x", 25), 0);
	if (set.n != PASSWORDS_MAX || strlen(set.v[0]) != PASSWORD_LEN_MAX ||
	    strcmp(set.v[6], "p5") != 0 || strcmp(set.v[7], "later1") != 0)
		fail_msg("got %zu candidates, first %zu bytes, want 8, 64, p5 and later1 last",
		    set.n, set.n ? strlen(set.v[0]) : 0);
	/* not NUL-terminated: the length bounds the read */
	set.n = 0;
	assert_int_equal(passwords_from_text(&set, a, "Password: abcdef", 13), 0);
	if (set.n != 1 || strcmp(set.v[0], "abc") != 0)
		fail_msg("length-bounded: got %zu \"%s\", want 1 \"abc\"", set.n,
		    set.n ? set.v[0] : "");
	mg_arena_free(a);
}

/* --- the archive walk with candidates --- */

struct opened {
	const char		*got;		/* rendered */
	const struct mime_attachment *att;
};

/* Analyses b with the candidates pass[0..npass) (default limits). */
static struct opened
open_with(struct mg_arena *a, const char *name, struct blob b, const char *const *pass,
    size_t npass)
{
	static char got[8][4096];
	static int k;
	struct attach_limits lim;
	struct opened o = { got[k++ % 8], NULL };

	attach_limits_default(&lim);
	lim.passwords = pass;
	lim.npasswords = npass;
	o.att = analyze(a, name, "application/octet-stream", b, &lim);
	render(got[(k - 1) % 8], sizeof(got[0]), o.att);
	assert_non_null(o.att);
	return o;
}

/* Every member listed with its bytes, equal to files[i]. */
static void
check_bytes(const char *what, const struct mime_attachment *att, const struct file *files,
    size_t n)
{
	if (att->nmembers != n)
		fail_msg("%s: %zu members, want %zu", what, att->nmembers, n);
	for (size_t i = 0; i < n; i++) {
		const struct attach_member *m = &att->members[i];

		if (m->data == NULL || m->len != files[i].len ||
		    memcmp(m->data, files[i].data, m->len) != 0)
			fail_msg("%s: %s kept %zu bytes, want %zu", what, m->path,
			    m->data ? m->len : 0, files[i].len);
	}
}

static void
test_open_built(void **state)
{
	const struct file files[] = {
		{ "secret.exe", samples[S_PE].data, samples[S_PE].len },
		{ "notes.txt", samples[S_TEXT].data, samples[S_TEXT].len },
	};
	static const char *const opts[] = { "zip:encryption=zipcrypt", "zip:encryption=aes256" };
	static const char *const right[] = { "nope", "wrong1", "secret" };
	static const char *const wrong[] = { "nope", "wrong1", "Secret" };
	static const char opened[] =
	    "application/zip .zip DANGEROUS_EXT|EXECUTABLE|ARCHIVE|PASSWORD_IN_BODY\n"
	    "  secret.exe 1 512 " PE_TYPE " DANGEROUS_EXT|EXECUTABLE\n"
	    "  notes.txt 1 6 text/plain -";
	static const char locked[] =
	    "application/zip .zip DANGEROUS_EXT|ARCHIVE|ENCRYPTED|PASSWORD_IN_BODY\n"
	    "  secret.exe 1 512 (null) DANGEROUS_EXT|ENCRYPTED\n"
	    "  notes.txt 1 6 (null) ENCRYPTED";
	struct mg_arena *a = mg_arena_new(64 * 1024, 0);

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct blob b = build(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, opts[i], "secret",
		    files, 2);
		struct opened o = open_with(a, "x.zip", b, right, 3);

		check_str(opts[i], o.got, opened);
		check_bytes(opts[i], o.att, files, 2);
		check_str("password used", o.att->password ? o.att->password : "(null)", "secret");
		/* declared sizes counted once, whatever the attempts */
		if (o.att->expanded != samples[S_PE].len + samples[S_TEXT].len)
			fail_msg("%s: expanded %llu, want %zu", opts[i],
			    (unsigned long long)o.att->expanded,
			    samples[S_PE].len + samples[S_TEXT].len);
		o = open_with(a, "x.zip", b, wrong, 3);
		check_str("wrong candidates", o.got, locked);
		if (o.att->password != NULL || o.att->members[0].data != NULL)
			fail_msg("%s: opened by a wrong candidate", opts[i]);
		/* no candidate: as before, no PASSWORD_IN_BODY */
		o = open_with(a, "x.zip", b, NULL, 0);
		check_str("no candidate", o.got,
		    "application/zip .zip DANGEROUS_EXT|ARCHIVE|ENCRYPTED\n"
		    "  secret.exe 1 512 (null) DANGEROUS_EXT|ENCRYPTED\n"
		    "  notes.txt 1 6 (null) ENCRYPTED");
		free(b.data);
	}
	mg_arena_free(a);
	check_failures();
}

/* Archives made by the real tools, password "secret": zip -P opens;
 * libarchive cannot decrypt 7z, so those are flagged without a try. */
static void
test_open_seeds(void **state)
{
	static const char *const right[] = { "infected", "secret" };
	static const struct { const char *seed, *name, *want; } cases[] = {
		{ "zip-P.zip", "x.zip", "application/zip .zip ARCHIVE|PASSWORD_IN_BODY\n"
		  "  hello.txt 1 6 text/plain -" },
		{ "7z-p.7z", "x.7z",
		  "application/x-7z-compressed .7z ARCHIVE|ENCRYPTED|PASSWORD_IN_BODY\n"
		  "  hello.txt 1 6 (null) ENCRYPTED" },
		{ "7z-mhe.7z", "x.7z", "application/x-7z-compressed .7z "
		  "ARCHIVE|ENCRYPTED|CORRUPT_ARCHIVE|PASSWORD_IN_BODY" },
	};
	struct mg_arena *a = mg_arena_new(64 * 1024, 0);
	struct blob zp = seed("zip-P.zip");
	struct opened o;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct blob b = seed(cases[i].seed);

		o = open_with(a, cases[i].name, b, right, 2);
		check_str(cases[i].seed, o.got, cases[i].want);
		free(b.data);
	}
	o = open_with(a, "x.zip", zp, right, 2);
	if (o.att->nmembers != 1 || o.att->members[0].data == NULL ||
	    o.att->members[0].len != 6 || memcmp(o.att->members[0].data, "hello\n", 6) != 0)
		fail_msg("zip -P: hello.txt not kept");
	o = open_with(a, "x.zip", zp, right, 1);
	check_str("zip -P, wrong candidate", o.got,
	    "application/zip .zip ARCHIVE|ENCRYPTED|PASSWORD_IN_BODY\n"
	    "  hello.txt 1 6 (null) ENCRYPTED");
	free(zp.data);
	mg_arena_free(a);
	check_failures();
}

/* An encrypted zip inside a plain zip: opened one level down, the flag on
 * the member holding it; the ninth candidate is never tried. */
static void
test_open_nested_bounds(void **state)
{
	const struct file deep[] = { { "run.exe", samples[S_PE].data, samples[S_PE].len } };
	struct blob inner = build(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE,
	    "zip:encryption=zipcrypt", "secret", deep, 1);
	const struct file top[] = {
		{ "readme.txt", samples[S_TEXT].data, samples[S_TEXT].len },
		{ "inner.zip", inner.data, inner.len },
	};
	struct blob outer = build(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, NULL, NULL, top, 2);
	static const char *const nine[] = { "1a", "2b", "3c", "4d", "5e", "6f", "7g", "8h",
		"secret" };
	struct mg_arena *a = mg_arena_new(64 * 1024, 0);
	struct opened o;
	char want[2048];

	(void)state;
	o = open_with(a, "outer.zip", outer, nine + 1, 8);
	snprintf(want, sizeof(want),
	    "application/zip .zip DANGEROUS_EXT|EXECUTABLE|ARCHIVE|PASSWORD_IN_BODY\n"
	    "  readme.txt 1 6 text/plain -\n"
	    "  inner.zip 1 %zu application/zip ARCHIVE|PASSWORD_IN_BODY\n"
	    "  inner.zip/run.exe 2 512 " PE_TYPE " DANGEROUS_EXT|EXECUTABLE", inner.len);
	check_str("nested", o.got, want);
	o = open_with(a, "outer.zip", outer, nine, 9);
	snprintf(want, sizeof(want),
	    "application/zip .zip DANGEROUS_EXT|ARCHIVE|ENCRYPTED|PASSWORD_IN_BODY\n"
	    "  readme.txt 1 6 text/plain -\n"
	    "  inner.zip 1 %zu application/zip ARCHIVE|PASSWORD_IN_BODY\n"
	    "  inner.zip/run.exe 2 512 (null) DANGEROUS_EXT|ENCRYPTED", inner.len);
	check_str("ninth candidate", o.got, want);
	free(inner.data);
	free(outer.data);
	mg_arena_free(a);
	check_failures();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lures),
		cmocka_unit_test(test_ham),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_open_built),
		cmocka_unit_test(test_open_seeds),
		cmocka_unit_test(test_open_nested_bounds),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
