/* URL hosts (url.h): percent-decoding and defanged dots undone, IDNA
 * (libidn2, UTS 46 non-transitional, transitional as a fallback), the
 * WHATWG IPv4 number forms (decimal, hex, octal, fewer than four parts),
 * IPv6 literals, and the registrable domain from libpsl. A host that
 * cannot be normalised is kept, escaped, and flagged URL_F_BAD_HOST. */
#include <arpa/inet.h>
#include <idn2.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "mime/url_int.h"

void
url_host_write(struct url_norm *n, const char *s, size_t len)
{
	n->host_off = n->len;
	n->host_len = len;
	n->dom_off = 0;
	url_out_put(n, s, len);
}

/* A host that could not be normalised: kept url_lower case, escaped so that
 * normalising the url again gives the same bytes. */
static void
host_bad(struct url_norm *n, const char *s, size_t len)
{
	size_t i;

	n->flags |= URL_F_BAD_HOST;
	n->host_off = n->len;
	n->dom_off = 0;
	n->ulen = 0;
	for (i = 0; i < len; i++) {
		char c = url_lower((unsigned char)s[i]);

		if (url_is_alnum((unsigned char)c) || c == '-' || c == '.' || c == '_')
			url_out_c(n, c);
		else
			url_out_esc(n, (unsigned char)c);
	}
	n->host_len = n->len - n->host_off;
}

/* "[...]": 0 when written; -1 leaves it to the name rules (bad host). */
static int
host_ipv6(struct url_norm *n, const char *h, size_t hl)
{
	char in[64], q[INET6_ADDRSTRLEN + 2];
	struct in6_addr a;
	size_t i;

	if (hl < 3 || h[hl - 1] != ']' || hl - 2 >= sizeof(in))
		return -1;
	for (i = 1; i < hl - 1; i++)
		in[i - 1] = url_lower((unsigned char)h[i]);
	in[hl - 2] = '\0';
	if (inet_pton(AF_INET6, in, &a) != 1 || inet_ntop(AF_INET6, &a, q + 1, sizeof(q) - 2) == NULL)
		return -1;
	q[0] = '[';
	strcat(q, "]");
	n->flags |= URL_F_IP_LITERAL;
	url_host_write(n, q, strlen(q));
	return 0;
}

/* One part of a WHATWG IPv4 address: decimal, 0x hex or 0 octal. */
static int
ipv4_number(const char *s, size_t len, uint64_t *v)
{
	unsigned base = 10;
	size_t i = 0;

	*v = 0;
	if (len == 0)
		return -1;
	if (len >= 2 && s[0] == '0' && (s[1] | 0x20) == 'x') {
		base = 16;
		i = 2;
	} else if (len >= 2 && s[0] == '0') {
		base = 8;
		i = 1;
	}
	for (; i < len; i++) {
		unsigned d;

		if (base == 16 ? !url_is_hex(s[i]) : !url_is_digit(s[i]))
			return -1;
		if ((d = url_hexval(s[i])) >= base)
			return -1;
		*v = *v * base + d;
		if (*v > 0xffffffffull)
			return -1;
	}
	return 0;
}

/* Whether the last label is a number: WHATWG hands such a host to IPv4. */
static bool
ends_in_number(const char *s, size_t len)
{
	size_t b = len, i;

	while (b > 0 && s[b - 1] != '.')
		b--;
	if (b == len)
		return false;
	if (len - b >= 2 && s[b] == '0' && s[b + 1] == 'x') {
		for (i = b + 2; i < len && url_is_hex(s[i]); i++)
			;
		return i == len;
	}
	for (i = b; i < len && url_is_digit(s[i]); i++)
		;
	return i == len;
}

static int
host_ipv4(struct url_norm *n, const char *s, size_t len)
{
	uint64_t part[4], addr;
	size_t np = 0, i = 0, j;
	char q[16];
	int ql;

	while (i <= len) {
		for (j = i; j < len && s[j] != '.'; j++)
			;
		if (np == 4 || ipv4_number(s + i, j - i, &part[np]) != 0)
			return -1;
		np++;
		i = j + 1;
	}
	for (i = 0; i + 1 < np; i++)
		if (part[i] > 255)
			return -1;
	if (part[np - 1] >= 1ull << (8 * (5 - np)))
		return -1;
	for (addr = part[np - 1], i = 0; i + 1 < np; i++)
		addr += part[i] << (8 * (3 - i));
	ql = snprintf(q, sizeof(q), "%u.%u.%u.%u", (unsigned)(addr >> 24),
	    (unsigned)(addr >> 16) & 255, (unsigned)(addr >> 8) & 255, (unsigned)addr & 255);
	n->flags |= URL_F_IP_LITERAL;
	if ((size_t)ql != len || memcmp(q, s, len) != 0)
		n->flags |= URL_F_NUMERIC_IP;
	url_host_write(n, q, (size_t)ql);
	return 0;
}

