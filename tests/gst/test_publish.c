/* test_publish.c — the efficientnetpublish element (gst-check; one meson test
 * per check, GST_CHECKS picks it).
 *
 * - file_records, file_effnet, roi_records: method=file, the records read
 *   back as JSON lines and compared with the efficientnet meta of the same
 *   buffers (read at the sink): size, timestamp, source, label, label_id,
 *   confidence (exactly: json-glib writes doubles that read back the same),
 *   model; the effnet format's frame, stale, top-k; one object per ROI.
 * - tool_same_records: `effnet-classify --format dlstreamer` and the element
 *   (method=file) write the same bytes for the same clip.
 * - bad_properties: a bad address string, an unwritable path, TLS and
 *   password settings that cannot work: the start fails with a sentence.
 * - mqtt_records, mqtt_broker_restart, mqtt_wrong_address: against a real
 *   mosquitto started here on 127.0.0.1 on a free port, and a libmosquitto
 *   subscriber in this process. They skip (exit 77, with a message) when
 *   the mosquitto broker is not installed.
 *
 * The model is the untrained test B0 with a 32x32 input (its own
 * config.json), fast enough for 30 results a second under the sanitizers.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>
#ifdef EFFNET_TEST_MQTT
#include <mosquitto.h>
#endif

#include "checkutil.h"

static const gchar *test_weights;
static gchar *tmp_dir;
static gchar *small;            /* the test weights with a 32x32 input */

/* ---- fixture: the small model and a scratch folder ---- */

static void
setup (void)
{
  tmp_dir = small_model_new (test_weights, "effnet-publish-XXXXXX", &small);
}

static void
teardown (void)
{
  remove_tree (tmp_dir);
  g_clear_pointer (&small, g_free);
  g_clear_pointer (&tmp_dir, g_free);
}

/* ---- what reached the sink ---- */

/* One new result seen at the sink (what a record must say). */
typedef struct
{
  GstClockTime pts;
  gchar *label, *model;
  gint class_id;
  gdouble score;
  guint n;
  guint64 source_frame;
} Expected;

typedef struct
{
  GMutex lock;
  GArray *expected;             /* Expected, in order */
  GArray *arrivals;             /* gint64 monotonic us of every buffer */
  guint64 last_frame;
} Sink;

static void
expected_clear (gpointer p)
{
  Expected *e = p;

  g_free (e->label);
  g_free (e->model);
}

static void
sink_init (Sink * s)
{
  g_mutex_init (&s->lock);
  s->expected = g_array_new (FALSE, TRUE, sizeof (Expected));
  g_array_set_clear_func (s->expected, expected_clear);
  s->arrivals = g_array_new (FALSE, TRUE, sizeof (gint64));
  s->last_frame = G_MAXUINT64;
}

static void
sink_clear (Sink * s)
{
  g_array_unref (s->expected);
  g_array_unref (s->arrivals);
  g_mutex_clear (&s->lock);
}

static GstPadProbeReturn
sink_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Sink *s = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstCustomMeta *meta = gst_buffer_get_custom_meta (buf, META_NAME);
  gint64 now = g_get_monotonic_time ();
  guint64 frame;

  g_mutex_lock (&s->lock);
  g_array_append_val (s->arrivals, now);
  if (meta != NULL) {
    GstStructure *st = gst_custom_meta_get_structure (meta);

    fail_unless (gst_structure_get_uint64 (st, "source-frame", &frame));
    if (frame != G_MAXUINT64 && frame != s->last_frame) {
      Expected e = { 0 };
      const GValue *labels = gst_structure_get_value (st, "top-labels");

      s->last_frame = frame;
      e.pts = GST_BUFFER_PTS (buf);
      e.label = g_strdup (gst_structure_get_string (st, "label"));
      e.model = g_strdup (gst_structure_get_string (st, "model"));
      fail_unless (gst_structure_get_int (st, "class-id", &e.class_id));
      fail_unless (gst_structure_get_double (st, "score", &e.score));
      e.n = gst_value_array_get_size (labels);
      e.source_frame = frame;
      g_array_append_val (s->expected, e);
    }
  }
  g_mutex_unlock (&s->lock);
  return GST_PAD_PROBE_OK;
}

static GstElement *
pipeline_new (const gchar * desc, Sink * sink)
{
  GError *err = NULL;
  GstElement *p = gst_parse_launch (desc, &err);
  GstElement *fs;
  GstPad *pad;

  fail_unless (p != NULL, "%s: %s", desc, err ? err->message : "?");
  fail_unless (err == NULL, "%s: %s", desc, err->message);
  if (sink != NULL) {
    fs = gst_bin_get_by_name (GST_BIN (p), "sink");
    fail_unless (fs != NULL);
    pad = gst_element_get_static_pad (fs, "sink");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, sink_probe, sink, NULL);
    gst_object_unref (pad);
    gst_object_unref (fs);
  }
  return p;
}

/* Runs to EOS (or fails on an error within `seconds`). */
static void
run_to_eos (GstElement * p, guint seconds)
{
  GstBus *bus = gst_element_get_bus (p);
  GstMessage *msg;

  fail_unless (gst_element_set_state (p, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, seconds * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no EOS within %u s", seconds);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *e = NULL;

    gst_message_parse_error (msg, &e, NULL);
    fail ("error: %s", e->message);
  }
  gst_message_unref (msg);
  gst_object_unref (bus);
}

static GstElement *
get_publisher (GstElement * p)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (p), "pub");

  fail_unless (e != NULL);
  return e;
}

static guint64
prop_u64 (GstElement * e, const gchar * name)
{
  guint64 v;

  g_object_get (e, name, &v, NULL);
  return v;
}

/* ---- reading records ---- */

static JsonObject *
parse_record (const gchar * text, JsonParser * parser)
{
  GError *err = NULL;
  JsonNode *root;

  fail_unless (json_parser_load_from_data (parser, text, -1, &err),
      "not JSON: %s (%s)", text, err ? err->message : "");
  root = json_parser_get_root (parser);
  fail_unless (JSON_NODE_HOLDS_OBJECT (root), "not an object: %s", text);
  return json_node_get_object (root);
}

