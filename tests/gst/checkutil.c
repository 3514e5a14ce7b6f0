/* checkutil.c — see checkutil.h. */
#include "checkutil.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* ---- the small model ---- */

gchar *
small_model_new (const gchar * weights_dir, const gchar * tmpl, gchar ** small)
{
  gchar *target = g_build_filename (weights_dir, "model.safetensors", NULL);
  gchar *tmp_dir = g_dir_make_tmp (tmpl, NULL);
  gchar *link, *config;

  fail_unless (tmp_dir != NULL, "cannot make a scratch folder");
  *small = g_build_filename (tmp_dir, "small", NULL);
  fail_unless (g_mkdir (*small, 0755) == 0, "mkdir %s", *small);
  link = g_build_filename (*small, "model.safetensors", NULL);
  fail_unless (symlink (target, link) == 0, "symlink %s", link);
  config = g_build_filename (*small, "config.json", NULL);
  fail_unless (g_file_set_contents (config, "{\"architecture\": "
          "\"efficientnet_b0\", \"num_classes\": 1000, \"untrained\": true, "
          "\"pretrained_cfg\": {\"input_size\": [3, 32, 32], "
          "\"interpolation\": \"bicubic\", \"crop_pct\": 0.875}}\n", -1, NULL));
  g_free (config);
  g_free (link);
  g_free (target);
  return tmp_dir;
}

void
remove_tree (const gchar * path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  const gchar *name;

  if (d != NULL) {
    while ((name = g_dir_read_name (d)) != NULL) {
      gchar *p = g_build_filename (path, name, NULL);

      if (g_file_test (p, G_FILE_TEST_IS_DIR)
          && !g_file_test (p, G_FILE_TEST_IS_SYMLINK))
        remove_tree (p);
      else
        g_unlink (p);
      g_free (p);
    }
    g_dir_close (d);
  }
  g_rmdir (path);
}

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
