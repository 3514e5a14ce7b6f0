/* effnetmeta.h — the metadata contract of the efficientnet element: the
 * names of the "EfficientNetClassification" GstCustomMeta, of the
 * "classification" parameter of a GstVideoRegionOfInterestMeta and of the
 * "efficientnet" element message, each field name written once here, and the
 * helpers that write them (the element) and read them (the overlay, the
 * effnet-classify tool, applications).
 *
 * Self-contained: it needs GStreamer (core and video) only, no part of the
 * elements, so a program outside the plugin compiles effnetmeta.c in and reads
 * the same contract. See README.md, "Metadata contract".
 *
 * The reading side is shaped like GstAnalytics' classification metadata
 * (GstAnalyticsClsMtd, GStreamer 1.24): a result is a ranking of `length`
 * entries, each a confidence level, a class name (label, or its quark) and a
 * class id, best first. What ClsMtd cannot carry (stale, source-frame,
 * inference-ns, model, element, ROI counts, logits) has accessors of its own.
 */
#ifndef __EFFNET_META_H__
#define __EFFNET_META_H__

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS
/* Name of the GstCustomMeta every buffer leaving the element carries. */
#define GST_EFFNET_META_NAME "EfficientNetClassification"
/* Name of the GstStructure added to each classified
 * GstVideoRegionOfInterestMeta in roi-list mode (DL Streamer's field names). */
#define GST_EFFNET_ROI_PARAM_NAME "classification"
/* Name of the element message posted with post-messages=true (the meta's
 * fields plus the timestamps). */
#define GST_EFFNET_MESSAGE_NAME "efficientnet"
/* "source-frame" of a meta that carries no result yet. */
#define GST_EFFNET_NO_FRAME G_MAXUINT64
/* Field names. Top-1 of a frame meta or message: */
#define GST_EFFNET_FIELD_LABEL "label"  /* string */
#define GST_EFFNET_FIELD_CLASS_ID "class-id"    /* int, -1: none */
#define GST_EFFNET_FIELD_SCORE "score"  /* double */
/* the same of a ROI's "classification" parameter: */
#define GST_EFFNET_ROI_FIELD_LABEL_ID "label_id"        /* int */
#define GST_EFFNET_ROI_FIELD_CONFIDENCE "confidence"    /* double */
#define GST_EFFNET_ROI_FIELD_MODEL "model_name" /* string */
/* the ranking, best first (both): */
#define GST_EFFNET_FIELD_TOP_LABELS "top-labels"        /* array of string */
#define GST_EFFNET_FIELD_TOP_CLASS_IDS "top-class-ids"  /* array of int */
#define GST_EFFNET_FIELD_TOP_SCORES "top-scores"        /* array of double */
#define GST_EFFNET_FIELD_LOGITS "logits"        /* array of float */
/* frame meta and message only: */
#define GST_EFFNET_FIELD_MODEL "model"  /* string */
#define GST_EFFNET_FIELD_STALE "stale"  /* boolean */
#define GST_EFFNET_FIELD_SOURCE_FRAME "source-frame"    /* guint64 */
#define GST_EFFNET_FIELD_INFERENCE_NS "inference-ns"    /* guint64 */
#define GST_EFFNET_FIELD_ELEMENT "element"      /* string */
#define GST_EFFNET_FIELD_ROI_COUNT "roi-count"  /* uint */
#define GST_EFFNET_FIELD_ROI_SKIPPED "roi-skipped"      /* uint */
/* message only (guint64, GST_CLOCK_TIME_NONE when unknown): */
#define GST_EFFNET_FIELD_TIMESTAMP "timestamp"
#define GST_EFFNET_FIELD_STREAM_TIME "stream-time"
#define GST_EFFNET_FIELD_RUNNING_TIME "running-time"
/* Registers the custom meta (no tags: the result describes the picture, not
 * its format, so elements that copy metadata keep it); any number of times,
 * from any copy of this module in the process. */
const GstMetaInfo *gst_effnet_meta_register (void);

/* ---- writing (the efficientnet element) ----
 *
 * A result is built as a structure, field by field in the order below, then
 * attached (gst_effnet_meta_add), posted as a message or added to a ROI. */

/* An empty frame result, named GST_EFFNET_MESSAGE_NAME. */
GstStructure *gst_effnet_meta_structure_new (void);

/* An empty ROI result, named GST_EFFNET_ROI_PARAM_NAME, with its model. */
GstStructure *gst_effnet_roi_param_new (const gchar * model);

