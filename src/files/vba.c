/* [MS-OVBA] decompression and dir stream parsing (vba.h). */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "files/vba.h"

#define VBA_CHUNK	4096

/* dir stream record ids */
#define DIR_VERSION	0x0009	/* its size field says 4, 6 bytes follow */
#define DIR_TERMINATOR	0x0010
#define DIR_MODULENAME	0x0019
#define DIR_STREAMNAME	0x001a
#define DIR_STREAMNAME_U 0x0032	/* UTF-16LE, follows DIR_STREAMNAME */
#define DIR_MODULENAME_U 0x0047
#define DIR_OFFSET	0x0031
#define DIR_MODULE_END	0x002b

static uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Bits of a copy token's offset: the fewest that can reach back to the
 * chunk's start from pos bytes into it, at least 4. */
static unsigned
copy_bits(size_t pos)
{
	unsigned bits = 4;

	while (bits < 12 && ((size_t)1 << bits) < pos)
		bits++;
	return bits;
}

/* One compressed chunk's token sequences, in[0..len), appended to out. */
static int
vba_chunk(const uint8_t *in, size_t len, struct mg_buf *out)
{
	size_t dstart = out->len, i = 0;
	int rc;

	while (i < len) {
		uint8_t flags = in[i++];
		for (unsigned bit = 0; bit < 8 && i < len; bit++) {
			if (!(flags >> bit & 1)) {
				if ((rc = mg_buf_putc(out, in[i++])) < 0)
					return rc;
				continue;
			}
			if (len - i < 2)
				return -MG_EPROTO;
			uint16_t tok = le16(in + i);
			size_t diff = out->len - dstart;
			unsigned nbits = copy_bits(diff);
			size_t off = (size_t)(tok >> (16 - nbits)) + 1;
			size_t n = (size_t)(tok & (0xffffu >> nbits)) + 3;
			i += 2;
			if (off > diff)
				return -MG_EPROTO;
			if ((rc = mg_buf_reserve(out, n)) < 0)
				return rc;
			for (size_t k = 0; k < n; k++)	/* overlapping copies repeat */
				out->data[out->len + k] = out->data[out->len - off + k];
			out->len += n;
		}
	}
	return 0;
}

int
vba_decompress(const uint8_t *in, size_t len, struct mg_buf *out)
{
	size_t i = 1;
	int rc;

	if (len < 1 || in[0] != 0x01)
		return -MG_EPROTO;
	while (i < len) {
		uint16_t hdr;
		size_t size;
		if (len - i < 2)
			return -MG_EPROTO;
		hdr = le16(in + i);
		size = (size_t)(hdr & 0x0fff) + 1;	/* bytes after the header */
		if ((hdr >> 12 & 7) != 3)
			return -MG_EPROTO;
		i += 2;
		if (size > len - i)
			size = len - i;			/* a short last chunk */
		if (hdr & 0x8000)
			rc = vba_chunk(in + i, size, out);
		else {
			size = len - i < VBA_CHUNK ? len - i : VBA_CHUNK;
			rc = mg_buf_append(out, in + i, size);
		}
		if (rc < 0)
			return rc;
		i += size;
	}
	return 0;
}

static void
dir_copy(char *dst, size_t dstlen, const uint8_t *src, size_t n)
{
	size_t k;

	for (k = 0; k < n && k + 1 < dstlen; k++)
		dst[k] = src[k] < 0x20 || src[k] == 0x7f ? '?' : (char)src[k];
	dst[k] = '\0';
}

int
vba_dir_parse(const uint8_t *d, size_t len, struct vba_project *p)
{
	struct vba_module cur;
	size_t i = 0;

	memset(&cur, 0, sizeof(cur));
	p->nmodules = 0;
	while (len - i >= 6) {
		uint16_t id = le16(d + i);
		size_t size = le32(d + i + 2);
		i += 6;
		if (id == DIR_VERSION)
			size = 6;
		if (size > len - i)
			return -MG_EPROTO;
		if (id == DIR_TERMINATOR)
			break;
		if (id == DIR_MODULENAME) {
			memset(&cur, 0, sizeof(cur));
			dir_copy(cur.name, sizeof(cur.name), d + i, size);
		} else if (id == DIR_STREAMNAME)
			dir_copy(cur.stream, sizeof(cur.stream), d + i, size);
		else if (id == DIR_STREAMNAME_U)
			ole_utf16(d + i, size, cur.stream, sizeof(cur.stream));
		else if (id == DIR_MODULENAME_U)
			ole_utf16(d + i, size, cur.name, sizeof(cur.name));
		else if (id == DIR_OFFSET && size == 4)
			cur.offset = le32(d + i);
		else if (id == DIR_MODULE_END) {
			if (p->nmodules == VBA_MAX_MODULES)
				return -MG_ELIMIT;
			if (cur.stream[0] == '\0')
				memcpy(cur.stream, cur.name, sizeof(cur.stream));
			p->modules[p->nmodules++] = cur;
			memset(&cur, 0, sizeof(cur));
		}
		i += size;
	}
	return p->nmodules > 0 ? 0 : -MG_EPROTO;
}

/* Reads stream name of storage and decompresses it from offset into out,
 * both taken from *budget. */
static int
vba_stream(const struct ole_file *f, uint32_t storage, const char *name, uint32_t offset,
    size_t *budget, struct mg_buf *out)
{
	uint8_t *raw;
	size_t len, max = *budget < VBA_MAX_SOURCE ? *budget : VBA_MAX_SOURCE;
	int e, rc;

	mg_buf_reset(out);
	if ((e = ole_child(f, storage, name)) < 0)
		return -MG_EPROTO;
	if ((rc = ole_read(f, (uint32_t)e, max, &raw, &len)) < 0)
		return rc == -MG_ENOMEM || rc == -MG_ELIMIT ? rc : -MG_EPROTO;
	*budget -= len;
	out->max = *budget < VBA_MAX_SOURCE ? *budget : VBA_MAX_SOURCE;
	if (out->max == 0)
		rc = -MG_ELIMIT;
	else
		rc = offset <= len ? vba_decompress(raw + offset, len - offset, out) : -MG_EPROTO;
	*budget -= out->len;
	free(raw);
	return rc;
}

int
vba_project_read(const struct ole_file *f, uint32_t storage, size_t *budget, vba_source_fn fn,
    void *arg)
{
	struct vba_project *p;
	struct mg_buf b;
	int rc, broken = 0;

	if ((p = malloc(sizeof(*p))) == NULL)
		return -MG_ENOMEM;
	mg_buf_init(&b, VBA_MAX_SOURCE);
	if ((rc = vba_stream(f, storage, "dir", 0, budget, &b)) < 0 && b.len == 0)
		goto out;
	broken = rc < 0;
	if ((rc = vba_dir_parse(b.data, b.len, p)) < 0 && p->nmodules == 0)
		goto out;
	broken |= rc < 0;
	for (size_t i = 0; i < p->nmodules; i++) {
		const struct vba_module *m = &p->modules[i];
		rc = vba_stream(f, storage, m->stream, m->offset, budget, &b);
		if (rc == -MG_ENOMEM)
			goto out;
		broken |= rc < 0;
		if (b.len > 0 && (rc = fn(arg, m, (const char *)b.data, b.len)) < 0)
			goto out;
		if (*budget == 0) {
			rc = -MG_ELIMIT;
			goto out;
		}
	}
	rc = broken ? -MG_EPROTO : 0;
out:
	mg_buf_release(&b);
	free(p);
	return rc;
}
