/* mailgate images hash FILE|DIR... : "DHASH PHASH FILE" lines, the start
 * of lines for engine.images.hashes (add "phishing LABEL" or "logo DOMAIN
 * LABEL"); mailgate images ocr [--lang L] [--datapath DIR] FILE|DIR... :
 * the text tesseract reads in each image, with its cost. */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli_files.h"
#include "cli/commands.h"
#include "core/err.h"
#include "files/ocr.h"
#include "files/phash.h"

#define IMAGES_OCR_MAX_PIXELS	4000000		/* as engine.images.ocr.max_pixels */

struct images_cli {
	struct ocr	*ocr;		/* NULL for hash */
	bool		 failed;
};

static double
images_cli_ms(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) * 1e3 + (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

/* One file: its hashes, or its text. */
static int
images_cli_file(void *arg, const char *path)
{
	struct images_cli *cli = arg;
	struct image_hashes h;
	struct cli_file f;
	struct timespec t0;
	char err[256], shown[512], *text = NULL;
	int rc;

	cli_sanitize(path, shown, sizeof(shown));
	if (cli_file_map(path, &f, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: error: %s\n", shown, err);
		cli->failed = true;
		return 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (cli->ocr == NULL)
		rc = phash_image(f.data, f.len, &h);
	else
		rc = ocr_image(cli->ocr, f.data, f.len, 0, &text);
	if (rc < 0) {
		fprintf(stderr, "%s: error: %s\n", shown, rc == -MG_EINVAL ?
		    "not a PNG, JPEG, GIF or BMP image" : mg_strerror(rc));
		cli->failed = true;
	} else if (cli->ocr == NULL) {
		printf("%016" PRIx64 " %016" PRIx64 " %s\n", h.dhash, h.phash, shown);
	} else {
		printf("%s: ms=%.1f\n%s\n", shown, images_cli_ms(&t0), text);
	}
	free(text);
	cli_file_unmap(&f);
	return 0;
}

static int
images_cli_usage(void)
{
	fprintf(stderr, "usage: mailgate images hash FILE|DIR...\n"
	    "       mailgate images ocr [--lang L] [--datapath DIR] FILE|DIR...\n");
	return 2;
}

int
cmd_images(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "lang", required_argument, NULL, 'l' },
		{ "datapath", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct ocr_opts o = { .max_pixels = IMAGES_OCR_MAX_PIXELS, .pool = 1 };
	struct images_cli cli = { .ocr = NULL };
	char err[256];
	bool ocr;
	int ch;

	if (argc < 2 || (strcmp(argv[1], "hash") != 0 && strcmp(argv[1], "ocr") != 0))
		return images_cli_usage();
	ocr = strcmp(argv[1], "ocr") == 0;
	argc--;
	argv++;
	optind = 0;	/* GNU getopt: start again */
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (!ocr || (ch != 'l' && ch != 'd'))
			return images_cli_usage();
		if (ch == 'l')
			o.lang = optarg;
		else
			o.datapath = optarg;
	}
	if (optind >= argc)
		return images_cli_usage();
	if (ocr && (cli.ocr = ocr_new(&o, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mailgate images: %s\n", err);
		return 1;
	}
	if (cli_walk(argv + optind, images_cli_file, &cli) < 0)
		cli.failed = true;
	cli.ocr = ocr_free(cli.ocr);
	return cli.failed ? 1 : 0;
}
