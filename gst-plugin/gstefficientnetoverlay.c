/* GStreamer EfficientNet classification overlay
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-efficientnetoverlay
 * @title: efficientnetoverlay
 *
 * Draws the classification the efficientnet element attached to each frame:
 * the top labels (and scores) of the "EfficientNetClassification" meta in a
 * text box, and the box and label of every GstVideoRegionOfInterestMeta that
 * carries a "classification" parameter structure (roi-list mode). Text is
 * rendered with Pango/Cairo into premultiplied ARGB overlay rectangles of a
 * GstVideoOverlayComposition. When downstream handles the composition meta
 * (caps feature meta:GstVideoOverlayComposition, or the meta API in its
 * allocation answer) the composition is attached and the pixels are left
 * alone; otherwise it is blended into the frame. Frames without results pass
 * unchanged. See gst-plugin/README.md.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc ! efficientnet weights=/path/to/b0 ! efficientnetoverlay ! videoconvert ! autovideosink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstefficientnetoverlay.h"
#include "gstefficientnet.h"
#include "effnetmeta.h"
#ifdef EFFNET_HAVE_ANALYTICS
#include "effnetanalytics.h"
#endif

#include <pango/pangocairo.h>
#include <math.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_efficientnet_overlay_debug);
#define GST_CAT_DEFAULT gst_efficientnet_overlay_debug

typedef enum
{
  POSITION_TOP_LEFT,
  POSITION_TOP_RIGHT,
  POSITION_BOTTOM_LEFT,
  POSITION_BOTTOM_RIGHT,
} GstEfficientNetOverlayPosition;

#define DEFAULT_FONT_DESC NULL
#define DEFAULT_COLOR 0xffffffffu
#define DEFAULT_BACKGROUND 0x80000000u
#define DEFAULT_POSITION POSITION_TOP_LEFT
#define DEFAULT_SHOW_SCORES TRUE
#define DEFAULT_MAX_LABELS 3
#define DEFAULT_DRAW_ROIS TRUE

/* Without a size in font-desc the text is 1/FONT_DIVISOR of the frame height
 * (15 px at 360 lines, 45 px at 1080), at least MIN_FONT_PX. */
#define FONT_DIVISOR 24
#define MIN_FONT_PX 6
/* Stale results: the text is drawn at this fraction of its alpha. */
#define STALE_ALPHA 0.6
/* Rendered texts kept for reuse; the cache is emptied when it grows past. */
#define TEXT_CACHE_MAX 64

#define FEATURE_OVERLAY GST_CAPS_FEATURE_META_GST_VIDEO_OVERLAY_COMPOSITION

enum
{
  PROP_0,
  PROP_FONT_DESC,
  PROP_COLOR,
  PROP_BACKGROUND,
  PROP_POSITION,
  PROP_SHOW_SCORES,
  PROP_MAX_LABELS,
  PROP_DRAW_ROIS,
};

/* A copy of the properties, taken once per frame. */
typedef struct
{
  gchar *font_desc;
  guint32 color;
  guint32 background;
  GstEfficientNetOverlayPosition position;
  gboolean show_scores;
  guint max_labels;
  gboolean draw_rois;
  guint cookie;
} Settings;

/* Pixels of one rendered text box: premultiplied ARGB with a GstVideoMeta. */
typedef struct
{
  GstBuffer *pixels;
  gint width, height;
} TextPixels;

/* A region to draw: its rectangle clamped to the frame and its label. */
typedef struct
{
  GstVideoRectangle rect;
  gchar *text;
} RoiItem;

struct _GstEfficientNetOverlay
{
  GstVideoFilter parent;

  /* properties, with the object lock */
  gchar *font_desc;
  guint32 color;
  guint32 background;
  GstEfficientNetOverlayPosition position;
  gboolean show_scores;
  guint max_labels;
  gboolean draw_rois;
  guint cookie;                 /* bumped by every property change */

  /* negotiation */
  GstVideoInfo info;
  gboolean caps_attach;         /* src caps carry meta:GstVideoOverlayComposition */
  gboolean alloc_attach;        /* downstream's allocation answer lists the meta */
  gint check_alloc;             /* atomic: ask downstream before the next frame */

  /* rendering, streaming thread */
  PangoFontMap *font_map;
  PangoContext *context;
  PangoLayout *layout;
  gboolean style_valid;
  guint style_cookie;           /* what the style and text cache were made for */
  gint style_width, style_height;
  gint font_px;
  gint pad;
  GHashTable *text_cache;       /* "d|n" + text -> TextPixels */
  gchar *comp_key;              /* everything the cached composition shows */
  GstVideoOverlayComposition *comp;
};

/* System memory, with or without the overlay composition meta feature
 * (spelt both ways, see append_variants). */
#define OVERLAY_CAPS GST_VIDEO_CAPS_MAKE (GST_EFFICIENTNET_FORMATS) "; " \
    GST_VIDEO_CAPS_MAKE_WITH_FEATURES (FEATURE_OVERLAY, GST_EFFICIENTNET_FORMATS) "; " \
    GST_VIDEO_CAPS_MAKE_WITH_FEATURES (GST_CAPS_FEATURE_MEMORY_SYSTEM_MEMORY \
        ", " FEATURE_OVERLAY, GST_EFFICIENTNET_FORMATS)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (OVERLAY_CAPS));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (OVERLAY_CAPS));

