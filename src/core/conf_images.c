/* engine.images (conf_images.h): enabled, hashes = "FILE", max_distance,
 * max_text, max_images, ocr = { enabled, lang, datapath, max_pixels,
 * max_images }. The list file itself is read by the images check. */
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/conf_images.h"
#include "core/conf_parse.h"

static const struct conf_u32 images_nums[] = {
	{ "max_distance", offsetof(struct conf_images, max_distance), 6, 0, 32 },
	{ "max_text", offsetof(struct conf_images, max_text), 50, 0, 100000 },
	{ "max_images", offsetof(struct conf_images, max_images), 16, 1, 256 },
};
#define IMAGES_NNUMS	(sizeof(images_nums) / sizeof(images_nums[0]))

static const struct conf_u32 ocr_nums[] = {
	{ "max_pixels", offsetof(struct conf_images_ocr, max_pixels), 4000000, 10000, 16u << 20 },
	{ "max_images", offsetof(struct conf_images_ocr, max_images), 4, 1, 64 },
};
#define OCR_NNUMS	(sizeof(ocr_nums) / sizeof(ocr_nums[0]))

void
conf_images_defaults(struct conf_images *c)
{
	memset(c, 0, sizeof(*c));
	c->enabled = true;
	conf_u32_defaults(images_nums, IMAGES_NNUMS, c);
	conf_u32_defaults(ocr_nums, OCR_NNUMS, &c->ocr);
}

/* Tesseract language names joined by '+': letters, digits, '_' and '-'. */
static int
ocr_lang_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CONF_IMAGES_LANG_MAX || s[0] == '+' || s[n - 1] == '+' ||
	    strstr(s, "++") != NULL)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '+'))
			return 0;
	return 1;
}

static int
conf_load_ocr(struct conf_ctx *cx, const config_setting_t *g, struct conf_images_ocr *o)
{
	static const char *const keys[] = { "enabled", "lang", "datapath", "max_pixels",
		"max_images", NULL };
	struct stat sb;

	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'engine.images.ocr' must be a group { enabled = ...; }");
	if (conf_check_keys(cx, g, keys, "engine.images.ocr") < 0 ||
	    conf_get_bool(cx, g, "enabled", "engine.images.ocr", &o->enabled) < 0 ||
	    conf_load_u32s(cx, g, "engine.images.ocr", ocr_nums, OCR_NNUMS, o) < 0 ||
	    conf_get_string(cx, g, "lang", false, &o->lang) < 0 ||
	    conf_get_path(cx, g, "datapath", false, &o->datapath) < 0)
		return -1;
	if (o->lang != NULL && !ocr_lang_ok(o->lang))
		return conf_fail(cx, config_setting_get_member(g, "lang"),
		    "engine.images.ocr.lang '%s' is not a tesseract language list (eng, eng+deu)",
		    o->lang);
	if (o->datapath != NULL && (stat(o->datapath, &sb) != 0 || !S_ISDIR(sb.st_mode)))
		return conf_fail(cx, config_setting_get_member(g, "datapath"),
		    "engine.images.ocr.datapath '%s' is not a directory", o->datapath);
	return 0;
}

int
conf_load_images(struct conf_ctx *cx, const struct config_setting_t *g, struct conf_images *c)
{
	static const char *const keys[] = { "enabled", "hashes", "max_distance", "max_text",
		"max_images", "ocr", NULL };
	const config_setting_t *ocr;

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'engine.images' must be a group { enabled = ...; }");
	if (conf_check_keys(cx, g, keys, "engine.images") < 0 ||
	    conf_get_bool(cx, g, "enabled", "engine.images", &c->enabled) < 0 ||
	    conf_load_u32s(cx, g, "engine.images", images_nums, IMAGES_NNUMS, c) < 0 ||
	    conf_get_path(cx, g, "hashes", false, &c->hashes) < 0)
		return -1;
	if ((ocr = config_setting_get_member(g, "ocr")) != NULL &&
	    conf_load_ocr(cx, ocr, &c->ocr) < 0)
		return -1;
	return 0;
}

void
conf_images_free(struct conf_images *c)
{
	free(c->hashes);
	free(c->ocr.lang);
	free(c->ocr.datapath);
	c->hashes = c->ocr.lang = c->ocr.datapath = NULL;
}
