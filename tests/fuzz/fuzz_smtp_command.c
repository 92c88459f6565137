/* libFuzzer target for the SMTP command parser. The first input byte
 * chooses utf8_ok, the rest is one command line; aborts when a parse
 * breaks a promise of smtp_parse.h (slices outside the line, limits). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/err.h"
#include "smtp/smtp_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
within(struct mg_slice s, const uint8_t *line, size_t len)
{
	if (s.len > 0 && (s.ptr < line || s.ptr + s.len > line + len))
		abort();
}

static void
check_path(const struct smtp_path *p, const uint8_t *line, size_t len, bool utf8_ok)
{
	size_t i;

	within(p->mailbox, line, len);
	within(p->local, line, len);
	within(p->domain, line, len);
	if (p->local.len > 64 || p->domain.len > 255 || p->mailbox.len > 254)
		abort();
	for (i = 0; i < p->mailbox.len; i++)
		if (p->mailbox.ptr[i] >= 0x80 && (!utf8_ok || !p->utf8))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_cmd cmd;
	struct mg_buf buf;
	const uint8_t *line;
	size_t len;
	bool utf8_ok;
	int rc;

	if (size == 0)
		return 0;
	utf8_ok = data[0] & 1;
	line = data + 1;
	len = size - 1;
	rc = smtp_parse_command(line, len, utf8_ok, &cmd);
	if (rc < 0) {
		if (rc < -SMTP_PERR_NUL)
			abort();
		return 0;
	}
	if (cmd.type < SMTP_CMD_HELO || cmd.type > SMTP_CMD_AUTH)
		abort();
	within(cmd.arg, line, len);
	within(cmd.envid, line, len);
	within(cmd.orcpt, line, len);
	check_path(&cmd.path, line, len, utf8_ok);
	if ((cmd.notify & SMTP_NOTIFY_NEVER) && cmd.notify != SMTP_NOTIFY_NEVER)
		abort();
	if (cmd.chunk_size > (uint64_t)INT64_MAX)
		abort();
	if (cmd.envid.len > 0) {
		mg_buf_init(&buf, 0);
		if (smtp_xtext_decode(cmd.envid, &buf) != 0 || buf.len > cmd.envid.len)
			abort();
		mg_buf_release(&buf);
	}
	return 0;
}
