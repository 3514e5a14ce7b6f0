/* effnet-classify — classify images and videos with the efficientnet GStreamer element and write
 * one record per classified frame as JSON lines, CSV or lines of text for people.
 *
 *   effnet-classify [--weights W] [--variant bN] [--top-k K] [--interval N]
 *                   [--format jsonl|dlstreamer|csv|text] [--output FILE] [--quiet] INPUT...
 *
 * For each INPUT (a file path or any URI uridecodebin opens) it runs
 *
 *   uridecodebin uri=INPUT ! videoconvert ! efficientnet mode=sync ... ! fakesink
 *
 * and reads the EfficientNetClassification meta of every buffer reaching the sink in a pad probe,
 * through the metadata contract's read helpers (gst-plugin/effnetmeta.h, compiled in). Frames classified on that buffer (stale FALSE; with --interval N every Nth
 * one) become records; --format dlstreamer writes DL Streamer's gvametaconvert records, built by
 * the same code (gst-plugin/effnetrecord.c, compiled in) as the efficientnetpublish element's, so
 * the two write the same bytes for the same frames. Records go to stdout (or --output), each written whole and flushed; the
 * summary of a video (the most frequent top-1 labels) and the progress bar (only when stderr is a
 * terminal) go to stderr, so stdout holds nothing but records.
 *
 * Errors are one sentence on stderr: exit 2 for a bad command line, exit 1 at the first input that
 * fails (the inputs after it are not processed; records written before the failure stay, each of
 * them complete).
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/pbutils/pbutils.h>
#include <json-glib/json-glib.h>

#include "effnetmeta.h"
#include "effnetrecord.h"

#define PROG "effnet-classify"
#define PLUGIN_FILE "libgstefficientnet.so"

#ifndef EFFNET_PLUGIN_INSTALL_DIR
#define EFFNET_PLUGIN_INSTALL_DIR ""
#endif

/* Exit statuses. */
enum
{ EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

typedef enum
{ FORMAT_JSONL, FORMAT_DLSTREAMER, FORMAT_CSV, FORMAT_TEXT } OutputFormat;

typedef struct
{
  gchar *weights;               /* NULL: the element's own default */
  gchar *variant;               /* NULL: the element's default (auto) */
  guint top_k;
  guint interval;
  OutputFormat format;
  gchar *output;                /* NULL: stdout */
  gboolean quiet;
  char **inputs;
  int n_inputs;
} Options;

/* Per-label statistics of the top-1 results over one input. */
typedef struct
{
  char *label;
  guint count;
  double score_sum;
} LabelStat;

/* What the streaming thread and the main thread share for one input. */
typedef struct
{
  const Options *opt;
  const char *input;            /* as given on the command line */
  FILE *out;
  GstElement *pipeline, *convert;
  GMutex lock;
  gboolean video_linked;        /* a video pad of uridecodebin reached videoconvert */
  gchar *undecodable_video;     /* description of a video stream no decoder was found for */
  guint64 buffers;              /* buffers that reached the sink */
  guint64 records;              /* records written */
  GHashTable *stats;            /* label -> LabelStat */
  guint64 last_source_frame;    /* --format dlstreamer: of the last record */
  gboolean write_failed;
  int write_errno;
} Run;

static void
G_GNUC_PRINTF (1, 2)
usage_error (const char *fmt, ...)
{
  va_list ap;
  fputs (PROG ": ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputs (" (see " PROG " --help)\n", stderr);
  exit (EXIT_USAGE);
}

/* ---- the command line (GOptionContext) ----
 *
 * The options with a value are callbacks that check it and fail with the sentence usage_error
 * prints. All take the value's bytes as given (G_OPTION_FLAG_FILENAME: no conversion from the
 * locale's encoding), like the inputs. */

#define BAD_VALUE(error, ...) \
  (g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, __VA_ARGS__), FALSE)

/* Parses an unsigned integer in [lo, hi]; FALSE if it is not one. */
static gboolean
parse_uint (const char *s, guint lo, guint hi, guint * out)
{
  guint64 v;
  if (!g_ascii_string_to_unsigned (s, 10, lo, hi, &v, NULL))
    return FALSE;
  *out = (guint) v;
  return TRUE;
}

static gboolean
on_weights (const gchar * name, const gchar * value, gpointer data,
    GError ** error)
{
  if (!*value)
    return BAD_VALUE (error, "--weights needs a file or folder name");
  g_free (((Options *) data)->weights);
  ((Options *) data)->weights = g_strdup (value);
  return TRUE;
}

static gboolean
on_variant (const gchar * name, const gchar * value, gpointer data,
    GError ** error)
{
  if (!(strcmp (value, "auto") == 0 || (strlen (value) == 2 && (value[0] == 'b'
                  || value[0] == 'B') && value[1] >= '0' && value[1] <= '7')))
    return BAD_VALUE (error,
        "--variant must be auto or one of b0..b7, not '%s'", value);
  g_free (((Options *) data)->variant);
  ((Options *) data)->variant = g_strdup (value);
  return TRUE;
}

static gboolean
on_top_k (const gchar * name, const gchar * value, gpointer data,
    GError ** error)
{
  if (!parse_uint (value, 1, 1000, &((Options *) data)->top_k))
    return BAD_VALUE (error,
        "--top-k must be an integer from 1 to 1000, not '%s'", value);
  return TRUE;
}

static gboolean
on_interval (const gchar * name, const gchar * value, gpointer data,
    GError ** error)
{
  if (!parse_uint (value, 1, G_MAXUINT, &((Options *) data)->interval))
    return BAD_VALUE (error, "--interval must be a positive integer, not '%s'",
        value);
  return TRUE;
}

static gboolean
on_format (const gchar * name, const gchar * value, gpointer data,
    GError ** error)
{
  Options *opt = data;
  if (strcmp (value, "jsonl") == 0 || strcmp (value, "json") == 0)
    opt->format = FORMAT_JSONL;
  else if (strcmp (value, "dlstreamer") == 0)
    opt->format = FORMAT_DLSTREAMER;
  else if (strcmp (value, "csv") == 0)
    opt->format = FORMAT_CSV;
  else if (strcmp (value, "text") == 0)
    opt->format = FORMAT_TEXT;
  else
    return BAD_VALUE (error,
        "--format must be jsonl, dlstreamer, csv or text, not '%s'", value);
  return TRUE;
}

static gboolean
on_output (const gchar * name, const gchar * value, gpointer data,
    GError ** error)
{
  if (!*value)
    return BAD_VALUE (error, "--output needs a file name");
  g_free (((Options *) data)->output);
  ((Options *) data)->output = g_strdup (value);
  return TRUE;
}

/* -h, --help: GOption's own help would print through g_print, which turns the UTF-8 of its
 * "[OPTION…]" into '?' in the C locale, and lists -?, --help-all. */
static GOptionContext *option_context;

static gboolean
on_help (const gchar * name, const gchar * value, gpointer data,
    GError ** error)
{
  gchar *help = g_option_context_get_help (option_context, TRUE, NULL);
  fputs (help, stdout);
  g_free (help);
  exit (0);
}

#define VALUE_OPTION(long_name, short_name, cb, text, arg) \
  { long_name, short_name, G_OPTION_FLAG_FILENAME, G_OPTION_ARG_CALLBACK, (gpointer) cb, text, arg }

static const GOptionEntry option_entries[] = {
  VALUE_OPTION ("weights", 0, on_weights,
      ".safetensors file, or folder holding model.safetensors + config.json",
      "W"),
  VALUE_OPTION ("variant", 0, on_variant,
      "auto (default) or b0..b7; must match the weights", "bN"),
  VALUE_OPTION ("top-k", 0, on_top_k, "classes per record, 1..1000 (default 5)",
      "K"),
  VALUE_OPTION ("interval", 0, on_interval,
      "classify every Nth frame (default 1: every frame)",
      "N"),
  VALUE_OPTION ("format", 0, on_format,
      "jsonl (default), dlstreamer (DL Streamer's JSON, as efficientnetpublish "
      "writes it), csv, or text (a line per frame for people)", "F"),
  VALUE_OPTION ("output", 'o', on_output,
      "write the records to FILE instead of stdout", "FILE"),
  /* arg_data is set in parse_options */
  {"quiet", 'q', 0, G_OPTION_ARG_NONE, NULL,
      "no progress bar and no summary on stderr", NULL},
  {"help", 'h', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, (gpointer) on_help,
      "this help", NULL},
  {NULL}
};

/* The long name of the option ARG names ("--top-k", "-o", or a group of short ones ending with
 * it, "-qo"), NULL if none. */
static const char *
option_long_name (const char *arg)
{
  const GOptionEntry *e;
  for (e = option_entries; e->long_name; e++)
    if ((arg[0] == '-' && arg[1] == '-' && strcmp (arg + 2, e->long_name) == 0)
        || (arg[0] == '-' && arg[1] != '-' && e->short_name
            && arg[strlen (arg) - 1] == e->short_name))
      return e->long_name;
  return NULL;
}

static void
parse_options (int argc, char **argv, Options * opt)
{
  GOptionEntry entries[G_N_ELEMENTS (option_entries)];
  GOptionContext *ctx;
  GOptionGroup *group;
  GError *err = NULL;
  const char *last = argc > 1 ? argv[argc - 1] : "";
  gboolean no_more_options = FALSE;
  int i, n = 0;

  memset (opt, 0, sizeof (*opt));
  opt->top_k = 5;
  opt->interval = 1;

  memcpy (entries, option_entries, sizeof entries);
  for (i = 0; entries[i].long_name; i++)
    if (strcmp (entries[i].long_name, "quiet") == 0)
      entries[i].arg_data = &opt->quiet;

  ctx = option_context = g_option_context_new ("INPUT...");
  g_option_context_set_help_enabled (ctx, FALSE);
  g_option_context_set_summary (ctx,
      "Classify images and videos with the efficientnet GStreamer "
      "element; one record per classified frame.");
  g_option_context_set_description (ctx,
      "INPUT: an image or video file, or a URI (file://, http://, rtsp://, ...).\n"
      "JSON lines: {\"input\",\"frame\",\"timestamp\",\"labels\",\"class_ids\",\"scores\"} per frame.\n"
      "dlstreamer: {\"resolution\",\"timestamp\" (ns),\"source\",\"objects\"} per frame (gvametaconvert's).\n"
      "CSV: input,frame,timestamp,rank,label,class_id,score, one row per frame and rank.\n"
      "A summary of each video (most frequent top-1 labels) goes to stderr.\n"
      "Exit status: 0 success, 1 an input or the element failed (stops there), 2 bad usage.");
  group = g_option_group_new (PROG, "", "", opt, NULL);
  g_option_group_add_entries (group, entries);
  g_option_context_set_main_group (ctx, group);
  /* Unknown options stay in argv, to be named below as they were given. */
  g_option_context_set_ignore_unknown_options (ctx, TRUE);

  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    /* GOption's own error (not a callback's): an option that takes a value ends the command
     * line. */
    if (!g_error_matches (err, G_OPTION_ERROR, G_OPTION_ERROR_FAILED)
        && option_long_name (last))
      usage_error ("option --%s needs a value", option_long_name (last));
    usage_error ("%s", err->message);
  }
  g_option_context_free (ctx);
  option_context = NULL;

