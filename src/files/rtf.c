/* The RTF scanner (rtf.h): one pass over the bytes, groups tracked by
 * depth only, the \objdata and \objclass destinations collected for the
 * object being read. Hex digits are taken wherever they appear inside
 * \objdata (exploits pad it with control words and groups), as Word does. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "files/rtf.h"

#define RTF_WORD_KEEP	32	/* letters of a control word compared */

/* The Equation Editor 3.0 CLSID {0002CE02-0000-0000-C000-000000000046}
 * as stored in an OLE file (CVE-2017-11882, CVE-2018-0802). */
static const uint8_t rtf_eqn_clsid[16] = {
	0x02, 0xce, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46,
};

enum rtf_dest { D_NONE, D_OBJDATA, D_OBJCLASS };

struct rtf_ctx {
	const struct rtf_limits *lim;
	struct rtf_report *r;
	unsigned	 depth;
	enum rtf_dest	 dest;
	unsigned	 dest_depth;	/* the destination lasts while depth >= this */
	struct rtf_object *cur;		/* object being read, or NULL */
	uint8_t		*data;		/* decoded \objdata of cur */
	size_t		 ndata;
	int		 nibble;	/* pending high nibble, or -1 */
	size_t		 nclass;	/* bytes of \objclass text in cur->class_name */
};

void
rtf_limits_default(struct rtf_limits *l)
{
	l->max_input = 64u << 20;
	l->max_objdata = 4u << 20;
	l->deep_groups = 256;
	l->long_word = 32;
}

bool
rtf_detect(const uint8_t *data, size_t len)
{
	return len >= 4 && memcmp(data, "{\\rt", 4) == 0;
}

static int
rtf_hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static uint32_t
rtf_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* Reads the OLE1 ObjectHeader (version, format, class name) of the
 * decoded data and looks for the Equation Editor CLSID in it. */
static void
rtf_object_end(struct rtf_ctx *c)
{
	struct rtf_object *o = c->cur;
	const uint8_t *d = c->data;
	size_t n = c->ndata;

	if (o == NULL)
		return;
	if (o->flags & RTF_O_DATA) {
		o->data_len = n;
		uint32_t cl = n >= 12 ? rtf_le32(d + 8) : 0;
		if (cl > 1 && cl < RTF_CLASS_MAX && n >= 12 + (size_t)cl) {
			memcpy(o->class_name, d + 12, cl);
			o->class_name[cl] = '\0';
		}
		if (n >= 16 && memmem(d, n, rtf_eqn_clsid, sizeof(rtf_eqn_clsid)) != NULL)
			o->flags |= RTF_O_EQUATION;
	}
	if (strncasecmp(o->class_name, "Equation.3", 10) == 0)
		o->flags |= RTF_O_EQUATION;
	c->r->flags |= o->flags;
}

/* A new object (\object, or \objdata outside one). */
static void
rtf_object_new(struct rtf_ctx *c)
{
	struct rtf_report *r = c->r;

	rtf_object_end(c);
	c->ndata = 0;
	c->nibble = -1;
	c->nclass = 0;
	r->total_objects++;
	if (r->nobjects < RTF_MAX_OBJECTS) {
		c->cur = &r->objects[r->nobjects++];
	} else {
		c->cur = NULL;
		r->limit = true;
	}
}

static void
rtf_set_flag(struct rtf_ctx *c, unsigned flag)
{
	if (c->cur == NULL)
		rtf_object_new(c);
	if (c->cur != NULL) {
		c->cur->flags |= flag;
		c->r->flags |= flag;
	}
}

