/* The [MS-CFB] compound file reader (ole.h). Every chain is walked with a
 * bitmap of the sectors seen, so a loop ends it and no chain yields more
 * bytes than the file holds. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "files/ole.h"

#define OLE_HEADER	512
#define OLE_DIRENT	128
#define OLE_MINI_SHIFT	6
#define OLE_MINI_CUTOFF	4096
#define OLE_ENDCHAIN	0xfffffffeu
#define OLE_MAXREG	0xfffffffau	/* larger ids are special values */
#define OLE_HEADER_DIFAT 109

static const uint8_t ole_signature[8] = { 0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1 };

/* Sectors of one size: the file after its header, or the mini stream. */
struct ole_space {
	const uint8_t	*base;
	size_t		 len;
	unsigned	 shift;
	const uint32_t	*table;		/* FAT or miniFAT */
	size_t		 ntable;
};

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

bool
ole_magic(const uint8_t *p, size_t len)
{
	return len >= sizeof(ole_signature) && memcmp(p, ole_signature, sizeof(ole_signature)) == 0;
}

/* Reads the chain from start: want bytes (SIZE_MAX: to its end), at most
 * max. A sector seen twice, out of the table or past the data is
 * -MG_EPROTO. */
static int
chain_read(const struct ole_space *s, uint32_t start, size_t want, size_t max, uint8_t **out,
    size_t *outlen)
{
	size_t secsize = (size_t)1 << s->shift, n = 0, cap;
	uint8_t *seen, *buf;
	uint32_t sid = start;

	*out = NULL;
	*outlen = 0;
	if (want != SIZE_MAX && want > max)
		return -MG_ELIMIT;
	cap = want != SIZE_MAX ? want : (s->len < max ? s->len : max);
	if ((seen = calloc(s->ntable / 8 + 1, 1)) == NULL)
		return -MG_ENOMEM;
	if ((buf = malloc(cap + 1)) == NULL) {
		free(seen);
		return -MG_ENOMEM;
	}
	while (n < cap && sid != OLE_ENDCHAIN) {
		size_t off = (size_t)sid << s->shift, take = cap - n < secsize ? cap - n : secsize;
		if (sid >= s->ntable || (seen[sid / 8] >> (sid % 8) & 1) || off >= s->len ||
		    s->len - off < take)
			goto bad;
		seen[sid / 8] |= (uint8_t)(1u << (sid % 8));
		memcpy(buf + n, s->base + off, take);
		n += take;
		sid = s->table[sid];
	}
	if (want != SIZE_MAX && n < want)
		goto bad;
	if (want == SIZE_MAX && sid != OLE_ENDCHAIN && n >= max) {
		free(seen);
		free(buf);
		return -MG_ELIMIT;
	}
	free(seen);
	*out = buf;
	*outlen = n;
	return 0;
bad:
	free(seen);
	free(buf);
	return -MG_EPROTO;
}

/* The sector ids of the FAT: the header's DIFAT, then the DIFAT chain. */
static int
ole_fat_sectors(const uint8_t *d, size_t len, unsigned shift, uint32_t nfatsec, uint32_t *ids)
{
	size_t per = ((size_t)1 << shift) / 4 - 1, n = 0;
	uint32_t sid = le32(d + 68), ndif = le32(d + 72), steps = 0;

	for (; n < nfatsec && n < OLE_HEADER_DIFAT; n++)
		ids[n] = le32(d + 76 + 4 * n);
	while (n < nfatsec) {
		size_t off = ((size_t)sid + 1) << shift;
		if (sid > OLE_MAXREG || steps++ >= ndif || off >= len ||
		    len - off < ((size_t)1 << shift))
			return -MG_EPROTO;
		for (size_t i = 0; i < per && n < nfatsec; i++)
			ids[n++] = le32(d + off + 4 * i);
		sid = le32(d + off + 4 * per);
	}
	return 0;
}