  /* Left: the inputs, "--" when inputs after it start with '-', unknown options. */
  opt->inputs = g_new0 (char *, argc + 1);
  for (i = 1; i < argc; i++) {
    if (!no_more_options && strcmp (argv[i], "--") == 0)
      no_more_options = TRUE;
    else if (!no_more_options && argv[i][0] == '-' && argv[i][1])
      usage_error ("unknown option '%s'", argv[i]);
    else
      opt->inputs[n++] = argv[i];
  }
  if (n == 0)
    usage_error ("no input given");
  opt->n_inputs = n;
}

/* ---- output formatting ---- */

/* A string for JSON, which must be UTF-8: invalid UTF-8 is replaced by U+FFFD. */
static void
json_add_string (JsonBuilder * b, const char *s)
{
  gchar *valid = g_utf8_make_valid (s, -1);
  json_builder_add_string_value (b, valid);
  g_free (valid);
}

/* A number written into TEXT (emptied here) by append_number or append_seconds: "null", or the
 * double that the text reads as, so that a reader gets the very number the CSV gives. */
static void
json_add_number_text (JsonBuilder * b, GString * text)
{
  if (strcmp (text->str, "null") == 0)
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, g_ascii_strtod (text->str, NULL));
  g_string_truncate (text, 0);
}

