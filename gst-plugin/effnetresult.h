/* effnetresult.h — what the element reports: class names (a labels file or
 * the built-in ones), the ranking of logits (softmax, top-k, threshold), the
 * latest full-frame result, and its publication on a buffer (the
 * EfficientNetClassification meta) and on the bus (post-messages). The
 * fields themselves are written by effnetmeta.c. */
#ifndef __EFFNET_RESULT_H__
#define __EFFNET_RESULT_H__

#include "gstefficientnetpriv.h"

G_BEGIN_DECLS
/* Class names: a labels file (NULL and *error set on failure) or the
 * built-in ones (ImageNet-1k for 1000 classes, else "class N"). */
    gchar ** gst_effnet_labels_from_file (const gchar * path, gint classes,
    gchar ** error);
gchar **gst_effnet_labels_builtin (gint classes);

/* Softmax, top-k and threshold of `logits` (NULL: an empty ranking) written
 * into `s`, with the logits when asked for; returns the classes reported. */
gint gst_efficientnet_set_ranking (GstEfficientNet * self, GstStructure * s,
    const float *logits, const FrameSettings * fs);

/* Completes `s` (model, stale, source-frame, ...), attaches it to `buf` as
 * the meta and posts it when asked. Takes `s`. */
void gst_efficientnet_publish (GstEfficientNet * self, GstBuffer * buf,
    guint64 index, guint64 source_frame, guint64 inference_ns,
    GstStructure * s, const FrameSettings * fs);

/* The latest full-frame result (any thread), and its publication on a
 * frame. */
void gst_efficientnet_store_result (GstEfficientNet * self,
    const float *logits, guint64 frame, guint64 inference_ns);
void gst_efficientnet_attach_frame_result (GstEfficientNet * self,
    GstBuffer * buf, guint64 index, const FrameSettings * fs);

G_END_DECLS
#endif /* __EFFNET_RESULT_H__ */
