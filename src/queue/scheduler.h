/* The in-memory schedule of queued messages: every message queued knows
 * its next attempt time; waiting messages sit in a min-heap by that time,
 * messages being delivered are marked active. Lookup by queue id. */
#ifndef MG_QUEUE_SCHEDULER_H
#define MG_QUEUE_SCHEDULER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct sched_msg {
	uint64_t	 id;
	time_t		 due;		/* next attempt */
	bool		 active;	/* being delivered; not in the heap */
	bool		 pinned;	/* due set here, not to be read from the envelope */
	size_t		 heap_idx;	/* private */
};

struct sched;

struct sched	*sched_new(void);
struct sched	*sched_free(struct sched *);	/* returns NULL */

struct sched_msg *sched_find(struct sched *, uint64_t id);
/* Adds a waiting message; -MG_EEXIST when id is known, -MG_ENOMEM.
 * pinned says due is final; otherwise the envelope's next attempt time,
 * once read, may postpone it. */
int	sched_add(struct sched *, uint64_t id, time_t due, bool pinned);
/* Makes m waiting (again) with a new, pinned due time. */
void	sched_set_due(struct sched *, struct sched_msg *m, time_t due);
/* The earliest waiting message if it is due at now, marked active. */
struct sched_msg *sched_take_due(struct sched *, time_t now);
/* Due time of the earliest waiting message; false when none waits. */
bool	sched_earliest(const struct sched *, time_t *due);
/* Every waiting message becomes due at now (pinned); returns how many. */
size_t	sched_flush_all(struct sched *, time_t now);
/* Forgets m (frees it). */
void	sched_remove(struct sched *, struct sched_msg *m);
size_t	sched_count(const struct sched *);
size_t	sched_waiting(const struct sched *);

#endif
