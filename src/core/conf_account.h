/* engine.account: compromised internal accounts (rates per account over a
 * learned baseline, mass internal mail, finance lures from non-finance
 * accounts) and engine.account.first_seen, domains never seen before by
 * this installation (docs/accounts.md). Loaded by conf.c. */
#ifndef MG_CORE_CONF_ACCOUNT_H
#define MG_CORE_CONF_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf_ctx;
struct config_setting_t;

#define CONF_ACCOUNT_MAX_FINANCE	10000	/* finance_senders entries */

struct conf_first_seen {
	bool		 enabled;	/* default true */
	uint32_t	 warmup;	/* messages seen before anything is flagged; 1000 */
};

struct conf_account {
	bool		 enabled;		/* default true */
	double		 burst_factor;		/* times the baseline; 5.0 */
	uint32_t	 min_burst;		/* messages an hour always allowed; 50 */
	uint32_t	 min_burst_recipients;	/* recipients an hour always allowed; 500 */
	uint32_t	 many_internal;		/* internal recipients of one message; 50 */
	uint32_t	 baseline_hours;	/* time constant of the hourly average; 168 */
	char		**finance_senders;	/* lower case addresses or "@domain" */
	size_t		 nfinance_senders;
	struct conf_first_seen first_seen;
};

/* Numbers only; pointers stay NULL (allocates nothing). */
void	conf_account_defaults(struct conf_account *);
/* g is the engine.account setting, or NULL when absent. 0, or -1 with "FILE:LINE: reason". */
int	conf_load_account(struct conf_ctx *, const struct config_setting_t *g, struct conf_account *);
void	conf_account_free(struct conf_account *);
/* Whether addr (lower case) is one of the finance senders (an address,
 * or "@domain" for a whole domain). */
bool	conf_account_finance(const struct conf_account *, const char *addr);

#endif
