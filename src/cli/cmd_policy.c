/* mailgate policy (docs/policy.md): adds, lists and changes the policy
 * filters in the store, and tests them: test scans a file with the engine
 * of the configuration and shows, for the recipient, every filter in its
 * evaluation order with why it matched or not. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/cli_files.h"
#include "cli/cmd_json.h"
#include "cli/cmd_policy.h"
#include "cli/commands.h"
#include "core/arena.h"
#include "core/err.h"
#include "engine/engine.h"
#include "engine/policy_msg.h"
#include "mime/analyze.h"
#include "mime/mime.h"
#include "policy/policy.h"

#define TEST_ARENA_MAX	(512u << 20)

static int
usage(void)
{
	fprintf(stderr, "usage: mailgate policy add --name N [--priority P]"
	    " [--scope global|domain:D|user:U] [--monitor]\n"
	    "                         --if COND --then ACTION [ARGS...]\n"
	    "       mailgate policy allow|block [--scope S] SENDER|@DOMAIN|IP|CIDR\n"
	    "       mailgate policy list [--json] | show ID\n"
	    "       mailgate policy enable|disable|monitor|delete ID\n"
	    "       mailgate policy test FILE --rcpt ADDR [--from ADDR] [--ip IP] [--helo H]\n");
	return 2;
}

static struct store *
open_store(const struct mg_conf *conf, bool readonly)
{
	char err[1024];
	struct store *s;

	if (!readonly && cli_become_daemon_user(conf, "policy") < 0)
		return NULL;
	if ((s = store_open(conf->store_path, readonly, err, sizeof(err))) == NULL)
		fprintf(stderr, "mailgate policy: %s\n", err);
	return s;
}

/* Checks the row as the loader will build it, then stores it. */
static int
add_row(const struct mg_conf *conf, struct store_policy *row)
{
	struct policy_filter f;
	struct store *s;
	char err[1024];
	uint64_t id;
	int rc;

	if (policy_filter_from_row(row, &f, err, sizeof(err)) < 0) {
		fprintf(stderr, "mailgate policy: %s\n", err);
		return 1;
	}
	policy_filter_clear(&f);
	if ((s = open_store(conf, false)) == NULL)
		return 1;
	row->created = row->updated = time(NULL);
	if ((rc = store_pol_add(s, row, &id)) == 0)
		printf("%" PRIu64 "\n", id);
	store_close(s);
	return rc == 0 ? 0 : 1;
}

/* --scope TEXT into row (value kept in buf). */
static int
set_scope(struct store_policy *row, const char *text, char *buf, size_t len)
{
	enum policy_scope sc;

	if (policy_scope_parse(text, &sc, buf, len) < 0) {
		fprintf(stderr, "mailgate policy: bad scope '%s' (global, domain:D or user:U)\n",
		    text);
		return -1;
	}
	row->scope = policy_scope_name(sc);
	row->scope_value = buf;
	return 0;
}

static int
pol_add(const struct mg_conf *conf, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' }, { "priority", required_argument, NULL, 'p' },
		{ "scope", required_argument, NULL, 's' }, { "monitor", no_argument, NULL, 'm' },
		{ "if", required_argument, NULL, 'i' }, { "then", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 } };
	struct store_policy row = { .priority = 100, .scope = "global", .scope_value = "",
		.state = "enabled" };
	char scope[512], args[POLICY_ARGS_MAX + 1] = "";
	int ch;

	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': row.name = optarg; break;
		case 'p': row.priority = atoi(optarg); break;
		case 's': if (set_scope(&row, optarg, scope, sizeof(scope)) < 0) return 1; break;
		case 'm': row.state = "monitor"; break;
		case 'i': row.condition = optarg; break;
		case 't': row.action = optarg; break;
		default: return usage();
		}
	}
	if (row.name == NULL || row.condition == NULL || row.action == NULL)
		return usage();
	for (int i = optind; i < argc; i++) {
		size_t n = strlen(args);
		if (snprintf(args + n, sizeof(args) - n, "%s%s", n ? " " : "", argv[i]) >=
		    (int)(sizeof(args) - n)) {
			fprintf(stderr, "mailgate policy: action arguments too long\n");
			return 1;
		}
	}
	row.action_args = args;
	return add_row(conf, &row);
}