/* IDNA ToASCII of a host with non-ASCII characters (NUL-terminated). */
static int
host_idna(const char *in, char *out, size_t cap)
{
	char *a = NULL;
	size_t len;

	if (idn2_to_ascii_8z(in, &a, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) != IDN2_OK) {
		idn2_free(a);
		a = NULL;
		if (idn2_to_ascii_8z(in, &a, IDN2_NFC_INPUT | IDN2_TRANSITIONAL) != IDN2_OK) {
			idn2_free(a);
			return -1;
		}
	}
	if ((len = strlen(a)) >= cap) {
		idn2_free(a);
		return -1;
	}
	memcpy(out, a, len + 1);
	idn2_free(a);
	return 0;
}

/* The Unicode form of an ASCII host with xn-- labels into n->uhost; -1
 * when a label is not valid punycode. */
static int
host_unicode(struct url_norm *n, const char *name)
{
	char *a = NULL, *u = NULL;
	int rc = -1;

	if (idn2_to_ascii_8z(name, &a, IDN2_NONTRANSITIONAL) == IDN2_OK &&
	    idn2_to_unicode_8z8z(name, &u, 0) == IDN2_OK) {
		rc = 0;
		if (strlen(u) < sizeof(n->uhost)) {
			n->ulen = strlen(u);
			memcpy(n->uhost, u, n->ulen);
		}
	}
	idn2_free(a);
	idn2_free(u);
	return rc;
}

static bool
has_xn_label(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i + 4 <= len; i++)
		if ((i == 0 || s[i - 1] == '.') && (s[i] | 0x20) == 'x' &&
		    (s[i + 1] | 0x20) == 'n' && s[i + 2] == '-' && s[i + 3] == '-')
			return true;
	return false;
}

/* A domain name or IPv4 address: dec is decoded, ASCII url_lower case,
 * NUL-terminated, without trailing dots. 0 when written, -1 when bad. */
static int
host_name(struct url_norm *n, char *dec, size_t dl, bool nonascii)
{
	char asc[URL_HOST_MAX + 1];
	char *name = dec;
	const char *reg;
	size_t len = dl, i;

	if (memchr(dec, '\0', dl) != NULL)	/* libidn2 would stop there */
		return -1;
	if (nonascii) {
		if (host_idna(dec, asc, sizeof(asc)) != 0)
			return -1;
		for (len = strlen(asc); len > 0 && asc[len - 1] == '.'; len--)
			;
		for (i = 0; i < len; i++)
			asc[i] = url_lower((unsigned char)asc[i]);
		asc[len] = '\0';
		name = asc;
	}
	if (len == 0)
		return -1;
	for (i = 0; i < len; i++)
		if (!url_is_alnum((unsigned char)name[i]) && name[i] != '-' && name[i] != '_' &&
		    name[i] != '.')
			return -1;
	if (ends_in_number(name, len))
		return host_ipv4(n, name, len);
	if (len > 253 || name[0] == '.' || strstr(name, "..") != NULL)
		return -1;
	if (has_xn_label(dec, dl))
		n->flags |= URL_F_PUNYCODE;
	if (has_xn_label(name, len) && host_unicode(n, name) != 0)
		return -1;
	url_host_write(n, name, len);
	if ((reg = url_registrable_domain(name)) != NULL)
		n->dom_off = (size_t)(reg - name);
	return 0;
}

int
url_host_norm(struct url_norm *n, const char *h, size_t hl)
{
	char dec[URL_HOST_MAX + 1];
	size_t dl = 0, i = 0, k;
	bool nonascii = false;

	n->ulen = 0;
	if (hl > 0 && h[0] == '[' && host_ipv6(n, h, hl) == 0)
		return 0;
	while (i < hl) {
		unsigned char c = (unsigned char)h[i];

		if (dl == URL_HOST_MAX)
			return -MG_EINVAL;
		if ((k = url_obfuscated_dot(h + i, hl - i)) > 0) {
			n->flags |= URL_F_OBFUSCATED;
			dec[dl++] = '.';
			i += k;
			continue;
		}
		if (c == '%' && hl - i >= 3 && url_is_hex(h[i + 1]) && url_is_hex(h[i + 2])) {
			c = (unsigned char)(url_hexval(h[i + 1]) << 4 | url_hexval(h[i + 2]));
			i += 3;
		} else {
			i++;
		}
		nonascii |= c >= 0x80;
		dec[dl++] = url_lower(c);
	}
	while (dl > 0 && dec[dl - 1] == '.')
		dl--;
	if (dl == 0)
		return 1;
	dec[dl] = '\0';
	if (nonascii)
		n->flags |= URL_F_IDN;
	if (host_name(n, dec, dl, nonascii) != 0)
		host_bad(n, dec, dl);
	return 0;
}