/* A record against the result it describes (the dlstreamer fields). */
static void
check_record (JsonObject * o, const Expected * e, gint w, gint h,
    const gchar * source, const gchar * text)
{
  JsonObject *res, *obj, *cls;
  JsonArray *objects;

  res = json_object_get_object_member (o, "resolution");
  fail_unless (res != NULL, "%s", text);
  fail_unless_equals_int (json_object_get_int_member (res, "width"), w);
  fail_unless_equals_int (json_object_get_int_member (res, "height"), h);
  fail_unless_equals_uint64 (json_object_get_int_member (o, "timestamp"),
      e->pts);
  if (source != NULL) {
    fail_unless_equals_string (json_object_get_string_member (o, "source"),
        source);
  } else {
    fail_if (json_object_has_member (o, "source"), "%s", text);
  }
  objects = json_object_get_array_member (o, "objects");
  fail_unless (objects != NULL, "%s", text);
  fail_unless_equals_int (json_array_get_length (objects), 1);
  obj = json_array_get_object_element (objects, 0);
  fail_unless_equals_int (json_object_get_int_member (obj, "x"), 0);
  fail_unless_equals_int (json_object_get_int_member (obj, "y"), 0);
  fail_unless_equals_int (json_object_get_int_member (obj, "w"), w);
  fail_unless_equals_int (json_object_get_int_member (obj, "h"), h);
  cls = json_object_get_object_member (obj, "classification");
  fail_unless (cls != NULL, "%s", text);
  fail_unless_equals_string (json_object_get_string_member (cls, "label"),
      e->label);
  fail_unless_equals_int (json_object_get_int_member (cls, "label_id"),
      e->class_id);
  fail_unless (json_object_get_double_member (cls, "confidence") == e->score,
      "confidence %.17g, meta %.17g", json_object_get_double_member (cls,
          "confidence"), e->score);
  fail_unless_equals_string (json_object_get_string_member
      (json_object_get_object_member (cls, "model"), "name"), e->model);
}

static gchar **
read_lines (const gchar * path, guint * n)
{
  gchar *text = NULL, **lines;
  gsize len;

  fail_unless (g_file_get_contents (path, &text, &len, NULL), "%s", path);
  fail_unless (len > 0 && text[len - 1] == '\n', "%s: not whole lines", path);
  text[len - 1] = '\0';
  lines = g_strsplit (text, "\n", -1);
  *n = g_strv_length (lines);
  g_free (text);
  return lines;
}

/* ---- method=file ---- */

static void
file_run (const gchar * format, guint frames, gchar *** lines_out, guint * n,
    Sink * sink)
{
  gchar *path = g_build_filename (tmp_dir, "records.jsonl", NULL);
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=%u pattern=ball ! "
      "video/x-raw,format=I420,width=96,height=64,framerate=30/1 ! "
      "efficientnet weights=%s num-threads=1 mode=sync top-k=3 ! efficientnetpublish "
      "name=pub format=%s file-path=%s source=cam0 ! fakesink name=sink "
      "sync=false", frames, small, format, path);
  GstElement *p = pipeline_new (desc, sink), *pub;

  run_to_eos (p, 120);
  pub = get_publisher (p);
  gst_element_set_state (p, GST_STATE_NULL);
  fail_unless_equals_uint64 (prop_u64 (pub, "records"), frames);
  fail_unless_equals_uint64 (prop_u64 (pub, "published"), frames);
  fail_unless_equals_uint64 (prop_u64 (pub, "dropped"), 0);
  gst_object_unref (pub);
  gst_object_unref (p);
  *lines_out = read_lines (path, n);
  g_free (desc);
  g_free (path);
}

GST_START_TEST (test_file_records)
{
  Sink sink;
  gchar **lines;
  guint n, i;
  JsonParser *parser = json_parser_new ();

  sink_init (&sink);
  file_run ("dlstreamer", 8, &lines, &n, &sink);
  fail_unless_equals_int (n, 8);
  fail_unless_equals_int (sink.expected->len, 8);
  for (i = 0; i < n; i++) {
    JsonObject *o = parse_record (lines[i], parser);

    check_record (o, &g_array_index (sink.expected, Expected, i), 96, 64,
        "cam0", lines[i]);
    /* nothing of the effnet format */
    fail_if (json_object_has_member (o, "frame"));
  }
  g_strfreev (lines);
  g_object_unref (parser);
  sink_clear (&sink);
}

GST_END_TEST;

GST_START_TEST (test_file_effnet)
{
  Sink sink;
  gchar **lines;
  guint n, i;
  JsonParser *parser = json_parser_new ();

  sink_init (&sink);
  file_run ("effnet", 5, &lines, &n, &sink);
  fail_unless_equals_int (n, 5);
  for (i = 0; i < n; i++) {
    JsonObject *o = parse_record (lines[i], parser), *cls;
    const Expected *e = &g_array_index (sink.expected, Expected, i);
    JsonArray *top;

    check_record (o, e, 96, 64, "cam0", lines[i]);
    fail_unless_equals_uint64 (json_object_get_int_member (o, "frame"),
        e->source_frame);
    fail_unless (!json_object_get_boolean_member (o, "stale"));
    fail_unless (json_object_get_int_member (o, "inference_ns") > 0);
    fail_unless_equals_string (json_object_get_string_member (o, "element"),
        "efficientnet0");
    cls = json_object_get_object_member (json_array_get_object_element
        (json_object_get_array_member (o, "objects"), 0), "classification");
    top = json_object_get_array_member (cls, "top");
    fail_unless_equals_int (json_array_get_length (top), 3);
    fail_unless_equals_int (e->n, 3);
    fail_unless_equals_string (json_object_get_string_member
        (json_array_get_object_element (top, 0), "label"), e->label);
  }
  g_strfreev (lines);
  g_object_unref (parser);
  sink_clear (&sink);
}

GST_END_TEST;

/* roi-list mode: one object per region, its classification when it has
 * one; the ROIs come from the test (as a detector would attach them). */
