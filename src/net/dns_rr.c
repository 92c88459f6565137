/* TXT strings and reverse-lookup names (dns_rr.h). */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core/err.h"
#include "net/dns_rr.h"

int
dns_txt_join(struct mg_arena *a, struct mg_slice rdata, const char **out, size_t *len)
{
	size_t total = 0, off = 0;
	char *s;

	while (off < rdata.len) {
		size_t n = rdata.ptr[off];
		if (n > rdata.len - off - 1)
			return -MG_EPROTO;
		total += n;
		off += 1 + n;
	}
	if (total > DNS_TXT_MAX)
		return -MG_EPROTO;
	if ((s = mg_arena_alloc(a, total + 1)) == NULL)
		return -MG_ENOMEM;
	total = 0;
	for (off = 0; off < rdata.len; off += 1 + rdata.ptr[off]) {
		memcpy(s + total, rdata.ptr + off + 1, rdata.ptr[off]);
		total += rdata.ptr[off];
	}
	s[total] = '\0';
	*out = s;
	*len = total;
	return 0;
}

int
dns_reverse_name(int family, const uint8_t *ip, const char *zone, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;
	int w;

	if (family == AF_INET) {
		w = snprintf(out, outlen, "%u.%u.%u.%u.%s", ip[3], ip[2], ip[1], ip[0],
		    zone != NULL ? zone : "in-addr.arpa");
		return w < 0 || (size_t)w >= outlen ? -MG_ELIMIT : 0;
	}
	if (outlen < 64 + 1)
		return -MG_ELIMIT;
	for (int i = 15; i >= 0; i--) {
		out[n++] = hex[ip[i] & 0xf];
		out[n++] = '.';
		out[n++] = hex[ip[i] >> 4];
		out[n++] = '.';
	}
	w = snprintf(out + n, outlen - n, "%s", zone != NULL ? zone : "ip6.arpa");
	return w < 0 || (size_t)w >= outlen - n ? -MG_ELIMIT : 0;
}
