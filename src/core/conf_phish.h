/* engine.phish: what the unknown-link heuristics (checks/url_heur.h,
 * docs/phishing.md "Unknown links") protect and know: the protected
 * domains and brands whose look-alikes are flagged, the free hosting
 * platforms, and the shortener/redirector list file. */
#ifndef MG_CORE_CONF_PHISH_H
#define MG_CORE_CONF_PHISH_H

#include <stddef.h>
#include <stdint.h>

struct conf_ctx;
struct config_setting_t;

#define CONF_PHISH_MAX_NAMES	4096

/* The much-phished brands used when engine.phish.brands is absent;
 * NULL-terminated, lower case registrable labels. */
extern const char *const conf_phish_brands_default[];

struct conf_phish {
	char		**protected;	/* NULL: the protected domains of the routes */
	size_t		 nprotected;
	char		**brands;	/* NULL: conf_phish_brands_default */
	size_t		 nbrands;
	char		**free_hosting;	/* NULL: the built-in shared platforms (intel/urldb.h) */
	size_t		 nfree_hosting;
	char		*redirectors;	/* absolute: shortener/redirector list; NULL = none */
	uint32_t	 lookalike_distance;	/* edit distance of a look-alike label, 0 = off */
	uint32_t	 deep_subdomains;	/* labels before the registrable domain */
};

/* Numbers only; pointers stay NULL (allocates nothing). */
void	conf_phish_defaults(struct conf_phish *);
/* g is engine.phish, or NULL when absent. 0, or -1 with "FILE:LINE: reason". */
int	conf_load_phish(struct conf_ctx *, const struct config_setting_t *g, struct conf_phish *);
void	conf_phish_free(struct conf_phish *);

#endif