GST_START_TEST (test_roi_records)
{
  gchar *path = g_build_filename (tmp_dir, "roi.jsonl", NULL);
  gchar *desc = g_strdup_printf ("efficientnet weights=%s "
      "inference-region=roi-list object-class=car ! efficientnetpublish "
      "file-path=%s", small, path);
  GstHarness *h = gst_harness_new_parse (desc);
  GstVideoInfo info;
  GstBuffer *buf;
  gchar **lines;
  guint n;
  JsonParser *parser = json_parser_new ();
  JsonObject *o, *a, *b;
  JsonArray *objects;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, 80, 60);
  {
    GstCaps *caps = gst_video_info_to_caps (&info);

    gst_caps_set_simple (caps, "framerate", GST_TYPE_FRACTION, 30, 1, NULL);
    gst_harness_set_src_caps (h, caps);
  }
  buf = gst_harness_create_buffer (h, info.size);
  gst_buffer_memset (buf, 0, 100, info.size);
  GST_BUFFER_PTS (buf) = 5 * GST_SECOND;
  gst_buffer_add_video_region_of_interest_meta (buf, "car", 3, 5, 20, 10);
  gst_buffer_add_video_region_of_interest_meta (buf, "person", 40, 20, 8, 30);
  gst_buffer_unref (gst_harness_push_and_pull (h, buf));
  gst_harness_teardown (h);

  lines = read_lines (path, &n);
  fail_unless_equals_int (n, 1);
  o = parse_record (lines[0], parser);
  fail_unless_equals_uint64 (json_object_get_int_member (o, "timestamp"),
      5 * GST_SECOND);
  objects = json_object_get_array_member (o, "objects");
  fail_unless_equals_int (json_array_get_length (objects), 2);
  a = json_array_get_object_element (objects, 0);
  b = json_array_get_object_element (objects, 1);
  if (g_strcmp0 (json_object_get_string_member (a, "roi_type"), "car") != 0) {
    JsonObject *t = a;

    a = b;
    b = t;
  }
  fail_unless_equals_string (json_object_get_string_member (a, "roi_type"),
      "car");
  fail_unless_equals_int (json_object_get_int_member (a, "x"), 3);
  fail_unless_equals_int (json_object_get_int_member (a, "y"), 5);
  fail_unless_equals_int (json_object_get_int_member (a, "w"), 20);
  fail_unless_equals_int (json_object_get_int_member (a, "h"), 10);
  fail_unless (json_object_has_member (a, "classification"), "%s", lines[0]);
  fail_unless_equals_string (json_object_get_string_member (b, "roi_type"),
      "person");
  /* not of object-class: not classified, still listed */
  fail_if (json_object_has_member (b, "classification"), "%s", lines[0]);
  g_strfreev (lines);
  g_object_unref (parser);
  g_free (desc);
  g_free (path);
}

GST_END_TEST;

/* effnet-classify --format dlstreamer writes what the element writes. */
GST_START_TEST (test_tool_same_records)
{
  const gchar *tool = g_getenv ("EFFNET_CLASSIFY");
  gchar *clip = g_build_filename (tmp_dir, "clip.mkv", NULL);
  gchar *tool_out = g_build_filename (tmp_dir, "tool.jsonl", NULL);
  gchar *el_out = g_build_filename (tmp_dir, "element.jsonl", NULL);
  gchar *desc, *uri, *a = NULL, *b = NULL, *err_text = NULL;
  GstElement *p;
  gint status = 0;
  gsize la, lb;
  gchar *argv[] = { (gchar *) tool, (gchar *) "--weights", small,
    (gchar *) "--format", (gchar *) "dlstreamer", (gchar *) "-q",
    (gchar *) "--output", tool_out, clip, NULL
  };

  fail_unless (tool != NULL, "EFFNET_CLASSIFY must name effnet-classify");
  desc = g_strdup_printf ("videotestsrc num-buffers=12 pattern=ball ! "
      "video/x-raw,format=I420,width=90,height=70,framerate=25/1 ! "
      "matroskamux ! filesink location=%s", clip);
  p = pipeline_new (desc, NULL);
  run_to_eos (p, 60);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  g_free (desc);

  fail_unless (g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
          NULL, &err_text, &status, NULL));
  fail_unless (g_spawn_check_wait_status (status, NULL), "%s: %s", tool,
      err_text);

  /* what the tool runs, with the publisher after the element */
  uri = gst_filename_to_uri (clip, NULL);
  desc = g_strdup_printf ("uridecodebin uri=%s ! videoconvert ! "
      "efficientnet weights=%s mode=sync qos=false top-k=5 ! "
      "efficientnetpublish file-path=%s source=%s ! fakesink sync=false",
      uri, small, el_out, clip);
  p = pipeline_new (desc, NULL);
  run_to_eos (p, 120);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);

  fail_unless (g_file_get_contents (tool_out, &a, &la, NULL));
  fail_unless (g_file_get_contents (el_out, &b, &lb, NULL));
  fail_unless (la > 0);
  {
    guint lines = 0;
    gsize i;

    for (i = 0; i < la; i++)
      lines += a[i] == '\n';
    fail_unless_equals_int (lines, 12);
  }
  fail_unless (la == lb && memcmp (a, b, la) == 0,
      "the tool wrote\n%s\nthe element\n%s", a, b);
  g_free (a);
  g_free (b);
  g_free (err_text);
  g_free (desc);
  g_free (uri);
  g_free (clip);
  g_free (tool_out);
  g_free (el_out);
}

GST_END_TEST;

/* The start fails, with an error message holding `text`. */
static void
check_start_fails (const gchar * props, const gchar * text)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=1 ! "
      "efficientnetpublish %s ! fakesink", props);
  GstElement *p = pipeline_new (desc, NULL);
  GstBus *bus = gst_element_get_bus (p);
  GstMessage *msg;
  GError *err = NULL;

  fail_unless (gst_element_set_state (p, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE, "%s started", props);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "%s: no error message", props);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, text) != NULL,
      "%s: '%s' does not say '%s'", props, err->message, text);
  g_clear_error (&err);
  gst_message_unref (msg);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (p);
  g_free (desc);
}

GST_START_TEST (test_bad_properties)
{
  const gchar *bad[] = { "127.0.0.1", "127.0.0.1:", ":1883", "host:0",
    "host:65536", "host:12ab", "::1:1883", "[::1]1883", "[]:1883"
  };
  guint i;
  gchar *props;

  check_start_fails ("file-path=/nonexistent-folder/records.jsonl",
      "Could not open /nonexistent-folder/records.jsonl for writing");
  props = g_strdup_printf ("file-path=%s", tmp_dir);
  check_start_fails (props, "Is a directory");
  g_free (props);
  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    props = g_strdup_printf ("method=mqtt address=\"%s\"", bad[i]);
#ifdef EFFNET_TEST_MQTT
    check_start_fails (props, "is not host:port");
#else
    check_start_fails (props, "built without MQTT support");
#endif
    g_free (props);
  }
