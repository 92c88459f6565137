/* Internals of the HTML analyzer: the tokenizer (html.c), elements and their
 * computed visibility (html_elem.c), links, images and forms (html_items.c),
 * text output (html_text.c), inline CSS (html_css.c), backgrounds set by
 * <style> blocks (html_sheet.c), colours (html_color.c) and character
 * references (html_entities.c). */
#ifndef MG_MIME_HTML_INT_H
#define MG_MIME_HTML_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "mime/html.h"

/* Thresholds of the hiding rules (docs/html.md). */
#define HTML_FONT_DEFAULT	16.0f	/* px, the document's font size */
#define HTML_FONT_TINY		3.0f	/* px: smaller text is hidden (2pt = 2.67px) */
#define HTML_FONT_MAX		1e6f	/* px: larger sizes are clamped */
#define HTML_OPACITY_MIN	0.1f	/* effective opacity below this hides */
#define HTML_OFFSCREEN_PX	(-1000.0f)	/* left/top/right/margin at or below */
#define HTML_INDENT_PX		(-999.0f)	/* text-indent at or below */
#define HTML_ZERO_BOX_PX	1.0f	/* width/height at or below, with overflow hidden */
#define HTML_REOPEN_MAX		8	/* formatting elements reopened after a block */
#define HTML_PEND_MAX		32	/* bytes of in-word zero-width characters kept */
#define HTML_UNKNOWN_BUCKETS	64	/* open unknown elements counted by hash */

#define HTML_BLACK		0xff000000u	/* colours are 0xAARRGGBB */
#define HTML_WHITE		0xffffffffu
#define HTML_LINK_BLUE		0xff0000eeu

/* Tag flags. */
#define F_VOID		0x0001u	/* no content, no end tag */
#define F_BLOCK		0x0002u	/* line break before and after */
#define F_CELL		0x0004u	/* space before and after (table cells) */
#define F_EXCL		0x0008u	/* content is not rendered: neither visible nor hidden */
#define F_RAW		0x0010u	/* raw text up to its end tag */
#define F_RCDATA	0x0020u	/* text with character references up to its end tag */
#define F_FMT		0x0040u	/* formatting element, reopened after an implicit close */
#define F_CLOSEP	0x0080u	/* its start tag closes an open <p> */
#define F_SCOPE		0x0100u	/* end-tag search stops here */
#define F_TSCOPE	0x0200u	/* end-tag search for table parts stops here */
#define F_HEAD		0x0400u	/* may stand in <head> without closing it */
#define F_FOREIGN	0x0800u	/* svg, math: CDATA is text, <x/> closes */
#define F_LSCOPE	0x1000u	/* list: an <li> does not close an outer <li> */

