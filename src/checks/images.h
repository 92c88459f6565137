/* The images check (docs/images.md): image-only mail, image-only mail with
 * a single link, images matching the administrator's list of known
 * phishing images and brand logos (perceptual hashes, files/phash.h), and
 * with OCR enabled, images whose text is a lure (files/ocr.h). Images are
 * the attachments and archive members that are images by their bytes
 * (inline cid: images are such parts); HTML <img> elements with other
 * sources count for "image-only" but are not fetched. Symbols:
 * IMAGE_KNOWN_PHISH, IMAGE_BRAND_LOGO ("FILE: label"), IMAGE_ONLY ("images
 * N letters M"), IMAGE_SINGLE_LINK (the URL), IMAGE_OCR_LURE ("FILE:
 * phrase, phrase"). */
#ifndef MG_CHECKS_IMAGES_H
#define MG_CHECKS_IMAGES_H

#include <stddef.h>

#include "engine/check.h"

extern const struct mg_check check_images;

/* The lure phrases found in text (OCR output: case and punctuation do not
 * matter), written to out as "phrase, phrase"; the number of distinct
 * phrases. */
unsigned images_lure_phrases(const char *text, char *out, size_t outlen);

#endif