#ifdef EFFNET_TEST_MQTT
  check_start_fails ("method=mqtt tls-cert-file=/x.pem", "go together");
  check_start_fails ("method=mqtt tls-cert-file=/x.pem tls-key-file=/x.key",
      "needs tls-ca-file");
  check_start_fails ("method=mqtt tls-ca-file=/nonexistent-ca.pem",
      "Could not use the TLS files");
  check_start_fails ("method=mqtt password=secret", "without a username");
#endif
}

GST_END_TEST;

#ifdef EFFNET_TEST_MQTT

/* ---- a real broker ---- */

typedef struct
{
  gchar *dir, *conf, *exe;
  gint port;
  GPid pid;
  int stop_signal;              /* 0: SIGTERM */
} Broker;

static gint
free_port (void)
{
  struct sockaddr_in a = { 0 };
  socklen_t len = sizeof a;
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  fail_unless (bind (fd, (struct sockaddr *) &a, sizeof a) == 0);
  fail_unless (getsockname (fd, (struct sockaddr *) &a, &len) == 0);
  close (fd);
  return ntohs (a.sin_port);
}

static gboolean
port_open (gint port)
{
  struct sockaddr_in a = { 0 };
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  gboolean ok;

  a.sin_family = AF_INET;
  a.sin_port = htons (port);
  a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  ok = connect (fd, (struct sockaddr *) &a, sizeof a) == 0;
  close (fd);
  return ok;
}

static gchar *
find_mosquitto (void)
{
  gchar *exe = g_find_program_in_path ("mosquitto");

  if (exe == NULL
      && g_file_test ("/usr/sbin/mosquitto", G_FILE_TEST_IS_EXECUTABLE))
    exe = g_strdup ("/usr/sbin/mosquitto");
  return exe;
}

static void
broker_start (Broker * b)
{
  gchar *argv[] = { b->exe, (gchar *) "-c", b->conf, NULL };
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  GError *err = NULL;

  fail_unless (g_spawn_async (NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD |
          G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
          &b->pid, &err), "%s: %s", b->exe, err ? err->message : "");
  while (!port_open (b->port)) {
    fail_unless (g_get_monotonic_time () < end,
        "mosquitto did not listen on %d within 10 s", b->port);
    g_usleep (20 * 1000);
  }
}

/* SIGTERM: the broker saves its persistent sessions (the subscriber's) and
 * exits; SIGKILL: it dies, its sessions with it. */
static void
broker_stop (Broker * b)
{
  int st;

  if (b->pid == 0)
    return;
  kill (b->pid, b->stop_signal ? b->stop_signal : SIGTERM);
  fail_unless (waitpid (b->pid, &st, 0) == b->pid);
  g_spawn_close_pid (b->pid);
  b->pid = 0;
}

/* `listener_conf`: lines for the listener (TLS files, authentication);
 * NULL: anonymous clients, plain TCP. */
static void
broker_init_conf (Broker * b, const gchar * listener_conf)
{
  gchar *text;

  b->exe = find_mosquitto ();
  fail_unless (b->exe != NULL);
  b->port = free_port ();
  b->dir = g_build_filename (tmp_dir, "broker", NULL);
  fail_unless (g_mkdir (b->dir, 0755) == 0);
  b->conf = g_build_filename (b->dir, "mosquitto.conf", NULL);
  /* run as whoever runs the test (as root mosquitto would switch to the
   * mosquitto user, who cannot write here); sessions persist over a
   * restart, so a subscriber misses nothing while it reconnects */
  text = g_strdup_printf ("listener %d 127.0.0.1\n%s"
      "persistence true\npersistence_location %s/\n%s", b->port,
      listener_conf ? listener_conf : "allow_anonymous true\n", b->dir,
      getuid () == 0 ? "user root\n" : "");
  fail_unless (g_file_set_contents (b->conf, text, -1, NULL));
  g_free (text);
  broker_start (b);
}

static void
broker_init (Broker * b)
{
  broker_init_conf (b, NULL);
}

static void
broker_clear (Broker * b)
{
  broker_stop (b);
  g_free (b->exe);
  g_free (b->conf);
  g_free (b->dir);
}

/* ---- a subscriber (libmosquitto, its own thread) ---- */

typedef struct
{
  struct mosquitto *mosq;
  GMutex lock;
  GPtrArray *messages;          /* gchar * payloads, in arrival order */
  gboolean subscribed;
  const gchar *topic;
  const gchar *tls_ca_file, *username, *password;       /* NULL: none */
} Sub;

static void
sub_on_connect (struct mosquitto *mosq, void *obj, int rc)
{
  Sub *s = obj;

  if (rc == 0)
    mosquitto_subscribe (mosq, NULL, s->topic, 1);
}

static void
sub_on_subscribe (struct mosquitto *mosq, void *obj, int mid, int n,
    const int *qos)
{
  Sub *s = obj;

  g_mutex_lock (&s->lock);
  s->subscribed = TRUE;
  g_mutex_unlock (&s->lock);
}

static void
sub_on_message (struct mosquitto *mosq, void *obj,
    const struct mosquitto_message *m)
{
  Sub *s = obj;

  g_mutex_lock (&s->lock);
  g_ptr_array_add (s->messages, g_strndup (m->payload, m->payloadlen));
  g_mutex_unlock (&s->lock);
}

static void
sub_start (Sub * s, Broker * b, const gchar * topic)
{
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  gboolean ok = FALSE;

  g_mutex_init (&s->lock);
  s->messages = g_ptr_array_new_with_free_func (g_free);
  s->topic = topic;
  /* a session of its own that the broker keeps (clean_session false) */
  s->mosq = mosquitto_new ("effnet-test-subscriber", false, s);
  fail_unless (s->mosq != NULL);
  mosquitto_connect_callback_set (s->mosq, sub_on_connect);
  mosquitto_subscribe_callback_set (s->mosq, sub_on_subscribe);
  mosquitto_message_callback_set (s->mosq, sub_on_message);
  mosquitto_reconnect_delay_set (s->mosq, 1, 1, false);
  if (s->tls_ca_file != NULL)
    fail_unless (mosquitto_tls_set (s->mosq, s->tls_ca_file, NULL, NULL, NULL,
            NULL) == MOSQ_ERR_SUCCESS);
  if (s->username != NULL)
    fail_unless (mosquitto_username_pw_set (s->mosq, s->username,
            s->password) == MOSQ_ERR_SUCCESS);
  fail_unless (mosquitto_connect (s->mosq, "127.0.0.1", b->port, 30) ==
      MOSQ_ERR_SUCCESS);
  fail_unless (mosquitto_loop_start (s->mosq) == MOSQ_ERR_SUCCESS);
  while (!ok && g_get_monotonic_time () < end) {
    g_usleep (10 * 1000);
    g_mutex_lock (&s->lock);
    ok = s->subscribed;
    g_mutex_unlock (&s->lock);
  }
  fail_unless (ok, "the subscriber did not subscribe within 10 s");
}

