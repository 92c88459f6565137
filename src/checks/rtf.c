/* The RTF check (rtf.h). */
#include <stdio.h>

#include "checks/rtf.h"
#include "core/err.h"
#include "files/rtf.h"
#include "mime/files.h"


static const struct symbol_def rtf_symbols[] = {
	CHECK_SYMBOL("RTF_OBJECT", 2.0, MALWARE, ACCEPT, "an RTF attachment embeds an OLE object"),
	CHECK_SYMBOL("RTF_OBJUPDATE", 8.0, DANGEROUS, QUARANTINE,
	    "an RTF attachment has an object refreshed on open (\\objupdate)"),
	CHECK_SYMBOL("RTF_ACTIVEX", 6.0, DANGEROUS, QUARANTINE,
	    "an RTF attachment embeds an ActiveX control (\\objocx)"),
	CHECK_SYMBOL("RTF_EQUATION_EXPLOIT", 10.0, MALWARE, QUARANTINE,
	    "an RTF attachment embeds an Equation Editor object (CVE-2017-11882)"),
	CHECK_SYMBOL("RTF_MALFORMED", 3.0, MALWARE, ACCEPT,
	    "an RTF attachment with oversized control words or deeply nested groups"),
};

CHECK_SYMBOLS_HOOK(rtf_defs, rtf_symbols)

/* RTF_OBJECT once per object (class and size), then the flags' symbols. */
static int
rtf_report_symbols(struct mg_task *t, const struct mime_file *f, const struct rtf_report *r)
{
	char option[TASK_MAX_OPTION_LEN];
	int rc = 0;

	for (size_t i = 0; i < r->nobjects && rc == 0; i++) {
		const struct rtf_object *o = &r->objects[i];
		snprintf(option, sizeof(option), "%s: class %s, %zu bytes", f->name,
		    *o->class_name ? o->class_name : "unknown", o->data_len);
		rc = mg_task_symbol_part(t, "RTF_OBJECT", option, f->part);
		if (rc == 0 && (o->flags & RTF_O_EQUATION))
			rc = mg_task_symbol_part(t, "RTF_EQUATION_EXPLOIT", option, f->part);
	}
	snprintf(option, sizeof(option), "%s", f->name);
	if (rc == 0 && (r->flags & RTF_O_UPDATE))
		rc = mg_task_symbol_part(t, "RTF_OBJUPDATE", option, f->part);
	if (rc == 0 && (r->flags & RTF_O_OCX))
		rc = mg_task_symbol_part(t, "RTF_ACTIVEX", option, f->part);
	return rc;
}

struct rtf_walk {
	struct mg_task	*t;
	struct rtf_limits lim;
};

/* One attachment or archive member (mime_files_each). */
static int
rtf_file(const struct mime_file *f, void *arg)
{
	struct rtf_walk *w = arg;
	char option[TASK_MAX_OPTION_LEN];
	struct rtf_report r;
	int rc;

	if (!rtf_detect(f->data, f->len))
		return 0;
	if (mg_task_expired(w->t))
		return -MG_ETIMEOUT;
	if ((rc = rtf_scan(f->data, f->len, &w->lim, &r)) < 0 ||
	    (rc = rtf_report_symbols(w->t, f, &r)) < 0)
		return rc;
	if (r.long_words == 0 && r.max_depth < w->lim.deep_groups)
		return 0;
	snprintf(option, sizeof(option), "%s: %u oversized control words, depth %u", f->name,
	    r.long_words, r.max_depth);
	return mg_task_symbol_part(w->t, "RTF_MALFORMED", option, f->part);
}

static int
rtf_check_scan(void *state, struct mg_task *t)
{
	struct rtf_walk w = { .t = t };

	rtf_limits_default(&w.lim);
	return mime_files_each(t->msg, rtf_file, &w);
}

const struct mg_check check_rtf = {
	.name = "rtf",
	.scan = rtf_check_scan,
	.symbols = rtf_defs,
};
