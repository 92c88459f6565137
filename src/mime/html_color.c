/* Colours of CSS and of HTML attributes: #rgb, #rrggbb (and with alpha),
 * rgb()/rgba(), hsl()/hsla(), the CSS named colours and 'transparent'; the
 * legacy reading browsers apply to bgcolor= and color= ("ff0000" without
 * '#', "fff" as #0f0f0f); blending and near-equality for hidden text. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "mime/html_int.h"

/* Weighted squared distance below which two colours look the same: about
 * 10 of 255 on every channel (docs/html.md). */
#define COLOR_NEAR_D2	900
#define LEGACY_MAX	128

struct named_color {
	const char	*name;
	uint32_t	 rgb;
};

/* The CSS named colours, sorted. */
static const struct named_color named_colors[] = {
	{ "aliceblue", 0xf0f8ff },
	{ "antiquewhite", 0xfaebd7 },
	{ "aqua", 0x00ffff },
	{ "aquamarine", 0x7fffd4 },
	{ "azure", 0xf0ffff },
	{ "beige", 0xf5f5dc },
	{ "bisque", 0xffe4c4 },
	{ "black", 0x000000 },
	{ "blanchedalmond", 0xffebcd },
	{ "blue", 0x0000ff },
	{ "blueviolet", 0x8a2be2 },
	{ "brown", 0xa52a2a },
	{ "burlywood", 0xdeb887 },
	{ "cadetblue", 0x5f9ea0 },
	{ "chartreuse", 0x7fff00 },
	{ "chocolate", 0xd2691e },
	{ "coral", 0xff7f50 },
	{ "cornflowerblue", 0x6495ed },
	{ "cornsilk", 0xfff8dc },
	{ "crimson", 0xdc143c },
	{ "cyan", 0x00ffff },
	{ "darkblue", 0x00008b },
	{ "darkcyan", 0x008b8b },
	{ "darkgoldenrod", 0xb8860b },
	{ "darkgray", 0xa9a9a9 },
	{ "darkgreen", 0x006400 },
	{ "darkgrey", 0xa9a9a9 },
	{ "darkkhaki", 0xbdb76b },
	{ "darkmagenta", 0x8b008b },
	{ "darkolivegreen", 0x556b2f },
	{ "darkorange", 0xff8c00 },
	{ "darkorchid", 0x9932cc },
	{ "darkred", 0x8b0000 },
	{ "darksalmon", 0xe9967a },
	{ "darkseagreen", 0x8fbc8f },
	{ "darkslateblue", 0x483d8b },
	{ "darkslategray", 0x2f4f4f },
	{ "darkslategrey", 0x2f4f4f },
	{ "darkturquoise", 0x00ced1 },
	{ "darkviolet", 0x9400d3 },
	{ "deeppink", 0xff1493 },
	{ "deepskyblue", 0x00bfff },
	{ "dimgray", 0x696969 },
	{ "dimgrey", 0x696969 },
	{ "dodgerblue", 0x1e90ff },
	{ "firebrick", 0xb22222 },
	{ "floralwhite", 0xfffaf0 },
	{ "forestgreen", 0x228b22 },
	{ "fuchsia", 0xff00ff },
	{ "gainsboro", 0xdcdcdc },
	{ "ghostwhite", 0xf8f8ff },
	{ "gold", 0xffd700 },
	{ "goldenrod", 0xdaa520 },
	{ "gray", 0x808080 },
	{ "green", 0x008000 },
	{ "greenyellow", 0xadff2f },
	{ "grey", 0x808080 },
	{ "honeydew", 0xf0fff0 },
	{ "hotpink", 0xff69b4 },
	{ "indianred", 0xcd5c5c },
	{ "indigo", 0x4b0082 },
	{ "ivory", 0xfffff0 },
	{ "khaki", 0xf0e68c },
	{ "lavender", 0xe6e6fa },
	{ "lavenderblush", 0xfff0f5 },
	{ "lawngreen", 0x7cfc00 },
	{ "lemonchiffon", 0xfffacd },
	{ "lightblue", 0xadd8e6 },
	{ "lightcoral", 0xf08080 },
	{ "lightcyan", 0xe0ffff },
	{ "lightgoldenrodyellow", 0xfafad2 },
	{ "lightgray", 0xd3d3d3 },
	{ "lightgreen", 0x90ee90 },
	{ "lightgrey", 0xd3d3d3 },
	{ "lightpink", 0xffb6c1 },
	{ "lightsalmon", 0xffa07a },
	{ "lightseagreen", 0x20b2aa },
	{ "lightskyblue", 0x87cefa },
	{ "lightslategray", 0x778899 },
	{ "lightslategrey", 0x778899 },
	{ "lightsteelblue", 0xb0c4de },
	{ "lightyellow", 0xffffe0 },
	{ "lime", 0x00ff00 },
	{ "limegreen", 0x32cd32 },
	{ "linen", 0xfaf0e6 },
	{ "magenta", 0xff00ff },
	{ "maroon", 0x800000 },
	{ "mediumaquamarine", 0x66cdaa },
	{ "mediumblue", 0x0000cd },
	{ "mediumorchid", 0xba55d3 },
	{ "mediumpurple", 0x9370db },
	{ "mediumseagreen", 0x3cb371 },
	{ "mediumslateblue", 0x7b68ee },
	{ "mediumspringgreen", 0x00fa9a },
	{ "mediumturquoise", 0x48d1cc },
	{ "mediumvioletred", 0xc71585 },
	{ "midnightblue", 0x191970 },
	{ "mintcream", 0xf5fffa },
	{ "mistyrose", 0xffe4e1 },
	{ "moccasin", 0xffe4b5 },
	{ "navajowhite", 0xffdead },
	{ "navy", 0x000080 },
	{ "oldlace", 0xfdf5e6 },
	{ "olive", 0x808000 },
	{ "olivedrab", 0x6b8e23 },
	{ "orange", 0xffa500 },
	{ "orangered", 0xff4500 },
	{ "orchid", 0xda70d6 },
	{ "palegoldenrod", 0xeee8aa },
	{ "palegreen", 0x98fb98 },
	{ "paleturquoise", 0xafeeee },
	{ "palevioletred", 0xdb7093 },
	{ "papayawhip", 0xffefd5 },
	{ "peachpuff", 0xffdab9 },
	{ "peru", 0xcd853f },
	{ "pink", 0xffc0cb },
	{ "plum", 0xdda0dd },
	{ "powderblue", 0xb0e0e6 },
	{ "purple", 0x800080 },
	{ "rebeccapurple", 0x663399 },
	{ "red", 0xff0000 },
	{ "rosybrown", 0xbc8f8f },
	{ "royalblue", 0x4169e1 },
	{ "saddlebrown", 0x8b4513 },
	{ "salmon", 0xfa8072 },
	{ "sandybrown", 0xf4a460 },
	{ "seagreen", 0x2e8b57 },
	{ "seashell", 0xfff5ee },
	{ "sienna", 0xa0522d },
	{ "silver", 0xc0c0c0 },
	{ "skyblue", 0x87ceeb },
	{ "slateblue", 0x6a5acd },
	{ "slategray", 0x708090 },
	{ "slategrey", 0x708090 },
	{ "snow", 0xfffafa },
	{ "springgreen", 0x00ff7f },
	{ "steelblue", 0x4682b4 },
	{ "tan", 0xd2b48c },
	{ "teal", 0x008080 },
	{ "thistle", 0xd8bfd8 },
	{ "tomato", 0xff6347 },
	{ "turquoise", 0x40e0d0 },
	{ "violet", 0xee82ee },
	{ "wheat", 0xf5deb3 },
	{ "white", 0xffffff },
	{ "whitesmoke", 0xf5f5f5 },
	{ "yellow", 0xffff00 },
	{ "yellowgreen", 0x9acd32 },
};