static guint
sub_count (Sub * s)
{
  guint n;

  g_mutex_lock (&s->lock);
  n = s->messages->len;
  g_mutex_unlock (&s->lock);
  return n;
}

static void
sub_stop (Sub * s)
{
  mosquitto_disconnect (s->mosq);
  mosquitto_loop_stop (s->mosq, false);
  mosquitto_destroy (s->mosq);
  g_ptr_array_unref (s->messages);
  g_mutex_clear (&s->lock);
}

/* The timestamps of the records received, first arrivals only (QoS 1 may
 * deliver one twice), checked to be in order. */
static GArray *
received_timestamps (Sub * s)
{
  GArray *ts = g_array_new (FALSE, FALSE, sizeof (guint64));
  GHashTable *seen = g_hash_table_new_full (g_int64_hash, g_int64_equal,
      g_free, NULL);
  JsonParser *parser = json_parser_new ();
  guint i;

  g_mutex_lock (&s->lock);
  for (i = 0; i < s->messages->len; i++) {
    const gchar *text = g_ptr_array_index (s->messages, i);
    JsonObject *o = parse_record (text, parser);
    guint64 t = json_object_get_int_member (o, "timestamp");

    if (g_hash_table_contains (seen, &t))
      continue;
    if (ts->len > 0)
      fail_unless (t > g_array_index (ts, guint64, ts->len - 1),
          "record %" G_GUINT64_FORMAT " after %" G_GUINT64_FORMAT, t,
          g_array_index (ts, guint64, ts->len - 1));
    g_array_append_val (ts, t);
    g_hash_table_add (seen, g_memdup2 (&t, sizeof t));
  }
  g_mutex_unlock (&s->lock);
  g_hash_table_unref (seen);
  g_object_unref (parser);
  return ts;
}

/* Waits (at most `seconds`) until the element has nothing queued. */
static void
wait_drained (GstElement * pub, guint seconds)
{
  gint64 end = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
  guint q;

  for (;;) {
    g_object_get (pub, "queued", &q, NULL);
    if (q == 0)
      return;
    fail_unless (g_get_monotonic_time () < end, "%u records still queued "
        "after %u s", q, seconds);
    g_usleep (20 * 1000);
  }
}

/* Waits (at most `seconds`) until `n` distinct records arrived. */
static void
wait_received (Sub * s, guint n, guint seconds)
{
  gint64 end = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  for (;;) {
    GArray *ts = received_timestamps (s);
    guint got = ts->len;

    g_array_unref (ts);
    if (got >= n || g_get_monotonic_time () >= end)
      return;
    g_usleep (50 * 1000);
  }
}

typedef struct
{
  gdouble at;                   /* seconds after PLAYING */
  void (*fn) (gpointer data);
} Action;

/* Plays a live pipeline for `seconds` (the bus watched for errors; warnings
 * kept), running `actions` (in time order) on the way, then sends EOS and
 * waits for it. */
static void
play_live (GstElement * p, gdouble seconds, const Action * actions,
    guint n_actions, gpointer data, GPtrArray * warnings)
{
  GstBus *bus = gst_element_get_bus (p);
  gint64 start = g_get_monotonic_time (), now;
  gboolean eos_sent = FALSE;
  guint next = 0;

  fail_unless (gst_element_set_state (p, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 10 * GST_MSECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);

    now = g_get_monotonic_time ();
    if (msg != NULL) {
      GError *e = NULL;

      if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
        gst_message_unref (msg);
        break;
      }
      if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
        gst_message_parse_error (msg, &e, NULL);
        fail ("error: %s", e->message);
      }
      gst_message_parse_warning (msg, &e, NULL);
      if (warnings != NULL)
        g_ptr_array_add (warnings, g_strdup (e->message));
      g_clear_error (&e);
      gst_message_unref (msg);
    }
    if (next < n_actions && now - start >= actions[next].at * G_USEC_PER_SEC)
      actions[next++].fn (data);
    if (!eos_sent && now - start >= seconds * G_USEC_PER_SEC) {
      gst_element_send_event (p, gst_event_new_eos ());
      eos_sent = TRUE;
    }
    fail_unless (now - start < (seconds + 30) * G_USEC_PER_SEC,
        "no EOS 30 s after it was sent");
  }
  gst_object_unref (bus);
}

/* Frames reached the sink at the source's rate: in every whole second
 * after the first, at least 80 % of `fps`. */
static void
check_frame_rate (Sink * sink, gint fps)
{
  gint64 t0 = g_array_index (sink->arrivals, gint64, 0);
  gint64 last = g_array_index (sink->arrivals, gint64, sink->arrivals->len - 1);
  guint sec, i, nsec = (guint) ((last - t0) / G_USEC_PER_SEC);

  fail_unless (nsec >= 3);
  for (sec = 1; sec < nsec; sec++) {
    guint n = 0;

    for (i = 0; i < sink->arrivals->len; i++) {
      gint64 t = g_array_index (sink->arrivals, gint64, i) - t0;

      n += t >= (gint64) sec *G_USEC_PER_SEC
          && t < (gint64) (sec + 1) * G_USEC_PER_SEC;
    }
    fail_unless (n >= (guint) (fps * 8 / 10),
        "second %u: %u frames at the sink, the source makes %d", sec, n, fps);
  }
}

#define LIVE_DESC "videotestsrc is-live=true pattern=ball ! " \
    "video/x-raw,format=I420,width=64,height=48,framerate=30/1 ! " \
    "efficientnet weights=%s num-threads=1 %s ! efficientnetpublish name=pub " \
    "method=mqtt address=127.0.0.1:%d topic=%s qos=1 max-queued=%u ! " \
    "fakesink name=sink sync=true"