/* Known elements, in name order; html__tag_lookup hashes the names. */
#define HTML_TAG_LIST(X) \
	X(T_A,			"a",		0) \
	X(T_ABBR,		"abbr",		0) \
	X(T_ADDRESS,		"address",	F_BLOCK | F_CLOSEP) \
	X(T_APPLET,		"applet",	F_SCOPE) \
	X(T_AREA,		"area",		F_VOID) \
	X(T_ARTICLE,		"article",	F_BLOCK | F_CLOSEP) \
	X(T_ASIDE,		"aside",	F_BLOCK | F_CLOSEP) \
	X(T_AUDIO,		"audio",	0) \
	X(T_B,			"b",		F_FMT) \
	X(T_BASE,		"base",		F_VOID | F_HEAD) \
	X(T_BASEFONT,		"basefont",	F_VOID | F_HEAD) \
	X(T_BDI,		"bdi",		0) \
	X(T_BDO,		"bdo",		0) \
	X(T_BGSOUND,		"bgsound",	F_VOID | F_HEAD) \
	X(T_BIG,		"big",		F_FMT) \
	X(T_BLOCKQUOTE,		"blockquote",	F_BLOCK | F_CLOSEP) \
	X(T_BODY,		"body",		F_BLOCK) \
	X(T_BR,			"br",		F_VOID) \
	X(T_BUTTON,		"button",	0) \
	X(T_CAPTION,		"caption",	F_BLOCK | F_SCOPE) \
	X(T_CENTER,		"center",	F_BLOCK | F_CLOSEP) \
	X(T_CITE,		"cite",		0) \
	X(T_CODE,		"code",		F_FMT) \
	X(T_COL,		"col",		F_VOID) \
	X(T_COLGROUP,		"colgroup",	0) \
	X(T_DD,			"dd",		F_BLOCK | F_CLOSEP) \
	X(T_DEL,		"del",		0) \
	X(T_DETAILS,		"details",	F_BLOCK | F_CLOSEP) \
	X(T_DFN,		"dfn",		0) \
	X(T_DIALOG,		"dialog",	F_BLOCK | F_CLOSEP) \
	X(T_DIR,		"dir",		F_BLOCK | F_CLOSEP) \
	X(T_DIV,		"div",		F_BLOCK | F_CLOSEP) \
	X(T_DL,			"dl",		F_BLOCK | F_CLOSEP | F_LSCOPE) \
	X(T_DT,			"dt",		F_BLOCK | F_CLOSEP) \
	X(T_EM,			"em",		F_FMT) \
	X(T_EMBED,		"embed",	F_VOID) \
	X(T_FIELDSET,		"fieldset",	F_BLOCK | F_CLOSEP) \
	X(T_FIGCAPTION,		"figcaption",	F_BLOCK | F_CLOSEP) \
	X(T_FIGURE,		"figure",	F_BLOCK | F_CLOSEP) \
	X(T_FONT,		"font",		F_FMT) \
	X(T_FOOTER,		"footer",	F_BLOCK | F_CLOSEP) \
	X(T_FORM,		"form",		F_BLOCK | F_CLOSEP) \
	X(T_FRAME,		"frame",	F_VOID) \
	X(T_FRAMESET,		"frameset",	F_EXCL) \
	X(T_H1,			"h1",		F_BLOCK | F_CLOSEP) \
	X(T_H2,			"h2",		F_BLOCK | F_CLOSEP) \
	X(T_H3,			"h3",		F_BLOCK | F_CLOSEP) \
	X(T_H4,			"h4",		F_BLOCK | F_CLOSEP) \
	X(T_H5,			"h5",		F_BLOCK | F_CLOSEP) \
	X(T_H6,			"h6",		F_BLOCK | F_CLOSEP) \
	X(T_HEAD,		"head",		F_EXCL) \
	X(T_HEADER,		"header",	F_BLOCK | F_CLOSEP) \
	X(T_HGROUP,		"hgroup",	F_BLOCK | F_CLOSEP) \
	X(T_HR,			"hr",		F_VOID | F_BLOCK | F_CLOSEP) \
	X(T_HTML,		"html",		F_BLOCK | F_SCOPE | F_TSCOPE) \
	X(T_I,			"i",		F_FMT) \
	X(T_IFRAME,		"iframe",	F_RAW | F_EXCL) \
	X(T_IMG,		"img",		F_VOID) \
	X(T_INPUT,		"input",	F_VOID) \
	X(T_INS,		"ins",		0) \
	X(T_KBD,		"kbd",		0) \
	X(T_KEYGEN,		"keygen",	F_VOID) \
	X(T_LABEL,		"label",	0) \
	X(T_LEGEND,		"legend",	F_BLOCK) \
	X(T_LI,			"li",		F_BLOCK | F_CLOSEP) \
	X(T_LINK,		"link",		F_VOID | F_HEAD) \
	X(T_MAIN,		"main",		F_BLOCK | F_CLOSEP) \
	X(T_MAP,		"map",		0) \
	X(T_MARK,		"mark",		0) \
	X(T_MARQUEE,		"marquee",	F_SCOPE) \
	X(T_MATH,		"math",		F_FOREIGN) \
	X(T_MENU,		"menu",		F_BLOCK | F_CLOSEP) \
	X(T_META,		"meta",		F_VOID | F_HEAD) \
	X(T_METER,		"meter",	0) \
	X(T_NAV,		"nav",		F_BLOCK | F_CLOSEP) \
	X(T_NOBR,		"nobr",		F_FMT) \
	X(T_NOEMBED,		"noembed",	F_RAW | F_EXCL) \
	X(T_NOFRAMES,		"noframes",	F_RAW | F_EXCL | F_HEAD) \
	X(T_NOSCRIPT,		"noscript",	F_HEAD) \
	X(T_OBJECT,		"object",	F_SCOPE) \
	X(T_OL,			"ol",		F_BLOCK | F_CLOSEP | F_LSCOPE) \
	X(T_OPTGROUP,		"optgroup",	F_BLOCK) \
	X(T_OPTION,		"option",	F_BLOCK) \
	X(T_P,			"p",		F_BLOCK | F_CLOSEP) \
	X(T_PARAM,		"param",	F_VOID) \
	X(T_PICTURE,		"picture",	0) \
	X(T_PLAINTEXT,		"plaintext",	F_BLOCK | F_CLOSEP) \
	X(T_PRE,		"pre",		F_BLOCK | F_CLOSEP) \
	X(T_PROGRESS,		"progress",	0) \
	X(T_Q,			"q",		0) \
	X(T_RP,			"rp",		0) \
	X(T_RT,			"rt",		0) \
	X(T_RUBY,		"ruby",		0) \
	X(T_S,			"s",		F_FMT) \
	X(T_SAMP,		"samp",		0) \
	X(T_SCRIPT,		"script",	F_RAW | F_EXCL | F_HEAD) \
	X(T_SECTION,		"section",	F_BLOCK | F_CLOSEP) \
	X(T_SELECT,		"select",	0) \
	X(T_SMALL,		"small",	F_FMT) \
	X(T_SOURCE,		"source",	F_VOID) \
	X(T_SPAN,		"span",		0) \
	X(T_STRIKE,		"strike",	F_FMT) \
	X(T_STRONG,		"strong",	F_FMT) \
	X(T_STYLE,		"style",	F_RAW | F_EXCL | F_HEAD) \
	X(T_SUB,		"sub",		0) \
	X(T_SUMMARY,		"summary",	F_BLOCK | F_CLOSEP) \
	X(T_SUP,		"sup",		0) \
	X(T_SVG,		"svg",		F_FOREIGN) \
	X(T_TABLE,		"table",	F_BLOCK | F_CLOSEP | F_SCOPE | F_TSCOPE) \
	X(T_TBODY,		"tbody",	F_BLOCK) \
	X(T_TD,			"td",		F_CELL | F_SCOPE) \
	X(T_TEMPLATE,		"template",	F_EXCL | F_SCOPE | F_TSCOPE | F_HEAD) \
	X(T_TEXTAREA,		"textarea",	F_RCDATA) \
	X(T_TFOOT,		"tfoot",	F_BLOCK) \
	X(T_TH,			"th",		F_CELL | F_SCOPE) \
	X(T_THEAD,		"thead",	F_BLOCK) \
	X(T_TIME,		"time",		0) \
	X(T_TITLE,		"title",	F_RCDATA | F_HEAD) \
	X(T_TR,			"tr",		F_BLOCK) \
	X(T_TRACK,		"track",	F_VOID) \
	X(T_TT,			"tt",		F_FMT) \
	X(T_U,			"u",		F_FMT) \
	X(T_UL,			"ul",		F_BLOCK | F_CLOSEP | F_LSCOPE) \
	X(T_VAR,		"var",		0) \
	X(T_VIDEO,		"video",	0) \
	X(T_WBR,		"wbr",		F_VOID) \
	X(T_XMP,		"xmp",		F_RAW | F_BLOCK | F_CLOSEP)