static bool
color_named(const char *s, size_t n, uint32_t *argb)
{
	char low[24];
	size_t lo = 0, hi = sizeof(named_colors) / sizeof(named_colors[0]), i;

	if (n == 0 || n >= sizeof(low))
		return false;
	for (i = 0; i < n; i++)
		low[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
	low[n] = '\0';
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(low, named_colors[mid].name);

		if (c == 0) {
			*argb = 0xff000000u | named_colors[mid].rgb;
			return true;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

int
html__hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* After '#': 3, 4, 6 or 8 hex digits. */
static bool
color_hex(const char *s, size_t n, uint32_t *argb)
{
	uint32_t v[8];
	size_t i;
	int d;

	if (n != 3 && n != 4 && n != 6 && n != 8)
		return false;
	for (i = 0; i < n; i++) {
		if ((d = html__hex_digit(s[i])) < 0)
			return false;
		v[i] = (uint32_t)d;
	}
	if (n <= 4) {
		*argb = (n == 4 ? v[3] * 17 : 255) << 24 | v[0] * 17 << 16 |
		    v[1] * 17 << 8 | v[2] * 17;
		return true;
	}
	*argb = (n == 8 ? v[6] << 4 | v[7] : 255) << 24 | (v[0] << 4 | v[1]) << 16 |
	    (v[2] << 4 | v[3]) << 8 | (v[4] << 4 | v[5]);
	return true;
}

static uint32_t
clamp255(float v)
{
	if (!(v > 0))
		return 0;
	return v >= 255 ? 255 : (uint32_t)(v + 0.5f);
}

/* Arguments of rgb() or hsl(): up to four numbers separated by commas,
 * spaces or '/'; angles are turned into degrees. -1 when malformed. */
static int
color_args(const char *p, const char *e, float v[4], bool pct[4])
{
	int n = 0;

	for (;;) {
		while (p < e && (*p == ' ' || *p == ',' || *p == '/'))
			p++;
		if (p >= e || *p == ')')
			return n;
		if (n == 4 || !html__number(&p, e, &v[n]))
			return -1;
		pct[n] = false;
		if (p < e && *p == '%') {
			pct[n] = true;
			p++;
		} else if (e - p >= 4 && memcmp(p, "turn", 4) == 0) {
			v[n] *= 360;
			p += 4;
		} else if (e - p >= 4 && memcmp(p, "grad", 4) == 0) {
			v[n] *= 0.9f;
			p += 4;
		} else if (e - p >= 3 && memcmp(p, "rad", 3) == 0) {
			v[n] *= 57.29578f;
			p += 3;
		} else if (e - p >= 3 && memcmp(p, "deg", 3) == 0) {
			p += 3;
		}
		n++;
	}
}

static uint32_t
alpha_arg(int n, const float v[4], const bool pct[4])
{
	if (n < 4)
		return 255;
	return clamp255((pct[3] ? v[3] / 100 : v[3]) * 255);
}

static bool
color_rgb(const char *p, const char *e, uint32_t *argb)
{
	float v[4];
	bool pct[4];
	uint32_t c[3];
	int n = color_args(p, e, v, pct), i;

	if (n < 3)
		return false;
	for (i = 0; i < 3; i++)
		c[i] = clamp255(pct[i] ? v[i] * 2.55f : v[i]);
	*argb = alpha_arg(n, v, pct) << 24 | c[0] << 16 | c[1] << 8 | c[2];
	return true;
}

static float
hue_channel(float m1, float m2, float h)
{
	if (h < 0)
		h += 1;
	if (h > 1)
		h -= 1;
	if (h * 6 < 1)
		return m1 + (m2 - m1) * h * 6;
	if (h * 2 < 1)
		return m2;
	if (h * 3 < 2)
		return m1 + (m2 - m1) * (2.0f / 3 - h) * 6;
	return m1;
}

static bool
color_hsl(const char *p, const char *e, uint32_t *argb)
{
	float v[4], h, s, l, m1, m2;
	bool pct[4];
	int n = color_args(p, e, v, pct);

	if (n < 3 || !(v[0] > -1e6f && v[0] < 1e6f))
		return false;
	h = v[0] / 360;
	h -= (float)(long)h;
	if (h < 0)
		h += 1;
	s = v[1] < 0 ? 0 : v[1] > 100 ? 1 : v[1] / 100;
	l = v[2] < 0 ? 0 : v[2] > 100 ? 1 : v[2] / 100;
	m2 = l <= 0.5f ? l * (s + 1) : l + s - l * s;
	m1 = l * 2 - m2;
	*argb = alpha_arg(n, v, pct) << 24 |
	    clamp255(hue_channel(m1, m2, h + 1.0f / 3) * 255) << 16 |
	    clamp255(hue_channel(m1, m2, h) * 255) << 8 |
	    clamp255(hue_channel(m1, m2, h - 1.0f / 3) * 255);
	return true;
}

/* A CSS colour value, already lower case and trimmed. */
bool
html__color_css(const char *s, size_t n, uint32_t *argb)
{
	const char *e = s + n;

	if (n > 0 && s[0] == '#')
		return color_hex(s + 1, n - 1, argb);
	if (n > 4 && memcmp(s, "rgb(", 4) == 0)
		return color_rgb(s + 4, e, argb);
	if (n > 5 && memcmp(s, "rgba(", 5) == 0)
		return color_rgb(s + 5, e, argb);
	if (n > 4 && memcmp(s, "hsl(", 4) == 0)
		return color_hsl(s + 4, e, argb);
	if (n > 5 && memcmp(s, "hsla(", 5) == 0)
		return color_hsl(s + 5, e, argb);
	if (n == 11 && memcmp(s, "transparent", 11) == 0) {
		*argb = 0;
		return true;
	}
	return color_named(s, n, argb);
}

/* The HTML "rules for parsing a legacy colour value" (bgcolor=, color=,
 * text=): whatever is written becomes some colour. */
bool
html__color_legacy(const char *s, size_t n, uint32_t *argb)
{
	char buf[LEGACY_MAX + 2];
	size_t len = 0, i, clen, L, off;
	uint32_t c[3];
	int k;

	while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
	    s[n - 1] == '\r' || s[n - 1] == '\f'))
		n--;
	if (n == 0 || (n == 11 && strncasecmp(s, "transparent", 11) == 0))
		return false;
	if (color_named(s, n, argb))
		return true;
	if (n == 4 && s[0] == '#' && color_hex(s + 1, 3, argb))
		return true;
	if (n > LEGACY_MAX)
		n = LEGACY_MAX;
	if (s[0] == '#')
		s++, n--;
	for (i = 0; i < n; i++)
		buf[len++] = html__hex_digit(s[i]) >= 0 ? s[i] : '0';
	while (len == 0 || len % 3 != 0)
		buf[len++] = '0';
	clen = len / 3;
	off = clen > 8 ? clen - 8 : 0;
	L = clen - off;
	while (L > 2 && buf[off] == '0' && buf[clen + off] == '0' &&
	    buf[2 * clen + off] == '0')
		off++, L--;
	for (k = 0; k < 3; k++) {
		const char *comp = buf + (size_t)k * clen + off;

		c[k] = L == 1 ? (uint32_t)html__hex_digit(comp[0]) :
		    (uint32_t)(html__hex_digit(comp[0]) << 4 | html__hex_digit(comp[1]));
	}
	*argb = 0xff000000u | c[0] << 16 | c[1] << 8 | c[2];
	return true;
}

/* top drawn over an opaque under. */
uint32_t
html__color_blend(uint32_t top, uint32_t under)
{
	uint32_t a = top >> 24, out = 0xff000000u;
	int shift;

	if (a == 255)
		return top;
	for (shift = 0; shift <= 16; shift += 8) {
		uint32_t t = top >> shift & 0xff, u = under >> shift & 0xff;

		out |= ((t * a + u * (255 - a) + 127) / 255) << shift;
	}
	return out;
}

bool
html__color_near(uint32_t x, uint32_t y)
{
	int dr = (int)(x >> 16 & 0xff) - (int)(y >> 16 & 0xff);
	int dg = (int)(x >> 8 & 0xff) - (int)(y >> 8 & 0xff);
	int db = (int)(x & 0xff) - (int)(y & 0xff);

	return 2 * dr * dr + 4 * dg * dg + 3 * db * db < COLOR_NEAR_D2;
}