/* Appends S as a CSV field, quoted (RFC 4180) when it holds a comma, a quote, CR or LF, or starts or
 * ends with a space. */
static void
csv_field (GString * g, const char *s)
{
  const char *p;
  size_t len = strlen (s);
  gboolean quote = strpbrk (s, ",\"\r\n") != NULL || (len > 0 && (s[0] == ' '
          || s[len - 1] == ' '));

  if (!quote) {
    g_string_append (g, s);
    return;
  }
  g_string_append_c (g, '"');
  for (p = s; *p; p++) {
    if (*p == '"')
      g_string_append_c (g, '"');
    g_string_append_c (g, *p);
  }
  g_string_append_c (g, '"');
}

/* A double as a JSON number, %.9g, locale-independent; NaN and infinities (never produced by a
 * softmax, but not representable in JSON) become null. */
static void
append_number (GString * g, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  if (!isfinite (v)) {
    g_string_append (g, "null");
    return;
  }
  g_string_append (g, g_ascii_formatd (buf, sizeof buf, "%.9g", v));
}

/* A clock time in seconds, exact (nanosecond resolution), without trailing zeros: 1.5, 0.033333333.
 * EMPTY for GST_CLOCK_TIME_NONE (JSON: null, CSV: an empty field). */
static void
append_seconds (GString * g, GstClockTime t, const char *empty)
{
  char frac[16];
  int end;
  if (!GST_CLOCK_TIME_IS_VALID (t)) {
    g_string_append (g, empty);
    return;
  }
  g_snprintf (frac, sizeof frac, "%09" G_GUINT64_FORMAT,
      (guint64) (t % GST_SECOND));
  for (end = 9; end > 1 && frac[end - 1] == '0'; end--);
  frac[end] = '\0';
  g_string_append_printf (g, "%" G_GUINT64_FORMAT ".%s",
      (guint64) (t / GST_SECOND), frac);
}

/* One classified frame, as read from the meta. */
typedef struct
{
  guint64 frame;
  GstClockTime pts;
  guint n;
  const char **labels;
  gint *ids;
  double *scores;
} Record;