/* allow/block VALUE: accept, or reject 550, at priority 0. */
static int
pol_list_entry(const struct mg_conf *conf, bool allow, int argc, char **argv)
{
	struct store_policy row = { .priority = 0, .scope = "global", .scope_value = "",
		.state = "enabled" };
	char scope[512], cond[1024], name[POLICY_NAME_MAX];
	int i = 1;

	if (argc == 4 && strcmp(argv[1], "--scope") == 0) {
		if (set_scope(&row, argv[2], scope, sizeof(scope)) < 0)
			return 1;
		i = 3;
	}
	if (argc != i + 1)
		return usage();
	if (policy_list_cond(argv[i], cond, sizeof(cond)) < 0) {
		fprintf(stderr, "mailgate policy: '%s' is not an address, @domain, domain or IP\n",
		    argv[i]);
		return 1;
	}
	snprintf(name, sizeof(name), "%s %s", allow ? "allow" : "block", argv[i]);
	row.name = name;
	row.condition = cond;
	row.action = allow ? "accept" : "reject";
	row.action_args = allow ? "" : "550 5.7.1 Sender blocked by policy";
	return add_row(conf, &row);
}

static int
print_row(const struct store_policy *r, void *arg)
{
	bool json = *(bool *)arg;
	char scope[600];

	snprintf(scope, sizeof(scope), "%s%s%s", r->scope, r->scope_value[0] ? ":" : "",
	    r->scope_value);
	if (json) {
		json_t *o = json_pack("{s:I,s:o,s:i,s:o,s:s,s:o,s:s,s:o,s:I,s:I}", "id",
		    (json_int_t)r->id, "name", cli_json_str(r->name), "priority", r->priority,
		    "scope", cli_json_str(scope), "state", r->state, "condition",
		    cli_json_str(r->condition), "action", r->action, "args",
		    cli_json_str(r->action_args), "created", (json_int_t)r->created, "updated",
		    (json_int_t)r->updated);
		char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (s != NULL)
			puts(s);
		free(s);
		json_decref(o);
		return 0;
	}
	printf("%" PRIu64 "\t%s\t%d\t%s\t%s\tif %s then %s%s%s\n", r->id, r->name, r->priority,
	    scope, r->state, r->condition, r->action, r->action_args[0] ? " " : "",
	    r->action_args);
	return 0;
}

static int
parse_pid(const char *s, uint64_t *id)
{
	char *end;

	*id = strtoull(s, &end, 10);
	if (*s != '\0' && *end == '\0' && *id > 0)
		return 0;
	fprintf(stderr, "mailgate policy: malformed id '%s'\n", s);
	return -1;
}

static int
pol_list(const struct mg_conf *conf, int argc, char **argv)
{
	bool json = argc == 2 && strcmp(argv[1], "--json") == 0;
	uint64_t id = 0;
	struct store *s;
	int rc;

	if (strcmp(argv[0], "show") == 0 ? argc != 2 || parse_pid(argv[1], &id) < 0 :
	    argc > 2 || (argc == 2 && !json))
		return usage();
	if ((s = open_store(conf, true)) == NULL)
		return 1;
	if ((rc = store_pol_list(s, id, print_row, &json)) == -MG_ENOENT)
		fprintf(stderr, "mailgate policy: no filter %" PRIu64 "\n", id);
	store_close(s);
	return rc == 0 ? 0 : 1;
}

static int
pol_change(const struct mg_conf *conf, int argc, char **argv)
{
	struct store *s;
	uint64_t id;
	int rc;

	if (argc != 2 || parse_pid(argv[1], &id) < 0)
		return usage();
	if ((s = open_store(conf, false)) == NULL)
		return 1;
	if (strcmp(argv[0], "delete") == 0)
		rc = store_pol_delete(s, id);
	else
		rc = store_pol_state(s, id, strcmp(argv[0], "enable") == 0 ? "enabled" :
		    strcmp(argv[0], "disable") == 0 ? "disabled" : "monitor", time(NULL));
	if (rc == -MG_ENOENT)
		fprintf(stderr, "mailgate policy: no filter %" PRIu64 "\n", id);
	store_close(s);
	return rc == 0 ? 0 : 1;
}

static const char *const outcome_names[] = {
	[POLICY_OUT_MATCH] = "MATCH", [POLICY_OUT_NOMATCH] = "no match",
	[POLICY_OUT_MONITOR] = "MONITOR (would match)", [POLICY_OUT_DISABLED] = "disabled",
	[POLICY_OUT_MALWARE] = "ignored (user allow cannot override malware)",
	[POLICY_OUT_SHADOWED] = "not evaluated (decided above)",
};

static void
print_trace(const struct policy_filter *f, enum policy_outcome out, const char *why, void *arg)
{
	(void)arg;
	printf("  %" PRIu64 " %s [%s%s%s prio %d] %s: %s%s%s\n", f->id, f->name,
	    policy_scope_name(f->scope), f->scope_value ? ":" : "",
	    f->scope_value ? f->scope_value : "", f->priority, policy_act_name(f->action),
	    outcome_names[out], why[0] ? " -- " : "", why);
}

