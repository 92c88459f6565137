/* Reloading the URL reputation file (urldb.h): readers take a reference to
 * the current mapping under a short lock; one reader at a time, when the
 * timer is due or a reload was asked for, stats the file and, when it
 * changed, opens the new one and swaps the pointer; the old mapping goes
 * when its last reader releases it. */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "core/log.h"
#include "intel/urldb.h"

struct urldb_watch {
	char		*path;
	pthread_mutex_t	 lock;		/* guards cur */
	struct urldb	*cur;
	uint64_t	 interval_ns;
	_Atomic uint64_t next_ns;	/* next stat */
	atomic_bool	 busy;		/* a reader is checking the file */
	atomic_bool	 asked;		/* urldb_watch_reload */
	dev_t		 dev;		/* of the file mapped (guarded by busy) */
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
	bool		 warned;	/* the last failure was logged */
};

struct urldb_watch *
urldb_watch_new(const char *path, double interval)
{
	struct urldb_watch *w;

	if ((w = calloc(1, sizeof(*w))) == NULL || (w->path = strdup(path)) == NULL) {
		free(w);
		return NULL;
	}
	pthread_mutex_init(&w->lock, NULL);
	w->interval_ns = (uint64_t)(interval * 1e9);
	atomic_init(&w->next_ns, 0);
	atomic_init(&w->busy, false);
	atomic_init(&w->asked, true);
	return w;
}

static bool
same_file(const struct urldb_watch *w, const struct stat *sb)
{
	return w->dev == sb->st_dev && w->ino == sb->st_ino && w->size == sb->st_size &&
	    w->mtime.tv_sec == sb->st_mtim.tv_sec && w->mtime.tv_nsec == sb->st_mtim.tv_nsec;
}

/* Stats the file and swaps in a new mapping when it changed. */
static void
watch_check(struct urldb_watch *w)
{
	struct urldb *db, *old;
	struct urldb_info info;
	struct stat sb;
	char err[512];

	if (stat(w->path, &sb) != 0 || same_file(w, &sb))
		return;
	if ((db = urldb_open(w->path, err, sizeof(err))) == NULL) {
		if (!w->warned)
			log_warn("intel urldb load failed error=\"%s\"", err);
		w->warned = true;
		return;
	}
	w->warned = false;
	w->dev = sb.st_dev;
	w->ino = sb.st_ino;
	w->size = sb.st_size;
	w->mtime = sb.st_mtim;
	urldb_info(db, &info);
	log_info("intel urldb loaded path=%s entries=%" PRIu64 " sources=%u bytes=%" PRIu64,
	    w->path, info.entries, info.sources, info.bytes);
	pthread_mutex_lock(&w->lock);
	old = w->cur;
	w->cur = db;
	pthread_mutex_unlock(&w->lock);
	urldb_release(old);
}

struct urldb *
urldb_watch_get(struct urldb_watch *w)
{
	uint64_t now = mg_clock_ns();
	struct urldb *db;
	bool no = false;

	if ((now >= atomic_load_explicit(&w->next_ns, memory_order_relaxed) ||
	    atomic_load_explicit(&w->asked, memory_order_relaxed)) &&
	    atomic_compare_exchange_strong(&w->busy, &no, true)) {
		atomic_store(&w->asked, false);
		atomic_store(&w->next_ns, now + w->interval_ns);
		watch_check(w);
		atomic_store(&w->busy, false);
	}
	pthread_mutex_lock(&w->lock);
	db = w->cur != NULL ? urldb_ref(w->cur) : NULL;
	pthread_mutex_unlock(&w->lock);
	return db;
}

void
urldb_watch_reload(struct urldb_watch *w)
{
	atomic_store(&w->asked, true);
}

struct urldb_watch *
urldb_watch_free(struct urldb_watch *w)
{
	if (w == NULL)
		return NULL;
	urldb_release(w->cur);
	pthread_mutex_destroy(&w->lock);
	free(w->path);
	free(w);
	return NULL;
}
