/* libFuzzer target for the SMTP path parser and the xtext decoder. The
 * first byte chooses allow_null (bit 0) and utf8_ok (bit 1). A path that
 * parses must lie inside the input, keep the limits, and parse again to
 * the same parts when rewritten as "<mailbox>". */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "smtp/smtp_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* "<mailbox>" must parse to the same local part and domain. */
static void
reparse(const struct smtp_path *p, bool utf8_ok)
{
	uint8_t again[260];
	struct smtp_path q;
	size_t end;

	if (p->null || p->mailbox.len + 2 > sizeof(again))
		abort();
	again[0] = '<';
	memcpy(again + 1, p->mailbox.ptr, p->mailbox.len);
	again[p->mailbox.len + 1] = '>';
	if (smtp_parse_path(again, p->mailbox.len + 2, false, utf8_ok, &q, &end) != 0 ||
	    end != p->mailbox.len + 2 || q.local.len != p->local.len ||
	    q.domain.len != p->domain.len || q.utf8 != p->utf8)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_path path;
	struct mg_buf buf;
	const uint8_t *in;
	size_t len, i, end = 0;
	bool allow_null, utf8_ok;
	int rc;

	if (size == 0)
		return 0;
	allow_null = data[0] & 1;
	utf8_ok = data[0] & 2;
	in = data + 1;
	len = size - 1;
	rc = smtp_parse_path(in, len, allow_null, utf8_ok, &path, &end);
	if (rc == 0) {
		if (end < 2 || end > len || end > 256 || in[0] != '<' || in[end - 1] != '>')
			abort();
		if (path.null) {
			if (!allow_null || end != 2)
				abort();
		} else {
			if (path.local.len == 0 || path.local.len > 64 ||
			    path.domain.len == 0 || path.mailbox.ptr != path.local.ptr ||
			    path.mailbox.len != path.local.len + 1 + path.domain.len ||
			    path.mailbox.ptr + path.mailbox.len > in + end - 1 ||
			    (path.utf8 && !utf8_ok))
				abort();
			for (i = 0; i < path.mailbox.len; i++)
				if (path.mailbox.ptr[i] < 0x20 || path.mailbox.ptr[i] == 0x7f)
					abort();
			reparse(&path, utf8_ok);
		}
	} else if (rc != -SMTP_PERR_BAD_PATH) {
		abort();
	}
	mg_buf_init(&buf, 0);
	rc = smtp_xtext_decode(mg_slice_make(in, len), &buf);
	if ((rc != 0 && rc != -MG_EPROTO) || (rc == 0 && buf.len > len))
		abort();
	mg_buf_release(&buf);
	return 0;
}
