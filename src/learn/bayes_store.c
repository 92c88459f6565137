/* The Bayes token store (bayes_int.h): one mmap-ed file of open-addressed
 * token slots and learned-message digests. Readers map it read-only and
 * follow it when a writer replaces it; the writer holds flock on the file
 * and grows, prunes or expires by rehashing into a new file that it
 * rename()s over the old one. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "learn/bayes_int.h"

#define BAYES_RESTAT_NS	1000000000ull	/* readers look at the path once a second */

uint32_t
bayes_day_now(void)
{
	time_t now = time(NULL);
	long d = (long)(now / 86400) - BAYES_DAY_EPOCH;

	return d < 1 ? 1 : d > DEDUP_DAY ? DEDUP_DAY : (uint32_t)d;
}

static uint64_t
store_size(uint32_t capacity, uint32_t dedup_capacity)
{
	return BAYES_HEADER_SIZE + (uint64_t)capacity * sizeof(struct bayes_slot) +
	    (uint64_t)dedup_capacity * sizeof(uint64_t);
}

/* Why base[0..size) is not a store we can use, or NULL. */
static const char *
store_invalid(const uint8_t *base, size_t size, char *why, size_t whylen)
{
	const struct bayes_header *h = (const void *)base;

	if (size < BAYES_HEADER_SIZE)
		snprintf(why, whylen, "truncated: %zu bytes, shorter than the header", size);
	else if (memcmp(h->magic, BAYES_MAGIC, sizeof(h->magic)) != 0)
		snprintf(why, whylen, "not a Bayes token store (bad magic)");
	else if (h->version != BAYES_VERSION)
		snprintf(why, whylen, "store version %" PRIu32 ", this program reads %d",
		    h->version, BAYES_VERSION);
	else if (h->endian != BAYES_ENDIAN)
		snprintf(why, whylen, "written on a machine of another byte order");
	else if (h->header_size != BAYES_HEADER_SIZE || h->slot_size != sizeof(struct bayes_slot) ||
	    h->capacity == 0 || h->capacity % 64 != 0 || h->dedup_capacity == 0 ||
	    (h->dedup_capacity & (h->dedup_capacity - 1)) != 0)
		snprintf(why, whylen, "damaged header (capacity %" PRIu32 ", digests %" PRIu32 ")",
		    h->capacity, h->dedup_capacity);
	else if (store_size(h->capacity, h->dedup_capacity) != size)
		snprintf(why, whylen, "truncated or damaged: %zu bytes, the header says %" PRIu64,
		    size, store_size(h->capacity, h->dedup_capacity));
	else if (atomic_load(&h->ntokens) > h->capacity ||
	    atomic_load(&h->ndedup) > h->dedup_capacity)
		snprintf(why, whylen, "damaged header (more tokens than slots)");
	else
		return NULL;
	return why;
}

static struct bayes_map *
map_new(uint8_t *base, size_t size, const struct stat *st)
{
	struct bayes_map *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->base = base;
	m->size = size;
	m->h = (struct bayes_header *)base;
	m->slots = (struct bayes_slot *)(base + BAYES_HEADER_SIZE);
	m->dedup = (uint64_t *)(base + BAYES_HEADER_SIZE +
	    (size_t)m->h->capacity * sizeof(struct bayes_slot));
	m->dev = st->st_dev;
	m->ino = st->st_ino;
	return m;
}

