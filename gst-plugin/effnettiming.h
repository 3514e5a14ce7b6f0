/* effnettiming.h — when frames are classified and what it costs: sync or
 * async (mode=auto follows upstream's liveness), frames made late by QoS
 * (they pass without inference), and the latency a classified frame adds. */
#ifndef __EFFNET_TIMING_H__
#define __EFFNET_TIMING_H__

#include "gstefficientnetpriv.h"

G_BEGIN_DECLS
/* Decides sync or async (with the object lock); mode=auto takes `live`.
 * roi-list is always sync. */
void gst_efficientnet_set_mode_locked (GstEfficientNet * self, gboolean live);

/* Once per run, at the first frame unless a latency query decided first. */
void gst_efficientnet_decide_mode (GstEfficientNet * self);

/* Late by the last QoS event: such frames pass without inference. */
gboolean gst_efficientnet_is_late (GstEfficientNet * self, GstBuffer * buf);

/* A classified frame spent `spent` in the element: the latency reported is
 * the largest, and a clearly larger one asks for a new latency query. */
void gst_efficientnet_update_latency (GstEfficientNet * self,
    GstClockTime spent);

G_END_DECLS
#endif /* __EFFNET_TIMING_H__ */
