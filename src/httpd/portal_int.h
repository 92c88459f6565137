/* Private to the portal (portal*.c): its state, one request, the page
 * and form helpers and the handlers of each path. Every handler runs on
 * libmicrohttpd's single internal thread, so the state needs no lock;
 * portal_reload stops that thread before it touches anything. */
#ifndef MG_HTTPD_PORTAL_INT_H
#define MG_HTTPD_PORTAL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <microhttpd.h>

#include "core/buf.h"
#include "core/conf.h"
#include "httpd/portal.h"
#include "quarantine/quarantine.h"
#include "quarantine/token.h"

#define PORTAL_BODY_MAX		(16u * 1024)	/* bytes of a request body */
#define PORTAL_PAGE_MAX		(1024u * 1024)	/* bytes of a page */
#define PORTAL_PREVIEW_MAX	(64u * 1024)	/* bytes of text shown by a preview */
#define PORTAL_LIST_MAX		500u		/* messages listed */
#define PORTAL_SESSIONS_MAX	4096
#define PORTAL_CODES_MAX	1024
#define PORTAL_RATES_MAX	2048
#define PORTAL_CODE_ATTEMPTS	5
#define PORTAL_CODES_PER_ADDR	3	/* codes sent per address per code_minutes */
#define PORTAL_CODES_PER_IP	10	/* codes asked per client IP per code_minutes */
#define PORTAL_ID_HEX		33	/* 128-bit ids in hex, with the NUL */
#define PORTAL_IP_MAX		46	/* INET6_ADDRSTRLEN */
#define PORTAL_FIELD_MAX	1024	/* bytes of one form value */

struct portal_session {
	char		 id[PORTAL_ID_HEX];	/* "" = free slot */
	char		 csrf[PORTAL_ID_HEX];
	char		 user[QTOKEN_USER_MAX];
	time_t		 expires;
};

struct portal_code {
	char		 user[QTOKEN_USER_MAX];	/* "" = free slot */
	uint8_t		 hash[32];		/* HMAC(key, user NUL code) */
	time_t		 expires;
	unsigned	 attempts;
};

struct portal_rate {
	char		 key[QTOKEN_USER_MAX + 4];	/* "a:ADDR" or "i:IP"; "" = free */
	time_t		 start;
	unsigned	 count;
};

struct portal {
	struct mg_conf	*conf;		/* owned */
	portal_notify_fn notify;	/* tells queued about a released message */
	uint8_t		 key[QTOKEN_KEY_LEN];
	char		 url[CONF_PORTAL_URL_MAX];
	bool		 secure;	/* url is https: cookies get Secure */
	char		 qdir[4096];
	struct store	*store;
	struct spool	*spool;
	struct quarantine q;
	struct MHD_Daemon *mhd;
	struct portal_session sessions[PORTAL_SESSIONS_MAX];
	struct portal_code codes[PORTAL_CODES_MAX];
	struct portal_rate rates[PORTAL_RATES_MAX];
};

/* One request: its body gathered up to PORTAL_BODY_MAX. */
struct portal_req {
	struct portal	*p;
	struct MHD_Connection *conn;
	const char	*path;
	bool		 post;
	struct mg_buf	 body;
	bool		 too_large;
	char		 ip[PORTAL_IP_MAX];
	time_t		 now;
	const struct portal_session *sess;	/* NULL: not signed in */
};

/* Responses (portal_http.c); each returns what the MHD handler returns. */
enum MHD_Result portal_page(struct portal_req *, unsigned status, const char *title,
	    const struct mg_buf *body, const char *cookie);
/* A page whose body is one escaped sentence. */
enum MHD_Result portal_message(struct portal_req *, unsigned status, const char *title,
	    const char *text);
enum MHD_Result portal_not_found(struct portal_req *);
enum MHD_Result portal_invalid_link(struct portal_req *);
enum MHD_Result portal_signin_needed(struct portal_req *);
enum MHD_Result portal_redirect(struct portal_req *, const char *to, const char *cookie);

/* A form field of the POST body (urlencoded) or, get, of the query
 * string, decoded, at most PORTAL_FIELD_MAX - 1 bytes: 0 or -MG_ENOENT. */
int	portal_field(struct portal_req *, bool get, const char *name, char *out, size_t outlen);

/* HTML (portal_http.c): appends s (len bytes, or NUL-terminated when len
 * is SIZE_MAX) escaped; control characters but tab and newline become '?'. */
int	html_esc(struct mg_buf *, const char *s, size_t len);
int	html_escf(struct mg_buf *, const char *fmt, const char *s);	/* fmt has one %s */

/* Sessions, codes and rates (portal_auth.c). */
const struct portal_session *session_find(struct portal *, const char *cookie, time_t now);
/* A new session for user; its Set-Cookie value into cookie. */
int	session_new(struct portal_req *, const char *user, char *cookie, size_t len);
bool	session_csrf_ok(const struct portal_session *, const char *csrf);
void	portal_random_hex(char out[PORTAL_ID_HEX]);
/* Whether user (lower case) is one of rcpts (joined with ", "). */
bool	portal_is_rcpt(const char *rcpts, const char *user);
/* Lower-cases a syntactically plain address in place; false if it is not one. */
bool	portal_addr_ok(char *addr);

/* Handlers. */
enum MHD_Result portal_login(struct portal_req *);		/* GET /portal/login */
enum MHD_Result portal_code_form(struct portal_req *);		/* GET /portal/code */
enum MHD_Result portal_code_send(struct portal_req *);		/* POST /portal/code */
enum MHD_Result portal_code_verify(struct portal_req *);	/* POST /portal/code/verify */
enum MHD_Result portal_list(struct portal_req *);		/* GET /portal */
enum MHD_Result portal_preview(struct portal_req *, uint64_t id);	/* GET /portal/m/ID */
enum MHD_Result portal_release(struct portal_req *, uint64_t id);	/* POST .../release */
enum MHD_Result portal_action(struct portal_req *);		/* GET|POST /portal/a */

/* Shared by the release paths (portal_pages.c): releases id to user when
 * it is user's and releasable; by is the log/header actor. Fills row
 * fields the caller may need (sender into from). 0, -MG_ENOENT (not
 * there or not user's), -MG_EINVAL (needs the administrator), other. */
int	portal_release_to(struct portal *, uint64_t id, const char *user, const char *via,
	    time_t now, char *from, size_t fromlen);
/* The page after a release attempt that returned rc; done is the success text. */
enum MHD_Result portal_release_result(struct portal_req *, int rc, const char *done);

#endif
