/* The HTML analyzer: visible text (structure, entities, tokenizer
 * corners), every hiding rule alone and inherited, links, images, forms and
 * CSS URLs, the limits, and hostile inputs that must stay linear. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/arena.h"
#include "mime/html.h"
#include "mime/html_int.h"

#define DESC_MAX	4096

static struct mime_html *
analyze(struct mg_arena *a, const char *html, size_t len, const struct html_limits *lim)
{
	struct mime_html *h = html_analyze(a, html, len, lim);

	assert_non_null(h);
	return h;
}

/* "REASON+REASON:text|..." */
static void
hidden_desc(const struct mime_html *h, char *out, size_t max)
{
	size_t n = 0, i;
	unsigned b;

	out[0] = '\0';
	for (i = 0; i < h->nhidden && n < max; i++) {
		const struct html_hidden_run *r = &h->hidden[i];
		bool first = true;

		if (i > 0)
			n += (size_t)snprintf(out + n, max - n, "|");
		for (b = 0; b < HTML_HID_COUNT && n < max; b++)
			if (r->reasons & 1u << b) {
				n += (size_t)snprintf(out + n, max - n, "%s%s", first ? "" : "+",
				    html_hidden_name(1u << b));
				first = false;
			}
		if (n < max)
			n += (size_t)snprintf(out + n, max - n, ":%.*s", (int)r->len, r->text);
	}
}

/* Invariants of every result. */
static void
check_invariants(const struct mime_html *h, const struct html_limits *lim)
{
	unsigned all = 0;
	size_t i;

	assert_non_null(h->visible);
	assert_int_equal(strlen(h->visible), h->visible_len);
	assert_true(h->visible_len <= lim->max_text);
	assert_true(h->nhidden <= lim->max_items && h->nlinks <= lim->max_items &&
	    h->nimages <= lim->max_items && h->nforms <= lim->max_items &&
	    h->ncss_urls <= lim->max_items);
	for (i = 0; i < h->nhidden; i++) {
		assert_true(h->hidden[i].reasons != 0);
		assert_int_equal(h->hidden[i].text[h->hidden[i].len], '\0');
		all |= h->hidden[i].reasons;
	}
	assert_true((all & ~h->hidden_reasons) == 0);
	for (i = 0; i < h->nlinks; i++)
		assert_true(h->links[i].href != NULL && h->links[i].text != NULL);
}

struct text_case {
	const char	*html;
	const char	*visible;
	const char	*hidden;
};

static void
run_text_cases(const struct text_case *cases, size_t n)
{
	struct html_limits lim;
	char desc[DESC_MAX];
	unsigned failed = 0;
	size_t i;

	html_limits_default(&lim);
	for (i = 0; i < n; i++) {
		struct mg_arena *a = mg_arena_new(4096, 0);
		struct mime_html *h = analyze(a, cases[i].html, strlen(cases[i].html), &lim);

		check_invariants(h, &lim);
		hidden_desc(h, desc, sizeof(desc));
		if (strcmp(h->visible, cases[i].visible) != 0 || strcmp(desc, cases[i].hidden) != 0) {
			print_error("case %zu: %s\n  visible got  \"%s\"\n  visible want \"%s\"\n"
			    "  hidden got  \"%s\"\n  hidden want \"%s\"\n", i, cases[i].html,
			    h->visible, cases[i].visible, desc, cases[i].hidden);
			failed++;
		}
		mg_arena_free(a);
	}
	if (failed)
		fail_msg("%u of %zu cases failed", failed, n);
}