/* A record as a line of JSON, appended to G: the record built as a tree, written by json-glib. */
static void
format_json (const Record * rec, const char *input, GString * g)
{
  JsonBuilder *b;
  JsonNode *root;
  GString *num;
  guint i;

  b = json_builder_new ();
  num = g_string_new (NULL);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "input");
  json_add_string (b, input);
  json_builder_set_member_name (b, "frame");
  json_builder_add_int_value (b, (gint64) rec->frame);  /* < 2^63: frames counted one by one */
  json_builder_set_member_name (b, "timestamp");
  append_seconds (num, rec->pts, "null");
  json_add_number_text (b, num);
  json_builder_set_member_name (b, "labels");
  json_builder_begin_array (b);
  for (i = 0; i < rec->n; i++)
    json_add_string (b, rec->labels[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "class_ids");
  json_builder_begin_array (b);
  for (i = 0; i < rec->n; i++)
    json_builder_add_int_value (b, rec->ids[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "scores");
  json_builder_begin_array (b);
  for (i = 0; i < rec->n; i++) {
    append_number (num, rec->scores[i]);
    json_add_number_text (b, num);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  gst_effnet_json_append (g, root);     /* U+001F escaped there */
  g_string_append_c (g, '\n');
  json_node_unref (root);
  g_object_unref (b);
  g_string_free (num, TRUE);
}

static void
format_record (const Run * r, const Record * rec, GString * g)
{
  guint i;

  if (r->opt->format == FORMAT_TEXT) {
    g_string_append_printf (g, "%s  frame %4" G_GUINT64_FORMAT "  ", r->input,
        rec->frame);
    if (GST_CLOCK_TIME_IS_VALID (rec->pts))
      g_string_append_printf (g, "%7.2f s ", (double) rec->pts / GST_SECOND);
    else
      g_string_append (g, "      - s ");
    for (i = 0; i < rec->n; i++)
      g_string_append_printf (g, "%s %s %.3f", i ? "," : "", rec->labels[i],
          rec->scores[i]);
    g_string_append_c (g, '\n');
    return;
  }
  if (r->opt->format == FORMAT_CSV) {
    for (i = 0; i < rec->n; i++) {
      csv_field (g, r->input);
      g_string_append_printf (g, ",%" G_GUINT64_FORMAT ",", rec->frame);
      append_seconds (g, rec->pts, "");
      g_string_append_printf (g, ",%u,", i + 1);
      csv_field (g, rec->labels[i]);
      g_string_append_printf (g, ",%d,", rec->ids[i]);
      append_number (g, rec->scores[i]);
      g_string_append_c (g, '\n');
    }
    return;
  }
  format_json (rec, r->input, g);
}

/* Writes a whole record (or the CSV header) straight to the file descriptor. A record is a line
 * or absent: when the disk fills (or a size limit is hit) part-way, a regular file is cut back to
 * where the record began; on a pipe a record of up to PIPE_BUF bytes is written at once. FALSE
 * with errno on failure (EPIPE when the reader is gone: SIGPIPE is ignored, see main). */
static gboolean
write_all (FILE * out, const GString * g)
{
  int fd = fileno (out);
  off_t start = lseek (fd, 0, SEEK_CUR);        /* -1 on a pipe or a terminal */
  gsize done = 0;

  while (done < g->len) {
    ssize_t n = write (fd, g->str + done, g->len - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int e = n < 0 ? errno : EIO;
      if (start >= 0 && done > 0 && ftruncate (fd, start) == 0)
        lseek (fd, start, SEEK_SET);
      errno = e;
      return FALSE;
    }
    done += (gsize) n;
  }
  return TRUE;
}

/* The sentence for a failed write of the records. */
static gchar *
write_error_text (const Options * opt, int errnum)
{
  if (errnum == EPIPE)
    return
        g_strdup
        ("standard output was closed by its reader (for example `| head`); stopped "
        "there, every record written is complete");
  return
      g_strdup_printf
      ("cannot write the records to %s: %s; stopped there, every record "
      "written is complete", opt->output ? opt->output : "standard output",
      g_strerror (errnum));
}

/* ---- the pipeline ---- */

static void
stat_free (gpointer p)
{
  LabelStat *st = p;
  g_free (st->label);
  g_free (st);
}

/* The DL Streamer record of BUF, as efficientnetpublish writes it: the size from the pad's caps,
 * the timestamp in the stream time of its segment, the input as the source. */
static void
dlstreamer_record (GstPad * pad, GstBuffer * buf, const char *input,
    GString * g)
{
  GstEffnetRecordFrame f = { 0, 0, GST_CLOCK_TIME_NONE, input };
  GstCaps *caps = gst_pad_get_current_caps (pad);
  GstEvent *ev = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  const GstSegment *segment = NULL;

  if (caps && gst_caps_get_size (caps) > 0) {
    const GstStructure *s = gst_caps_get_structure (caps, 0);
    gst_structure_get_int (s, "width", &f.width);
    gst_structure_get_int (s, "height", &f.height);
  }
  if (ev)
    gst_event_parse_segment (ev, &segment);
  f.timestamp = gst_effnet_record_stream_time (segment, GST_BUFFER_PTS (buf));
  gst_effnet_record_append (g, GST_EFFNET_RECORD_DLSTREAMER, buf, &f);
  if (ev)
    gst_event_unref (ev);
  if (caps)
    gst_caps_unref (caps);
}

/* Buffers reaching the sink: records for the frames classified on them. */
static GstPadProbeReturn
on_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Run *r = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstEffnetMeta meta;
  gboolean stale = TRUE;
  guint64 frame = G_MAXUINT64;
  Record rec = { 0 };
  GString *g;
  guint i;

  g_mutex_lock (&r->lock);
  r->buffers++;
  if (r->write_failed || !buf || !gst_effnet_meta_from_buffer (buf, &meta) ||
      !gst_effnet_meta_get_source_frame (&meta, &frame) ||
      frame == GST_EFFNET_NO_FRAME)
    goto out;
  /* a fresh result only: not the repeat of an earlier frame's (dlstreamer: the rule of the
   * efficientnetpublish element, the same in sync mode) */
  if (r->opt->format == FORMAT_DLSTREAMER ?
      !gst_effnet_record_is_new (buf, &r->last_source_frame) :
      !gst_effnet_meta_get_stale (&meta, &stale) || stale)
    goto out;

  rec.frame = frame;
  rec.pts = GST_BUFFER_PTS (buf);
  rec.n = gst_effnet_meta_get_length (&meta);
  rec.labels = g_newa (const char *, rec.n + 1);
  rec.ids = g_newa (gint, rec.n + 1);
  rec.scores = g_newa (double, rec.n + 1);
  for (i = 0; i < rec.n; i++) {
    const gchar *label = gst_effnet_meta_get_label (&meta, i);

    rec.labels[i] = label != NULL ? label : "";
    rec.ids[i] = gst_effnet_meta_get_class_id (&meta, i);
    rec.scores[i] = gst_effnet_meta_get_level (&meta, i);
  }

  g = g_string_sized_new (256);
  if (r->opt->format == FORMAT_DLSTREAMER)
    dlstreamer_record (pad, buf, r->input, g);
  else
    format_record (r, &rec, g);
  if (!write_all (r->out, g)) {
    r->write_failed = TRUE;
    r->write_errno = errno;
    gst_element_post_message (r->pipeline,
        gst_message_new_application (GST_OBJECT (r->pipeline),
            gst_structure_new_empty ("effnet-classify-write-error")));
  } else {
    r->records++;
    if (rec.n > 0) {
      LabelStat *st = g_hash_table_lookup (r->stats, rec.labels[0]);
      if (!st) {
        st = g_new0 (LabelStat, 1);
        st->label = g_strdup (rec.labels[0]);
        g_hash_table_insert (r->stats, st->label, st);
      }
      st->count++;
      st->score_sum += rec.scores[0];
    }
  }
  g_string_free (g, TRUE);
out:
  g_mutex_unlock (&r->lock);
  return GST_PAD_PROBE_OK;
}

/* The media type of a pad's caps ("video/x-raw", "audio/mpeg", ...), NULL if unknown; the caps
 * themselves in *CAPS_OUT (unref them). */
static const char *
pad_media_type (GstPad * pad, GstCaps ** caps_out)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  if (!caps)
    caps = gst_pad_query_caps (pad, NULL);
  *caps_out = caps;
  return caps && gst_caps_get_size (caps) > 0 && !gst_caps_is_any (caps) ?
      gst_structure_get_name (gst_caps_get_structure (caps, 0)) : NULL;
}

