/* A task is one message being scanned: the raw bytes, the arena in which
 * everything parsed lives, the parsed and analysed mime_msg, the symbols
 * the checks add, and the deadlines checks poll. This is the interface
 * the checks see (with engine/check.h). */
#ifndef MG_ENGINE_TASK_H
#define MG_ENGINE_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "engine/engine.h"
#include "engine/symbol.h"
#include "mime/mime.h"
#include "mime/url.h"
#include "net/dns_sync.h"

#define TASK_MAX_SYMBOLS	512	/* distinct symbols per message */
#define TASK_MAX_OPTIONS	8	/* options kept per symbol */
#define TASK_MAX_OPTION_LEN	256	/* bytes of one option (cut at a UTF-8 boundary) */
#define TASK_MAX_PARTS		8	/* parts kept per symbol */

struct task_symbol {
	const char	*name;
	double		 score;
	enum mg_category category;
	enum mg_verdict_action force;
	const char	*options[TASK_MAX_OPTIONS];
	size_t		 noptions;
	/* The MIME parts (attachments) it fired about (mg_task_symbol_part),
	 * and whether it also fired about the message as a whole (or about
	 * more parts than are kept): only then is it not about files alone. */
	const struct mime_part *parts[TASK_MAX_PARTS];
	size_t		 nparts;
	bool		 about_message;
};

struct mg_task {
	const uint8_t	*raw;		/* the message, borrowed */
	size_t		 len;
	const struct mg_envelope *env;	/* may be NULL */
	const struct dns_resolver *dns;	/* NULL when network checks are off */
	struct mg_arena	*arena;		/* parse and analysis, bounded */
	struct mime_msg	*msg;		/* NULL when parsing failed */
	/* private to the engine: */
	const struct symbol_table *symtab;
	struct mg_arena	*sym_arena;	/* symbols; handed over to the result */
	struct task_symbol *symbols;
	size_t		 nsymbols;
	struct mg_buf	 headers;	/* fields to add, from mg_task_header */
	uint64_t	 forged_ar[MG_FORGED_AR_MAX];	/* from mg_task_forged_ar */
	size_t		 nforged_ar;
	const char	*tempfail;	/* from mg_task_tempfail, static */
	uint64_t	 task_deadline;	/* task_now() clock */
	uint64_t	 check_deadline;
};

/* Monotonic nanoseconds. */
uint64_t task_now(void);

/* Fills t (zeroed first) with two new arenas: arena_max bounds the
 * message's arena. 0 or -MG_ENOMEM. */
int	task_init(struct mg_task *, const struct symbol_table *, const uint8_t *msg,
	    size_t len, const struct mg_envelope *, size_t arena_max);
/* Frees both arenas (the symbols' one unless it was taken). */
void	task_clear(struct mg_task *);

/* Adds symbol name with its configured score (0 and no category for a name
 * not in the table), once per message: later calls only add option (may be
 * NULL; duplicates and options past TASK_MAX_OPTIONS are dropped, long ones
 * cut). 0, -MG_ELIMIT (too many symbols) or -MG_ENOMEM. */
int	mg_task_symbol(struct mg_task *, const char *name, const char *option);
/* As mg_task_symbol, about one MIME part of t->msg (an attachment whose
 * bytes or whose archive members made it fire; the part a dangerous file
 * is stripped from). part NULL is mg_task_symbol. */
int	mg_task_symbol_part(struct mg_task *, const char *name, const char *option,
	    const struct mime_part *part);
/* Adds u (copied, strings borrowed from the task's arena or longer-lived)
 * to t->msg->urls, so that the URL checks that run later see it (a URL
 * decoded from a QR code); a URL already there is not added twice.
 * 0, -MG_ELIMIT past ANALYZE_MAX_URLS or -MG_ENOMEM. */
int	mg_task_add_url(struct mg_task *, const struct mime_url *u);
/* As mg_task_symbol, with the configured score multiplied by factor
 * (a classifier's confidence, a list's weight) when the symbol is new. */
int	mg_task_symbol_scaled(struct mg_task *, const char *name, double factor,
	    const char *option);
/* Adds the header field "name: value" (value already folded and without
 * CRLF) to the fields the gateway adds to the message. 0 or -MG_ENOMEM. */
int	mg_task_header(struct mg_task *, const char *name, const char *value);
/* Asks smtpd to answer 451 with reply (static text) unless the verdict
 * rejects: a check that could not look at the message (every anti-virus
 * engine down). 0. */
int	mg_task_tempfail(struct mg_task *, const char *reply);
/* Marks the header field starting at field (a pointer into t->raw, at
 * its name "Authentication-Results") as forged: the gateway renames it.
 * Fields past MG_FORGED_AR_MAX are left. 0 or -MG_EINVAL (not in raw). */
int	mg_task_forged_ar(struct mg_task *, const uint8_t *field);
/* Resolves the lookups in parallel until the running check's deadline
 * (net/dns_sync.h). -MG_ENOENT when network checks are off (t->dns NULL),
 * else 0 or -MG_ENOMEM. */
int	mg_task_dns(struct mg_task *, struct dns_lookup *q, size_t n);
/* The symbol named name if it fired, or NULL. */
const struct task_symbol *mg_task_symbol_get(const struct mg_task *, const char *name);
/* True once the running check's deadline (or the task's) has passed: long
 * loops in checks poll it and return -MG_ETIMEOUT. */
bool	mg_task_expired(const struct mg_task *);

#endif