/* Scans file with the engine and decides for rcpt. */
static int
test_run(const struct mg_conf *conf, const struct policy_set *set, const struct cli_file *file,
    const struct mg_envelope *env, struct policy_msg *pm)
{
	struct mime_limits lim;
	struct mime_analyze_ctx *ctx;
	struct mg_engine *e;
	struct mg_result res;
	struct mg_error merr;
	struct policy_decision d;
	struct mg_arena *a = mg_arena_new(64 * 1024, TEST_ARENA_MAX);
	struct mime_msg *m = NULL;
	char err[512];
	int rc = 1;

	if ((e = mg_engine_open(conf, &merr)) == NULL) {
		fprintf(stderr, "mailgate policy: %s\n", merr.text);
		mg_arena_free(a);
		return 1;
	}
	ctx = mime_analyze_ctx_new(err, sizeof(err));
	mime_limits_default(&lim);
	if (a != NULL && ctx != NULL && mg_scan(e, env, file->data, file->len, &res) == 0) {
		if ((m = mime_parse(a, file->data, file->len, &lim)) != NULL &&
		    mime_analyze(ctx, a, m) == 0 && policy_msg_from_scan(a, m, &res, pm) == 0) {
			printf("message: %s %.2f, recipient %s\n", res.verdict, res.score,
			    env->rcpts[0]);
			policy_decide(set, pm, env->rcpts[0], &d, print_trace, NULL);
			for (size_t i = 0; i < d.nmonitor; i++)
				printf("monitor: %s would %s\n", d.monitor[i]->name,
				    policy_act_name(d.monitor[i]->action));
			printf("decision: %s%s%s (%s)\n", d.filter ? policy_act_name(d.filter->action) :
			    "none", d.filter && d.filter->args[0] ? " " : "",
			    d.filter ? d.filter->args : "", d.filter ? d.filter->name : "no filter matched");
			rc = 0;
		}
		mg_result_clear(&res);
	}
	if (rc != 0)
		fprintf(stderr, "mailgate policy: cannot scan the message\n");
	mime_analyze_ctx_free(ctx);
	mg_arena_free(a);
	mg_engine_close(e);
	return rc;
}

static int
pol_test(const struct mg_conf *conf, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rcpt", required_argument, NULL, 'r' }, { "from", required_argument, NULL, 'f' },
		{ "ip", required_argument, NULL, 'i' }, { "helo", required_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	struct mg_envelope env = { .mail_from = "", .nrcpts = 1 };
	struct policy_msg pm = { .mail_from = "" };
	const char *rcpt[1] = { NULL };
	struct policy_set set;
	struct cli_file file;
	struct store *s;
	char err[512];
	int ch, rc;

	/* options may follow FILE (GNU argument permutation) */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'r': rcpt[0] = optarg; break;
		case 'f': env.mail_from = pm.mail_from = optarg; break;
		case 'i': env.client_ip = pm.client_ip = optarg; break;
		case 'h': env.helo = pm.helo = optarg; break;
		default: return usage();
		}
	}
	if (rcpt[0] == NULL || optind != argc - 1)
		return usage();
	env.rcpts = rcpt;
	pm.nrcpts = 1;
	if (cli_file_map(argv[optind], &file, err, sizeof(err)) < 0) {
		fprintf(stderr, "mailgate policy: %s\n", err);
		return 1;
	}
	pm.size = file.len;
	if ((s = open_store(conf, true)) == NULL) {
		cli_file_unmap(&file);
		return 1;
	}
	rc = policy_set_load(s, &set);
	store_close(s);
	rc = rc < 0 ? 1 : test_run(conf, &set, &file, &env, &pm);
	policy_set_clear(&set);
	cli_file_unmap(&file);
	return rc;
}

int
cmd_policy(const struct mg_conf *conf, int argc, char **argv)
{
	const char *sub = argv[0];

	optind = 0;
	if (strcmp(sub, "add") == 0)
		return pol_add(conf, argc, argv);
	if (strcmp(sub, "allow") == 0 || strcmp(sub, "block") == 0)
		return pol_list_entry(conf, sub[0] == 'a', argc, argv);
	if (strcmp(sub, "list") == 0 || strcmp(sub, "show") == 0)
		return pol_list(conf, argc, argv);
	if (strcmp(sub, "enable") == 0 || strcmp(sub, "disable") == 0 ||
	    strcmp(sub, "monitor") == 0 || strcmp(sub, "delete") == 0)
		return pol_change(conf, argc, argv);
	if (strcmp(sub, "test") == 0)
		return pol_test(conf, argc, argv);
	return usage();
}
