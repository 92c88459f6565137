/* Analysis of a fetched landing page (docs/landing.md): password fields,
 * forms posting to another site, brand names shown on a page whose domain
 * is not the brand's, and meta-refresh/script redirects elsewhere. A pure
 * function over bounded bytes: a small tag scanner, not a browser. */
#ifndef MG_FETCH_ANALYZE_H
#define MG_FETCH_ANALYZE_H

#include <stddef.h>

#define LANDING_MAX_TAGS	20000	/* tags looked at per page */
#define LANDING_HOST_MAX	256

enum landing_flag {
	LANDING_F_PASSWORD	 = 1u << 0,	/* <input type=password> */
	LANDING_F_FORM_OFFSITE	 = 1u << 1,	/* a form's action on another site */
	LANDING_F_BRAND		 = 1u << 2,	/* a brand not the page's own */
	LANDING_F_REDIRECT	 = 1u << 3,	/* meta refresh / script to another site */
};

struct landing_report {
	unsigned	 flags;
	char		 brand[64];			/* LANDING_F_BRAND */
	char		 form_host[LANDING_HOST_MAX];	/* LANDING_F_FORM_OFFSITE */
	char		 redirect_host[LANDING_HOST_MAX];	/* LANDING_F_REDIRECT */
};

/* Analyses html[0..len) served by host (the final URL's, lower case).
 * brands: lower-case registrable labels ("paypal"). A brand counts when
 * it is named in the title or a logo (img alt/src) of a page with a form
 * that has input fields, or anywhere in the text of a page with a password
 * field, and the page's registrable domain is not the brand's. */
void	landing_analyze(const char *html, size_t len, const char *host,
	    const char *const *brands, size_t nbrands, struct landing_report *out);

#endif