static void
test_visible_structure(void **state)
{
	static const struct text_case cases[] = {
		{ "Hello   world\n\t!", "Hello world !", "" },
		{ "<p>One</p><p>Two</p>", "One\nTwo", "" },
		{ "a<br>b<br/><br>c", "a\nb\nc", "" },
		{ "<div>a<div>b</div>c</div>", "a\nb\nc", "" },
		{ "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc", "" },
		{ "<table><tr><td>a<td>b<tr><td>c</table>after", "a b\nc\nafter", "" },
		{ "<P>Upper</P><DIV>case</DIV>", "Upper\ncase", "" },
		{ "<head><title>T</title><style>p{}</style><script>var a='<p>x</p>';</script>"
		  "</head><body>B</body>", "B", "" },
		{ "<script>a='</script>';</script>ok", "';ok", "" },
		{ "<script>a='</scripts>';</SCRIPT >ok", "ok", "" },
		{ "<template><p>t</p></template>v", "v", "" },
		{ "<head><meta charset=utf-8>Loose text<body>more", "Loose text\nmore", "" },
		{ "<title>T</title><p>body", "body", "" },
		{ "<p>a<p>b", "a\nb", "" },
		{ "<ul><li>one<li>two</ul>after", "one\ntwo\nafter", "" },
		{ "<div>a</span>b</div></div>c", "ab\nc", "" },
		{ "a < b > c", "a < b > c", "" },
		{ "x <3 y", "x <3 y", "" },
		{ "1 </ 2", "1", "" },
		{ "1 </>2", "1 2", "" },
		{ "<xmp><b>raw</b></xmp>", "<b>raw</b>", "" },
		{ "<textarea>a &amp; <b>b</b></textarea>", "a & <b>b</b>", "" },
		{ "<plaintext><b>x</b></plaintext>", "<b>x</b></plaintext>", "" },
		{ "<noscript>ns</noscript>", "ns", "" },
		{ "\xef\xbb\xbfHi", "Hi", "" },
		{ "bad\xff\xc3(utf", "bad\xef\xbf\xbd\xef\xbf\xbd(utf", "" },
		{ "a\x01" "b\x7f" "c\x1f", "abc", "" },
		{ "<p>Hello <!-- comment --> world</p>", "Hello world", "" },
		{ "<a href=x>a</a><a href=y>b</a>", "ab", "" },
		{ "<img src=a.png>word", "word", "" },
		{ "one<img src=a>two", "one two", "" },
		{ "<h1>Title</h1>text", "Title\ntext", "" },
		{ "<o:p>x</o:p>y", "xy", "" },
		{ "<span style=\"display:block\">a</span>b", "a\nb", "" },
		{ "<div style=\"display:inline\">a</div>b", "ab", "" },
		{ "<svg><text><![CDATA[x<y]]></text></svg>", "x<y", "" },
		{ "<svg><circle/>in</svg>out", "inout", "" },
		{ "<!DOCTYPE html><?xml version=\"1.0\"?>x", "x", "" },
		{ "<p title=\"a>b\">q</p>", "q", "" },
		{ "<p title='x>unterminated", "", "" },
		{ "<!-- unterminated comment <p>never", "", "" },
		{ "<p>x</p></body></html>after the end", "x\nafter the end", "" },
		{ "<select><option>One<option>Two</select>", "One\nTwo", "" },
		{ "<dl><dt>T<dd>D</dl>", "T\nD", "" },
		{ "<pre>a\n\n  b</pre>", "a b", "" },
	};

	run_text_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_entities(void **state)
{
	static const struct text_case cases[] = {
		{ "&lt;b&gt; &amp;amp; &quot;q&quot; &apos;a&apos; &copy;&reg;&euro;",
		  "<b> &amp; \"q\" 'a' \xc2\xa9\xc2\xae\xe2\x82\xac", "" },
		{ "&eacute;t&eacute; &Eacute; &AElig;&yuml;", "\xc3\xa9t\xc3\xa9 \xc3\x89 \xc3\x86\xc3\xbf", "" },
		{ "&#65;&#x42;&#X43;&#100 &#x1F600;", "ABCd \xf0\x9f\x98\x80", "" },
		{ "&#0;&#x110000;&#xD800;&#128;&#99999999999;",
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xe2\x82\xac\xef\xbf\xbd", "" },
		{ "AT&T &unknown; & &#; &#x; &", "AT&T &unknown; & &#; &#x; &", "" },
		{ "&notit; &amp &ampx &copy2", "\xc2\xacit; & &x \xc2\xa9" "2", "" },
		{ "a &nbsp; b&nbsp;&nbsp;c", "a b c", "" },
		{ "&hellip;&mdash;&rsquo;&trade;&rarr;", "\xe2\x80\xa6\xe2\x80\x94\xe2\x80\x99"
		  "\xe2\x84\xa2\xe2\x86\x92", "" },
		{ "&Tab;x&NewLine;y&lang;&rang;", "x y\xe2\x9f\xa8\xe2\x9f\xa9", "" },
		{ "&AMP;&LT;&GT;&QUOT;", "&<>\"", "" },
		{ "&Amp;", "&Amp;", "" },
	};

	run_text_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* One case per hiding rule, then the rule's edges. */
static void
test_hiding_rules(void **state)
{
	static const struct text_case cases[] = {
		{ "ok<div style=\"display:none\">secret</div>", "ok", "DISPLAY_NONE:secret" },
		{ "<span style=\"visibility:hidden\">v</span>ok", "ok", "VISIBILITY:v" },
		{ "<span style=\"visibility:collapse\">v</span>ok", "ok", "VISIBILITY:v" },
		{ "<p hidden>h</p>ok", "ok", "VISIBILITY:h" },
		{ "<p hidden style=\"display:block\">shown</p>", "shown", "" },
		{ "<span style=\"font-size:0\">z</span>ok", "ok", "FONT_SIZE:z" },
		{ "<span style=\"font-size:2px\">z</span>", "", "FONT_SIZE:z" },
		{ "<span style=\"font-size:1pt\">z</span>", "", "FONT_SIZE:z" },
		{ "<span style=\"font-size:0em\">z</span>", "", "FONT_SIZE:z" },
		{ "<span style=\"font-size:1%\">z</span>", "", "FONT_SIZE:z" },
		{ "<span style=\"font-size:3px\">z</span>", "z", "" },
		{ "<span style=\"font-size:2.5pt\">z</span>", "z", "" },
		{ "<div style=\"font-size:0\"><span style=\"font-size:14px\">child</span></div>", "child", "" },
		{ "<div style=\"font-size:0\"><span style=\"font-size:1.5em\">em of 0</span></div>", "",
		  "FONT_SIZE:em of 0" },
		{ "<font size=0>tiny?</font> <font size=\"-9\">small</font>", "tiny? small", "" },
		{ "<div style=\"font-size:1e30px\"><div style=\"font-size:1e30em\">"
		  "<span style=\"font-size:0em\">z</span></div></div>", "", "FONT_SIZE:z" },
		{ "<small><small><small><small><small><small><small><small><small><small><small>"
		  "x</small></small></small></small></small></small></small></small></small></small></small>",
		  "", "FONT_SIZE:x" },
		{ "<span style=\"opacity:0\">o</span>", "", "OPACITY:o" },
		{ "<span style=\"opacity:0.05\">o</span>", "", "OPACITY:o" },
		{ "<span style=\"opacity:5%\">o</span>", "", "OPACITY:o" },
		{ "<span style=\"opacity:0.5\">o</span>", "o", "" },
		{ "<div style=\"opacity:0.3\"><span style=\"opacity:0.3\">o</span></div>", "", "OPACITY:o" },
		{ "<span style=\"color:#fff\">w</span>", "", "SAME_COLOR:w" },
		{ "<span style=\"color:#FFFFFF\">w</span>", "", "SAME_COLOR:w" },
		{ "<span style=\"color:rgb(255, 255, 255)\">w</span>", "", "SAME_COLOR:w" },
		{ "<span style=\"color:rgb(100%,100%,100%)\">w</span>", "", "SAME_COLOR:w" },
		{ "<span style=\"color:White\">w</span>", "", "SAME_COLOR:w" },
		{ "<span style=\"color:#fefefe\">w</span>", "", "SAME_COLOR:w" },
		{ "<span style=\"color:#f8f8f8\">w</span>", "", "SAME_COLOR:w" },
		{ "<span style=\"color:#f0f0f0\">w</span>", "w", "" },
		{ "<span style=\"color:hsl(0, 0%, 100%)\">w</span>", "", "SAME_COLOR:w" },
		{ "<span style=\"color:hsl(120deg 100% 25%)\">g</span>", "g", "" },
		{ "<span style=\"color:transparent\">t</span>", "", "SAME_COLOR:t" },
		{ "<span style=\"color:rgba(0,0,0,0.05)\">t</span>", "", "SAME_COLOR:t" },
		{ "<span style=\"color:#0000\">t</span>", "", "SAME_COLOR:t" },
		{ "<font color=\"ffffff\">legacy</font>", "", "SAME_COLOR:legacy" },
		{ "<font color=\"fff\">legacy</font>", "legacy", "" },
		{ "<font color=\"#FFF\">legacy</font>", "", "SAME_COLOR:legacy" },
		{ "<body bgcolor=black><font color=#000001>b</font></body>", "", "SAME_COLOR:b" },
		{ "<body text=\"white\">all white</body>", "", "SAME_COLOR:all white" },
		{ "<div style=\"background:#000\"><span style=\"color:#fff\">on dark</span></div>", "on dark", "" },
		{ "<table><tr><td bgcolor=\"#ff0000\"><font color=red>r</font></td></tr></table>", "", "SAME_COLOR:r" },
		{ "<td style=\"background-color:rgba(0,0,0,0)\"><font color=white>w</font>", "", "SAME_COLOR:w" },
		{ "<td background=\"x.jpg\" style=\"color:#fff\">image behind</td>", "image behind", "" },
		{ "<div style=\"background:url(x.png) #fff\"><font color=white>w</font></div>", "w", "" },
		{ "<div style=\"background:linear-gradient(red,blue)\"><font color=white>w</font></div>", "w", "" },
		{ "<a href=x style=\"color:#fff\">white link</a>", "", "SAME_COLOR:white link" },
		{ "<font color=white><a href=x>blue link</a></font>", "blue link", "" },
		{ "<div style=\"position:absolute;left:-9999px\">off</div>", "", "OFFSCREEN:off" },
		{ "<div style=\"position:fixed;top:-10000px\">off</div>", "", "OFFSCREEN:off" },
		{ "<div style=\"position:absolute;left:-500px\">near</div>", "near", "" },
		{ "<div style=\"left:-9999px\">static</div>", "static", "" },
		{ "<div style=\"text-indent:-9999px\">off</div>", "", "OFFSCREEN:off" },
		{ "<div style=\"margin-left:-2000px\">off</div>", "", "OFFSCREEN:off" },
		{ "<div style=\"margin:0 0 0 -100em\">off</div>", "", "OFFSCREEN:off" },
		{ "<div style=\"height:0;overflow:hidden\">z</div>", "", "ZERO_SIZE:z" },
		{ "<div style=\"max-height:0px;overflow:hidden\">z</div>", "", "ZERO_SIZE:z" },
		{ "<div style=\"width:1px;height:1px;overflow:hidden\">z</div>", "", "ZERO_SIZE:z" },
		{ "<div style=\"height:0\">overflows</div>", "overflows", "" },
		{ "<span style=\"font-size:0;line-height:0\">z</span>", "", "FONT_SIZE+ZERO_SIZE:z" },
		{ "<span style=\"font:0/0 a\">z</span>", "", "FONT_SIZE+ZERO_SIZE:z" },
		{ "<span style=\"font:bold 12px/0 Arial\">line height only</span>", "line height only", "" },
		{ "Pay\xe2\x80\x8bPal", "PayPal", "ZERO_WIDTH:\xe2\x80\x8b" },
		{ "Pay&#8203;Pal &ZeroWidthSpace;x", "PayPal x", "ZERO_WIDTH:\xe2\x80\x8b" },
		{ "V&shy;i&shy;a", "Via", "ZERO_WIDTH:\xc2\xad\xc2\xad" },
		{ "P&zwnj;&zwj;&#x2060;&#xFEFF;ay", "Pay",
		  "ZERO_WIDTH:\xe2\x80\x8c\xe2\x80\x8d\xe2\x81\xa0\xef\xbb\xbf" },
		{ "word \xe2\x80\x8b word\xe2\x80\x8b", "word word", "" },
		{ "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9", "\xf0\x9f\x91\xa8\xf0\x9f\x91\xa9", "" },
		{ "abc\xe2\x80\xae" "def", "abcdef", "BIDI:\xe2\x80\xae" },
		{ "&#x2066;x&#x2069;", "x", "BIDI:\xe2\x81\xa6\xe2\x81\xa9" },
		{ "Pay<!-- x -->Pal", "PayPal", "COMMENT:x" },
		{ "Pay <!-- x --> Pal", "Pay Pal", "" },
		{ "Pay<!---->Pal", "PayPal", "COMMENT:" },
		{ "Pay<!-- a --><b>Pal</b>", "PayPal", "COMMENT:a" },
		{ "Pay<!-- a --></p>Pal", "Pay\nPal", "" },
	};

	run_text_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* Inheritance, overrides, declaration order, CSS syntax corners. */
static void
test_hiding_inheritance(void **state)
{
	static const struct text_case cases[] = {
		{ "<div style=\"display:none\"><p>a<span style=\"display:block\">b</span></p></div>c",
		  "c", "DISPLAY_NONE:a b" },
		{ "<div style=\"visibility:hidden\">h<span style=\"visibility:visible\">v</span></div>",
		  "v", "VISIBILITY:h" },
		{ "<span style=\"display:none\">h</span><span>v</span>", "v", "DISPLAY_NONE:h" },
		{ "<div style=\"display:none\"><span style=\"color:#fff\">x</span></div>", "",
		  "DISPLAY_NONE+SAME_COLOR:x" },
		{ "<div style=\"opacity:0\"><span style=\"opacity:1\">still</span></div>", "", "OPACITY:still" },
		{ "<div style=\"display:none\">a</div>b<div style=\"display:none\">c</div>", "b",
		  "DISPLAY_NONE:a|DISPLAY_NONE:c" },
		{ "Hel<span style=\"display:none\">xx</span>lo", "Hello", "DISPLAY_NONE:xx" },
		{ "A<span style=\"color:white\"> x </span>B", "A B", "SAME_COLOR:x" },
		{ "<p><font color=\"#ffffff\">a</p>b", "", "SAME_COLOR:a b" },
		{ "<p><font color=\"#ffffff\">a</font></p>b", "b", "SAME_COLOR:a" },
		{ "<b><i>x</b>y", "xy", "" },
		{ "<table><tr><td><font color=white>a</td><td>b</td></tr></table>", "b", "SAME_COLOR:a" },
		{ "<div style=\"display:none\">never closed", "", "DISPLAY_NONE:never closed" },
		{ "<span style=\"display:none\">a</div>b</span>c", "c", "DISPLAY_NONE:ab" },
		{ "<span style=\"display:none !important;display:inline\">i</span>", "", "DISPLAY_NONE:i" },
		{ "<span style=\"display:none;display:inline\">s</span>", "s", "" },
		{ "<span style=\"display:inline;display:none\">s</span>", "", "DISPLAY_NONE:s" },
		{ "<span style=\"display:none ! important\">i</span>", "", "DISPLAY_NONE:i" },
		{ "<span style=\"display:/*x*/none\">c</span>", "", "DISPLAY_NONE:c" },
		{ "<span style=\"/* a;b:c */display:none\">c</span>", "", "DISPLAY_NONE:c" },
		{ "<span style=\"disp\\6c ay:none\">e</span>", "", "DISPLAY_NONE:e" },
		{ "<span style=\"display&#58;none\">ent</span>", "", "DISPLAY_NONE:ent" },
		{ "<SPAN STYLE=\"Display: None\">u</SPAN>", "", "DISPLAY_NONE:u" },
		{ "<span style='font-family:\"a;b\";display:none'>q</span>", "", "DISPLAY_NONE:q" },
		{ "<span style=\"display\">d</span><span style=\":none\">e</span>", "de", "" },
		{ "<div style=display:none>unquoted</div>", "", "DISPLAY_NONE:unquoted" },
		{ "<body><title>Hidden title</title>x", "x", "DISPLAY_NONE:Hidden title" },
		{ "<div style=\"display:none\">a &zwnj;&nbsp;&zwnj;&nbsp; b&#x202e;</div>", "",
		  "DISPLAY_NONE:a b" },
	};

	run_text_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* Backgrounds set by <style> rules make the colour rule step aside. */
static void
test_sheet_backgrounds(void **state)
{
	static const struct text_case cases[] = {
		{ "<style>.btn{background:#0070ba}</style><a href=x class=\"big btn\" "
		  "style=\"color:#fff\">Go</a>", "Go", "" },
		{ "<style>#hero{background-image:url(x.jpg)}</style><table><tr><td id=hero>"
		  "<font color=white>Hi</font></td></tr></table>", "Hi", "" },
		{ "<style>TD { Background : #000 }</style><table><tr><td style=color:#fff>x</td></tr></table>",
		  "x", "" },
		{ "<style>.other{background:#000}</style><span class=x style=color:#fff>w</span>", "",
		  "SAME_COLOR:w" },
		{ "<style>.a .b > .c{background:red}</style><span class=c style=color:#fff>c</span>"
		  "<span class=a style=color:#fff>a</span>", "c", "SAME_COLOR:a" },
		{ "<style>p, .m:first-child {background:red}</style><span class=m style=color:#fff>m</span>",
		  "m", "" },
		{ "<style>a:hover, .h:focus {background:red}</style><a href=x class=h style=color:#fff>h</a>",
		  "", "SAME_COLOR:h" },
		{ "<style>@media screen{.m{background:red}}</style><span class=m style=color:#fff>m</span>",
		  "m", "" },
		{ "<style>@font-face{src:url(f.woff)} .f{background:red}</style>"
		  "<span class=f style=color:#fff>f</span>", "f", "" },
		{ "<style>.x{color:red;border:1px}</style><span class=x style=color:#fff>w</span>", "",
		  "SAME_COLOR:w" },
		{ "<style>.x{content:'background: none'}</style><span class=x style=color:#fff>w</span>",
		  "w", "" },
		{ "<style>.btn{background:#000}</style><div class=btn><span style=\"background:#fff;"
		  "color:#fff\">w</span></div>", "", "SAME_COLOR:w" },
		{ "<style>*{background:none}</style><span style=color:#fff>any</span>", "any", "" },
		{ "<style>.b{background:red}</style><span class=b style=\"display:none\">still hidden</span>",
		  "", "DISPLAY_NONE:still hidden" },
	};

	run_text_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

struct item_case {
	const char	*html;
	const char	*want;		/* items as item_desc writes them */
};

/* L href>text; I src alt WxH; F action method inputs/password; C url */
static void
item_desc(const struct mime_html *h, char *out, size_t max)
{
	size_t n = 0, i;

	out[0] = '\0';
	for (i = 0; i < h->nlinks && n < max; i++)
		n += (size_t)snprintf(out + n, max - n, "L %s>%s;", h->links[i].href,
		    h->links[i].text);
	for (i = 0; i < h->nimages && n < max; i++)
		n += (size_t)snprintf(out + n, max - n, "I %s %s %ux%u;", h->images[i].src,
		    h->images[i].alt, h->images[i].width, h->images[i].height);
	for (i = 0; i < h->nforms && n < max; i++)
		n += (size_t)snprintf(out + n, max - n, "F %s %s %u/%u;", h->forms[i].action,
		    h->forms[i].method, h->forms[i].inputs, h->forms[i].password_fields);
	for (i = 0; i < h->ncss_urls && n < max; i++)
		n += (size_t)snprintf(out + n, max - n, "C %s;", h->css_urls[i]);
}

static void
test_items(void **state)
{
	static const struct item_case cases[] = {
		{ "<a href=\"http://a.example/x?a=1&amp;b=2\">Click <b>here</b></a>",
		  "L http://a.example/x?a=1&b=2>Click here;" },
		{ "<a href=\"http://a.example/?x=1&copy=2&lt=3\">q</a>",
		  "L http://a.example/?x=1&copy=2&lt=3>q;" },
		{ "<a HREF=\" \n http://a.example/\n\tpath \">x</a>", "L http://a.example/path>x;" },
		{ "<a href=\"java&#x0A;script:alert(1)\">j</a>", "L javascript:alert(1)>j;" },
		{ "<a name=top>anchor</a>", "" },
		{ "<a href=a>one<a href=b>two</a>", "L a>one;L b>two;" },
		{ "<p><a href=a>one</p>two</a>", "L a>one;" },
		{ "<a href=x>\n  line<br>break  \n</a>", "L x>line break;" },
		{ "<a href=x><img src=y alt=z></a>", "L x>;I y z 0x0;" },
		{ "<div style=display:none><a href=h>hidden link</a></div>", "L h>;" },
		{ "<a href=x>a<span style=\"color:#fff\">HIDDEN</span>b</a>", "L x>ab;" },
		{ "<map><area href=map alt=m></map>", "L map>;" },
		{ "<meta http-equiv=\"Refresh\" content=\"0; URL='https://r.example/'\">",
		  "L https://r.example/>;" },
		{ "<meta http-equiv=refresh content=\"5;https://r.example/b\">", "L https://r.example/b>;" },
		{ "<meta http-equiv=refresh content=\"5\">", "" },
		{ "<iframe src=\"https://f.example/\"></iframe><script src=s.js></script><embed src=e>"
		  "<object data=o></object><link rel=stylesheet href=l.css>",
		  "L https://f.example/>;L s.js>;L e>;L o>;L l.css>;" },
		{ "<img src=\"cid:logo@x\" alt=\"Logo &amp; co\" width=\"120\" height=\"60px\">",
		  "I cid:logo@x Logo & co 120x60;" },
		{ "<img src=data:image/png;base64,AAAA width=50%>", "I data:image/png;base64,AAAA  0x0;" },
		{ "<img src=p.gif style=\"width:1px;height:1px\">", "I p.gif  1x1;" },
		{ "<img src=p.gif width=3 style=\"width:100px;height:2px\">", "I p.gif  3x2;" },
		{ "<img alt=x>", "" },
		{ "<table background=\"bg.jpg\"><tr><td>x</td></tr></table>", "I bg.jpg  0x0;" },
		{ "<input type=image src=btn.png>", "I btn.png  0x0;" },
		{ "<form action=\"https://p.example/login.php\" method=\"POST\"><input name=u>"
		  "<input type=password name=p><input type=HIDDEN name=t><input type=submit>"
		  "<select></select><textarea></textarea></form>",
		  "F https://p.example/login.php post 4/1;" },
		{ "<form><input></form><input type=password>", "F  get 1/0;" },
		{ "<form action=a><form action=b><input></form><input>", "F a get 1/0;" },
		{ "<div style=\"background:url(&quot;https://i.example/a.png&quot;)\">x</div>",
		  "C https://i.example/a.png;" },
		{ "<style>@import 'x.css'; .a{background:url( b.png )} .b{src:URL(c.woff)}</style>",
		  "C b.png;C c.woff;C x.css;" },
		{ "<p style=\"background-image:url()\">empty</p>", "" },
	};
	char got[DESC_MAX];
	unsigned failed = 0;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mg_arena *a = mg_arena_new(4096, 0);
		struct mime_html *h = analyze(a, cases[i].html, strlen(cases[i].html), NULL);

		item_desc(h, got, sizeof(got));
		if (strcmp(got, cases[i].want) != 0) {
			print_error("case %zu: %s\n  got  \"%s\"\n  want \"%s\"\n", i, cases[i].html,
			    got, cases[i].want);
			failed++;
		}
		mg_arena_free(a);
	}
	if (failed)
		fail_msg("%u item cases failed", failed);
}

/* A typical newsletter: preheader hidden, layout tables, a white button on
 * a coloured cell, a footer on a background image. */
static void
test_newsletter(void **state)
{
	static const char html[] =
	    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Weekly</title>\n"
	    "<style>@media only screen and (max-width:600px){.hide{display:none!important}}</style>\n"
	    "</head><body bgcolor=\"#f4f4f4\" style=\"margin:0\">\n"
	    "<div style=\"display:none;max-height:0;overflow:hidden;mso-hide:all\">50% off this "
	    "week &zwnj;&nbsp;&zwnj;&nbsp;</div>\n"
	    "<table width=\"100%\"><tr><td align=\"center\">\n"
	    "<table width=\"600\" bgcolor=\"#ffffff\"><tr><td style=\"color:#333333;font-size:16px\">\n"
	    "<h1 style=\"font-size:24px\">Hello Jane,</h1>\n"
	    "<p>Thanks for being a member.<br>Here are this week&#39;s picks:</p>\n"
	    "<ul><li>Item one<li>Item two</ul>\n"
	    "<table><tr><td bgcolor=\"#0066cc\"><a href=\"https://shop.example/deals?a=1&amp;b=2\" "
	    "style=\"color:#ffffff;text-decoration:none\">Shop now</a></td></tr></table>\n"
	    "</td></tr><tr><td style=\"font-size:12px;color:#ffffff\" background=\"https://cdn.example/bg.jpg\">"
	    "You subscribed. <a href=\"https://shop.example/unsub\">Unsubscribe</a></td></tr>\n"
	    "</table></td></tr></table>\n"
	    "<img src=\"https://t.example/o.gif\" width=\"1\" height=\"1\" alt=\"\">\n</body></html>\n";
	static const char want_visible[] =
	    "Hello Jane,\nThanks for being a member.\nHere are this week's picks:\nItem one\n"
	    "Item two\nShop now\nYou subscribed. Unsubscribe";
	struct mg_arena *a = mg_arena_new(4096, 0);
	struct mime_html *h = analyze(a, html, sizeof(html) - 1, NULL);
	char got[DESC_MAX];

	if (strcmp(h->visible, want_visible) != 0)
		fail_msg("visible got \"%s\", want \"%s\"", h->visible, want_visible);
	hidden_desc(h, got, sizeof(got));
	if (strcmp(got, "DISPLAY_NONE+ZERO_SIZE:50% off this week") != 0)
		fail_msg("hidden got \"%s\"", got);
	item_desc(h, got, sizeof(got));
	if (strcmp(got, "L https://shop.example/deals?a=1&b=2>Shop now;L https://shop.example/unsub>"
	    "Unsubscribe;I https://cdn.example/bg.jpg  0x0;I https://t.example/o.gif  1x1;") != 0)
		fail_msg("items got \"%s\"", got);
	assert_int_equal(h->hidden_chars, 14);	/* letters, not spaces */
	assert_false(h->truncated);
	mg_arena_free(a);
}

static void
test_names_and_tables(void **state)
{
	static const char *const want[HTML_HID_COUNT] = {
		"DISPLAY_NONE", "VISIBILITY", "FONT_SIZE", "OPACITY", "SAME_COLOR",
		"OFFSCREEN", "ZERO_SIZE", "ZERO_WIDTH", "BIDI", "COMMENT",
	};
	uint32_t hash, hash2;
	unsigned i;

	for (i = 0; i < HTML_HID_COUNT; i++)
		assert_string_equal(html_hidden_name(1u << i), want[i]);
	assert_null(html_hidden_name(0));
	assert_null(html_hidden_name(3));
	assert_null(html_hidden_name(1u << HTML_HID_COUNT));
	/* the tag table is sorted: every name finds itself */
	for (i = 0; i < T_UNKNOWN; i++)
		if (html__tag_lookup(html__tag_name(i), strlen(html__tag_name(i)), &hash) != i)
			fail_msg("tag %s not found at %u", html__tag_name(i), i);
	assert_int_equal(html__tag_lookup("DiV", 3, &hash), T_DIV);
	assert_int_equal(html__tag_lookup("x-custom", 8, &hash), T_UNKNOWN);
	assert_int_equal(html__tag_lookup("X-CUSTOM", 8, &hash2), T_UNKNOWN);
	assert_int_equal(hash, hash2);
}

/* Every limit cuts cleanly and says so. */
static void
test_limits(void **state)
{
	struct html_limits lim;
	struct mg_arena *a = mg_arena_new(4096, 0);
	struct mime_html *h;
	char buf[1024];
	size_t n = 0;
	int i;

	html_limits_default(&lim);
	assert_int_equal(lim.max_input, 8u << 20);
	assert_int_equal(lim.max_text, 2u << 20);
	assert_int_equal(lim.max_depth, 256);
	assert_int_equal(lim.max_items, 4096);

	lim.max_text = 10;
	h = analyze(a, "0123456789 abcdefghij <i style=display:none>0123456789abc</i>", 61, &lim);
	check_invariants(h, &lim);
	assert_string_equal(h->visible, "0123456789");
	assert_true(h->truncated);
	assert_int_equal(h->nhidden, 1);
	assert_true(h->hidden[0].len <= 10);

	html_limits_default(&lim);
	lim.max_items = 2;
	h = analyze(a, "<a href=1>a</a><a href=2>b</a><a href=3>c</a>", 45, &lim);
	check_invariants(h, &lim);
	assert_int_equal(h->nlinks, 2);
	assert_true(h->truncated);

	html_limits_default(&lim);
	lim.max_depth = 4;
	for (i = 0; i < 10; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "<div>");
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "deep");
	h = analyze(a, buf, n, &lim);
	check_invariants(h, &lim);
	assert_string_equal(h->visible, "deep");
	assert_true(h->truncated);

	html_limits_default(&lim);
	lim.max_input = 5;
	h = analyze(a, "Hello world", 11, &lim);
	assert_string_equal(h->visible, "Hello");
	assert_true(h->truncated);

	h = analyze(a, NULL, 0, NULL);
	assert_string_equal(h->visible, "");
	assert_false(h->truncated);

	/* NUL is dropped from text */
	h = analyze(a, "a\0b", 3, NULL);
	assert_string_equal(h->visible, "ab");
	mg_arena_free(a);

	/* an arena that cannot hold the result: NULL */
	memset(buf, 'x', sizeof(buf));
	a = mg_arena_new(1024, 2048);
	assert_null(html_analyze(a, buf, sizeof(buf), NULL));
	mg_arena_free(a);
	a = mg_arena_new(1024, 4096);
	assert_non_null(html_analyze(a, buf, sizeof(buf), NULL));
	mg_arena_free(a);
}

static char *
repeat(const char *unit, size_t times, const char *tail)
{
	size_t ul = strlen(unit), tl = strlen(tail), i;
	char *s = malloc(ul * times + tl + 1);

	assert_non_null(s);
	for (i = 0; i < times; i++)
		memcpy(s + i * ul, unit, ul);
	memcpy(s + ul * times, tail, tl + 1);
	return s;
}

/* Hostile shapes: each must end, linearly, within the limits. */
static void
test_hostile(void **state)
{
	static const struct { const char *head, *unit; size_t times; const char *tail; } cases[] = {
		{ "", "<", 1u << 20, "" },
		{ "", "<div>", 100000, "text" },
		{ "", "</div>", 100000, "text" },
		{ "<p title=\"", "a", 1u << 20, "\">x" },
		{ "<a href=\"", "&amp;", 200000, "\">x</a>" },
		{ "<!--", "-", 1u << 20, "" },
		{ "<script>", "<", 1u << 20, "" },
		{ "", "<p><b><i><u><s><font color=white>", 20000, "x" },
		{ "<span><table>", "<div>", 250, "" },
		{ "", "&", 1u << 20, "" },
		{ "", "Pay<!---->", 100000, "Pal" },
		{ "", "x\xe2\x80\x8b", 300000, "" },
		{ "", "<a href=x>", 100000, "" },
		{ "", "<span style=\"", 1000, "" },
		{ "", "<x-a>", 300, "</x-b></x-b></x-b>" },
		{ "<div style=\"", "font:0/0 a;color:rgb(1,2,3);background:url(x) ", 20000, "\">y" },
	};
	struct html_limits lim;
	size_t i;

	html_limits_default(&lim);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *body = repeat(cases[i].unit, cases[i].times, cases[i].tail);
		size_t hl = strlen(cases[i].head), bl = strlen(body);
		char *in = malloc(hl + bl + 1);
		struct mg_arena *a = mg_arena_new(64 * 1024, 0);
		struct mime_html *h;

		assert_non_null(in);
		memcpy(in, cases[i].head, hl);
		memcpy(in + hl, body, bl + 1);
		h = analyze(a, in, hl + bl, &lim);
		check_invariants(h, &lim);
		mg_arena_free(a);
		free(body);
		free(in);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_visible_structure),
		cmocka_unit_test(test_entities),
		cmocka_unit_test(test_hiding_rules),
		cmocka_unit_test(test_hiding_inheritance),
		cmocka_unit_test(test_sheet_backgrounds),
		cmocka_unit_test(test_items),
		cmocka_unit_test(test_newsletter),
		cmocka_unit_test(test_names_and_tables),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