/* uridecodebin's pads: the first raw video stream goes to videoconvert; anything else (audio, a
 * second video stream, a stream no decoder was found for) is drained into a fakesink of its own so
 * that it never stops the demuxer. */
static void
on_pad_added (GstElement * decodebin, GstPad * pad, gpointer user_data)
{
  Run *r = user_data;
  GstCaps *caps = NULL;
  const char *type = pad_media_type (pad, &caps);
  gboolean take = FALSE;

  g_mutex_lock (&r->lock);
  if (g_strcmp0 (type, "video/x-raw") == 0) {
    take = !r->video_linked;
    r->video_linked = TRUE;
  } else if (type && (g_str_has_prefix (type, "video/")
          || g_str_has_prefix (type, "image/"))
      && !r->undecodable_video) {
    /* Exposed undecoded (expose-all-streams): no decoder for it. */
    r->undecodable_video = gst_pb_utils_get_codec_description (caps);
    if (!r->undecodable_video)
      r->undecodable_video = g_strdup (type);
  }
  g_mutex_unlock (&r->lock);
  if (caps)
    gst_caps_unref (caps);

  if (take) {
    GstPad *sinkpad = gst_element_get_static_pad (r->convert, "sink");
    GstPadLinkReturn ret = gst_pad_link (pad, sinkpad);
    gst_object_unref (sinkpad);
    if (ret != GST_PAD_LINK_OK)
      GST_ELEMENT_ERROR (decodebin, CORE, NEGOTIATION,
          ("Could not link the decoded video to videoconvert (%s).",
              gst_pad_link_get_name (ret)), (NULL));
  } else {
    GstElement *sink = gst_element_factory_make ("fakesink", NULL);
    GstPad *sinkpad;
    if (!sink)
      return;
    g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
    gst_bin_add (GST_BIN (r->pipeline), sink);
    gst_element_sync_state_with_parent (sink);
    sinkpad = gst_element_get_static_pad (sink, "sink");
    gst_pad_link (pad, sinkpad);
    gst_object_unref (sinkpad);
  }
}

/* All streams are known: without a video stream nothing would ever reach the sink (and the
 * pipeline would wait forever), so say so. */
static void
on_no_more_pads (GstElement * decodebin, gpointer user_data)
{
  Run *r = user_data;
  gboolean video;
  g_mutex_lock (&r->lock);
  video = r->video_linked;
  g_mutex_unlock (&r->lock);
  if (!video)
    gst_element_post_message (r->pipeline,
        gst_message_new_application (GST_OBJECT (r->pipeline),
            gst_structure_new_empty ("effnet-classify-no-video")));
}

/* ---- messages ---- */

/* Prints "effnet-classify: [INPUT: ]TEXT" as one line ending with a full stop. */
static void
print_error (const char *input, const char *text)
{
  gchar *t = g_strstrip (g_strdup (text));
  size_t len = strlen (t);
  gboolean stop = len > 0 && (t[len - 1] == '.' || t[len - 1] == '!'
      || t[len - 1] == '?');
  /* One line: GStreamer messages rarely, but possibly, hold newlines. */
  g_strdelimit (t, "\r\n", ' ');
  if (input)
    fprintf (stderr, PROG ": %s: %s%s\n", input, t, stop ? "" : ".");
  else
    fprintf (stderr, PROG ": %s%s\n", t, stop ? "" : ".");
  g_free (t);
}

/* The sentence for an error message of the pipeline. MISSING: the description of a missing plugin
 * seen before it, if any. */
static void
report_gst_error (const Run * r, GstMessage * msg, const char *missing)
{
  GError *err = NULL;
  gchar *dbg = NULL, *text;
  const char *src =
      GST_MESSAGE_SRC (msg) ? GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)) : "";

  gst_message_parse_error (msg, &err, &dbg);
  if (GST_MESSAGE_SRC (msg) && GST_IS_ELEMENT (GST_MESSAGE_SRC (msg)) &&
      g_strcmp0 (src, "efficientnet") == 0) {
    /* The element's own sentences (no weights, bad weights, ...). */
    print_error (NULL, err->message);
  } else if (r->undecodable_video || missing) {
    text = r->undecodable_video ?
        g_strdup_printf ("no decoder for %s is installed",
        r->undecodable_video) :
        g_strdup_printf ("needs a GStreamer plugin that is not installed (%s)",
        missing);
    print_error (r->input, text);
    g_free (text);
  } else if (g_error_matches (err, GST_STREAM_ERROR,
          GST_STREAM_ERROR_TYPE_NOT_FOUND)
      || g_error_matches (err, GST_STREAM_ERROR, GST_STREAM_ERROR_WRONG_TYPE)) {
    /* "Could not determine type of stream.", "This appears to be a text file." */
    gchar *why = g_strstrip (g_strdup (err->message));
    size_t len = strlen (why);
    if (len > 0 && why[len - 1] == '.')
      why[len - 1] = '\0';
    if (why[0] && g_ascii_isupper (why[0]) && !g_ascii_isupper (why[1]))
      why[0] = g_ascii_tolower (why[0]);
    text =
        g_strdup_printf ("not an image or video that GStreamer can read (%s)",
        why);
    print_error (r->input, text);
    g_free (text);
    g_free (why);
  } else if (g_error_matches (err, GST_STREAM_ERROR,
          GST_STREAM_ERROR_CODEC_NOT_FOUND)) {
    print_error (r->input, "no decoder for its format is installed");
  } else {
    print_error (r->input, err->message);
  }
  if (g_getenv ("EFFNET_CLASSIFY_DEBUG") && dbg)
    fprintf (stderr, "  (%s: %s)\n", src, dbg);
  g_clear_error (&err);
  g_free (dbg);
}

