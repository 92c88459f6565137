/* Stripping dangerous files (engine.dangerous.action "strip"): when the
 * verdict is "dangerous" only because of files, the engine writes a copy of
 * the message in which each such attachment is replaced by a text notice
 * (mime/strip.h), and the verdict becomes what the rest of the message
 * earns (accept or tag). mg_scan never strips: only a caller that delivers
 * the copy (scand) asks for it, through mg_scan_ex with a struct mg_strip. */
#ifndef MG_ENGINE_DANGEROUS_H
#define MG_ENGINE_DANGEROUS_H

#include <stddef.h>

#include "core/buf.h"
#include "core/conf.h"
#include "engine/engine.h"
#include "engine/task.h"
#include "engine/verdict.h"

#define MG_STRIP_FIELD		"X-Mailgate-Stripped"

struct mg_strip {
	struct mg_buf	 message;	/* the message to deliver; empty: none */
	size_t		 nstripped;	/* attachments replaced by the notice */
};

void	mg_strip_init(struct mg_strip *);
void	mg_strip_clear(struct mg_strip *);

/* mg_scan_ex with opts->strip: when stripping saves a dangerous message
 * (verdict.h, verdict_strip) the engine fills strip: res->verdict_action is
 * then accept or tag, res->headers has one X-Mailgate-Stripped field per
 * replaced attachment, and res->forged_ar are offsets in strip->message.
 * When the copy cannot be written from the message's structure the verdict
 * stays (quarantine) and strip->nstripped is 0. */

/* The engine's side (engine.c): with the configuration's notice template,
 * turns v into the stripped verdict and fills strip when stripping saves
 * the message (symbols' forged_ar in t remapped). 0 or -MG_ENOMEM. */
int	dangerous_strip(struct mg_task *t, const struct verdict_thresholds *,
	    const char *notice, struct verdict *v, struct mg_strip *strip);
/* The notice for one file: template with %f = file, %r = reason, %% = %,
 * cut at MIME_STRIP_NOTICE_MAX bytes (a UTF-8 boundary). 0 or -MG_ENOMEM. */
int	dangerous_notice(const char *tmpl, const char *file, const char *reason,
	    struct mg_buf *out);

#endif
