/* libFuzzer target for the Office readers: the input is a document's bytes
 * (seeds: the documents tests/files/gen_office.py writes), analysed by
 * office_scan as a whole, and also opened as a compound file whose every
 * stream is read and, for VBA storages, decompressed. Whatever the input,
 * the findings' strings must be terminated printable ASCII. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "files/office.h"
#include "files/ole.h"
#include "files/vba.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_detail(const char *s)
{
	size_t n = strnlen(s, OFFICE_DETAIL);

	if (n == OFFICE_DETAIL)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			abort();
}

static int
module_seen(void *arg, const struct vba_module *m, const char *src, size_t len)
{
	(void)arg;
	(void)m;
	if (len == 0 || len > VBA_MAX_SOURCE || src == NULL)
		abort();
	return 0;
}

/* Every stream of a compound file, and the raw decompression of each. */
static void
walk_ole(const uint8_t *data, size_t size)
{
	struct ole_file o;

	if (ole_open(&o, data, size) != 0)
		return;
	for (size_t i = 0; i < o.nentries; i++) {
		uint8_t *s;
		size_t len;
		size_t budget = 1 << 20;
		if (o.entries[i].type == OLE_STORAGE &&
		    vba_project_read(&o, (uint32_t)i, &budget, module_seen, NULL) == 0 &&
		    budget > (1 << 20))
			abort();
		if (ole_read(&o, (uint32_t)i, 1 << 20, &s, &len) != 0)
			continue;
		if (len != o.entries[i].size)
			abort();
		free(s);
	}
	ole_close(&o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct office_findings f;
	struct mg_buf b;

	if (office_scan(data, size, &f) != 0)
		abort();
	check_detail(f.modules);
	check_detail(f.autoexec);
	check_detail(f.suspicious);
	check_detail(f.xlm);
	check_detail(f.template_url);
	check_detail(f.remote_url);
	check_detail(f.dde);
	check_detail(f.corrupt);
	walk_ole(data, size);
	mg_buf_init(&b, 1 << 20);
	(void)vba_decompress(data, size, &b);
	mg_buf_release(&b);
	return 0;
}