#define gst_efficientnet_overlay_parent_class parent_class
G_DEFINE_TYPE (GstEfficientNetOverlay, gst_efficientnet_overlay,
    GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (efficientnetoverlay, "efficientnetoverlay",
    GST_RANK_NONE, GST_TYPE_EFFICIENTNET_OVERLAY);

#define GST_TYPE_EFFICIENTNET_OVERLAY_POSITION \
    (gst_efficientnet_overlay_position_get_type ())
static GType
gst_efficientnet_overlay_position_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {POSITION_TOP_LEFT, "Top left corner", "top-left"},
    {POSITION_TOP_RIGHT, "Top right corner", "top-right"},
    {POSITION_BOTTOM_LEFT, "Bottom left corner", "bottom-left"},
    {POSITION_BOTTOM_RIGHT, "Bottom right corner", "bottom-right"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstEfficientNetOverlayPosition", values));
  return type;
}

/* ---- small helpers ---- */

static void
text_pixels_free (gpointer data)
{
  TextPixels *tp = data;

  gst_buffer_unref (tp->pixels);
  g_free (tp);
}

static void
roi_item_clear (gpointer data)
{
  RoiItem *item = data;

  g_free (item->text);
}

static void
set_source_argb (cairo_t * cr, guint32 argb, gdouble alpha_scale)
{
  cairo_set_source_rgba (cr, ((argb >> 16) & 0xff) / 255.0,
      ((argb >> 8) & 0xff) / 255.0, (argb & 0xff) / 255.0,
      ((argb >> 24) & 0xff) / 255.0 * alpha_scale);
}

/* A premultiplied, native-endian ARGB pixel (cairo's ARGB32, which is
 * GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB). */
static guint32
premultiply (guint32 argb)
{
  guint a = argb >> 24, r = (argb >> 16) & 0xff, g = (argb >> 8) & 0xff,
      b = argb & 0xff;

  r = (r * a + 127) / 255;
  g = (g * a + 127) / 255;
  b = (b * a + 127) / 255;
  return (a << 24) | (r << 16) | (g << 8) | b;
}

static GstBuffer *
pixels_new (gint width, gint height)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, (gsize) width * height * 4,
      NULL);

  if (buf != NULL)
    gst_buffer_add_video_meta (buf, GST_VIDEO_FRAME_FLAG_NONE,
        GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, width, height);
  return buf;
}

/* A solid rectangle of one colour (ROI box edges). */
static GstBuffer *
solid_pixels (gint width, gint height, guint32 argb)
{
  GstBuffer *buf = pixels_new (width, height);
  GstMapInfo map;
  guint32 px = premultiply (argb), *p;
  gsize i, n = (gsize) width * height;

  if (buf == NULL || !gst_buffer_map (buf, &map, GST_MAP_WRITE)) {
    gst_clear_buffer (&buf);
    return NULL;
  }
  p = (guint32 *) map.data;
  for (i = 0; i < n; i++)
    p[i] = px;
  gst_buffer_unmap (buf, &map);
  return buf;
}

/* Adds a rectangle showing `pixels` (width x height) at (x, y). */
static void
composition_add (GstVideoOverlayComposition ** comp, GstBuffer * pixels,
    gint x, gint y, gint width, gint height)
{
  GstVideoOverlayRectangle *rect;

  rect = gst_video_overlay_rectangle_new_raw (pixels, x, y, width, height,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA);
  if (*comp == NULL)
    *comp = gst_video_overlay_composition_new (rect);
  else
    gst_video_overlay_composition_add_rectangle (*comp, rect);
  gst_video_overlay_rectangle_unref (rect);
}

static void
read_settings (GstEfficientNetOverlay * self, Settings * st)
{
  GST_OBJECT_LOCK (self);
  st->font_desc = g_strdup (self->font_desc);
  st->color = self->color;
  st->background = self->background;
  st->position = self->position;
  st->show_scores = self->show_scores;
  st->max_labels = self->max_labels;
  st->draw_rois = self->draw_rois;
  st->cookie = self->cookie;
  GST_OBJECT_UNLOCK (self);
}

/* ---- what to draw ---- */

/* "label<sep>87.3%": `sep` is a tab in the results box (scores in a column
 * of their own), two spaces in a region's one-line label. */
static void
append_line (GString * text, const gchar * label, gboolean has_score,
    gdouble score, gboolean show_scores, const gchar * sep)
{
  if (text->len > 0)
    g_string_append_c (text, '\n');
  g_string_append (text, label != NULL && label[0] != '\0' ? label : "?");
  if (show_scores && has_score)
    g_string_append_printf (text, "%s%.1f%%", sep, score * 100.0);
}

/* Without our meta: a whole-frame GstAnalyticsClsMtd (one related to no
 * detection), as another classifier leaves it; never stale. */
static gboolean
analytics_frame_text (GstBuffer * buf, const Settings * st, GString * text,
    gboolean * stale)
{
#ifdef EFFNET_HAVE_ANALYTICS
  GstAnalyticsClsMtd cls;
  gsize n, i;

  if (!gst_effnet_analytics_frame_cls (buf, &cls))
    return FALSE;
  n = MIN (gst_analytics_cls_mtd_get_length (&cls), st->max_labels);
  for (i = 0; i < n; i++)
    append_line (text, g_quark_to_string (gst_analytics_cls_mtd_get_quark (&cls,
                i)), TRUE, gst_analytics_cls_mtd_get_level (&cls, i),
        st->show_scores, "\t");
  *stale = FALSE;
  return n > 0;
#else
  return FALSE;
#endif
}

/* The text box of the frame meta: its best `max_labels` classes, one a line.
 * FALSE when there is nothing to show. */
