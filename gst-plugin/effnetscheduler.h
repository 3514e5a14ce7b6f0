/* effnetscheduler.h — the workers of one shared model (private to the
 * plugin). A GstEffnetShared (effnetshared.c) loads the model and makes its
 * scheduler; elements reach it through the client and job calls of
 * effnetshared.h, whose comment states the scheduling rules. */
#ifndef __EFFNET_SCHEDULER_H__
#define __EFFNET_SCHEDULER_H__

#include "effnetshared.h"

G_BEGIN_DECLS
/* The workers of one model (opaque). */
typedef struct _EffnetScheduler EffnetScheduler;

/* `threads` workers (one per core to use) for `model`, which must outlive
 * the scheduler, at nice value `nice`; worker 0's workspace (a team's, the
 * largest) is planned now, so a model that cannot be planned fails here.
 * NULL with `error` set on failure. `name` is for the log. */
EffnetScheduler *effnet_scheduler_new (const EffnetModel * model,
    const gchar * name, guint threads, gint nice, GError ** error);

/* Stops the workers (after their running jobs) and frees everything. */
void effnet_scheduler_free (EffnetScheduler * sched);

/* A new client in the rotation (gst_effnet_client_new). */
GstEffnetClient *effnet_scheduler_add_client (EffnetScheduler * sched);

G_END_DECLS
#endif /* __EFFNET_SCHEDULER_H__ */
