/* What every anti-virus engine shares (av.h): a job's set-up and the
 * start-then-finish sequence of a scan that runs alone. */
#include <string.h>

#include "av/av.h"

void
mg_av_job_init(struct mg_av_job *job, const uint8_t *data, size_t len)
{
	memset(job, 0, sizeof(*job));
	job->data = data;
	job->len = len;
	job->fd = -1;
}

int
mg_av_scan(const struct mg_av_engine *e, void *state, struct mg_av_job *job,
    const uint8_t *data, size_t len)
{
	mg_av_job_init(job, data, len);
	if (e->start(state, job) < 0 || job->done)
		return job->rc;
	e->finish(state, job);
	return job->rc;
}
