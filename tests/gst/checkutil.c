/* checkutil.c — see checkutil.h. */
#include "checkutil.h"

#include <string.h>

/* ---- the element's log ---- */

static GMutex log_lock;
static GPtrArray *log_lines;

static void
log_capture (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  if (g_strcmp0 (gst_debug_category_get_name (category), "efficientnet") != 0)
    return;
  g_mutex_lock (&log_lock);
  g_ptr_array_add (log_lines, g_strdup (gst_debug_message_get (message)));
  g_mutex_unlock (&log_lock);
}

void
log_start (void)
{
  log_lines = g_ptr_array_new_with_free_func (g_free);
  gst_debug_remove_log_function (gst_debug_log_default);
  gst_debug_add_log_function (log_capture, NULL, NULL);
  gst_debug_set_threshold_for_name ("efficientnet", GST_LEVEL_DEBUG);
}

void
log_stop (void)
{
  gst_debug_set_threshold_for_name ("efficientnet", GST_LEVEL_NONE);
  gst_debug_remove_log_function (log_capture);
  gst_debug_add_log_function (gst_debug_log_default, NULL, NULL);
  g_ptr_array_unref (log_lines);
  log_lines = NULL;
}

guint
log_count (const gchar * text)
{
  guint i, n = 0;

  g_mutex_lock (&log_lock);
  for (i = 0; i < log_lines->len; i++)
    n += strstr (g_ptr_array_index (log_lines, i), text) != NULL;
  g_mutex_unlock (&log_lock);
  return n;
}

/* The number after `text` in the first log line holding it, 0 if none. */
guint64
log_number (const gchar * text)
{
  guint i;
  guint64 n = 0;

  g_mutex_lock (&log_lock);
  for (i = 0; i < log_lines->len; i++) {
    const gchar *s = strstr (g_ptr_array_index (log_lines, i), text);

    if (s != NULL) {
      n = g_ascii_strtoull (s + strlen (text), NULL, 10);
      break;
    }
  }
  g_mutex_unlock (&log_lock);
  return n;
}

/* The largest batch the model thread ran ("forward: N image(s)"). */
guint
log_largest_batch (void)
{
  guint i, most = 0;

  g_mutex_lock (&log_lock);
  for (i = 0; i < log_lines->len; i++) {
    const gchar *s = strstr (g_ptr_array_index (log_lines, i), "forward: ");

    if (s != NULL)
      most = MAX (most, (guint) g_ascii_strtoull (s + 9, NULL, 10));
  }
  g_mutex_unlock (&log_lock);
  return most;
}

void
harness_caps (GstHarness * h, GstVideoInfo * info, const gchar * format,
    gint w, gint hgt)
{
  gchar *caps = g_strdup_printf ("video/x-raw,format=%s,width=%d,height=%d,"
      "framerate=30/1", format, w, hgt);
  GstCaps *c = gst_caps_from_string (caps);

  fail_unless (gst_video_info_from_caps (info, c), "%s", caps);
  gst_harness_set_src_caps (h, c);
  g_free (caps);
}

GstStructure *
frame_meta (GstBuffer * buf)
{
  GstCustomMeta *meta = gst_buffer_get_custom_meta (buf, META_NAME);

  fail_unless (meta != NULL, "buffer without " META_NAME);
  return gst_custom_meta_get_structure (meta);
}

guint
get_uint (const GstStructure * s, const gchar * field)
{
  guint v = 0;

  fail_unless (gst_structure_get_uint (s, field, &v), "no %s", field);
  return v;
}

guint64
get_u64 (const GstStructure * s, const gchar * field)
{
  guint64 v = 0;

  fail_unless (gst_structure_get_uint64 (s, field, &v), "no %s", field);
  return v;
}
