/* mailgate dkim keygen DOMAIN [--selector S] [--type rsa|ed25519]
 * [--bits N] [--out FILE]: makes a signing key, writes it (mode 0600,
 * never over an existing file) and prints the DNS TXT record to publish
 * and the engine.dkim.sign entry that uses it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "auth/dkim.h"
#include "cli/commands.h"

#define KEYGEN_MIN_BITS		1024
#define KEYGEN_MAX_BITS		8192
#define TXT_STRING_MAX		255	/* bytes of one DNS character-string */

struct keygen {
	const char	*domain, *out;
	char		 selector[64], outbuf[PATH_MAX];
	bool		 ed25519;
	unsigned	 bits;
};

static int
dkim_usage(void)
{
	fprintf(stderr, "usage: mailgate dkim keygen DOMAIN [--selector S] "
	    "[--type rsa|ed25519] [--bits N] [--out FILE]\n");
	return 2;
}

/* A name engine.dkim.sign accepts: DKIM's syntax without '_' (RFC 6376
 * sub-domain labels, as the configuration checks them). */
static bool
keygen_name_ok(const char *s)
{
	return dkim_name_valid(s) && strchr(s, '_') == NULL;
}

static int
keygen_bad_name(const char *s)
{
	fprintf(stderr, "mailgate dkim keygen: '%s' is not a valid domain or selector "
	    "(letters, digits, '-' and dots; a selector at most 63 bytes)\n", s);
	return 2;
}

static int
keygen_args(int argc, char **argv, struct keygen *k)
{
	static const struct option opts[] = {
		{ "selector", required_argument, NULL, 's' },
		{ "type", required_argument, NULL, 't' },
		{ "bits", required_argument, NULL, 'b' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	time_t now = time(NULL);
	char *end;
	long bits;
	int ch;

	k->bits = 2048;
	strftime(k->selector, sizeof(k->selector), "mg%Y", gmtime(&now));
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (strlen(optarg) >= sizeof(k->selector))
				return keygen_bad_name(optarg);
			memcpy(k->selector, optarg, strlen(optarg) + 1);
			break;
		case 'o': k->out = optarg; break;
		case 't':
			if (strcmp(optarg, "rsa") != 0 && strcmp(optarg, "ed25519") != 0)
				return dkim_usage();
			k->ed25519 = strcmp(optarg, "ed25519") == 0;
			break;
		case 'b':
			bits = strtol(optarg, &end, 10);
			if (*end != '\0' || bits < KEYGEN_MIN_BITS || bits > KEYGEN_MAX_BITS) {
				fprintf(stderr, "mailgate dkim keygen: --bits must be %d to %d\n",
				    KEYGEN_MIN_BITS, KEYGEN_MAX_BITS);
				return 2;
			}
			k->bits = (unsigned)bits;
			break;
		default: return dkim_usage();
		}
	}
	if (optind + 1 != argc)
		return dkim_usage();
	k->domain = argv[optind];
	if (!keygen_name_ok(k->domain) || strchr(k->domain, '.') == NULL)
		return keygen_bad_name(k->domain);
	if (!keygen_name_ok(k->selector))
		return keygen_bad_name(k->selector);
	if (k->out == NULL) {
		snprintf(k->outbuf, sizeof(k->outbuf), "%s.key", k->domain);
		k->out = k->outbuf;
	}
	return 0;
}

/* The private key in PKCS#8 PEM at path, created 0600 and fsync'ed. */
static int
key_write(const char *path, EVP_PKEY *pk)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	FILE *f;
	int ok;

	if (fd == -1) {
		fprintf(stderr, "mailgate dkim keygen: %s: %s%s\n", path, strerror(errno),
		    errno == EEXIST ? " (not overwritten)" : "");
		return -1;
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "mailgate dkim keygen: %s: %s\n", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	ok = PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL) == 1 && fflush(f) == 0 &&
	    fsync(fd) == 0;
	if (fclose(f) != 0 || !ok) {
		fprintf(stderr, "mailgate dkim keygen: writing %s failed\n", path);
		unlink(path);
		return -1;
	}
	return 0;
}

/* "v=DKIM1; k=...; p=BASE64" for pk; NULL on failure (malloc'ed). */
static char *
key_record_text(EVP_PKEY *pk, bool ed25519)
{
	unsigned char *der = NULL, raw[32];
	size_t n = sizeof(raw), cap;
	int dl;
	char *rec;

	if (ed25519) {
		if (EVP_PKEY_get_raw_public_key(pk, raw, &n) != 1)
			return NULL;
	} else if ((dl = i2d_PUBKEY(pk, &der)) <= 0)
		return NULL;
	else
		n = (size_t)dl;
	cap = 32 + (n + 2) / 3 * 4 + 1;
	if ((rec = malloc(cap)) != NULL) {
		int k = snprintf(rec, cap, "v=DKIM1; k=%s; p=", ed25519 ? "ed25519" : "rsa");

		EVP_EncodeBlock((unsigned char *)rec + k, ed25519 ? raw : der, (int)n);
	}
	OPENSSL_free(der);
	return rec;
}

static void
print_record(const struct keygen *k, const char *rec, const char *abs)
{
	size_t n = strlen(rec);

	printf("; publish in DNS:\n%s._domainkey.%s. IN TXT (", k->selector, k->domain);
	for (size_t i = 0; i < n; i += TXT_STRING_MAX)
		printf("%s\"%.*s\"", i ? "\n\t" : " ", (int)(n - i < TXT_STRING_MAX ? n - i :
		    TXT_STRING_MAX), rec + i);
	printf(" )\n\n# add to the configuration (the key file must be readable by the\n"
	    "# user mailgated runs as):\nengine = { dkim = { sign = (\n"
	    "  { domain = \"%s\"; selector = \"%s\"; key = \"%s\"; }\n); }; };\n", k->domain,
	    k->selector, abs);
}

static int
keygen(int argc, char **argv)
{
	struct keygen k;
	char abs[PATH_MAX], *rec = NULL;
	EVP_PKEY *pk;
	int rc;

	memset(&k, 0, sizeof(k));
	if ((rc = keygen_args(argc, argv, &k)) != 0)
		return rc;
	pk = k.ed25519 ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519") :
	    EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)k.bits);
	if (pk == NULL || (rec = key_record_text(pk, k.ed25519)) == NULL) {
		fprintf(stderr, "mailgate dkim keygen: key generation failed\n");
		EVP_PKEY_free(pk);
		return 1;
	}
	rc = key_write(k.out, pk);
	EVP_PKEY_free(pk);
	if (rc == 0) {
		print_record(&k, rec, realpath(k.out, abs) ? abs : k.out);
		fprintf(stderr, "mailgate dkim keygen: wrote %s\n", k.out);
	}
	free(rec);
	return rc == 0 ? 0 : 1;
}

/* argv[0] = "dkim". */
int
cmd_dkim(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "keygen") == 0)
		return keygen(argc - 1, argv + 1);
	return dkim_usage();
}
