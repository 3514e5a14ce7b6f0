/* effnetprep.h — the element's side of the engine's frame path (nn/prep.c):
 * the negotiated caps as an EffnetFrame, the plan (fit, filter,
 * normalization) from the weights and the properties, each frame's planes
 * handed to it. */
#ifndef __EFFNET_PREP_H__
#define __EFFNET_PREP_H__

#include "gstefficientnetpriv.h"

G_BEGIN_DECLS
/* The plan from the weights and the properties (scaling, resampling, mean,
 * std). At start a bad value is an error; one set while playing is ignored
 * with a warning and the previous plan stays. */
    gboolean gst_efficientnet_setup_preprocessing (GstEfficientNet * self,
    gboolean at_start);

/* The engine's description of negotiated video; FALSE: not a format the
 * frame path reads. */
gboolean gst_effnet_frame_from_info (const GstVideoInfo * info,
    EffnetFrame * f);

/* Plans n images of the mapped frame (rects NULL: the whole frame) for
 * `threads` threads; posts the error on failure. */
gboolean gst_efficientnet_plan_frame (GstEfficientNet * self,
    GstVideoFrame * frame, const EffnetRect * rects, gint n, guint threads);

G_END_DECLS
#endif /* __EFFNET_PREP_H__ */
