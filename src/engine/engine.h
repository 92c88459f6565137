/* The public API of the scanning engine (libmailgate, DESIGN.md section 3):
 * open once with the configuration, scan many messages concurrently from
 * several threads, close. The checks that fill in symbols arrive with the
 * engine and detection issues; until then every message is "clean". */
#ifndef MG_ENGINE_ENGINE_H
#define MG_ENGINE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/conf.h"

struct mg_engine;

struct mg_envelope {
	const char	*client_ip;
	const char	*helo;
	const char	*mail_from;
	const char *const *rcpts;
	size_t		 nrcpts;
};

enum mg_action { MG_ACTION_ACCEPT, MG_ACTION_TEMPFAIL, MG_ACTION_REJECT };

struct mg_result {
	enum mg_action	 action;
	const char	*verdict;	/* static string: "clean", ... */
	double		 score;
	struct mg_buf	 headers;	/* CRLF-terminated fields to add */
	char		 reply[256];	/* reply text for TEMPFAIL/REJECT */
};

struct mg_error {
	char	 text[512];
};

/* The engine keeps no pointer into the configuration (copy what it needs). */
struct mg_engine *mg_engine_open(const struct mg_conf *, struct mg_error *);
/* Thread-safe. Fills res (call mg_result_clear afterwards); 0 or -MG_E*. */
int	mg_scan(struct mg_engine *, const struct mg_envelope *, const uint8_t *msg,
	    size_t len, struct mg_result *res);
void	mg_result_clear(struct mg_result *);
void	mg_engine_close(struct mg_engine *);

#endif