enum html_tag {
#define X(id, name, flags) id,
	HTML_TAG_LIST(X)
#undef X
	T_UNKNOWN,
	HTML_TAG_COUNT
};

/* Attributes the analyzer reads; others are parsed and skipped. */
enum html_attr {
	HA_STYLE, HA_HIDDEN, HA_HREF, HA_SRC, HA_ALT, HA_WIDTH, HA_HEIGHT,
	HA_ACTION, HA_METHOD, HA_TYPE, HA_COLOR, HA_BGCOLOR, HA_BACKGROUND,
	HA_SIZE, HA_TEXT, HA_CONTENT, HA_HTTP_EQUIV, HA_DATA, HA_CLASS, HA_ID,
	HA_COUNT
};

/* One start tag as read: attribute values are raw slices of the input. */
struct html_tok {
	enum html_tag	 tag;
	uint32_t	 hash;		/* of the lower-case name, for unknown tags */
	bool		 self_closing;
	uint32_t	 have;		/* 1 << enum html_attr */
	struct mg_slice	 attr[HA_COUNT];
};

enum html_display { DISP_UNSET, DISP_NONE, DISP_INLINE, DISP_BLOCK, DISP_CELL };
enum html_font_kind { FONT_UNSET, FONT_PX, FONT_FACTOR };
enum html_bg_kind { BG_UNSET, BG_COLOR, BG_IMAGE };

