/* effnetsubmit.h — full frames to the shared model (effnetshared.h), as the
 * element's client of it: sync (the inference threads prepare the frame
 * and the frame waits for its own result) or async (the frame is prepared
 * here into a pending job, which a newer due frame replaces; frames never
 * wait and carry the latest finished result). */
#ifndef __EFFNET_SUBMIT_H__
#define __EFFNET_SUBMIT_H__

#include "gstefficientnetpriv.h"

G_BEGIN_DECLS
/* Runs the sync job (jobs[0], prepared by the caller) and waits for it,
 * after any async job of ours has finished; posts the error on failure. */
    gboolean gst_efficientnet_run_job (GstEfficientNet * self);

/* A full frame: classified (sync) or submitted (async) when `due`, then
 * given the latest result. */
GstFlowReturn gst_efficientnet_classify_full_frame (GstEfficientNet * self,
    GstVideoFrame * frame, guint64 index, gboolean due,
    const FrameSettings * fs);

G_END_DECLS
#endif /* __EFFNET_SUBMIT_H__ */