/* Reports the most telling of the errors on the bus: FIRST (owned, may be NULL) and those that
 * follow within 100 ms (one failure often makes several elements post one). The efficientnet
 * element's own beats a RESOURCE error (cannot open, cannot connect) beats the rest ("Internal data
 * stream error" from whoever noticed the flow stop). Missing-plugin messages seen on the way are
 * added to *MISSING. */
static void
report_errors (const Run * r, GstBus * bus, GstMessage * first,
    gchar ** missing)
{
  GPtrArray *errors =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_message_unref);
  GstMessage *msg, *best = NULL;
  int best_rank = -1;
  guint i;

  if (first)
    g_ptr_array_add (errors, first);
  while ((msg = gst_bus_timed_pop_filtered (bus, 100 * GST_MSECOND,
              GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT))) {
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      g_ptr_array_add (errors, msg);
      continue;
    }
    if (gst_is_missing_plugin_message (msg) && !*missing)
      *missing = gst_missing_plugin_message_get_description (msg);
    gst_message_unref (msg);
  }
  for (i = 0; i < errors->len; i++) {
    GstMessage *m = g_ptr_array_index (errors, i);
    GError *err = NULL;
    int rank;
    gst_message_parse_error (m, &err, NULL);
    if (GST_MESSAGE_SRC (m)
        && g_strcmp0 (GST_OBJECT_NAME (GST_MESSAGE_SRC (m)),
            "efficientnet") == 0)
      rank = 3;
    else if (err->domain == GST_RESOURCE_ERROR)
      rank = 2;
    else if (!g_error_matches (err, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED))
      rank = 1;
    else
      rank = 0;
    g_clear_error (&err);
    if (rank > best_rank) {
      best_rank = rank;
      best = m;
    }
  }
  if (best)
    report_gst_error (r, best, *missing);
  else
    print_error (r->input, "the pipeline could not start");
  g_ptr_array_unref (errors);
}

static gint
stat_cmp (gconstpointer a, gconstpointer b)
{
  const LabelStat *x = *(LabelStat * const *) a, *y = *(LabelStat * const *) b;
  if (x->count != y->count)
    return x->count > y->count ? -1 : 1;
  return strcmp (x->label, y->label);
}

/* Most frequent top-1 labels of a video, to stderr. */
static void
print_summary (const Run * r)
{
  GPtrArray *all = g_ptr_array_new ();
  GList *values = g_hash_table_get_values (r->stats), *l;
  guint i;

  for (l = values; l; l = l->next)
    g_ptr_array_add (all, l->data);
  g_list_free (values);

  g_ptr_array_sort (all, stat_cmp);
  fprintf (stderr, "%s: %" G_GUINT64_FORMAT " frames, %" G_GUINT64_FORMAT
      " classified; most frequent top-1 labels:\n", r->input, r->buffers,
      r->records);
  for (i = 0; i < all->len && i < 5; i++) {
    const LabelStat *st = g_ptr_array_index (all, i);
    fprintf (stderr, "  %6u frame%s  mean score %.4f  %s\n", st->count,
        st->count == 1 ? " " : "s", st->score_sum / st->count, st->label);
  }
  g_ptr_array_unref (all);
}

static void
format_clock (char *buf, size_t n, gint64 t)
{
  guint64 s = (guint64) (t / GST_SECOND);
  if (s >= 3600)
    g_snprintf (buf, n, "%u:%02u:%02u", (guint) (s / 3600),
        (guint) (s / 60 % 60), (guint) (s % 60));
  else
    g_snprintf (buf, n, "%u:%02u", (guint) (s / 60), (guint) (s % 60));
}

/* "\r INPUT [#####.....]  42%  0:12 / 0:30" on the terminal. */
static void
print_progress (Run * r)
{
  gint64 pos = -1, dur = -1;
  char p[32], d[32];
  guint64 frames;

  g_mutex_lock (&r->lock);
  frames = r->buffers;
  g_mutex_unlock (&r->lock);

  if (!gst_element_query_position (r->pipeline, GST_FORMAT_TIME, &pos)
      || pos < 0)
    return;
  format_clock (p, sizeof p, pos);
  if (gst_element_query_duration (r->pipeline, GST_FORMAT_TIME, &dur)
      && dur > 0) {
    char bar[31];
    double frac = CLAMP ((double) pos / (double) dur, 0.0, 1.0);
    int full = (int) (frac * 30 + 0.5), i;
    for (i = 0; i < 30; i++)
      bar[i] = i < full ? '#' : '.';
    bar[30] = '\0';
    format_clock (d, sizeof d, dur);
    fprintf (stderr,
        "\r\033[K%s [%s] %3d%%  %s / %s  %" G_GUINT64_FORMAT " frames",
        r->input, bar, (int) (frac * 100), p, d, frames);
  } else {
    fprintf (stderr, "\r\033[K%s  %s  %" G_GUINT64_FORMAT " frames", r->input,
        p, frames);
  }
  fflush (stderr);
}

/* The URI of an input: itself when it is a URI, else the file's. FALSE (and a message) when a
 * local file cannot be read. */
