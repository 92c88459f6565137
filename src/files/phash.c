/* dHash and pHash of grayscale images, and the list of known images they
 * are matched against (phash.h). Hand-written: a 64-bit hash is a few
 * dozen lines, and no packaged C library computes these exact hashes. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "files/phash.h"

#define DCT_SIDE	32	/* pHash thumbnail */
#define DCT_KEEP	8	/* lowest frequencies kept per axis */
#define LIST_LINE_MAX	1024
#define DHASH_FLAT	2.0	/* brighter by more than this: codec noise on flat areas is no edge */

/* n values at src[0], src[stride], ... averaged into m cells at out[0],
 * out[ostride], ... by exact area overlap, so that a resized image gives
 * the same thumbnail; cells finer than the input repeat its values. */
static void
phash_area(const double *src, size_t stride, unsigned n, unsigned m, double *out,
    size_t ostride)
{
	for (unsigned i = 0; i < m; i++) {
		double lo = (double)i * n / m, hi = (double)(i + 1) * n / m, s = 0, ws = 0;

		for (unsigned k = (unsigned)lo; k < n && k < hi; k++) {
			double a = k > lo ? k : lo, b = k + 1.0 < hi ? k + 1.0 : hi;
			s += (b - a) * src[k * stride];
			ws += b - a;
		}
		out[i * ostride] = ws > 0 ? s / ws : 0;
	}
}

/* img averaged over a tw x th grid into out (row after row): rows first
 * into tmp (img->h x tw), then columns; line holds img->w doubles. */
static void
phash_thumb(const struct image_gray *img, unsigned tw, unsigned th, double *line,
    double *tmp, double *out)
{
	for (unsigned y = 0; y < img->h; y++) {
		const uint8_t *row = img->px + (size_t)y * img->w;
		for (unsigned x = 0; x < img->w; x++)
			line[x] = row[x];
		phash_area(line, 1, img->w, tw, tmp + (size_t)y * tw, 1);
	}
	for (unsigned tx = 0; tx < tw; tx++)
		phash_area(tmp + tx, tw, img->h, th, out + tx, tw);
}

/* Bit i set when pixel i of a row of the 9 x 8 thumbnail t is brighter
 * than its right neighbour. */
static uint64_t
phash_dhash(const double *t)
{
	uint64_t h = 0;

	for (unsigned y = 0; y < 8; y++)
		for (unsigned x = 0; x < 8; x++)
			h = (h << 1) | (t[y * 9 + x] > t[y * 9 + x + 1] + DHASH_FLAT);
	return h;
}

static int
phash_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The 8 x 8 lowest frequencies of the 2-D DCT-II of the 32 x 32 thumbnail
 * (separable: rows, then columns), each bit set when above their median. */
static uint64_t
phash_phash(const double *t)
{
	double c[DCT_KEEP][DCT_SIDE], rows[DCT_SIDE][DCT_KEEP];
	double f[DCT_KEEP * DCT_KEEP], sorted[DCT_KEEP * DCT_KEEP], median;
	uint64_t h = 0;

	for (unsigned u = 0; u < DCT_KEEP; u++)
		for (unsigned x = 0; x < DCT_SIDE; x++)
			c[u][x] = cos((2.0 * x + 1.0) * u * M_PI / (2.0 * DCT_SIDE));
	for (unsigned y = 0; y < DCT_SIDE; y++)
		for (unsigned u = 0; u < DCT_KEEP; u++) {
			double s = 0;
			for (unsigned x = 0; x < DCT_SIDE; x++)
				s += t[y * DCT_SIDE + x] * c[u][x];
			rows[y][u] = s;
		}
	for (unsigned v = 0; v < DCT_KEEP; v++)
		for (unsigned u = 0; u < DCT_KEEP; u++) {
			double s = 0;
			for (unsigned y = 0; y < DCT_SIDE; y++)
				s += c[v][y] * rows[y][u];
			f[v * DCT_KEEP + u] = s;
		}
	memcpy(sorted, f, sizeof(f));
	qsort(sorted, DCT_KEEP * DCT_KEEP, sizeof(double), phash_cmp_double);
	median = (sorted[31] + sorted[32]) / 2;
	for (unsigned i = 0; i < DCT_KEEP * DCT_KEEP; i++)
		h = (h << 1) | (f[i] > median);
	return h;
}

int
phash_gray(const struct image_gray *img, struct image_hashes *out)
{
	double small[9 * 8], big[DCT_SIDE * DCT_SIDE], *line, *tmp;

	memset(out, 0, sizeof(*out));
	line = malloc(img->w * sizeof(double));
	tmp = malloc((size_t)img->h * DCT_SIDE * sizeof(double));
	if (line == NULL || tmp == NULL) {
		free(line);
		free(tmp);
		return -MG_ENOMEM;
	}
	phash_thumb(img, 9, 8, line, tmp, small);
	phash_thumb(img, DCT_SIDE, DCT_SIDE, line, tmp, big);
	out->dhash = phash_dhash(small);
	out->phash = phash_phash(big);
	free(line);
	free(tmp);
	return 0;
}

int
phash_image(const uint8_t *data, size_t len, struct image_hashes *out)
{
	struct image_gray img;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = image_decode(data, len, &img)) < 0)
		return rc;
	rc = phash_gray(&img, out);
	image_gray_free(&img);
	return rc;
}

unsigned
phash_distance(uint64_t a, uint64_t b)
{
	return (unsigned)__builtin_popcountll(a ^ b);
}

