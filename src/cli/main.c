/* mailgate: the administrator's command. Dispatches subcommands; those that
 * need the configuration get it loaded from -c FILE (default
 * etc/mailgate.conf, or $MAILGATE_CONF). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_train.h"
#include "cli/cmd_parse.h"
#include "cli/cmd_policy.h"
#include "cli/cmd_quarantine.h"
#include "cli/cmd_rules.h"
#include "cli/cmd_scan.h"
#include "cli/cmd_sink.h"
#include "cli/commands.h"
#include "core/conf.h"
#include "core/log.h"

struct command {
	const char	*name;
	int		(*with_conf)(const struct mg_conf *, int, char **);
	int		(*without_conf)(int, char **);
	const char	*help;
};

static const struct command commands[] = {
	{ "queue", cmd_queue, NULL, "queue list|show ID|flush [ID]|delete ID|digest" },
	{ "quarantine", cmd_quarantine, NULL, "quarantine list [--from S] [--to S] [--subject S] [--category C] [--since WHEN] [--held] [--json] |\n"
	    "  show ID [--raw] | release ID [--to RCPT]... [--report-ham] | forward ID ADDR | approve ID | reject ID |\n"
	    "  delete ID | purge [--dry-run]" },
	{ "portal", cmd_portal, NULL, "portal link USER [--days N | --seconds N] [--release ID | --allow ID]" },
	{ "policy", cmd_policy, NULL, "policy add --name N [--priority P] [--scope global|domain:D|user:U] [--monitor] --if COND --then ACTION [ARGS] |\n"
	    "  allow|block [--scope S] VALUE | list [--json] | show ID | enable|disable|monitor|delete ID | test FILE --rcpt ADDR [--from A] [--ip IP] [--helo H]" },
	{ "av", cmd_av, NULL, "av scan FILE|DIR... | av reload" },
	{ "log", cmd_log, NULL, "log search [--from S] [--to S] [--since WHEN] [--until WHEN] [--id QID] [--limit N] [--json]\n"
	    "  mailgate log connections [--since WHEN] [--until WHEN] [--ip IP] [--event NAME] [--by minute|hour|day|ip|event] [--top N] [--json]" },
	{ "sink", NULL, cmd_sink, "sink [--listen HOST:PORT] [--maildir DIR] [--tls-cert F --tls-key F]" },
	{ "parse", NULL, cmd_parse, "parse FILE" },
	{ "scan", NULL, cmd_scan, "scan [-c FILE] [--json] [-j N] [--parse-only | --no-checks] FILE|DIR..." },
	{ "learn", NULL, cmd_learn, "learn spam|ham [--unlearn | --model] FILE|DIR|-... | learn --expire" },
	{ "train", NULL, cmd_train, "train --train LIST.tsv [--out FILE] [--bayes PATH]" },
	{ "eval", NULL, cmd_eval, "eval --train LIST.tsv --test LIST.tsv [--json]" },
	{ "rules", NULL, cmd_rules, "rules check [DIR...] | rules stats LIST.tsv" },
	{ "passwd", NULL, cmd_passwd, "passwd USER < password (a line for the users file)" },
	{ "feeds", NULL, cmd_feeds, "feeds update [--out FILE] [--category C] [--source S] [FILE|DIR...] | feeds lookup [--db FILE] URL..." },
	{ "images", NULL, cmd_images, "images hash FILE|DIR... | images ocr [--lang L] [--datapath DIR] FILE|DIR..." },
	{ "dkim", NULL, cmd_dkim, "dkim keygen DOMAIN [--selector S] [--type rsa|ed25519] [--bits N] [--out FILE]" },
};

static void
usage(void)
{
	fprintf(stderr, "usage: mailgate [-c FILE] COMMAND [ARGS]\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "  mailgate %s\n", commands[i].help);
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *path = getenv("MAILGATE_CONF");
	char err[1024];
	struct mg_conf *conf;
	int ch, rc;

	if (path == NULL)
		path = "etc/mailgate.conf";
	while ((ch = getopt(argc, argv, "+c:h")) != -1) {
		if (ch != 'c')
			usage();
		path = optarg;
		setenv("MAILGATE_CONF", path, 1);	/* for scan: its engine settings */
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	log_init("mailgate", true, LOG_LVL_WARN);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *c = &commands[i];
		if (strcmp(c->name, argv[0]) != 0)
			continue;
		if (c->without_conf)
			return c->without_conf(argc, argv);	/* argv[0] = "sink" */
		if ((conf = conf_load(path, err, sizeof(err))) == NULL) {
			fprintf(stderr, "mailgate: %s\n", err);
			return 1;
		}
		rc = argc < 2 ? (usage(), 2) : c->with_conf(conf, argc - 1, argv + 1);
		conf_free(conf);
		return rc;
	}
	fprintf(stderr, "mailgate: unknown command '%s'\n", argv[0]);
	usage();
}
