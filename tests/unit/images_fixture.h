/* Shared by the image hash, OCR and images-check tests: the images of
 * tests/files/gen_images.py written into a fresh temporary directory, and
 * a file of it read into memory. */
#ifndef MG_TESTS_IMAGES_FIXTURE_H
#define MG_TESTS_IMAGES_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs the generator into dir (a mkdtemp template); 0, or -1 when Pillow
 * or python3 is missing (the caller skips). */
static inline int
images_fixture_make(char *dir)
{
	char cmd[1024];

	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/tests/files/gen_images.py %s",
	    MG_SOURCE_DIR, dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* dir/name read whole (malloc'd, *len set); NULL when unreadable. */
static inline uint8_t *
images_fixture_read(const char *dir, const char *name, size_t *len)
{
	char path[1024];
	uint8_t *p = NULL;
	long n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (p = malloc((size_t)n)) != NULL && fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	} else if (p != NULL) {
		*len = (size_t)n;
	}
	fclose(f);
	return p;
}

/* Removes the files of dir and dir. */
static inline void
images_fixture_clean(const char *dir)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

#endif