/* The next field of s[*i..len) separated by blanks, as [*start, *end). */
static int
list_field(const char *s, size_t len, size_t *i, size_t *start, size_t *end)
{
	while (*i < len && (s[*i] == ' ' || s[*i] == '\t'))
		(*i)++;
	*start = *i;
	while (*i < len && s[*i] != ' ' && s[*i] != '\t')
		(*i)++;
	*end = *i;
	return *end > *start;
}

/* Exactly 16 hex digits. */
static int
list_hex64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len != 16)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') :
		    c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) :
		    c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
		if (d == 16)
			return -1;
		v = (v << 4) | d;
	}
	*out = v;
	return 0;
}

/* A brand domain: letters, digits, '-' and '.', lower-cased into out. */
static int
list_domain(const char *s, size_t len, char *out)
{
	if (len == 0 || len > PHASH_DOMAIN_MAX || s[0] == '.' || s[len - 1] == '.' ||
	    memchr(s, '.', len) == NULL)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return -1;
		out[i] = c;
	}
	out[len] = '\0';
	return 0;
}

int
phash_list_parse_line(const char *s, size_t len, struct phash_entry *e, char *err,
    size_t errlen)
{
	size_t i = 0, a, b;

	memset(e, 0, sizeof(*e));
	while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (!list_field(s, len, &i, &a, &b) || s[a] == '#')
		return 0;
	if (list_hex64(s + a, b - a, &e->h.dhash) < 0)
		return snprintf(err, errlen, "dHash '%.*s' is not 16 hex digits",
		    (int)(b - a > 40 ? 40 : b - a), s + a), -1;
	if (!list_field(s, len, &i, &a, &b) || list_hex64(s + a, b - a, &e->h.phash) < 0)
		return snprintf(err, errlen, "pHash missing or not 16 hex digits"), -1;
	if (!list_field(s, len, &i, &a, &b))
		return snprintf(err, errlen, "category missing (phishing or logo)"), -1;
	if (b - a == 8 && memcmp(s + a, "phishing", 8) == 0)
		e->category = PHASH_PHISHING;
	else if (b - a == 4 && memcmp(s + a, "logo", 4) == 0)
		e->category = PHASH_LOGO;
	else
		return snprintf(err, errlen, "category '%.*s' is neither phishing nor logo",
		    (int)(b - a > 40 ? 40 : b - a), s + a), -1;
	if (e->category == PHASH_LOGO && (!list_field(s, len, &i, &a, &b) ||
	    list_domain(s + a, b - a, e->domain) < 0))
		return snprintf(err, errlen, "a logo needs its brand's domain name"), -1;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == len)
		return snprintf(err, errlen, "label missing"), -1;
	if (len - i > PHASH_LABEL_MAX)
		return snprintf(err, errlen, "label longer than %d bytes", PHASH_LABEL_MAX), -1;
	for (size_t k = i; k < len; k++)
		if ((unsigned char)s[k] < 0x20 || s[k] == 0x7f)
			return snprintf(err, errlen, "control character in the label"), -1;
	memcpy(e->label, s + i, len - i);
	return 1;
}

/* Appends e to l, growing it. 0 or -MG_ENOMEM. */
static int
list_add(struct phash_list *l, size_t *cap, const struct phash_entry *e)
{
	if (l->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct phash_entry *p = realloc(l->entries, ncap * sizeof(*p));
		if (p == NULL)
			return -MG_ENOMEM;
		l->entries = p;
		*cap = ncap;
	}
	l->entries[l->n++] = *e;
	return 0;
}

/* The lines of f into l; -1 with "PATH:LINE: reason" in err. */
static int
list_read(FILE *f, const char *path, struct phash_list *l, char *err, size_t errlen)
{
	char line[LIST_LINE_MAX + 2], why[160];
	struct phash_entry e;
	size_t cap = 0;
	unsigned lineno = 0;
	int rc;

	while (fgets(line, sizeof(line), f) != NULL) {
		size_t len = strlen(line);

		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(f))
			return snprintf(err, errlen, "%s:%u: line longer than %d bytes", path,
			    lineno, LIST_LINE_MAX), -1;
		if ((rc = phash_list_parse_line(line, len, &e, why, sizeof(why))) < 0)
			return snprintf(err, errlen, "%s:%u: %s", path, lineno, why), -1;
		if (rc == 0)
			continue;
		if (l->n == PHASH_LIST_MAX)
			return snprintf(err, errlen, "%s:%u: more than %d entries", path, lineno,
			    PHASH_LIST_MAX), -1;
		if (list_add(l, &cap, &e) < 0)
			return snprintf(err, errlen, "%s:%u: out of memory", path, lineno), -1;
	}
	if (ferror(f))
		return snprintf(err, errlen, "%s: %s", path, strerror(errno)), -1;
	return 0;
}

struct phash_list *
phash_list_load(const char *path, char *err, size_t errlen)
{
	struct phash_list *l;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
	} else if (list_read(f, path, l, err, errlen) < 0) {
		l = phash_list_free(l);
	}
	fclose(f);
	return l;
}

const struct phash_entry *
phash_list_match(const struct phash_list *l, const struct image_hashes *h,
    unsigned max_distance)
{
	const struct phash_entry *best = NULL;
	unsigned best_d = 2 * 64 + 1;

	for (size_t i = 0; l != NULL && i < l->n; i++) {
		unsigned dd = phash_distance(l->entries[i].h.dhash, h->dhash);
		unsigned pd = phash_distance(l->entries[i].h.phash, h->phash);

		if (dd <= max_distance && pd <= max_distance && dd + pd < best_d) {
			best = &l->entries[i];
			best_d = dd + pd;
		}
	}
	return best;
}

struct phash_list *
phash_list_free(struct phash_list *l)
{
	if (l != NULL) {
		free(l->entries);
		free(l);
	}
	return NULL;
}