GST_START_TEST (test_mqtt_records)
{
  Broker b = { 0 };
  Sub s = { 0 };
  Sink sink;
  GstElement *p, *pub;
  gchar *desc;
  GArray *ts;
  guint i;
  JsonParser *parser = json_parser_new ();

  broker_init (&b);
  sub_start (&s, &b, "cam/records");
  sink_init (&sink);
  /* sync, every frame classified however late: a record per frame */
  desc = g_strdup_printf (LIVE_DESC, small, "mode=sync qos=false", b.port,
      "cam/records", 1000);
  p = pipeline_new (desc, &sink);
  pub = get_publisher (p);
  play_live (p, 2.0, NULL, 0, NULL, NULL);
  wait_drained (pub, 20);
  wait_received (&s, prop_u64 (pub, "published"), 10);
  gst_element_set_state (p, GST_STATE_NULL);

  fail_unless (sink.expected->len >= 10, "only %u results", sink.expected->len);
  fail_unless_equals_uint64 (prop_u64 (pub, "records"), sink.expected->len);
  fail_unless_equals_uint64 (prop_u64 (pub, "published"), sink.expected->len);
  fail_unless_equals_uint64 (prop_u64 (pub, "dropped"), 0);
  /* every record, in order, with the content of its frame's result */
  ts = received_timestamps (&s);
  fail_unless_equals_int (ts->len, sink.expected->len);
  g_mutex_lock (&s.lock);
  for (i = 0; i < s.messages->len && i < sink.expected->len; i++) {
    const gchar *text = g_ptr_array_index (s.messages, i);

    check_record (parse_record (text, parser),
        &g_array_index (sink.expected, Expected, i), 64, 48, NULL, text);
  }
  g_mutex_unlock (&s.lock);
  g_array_unref (ts);
  gst_object_unref (pub);
  gst_object_unref (p);
  g_free (desc);
  g_object_unref (parser);
  sink_clear (&sink);
  sub_stop (&s);
  broker_clear (&b);
}

GST_END_TEST;

typedef struct
{
  Broker *b;
  gint64 restarted;             /* monotonic us */
} Restart;

static void
kill_broker (gpointer data)
{
  broker_stop (((Restart *) data)->b);
}

static void
restart_broker (gpointer data)
{
  Restart *r = data;

  broker_start (r->b);
  r->restarted = g_get_monotonic_time ();
}

/* The broker goes away for 2 s mid-stream and comes back. Stopped with
 * SIGTERM (sessions saved), what the subscriber receives is exactly what
 * was published; killed with SIGKILL, what it had acknowledged but not yet
 * forwarded, and what came while the subscriber had no session, is lost
 * with it: then every record received was published, in order. */
static void
broker_restart_run (int stop_signal)
{
  Broker b = { 0 };
  Sub s = { 0 };
  Sink sink;
  Restart r = { &b, 0 };
  const Action actions[] = { {2.0, kill_broker}, {4.0, restart_broker} };
  GstElement *p, *pub;
  GPtrArray *warnings = g_ptr_array_new_with_free_func (g_free);
  gchar *desc;
  GArray *ts;
  guint64 records, published, dropped, last_expected;
  guint i, j, drop_warnings = 0, lost_warnings = 0;

  broker_init (&b);
  b.stop_signal = stop_signal;
  sub_start (&s, &b, "cam/restart");
  sink_init (&sink);
  /* async: frames never wait for the model; a result a frame or so */
  desc = g_strdup_printf (LIVE_DESC, small, "mode=async", b.port,
      "cam/restart", 5);
  p = pipeline_new (desc, &sink);
  pub = get_publisher (p);
  play_live (p, 7.0, actions, G_N_ELEMENTS (actions), &r, warnings);
  wait_drained (pub, 30);
  records = prop_u64 (pub, "records");
  published = prop_u64 (pub, "published");
  dropped = prop_u64 (pub, "dropped");
  wait_received (&s, published, stop_signal == SIGKILL ? 5 : 15);
  g_print ("broker away 2 s of 7 (%s): %" G_GUINT64_FORMAT " records, %"
      G_GUINT64_FORMAT " published, %" G_GUINT64_FORMAT " dropped, %u "
      "messages received\n", stop_signal == SIGKILL ? "SIGKILL" : "SIGTERM",
      records, published, dropped, sub_count (&s));

  /* every result made a record; each was published or dropped */
  fail_unless_equals_uint64 (records, sink.expected->len);
  fail_unless_equals_uint64 (published + dropped, records);
  fail_unless (dropped > 0, "nothing dropped in 2 s without a broker");
  /* what the subscriber got is what was published: every record at most
   * once, in order (QoS 1 duplicates left out), each one that was made */
  ts = received_timestamps (&s);
  if (stop_signal == SIGKILL) {
    fail_unless (ts->len <= published, "%u received, %" G_GUINT64_FORMAT
        " published", ts->len, published);
  } else {
    fail_unless_equals_uint64 (ts->len, published);
  }
  for (i = 0, j = 0; i < ts->len; i++) {
    guint64 t = g_array_index (ts, guint64, i);

    while (j < sink.expected->len
        && g_array_index (sink.expected, Expected, j).pts != t)
      j++;
    fail_unless (j < sink.expected->len, "received a record (%"
        G_GUINT64_FORMAT ") never made, or out of order", t);
  }
  /* publishing resumed: the last result, made after the restart, arrived
   * (the queue drops its oldest records, never the newest) */
  last_expected = g_array_index (sink.expected, Expected,
      sink.expected->len - 1).pts;
  fail_unless_equals_uint64 (g_array_index (ts, guint64, ts->len - 1),
      last_expected);
  /* and the video kept its rate throughout */
  check_frame_rate (&sink, 30);
  for (i = 0; i < warnings->len; i++) {
    const gchar *w = g_ptr_array_index (warnings, i);

    drop_warnings += strstr (w, "records dropped so far") != NULL;
    lost_warnings += strstr (w, "Lost the connection to the MQTT broker") !=
        NULL;
  }
  fail_unless (drop_warnings >= 1, "no warning about the drops");
  fail_unless (lost_warnings >= 1, "no warning about the lost connection");
  gst_element_set_state (p, GST_STATE_NULL);
  /* nothing was left to drop at the stop */
  fail_unless_equals_uint64 (prop_u64 (pub, "published"), published);
  fail_unless_equals_uint64 (prop_u64 (pub, "dropped"), dropped);
  g_array_unref (ts);
  gst_object_unref (pub);
  gst_object_unref (p);
  g_free (desc);
  g_ptr_array_unref (warnings);
  sink_clear (&sink);
  sub_stop (&s);
  broker_clear (&b);
}


