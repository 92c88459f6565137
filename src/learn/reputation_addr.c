/* Addresses and names for the reputation checks (reputation_addr.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/conf.h"
#include "core/err.h"
#include "learn/reputation_addr.h"
#include "mime/url.h"

#define V4(a, b, c, d, p)	{ AF_INET, { a, b, c, d }, p }

static const struct conf_network private_ranges[] = {
	V4(0, 0, 0, 0, 8), V4(10, 0, 0, 0, 8), V4(100, 64, 0, 0, 10), V4(127, 0, 0, 0, 8),
	V4(169, 254, 0, 0, 16), V4(172, 16, 0, 0, 12), V4(192, 0, 0, 0, 24),
	V4(192, 0, 2, 0, 24), V4(192, 168, 0, 0, 16), V4(198, 18, 0, 0, 15),
	V4(198, 51, 100, 0, 24), V4(203, 0, 113, 0, 24), V4(224, 0, 0, 0, 4),
	V4(240, 0, 0, 0, 4),
	{ AF_INET6, { 0 }, 127 },				/* :: and ::1 */
	{ AF_INET6, { 0x01, 0x00 }, 64 },			/* 100::/64 discard */
	{ AF_INET6, { 0x20, 0x01, 0x0d, 0xb8 }, 32 },		/* documentation */
	{ AF_INET6, { 0xfc }, 7 },				/* unique local */
	{ AF_INET6, { 0xfe, 0x80 }, 10 },			/* link-local */
	{ AF_INET6, { 0xff }, 8 },				/* multicast */
};

int
rep_ip_parse(const char *s, struct rep_ip *out)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	char buf[64];
	size_t n;

	if (s == NULL)
		return -MG_EINVAL;
	if (*s == '[')
		s++;
	if (strncasecmp(s, "ipv6:", 5) == 0)
		s += 5;
	n = strcspn(s, "]");
	if (n == 0 || n >= sizeof(buf))
		return -MG_EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, out->addr) != 1)
		return -MG_EINVAL;
	out->family = AF_INET6;
	if (memcmp(out->addr, v4mapped, sizeof(v4mapped)) == 0) {
		memmove(out->addr, out->addr + 12, 4);
		memset(out->addr + 4, 0, 12);
		out->family = AF_INET;
	}
	return 0;
}

bool
rep_ip_private(const struct rep_ip *ip)
{
	for (size_t i = 0; i < sizeof(private_ranges) / sizeof(private_ranges[0]); i++) {
		if (conf_net_contains(&private_ranges[i], ip->family, ip->addr))
			return true;
	}
	return false;
}

int
rep_ip_network(const struct rep_ip *ip, char *out, size_t outlen)
{
	uint8_t net[16] = { 0 };
	char text[INET6_ADDRSTRLEN];
	int n;

	memcpy(net, ip->addr, ip->family == AF_INET ? 3 : 8);
	if (inet_ntop(ip->family, net, text, sizeof(text)) == NULL)
		return -MG_EINVAL;
	n = snprintf(out, outlen, "%s/%d", text, ip->family == AF_INET ? 24 : 64);
	return n > 0 && (size_t)n < outlen ? 0 : -MG_ELIMIT;
}

int
rep_addr_clean(const char *addr, char *out, size_t outlen)
{
	size_t n, o = 0;

	if (addr == NULL)
		return -MG_EINVAL;
	if (*addr == '<')
		addr++;
	n = strcspn(addr, ">");
	if (n == 0 || n >= outlen || memchr(addr, '@', n) == NULL)
		return -MG_EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = addr[i];
		out[o++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	out[o] = '\0';
	return rep_addr_domain(out)[0] != '\0' ? 0 : -MG_EINVAL;
}

const char *
rep_addr_domain(const char *clean)
{
	const char *at = strrchr(clean, '@');

	return at ? at + 1 : clean;
}

int
rep_header_from(const struct mime_msg *m, char *out, size_t outlen)
{
	const struct mime_header *h = m && m->root ? mime_header_find(m->root, "From") : NULL;
	const char *v, *lt, *start, *end;
	char addr[REP_ADDR_MAX + 1];
	size_t n;

	if (h == NULL || (v = h->value) == NULL)
		return -MG_ENOENT;
	if ((lt = strchr(v, '<')) != NULL && strchr(lt, '>') != NULL) {
		start = lt + 1;
		end = strchr(start, '>');
	} else {
		/* a bare addr-spec: the first word with an '@' */
		const char *at = strchr(v, '@');
		if (at == NULL)
			return -MG_ENOENT;
		for (start = at; start > v && !strchr(" \t,;:()\"", start[-1]); start--)
			;
		end = at + strcspn(at, " \t,;()\"");
	}
	n = (size_t)(end - start);
	if (n == 0 || n > REP_ADDR_MAX)
		return -MG_ENOENT;
	memcpy(addr, start, n);
	addr[n] = '\0';
	return rep_addr_clean(addr, out, outlen) == 0 ? 0 : -MG_ENOENT;
}

const char *
rep_registrable(struct mg_arena *a, const char *host)
{
	char raw[300];
	struct mime_url u;
	int n = snprintf(raw, sizeof(raw), "http://%s/", host);

	if (n <= 7 || (size_t)n >= sizeof(raw) || strpbrk(host, "/?#@:[] ") != NULL ||
	    url_normalize(a, raw, (size_t)n, 0, &u) != 0)
		return NULL;
	if (u.flags & (URL_F_IP_LITERAL | URL_F_NUMERIC_IP | URL_F_BAD_HOST) || u.domain == NULL ||
	    u.domain[0] == '\0')
		return NULL;
	return u.domain;
}