int
bayes_map_open(const char *path, bool writable, struct bayes_map **out, int *fdp,
    char *err, size_t errlen)
{
	struct stat st;
	uint8_t *base;
	char why[160];
	int fd, rc = -MG_EIO;

	*out = NULL;
	if ((fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? -MG_ENOENT : -MG_EIO;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if ((size_t)st.st_size < BAYES_HEADER_SIZE) {
		snprintf(err, errlen, "%s: truncated: %jd bytes, shorter than the header", path,
		    (intmax_t)st.st_size);
		rc = -MG_EPROTO;
		goto fail;
	}
	base = mmap(NULL, (size_t)st.st_size, PROT_READ | (writable ? PROT_WRITE : 0),
	    MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
		goto fail;
	}
	if (store_invalid(base, (size_t)st.st_size, why, sizeof(why)) != NULL) {
		snprintf(err, errlen, "%s: %s", path, why);
		munmap(base, (size_t)st.st_size);
		rc = -MG_EPROTO;
		goto fail;
	}
	if ((*out = map_new(base, (size_t)st.st_size, &st)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		munmap(base, (size_t)st.st_size);
		rc = -MG_ENOMEM;
		goto fail;
	}
	if (writable)
		*fdp = fd;
	else
		close(fd);
	return 0;
fail:
	close(fd);
	return rc;
}

struct bayes_map *
bayes_map_close(struct bayes_map *m)
{
	if (m != NULL) {
		munmap(m->base, m->size);
		free(m);
	}
	return NULL;
}

static void
header_init(struct bayes_header *h, uint32_t capacity, uint32_t dedup_capacity)
{
	memcpy(h->magic, BAYES_MAGIC, sizeof(h->magic));
	h->version = BAYES_VERSION;
	h->header_size = BAYES_HEADER_SIZE;
	h->endian = BAYES_ENDIAN;
	h->slot_size = sizeof(struct bayes_slot);
	h->capacity = capacity;
	h->dedup_capacity = dedup_capacity;
	h->created_day = bayes_day_now();
}

/* A new, zeroed store file beside path, locked, mapped read-write, its
 * header initialised; the caller fills it and renames it over path. */
static int
store_new(const char *path, uint32_t capacity, uint32_t dedup_capacity, mode_t mode,
    char *tmp, size_t tmplen, int *fdp, struct bayes_map **out, char *err, size_t errlen)
{
	uint64_t size = store_size(capacity, dedup_capacity);
	struct stat st;
	uint8_t *base;
	int fd;

	/* a cut name could be another file (the store itself): unlinked below */
	if ((size_t)snprintf(tmp, tmplen, "%s.new.%ld", path, (long)getpid()) >= tmplen) {
		snprintf(err, errlen, "%s: path too long", path);
		return -MG_EIO;
	}
	unlink(tmp);
	if ((fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode)) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -MG_EIO;
	}
	if (flock(fd, LOCK_EX) == -1 || ftruncate(fd, (off_t)size) == -1 ||
	    fstat(fd, &st) == -1 ||
	    (base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	header_init((struct bayes_header *)base, capacity, dedup_capacity);
	if ((*out = map_new(base, size, &st)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", tmp);
		munmap(base, size);
		goto fail;
	}
	*fdp = fd;
	return 0;
fail:
	close(fd);
	unlink(tmp);
	return -MG_EIO;
}

/* Makes the filled new store durable and puts it in place of path. */
static int
store_commit(const char *path, const char *tmp, int fd, struct bayes_map *m, char *err,
    size_t errlen)
{
	if (msync(m->base, m->size, MS_SYNC) == -1 || fsync(fd) == -1 ||
	    rename(tmp, path) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -MG_EIO;
	}
	return 0;
}

int
bayes_store_create(const char *path, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	struct bayes_map *m;
	int fd, rc;

	rc = store_new(path, BAYES_INITIAL_SLOTS, BAYES_INITIAL_DEDUP, 0644, tmp, sizeof(tmp),
	    &fd, &m, err, errlen);
	if (rc < 0)
		return rc;
	if (msync(m->base, m->size, MS_SYNC) == -1 || fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		rc = -MG_EIO;
	} else if (link(tmp, path) == -1 && errno != EEXIST) {	/* EEXIST: another won */
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -MG_EIO;
	}
	unlink(tmp);
	bayes_map_close(m);
	close(fd);
	return rc;
}

/* Reader, under b->lock: follows the store to its current file. A file
 * that cannot be used is logged and the old mapping kept. */
static void
reader_follow(struct bayes *b)
{
	struct bayes_map *m = b->map, *nm;
	struct stat st;
	char err[PATH_MAX + 128];
	int fd = -1, rc;

	if (stat(b->path, &st) == -1)
		return;		/* gone: keep what we have */
	if (m != NULL && m->dev == st.st_dev && m->ino == st.st_ino &&
	    atomic_load(&m->h->moved) == 0)
		return;
	if ((rc = bayes_map_open(b->path, false, &nm, &fd, err, sizeof(err))) < 0) {
		if (rc != -MG_ENOENT)
			log_warn("bayes reopen failed reason=\"%s\"", err);
		return;
	}
	b->map = nm;
	if (m != NULL && m->refs == 0)
		bayes_map_close(m);
}

struct bayes_map *
bayes_map_acquire(struct bayes *b)
{
	struct bayes_map *m;
	uint64_t now = mg_clock_ns();

	pthread_mutex_lock(&b->lock);
	if (!b->writable && (now >= b->next_stat ||
	    (b->map != NULL && atomic_load(&b->map->h->moved) != 0))) {
		b->next_stat = now + BAYES_RESTAT_NS;
		reader_follow(b);
	}
	if ((m = b->map) != NULL)
		m->refs++;
	pthread_mutex_unlock(&b->lock);
	return m;
}

void
bayes_map_release(struct bayes *b, struct bayes_map *m)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&b->lock);
	if (--m->refs == 0 && m != b->map)
		bayes_map_close(m);
	pthread_mutex_unlock(&b->lock);
}

/* Writer: replaces the mapping and the locked descriptor. */
static void
writer_switch(struct bayes *b, struct bayes_map *nm, int fd)
{
	struct bayes_map *old;

	pthread_mutex_lock(&b->lock);
	old = b->map;
	b->map = nm;
	if (old != NULL && old->refs == 0)
		bayes_map_close(old);
	pthread_mutex_unlock(&b->lock);
	if (b->fd != -1)
		close(b->fd);
	b->fd = fd;
}

int
bayes_writer_begin(struct bayes *b, char *err, size_t errlen)
{
	struct bayes_map *nm;
	struct stat st;
	int fd, rc;

	for (;;) {
		if (flock(b->fd, LOCK_EX) == -1) {
			snprintf(err, errlen, "%s: flock: %s", b->path, strerror(errno));
			return -MG_EIO;
		}
		if (stat(b->path, &st) == 0 && st.st_dev == b->map->dev &&
		    st.st_ino == b->map->ino)
			return 0;
		/* another writer replaced (or someone removed) the file */
		flock(b->fd, LOCK_UN);
		rc = bayes_map_open(b->path, true, &nm, &fd, err, errlen);
		if (rc == -MG_ENOENT && (rc = bayes_store_create(b->path, err, errlen)) == 0)
			continue;
		if (rc < 0)
			return rc;
		writer_switch(b, nm, fd);
	}
}

void
bayes_writer_end(struct bayes *b)
{
	flock(b->fd, LOCK_UN);
}

static inline uint32_t
key_lo(uint64_t hash)
{
	return (uint32_t)(hash >> 16);
}

static inline uint32_t
key_hi(uint64_t hash)
{
	return (uint32_t)(hash >> 48);
}

/* The slot holding hash, or the empty slot where it would go; NULL when
 * the table is full (only a damaged file is). */
static struct bayes_slot *
slot_find(const struct bayes_map *m, uint64_t hash)
{
	uint32_t cap = m->h->capacity, i = bayes_home(hash, cap);
	uint32_t lo = key_lo(hash), hi = key_hi(hash);

	for (uint32_t n = 0; n < cap; n++) {
		struct bayes_slot *s = &m->slots[i];
		uint32_t k = atomic_load_explicit(&s->key_lo, memory_order_acquire);
		if (k == 0 || (k == lo &&
		    atomic_load_explicit(&s->hi_day, memory_order_relaxed) >> 16 == hi))
			return s;
		if (++i == cap)
			i = 0;
	}
	return NULL;
}

/* The key is checked again: a slot slot_find found empty may have been
 * filled with another token since, by a writer in another process. */
uint32_t
bayes_slot_counts(const struct bayes_map *m, uint64_t hash)
{
	const struct bayes_slot *s = slot_find(m, hash);

	if (s == NULL ||
	    atomic_load_explicit(&s->key_lo, memory_order_acquire) != key_lo(hash) ||
	    atomic_load_explicit(&s->hi_day, memory_order_relaxed) >> 16 != key_hi(hash))
		return 0;
	return atomic_load_explicit(&s->counts, memory_order_relaxed);
}

/* Prefetches the slot hash starts at (the table is far larger than cache). */
void
bayes_slot_prefetch(const struct bayes_map *m, uint64_t hash)
{
	__builtin_prefetch(&m->slots[bayes_home(hash, m->h->capacity)]);
}

static uint32_t
counts_add(uint32_t c, bool spam, int sign)
{
	uint32_t s = c >> 16, h = c & 0xffff;

	if (sign > 0 && (spam ? s : h) == BAYES_COUNT_MAX) {	/* halve: the ratio stays */
		s = (s + 1) / 2;
		h = (h + 1) / 2;
	}
	if (spam)
		s = sign > 0 ? s + 1 : s > 0 ? s - 1 : 0;
	else
		h = sign > 0 ? h + 1 : h > 0 ? h - 1 : 0;
	return s << 16 | h;
}

void
bayes_slot_update(struct bayes_map *m, uint64_t hash, bool spam, int sign, uint32_t day)
{
	struct bayes_slot *s = slot_find(m, hash);

	if (s == NULL)
		return;
	if (atomic_load_explicit(&s->key_lo, memory_order_relaxed) != 0) {
		uint32_t c = atomic_load_explicit(&s->counts, memory_order_relaxed);
		atomic_store_explicit(&s->counts, counts_add(c, spam, sign), memory_order_relaxed);
		if (sign > 0)
			atomic_store_explicit(&s->hi_day, key_hi(hash) << 16 | day,
			    memory_order_relaxed);
		return;
	}
	if (sign < 0 || atomic_load(&m->h->ntokens) + 1 >= m->h->capacity)
		return;		/* unknown token, or full (the caller rehashes before) */
	atomic_store_explicit(&s->counts, counts_add(0, spam, 1), memory_order_relaxed);
	atomic_store_explicit(&s->hi_day, key_hi(hash) << 16 | day, memory_order_relaxed);
	atomic_store_explicit(&s->key_lo, key_lo(hash), memory_order_release);
	atomic_fetch_add(&m->h->ntokens, 1);
}

/* Digest slots: a power-of-two table the writer alone uses. */
static inline uint64_t
dedup_key(uint64_t digest)
{
	return digest & ~(uint64_t)0xffff;
}

static uint32_t
dedup_slot(const struct bayes_map *m, uint64_t digest)
{
	uint32_t mask = m->h->dedup_capacity - 1, i = (uint32_t)(digest >> 32) & mask;

	for (uint32_t n = 0; n <= mask; n++, i = (i + 1) & mask)
		if (m->dedup[i] == 0 || dedup_key(m->dedup[i]) == dedup_key(digest))
			return i;
	return UINT32_MAX;
}

uint64_t
bayes_dedup_find(const struct bayes_map *m, uint64_t digest)
{
	uint32_t i = dedup_slot(m, digest);

	return i == UINT32_MAX ? 0 : m->dedup[i];
}

void
bayes_dedup_put(struct bayes_map *m, uint64_t digest, bool spam, uint32_t day)
{
	uint32_t i = dedup_slot(m, digest);

	if (i == UINT32_MAX)
		return;
	if (m->dedup[i] == 0) {
		if (atomic_load(&m->h->ndedup) + 1 >= m->h->dedup_capacity)
			return;
		atomic_fetch_add(&m->h->ndedup, 1);
	}
	m->dedup[i] = dedup_key(digest) | (spam ? DEDUP_SPAM : 0) | (day & DEDUP_DAY);
}

/* Removes digest, shifting later entries of its probe run back. */
void
bayes_dedup_del(struct bayes_map *m, uint64_t digest)
{
	uint32_t mask = m->h->dedup_capacity - 1, i = dedup_slot(m, digest), j;

	if (i == UINT32_MAX || m->dedup[i] == 0)
		return;
	m->dedup[i] = 0;
	atomic_fetch_sub(&m->h->ndedup, 1);
	for (j = (i + 1) & mask; m->dedup[j] != 0; j = (j + 1) & mask) {
		uint32_t home = (uint32_t)(m->dedup[j] >> 32) & mask;
		/* j's entry may move to i unless its home lies cyclically in (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			m->dedup[i] = m->dedup[j];
			m->dedup[j] = 0;
			i = j;
		}
	}
}

/* What a rehash keeps and how big the new file is. */
struct rehash_plan {
	uint32_t	 capacity, dedup_capacity;
	uint32_t	 drop_total;	/* tokens with spam + ham at most this go (0: none) */
	uint32_t	 token_cut;	/* tiny tokens last learned before this day go */
	uint32_t	 dedup_cut;	/* digests learned before this day go */
};

#define HIST_MAX	16	/* totals counted one by one up to here */

static uint32_t
token_total(uint32_t counts)
{
	return (counts >> 16) + (counts & 0xffff);
}

static bool
token_kept(const struct rehash_plan *p, const struct bayes_slot *s)
{
	uint32_t total = token_total(atomic_load_explicit(&s->counts, memory_order_relaxed));
	uint32_t day = atomic_load_explicit(&s->hi_day, memory_order_relaxed) & 0xffff;

	return total > p->drop_total && total > 0 &&
	    !(day < p->token_cut && total <= BAYES_EXPIRE_TINY);
}

/* Slots for n tokens with room to learn on: a doubling of the initial
 * size, at most what max_tokens needs. */
static uint32_t
plan_capacity(uint64_t n, uint32_t max_tokens)
{
	uint64_t max = ((uint64_t)max_tokens * BAYES_LOAD_DEN / BAYES_LOAD_NUM + 64) & ~63ull;
	uint64_t c = BAYES_INITIAL_SLOTS;

	while (c < 2 * n && c < max)
		c *= 2;
	return (uint32_t)(c < max ? c : max);
}

static void
plan_tokens(const struct bayes *b, const struct bayes_map *m, uint32_t need,
    struct rehash_plan *p)
{
	uint64_t hist[HIST_MAX + 1] = { 0 }, kept = 0, target, dropped = 0;

	for (uint32_t i = 0; i < m->h->capacity; i++) {
		const struct bayes_slot *s = &m->slots[i];
		uint32_t t;
		if (atomic_load_explicit(&s->key_lo, memory_order_relaxed) == 0 ||
		    !token_kept(p, s))
			continue;
		t = token_total(atomic_load_explicit(&s->counts, memory_order_relaxed));
		hist[t < HIST_MAX ? t : HIST_MAX]++;
		kept++;
	}
	if (kept + need > b->max_tokens) {	/* prune the rarest */
		target = (uint64_t)b->max_tokens * BAYES_PRUNE_TO / 100;
		while (p->drop_total + 1 < HIST_MAX && kept - dropped + need > target)
			dropped += hist[++p->drop_total];
	}
	p->capacity = plan_capacity(kept - dropped + need, b->max_tokens);
}

/* Digests: expired ones go; when the table is at its ceiling, the oldest. */
static int
plan_dedup(const struct bayes_map *m, uint32_t need, struct rehash_plan *p)
{
	uint32_t *days = calloc(DEDUP_DAY + 1, sizeof(*days));
	uint64_t kept = 0, c = BAYES_INITIAL_DEDUP;

	if (days == NULL)
		return -MG_ENOMEM;
	for (uint32_t i = 0; i < m->h->dedup_capacity; i++) {
		uint32_t d = (uint32_t)(m->dedup[i] & DEDUP_DAY);
		if (m->dedup[i] != 0 && d >= p->dedup_cut) {
			days[d]++;
			kept++;
		}
	}
	while (kept + need > (uint64_t)BAYES_MAX_DEDUP / 2 && p->dedup_cut <= DEDUP_DAY)
		kept -= days[p->dedup_cut++];
	free(days);
	while (c < 2 * (kept + need) && c < BAYES_MAX_DEDUP)
		c *= 2;
	p->dedup_capacity = (uint32_t)c;
	return 0;
}

/* Copies what p keeps. Pruning stops at totals of HIST_MAX - 1, so more
 * tokens than the new table takes may be kept (max_tokens lowered under a
 * store of frequent tokens): it is filled to its load limit, the rest go. */
static void
rehash_copy(const struct rehash_plan *p, const struct bayes_map *from, struct bayes_map *to)
{
	uint32_t nt = 0, nd = 0, mask = to->h->dedup_capacity - 1;
	uint64_t room = (uint64_t)to->h->capacity * BAYES_LOAD_NUM / BAYES_LOAD_DEN;

	for (uint32_t i = 0; i < from->h->capacity && nt < room; i++) {
		const struct bayes_slot *s = &from->slots[i];
		uint32_t lo = atomic_load_explicit(&s->key_lo, memory_order_relaxed);
		uint32_t hd = atomic_load_explicit(&s->hi_day, memory_order_relaxed);
		struct bayes_slot *d;
		if (lo == 0 || !token_kept(p, s))
			continue;
		d = slot_find(to, (uint64_t)(hd >> 16) << 48 | (uint64_t)lo << 16);
		atomic_store_explicit(&d->counts, atomic_load_explicit(&s->counts,
		    memory_order_relaxed), memory_order_relaxed);
		atomic_store_explicit(&d->hi_day, hd, memory_order_relaxed);
		atomic_store_explicit(&d->key_lo, lo, memory_order_relaxed);
		nt++;
	}
	for (uint32_t i = 0; i < from->h->dedup_capacity; i++) {
		uint64_t e = from->dedup[i];
		uint32_t j = (uint32_t)(e >> 32) & mask;
		if (e == 0 || (e & DEDUP_DAY) < p->dedup_cut)
			continue;
		while (to->dedup[j] != 0)
			j = (j + 1) & mask;
		to->dedup[j] = e;
		nd++;
	}
	atomic_store(&to->h->ntokens, nt);
	atomic_store(&to->h->ndedup, nd);
	atomic_store(&to->h->nspam, atomic_load(&from->h->nspam));
	atomic_store(&to->h->nham, atomic_load(&from->h->nham));
	to->h->created_day = from->h->created_day;
	to->h->expired_day = from->h->expired_day;
}

int
bayes_rehash(struct bayes *b, uint32_t need_tokens, uint32_t need_dedup, uint32_t today,
    bool expire)
{
	struct rehash_plan p = { 0 };
	struct bayes_map *old = b->map, *nm;
	char tmp[PATH_MAX], err[PATH_MAX + 128];
	struct stat st;
	int fd, rc;

	if (b->expire_days > 0 && today > b->expire_days)
		p.token_cut = p.dedup_cut = today - b->expire_days;
	plan_tokens(b, old, need_tokens, &p);
	if ((rc = plan_dedup(old, need_dedup, &p)) < 0)
		return rc;
	if (fstat(b->fd, &st) == -1)
		st.st_mode = 0644;
	rc = store_new(b->path, p.capacity, p.dedup_capacity, st.st_mode & 07777, tmp,
	    sizeof(tmp), &fd, &nm, err, sizeof(err));
	if (rc < 0) {
		log_warn("bayes rehash failed reason=\"%s\"", err);
		return rc;
	}
	rehash_copy(&p, old, nm);
	if (expire)
		nm->h->expired_day = today;
	if ((rc = store_commit(b->path, tmp, fd, nm, err, sizeof(err))) < 0) {
		log_warn("bayes rehash failed reason=\"%s\"", err);
		bayes_map_close(nm);
		close(fd);
		return rc;
	}
	log_info("bayes rehash path=%s tokens=%" PRIu32 " kept=%" PRIu32 " capacity=%" PRIu32
	    " dropped_total_le=%" PRIu32 " digests=%" PRIu32, b->path,
	    atomic_load(&old->h->ntokens), atomic_load(&nm->h->ntokens), p.capacity,
	    p.drop_total, atomic_load(&nm->h->ndedup));
	atomic_store(&old->h->moved, 1);
	writer_switch(b, nm, fd);
	return 0;
}