GST_START_TEST (test_mqtt_broker_restart)
{
  broker_restart_run (SIGTERM);
}

GST_END_TEST;

GST_START_TEST (test_mqtt_broker_kill)
{
  broker_restart_run (SIGKILL);
}

GST_END_TEST;

static void
pause_broker (gpointer data)
{
  kill (((Restart *) data)->b->pid, SIGSTOP);
}

/* The broker stops answering (SIGSTOP: the connection stays open, nothing
 * is acknowledged any more): the element keeps 20 records in flight, its
 * queue fills and drops, the frames keep their rate, and the stop takes the
 * bounded flush (2 s), not forever; what was not acknowledged is dropped. */
GST_START_TEST (test_mqtt_broker_stalled)
{
  Broker b = { 0 };
  Sink sink;
  Restart r = { &b, 0 };
  const Action actions[] = { {1.0, pause_broker} };
  GstElement *p, *pub;
  gchar *desc;
  gint64 t0, stop_us;
  guint64 records, published, dropped;

  broker_init (&b);
  sink_init (&sink);
  desc = g_strdup_printf (LIVE_DESC, small, "mode=async", b.port,
      "cam/stalled", 5);
  p = pipeline_new (desc, &sink);
  pub = get_publisher (p);
  play_live (p, 4.0, actions, G_N_ELEMENTS (actions), &r, NULL);
  fail_unless (prop_u64 (pub, "dropped") > 0, "nothing dropped while the "
      "broker did not answer");
  t0 = g_get_monotonic_time ();
  gst_element_set_state (p, GST_STATE_NULL);
  stop_us = g_get_monotonic_time () - t0;
  records = prop_u64 (pub, "records");
  published = prop_u64 (pub, "published");
  dropped = prop_u64 (pub, "dropped");
  g_print ("broker stalled 3 s of 4: %" G_GUINT64_FORMAT " records, %"
      G_GUINT64_FORMAT " published, %" G_GUINT64_FORMAT " dropped, stopped "
      "in %.2f s\n", records, published, dropped, stop_us / 1e6);
  fail_unless (stop_us < 4 * G_USEC_PER_SEC, "stopping took %.1f s",
      stop_us / 1e6);
  fail_unless_equals_uint64 (records, sink.expected->len);
  fail_unless_equals_uint64 (published + dropped, records);
  fail_unless (dropped > records / 2, "%" G_GUINT64_FORMAT " of %"
      G_GUINT64_FORMAT " dropped", dropped, records);
  check_frame_rate (&sink, 30);
  kill (b.pid, SIGCONT);
  gst_object_unref (pub);
  gst_object_unref (p);
  g_free (desc);
  sink_clear (&sink);
  broker_clear (&b);
}

GST_END_TEST;

/* Nothing listens at the address: a warning, and the frames flow. */
GST_START_TEST (test_mqtt_wrong_address)
{
  Sink sink;
  GstElement *p, *pub;
  GPtrArray *warnings = g_ptr_array_new_with_free_func (g_free);
  gchar *desc;
  guint i, connect_warnings = 0;

  sink_init (&sink);
  desc = g_strdup_printf (LIVE_DESC, small, "mode=async", free_port (),
      "cam/none", 5);
  p = pipeline_new (desc, &sink);
  pub = get_publisher (p);
  play_live (p, 4.0, NULL, 0, NULL, warnings);
  gst_element_set_state (p, GST_STATE_NULL);
  for (i = 0; i < warnings->len; i++)
    connect_warnings += strstr (g_ptr_array_index (warnings, i),
        "Could not connect to the MQTT broker at 127.0.0.1:") != NULL;
  fail_unless (connect_warnings >= 1, "no warning about the connection");
  /* rate-limited: one at once, then at most one per 5 s */
  fail_unless (connect_warnings <= 2, "%u warnings in 4 s", connect_warnings);
  check_frame_rate (&sink, 30);
  fail_unless_equals_uint64 (prop_u64 (pub, "published"), 0);
  fail_unless (prop_u64 (pub, "records") > 0);
  fail_unless_equals_uint64 (prop_u64 (pub, "dropped"), prop_u64 (pub,
          "records"));
  gst_object_unref (pub);
  gst_object_unref (p);
  g_free (desc);
  g_ptr_array_unref (warnings);
  sink_clear (&sink);
}

GST_END_TEST;

/* Runs a command (fails the test when it fails). */
static void
run_command (const gchar * const *argv)
{
  gchar *err = NULL;
  gint status = 0;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL,
          G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
          &err, &status, NULL), "%s could not run", argv[0]);
  fail_unless (g_spawn_check_wait_status (status, NULL), "%s failed: %s",
      argv[0], err);
  g_free (err);
}

#define TLS_DESC "videotestsrc is-live=true pattern=ball ! " \
    "video/x-raw,format=I420,width=64,height=48,framerate=30/1 ! " \
    "efficientnet weights=%s num-threads=1 mode=sync qos=false ! " \
    "efficientnetpublish name=pub method=mqtt address=127.0.0.1:%d " \
    "topic=cam/tls tls-ca-file=%s username=cam password=%s ! " \
    "fakesink name=sink sync=true"

/* TLS (a CA and a server certificate for 127.0.0.1 made here with openssl)
 * and a username/password (mosquitto_passwd): the records arrive; a wrong
 * password is a warning naming the refusal, and nothing is published. */
