/* checkutil.h — what the element's gst-check suites (test_efficientnet.c,
 * test_stress.c, test_publish.c, test_analytics.c) share: the small model
 * fixture, capturing the element's debug log, caps on a harness, and reading
 * a buffer's result. The tests spell the metadata's names
 * themselves, as the contract's users would (gst-plugin/effnetmeta.h). */
#ifndef __EFFNET_CHECKUTIL_H__
#define __EFFNET_CHECKUTIL_H__

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#define META_NAME "EfficientNetClassification"

/* A new scratch folder (g_dir_make_tmp's `tmpl`, e.g. "effnet-stress-XXXXXX")
 * holding "small/": the test weights of `weights_dir` linked in, with a
 * config.json of their own that gives them a 32x32 input, so that an
 * inference costs about a millisecond. Returns the scratch folder and sets
 * *small to the model folder (g_free both; remove_tree the first). */
gchar *small_model_new (const gchar * weights_dir, const gchar * tmpl,
    gchar ** small);
/* Deletes a folder and everything in it (links are removed, not followed). */
void remove_tree (const gchar * path);

/* From log_start() to log_stop(), the "efficientnet" category's messages
 * (down to DEBUG) are kept instead of printed. */
void log_start (void);
void log_stop (void);
/* Kept messages holding `text`. */
guint log_count (const gchar * text);
/* The number after `text` in the first kept message holding it, 0 if none. */
guint64 log_number (const gchar * text);
/* The largest N of the shared model's "forward: N image(s)" messages. */
guint log_largest_batch (void);

/* Sets raw video caps (format, size, 30 fps) on the harness's source and
 * fills `info`. */
void harness_caps (GstHarness * h, GstVideoInfo * info, const gchar * format,
    gint w, gint hgt);

/* The buffer's result (fails the test without one). */
GstStructure *frame_meta (GstBuffer * buf);
/* A guint field of a result (fails the test without it). */
guint get_uint (const GstStructure * s, const gchar * field);
/* A guint64 field of a result (fails the test without it). */
guint64 get_u64 (const GstStructure * s, const gchar * field);

#endif /* __EFFNET_CHECKUTIL_H__ */