static gchar *
input_uri (const char *input)
{
  GError *err = NULL;
  gchar *uri;

  /* A path that exists is a path, even when it looks like "scheme:rest". */
  if (!g_file_test (input, G_FILE_TEST_EXISTS) && gst_uri_is_valid (input))
    return g_strdup (input);

  if (!g_file_test (input, G_FILE_TEST_EXISTS)) {
    print_error (input, "no such file");
    return NULL;
  }
  if (g_file_test (input, G_FILE_TEST_IS_DIR)) {
    print_error (input, "is a folder, not an image or video file");
    return NULL;
  }
  if (g_access (input, R_OK) != 0) {
    gchar *t = g_strdup_printf ("cannot read it: %s", g_strerror (errno));
    print_error (input, t);
    g_free (t);
    return NULL;
  }
  uri = gst_filename_to_uri (input, &err);
  if (!uri) {
    print_error (input, err ? err->message : "cannot make a URI of it");
    g_clear_error (&err);
  }
  return uri;
}

static GstElement *
make_element (const char *factory, const char *name)
{
  GstElement *e = gst_element_factory_make (factory, name);
  if (!e) {
    gchar *t = g_strdup_printf ("the GStreamer element %s is not installed "
        "(it comes with gstreamer1.0-plugins-base)", factory);
    print_error (NULL, t);
    g_free (t);
  }
  return e;
}

/* Runs one input to its end. TRUE on success. */
static gboolean
classify_input (const Options * opt, const char *input, FILE * out)
{
  Run r = { 0 };
  GstElement *src = NULL, *net = NULL, *sink = NULL;
  GstBus *bus = NULL;
  GstPad *pad;
  gchar *uri, *missing = NULL;
  gboolean ok = FALSE, done = FALSE, progress = FALSE;
  gboolean show_progress = !opt->quiet && isatty (STDERR_FILENO);

  if (!(uri = input_uri (input)))
    return FALSE;

  r.opt = opt;
  r.input = input;
  r.out = out;
  g_mutex_init (&r.lock);
  r.stats = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, stat_free);
  r.last_source_frame = GST_EFFNET_NO_FRAME;
  r.pipeline = gst_pipeline_new ("effnet-classify");

  if (!(src = make_element ("uridecodebin", "source")) ||
      !(r.convert = make_element ("videoconvert", "convert")) ||
      !(net = make_element ("efficientnet", "efficientnet")) ||
      !(sink = make_element ("fakesink", "sink"))) {
    g_clear_object (&src);
    g_clear_object (&r.convert);
    g_clear_object (&net);
    goto cleanup;
  }
  gst_bin_add_many (GST_BIN (r.pipeline), src, r.convert, net, sink, NULL);
  if (!gst_element_link_many (r.convert, net, sink, NULL)) {
    print_error (NULL,
        "could not link videoconvert to the efficientnet element");
    goto cleanup;
  }

  /* Every stream is exposed (expose-all-streams, the default), even one without a decoder, so
   * that a missing video decoder can be named. */
  g_object_set (src, "uri", uri, NULL);
  g_signal_connect (src, "pad-added", G_CALLBACK (on_pad_added), &r);
  g_signal_connect (src, "no-more-pads", G_CALLBACK (on_no_more_pads), &r);

  if (opt->weights)
    g_object_set (net, "weights", opt->weights, NULL);
  if (opt->variant) {
    gchar *v = g_ascii_strdown (opt->variant, -1);
    gst_util_set_object_arg (G_OBJECT (net), "variant", v);
    g_free (v);
  }
  g_object_set (net, "top-k", opt->top_k, "inference-interval", opt->interval,
      "qos", FALSE, NULL);
  gst_util_set_object_arg (G_OBJECT (net), "mode", "sync");
  g_object_set (sink, "sync", FALSE, NULL);

  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_buffer, &r, NULL);
  gst_object_unref (pad);

  bus = gst_element_get_bus (r.pipeline);
  if (gst_element_set_state (r.pipeline,
          GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    /* The error message says why (the element could not start, no URI handler, ...). */
    report_errors (&r, bus, NULL, &missing);
    goto cleanup;
  }

  while (!done) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 250 * GST_MSECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT |
        GST_MESSAGE_APPLICATION);
    if (!msg) {
      if (show_progress) {
        print_progress (&r);
        progress = TRUE;
      }
      continue;
    }
    if (progress && GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT) {
      fputs ("\r\033[K", stderr);
      progress = FALSE;
    }
    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_EOS:
        ok = TRUE;
        done = TRUE;
        break;
      case GST_MESSAGE_ERROR:
        report_errors (&r, bus, gst_message_ref (msg), &missing);
        done = TRUE;
        break;
      case GST_MESSAGE_ELEMENT:
        if (gst_is_missing_plugin_message (msg) && !missing)
          missing = gst_missing_plugin_message_get_description (msg);
        break;
      case GST_MESSAGE_APPLICATION:{
        const GstStructure *s = gst_message_get_structure (msg);
        if (gst_structure_has_name (s, "effnet-classify-write-error")) {
          gchar *t = write_error_text (opt, r.write_errno);
          print_error (NULL, t);
          g_free (t);
          done = TRUE;
        } else if (gst_structure_has_name (s, "effnet-classify-no-video")) {
          if (r.undecodable_video || missing) {
            gchar *t = r.undecodable_video ?
                g_strdup_printf ("no decoder for %s is installed",
                r.undecodable_video) :
                g_strdup_printf
                ("needs a GStreamer plugin that is not installed (%s)",
                missing);
            print_error (input, t);
            g_free (t);
          } else {
            print_error (input, "has no video stream");
          }
          done = TRUE;
        }
        break;
      }
      default:
        break;
    }
    gst_message_unref (msg);
  }
  if (progress)
    fputs ("\r\033[K", stderr);

  gst_element_set_state (r.pipeline, GST_STATE_NULL);
  if (ok && !opt->quiet && r.buffers > 1)
    print_summary (&r);

cleanup:
  if (bus)
    gst_object_unref (bus);
  gst_element_set_state (r.pipeline, GST_STATE_NULL);
  gst_object_unref (r.pipeline);
  g_hash_table_unref (r.stats);
  g_mutex_clear (&r.lock);
  g_free (missing);
  g_free (r.undecodable_video);
  g_free (uri);
  return ok;
}

