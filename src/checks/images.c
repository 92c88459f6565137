/* The images check (images.h). Each image is decoded once, for both its
 * hashes and its OCR; the message-level heuristics read the HTML analysis
 * (visible text, links, <img> elements) the MIME layer already made. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks/images.h"
#include "core/conf_bec.h"
#include "core/err.h"
#include "core/log.h"
#include "files/ocr.h"
#include "files/phash.h"
#include "mime/files.h"
#include "mime/html.h"
#include "mime/url.h"

#define IMAGES_LURE_MIN		2	/* distinct lure phrases for IMAGE_OCR_LURE */
#define IMAGES_TRACKER_SIDE	2	/* <img> this small is a tracking pixel */
#define IMAGES_OCR_POOL		4	/* tesseract handles shared by the threads */

static const struct symbol_def images_symbols[] = {
	CHECK_SYMBOL("IMAGE_KNOWN_PHISH", 10.0, PHISHING, QUARANTINE,
	    "an image of the message is on the list of known phishing images"),
	CHECK_SYMBOL("IMAGE_BRAND_LOGO", 4.0, PHISHING, ACCEPT,
	    "a listed brand logo in mail whose From domain is not the brand's"),
	CHECK_SYMBOL("IMAGE_ONLY", 1.5, SPAM, ACCEPT,
	    "the message shows images and almost no text"),
	CHECK_SYMBOL("IMAGE_SINGLE_LINK", 3.0, PHISHING, ACCEPT,
	    "an image-only message with exactly one link"),
	CHECK_SYMBOL("IMAGE_OCR_LURE", 5.5, PHISHING, ACCEPT,
	    "the text read in an image (OCR) is a phishing lure"),
};

CHECK_SYMBOLS_HOOK(images_defs, images_symbols)

/* Lower-case ASCII words; a phrase matches at the start of a word. */
static const char *const images_lures[] = {
	"password", "passcode", "verify", "verification", "suspended", "account locked",
	"account will be", "unusual activity", "invoice", "payment", "wire transfer",
	"scan the qr", "scan the code", "scan this code", "qr code", "bank", "login",
	"log in", "sign in", "confirm your", "update your", "expire", "mailbox is full",
	"storage is full", "unpaid", "refund", "tax return",
};
#define IMAGES_NLURES	(sizeof(images_lures) / sizeof(images_lures[0]))

struct images {
	struct phash_list *list;	/* NULL: no list */
	struct ocr	*ocr;		/* NULL: OCR off */
	unsigned	 max_distance, max_text, max_images, ocr_images;
};

struct images_walk {
	const struct images *im;
	struct mg_task	*t;
	const char	*from_domain;	/* NULL when From has no address */
	unsigned	 parts;		/* image attachments and inline images */
	unsigned	 decoded, read;	/* images hashed, images read by OCR */
};

static void
images_fini(void *state)
{
	struct images *im = state;

	if (im == NULL)
		return;
	phash_list_free(im->list);
	ocr_free(im->ocr);
	free(im);
}

static int
images_init(const struct mg_conf *conf, void **state, char *err, size_t errlen)
{
	const struct conf_images *c = &conf->engine.images;
	struct images *im;

	*state = NULL;
	if (!c->enabled)
		return 0;
	if ((im = calloc(1, sizeof(*im))) == NULL)
		return -MG_ENOMEM;
	im->max_distance = c->max_distance;
	im->max_text = c->max_text;
	im->max_images = c->max_images;
	im->ocr_images = c->ocr.max_images;
	if (c->hashes != NULL && (im->list = phash_list_load(c->hashes, err, errlen)) == NULL) {
		images_fini(im);
		return -MG_EINVAL;
	}
	if (c->ocr.enabled) {
		struct ocr_opts o = { .lang = c->ocr.lang, .datapath = c->ocr.datapath,
			.max_pixels = c->ocr.max_pixels, .pool = IMAGES_OCR_POOL };
		if ((im->ocr = ocr_new(&o, err, errlen)) == NULL) {
			images_fini(im);
			return -MG_EINVAL;
		}
	}
	*state = im;
	return 0;
}

