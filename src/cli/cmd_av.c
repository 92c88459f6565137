/* mailgate av scan FILE|DIR... : each file through the anti-virus engines
 * of engine.av (libclamav on the shipped signatures when none is set), one
 * line per file and engine; mailgate av reload: SIGHUP to the running
 * mailgated, whose scanners then load the signatures again. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "av/av.h"
#include "cli/cli_files.h"
#include "cli/commands.h"
#include "core/err.h"

#define AV_EXIT_FOUND	3	/* something was found */

struct av_cli {
	const struct mg_av_engine *engines[2];
	void		*states[2];
	size_t		 n;
	bool		 found, failed;
};

/* Prints "FILE: ENGINE:SIGNATURE FOUND", "FILE: ENGINE: OK" or the error. */
static int
av_cli_file(void *arg, const char *path)
{
	struct av_cli *cli = arg;
	struct cli_file f;
	struct mg_av_job job;
	char err[256], shown[512];

	cli_sanitize(path, shown, sizeof(shown));
	if (cli_file_map(path, &f, err, sizeof(err)) < 0) {
		printf("%s: error: %s\n", shown, err);
		cli->failed = true;
		return 0;
	}
	for (size_t i = 0; i < cli->n; i++) {
		int rc = mg_av_scan(cli->engines[i], cli->states[i], &job, f.data, f.len);
		if (rc == MG_AV_FOUND)
			printf("%s: %s:%s FOUND\n", shown, cli->engines[i]->name, job.signature);
		else if (rc == MG_AV_CLEAN)
			printf("%s: %s: OK\n", shown, cli->engines[i]->name);
		else
			printf("%s: %s: error: %s\n", shown, cli->engines[i]->name, mg_strerror(rc));
		cli->found |= rc == MG_AV_FOUND;
		cli->failed |= rc < 0;
	}
	cli_file_unmap(&f);
	return 0;
}

static int
av_cli_scan(const struct mg_conf *conf, int argc, char **argv)
{
	struct conf_av c = conf->engine.av;
	struct av_cli cli = { .n = 0 };
	char err[512];
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: mailgate av scan FILE|DIR...\n");
		return 2;
	}
	if (!conf_av_enabled(&c))
		c.clamav = true;
	if (c.clamd != NULL)
		cli.engines[cli.n++] = &mg_av_clamd;
	if (c.clamav)
		cli.engines[cli.n++] = &mg_av_clamav;
	for (size_t i = 0; i < cli.n && rc == 0; i++) {
		if ((cli.states[i] = cli.engines[i]->open(&c, err, sizeof(err))) == NULL) {
			fprintf(stderr, "mailgate av: %s\n", err);
			rc = 1;
		}
	}
	if (rc == 0 && cli_walk(argv + 1, av_cli_file, &cli) < 0) {
		fprintf(stderr, "mailgate av: cannot walk the files\n");
		rc = 1;
	}
	for (size_t i = 0; i < cli.n; i++)
		if (cli.states[i] != NULL)
			cli.engines[i]->close(cli.states[i]);
	if (rc == 0)
		rc = cli.failed ? 1 : cli.found ? AV_EXIT_FOUND : 0;
	return rc;
}

/* SIGHUP to the master named by SPOOL/run/mailgated.pid. */
static int
av_cli_reload(const struct mg_conf *conf)
{
	char path[4096];
	long pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/run/mailgated.pid", conf->spool_dir);
	if ((f = fopen(path, "r")) == NULL || fscanf(f, "%ld", &pid) != 1 || pid <= 1) {
		fprintf(stderr, "mailgate av: no running mailgated (%s: %s)\n", path,
		    f == NULL ? strerror(errno) : "no pid");
		if (f != NULL)
			fclose(f);
		return 1;
	}
	fclose(f);
	if (kill((pid_t)pid, SIGHUP) == -1) {
		fprintf(stderr, "mailgate av: signal to pid %ld: %s\n", pid, strerror(errno));
		return 1;
	}
	printf("reload requested from mailgated pid %ld\n", pid);
	return 0;
}

int
cmd_av(const struct mg_conf *conf, int argc, char **argv)
{
	if (strcmp(argv[0], "scan") == 0)
		return av_cli_scan(conf, argc, argv);
	if (strcmp(argv[0], "reload") == 0 && argc == 1)
		return av_cli_reload(conf);
	fprintf(stderr, "usage: mailgate av scan FILE|DIR... | av reload\n");
	return 2;
}