static void
rtf_control_word(struct rtf_ctx *c, const char *w)
{
	if (strcmp(w, "object") == 0) {
		rtf_object_new(c);
	} else if (strcmp(w, "objupdate") == 0) {
		rtf_set_flag(c, RTF_O_UPDATE);
	} else if (strcmp(w, "objemb") == 0) {
		rtf_set_flag(c, RTF_O_EMBED);
	} else if (strcmp(w, "objocx") == 0) {
		rtf_set_flag(c, RTF_O_OCX);
	} else if (strcmp(w, "objlink") == 0 || strcmp(w, "objautlink") == 0) {
		rtf_set_flag(c, RTF_O_LINK);
	} else if (strcmp(w, "objdata") == 0 || strcmp(w, "objclass") == 0) {
		bool data = w[3] == 'd';
		if (c->cur == NULL || (data && (c->cur->flags & RTF_O_DATA)))
			rtf_object_new(c);
		if (c->cur == NULL)
			return;
		if (data)
			c->cur->flags |= RTF_O_DATA;
		c->dest = data ? D_OBJDATA : D_OBJCLASS;
		c->dest_depth = c->depth;
	}
}

/* One byte of text in the current destination. */
static int
rtf_text(struct rtf_ctx *c, uint8_t ch)
{
	int v;

	if (c->cur == NULL)
		return 0;
	if (c->dest == D_OBJCLASS) {
		if (ch >= 0x20 && c->nclass + 1 < RTF_CLASS_MAX && c->ndata == 0) {
			c->cur->class_name[c->nclass++] = (char)ch;
			c->cur->class_name[c->nclass] = '\0';
		}
		return 0;
	}
	if ((v = rtf_hexval(ch)) < 0)
		return 0;
	if (c->nibble < 0) {
		c->nibble = v;
		return 0;
	}
	if (c->ndata >= c->lim->max_objdata) {
		c->r->limit = true;
	} else {
		if (c->data == NULL && (c->data = malloc(c->lim->max_objdata)) == NULL)
			return -MG_ENOMEM;
		c->data[c->ndata++] = (uint8_t)(c->nibble << 4 | v);
	}
	c->nibble = -1;
	return 0;
}

/* A control word or symbol at p[i] == '\\'; returns the index after it. */
static size_t
rtf_control(struct rtf_ctx *c, const uint8_t *p, size_t len, size_t i)
{
	char w[RTF_WORD_KEEP + 1];
	size_t n = 0, letters = 0;

	i++;
	if (i >= len)
		return len;
	if (!((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z'))
		return p[i] == '\'' ? (i + 3 < len ? i + 3 : len) : i + 1;
	for (; i < len && (p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z'; i++, letters++)
		if (n < RTF_WORD_KEEP)
			w[n++] = (char)p[i];
	w[n] = '\0';
	if (letters > c->lim->long_word)
		c->r->long_words++;
	long param = 0;
	size_t digits = 0;
	if (i < len && p[i] == '-')
		i++;
	for (; i < len && p[i] >= '0' && p[i] <= '9'; i++, digits++)
		if (param < 1000000000L)
			param = param * 10 + (p[i] - '0');
	if (digits > 10)
		c->r->long_words++;
	if (i < len && p[i] == ' ')
		i++;
	if (strcmp(w, "bin") == 0)		/* raw bytes: skipped */
		return (size_t)param < len - i ? i + (size_t)param : len;
	rtf_control_word(c, w);
	return i;
}

int
rtf_scan(const uint8_t *p, size_t len, const struct rtf_limits *lim, struct rtf_report *r)
{
	struct rtf_ctx c = { .lim = lim, .r = r, .nibble = -1 };
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (len > lim->max_input) {
		len = lim->max_input;
		r->limit = true;
	}
	for (size_t i = 0; i < len && rc == 0;) {
		uint8_t ch = p[i];
		if (ch == '{') {
			if (++c.depth > r->max_depth)
				r->max_depth = c.depth;
			i++;
		} else if (ch == '}') {
			if (c.depth > 0)
				c.depth--;
			if (c.dest != D_NONE && c.depth < c.dest_depth)
				c.dest = D_NONE;
			i++;
		} else if (ch == '\\') {
			i = rtf_control(&c, p, len, i);
		} else {
			if (c.dest != D_NONE)
				rc = rtf_text(&c, ch);
			i++;
		}
	}
	rtf_object_end(&c);
	free(c.data);
	return rc;
}