static int
ole_load_fat(struct ole_file *f)
{
	const uint8_t *d = f->data;
	size_t secsize = (size_t)1 << f->sector_shift, per = secsize / 4;
	uint32_t nfatsec = le32(d + 44), *ids;
	int rc;

	if (nfatsec == 0 || nfatsec > f->len / secsize + 1)
		return -MG_EPROTO;
	if ((ids = calloc(nfatsec, sizeof(*ids))) == NULL)
		return -MG_ENOMEM;
	if ((rc = ole_fat_sectors(d, f->len, f->sector_shift, nfatsec, ids)) < 0)
		goto out;
	rc = -MG_ENOMEM;
	if ((f->fat = calloc((size_t)nfatsec * per, sizeof(uint32_t))) == NULL)
		goto out;
	f->nfat = (size_t)nfatsec * per;
	rc = -MG_EPROTO;
	for (size_t i = 0; i < nfatsec; i++) {
		size_t off = ((size_t)ids[i] + 1) << f->sector_shift;
		if (ids[i] > OLE_MAXREG || off >= f->len || f->len - off < secsize)
			goto out;
		for (size_t j = 0; j < per; j++)
			f->fat[i * per + j] = le32(d + off + 4 * j);
	}
	rc = 0;
out:
	free(ids);
	return rc;
}

static struct ole_space
ole_big(const struct ole_file *f)
{
	size_t secsize = (size_t)1 << f->sector_shift;
	struct ole_space s = { f->data + secsize, f->len - secsize, f->sector_shift, f->fat, f->nfat };

	return s;
}

void
ole_utf16(const uint8_t *p, size_t len, char *out, size_t outlen)
{
	size_t n = 0;

	for (size_t i = 0; i + 1 < len; i += 2) {
		unsigned c = le16(p + i);
		if (c == 0 || n + 4 >= outlen)
			break;
		if (c >= 0xd800 && c <= 0xdfff)
			c = '?';
		if (c < 0x80)
			out[n++] = (char)c;
		else if (c < 0x800) {
			out[n++] = (char)(0xc0 | c >> 6);
			out[n++] = (char)(0x80 | (c & 0x3f));
		} else {
			out[n++] = (char)(0xe0 | c >> 12);
			out[n++] = (char)(0x80 | (c >> 6 & 0x3f));
			out[n++] = (char)(0x80 | (c & 0x3f));
		}
	}
	out[n] = '\0';
}

/* Sets the parent of every entry reachable from the root through the
 * storages' child trees, breadth first; an entry reached twice (a loop,
 * or shared) keeps its first parent. */
static int
ole_link(struct ole_file *f)
{
	size_t n = f->nentries, qhead = 0, qtail = 0;
	uint32_t *stack, *queue;
	uint8_t *seen;

	stack = malloc((n + 2) * sizeof(*stack));
	queue = malloc((n + 1) * sizeof(*queue));
	seen = calloc(n, 1);
	if (stack == NULL || queue == NULL || seen == NULL) {
		free(stack);
		free(queue);
		free(seen);
		return -MG_ENOMEM;
	}
	seen[0] = 1;
	queue[qtail++] = 0;
	while (qhead < qtail) {
		uint32_t s = queue[qhead++];
		size_t top = 0;
		stack[top++] = f->entries[s].child;
		while (top > 0) {
			uint32_t e = stack[--top];
			if (e >= n || seen[e])
				continue;
			seen[e] = 1;
			f->entries[e].parent = s;
			if (f->entries[e].type == OLE_STORAGE)
				queue[qtail++] = e;
			stack[top++] = f->entries[e].left;
			stack[top++] = f->entries[e].right;
		}
	}
	free(stack);
	free(queue);
	free(seen);
	return 0;
}

static int
ole_load_dir(struct ole_file *f)
{
	struct ole_space big = ole_big(f);
	uint8_t *dir;
	size_t len;
	int rc;

	if ((rc = chain_read(&big, le32(f->data + 48), SIZE_MAX,
	    (size_t)OLE_MAX_ENTRIES * OLE_DIRENT, &dir, &len)) < 0)
		return rc;
	f->nentries = len / OLE_DIRENT;
	if (f->nentries == 0 || dir[66] != OLE_ROOT) {
		free(dir);
		return -MG_EPROTO;
	}
	if ((f->entries = calloc(f->nentries, sizeof(*f->entries))) == NULL) {
		free(dir);
		return -MG_ENOMEM;
	}
	for (size_t i = 0; i < f->nentries; i++) {
		const uint8_t *p = dir + i * OLE_DIRENT;
		struct ole_entry *e = &f->entries[i];
		ole_utf16(p, le16(p + 64) < 64 ? le16(p + 64) : 64, e->name, sizeof(e->name));
		e->type = p[66];
		e->left = le32(p + 68);
		e->right = le32(p + 72);
		e->child = le32(p + 76);
		e->start = le32(p + 116);
		e->size = le32(p + 120);
		if (f->sector_shift == 12)
			e->size |= (uint64_t)le32(p + 124) << 32;
		e->parent = OLE_NONE;
	}
	free(dir);
	return ole_link(f);
}

