/* guard.recipients: recipient validation at RCPT (docs/guard.md) -- a
 * static list, an LDAP directory and an SMTP call-out to the protected
 * server, with a cache of answers. The first method that covers a
 * recipient's domain decides. Part of struct conf_guard. */
#ifndef MG_CORE_CONF_RECIPIENTS_H
#define MG_CORE_CONF_RECIPIENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf_ctx;
struct config_setting_t;

/* An LDAP directory; uri NULL = not used. The filter's %s is the whole
 * address, %u its local part, %d its domain (each escaped as RFC 4515
 * says); an entry found means the recipient exists. */
struct conf_rcpt_ldap {
	char		*uri;		/* "ldap://host:port" or "ldapi://..." */
	char		*bind_dn;	/* NULL = anonymous */
	char		*bind_password;
	char		*base;
	char		*filter;	/* default "(|(mail=%s)(mailAlternateAddress=%s))" */
	uint32_t	 timeout_ms;	/* one lookup, connection included */
	char		**domains;	/* lower case; none = every protected domain */
	size_t		 ndomains;
};

/* RCPT probes to the protected server of the recipient's domain (its
 * route's host): MAIL FROM:<sender>, RCPT, RSET. */
struct conf_rcpt_callout {
	bool		 enabled;
	char		*sender;	/* "" = the null sender (default) */
	uint32_t	 timeout_ms;	/* one probe, connection included */
	uint32_t	 max_parallel;	/* probes at once per smtpd; more wait */
	char		**domains;	/* lower case; none = every protected domain */
	size_t		 ndomains;
};

enum conf_rcpt_on_error {
	CONF_RCPT_TEMPFAIL,		/* 451 4.4.3: the client retries (default) */
	CONF_RCPT_ACCEPT,		/* accept, as without validation */
};

struct conf_recipients {
	char		**listed;	/* static: lower case "user@dom" or "@dom" */
	size_t		 nlisted;
	uint32_t	 max_unknown;	/* unknown recipients per connection; 0 = no limit */
	struct conf_rcpt_ldap ldap;
	struct conf_rcpt_callout callout;
	uint32_t	 cache_known;	/* seconds an existing recipient is remembered */
	uint32_t	 cache_unknown;	/* seconds an unknown one is */
	enum conf_rcpt_on_error on_error;	/* the directory or server failed */
};

/* Defaults; allocates nothing. */
void	conf_recipients_defaults(struct conf_recipients *);
/* g is guard.recipients, or NULL. 0, or -1 through conf_fail. */
int	conf_load_recipients(struct conf_ctx *, const struct config_setting_t *g,
	    struct conf_recipients *);
void	conf_recipients_free(struct conf_recipients *);

/* Whether a list of domains (none = all) covers domain (lower case). */
bool	conf_domains_cover(char *const *domains, size_t n, const char *domain);

#endif
