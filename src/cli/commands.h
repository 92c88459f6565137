/* The subcommands of the mailgate command that need the configuration.
 * Each takes argv[0] = its first word ("list", "search", ...) and returns
 * the exit status: 0 success, 1 error, 2 usage error. */
#ifndef MG_CLI_COMMANDS_H
#define MG_CLI_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "core/conf.h"

/* mailgate queue list|show ID|flush [ID]|delete ID */
int	cmd_queue(const struct mg_conf *conf, int argc, char **argv);
/* mailgate av scan FILE|DIR... | av reload */
int	cmd_av(const struct mg_conf *conf, int argc, char **argv);
/* mailgate log search [--from S] [--to S] [--since WHEN] [--until WHEN]
 * [--id QID] [--limit N] [--json] | log connections [--since WHEN] [--until WHEN]
 * [--ip IP] [--event NAME] [--by minute|hour|day|ip|event] [--top N] [--json] */
int	cmd_log(const struct mg_conf *conf, int argc, char **argv);

/* mailgate portal link USER [--days N | --seconds N] [--release ID | --allow ID] */
int	cmd_portal(const struct mg_conf *conf, int argc, char **argv);

/* mailgate passwd USER: a users-file line for USER from a password on
 * stdin (asked twice on a terminal). */
int	cmd_passwd(int argc, char **argv);

/* Commands that read the engine settings themselves ($MAILGATE_CONF, set
 * by mailgate -c FILE); argv[0] is the command's name. */

/* mailgate learn spam|ham [--unlearn] FILE|DIR|-... ; mailgate learn --expire */
int	cmd_learn(int argc, char **argv);
/* mailgate dkim keygen DOMAIN [--selector S] [--type rsa|ed25519] [--bits N] [--out FILE] */
int	cmd_dkim(int argc, char **argv);
/* mailgate images hash FILE|DIR... | images ocr [--lang L] [--datapath DIR] FILE|DIR... */
int	cmd_images(int argc, char **argv);
/* mailgate feeds update [--out FILE] [FILE|DIR...] | feeds lookup [--db FILE] URL... */
int	cmd_feeds(int argc, char **argv);

/* Helpers shared by the commands (cli_text.c). */

/* "2024-05-01T10:00:00Z" (UTC), or "-" for 0. */
void	cli_format_time(time_t t, char *out, size_t outlen);
/* A duration as "45s", "12m05s", "3h20m", "5d04h". */
void	cli_format_age(time_t secs, char *out, size_t outlen);
/* Copies untrusted text for a terminal: control characters (C0, DEL and
 * UTF-8 C1) become '?'; text cut to fit outlen ends in "..."; NULL is "-". */
void	cli_sanitize(const char *in, char *out, size_t outlen);
/* WHEN: "YYYY-MM-DD[THH:MM[:SS]][Z]" in UTC (a date alone is its first
 * second, or with end_of_day its last), or an age before now: 90s, 30m,
 * 2h, 7d, 2w. 0, or -1 when malformed. */
int	cli_parse_when(const char *s, time_t now, bool end_of_day, time_t *out);
/* Run as root, a command that writes the daemon's files (store, spool,
 * quarantine) becomes conf->user first when the store's directory is that
 * user's, so that the daemon can still use them; cmd names the command in
 * the error. 0 or -1 (printed). */
int	cli_become_daemon_user(const struct mg_conf *conf, const char *cmd);

#endif