/* roi-count and roi-skipped (frame results in roi-list mode). */
void gst_effnet_meta_set_roi_counts (GstStructure * s, guint count,
    guint skipped);

/* The ranking: top-1 (label, class id, score — "" / -1 / 0.0 when length is
 * 0; named as a frame result or a ROI parameter wants) and the top-* arrays
 * of `length` entries, best first, as ClsMtd takes them. */
void gst_effnet_meta_set_classes (GstStructure * s, gsize length,
    const gfloat * levels, const gint * class_ids, const gchar * const *labels);

/* The raw logits, one per class. */
void gst_effnet_meta_set_logits (GstStructure * s, gsize n,
    const gfloat * logits);

/* What the result is and where it comes from (frame results). */
void gst_effnet_meta_set_source (GstStructure * s, const gchar * model,
    gboolean stale, guint64 source_frame, guint64 inference_ns,
    const gchar * element);

/* The buffer's times (messages). */
void gst_effnet_meta_set_timestamps (GstStructure * s, GstClockTime timestamp,
    GstClockTime stream_time, GstClockTime running_time);

/* Attaches a copy of the fields of `s` to `buf` as the custom meta. */
GstCustomMeta *gst_effnet_meta_add (GstBuffer * buf, const GstStructure * s);

/* ---- reading (the overlay, the tool, applications) ---- */

/* A view of one result: a frame meta, a message or a ROI's parameter. Valid
 * while what it was read from is. */
typedef struct
{
  const GstStructure *s;
  gboolean roi;
} GstEffnetMeta;

/* FALSE, `meta` untouched, when there is no result or it does not follow the
 * contract: the top-1 label (string) and class id (int) missing, or a top-*
 * field that is not an array the length of top-labels. */
gboolean gst_effnet_meta_from_structure (const GstStructure * s,
    GstEffnetMeta * meta);
/* The first (most upstream) efficientnet meta of the buffer. */
gboolean gst_effnet_meta_from_buffer (GstBuffer * buf, GstEffnetMeta * meta);
/* The "classification" parameter of a region. */
gboolean gst_effnet_meta_from_roi (GstVideoRegionOfInterestMeta * roi,
    GstEffnetMeta * meta);

gboolean gst_effnet_meta_is_roi (const GstEffnetMeta * meta);

/* The ranking, as ClsMtd reads it: entries (0 when nothing was reported),
 * and for entry `index` its confidence (softmax probability; NAN when
 * absent), class name (NULL when absent) or its quark (0), class id (-1). */
gsize gst_effnet_meta_get_length (const GstEffnetMeta * meta);
gdouble gst_effnet_meta_get_level (const GstEffnetMeta * meta, gsize index);
const gchar *gst_effnet_meta_get_label (const GstEffnetMeta * meta,
    gsize index);
GQuark gst_effnet_meta_get_quark (const GstEffnetMeta * meta, gsize index);
gint gst_effnet_meta_get_class_id (const GstEffnetMeta * meta, gsize index);

/* Top-1 from its own fields ("" and -1 when nothing was reported). */
const gchar *gst_effnet_meta_get_top_label (const GstEffnetMeta * meta);
gint gst_effnet_meta_get_top_class_id (const GstEffnetMeta * meta);
gboolean gst_effnet_meta_get_top_level (const GstEffnetMeta * meta,
    gdouble * level);

/* Beyond ClsMtd. The gboolean getters return FALSE, leaving the output
 * untouched, when the field is absent or of another type. */
const gchar *gst_effnet_meta_get_model (const GstEffnetMeta * meta);
const gchar *gst_effnet_meta_get_element (const GstEffnetMeta * meta);
gboolean gst_effnet_meta_get_stale (const GstEffnetMeta * meta,
    gboolean * stale);
gboolean gst_effnet_meta_get_source_frame (const GstEffnetMeta * meta,
    guint64 * source_frame);
gboolean gst_effnet_meta_get_inference_ns (const GstEffnetMeta * meta,
    guint64 * inference_ns);
gboolean gst_effnet_meta_get_roi_counts (const GstEffnetMeta * meta,
    guint * count, guint * skipped);
gboolean gst_effnet_meta_get_timestamps (const GstEffnetMeta * meta,
    GstClockTime * timestamp, GstClockTime * stream_time,
    GstClockTime * running_time);
/* With attach-logits=true: one per class (0 / NAN otherwise). */
gsize gst_effnet_meta_get_n_logits (const GstEffnetMeta * meta);
gfloat gst_effnet_meta_get_logit (const GstEffnetMeta * meta, gsize index);

G_END_DECLS
#endif /* __EFFNET_META_H__ */
