/* The Office document check (office.h). */
#include <stddef.h>
#include <stdio.h>

#include "checks/office.h"
#include "core/err.h"
#include "files/office.h"
#include "mime/files.h"

#define DANGER(n, s, force, d)	{ n, s, MG_CAT_DANGEROUS, MG_VERDICT_##force, d }

static const struct symbol_def office_symbols[] = {
	DANGER("OFFICE_MACRO", 1.0, ACCEPT, "an Office document with a VBA macro project"),
	DANGER("OFFICE_MACRO_AUTOEXEC", 6.0, QUARANTINE,
	    "a VBA macro that runs by itself when the document opens or closes"),
	DANGER("OFFICE_MACRO_SUSPICIOUS", 3.0, ACCEPT,
	    "a VBA macro calling Shell, CreateObject, a downloader or PowerShell, or obfuscated"),
	DANGER("OFFICE_XLM_MACRO", 6.0, QUARANTINE, "an Excel 4.0 (XLM) macro sheet"),
	DANGER("OFFICE_EXTERNAL_TEMPLATE", 6.0, QUARANTINE,
	    "an OOXML document loading its template from an external target"),
	DANGER("OFFICE_REMOTE_OBJECT", 6.0, QUARANTINE,
	    "an OOXML document loading an OLE object or frame from an external target"),
	DANGER("OFFICE_DDE", 6.0, QUARANTINE, "a DDE field or link that can start a program"),
	DANGER("OFFICE_CORRUPT", 2.0, ACCEPT, "an Office document that does not parse"),
};

/* Findings flag to symbol, with the detail its option carries. */
static const struct {
	unsigned	 flag;
	const char	*symbol;
	size_t		 detail;	/* offset in struct office_findings, or 0 */
} office_map[] = {
	{ OFFICE_F_MACRO, "OFFICE_MACRO", offsetof(struct office_findings, modules) },
	{ OFFICE_F_AUTOEXEC, "OFFICE_MACRO_AUTOEXEC", offsetof(struct office_findings, autoexec) },
	{ OFFICE_F_SUSPICIOUS, "OFFICE_MACRO_SUSPICIOUS",
	    offsetof(struct office_findings, suspicious) },
	{ OFFICE_F_XLM, "OFFICE_XLM_MACRO", offsetof(struct office_findings, xlm) },
	{ OFFICE_F_EXT_TEMPLATE, "OFFICE_EXTERNAL_TEMPLATE",
	    offsetof(struct office_findings, template_url) },
	{ OFFICE_F_REMOTE_OBJECT, "OFFICE_REMOTE_OBJECT",
	    offsetof(struct office_findings, remote_url) },
	{ OFFICE_F_DDE, "OFFICE_DDE", offsetof(struct office_findings, dde) },
	{ OFFICE_F_CORRUPT, "OFFICE_CORRUPT", offsetof(struct office_findings, corrupt) },
};

CHECK_SYMBOLS_HOOK(office_symbol_defs, office_symbols)

/* The symbols of one attachment's findings; options "NAME: detail". */
static int
office_report(struct mg_task *t, const struct mime_file *file, const struct office_findings *f)
{
	char option[TASK_MAX_OPTION_LEN];
	int rc;

	for (size_t i = 0; i < sizeof(office_map) / sizeof(office_map[0]); i++) {
		const char *detail = (const char *)f + office_map[i].detail;
		if (!(f->flags & office_map[i].flag))
			continue;
		snprintf(option, sizeof(option), "%s: %s", file->name, detail);
		if ((rc = mg_task_symbol_part(t, office_map[i].symbol, option, file->part)) < 0)
			return rc;
	}
	return 0;
}

/* One attachment or archive member (mime_files_each). */
static int
office_file(const struct mime_file *f, void *arg)
{
	struct mg_task *t = arg;
	struct office_findings fi;
	int rc;

	if (!office_magic(f->data, f->len))
		return 0;
	if (mg_task_expired(t))
		return -MG_ETIMEOUT;
	if ((rc = office_scan(f->data, f->len, &fi)) < 0)
		return rc;
	return office_report(t, f, &fi);
}

static int
office_check_scan(void *state, struct mg_task *t)
{
	(void)state;
	return mime_files_each(t->msg, office_file, t);
}

const struct mg_check check_office = {
	.name = "office",
	.scan = office_check_scan,
	.symbols = office_symbol_defs,
};