static gboolean
frame_text (GstBuffer * buf, const Settings * st, GString * text,
    gboolean * stale)
{
  GstEffnetMeta meta;
  gsize n, i;

  if (st->max_labels == 0)
    return FALSE;
  if (!gst_effnet_meta_from_buffer (buf, &meta))
    return analytics_frame_text (buf, st, text, stale);
  n = MIN (gst_effnet_meta_get_length (&meta), st->max_labels);
  for (i = 0; i < n; i++) {
    gdouble score = gst_effnet_meta_get_level (&meta, i);
    gboolean has_score = !isnan (score);

    append_line (text, gst_effnet_meta_get_label (&meta, i), has_score,
        has_score ? score : 0.0, st->show_scores, "\t");
  }
  *stale = FALSE;
  gst_effnet_meta_get_stale (&meta, stale);
  return n > 0;
}

/* A region's box and label, clamped to the frame; FALSE (nothing added)
 * when nothing of it is inside. */
static gboolean
append_roi_item (GArray * items, const Settings * st, gint width, gint height,
    gint64 x, gint64 y, gint64 w, gint64 h, const gchar * label,
    gboolean has_score, gdouble confidence)
{
  gint64 x0 = CLAMP (x, 0, width), y0 = CLAMP (y, 0, height);
  gint64 x1 = CLAMP (x + w, 0, width), y1 = CLAMP (y + h, 0, height);
  GString *text;
  RoiItem item;

  if (x1 <= x0 || y1 <= y0)
    return FALSE;
  text = g_string_new (NULL);
  append_line (text, label, has_score, confidence, st->show_scores, "  ");
  item.rect.x = (gint) x0;
  item.rect.y = (gint) y0;
  item.rect.w = (gint) (x1 - x0);
  item.rect.h = (gint) (y1 - y0);
  item.text = g_string_free (text, FALSE);
  g_array_append_val (items, item);
  return TRUE;
}

#ifdef EFFNET_HAVE_ANALYTICS
/* Detections (GstAnalyticsODMtd) with a related ClsMtd, unless a region
 * with our "classification" parameter was drawn at the same place (the
 * efficientnet element writes both for a region of a detector that writes
 * both). */
static void
collect_analytics_rois (GstBuffer * buf, const Settings * st, gint width,
    gint height, GArray * items)
{
  GstAnalyticsRelationMeta *rmeta =
      gst_buffer_get_analytics_relation_meta (buf);
  guint drawn = items->len, i;
  GstAnalyticsODMtd od;
  gpointer state = NULL;

  if (rmeta == NULL)
    return;
  while (gst_analytics_relation_meta_iterate (rmeta, &state,
          gst_analytics_od_mtd_get_mtd_type (), &od)) {
    GstAnalyticsClsMtd cls;
    GstVideoRectangle clamped;
    gint x, y, w, h;
    gfloat conf;
    gboolean dup = FALSE;

    if (!gst_effnet_analytics_od_cls (&od, &cls) ||
        gst_analytics_cls_mtd_get_length (&cls) == 0 ||
        !gst_analytics_od_mtd_get_location (&od, &x, &y, &w, &h, &conf))
      continue;
    clamped.x = CLAMP (x, 0, width);
    clamped.y = CLAMP (y, 0, height);
    clamped.w = CLAMP ((gint64) x + w, 0, width) - clamped.x;
    clamped.h = CLAMP ((gint64) y + h, 0, height) - clamped.y;
    for (i = 0; i < drawn && !dup; i++) {
      const GstVideoRectangle *r = &g_array_index (items, RoiItem, i).rect;

      dup = r->x == clamped.x && r->y == clamped.y && r->w == clamped.w &&
          r->h == clamped.h;
    }
    if (!dup)
      append_roi_item (items, st, width, height, x, y, w, h,
          g_quark_to_string (gst_analytics_cls_mtd_get_quark (&cls, 0)), TRUE,
          gst_analytics_cls_mtd_get_level (&cls, 0));
  }
}
#endif

/* Regions with a "classification" parameter, and (built with GstAnalytics)
 * detections with a related classification, clamped to the frame. */
