/* effnetrecord.h — one buffer's classification results as one JSON record
 * (a line of JSON lines), the one code path for the record that the
 * efficientnetpublish element and `effnet-classify --format dlstreamer` both
 * write.
 *
 * Two shapes:
 * - dlstreamer: DL Streamer's gvametaconvert record,
 *   {"resolution":{"width","height"},"timestamp":NS,"source":S,
 *    "objects":[{"x","y","w","h"[,"roi_type"],
 *                "classification":{"label","label_id","confidence",
 *                                  "model":{"name"}}}]}
 *   A full-frame result is one object covering the frame; in roi-list mode
 *   each region of interest is one object (its classification when it has
 *   one).
 * - effnet: the same, plus what only this element knows: "frame" (the source
 *   frame the result was computed on), "stale", "inference_ns", "element",
 *   the top-k ranking of each classification ("top": [{"label","label_id",
 *   "confidence"}]), and in roi-list mode "roi_count" / "roi_skipped".
 *
 * The results are read through the metadata contract (effnetmeta.h); this
 * file spells only the record's own (JSON) field names. Needs GStreamer
 * (core, video) and json-glib.
 */
#ifndef __EFFNET_RECORD_H__
#define __EFFNET_RECORD_H__

#include <gst/gst.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS typedef enum
{
  GST_EFFNET_RECORD_DLSTREAMER,
  GST_EFFNET_RECORD_EFFNET,
} GstEffnetRecordFormat;

/* The frame a record describes, as its writer knows it. */
typedef struct
{
  gint width, height;           /* the video's size (caps); 0: unknown */
  GstClockTime timestamp;       /* ns (gst_effnet_record_stream_time); NONE: omitted */
  const gchar *source;          /* NULL: omitted */
} GstEffnetRecordFrame;

/* A buffer time as DL Streamer's gvametaconvert writes its "timestamp": the
 * stream time of the PTS less the segment's time (the PTS itself in the
 * usual segment from 0; the PTS without a segment); GST_CLOCK_TIME_NONE when
 * the buffer has no time or lies outside the segment. */
GstClockTime gst_effnet_record_stream_time (const GstSegment * segment,
    GstClockTime pts);

/* TRUE when `buf` carries a result that was not recorded yet: its
 * efficientnet meta holds a result (source-frame is a frame) computed on
 * another frame than the last recorded one, `*last_source_frame` (start with
 * GST_EFFNET_NO_FRAME), which is then updated. One record per result: a
 * frame classified in sync mode, and in async mode the first frame carrying
 * a new result; frames that only repeat a result make none. */
gboolean gst_effnet_record_is_new (GstBuffer * buf,
    guint64 * last_source_frame);

/* Appends the record of `buf`'s results in `format` as one line of JSON
 * ending with '\n' to `out`. FALSE (nothing appended) when the buffer has no
 * efficientnet meta. */
gboolean gst_effnet_record_append (GString * out, GstEffnetRecordFormat format,
    GstBuffer * buf, const GstEffnetRecordFrame * frame);

/* `root` as one line of JSON (no newline) appended to `out`: json-glib's
 * output, with U+001F escaped (json-glib 1.6 writes it raw, which JSON does
 * not allow in a string). */
void gst_effnet_json_append (GString * out, JsonNode * root);

G_END_DECLS
#endif /* __EFFNET_RECORD_H__ */
