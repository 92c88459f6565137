/* Compromised internal accounts: mail whose envelope sender is in a
 * protected domain and that came in on an outbound listener or from a
 * trusted network is counted per account against its learned hourly
 * baseline, and checked for mass internal mail, finance lures from
 * accounts outside engine.account.finance_senders, and other checks'
 * phishing symbols; bursts, phishing and a lure to many are held for an
 * administrator, with an alert in the log (docs/accounts.md). Also the
 * view of "internal" the bulk and first_seen checks share. */
#ifndef MG_CHECKS_ACCOUNT_H
#define MG_CHECKS_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "engine/check.h"

#define ACCOUNT_ADDR_MAX	320	/* bytes of an address */

extern const struct mg_check check_account;

/* The protected domains and trusted networks, copied from a configuration. */
struct account_site {
	char		**domains;	/* lower case */
	size_t		 ndomains;
	struct conf_network *trusted;
	size_t		 ntrusted;
};

/* 0 or -MG_ENOMEM (s is then cleared with account_site_fini). */
int	account_site_init(struct account_site *, const struct mg_conf *);
void	account_site_fini(struct account_site *);
/* Whether domain (any case) is a protected domain or under one. */
bool	account_site_protected(const struct account_site *, const char *domain);
/* Whether addr ("user@domain", "<...>") is in a protected domain. */
bool	account_site_internal_addr(const struct account_site *, const char *addr);
/* Whether env's sender is internal: a protected envelope sender domain,
 * on an outbound listener or from a trusted network. The cleaned sender
 * goes to sender (of ACCOUNT_ADDR_MAX + 1) when it is. */
bool	account_site_internal_sender(const struct account_site *, const struct mg_envelope *,
	    char *sender);
/* How many recipients of env are internal. */
size_t	account_site_internal_rcpts(const struct account_site *, const struct mg_envelope *);

/* Tests: the clock of the rate counts (Unix seconds); NULL = time(). */
extern time_t (*account_clock)(void);

#endif