/* ---- the element ---- */

/* Finds the efficientnet element: in the registry (GST_PLUGIN_PATH, system plugins), else in the
 * build tree next to this program (<exe dir>/../gst-plugin), else in the install folder. */
static gboolean
ensure_element (void)
{
  GstElementFactory *f = gst_element_factory_find ("efficientnet");
  gchar *exe, *dirs[3] = { NULL, NULL, NULL };
  int i;

  if (f) {
    gst_object_unref (f);
    return TRUE;
  }
  exe = g_file_read_link ("/proc/self/exe", NULL);
  if (exe) {
    gchar *dir = g_path_get_dirname (exe);
    dirs[0] = g_build_filename (dir, "..", "gst-plugin", NULL);
    g_free (dir);
    g_free (exe);
  }
  if (*EFFNET_PLUGIN_INSTALL_DIR)
    dirs[1] = g_strdup (EFFNET_PLUGIN_INSTALL_DIR);
  for (i = 0; i < 2 && !f; i++) {
    gchar *path;
    GstPlugin *plugin;
    if (!dirs[i])
      continue;
    path = g_build_filename (dirs[i], PLUGIN_FILE, NULL);
    if (g_file_test (path, G_FILE_TEST_IS_REGULAR) &&
        (plugin = gst_plugin_load_file (path, NULL))) {
      gst_object_unref (plugin);
      f = gst_element_factory_find ("efficientnet");
    }
    g_free (path);
  }
  g_free (dirs[0]);
  g_free (dirs[1]);
  if (!f) {
    print_error (NULL, "the efficientnet GStreamer element is not installed "
        "(set GST_PLUGIN_PATH to the folder holding " PLUGIN_FILE ")");
    return FALSE;
  }
  gst_object_unref (f);
  return TRUE;
}

/* A started efficientnet element with the run's weights, alone in a pipeline of its own: it keeps
 * the shared model (and its inference thread and workspace) alive between the inputs. NULL when it
 * cannot start; the input's own pipeline then reports why. */
static GstElement *
hold_model (const Options * opt)
{
  GstElement *pipeline = gst_pipeline_new ("effnet-classify-model");
  GstElement *net = gst_element_factory_make ("efficientnet", NULL);
  GstBus *bus;

  if (!net) {
    gst_object_unref (pipeline);
    return NULL;
  }
  if (opt->weights)
    g_object_set (net, "weights", opt->weights, NULL);
  if (opt->variant) {
    gchar *v = g_ascii_strdown (opt->variant, -1);
    gst_util_set_object_arg (G_OBJECT (net), "variant", v);
    g_free (v);
  }
  gst_bin_add (GST_BIN (pipeline), net);
  if (gst_element_set_state (pipeline,
          GST_STATE_PAUSED) == GST_STATE_CHANGE_FAILURE) {
    gst_element_set_state (pipeline, GST_STATE_NULL);
    gst_object_unref (pipeline);
    return NULL;
  }
  bus = gst_element_get_bus (pipeline);
  gst_bus_set_flushing (bus, TRUE);     /* nothing to report from here */
  gst_object_unref (bus);
  return pipeline;
}

int
main (int argc, char **argv)
{
  Options opt;
  GError *err = NULL;
  FILE *out = stdout;
  GstElement *holder = NULL;
  int status = 0, i;

  parse_options (argc, argv, &opt);
  /* A reader that goes away (`| head -1`) or a file size limit must give a sentence and an exit
   * status, not a silent death by signal: the write then fails with EPIPE or EFBIG instead. */
  signal (SIGPIPE, SIG_IGN);
  signal (SIGXFSZ, SIG_IGN);

  if (!gst_init_check (NULL, NULL, &err)) {
    print_error (NULL,
        err ? err->message : "GStreamer could not be initialized");
    g_clear_error (&err);
    return EXIT_RUNTIME;
  }
  if (!ensure_element ()) {
    status = EXIT_RUNTIME;
    goto done;
  }
  if (opt.output && !(out = fopen (opt.output, "w"))) {
    gchar *t = g_strdup_printf ("cannot open %s for writing: %s", opt.output,
        g_strerror (errno));
    print_error (NULL, t);
    g_free (t);
    status = EXIT_RUNTIME;
    goto done;
  }
  if (opt.format == FORMAT_CSV) {
    GString *h =
        g_string_new ("input,frame,timestamp,rank,label,class_id,score\n");
    gboolean w = write_all (out, h);
    g_string_free (h, TRUE);
    if (!w) {
      gchar *t = write_error_text (&opt, errno);
      print_error (NULL, t);
      g_free (t);
      status = EXIT_RUNTIME;
    }
  }
  /* Several inputs: one element kept started for the whole run holds the loaded model (elements
   * with the same weights share it), so each input does not load it, and warm it up, again. */
  if (opt.n_inputs > 1)
    holder = hold_model (&opt);
  for (i = 0; i < opt.n_inputs && status == 0; i++)
    if (!classify_input (&opt, opt.inputs[i], out))
      status = EXIT_RUNTIME;
  if (holder) {
    gst_element_set_state (holder, GST_STATE_NULL);
    gst_object_unref (holder);
  }

  if (out != stdout && fclose (out) != 0 && status == 0) {
    gchar *t =
        g_strdup_printf ("cannot write the records to %s: %s", opt.output,
        g_strerror (errno));
    print_error (NULL, t);
    g_free (t);
    status = EXIT_RUNTIME;
  }
done:
  g_free (opt.inputs);
  g_free (opt.weights);
  g_free (opt.variant);
  g_free (opt.output);
  gst_deinit ();
  return status;
}