unsigned
images_lure_phrases(const char *text, char *out, size_t outlen)
{
	size_t len = strlen(text), n = 1, used = 0;
	unsigned found = 0;
	char *norm;

	if (outlen > 0)
		out[0] = '\0';
	if ((norm = malloc(len + 3)) == NULL)
		return 0;
	norm[0] = ' ';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80))
			c = ' ';
		if (c != ' ' || norm[n - 1] != ' ')
			norm[n++] = (char)c;
	}
	norm[n] = '\0';
	for (size_t k = 0; k < IMAGES_NLURES; k++) {
		char word[32];
		snprintf(word, sizeof(word), " %s", images_lures[k]);
		if (strstr(norm, word) == NULL)
			continue;
		found++;
		if (used < outlen)
			used += (size_t)snprintf(out + used, outlen - used, "%s%s",
			    found > 1 ? ", " : "", images_lures[k]);
	}
	free(norm);
	return found;
}

/* The listed image nearest to h: IMAGE_KNOWN_PHISH, or IMAGE_BRAND_LOGO
 * unless From is the brand's domain or one of its subdomains. */
static int
images_listed(struct images_walk *w, const struct mime_file *f, const struct image_hashes *h)
{
	const struct phash_entry *e = phash_list_match(w->im->list, h, w->im->max_distance);
	char option[TASK_MAX_OPTION_LEN];
	const char *d = w->from_domain;
	size_t dl, bl;

	if (e == NULL)
		return 0;
	snprintf(option, sizeof(option), "%s: %s", f->name, e->label);
	if (e->category == PHASH_PHISHING)
		return mg_task_symbol_part(w->t, "IMAGE_KNOWN_PHISH", option, f->part);
	if (d != NULL) {
		dl = strlen(d);
		bl = strlen(e->domain);
		if (strcmp(d, e->domain) == 0 ||
		    (dl > bl && d[dl - bl - 1] == '.' && strcmp(d + dl - bl, e->domain) == 0))
			return 0;
	}
	return mg_task_symbol_part(w->t, "IMAGE_BRAND_LOGO", option, f->part);
}

/* Milliseconds left before the check's deadline: 0 for none, else at
 * least 1 and at most ten minutes (tesseract's deadline is an int). */
static unsigned
images_ms_left(const struct mg_task *t)
{
	uint64_t now = task_now(), end = t->check_deadline;

	if (end == UINT64_MAX)
		return 0;
	if (end <= now + 1000000)
		return 1;
	return (end - now) / 1000000 > 600000 ? 600000 : (unsigned)((end - now) / 1000000);
}

/* OCR of img and IMAGE_OCR_LURE with the phrases it holds. */
static int
images_read(struct images_walk *w, const struct mime_file *f, struct image_gray *img)
{
	char *text, phrases[TASK_MAX_OPTION_LEN], option[TASK_MAX_OPTION_LEN];
	uint64_t t0 = task_now();
	int rc;

	w->read++;
	rc = ocr_gray(w->im->ocr, img, images_ms_left(w->t), &text);
	log_debug("images ocr ms=%.1f w=%u h=%u rc=%d", (double)(task_now() - t0) / 1e6,
	    img->w, img->h, rc);
	if (text == NULL)
		return -MG_ENOMEM;
	rc = rc == -MG_ETIMEOUT ? rc : 0;	/* -MG_EIO: tesseract could not read it */
	if (images_lure_phrases(text, phrases, sizeof(phrases)) >= IMAGES_LURE_MIN) {
		snprintf(option, sizeof(option), "%s: %s", f->name, phrases);
		if (mg_task_symbol_part(w->t, "IMAGE_OCR_LURE", option, f->part) < 0)
			rc = -MG_ENOMEM;
	}
	free(text);
	return rc;
}

/* One attachment or archive member: hashed and read when it is an image.
 * An inline image without a file name is named by its Content-ID, as the
 * QR check names it. */
static int
images_file(const struct mime_file *fin, void *arg)
{
	struct images_walk *w = arg;
	const struct images *im = w->im;
	struct mime_file named;
	const struct mime_file *f = fin;
	struct image_gray img;
	struct image_hashes h;
	int rc;

	if (image_detect(f->data, f->len) == IMAGE_NONE)
		return 0;
	if (f->depth == 0 && f->part->filename == NULL && f->part->content_id != NULL) {
		named = *fin;
		snprintf(named.name, sizeof(named.name), "cid:%s", f->part->content_id);
		f = &named;
	}
	w->parts += f->depth == 0;
	if ((im->list == NULL && im->ocr == NULL) || w->decoded >= im->max_images)
		return 0;
	if (mg_task_expired(w->t))
		return -MG_ETIMEOUT;
	w->decoded++;
	if ((rc = image_decode(f->data, f->len, &img)) < 0)
		return rc == -MG_ENOMEM ? rc : 0;	/* corrupt or oversized: no image */
	if (im->list != NULL) {
		if ((rc = phash_gray(&img, &h)) == 0)
			rc = images_listed(w, f, &h);
	}
	if (rc == 0 && im->ocr != NULL && w->read < im->ocr_images)
		rc = images_read(w, f, &img);
	image_gray_free(&img);
	return rc;
}