/* What one element says about itself: presentational attributes and its
 * inline style, before inheritance. */
struct html_decl {
	unsigned	 hide;		/* reasons hiding its whole subtree */
	float		 font;		/* px, or factor of the parent's size */
	float		 opacity;	/* 1 when not given */
	uint32_t	 color, bg;	/* ARGB */
	unsigned	 width, height;	/* px from the style, 0 = not given */
	uint8_t		 font_kind;	/* enum html_font_kind */
	uint8_t		 bg_kind;	/* enum html_bg_kind */
	uint8_t		 display;	/* enum html_display */
	int8_t		 visibility;	/* -1 not given, 0 visible, 1 hidden */
	int8_t		 lh_zero;	/* -1 not given, 1 when line-height is 0 */
	bool		 has_color;
};

/* Element flags, inherited unless said otherwise. */
#define EL_EXCLUDED	0x01u	/* text is not rendered at all */
#define EL_NOBOX	0x02u	/* no box (display:none): no line breaks either */
#define EL_VISHID	0x04u	/* visibility:hidden in force */
#define EL_LHZERO	0x08u	/* line-height 0 in force */
#define EL_BGUNKNOWN	0x10u	/* background is an image: colours cannot be compared */
#define EL_FOREIGN	0x20u	/* inside svg or math */
#define EL_BLOCK	0x40u	/* this element breaks lines (not inherited) */
#define EL_CELL		0x80u	/* this element separates words (not inherited) */
#define EL_FORM		0x100u	/* this element opened the current form (not inherited) */

/* An open element and its computed state. */
struct html_elem {
	uint16_t	 tag;		/* enum html_tag */
	uint16_t	 flags;		/* EL_* */
	uint16_t	 tflags;	/* F_* of its tag */
	uint32_t	 hash;		/* name hash of an unknown tag */
	unsigned	 hard;		/* reasons hiding it and everything inside */
	unsigned	 text;		/* reasons hiding text directly inside */
	float		 font, opacity;	/* px; product of the ancestors' opacity */
	uint32_t	 color, bg;	/* text colour; opaque background behind it */
	int		 link;		/* index of the link this <a> opened, or -1 */
	struct html_decl decl;		/* its own declarations, to reopen it */
};

/* A growable array of items bounded by max_items (malloc'ed while
 * parsing, copied into the arena at the end). */
struct html_vec {
	void		*v;
	size_t		 n, cap;
};

struct html_run {
	size_t		 off, len;	/* in the hidden-text buffer */
	unsigned	 reasons;
};

enum html_sep { SEP_NONE, SEP_SPACE, SEP_LINE };