static void
collect_rois (GstBuffer * buf, const Settings * st, gint width, gint height,
    GArray * items)
{
  GstVideoRegionOfInterestMeta *roi;
  gpointer state = NULL;

  if (!st->draw_rois)
    return;
  while ((roi = (GstVideoRegionOfInterestMeta *)
          gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstEffnetMeta meta;
    gdouble confidence = 0.0;
    gboolean has_score;
    const gchar *label;
    gchar *fallback = NULL;

    if (!gst_effnet_meta_from_roi (roi, &meta))
      continue;
    label = gst_effnet_meta_get_top_label (&meta);
    if (label == NULL || label[0] == '\0')
      label = fallback = g_strdup_printf ("class %d",
          gst_effnet_meta_get_top_class_id (&meta));
    has_score = gst_effnet_meta_get_top_level (&meta, &confidence);
    append_roi_item (items, st, width, height, roi->x, roi->y, roi->w, roi->h,
        label, has_score, confidence);
    g_free (fallback);
  }
#ifdef EFFNET_HAVE_ANALYTICS
  collect_analytics_rois (buf, st, width, height, items);
#endif
}

/* Everything the composition of a frame depends on, as a string. */
static gchar *
composition_key (const Settings * st, gint width, gint height,
    const GString * main_text, gboolean stale, GArray * rois)
{
  GString *key = g_string_new (NULL);
  guint i;

  g_string_append_printf (key, "%u %dx%d", st->cookie, width, height);
  if (main_text->len > 0)
    g_string_append_printf (key, " main %c %" G_GSIZE_FORMAT ":%s",
        stale ? 's' : 'f', main_text->len, main_text->str);
  for (i = 0; i < rois->len; i++) {
    RoiItem *item = &g_array_index (rois, RoiItem, i);

    g_string_append_printf (key, " roi %d,%d,%d,%d %" G_GSIZE_FORMAT ":%s",
        item->rect.x, item->rect.y, item->rect.w, item->rect.h,
        strlen (item->text), item->text);
  }
  return g_string_free (key, FALSE);
}

/* ---- rendering ---- */

/* Font, padding and an empty text cache for these settings and frame size. */
static void
update_style (GstEfficientNetOverlay * self, const Settings * st, gint width,
    gint height)
{
  PangoFontDescription *desc;
  cairo_font_options_t *options;
  gint size;

  if (self->style_valid && self->style_cookie == st->cookie &&
      self->style_width == width && self->style_height == height)
    return;

  if (self->font_map == NULL) {
    self->font_map = pango_cairo_font_map_new ();
    self->context = pango_font_map_create_context (self->font_map);
    /* 72 dpi: a font-desc size in points is that many pixels */
    pango_cairo_context_set_resolution (self->context, 72.0);
    /* grey antialiasing (no subpixel colours, the frame may be scaled) and
     * hinted metrics, the same for measuring and drawing */
    options = cairo_font_options_create ();
    cairo_font_options_set_antialias (options, CAIRO_ANTIALIAS_GRAY);
    cairo_font_options_set_hint_metrics (options, CAIRO_HINT_METRICS_ON);
    pango_cairo_context_set_font_options (self->context, options);
    cairo_font_options_destroy (options);
    self->layout = pango_layout_new (self->context);
  }

  desc = pango_font_description_from_string (st->font_desc != NULL &&
      st->font_desc[0] != '\0' ? st->font_desc : "Sans");
  size = pango_font_description_get_size (desc);
  if (!(pango_font_description_get_set_fields (desc) & PANGO_FONT_MASK_SIZE)
      || size <= 0) {
    size = MAX (MIN_FONT_PX, height / FONT_DIVISOR) * PANGO_SCALE;
    pango_font_description_set_absolute_size (desc, size);
  }
  /* points at 72 dpi and absolute sizes are both pixels */
  self->font_px = MAX (1, size / PANGO_SCALE);
  self->pad = MAX (1, self->font_px / 4);
  pango_layout_set_font_description (self->layout, desc);
  pango_font_description_free (desc);

  g_hash_table_remove_all (self->text_cache);
  g_clear_pointer (&self->comp_key, g_free);
  g_clear_pointer (&self->comp, gst_video_overlay_composition_unref);
  self->style_valid = TRUE;
  self->style_cookie = st->cookie;
  self->style_width = width;
  self->style_height = height;
  GST_DEBUG_OBJECT (self, "font %d px for %dx%d", self->font_px, width, height);
}

static gint
text_width (GstEfficientNetOverlay * self, const gchar * text)
{
  PangoRectangle logical;

  pango_layout_set_text (self->layout, text, -1);
  pango_layout_get_pixel_extents (self->layout, NULL, &logical);
  return logical.width;
}

/* Lines "label\tscore" get two columns: labels left-aligned, scores
 * right-aligned (left-aligned before Pango 1.50) one em after the longest
 * label. */
static void
set_layout_text (GstEfficientNetOverlay * self, const gchar * text)
{
  PangoTabArray *tabs = NULL;

  pango_layout_set_tabs (self->layout, NULL);
  if (strchr (text, '\t') != NULL) {
    gchar **lines = g_strsplit (text, "\n", -1);
    GString *left = g_string_new (NULL), *right = g_string_new (NULL);
    gint label_w, score_w;
    guint i;

    for (i = 0; lines[i] != NULL; i++) {
      gchar *tab = strchr (lines[i], '\t');

      g_string_append_printf (left, "%s%.*s", i ? "\n" : "",
          tab ? (gint) (tab - lines[i]) : (gint) strlen (lines[i]), lines[i]);
      g_string_append_printf (right, "%s%s", i ? "\n" : "", tab ? tab + 1 : "");
    }
    label_w = text_width (self, left->str);
    score_w = text_width (self, right->str);
    tabs = pango_tab_array_new (1, TRUE);
#if PANGO_VERSION_CHECK (1, 50, 0)
    pango_tab_array_set_tab (tabs, 0, PANGO_TAB_RIGHT,
        label_w + self->font_px + score_w);
#else
    (void) score_w;
    pango_tab_array_set_tab (tabs, 0, PANGO_TAB_LEFT, label_w + self->font_px);
#endif
    g_strfreev (lines);
    g_string_free (left, TRUE);
    g_string_free (right, TRUE);
  }
  pango_layout_set_tabs (self->layout, tabs);
  if (tabs != NULL)
    pango_tab_array_free (tabs);
  pango_layout_set_text (self->layout, text, -1);
}

/* The pixels of a text box (background, padding, text), clipped to the
 * frame; from the cache when this text was drawn before with this style. */
static const TextPixels *
text_pixels (GstEfficientNetOverlay * self, const Settings * st,
    const gchar * text, gboolean dim)
{
  gchar *key = g_strdup_printf ("%c%s", dim ? 'd' : 'n', text);
  TextPixels *tp = g_hash_table_lookup (self->text_cache, key);
  PangoRectangle ink, logical;
  cairo_surface_t *surface;
  cairo_t *cr;
  GstMapInfo map;
  gint w, h;

  if (tp != NULL) {
    g_free (key);
    return tp;
  }

  set_layout_text (self, text);
  pango_layout_get_pixel_extents (self->layout, &ink, &logical);
  w = CLAMP (logical.width + 2 * self->pad, 1, self->style_width);
  h = CLAMP (logical.height + 2 * self->pad, 1, self->style_height);

  tp = g_new0 (TextPixels, 1);
  tp->width = w;
  tp->height = h;
  tp->pixels = pixels_new (w, h);
  if (tp->pixels == NULL || !gst_buffer_map (tp->pixels, &map, GST_MAP_WRITE)) {
    GST_WARNING_OBJECT (self, "no memory for a %dx%d text box", w, h);
    g_clear_pointer (&tp, text_pixels_free);
    g_free (key);
    return NULL;
  }
  surface = cairo_image_surface_create_for_data (map.data, CAIRO_FORMAT_ARGB32,
      w, h, w * 4);
  cr = cairo_create (surface);
  cairo_set_operator (cr, CAIRO_OPERATOR_SOURCE);
  set_source_argb (cr, st->background, 1.0);
  cairo_paint (cr);
  cairo_set_operator (cr, CAIRO_OPERATOR_OVER);
  set_source_argb (cr, st->color, dim ? STALE_ALPHA : 1.0);
  cairo_move_to (cr, self->pad - logical.x, self->pad - logical.y);
  pango_cairo_show_layout (cr, self->layout);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  cairo_surface_destroy (surface);
  gst_buffer_unmap (tp->pixels, &map);

  if (g_hash_table_size (self->text_cache) >= TEXT_CACHE_MAX)
    g_hash_table_remove_all (self->text_cache);
  g_hash_table_insert (self->text_cache, key, tp);
  GST_LOG_OBJECT (self, "rendered %dx%d text box", w, h);
  return tp;
}

static void
add_edge (GstVideoOverlayComposition ** comp, gint x, gint y, gint w, gint h,
    guint32 argb)
{
  GstBuffer *pixels;

  if (w <= 0 || h <= 0)
    return;
  pixels = solid_pixels (w, h, argb);
  if (pixels == NULL)
    return;
  composition_add (comp, pixels, x, y, w, h);
  gst_buffer_unref (pixels);
}

/* A region: four edges of the text colour (not overlapping, so a translucent
 * colour stays even) and its label box above it, or inside when there is no
 * room above. */
static void
add_roi (GstEfficientNetOverlay * self, const Settings * st,
    GstVideoOverlayComposition ** comp, const RoiItem * item)
{
  const GstVideoRectangle *r = &item->rect;
  gint t = MAX (2, self->style_height / 180);
  gint top = MIN (t, r->h), bottom = MIN (t, r->h - top);
  gint left = MIN (t, r->w), right = MIN (t, r->w - left);
  gint inner = r->h - top - bottom;
  const TextPixels *tp;
  gint x, y;

  add_edge (comp, r->x, r->y, r->w, top, st->color);
  add_edge (comp, r->x, r->y + r->h - bottom, r->w, bottom, st->color);
  add_edge (comp, r->x, r->y + top, left, inner, st->color);
  add_edge (comp, r->x + r->w - right, r->y + top, right, inner, st->color);

  tp = text_pixels (self, st, item->text, FALSE);
  if (tp == NULL)
    return;
  x = CLAMP (r->x, 0, self->style_width - tp->width);
  y = r->y - tp->height >= 0 ? r->y - tp->height : r->y;
  y = CLAMP (y, 0, self->style_height - tp->height);
  composition_add (comp, tp->pixels, x, y, tp->width, tp->height);
}

static GstVideoOverlayComposition *
build_composition (GstEfficientNetOverlay * self, const Settings * st,
    const GString * main_text, gboolean stale, GArray * rois)
{
  GstVideoOverlayComposition *comp = NULL;
  guint i;

  for (i = 0; i < rois->len; i++)
    add_roi (self, st, &comp, &g_array_index (rois, RoiItem, i));

  /* the results box last, so it is on top */
  if (main_text->len > 0) {
    const TextPixels *tp = text_pixels (self, st, main_text->str, stale);
    gint margin = self->pad, x, y;

    if (tp != NULL) {
      gboolean right = st->position == POSITION_TOP_RIGHT ||
          st->position == POSITION_BOTTOM_RIGHT;
      gboolean bottom = st->position == POSITION_BOTTOM_LEFT ||
          st->position == POSITION_BOTTOM_RIGHT;

      x = right ? self->style_width - tp->width - margin : margin;
      y = bottom ? self->style_height - tp->height - margin : margin;
      x = CLAMP (x, 0, self->style_width - tp->width);
      y = CLAMP (y, 0, self->style_height - tp->height);
      composition_add (&comp, tp->pixels, x, y, tp->width, tp->height);
    }
  }
  return comp;
}

/* ---- attach or blend ---- */

/* Does downstream's answer to an allocation query list the overlay
 * composition meta? (What textoverlay asks; an element that renders the
 * composition itself says so there.) */
static gboolean
downstream_takes_meta (GstEfficientNetOverlay * self)
{
  GstPad *srcpad = GST_BASE_TRANSFORM_SRC_PAD (self);
  GstCaps *caps = gst_pad_get_current_caps (srcpad);
  GstQuery *query;
  gboolean has;

  if (caps == NULL) {
    g_atomic_int_set (&self->check_alloc, TRUE);        /* ask again later */
    return FALSE;
  }
  query = gst_query_new_allocation (caps, FALSE);
  if (!gst_pad_peer_query (srcpad, query))
    GST_DEBUG_OBJECT (self, "allocation query not answered");
  has = gst_query_find_allocation_meta (query,
      GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  gst_query_unref (query);
  gst_caps_unref (caps);
  return has;
}

/* The buffer is writable here: GstBaseTransform's in-place path hands over
 * the input itself when it is, else a shallow copy (the equivalent of
 * gst_buffer_make_writable). Frames are mapped for writing only when
 * blending, and mapping a writable buffer for writing copies memory that is
 * shared (e.g. by a tee's other branch), so nobody else sees our pixels. */
static GstFlowReturn
gst_efficientnet_overlay_transform_ip (GstBaseTransform * trans,
    GstBuffer * buf)
{
  GstEfficientNetOverlay *self = GST_EFFICIENTNET_OVERLAY (trans);
  GstVideoFilter *filter = GST_VIDEO_FILTER (trans);
  gint width = GST_VIDEO_INFO_WIDTH (&self->info);
  gint height = GST_VIDEO_INFO_HEIGHT (&self->info);
  GArray *rois = g_array_new (FALSE, FALSE, sizeof (RoiItem));
  GString *main_text = g_string_new (NULL);
  GstVideoOverlayComposition *comp = NULL;
  gboolean stale = FALSE, attach;
  gchar *key;
  Settings st;

  if (G_UNLIKELY (!filter->negotiated)) {
    g_array_unref (rois);
    g_string_free (main_text, TRUE);
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL), ("not negotiated"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  g_array_set_clear_func (rois, roi_item_clear);
  read_settings (self, &st);

  if (g_atomic_int_compare_and_exchange (&self->check_alloc, TRUE, FALSE)) {
    self->alloc_attach = downstream_takes_meta (self);
    GST_DEBUG_OBJECT (self, "caps feature %d, allocation meta %d: %s",
        self->caps_attach, self->alloc_attach,
        self->caps_attach || self->alloc_attach ? "attaching" : "blending");
  }
  attach = self->caps_attach || self->alloc_attach;

  frame_text (buf, &st, main_text, &stale);
  collect_rois (buf, &st, width, height, rois);
  if (main_text->len == 0 && rois->len == 0)
    goto done;                  /* nothing to draw: the frame passes as it is */

  update_style (self, &st, width, height);
  key = composition_key (&st, width, height, main_text, stale, rois);
  if (self->comp != NULL && g_strcmp0 (key, self->comp_key) == 0) {
    g_free (key);
    comp = gst_video_overlay_composition_ref (self->comp);
  } else {
    comp = build_composition (self, &st, main_text, stale, rois);
    g_clear_pointer (&self->comp, gst_video_overlay_composition_unref);
    g_free (self->comp_key);
    self->comp_key = key;
    if (comp != NULL)
      self->comp = gst_video_overlay_composition_ref (comp);
  }
  if (comp == NULL)
    goto done;

  if (attach) {
    /* A composition attached upstream stays as it is (its seqnum, so the
     * sink's caching, intact): ours is a meta of its own, which is what the
     * GstVideoOverlayComposition docs recommend over merging. */
    gst_buffer_add_video_overlay_composition_meta (buf, comp);
  } else {
    GstVideoFrame frame;

    if (!gst_video_frame_map (&frame, &self->info, buf, GST_MAP_READWRITE)) {
      GST_ELEMENT_WARNING (self, STREAM, FAILED, (NULL),
          ("could not map the frame for writing; results not drawn"));
    } else {
      if (!gst_video_overlay_composition_blend (comp, &frame))
        GST_WARNING_OBJECT (self, "blending failed");
      gst_video_frame_unmap (&frame);
    }
  }

done:
  if (comp != NULL)
    gst_video_overlay_composition_unref (comp);
  g_free (st.font_desc);
  g_array_unref (rois);
  g_string_free (main_text, TRUE);
  return GST_FLOW_OK;
}

/* ---- caps ---- */

/* Appends s with `base` (features without the overlay one), then, if
 * `with`, s with base + the overlay feature. System memory with the feature
 * is written two ways, "meta:GstVideoOverlayComposition" and
 * "memory:SystemMemory, meta:GstVideoOverlayComposition", which caps
 * intersection tells apart; both are offered. */
static GstCaps *
append_variants (GstCaps * out, const GstStructure * s,
    const GstCapsFeatures * base, gboolean plain, gboolean with)
{
  GstCapsFeatures *f;

  if (plain)
    out = gst_caps_merge_structure_full (out, gst_structure_copy (s),
        gst_caps_features_copy (base));
  if (!with)
    return out;
  f = gst_caps_features_copy (base);
  gst_caps_features_remove (f, GST_CAPS_FEATURE_MEMORY_SYSTEM_MEMORY);
  gst_caps_features_add (f, FEATURE_OVERLAY);
  out = gst_caps_merge_structure_full (out, gst_structure_copy (s), f);
  if (gst_caps_features_is_equal (base, GST_CAPS_FEATURES_MEMORY_SYSTEM_MEMORY)) {
    f = gst_caps_features_new (GST_CAPS_FEATURE_MEMORY_SYSTEM_MEMORY,
        FEATURE_OVERLAY, NULL);
    out = gst_caps_merge_structure_full (out, gst_structure_copy (s), f);
  }
  return out;
}

/* Towards the source pad: caps with the overlay feature keep it (upstream
 * attaches, so do we); caps without it may leave without it (blend) or with
 * it (attach), plain first, so a downstream that takes both gets blended
 * frames unless its allocation answer asks for the meta. Towards the sink
 * pad: downstream caps with the feature take input with or without it,
 * caps without it only input without it (an upstream composition could not
 * be passed on). */
static GstCaps *
gst_efficientnet_overlay_transform_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * filter)
{
  GstCaps *out;
  guint i, n;

  if (gst_caps_is_any (caps))
    out = gst_caps_ref (caps);
  else {
    out = gst_caps_new_empty ();
    n = gst_caps_get_size (caps);
    for (i = 0; i < n; i++) {
      GstStructure *s = gst_caps_get_structure (caps, i);
      GstCapsFeatures *f = gst_caps_get_features (caps, i);
      GstCapsFeatures *base;
      gboolean has;

      if (f != NULL && gst_caps_features_is_any (f)) {
        out = gst_caps_merge_structure_full (out, gst_structure_copy (s),
            gst_caps_features_copy (f));
        continue;
      }
      has = f != NULL && gst_caps_features_contains (f, FEATURE_OVERLAY);
      base = f != NULL ? gst_caps_features_copy (f) :
          gst_caps_features_new_empty ();
      gst_caps_features_remove (base, FEATURE_OVERLAY);
      if (gst_caps_features_get_size (base) == 0)
        gst_caps_features_add (base, GST_CAPS_FEATURE_MEMORY_SYSTEM_MEMORY);
      if (direction == GST_PAD_SINK)
        out = append_variants (out, s, base, !has, TRUE);
      else
        out = append_variants (out, s, base, TRUE, has);
      gst_caps_features_free (base);
    }
  }
  if (filter != NULL) {
    GstCaps *tmp = gst_caps_intersect_full (filter, out,
        GST_CAPS_INTERSECT_FIRST);

    gst_caps_unref (out);
    out = tmp;
  }
  GST_LOG_OBJECT (trans, "%s %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT,
      direction == GST_PAD_SINK ? "sink" : "src", caps, out);
  return out;
}

static gboolean
gst_efficientnet_overlay_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstEfficientNetOverlay *self = GST_EFFICIENTNET_OVERLAY (filter);
  GstCapsFeatures *f = gst_caps_get_features (outcaps, 0);

  self->info = *in_info;
  self->caps_attach = f != NULL && !gst_caps_features_is_any (f) &&
      gst_caps_features_contains (f, FEATURE_OVERLAY);
  self->alloc_attach = FALSE;
  /* the caps reach downstream after this; ask at the next frame */
  g_atomic_int_set (&self->check_alloc, TRUE);
  GST_DEBUG_OBJECT (self, "caps %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT,
      incaps, outcaps);
  return TRUE;
}

static gboolean
gst_efficientnet_overlay_src_event (GstBaseTransform * trans, GstEvent * event)
{
  GstEfficientNetOverlay *self = GST_EFFICIENTNET_OVERLAY (trans);

  /* downstream changed (e.g. a new sink linked): ask again whether it
   * renders compositions */
  if (GST_EVENT_TYPE (event) == GST_EVENT_RECONFIGURE)
    g_atomic_int_set (&self->check_alloc, TRUE);
  return GST_BASE_TRANSFORM_CLASS (parent_class)->src_event (trans, event);
}

static void
clear_rendering (GstEfficientNetOverlay * self)
{
  g_hash_table_remove_all (self->text_cache);
  g_clear_pointer (&self->comp_key, g_free);
  g_clear_pointer (&self->comp, gst_video_overlay_composition_unref);
  g_clear_object (&self->layout);
  g_clear_object (&self->context);
  g_clear_object (&self->font_map);
  self->style_valid = FALSE;
}

static gboolean
gst_efficientnet_overlay_start (GstBaseTransform * trans)
{
  GstEfficientNetOverlay *self = GST_EFFICIENTNET_OVERLAY (trans);

  self->caps_attach = self->alloc_attach = FALSE;
  g_atomic_int_set (&self->check_alloc, TRUE);
  return TRUE;
}

static gboolean
gst_efficientnet_overlay_stop (GstBaseTransform * trans)
{
  clear_rendering (GST_EFFICIENTNET_OVERLAY (trans));
  return TRUE;
}

/* ---- properties ---- */

static void
gst_efficientnet_overlay_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstEfficientNetOverlay *self = GST_EFFICIENTNET_OVERLAY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_FONT_DESC:
      g_free (self->font_desc);
      self->font_desc = g_value_dup_string (value);
      break;
    case PROP_COLOR:
      self->color = g_value_get_uint (value);
      break;
    case PROP_BACKGROUND:
      self->background = g_value_get_uint (value);
      break;
    case PROP_POSITION:
      self->position = g_value_get_enum (value);
      break;
    case PROP_SHOW_SCORES:
      self->show_scores = g_value_get_boolean (value);
      break;
    case PROP_MAX_LABELS:
      self->max_labels = g_value_get_uint (value);
      break;
    case PROP_DRAW_ROIS:
      self->draw_rois = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  self->cookie++;
  GST_OBJECT_UNLOCK (self);
}

