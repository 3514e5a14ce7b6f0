/* effnetroi.h — inference-region=roi-list: the GstVideoRegionOfInterestMeta
 * of a due frame (of object-class, up to max-rois) clamped to the frame,
 * classified synchronously in batches of up to GST_EFFNET_SHARED_MAX_BATCH,
 * each classified region given a "classification" parameter. */
#ifndef __EFFNET_ROI_H__
#define __EFFNET_ROI_H__

#include "gstefficientnetpriv.h"

G_BEGIN_DECLS
/* A frame in roi-list mode: its regions classified when `due`, and the frame
 * meta with roi-count / roi-skipped and no ranking. */
    GstFlowReturn gst_efficientnet_classify_roi_frame (GstEfficientNet * self,
    GstVideoFrame * frame, guint64 index, gboolean due,
    const FrameSettings * fs);

G_END_DECLS
#endif /* __EFFNET_ROI_H__ */