/* Letters (code points other than white space and controls) of s. */
static size_t
images_letters(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		n += c > 0x20 && c != 0x7f && (c & 0xc0) != 0x80;
	}
	return n;
}

/* Whether href is an http(s) link. */
static bool
images_web_link(const char *href)
{
	return href != NULL && (strncasecmp(href, "http://", 7) == 0 ||
	    strncasecmp(href, "https://", 8) == 0);
}

/* What a reader sees: visible letters of the HTML parts (of the text
 * parts when there is no HTML), <img> elements that are not parts of the
 * message (remote or data:, tracking pixels left out) and the distinct
 * web links, the first of which is kept in *link. */
static void
images_view(const struct mime_msg *m, size_t *letters, unsigned *imgs, unsigned *links,
    const char **link)
{
	size_t html = 0, text = 0;

	*imgs = *links = 0;
	*link = NULL;
	for (size_t i = 0; i < m->nparts; i++) {
		const struct mime_part *p = m->parts[i];
		const struct mime_html *h = p->html;

		if (h == NULL) {
			if (!p->is_attachment && p->text != NULL && strcmp(p->type, "text") == 0)
				text += images_letters(p->text, p->text_len);
			continue;
		}
		html += 1 + images_letters(h->visible, h->visible_len);
		for (size_t k = 0; k < h->nimages; k++) {
			const struct html_image *im = &h->images[k];
			*imgs += im->src != NULL && strncasecmp(im->src, "cid:", 4) != 0 &&
			    !(im->width && im->width <= IMAGES_TRACKER_SIDE &&
			    im->height && im->height <= IMAGES_TRACKER_SIDE);
		}
		for (size_t k = 0; k < h->nlinks; k++) {
			const char *href = h->links[k].href;
			if (!images_web_link(href) || (*link && strcmp(*link, href) == 0))
				continue;
			if (*link == NULL)
				*link = href;
			(*links)++;
		}
	}
	*letters = html > 0 ? html - 1 : text;
	for (size_t i = 0; html == 0 && i < m->nurls; i++)
		if (m->urls[i].flags & URL_F_FROM_TEXT && images_web_link(m->urls[i].url)) {
			if (*link == NULL)
				*link = m->urls[i].url;
			(*links)++;
		}
}

/* IMAGE_ONLY and IMAGE_SINGLE_LINK. */
static int
images_only(struct images_walk *w)
{
	char option[64];
	const char *link;
	unsigned imgs, links;
	size_t letters;
	int rc;

	images_view(w->t->msg, &letters, &imgs, &links, &link);
	imgs += w->parts;
	if (imgs == 0 || letters > w->im->max_text)
		return 0;
	snprintf(option, sizeof(option), "images %u letters %zu", imgs, letters);
	if ((rc = mg_task_symbol(w->t, "IMAGE_ONLY", option)) < 0 || links != 1)
		return rc;
	return mg_task_symbol(w->t, "IMAGE_SINGLE_LINK", link);
}

static int
images_scan(void *state, struct mg_task *t)
{
	struct images_walk w = { .im = state, .t = t };
	const struct mime_header *from;
	char name[128], addr[320];
	int rc;

	if (w.im == NULL || t->msg == NULL)
		return 0;
	from = mime_header_find(t->msg->root, "From");
	if (from != NULL && from->value != NULL &&
	    conf_bec_mailbox(from->value, name, sizeof(name), addr, sizeof(addr)) == 0 &&
	    strchr(addr, '@') != NULL)
		w.from_domain = strrchr(addr, '@') + 1;
	if ((rc = mime_files_each(t->msg, images_file, &w)) != 0)
		return rc;
	return images_only(&w);
}

const struct mg_check check_images = {
	.name = "images",
	.init = images_init,
	.scan = images_scan,
	.fini = images_fini,
	.symbols = images_defs,
};
