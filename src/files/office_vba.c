/* VBA source analysis (office.h): the procedures that Office runs by
 * themselves (auto-exec entry points), and the calls and strings that
 * droppers use (Shell, CreateObject, URLDownloadToFile, PowerShell, long
 * runs of Chr() or base64). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "files/office.h"

#define VBA_CHR_MIN	20	/* Chr() calls in one module that count as obfuscation */
#define VBA_B64_MIN	120	/* base64 characters in a row inside one string literal */

/* Procedure names Office runs without the user asking. */
static const char *const vba_autoexec[] = {
	"AutoOpen", "AutoClose", "AutoExec", "AutoExit", "AutoNew",
	"Auto_Open", "Auto_Close", "Auto_Activate", "Auto_Deactivate",
	"Document_Open", "Document_Close", "Document_New", "Document_BeforeClose",
	"Document_ContentControlOnEnter", "Document_ContentControlOnExit",
	"DocumentOpen", "DocumentBeforeClose", "NewDocument",
	"Workbook_Open", "Workbook_Activate", "Workbook_Close", "Workbook_BeforeClose",
	"Workbook_Deactivate", "Workbook_WindowActivate", "Workbook_SheetActivate",
	"Presentation_Open", "AutoOpen_Presentation", "App_WorkbookOpen",
	"InkPicture1_Painted", "InkEdit1_GotFocus", "Frame1_Layout", "MultiPage1_Layout",
	"Worksheet_Activate", "Worksheet_Calculate",
};

/* Identifiers droppers call. */
static const char *const vba_calls[] = {
	"Shell", "ShellExecute", "ShellExecuteA", "ShellExecuteW", "CreateObject", "GetObject",
	"CallByName", "URLDownloadToFile", "URLDownloadToFileA", "URLDownloadToFileW",
	"ExecuteExcel4Macro", "MacScript", "VirtualAlloc", "VirtualAllocEx",
	"RtlMoveMemory", "CreateThread", "CreateRemoteThread", "WriteProcessMemory",
	"CreateProcessA", "CreateProcessW", "WinExec",
};

/* Strings droppers build, looked for anywhere (case-insensitive). */
static const char *const vba_strings[] = {
	"WScript.Shell", "Shell.Application", "powershell", "URLDownloadToFile",
	"MSXML2.XMLHTTP", "MSXML2.ServerXMLHTTP", "WinHttp.WinHttpRequest", "ADODB.Stream",
	"mshta", "cmd.exe", "cmd /c", "certutil", "bitsadmin", "regsvr32", "rundll32",
	"Scripting.FileSystemObject", "Win32_Process", "winmgmts:",
};

static bool
word_in(const char *w, size_t n, const char *const *list, size_t nlist, const char **hit)
{
	for (size_t i = 0; i < nlist; i++)
		if (strlen(list[i]) == n && strncasecmp(w, list[i], n) == 0) {
			*hit = list[i];
			return true;
		}
	return false;
}

static void
vba_suspicious(struct office_findings *f, const char *what)
{
	if (!(f->flags & OFFICE_F_SUSPICIOUS))
		office_detail(f->suspicious, what, strlen(what));
	f->flags |= OFFICE_F_SUSPICIOUS;
}

/* Case-insensitive substring search of the dropper strings. */
static void
vba_scan_strings(struct office_findings *f, const char *s, size_t len)
{
	for (size_t k = 0; k < sizeof(vba_strings) / sizeof(vba_strings[0]); k++) {
		size_t n = strlen(vba_strings[k]);
		for (size_t i = 0; i + n <= len; i++)
			if (strncasecmp(s + i, vba_strings[k], n) == 0) {
				vba_suspicious(f, vba_strings[k]);
				return;
			}
	}
}

/* A string literal from s[0] == '"': its length with both quotes; a
 * long base64 run inside counts. */
static size_t
vba_literal(struct office_findings *f, const char *s, size_t len)
{
	size_t i = 1, run = 0, best = 0;
	char what[64];

	for (; i < len && s[i] != '"' && s[i] != '\n'; i++) {
		unsigned char c = (unsigned char)s[i];
		run = isalnum(c) || c == '+' || c == '/' || c == '=' ? run + 1 : 0;
		best = run > best ? run : best;
	}
	if (best >= VBA_B64_MIN) {
		snprintf(what, sizeof(what), "base64 blob (%zu chars)", best);
		vba_suspicious(f, what);
	}
	return i < len ? i + 1 : i;
}

/* An identifier at s: auto-exec when it names a Sub or Function, a
 * suspicious call, or a Chr() counted. prev is the previous identifier. */
static void
vba_word(struct office_findings *f, const char *w, size_t n, const char *prev, size_t prevn,
    unsigned *chr)
{
	const char *hit;

	if (prevn > 0 && ((prevn == 3 && strncasecmp(prev, "Sub", 3) == 0) ||
	    (prevn == 8 && strncasecmp(prev, "Function", 8) == 0)) &&
	    word_in(w, n, vba_autoexec, sizeof(vba_autoexec) / sizeof(vba_autoexec[0]), &hit)) {
		if (!(f->flags & OFFICE_F_AUTOEXEC))
			office_detail(f->autoexec, hit, strlen(hit));
		f->flags |= OFFICE_F_AUTOEXEC;
	} else if (word_in(w, n, vba_calls, sizeof(vba_calls) / sizeof(vba_calls[0]), &hit))
		vba_suspicious(f, hit);
	else if (n >= 3 && n <= 5 && strncasecmp(w, "Chr", 3) == 0) {
		size_t k = 3;
		while (k < n && strchr("wWbB$", w[k]) != NULL)
			k++;
		*chr += k == n;
	}
}

void
office_vba_source(struct office_findings *f, const char *module, const char *s, size_t len)
{
	const char *prev = NULL;
	size_t prevn = 0, i = 0, used = strlen(f->modules);
	unsigned chr = 0;

	f->flags |= OFFICE_F_MACRO;
	f->nmodules++;
	if (used + 2 < sizeof(f->modules)) {
		char name[OFFICE_DETAIL];
		office_detail(name, module, strlen(module));
		snprintf(f->modules + used, sizeof(f->modules) - used, "%s%s",
		    used > 0 ? "," : "", name);
	}
	vba_scan_strings(f, s, len);
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\'') {		/* comment to the end of the line */
			while (i < len && s[i] != '\n')
				i++;
		} else if (c == '"')
			i += vba_literal(f, s + i, len - i);
		else if (isalpha(c) || c == '_') {
			size_t n = 1;
			while (i + n < len && (isalnum((unsigned char)s[i + n]) || s[i + n] == '_'))
				n++;
			n += i + n < len && s[i + n] == '$';
			vba_word(f, s + i, n, prev, prevn, &chr);
			prev = s + i;
			prevn = n;
			i += n;
		} else
			i++;
	}
	if (chr >= VBA_CHR_MIN) {
		char what[64];
		snprintf(what, sizeof(what), "Chr() obfuscation (%u calls)", chr);
		vba_suspicious(f, what);
	}
}
