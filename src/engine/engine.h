/* The public API of the scanning engine (libmailgate, DESIGN.md section 3):
 * open once with the configuration, scan many messages concurrently from
 * several threads, close. A scan parses and analyses the message, runs the
 * table of checks (engine/checks.c) and turns their symbols into a verdict:
 * score, category and action (docs/engine.md). */
#ifndef MG_ENGINE_ENGINE_H
#define MG_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/conf.h"

struct mg_engine;

#define MG_FORGED_AR_MAX	16	/* forged Authentication-Results renamed */

struct mg_envelope {
	const char	*client_ip;
	const char	*helo;
	const char	*mail_from;
	const char *const *rcpts;
	size_t		 nrcpts;
	bool		 outbound;	/* arrived on an outbound listener */
};

/* What smtpd does with the message (the verdict action, below, says what
 * the gateway does with an accepted one). */
enum mg_action { MG_ACTION_ACCEPT, MG_ACTION_TEMPFAIL, MG_ACTION_REJECT };

/* A symbol that fired: its configured score and what made it fire (a file
 * name, a hidden-text reason, ...). */
struct mg_symbol {
	const char	*name;
	double		 score;
	const char *const *options;
	size_t		 noptions;
};

struct mg_result {
	enum mg_action	 action;	/* REJECT when verdict_action is, else ACCEPT */
	const char	*verdict;	/* category name, static: "clean", "spam", ... */
	enum mg_category category;
	enum mg_verdict_action verdict_action;	/* accept, tag, quarantine, hold, reject */
	const char	*forced_by;	/* the symbol that forced verdict_action, or NULL */
	double		 score;		/* sum of the symbols' scores */
	struct mg_symbol *symbols;	/* by descending score, then name */
	size_t		 nsymbols;
	struct mg_buf	 headers;	/* CRLF-terminated fields to add */
	/* Offsets in the message of incoming Authentication-Results fields
	 * that claim the gateway's authserv-id (forged or looped): the
	 * gateway renames each to Untrusted-Auth-Results (same length). */
	uint64_t	 forged_ar[MG_FORGED_AR_MAX];
	size_t		 nforged_ar;
	char		 reply[256];	/* reply text for TEMPFAIL/REJECT */
	struct mg_arena	*arena;		/* private: holds symbols */
};

struct mg_error {
	char	 text[512];
};

/* The engine keeps no pointer into the configuration (copy what it needs).
 * Fails with "FILE:LINE: unknown symbol 'X'" for a score of a symbol that
 * no check produces. */
struct mg_engine *mg_engine_open(const struct mg_conf *, struct mg_error *);
/* Thread-safe. Fills res (call mg_result_clear afterwards); 0 or -MG_E*
 * (-MG_ENOMEM only: content never makes a scan fail). */
int	mg_scan(struct mg_engine *, const struct mg_envelope *, const uint8_t *msg,
	    size_t len, struct mg_result *res);
struct mime_msg;
struct mg_strip;

/* Sees the parsed message (NULL when it could not be parsed) and the
 * finished result while the scan still holds the message; a negative
 * return fails the scan with it. */
typedef int (*mg_inspect_fn)(const struct mime_msg *, const struct mg_result *, void *arg);

struct mg_scan_opts {
	struct mg_strip	*strip;		/* engine/dangerous.h; NULL: never strip */
	mg_inspect_fn	 inspect;	/* NULL: none */
	void		*arg;
};

/* mg_scan with options (opts may be NULL). */
int	mg_scan_ex(struct mg_engine *, const struct mg_envelope *, const uint8_t *msg,
	    size_t len, struct mg_result *res, const struct mg_scan_opts *opts);
void	mg_result_clear(struct mg_result *);
void	mg_engine_close(struct mg_engine *);

const char *mg_category_name(enum mg_category);
const char *mg_verdict_action_name(enum mg_verdict_action);
/* Appends "NAME(1.50),OTHER(0.00)" (the message log's form) to out. */
int	mg_result_format_symbols(const struct mg_result *, struct mg_buf *out);

#endif