GST_START_TEST (test_mqtt_tls)
{
  Broker b = { 0 };
  Sub s = { 0 };
  Sink sink;
  GstElement *p, *pub;
  GPtrArray *warnings = g_ptr_array_new_with_free_func (g_free);
  gchar *dir = g_build_filename (tmp_dir, "tls", NULL);
  gchar *ca = g_build_filename (dir, "ca.pem", NULL);
  gchar *ca_key = g_build_filename (dir, "ca.key", NULL);
  gchar *cert = g_build_filename (dir, "server.pem", NULL);
  gchar *key = g_build_filename (dir, "server.key", NULL);
  gchar *csr = g_build_filename (dir, "server.csr", NULL);
  gchar *ext = g_build_filename (dir, "ext.cnf", NULL);
  gchar *passwd = g_build_filename (dir, "passwd", NULL);
  gchar *conf, *desc;
  GArray *ts;
  guint i, refused = 0;

  fail_unless (g_mkdir (dir, 0755) == 0);
  {
    const gchar *mk_ca[] = { "openssl", "req", "-x509", "-newkey", "rsa:2048",
      "-nodes", "-keyout", ca_key, "-out", ca, "-days", "2", "-subj",
      "/CN=effnet test CA", NULL
    };
    const gchar *mk_csr[] = { "openssl", "req", "-newkey", "rsa:2048",
      "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1", NULL
    };
    const gchar *sign[] = { "openssl", "x509", "-req", "-in", csr, "-CA", ca,
      "-CAkey", ca_key, "-CAcreateserial", "-out", cert, "-days", "2",
      "-extfile", ext, NULL
    };
    const gchar *pw[] = { "mosquitto_passwd", "-b", "-c", passwd, "cam",
      "secret", NULL
    };

    fail_unless (g_file_set_contents (ext, "subjectAltName=IP:127.0.0.1\n",
            -1, NULL));
    run_command (mk_ca);
    run_command (mk_csr);
    run_command (sign);
    run_command (pw);
  }
  conf = g_strdup_printf ("cafile %s\ncertfile %s\nkeyfile %s\n"
      "allow_anonymous false\npassword_file %s\n", ca, cert, key, passwd);
  broker_init_conf (&b, conf);
  s.tls_ca_file = ca;
  s.username = "cam";
  s.password = "secret";
  sub_start (&s, &b, "cam/tls");

  sink_init (&sink);
  desc = g_strdup_printf (TLS_DESC, small, b.port, ca, "secret");
  p = pipeline_new (desc, &sink);
  pub = get_publisher (p);
  play_live (p, 2.0, NULL, 0, NULL, NULL);
  wait_drained (pub, 20);
  wait_received (&s, prop_u64 (pub, "published"), 10);
  gst_element_set_state (p, GST_STATE_NULL);
  fail_unless (sink.expected->len >= 5, "only %u results", sink.expected->len);
  fail_unless_equals_uint64 (prop_u64 (pub, "published"), sink.expected->len);
  ts = received_timestamps (&s);
  fail_unless_equals_int (ts->len, sink.expected->len);
  g_array_unref (ts);
  gst_object_unref (pub);
  gst_object_unref (p);
  g_free (desc);
  sink_clear (&sink);

  /* the wrong password */
  sink_init (&sink);
  desc = g_strdup_printf (TLS_DESC, small, b.port, ca, "wrong");
  p = pipeline_new (desc, &sink);
  pub = get_publisher (p);
  play_live (p, 2.0, NULL, 0, NULL, warnings);
  gst_element_set_state (p, GST_STATE_NULL);
  for (i = 0; i < warnings->len; i++)
    refused += strstr (g_ptr_array_index (warnings, i), "not authorised") !=
        NULL;
  fail_unless (refused >= 1, "no warning about the refused password");
  fail_unless_equals_uint64 (prop_u64 (pub, "published"), 0);
  fail_unless (prop_u64 (pub, "records") > 0);
  gst_object_unref (pub);
  gst_object_unref (p);
  g_free (desc);
  sink_clear (&sink);

  g_ptr_array_unref (warnings);
  sub_stop (&s);
  broker_clear (&b);
  g_free (conf);
  g_free (dir);
  g_free (ca);
  g_free (ca_key);
  g_free (cert);
  g_free (key);
  g_free (csr);
  g_free (ext);
  g_free (passwd);
}

GST_END_TEST;

#endif /* EFFNET_TEST_MQTT */

static Suite *
publish_suite (void)
{
  Suite *s = suite_create ("efficientnetpublish");
  TCase *tc = tcase_create ("publish");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_file_records);
  tcase_add_test (tc, test_file_effnet);
  tcase_add_test (tc, test_roi_records);
  tcase_add_test (tc, test_tool_same_records);
  tcase_add_test (tc, test_bad_properties);
#ifdef EFFNET_TEST_MQTT
  tcase_add_test (tc, test_mqtt_records);
  tcase_add_test (tc, test_mqtt_broker_restart);
  tcase_add_test (tc, test_mqtt_broker_kill);
  tcase_add_test (tc, test_mqtt_broker_stalled);
  tcase_add_test (tc, test_mqtt_wrong_address);
  tcase_add_test (tc, test_mqtt_tls);
#endif
  suite_add_tcase (s, tc);
  return s;
}

int
main (int argc, char **argv)
{
  const gchar *checks = g_getenv ("GST_CHECKS");
  Suite *s;

  test_weights = g_getenv ("EFFNET_TEST_WEIGHTS");
  if (test_weights == NULL) {
    fprintf (stderr, "EFFNET_TEST_WEIGHTS must name the test weights\n");
    return 1;
  }
  if (checks != NULL && strstr (checks, "mqtt") != NULL) {
#ifdef EFFNET_TEST_MQTT
    gchar *exe = find_mosquitto ();
    gboolean tls_tools = TRUE;

    if (exe == NULL) {
      printf ("SKIP: the mosquitto broker is not installed (Debian: "
          "apt-get install mosquitto; scripts/deps.sh test installs it)\n");
      return 77;
    }
    g_free (exe);
    if (strstr (checks, "tls") != NULL) {
      const gchar *tools[] = { "openssl", "mosquitto_passwd" };
      guint i;

      for (i = 0; i < G_N_ELEMENTS (tools); i++) {
        exe = g_find_program_in_path (tools[i]);
        tls_tools &= exe != NULL;
        g_free (exe);
      }
    }
    if (!tls_tools) {
      printf ("SKIP: openssl or mosquitto_passwd is not installed (Debian: "
          "openssl, mosquitto; scripts/deps.sh test installs them)\n");
      return 77;
    }
#else
    printf ("SKIP: built without libmosquitto (Debian: libmosquitto-dev), "
        "so efficientnetpublish has no method=mqtt to test\n");
    return 77;
#endif
  }
  gst_check_init (&argc, &argv);
  s = publish_suite ();
  return gst_check_run_suite (s, "efficientnetpublish", __FILE__);
}
