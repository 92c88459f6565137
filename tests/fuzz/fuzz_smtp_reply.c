/* libFuzzer target: replies of a remote SMTP server (untrusted: any host an
 * MX record names) fed line by line to the delivery client's parser, then
 * read as an EHLO reply; plus MX/name rdata as a DNS server could send it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/dns.h"
#include "smtp/smtp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_reply(const uint8_t *data, size_t size)
{
	struct smtp_reply r;
	struct smtp_ehlo e;
	size_t start = 0;

	smtp_reply_reset(&r);
	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		size_t len = i - start;
		if (len > 0 && data[start + len - 1] == '\r')
			len--;
		int rc = smtp_reply_feed(&r, data + start, len);
		if (rc == 1) {
			if (r.code < 200 || r.code > 599 || strlen(r.text) != r.text_len)
				abort();
			(void)smtp_reply_ehlo(&r, &e);
			smtp_reply_reset(&r);
		} else if (rc < 0) {
			smtp_reply_reset(&r);
		}
		start = i + 1;
	}
}

static void
fuzz_rdata(const uint8_t *data, size_t size)
{
	char name[DNS_NAME_MAX + 1];
	struct mg_slice rd = { data, size };
	uint16_t pref;
	size_t off = 0;

	if (dns_mx_decode(rd, &pref, name) == 0 && strlen(name) > DNS_NAME_MAX)
		abort();
	if (dns_name_decode(rd, &off, name) == 0 && (off > size || strlen(name) > DNS_NAME_MAX))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_reply(data, size);
	fuzz_rdata(data, size);
	return 0;
}
