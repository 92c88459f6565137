/* Text for the error codes of err.h, and the handler of broken invariants. */
#include <stdio.h>
#include <stdlib.h>

#include "core/err.h"
#include "core/log.h"

static const char *const mg_err_text[MG_ERR_MAX] = {
	[MG_OK] = "success",
	[MG_ENOMEM] = "out of memory",
	[MG_ELIMIT] = "limit exceeded",
	[MG_EPROTO] = "protocol or format error",
	[MG_EIO] = "input/output error",
	[MG_EAGAIN] = "try again",
	[MG_ETIMEOUT] = "timed out",
	[MG_ENOENT] = "not found",
	[MG_EINVAL] = "invalid argument",
	[MG_EEXIST] = "already exists",
};

const char *
mg_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err >= MG_ERR_MAX)
		return "unknown error";
	return mg_err_text[err];
}

void
mg_bug(const char *file, int line, const char *what)
{
	log_crit("bug file=%s line=%d check=\"%s\"", file, line, what);
	abort();
}