struct html_state {
	struct mg_arena	*arena;
	struct html_limits lim;
	struct mime_html *out;
	const char	*end;		/* of the input */
	bool		 arena_failed;
	bool		 body_seen;	/* content that implies <body> was met */
	bool		 html_seen, head_seen, body_open;
	/* open elements: stack[0] is the document, stack[depth] the current */
	struct html_elem *stack;
	size_t		 stack_cap;
	unsigned	 depth;
	unsigned	 head;		/* index of the open <head>, 0 = none */
	unsigned	 open[HTML_TAG_COUNT];	/* open elements per tag */
	unsigned	 open_unknown[HTML_UNKNOWN_BUCKETS];	/* per name hash bucket */
	struct {
		uint16_t	 tag;
		struct html_decl decl;
	}		 reopen[HTML_REOPEN_MAX];
	unsigned	 nreopen;
	/* text: visible, hidden; attribute values being decoded */
	struct mg_buf	 vis, hid, scratch, stylebuf;
	uint8_t		 vsep, hsep;	/* enum html_sep waiting before the next character */
	bool		 vis_full, hid_full;
	bool		 word;		/* the last visible character is a letter */
	bool		 run_open;	/* element text may extend the last run */
	unsigned	 pend;		/* HTML_HID_COMMENT|ZERO_WIDTH waiting for a letter */
	struct mg_slice	 pend_comment;
	char		 pend_zw[HTML_PEND_MAX];
	size_t		 pend_zw_len;
	size_t		 pend_zw_chars;
	/* what <style> blocks give a background (html_sheet.c) */
	uint32_t	*sheet;		/* hashes of ".class" and "#id", open addressing */
	size_t		 nsheet;
	bool		 sheet_all, sheet_overflow;
	uint8_t		 sheet_tags[(HTML_TAG_COUNT + 7) / 8];
	/* items */
	struct html_vec	 runs, links, images, forms, css;
	int		 link, form;	/* open <a> and <form>, -1 = none */
	size_t		 link_start;	/* visible length when the <a> opened */
};

/* html.c */
void	*html__vec_push(struct html_state *, struct html_vec *, size_t size);
/* Arena copy; "" (and arena_failed) when the arena is exhausted. */
char	*html__strdup(struct html_state *, const char *, size_t);

/* html_elem.c */
enum html_tag html__tag_lookup(const char *name, size_t len, uint32_t *hash);
unsigned html__tag_flags(enum html_tag);
const char *html__tag_name(enum html_tag);
void	html__start_tag(struct html_state *, const struct html_tok *);
void	html__end_tag(struct html_state *, enum html_tag, uint32_t hash);
void	html__head_close(struct html_state *);
void	html__reopen(struct html_state *);
void	html__close_all(struct html_state *);

/* html_items.c */
void	html__items(struct html_state *, const struct html_tok *, const struct html_decl *,
	    struct html_elem *pushed);
void	html__link_close(struct html_state *);
void	html__css_url_add(struct html_state *, const char *, size_t);

/* html_text.c */
void	html__text(struct html_state *, const char *, size_t, unsigned ctx, bool refs);
void	html__text_here(struct html_state *, const char *, size_t, bool refs);
void	html__sep(struct html_state *, enum html_sep, bool nobox);
void	html__comment(struct html_state *, const char *, size_t);
#define HS_REFS	0x1u	/* decode character references */
#define HS_URL	0x2u	/* trim, drop tabs and newlines */
struct mg_slice html__attr_decode(struct html_state *, struct mg_slice, unsigned how,
	    struct mg_buf *into);
char	*html__attr_str(struct html_state *, struct mg_slice, unsigned how);
size_t	html__utf8_decode(const uint8_t *, size_t, uint32_t *cp);
size_t	html__utf8_encode(uint32_t cp, char *out);

/* html_css.c */
bool	html__number(const char **p, const char *end, float *);
void	html__style(struct html_state *, const char *, size_t, struct html_decl *);
void	html__css_urls(struct html_state *, const char *, size_t);

/* html_sheet.c */
void	html__sheet(struct html_state *, const char *, size_t);
bool	html__sheet_bg(const struct html_state *, const struct html_tok *);

/* html_color.c */
int	html__hex_digit(char);
bool	html__color_css(const char *, size_t, uint32_t *argb);
bool	html__color_legacy(const char *, size_t, uint32_t *argb);
uint32_t html__color_blend(uint32_t top, uint32_t under);
bool	html__color_near(uint32_t a, uint32_t b);

/* html_entities.c: the reference at p (p[0] == '&'); returns the bytes it
 * spans, or 0 when it is not one (the '&' is then text). */
size_t	html__entity(const char *p, size_t n, bool in_attr, uint32_t *cp);

#endif
