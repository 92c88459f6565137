/* mailgated: the gateway daemon. Parses the command line, loads the
 * configuration and hands over to the master process (master.c). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "daemon/master.h"

static void
usage(void)
{
	fprintf(stderr, "usage: mailgated -c FILE [-f] [-t]\n"
	    "  -c FILE  configuration file\n"
	    "  -f       stay in the foreground and log to stderr\n"
	    "  -t       check the configuration and exit\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct master_opts opts = { 0 };
	int ch;

	while ((ch = getopt(argc, argv, "c:fth")) != -1) {
		switch (ch) {
		case 'c':
			opts.conf_path = optarg;
			break;
		case 'f':
			opts.foreground = true;
			break;
		case 't':
			opts.check_only = true;
			break;
		default:
			usage();
		}
	}
	if (opts.conf_path == NULL || optind != argc)
		usage();
	return master_main(&opts);
}
