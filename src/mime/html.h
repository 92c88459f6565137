/* HTML as a reader sees it: the visible text (what the classifier reads),
 * the hidden text with why it was hidden (evidence of tricks), links with
 * their displayed text, images with their source, and forms. A bounded,
 * forgiving tokenizer of our own: no DOM, one pass, inline styles only. */
#ifndef MG_MIME_HTML_H
#define MG_MIME_HTML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

/* Why text was hidden (a run may have several reasons). */
enum html_hidden {
	HTML_HID_DISPLAY_NONE	= 1u << 0,	/* display:none, <head>/<title> excluded */
	HTML_HID_VISIBILITY	= 1u << 1,	/* visibility:hidden|collapse, hidden attribute */
	HTML_HID_FONT_SIZE	= 1u << 2,	/* font-size 0 or < 3px/2pt, <font size=0> */
	HTML_HID_OPACITY	= 1u << 3,	/* opacity 0 (or < 0.1) */
	HTML_HID_SAME_COLOR	= 1u << 4,	/* text colour equals (or nearly) its background */
	HTML_HID_OFFSCREEN	= 1u << 5,	/* position absolute/fixed with large negative offset, text-indent:-9999px */
	HTML_HID_ZERO_SIZE	= 1u << 6,	/* width/height/max-height 0 with overflow hidden */
	HTML_HID_ZERO_WIDTH	= 1u << 7,	/* zero-width characters (U+200B..U+200D, U+2060, U+FEFF) */
	HTML_HID_BIDI		= 1u << 8,	/* bidi controls (U+202A..U+202E, U+2066..U+2069) */
	HTML_HID_COMMENT	= 1u << 9,	/* comment between letters of a word */
};
#define HTML_HID_COUNT	10

/* "DISPLAY_NONE", ...; NULL for an unknown bit. */
const char *html_hidden_name(unsigned reason);

struct html_hidden_run {
	const char	*text;		/* UTF-8, arena */
	size_t		 len;
	unsigned	 reasons;	/* enum html_hidden */
};

struct html_link {
	const char	*href;		/* attribute value, entities decoded */
	const char	*text;		/* displayed text, UTF-8, whitespace collapsed */
};

struct html_image {
	const char	*src;		/* "cid:...", "data:...", "https://..." */
	const char	*alt;
	unsigned	 width, height;	/* from attributes, 0 = unknown */
};

struct html_form {
	const char	*action;	/* "" when absent */
	const char	*method;
	unsigned	 password_fields;
	unsigned	 inputs;
};

struct html_limits {
	size_t		 max_input;	/* bytes of HTML looked at: 8 MiB */
	size_t		 max_text;	/* bytes of visible text kept: 2 MiB */
	unsigned	 max_depth;	/* element nesting tracked: 256 */
	unsigned	 max_items;	/* links, images, forms, hidden runs each: 4096 */
};

struct mime_html {
	const char	*visible;	/* UTF-8, whitespace collapsed */
	size_t		 visible_len;
	struct html_hidden_run *hidden;
	size_t		 nhidden;
	unsigned	 hidden_reasons;	/* union */
	size_t		 hidden_chars;		/* hidden letters, for ratios */
	struct html_link *links;
	size_t		 nlinks;
	struct html_image *images;
	size_t		 nimages;
	struct html_form *forms;
	size_t		 nforms;
	const char	**css_urls;	/* url(...) from style attributes and <style> */
	size_t		 ncss_urls;
	bool		 truncated;	/* a limit was reached */
};

void	html_limits_default(struct html_limits *);
/* Analyses UTF-8 HTML; NULL only when the arena is exhausted. */
struct mime_html *html_analyze(struct mg_arena *, const char *html, size_t len,
	    const struct html_limits *);

#endif