/* The miniFAT and the mini stream (the root entry's chain). */
static int
ole_load_mini(struct ole_file *f)
{
	struct ole_space big = ole_big(f);
	const struct ole_entry *root = &f->entries[0];
	uint8_t *mf;
	size_t len;
	int rc;

	if (le32(f->data + 64) == 0 || le32(f->data + 60) == OLE_ENDCHAIN || root->size == 0)
		return 0;
	if ((rc = chain_read(&big, le32(f->data + 60), SIZE_MAX, f->len, &mf, &len)) < 0)
		return rc;
	f->nminifat = len / 4;
	if ((f->minifat = calloc(f->nminifat + 1, sizeof(uint32_t))) == NULL) {
		free(mf);
		return -MG_ENOMEM;
	}
	for (size_t i = 0; i < f->nminifat; i++)
		f->minifat[i] = le32(mf + 4 * i);
	free(mf);
	if (root->size > f->len)
		return -MG_EPROTO;
	return chain_read(&big, root->start, (size_t)root->size, f->len, &f->ministream,
	    &f->ministream_len);
}

int
ole_open(struct ole_file *f, const uint8_t *d, size_t len)
{
	unsigned major;
	int rc;

	memset(f, 0, sizeof(*f));
	f->data = d;
	f->len = len;
	if (len < OLE_HEADER || !ole_magic(d, len) || le16(d + 28) != 0xfffe)
		return -MG_EPROTO;
	major = le16(d + 26);
	f->sector_shift = le16(d + 30);
	if (!((major == 3 && f->sector_shift == 9) || (major == 4 && f->sector_shift == 12)) ||
	    le16(d + 32) != OLE_MINI_SHIFT || len <= ((size_t)1 << f->sector_shift))
		return -MG_EPROTO;
	if ((rc = ole_load_fat(f)) < 0 || (rc = ole_load_dir(f)) < 0 ||
	    (rc = ole_load_mini(f)) < 0) {
		ole_close(f);
		return rc;
	}
	return 0;
}

void
ole_close(struct ole_file *f)
{
	free(f->fat);
	free(f->minifat);
	free(f->entries);
	free(f->ministream);
	memset(f, 0, sizeof(*f));
}

int
ole_child(const struct ole_file *f, uint32_t storage, const char *name)
{
	for (size_t i = 1; i < f->nentries; i++)
		if (f->entries[i].parent == storage && f->entries[i].type != OLE_EMPTY &&
		    strcasecmp(f->entries[i].name, name) == 0)
			return (int)i;
	return -MG_ENOENT;
}

int
ole_find(const struct ole_file *f, const char *path)
{
	char part[96];
	uint32_t cur = 0;

	while (*path != '\0') {
		size_t n = strcspn(path, "/");
		int e;
		if (n == 0 || n >= sizeof(part))
			return -MG_ENOENT;
		memcpy(part, path, n);
		part[n] = '\0';
		if ((e = ole_child(f, cur, part)) < 0)
			return e;
		cur = (uint32_t)e;
		path += n + (path[n] == '/');
	}
	return (int)cur;
}

int
ole_read(const struct ole_file *f, uint32_t entry, size_t max, uint8_t **out, size_t *outlen)
{
	const struct ole_entry *e;
	struct ole_space s;

	*out = NULL;
	*outlen = 0;
	if (entry >= f->nentries || f->entries[entry].type != OLE_STREAM)
		return -MG_ENOENT;
	e = &f->entries[entry];
	if (e->size > max || e->size > OLE_MAX_STREAM)
		return -MG_ELIMIT;
	if (e->size >= OLE_MINI_CUTOFF)
		s = ole_big(f);
	else {
		s = (struct ole_space){ f->ministream, f->ministream_len, OLE_MINI_SHIFT,
		    f->minifat, f->nminifat };
		if (e->size > 0 && f->ministream == NULL)
			return -MG_EPROTO;
	}
	if (e->size == 0) {
		*out = malloc(1);
		return *out == NULL ? -MG_ENOMEM : 0;
	}
	return chain_read(&s, e->start, (size_t)e->size, max, out, outlen);
}