static void
gst_efficientnet_overlay_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstEfficientNetOverlay *self = GST_EFFICIENTNET_OVERLAY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_FONT_DESC:
      g_value_set_string (value, self->font_desc);
      break;
    case PROP_COLOR:
      g_value_set_uint (value, self->color);
      break;
    case PROP_BACKGROUND:
      g_value_set_uint (value, self->background);
      break;
    case PROP_POSITION:
      g_value_set_enum (value, self->position);
      break;
    case PROP_SHOW_SCORES:
      g_value_set_boolean (value, self->show_scores);
      break;
    case PROP_MAX_LABELS:
      g_value_set_uint (value, self->max_labels);
      break;
    case PROP_DRAW_ROIS:
      g_value_set_boolean (value, self->draw_rois);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_efficientnet_overlay_finalize (GObject * object)
{
  GstEfficientNetOverlay *self = GST_EFFICIENTNET_OVERLAY (object);

  clear_rendering (self);
  g_hash_table_unref (self->text_cache);
  g_free (self->font_desc);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

#define PLAYING_FLAGS \
    (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING)

static void
gst_efficientnet_overlay_class_init (GstEfficientNetOverlayClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;
  GstBaseTransformClass *trans_class = (GstBaseTransformClass *) klass;
  GstVideoFilterClass *filter_class = (GstVideoFilterClass *) klass;

  GST_DEBUG_CATEGORY_INIT (gst_efficientnet_overlay_debug,
      "efficientnetoverlay", 0, "EfficientNet classification overlay");
  /* Register the "EfficientNetClassification" custom meta here too, so it
   * can be looked up (and added by applications) with only this element in
   * use. */
  gst_effnet_meta_register ();

  gobject_class->set_property = gst_efficientnet_overlay_set_property;
  gobject_class->get_property = gst_efficientnet_overlay_get_property;
  gobject_class->finalize = gst_efficientnet_overlay_finalize;

  g_object_class_install_property (gobject_class, PROP_FONT_DESC,
      g_param_spec_string ("font-desc", "Font description",
          "Pango font description of the text, e.g. \"Sans Bold 14\"; a size "
          "is in pixels (points at 72 dpi). NULL, or no size given: Sans (or "
          "the family given) at 1/24 of the frame height, at least 6 pixels",
          DEFAULT_FONT_DESC, PLAYING_FLAGS));
  g_object_class_install_property (gobject_class, PROP_COLOR,
      g_param_spec_uint ("color", "Color",
          "Colour of the text and of the region boxes, 0xAARRGGBB (stale "
          "results are drawn at 60% of its alpha)", 0, G_MAXUINT32,
          DEFAULT_COLOR, PLAYING_FLAGS));
  g_object_class_install_property (gobject_class, PROP_BACKGROUND,
      g_param_spec_uint ("background", "Background",
          "Colour of the boxes behind the text, 0xAARRGGBB (alpha 0: no box)",
          0, G_MAXUINT32, DEFAULT_BACKGROUND, PLAYING_FLAGS));
  g_object_class_install_property (gobject_class, PROP_POSITION,
      g_param_spec_enum ("position", "Position",
          "Corner of the frame where the results box is drawn",
          GST_TYPE_EFFICIENTNET_OVERLAY_POSITION, DEFAULT_POSITION,
          PLAYING_FLAGS));
  g_object_class_install_property (gobject_class, PROP_SHOW_SCORES,
      g_param_spec_boolean ("show-scores", "Show scores",
          "Write each label's score (softmax probability, in percent) after "
          "it", DEFAULT_SHOW_SCORES, PLAYING_FLAGS));
  g_object_class_install_property (gobject_class, PROP_MAX_LABELS,
      g_param_spec_uint ("max-labels", "Maximum labels",
          "Classes shown in the results box, best first, at most as many as "
          "the metadata holds (its top-k); 0: no results box, regions only",
          0, 1000, DEFAULT_MAX_LABELS, PLAYING_FLAGS));
  g_object_class_install_property (gobject_class, PROP_DRAW_ROIS,
      g_param_spec_boolean ("draw-rois", "Draw regions",
          "Draw the box and label of each region of interest that has a "
          "\"classification\" result (inference-region=roi-list)",
          DEFAULT_DRAW_ROIS, PLAYING_FLAGS));

  gst_element_class_set_static_metadata (element_class,
      "EfficientNet classification overlay", "Filter/Editor/Video",
      "Draws the EfficientNet classification results attached to video "
      "frames (top labels, region boxes and labels)", "effnet project");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->transform_caps =
      GST_DEBUG_FUNCPTR (gst_efficientnet_overlay_transform_caps);
  trans_class->start = GST_DEBUG_FUNCPTR (gst_efficientnet_overlay_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_efficientnet_overlay_stop);
  trans_class->src_event =
      GST_DEBUG_FUNCPTR (gst_efficientnet_overlay_src_event);
  /* our own transform_ip instead of GstVideoFilter's: that one maps every
   * frame for writing, which would copy shared memory even for frames we
   * leave alone */
  trans_class->transform_ip =
      GST_DEBUG_FUNCPTR (gst_efficientnet_overlay_transform_ip);
  filter_class->set_info =
      GST_DEBUG_FUNCPTR (gst_efficientnet_overlay_set_info);

  gst_type_mark_as_plugin_api (GST_TYPE_EFFICIENTNET_OVERLAY_POSITION, 0);
}

static void
gst_efficientnet_overlay_init (GstEfficientNetOverlay * self)
{
  self->font_desc = g_strdup (DEFAULT_FONT_DESC);
  self->color = DEFAULT_COLOR;
  self->background = DEFAULT_BACKGROUND;
  self->position = DEFAULT_POSITION;
  self->show_scores = DEFAULT_SHOW_SCORES;
  self->max_labels = DEFAULT_MAX_LABELS;
  self->draw_rois = DEFAULT_DRAW_ROIS;
  self->text_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      text_pixels_free);
  /* a cheap overlay must not drop late frames (GstVideoFilter turns QoS on) */
  gst_base_transform_set_qos_enabled (GST_BASE_TRANSFORM (self), FALSE);
}
