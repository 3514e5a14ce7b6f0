/* GStreamer EfficientNet classification publisher
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-efficientnetpublish
 * @title: efficientnetpublish
 *
 * Placed after efficientnet: every new classification result (a frame
 * classified in sync mode; in async mode the first frame carrying a new
 * result) becomes one JSON record — DL Streamer's gvametaconvert shape
 * (format=dlstreamer, the default) or a fuller one (format=effnet) — written
 * as JSON lines to a file or stdout (method=file) or published to an MQTT
 * broker (method=mqtt). MQTT never holds a frame back: the streaming thread
 * only queues the record (at most max-queued, the oldest dropped and counted
 * beyond that); a thread of the element's own sends them, reconnecting with
 * backoff. Frames pass through untouched. See gst-plugin/README.md.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 v4l2src ! videoconvert ! efficientnet weights=/path/to/b0 ! efficientnetpublish method=mqtt address=127.0.0.1:1883 topic=camera1 ! fakesink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstefficientnetpublish.h"
#include "effnetmeta.h"
#include "effnetmqtt.h"
#include "effnetrecord.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

GST_DEBUG_CATEGORY (gst_efficientnet_publish_debug);
#define GST_CAT_DEFAULT gst_efficientnet_publish_debug

typedef enum
{
  METHOD_FILE,
  METHOD_MQTT,
} GstEfficientNetPublishMethod;

#define DEFAULT_METHOD METHOD_FILE
#define DEFAULT_FORMAT GST_EFFNET_RECORD_DLSTREAMER
#define DEFAULT_FILE_PATH NULL
#define DEFAULT_SOURCE NULL
#define DEFAULT_ADDRESS "127.0.0.1:1883"
#define DEFAULT_TOPIC "efficientnet"
#define DEFAULT_CLIENT_ID NULL
#define DEFAULT_QOS 1
#define DEFAULT_MAX_QUEUED 1000

enum
{
  PROP_0,
  PROP_METHOD,
  PROP_FORMAT,
  PROP_FILE_PATH,
  PROP_SOURCE,
  PROP_ADDRESS,
  PROP_TOPIC,
  PROP_CLIENT_ID,
  PROP_QOS,
  PROP_TLS_CA_FILE,
  PROP_TLS_CERT_FILE,
  PROP_TLS_KEY_FILE,
  PROP_USERNAME,
  PROP_PASSWORD,
  PROP_MAX_QUEUED,
  PROP_RECORDS,
  PROP_PUBLISHED,
  PROP_DROPPED,
  PROP_QUEUED,
};

struct _GstEfficientNetPublish
{
  GstBaseTransform parent;

  /* properties (object lock) */
  GstEfficientNetPublishMethod method;
  GstEffnetRecordFormat format;
  gchar *file_path, *source, *address, *topic, *client_id;
  guint qos;
  gchar *tls_ca_file, *tls_cert_file, *tls_key_file, *username, *password;
  guint max_queued;

  /* between start and stop (streaming thread) */
  gint width, height;
  guint64 last_source_frame;
  int fd;                       /* method=file; -1: none */
  gboolean close_fd;
  gchar *run_path;              /* the file being written, for messages */
  gchar *run_source;
  GstEffnetRecordFormat run_format;
  EffnetMqtt *mqtt;             /* method=mqtt */

  /* counters (object lock): of the current run, or the last one */
  guint64 records, published, dropped;
};

#define GST_TYPE_EFFICIENTNET_PUBLISH_METHOD \
    (gst_efficientnet_publish_method_get_type ())
static GType
gst_efficientnet_publish_method_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {METHOD_FILE, "JSON lines to a file or stdout (file-path)", "file"},
    {METHOD_MQTT, "MQTT messages to a broker (address, topic)", "mqtt"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstEfficientNetPublishMethod", values));
  return (GType) type;
}

#define GST_TYPE_EFFICIENTNET_PUBLISH_FORMAT \
    (gst_efficientnet_publish_format_get_type ())
static GType
gst_efficientnet_publish_format_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_EFFNET_RECORD_DLSTREAMER,
        "DL Streamer's gvametaconvert JSON (resolution, timestamp, source, "
          "objects with a classification each)", "dlstreamer"},
    {GST_EFFNET_RECORD_EFFNET,
        "the dlstreamer record plus frame, stale, inference_ns, model, "
          "element, the top-k ranking and ROI counts", "effnet"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstEfficientNetPublishFormat", values));
  return (GType) type;
}

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));

G_DEFINE_TYPE (GstEfficientNetPublish, gst_efficientnet_publish,
    GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (efficientnetpublish, "efficientnetpublish",
    GST_RANK_NONE, GST_TYPE_EFFICIENTNET_PUBLISH);

static void
gst_efficientnet_publish_init (GstEfficientNetPublish * self)
{
  self->method = DEFAULT_METHOD;
  self->format = DEFAULT_FORMAT;
  self->address = g_strdup (DEFAULT_ADDRESS);
  self->topic = g_strdup (DEFAULT_TOPIC);
  self->qos = DEFAULT_QOS;
  self->max_queued = DEFAULT_MAX_QUEUED;
  self->fd = -1;
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}

static void
gst_efficientnet_publish_finalize (GObject * object)
{
  GstEfficientNetPublish *self = GST_EFFICIENTNET_PUBLISH (object);

  g_free (self->file_path);
  g_free (self->source);
  g_free (self->address);
  g_free (self->topic);
  g_free (self->client_id);
  g_free (self->tls_ca_file);
  g_free (self->tls_cert_file);
  g_free (self->tls_key_file);
  g_free (self->username);
  g_free (self->password);
  G_OBJECT_CLASS (gst_efficientnet_publish_parent_class)->finalize (object);
}

/* A string property: NULL for empty. */
static void
set_string (gchar ** field, const GValue * value)
{
  const gchar *s = g_value_get_string (value);

  g_free (*field);
  *field = s != NULL && *s != '\0' ? g_strdup (s) : NULL;
}

static void
gst_efficientnet_publish_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstEfficientNetPublish *self = GST_EFFICIENTNET_PUBLISH (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_METHOD:
      self->method = g_value_get_enum (value);
      break;
    case PROP_FORMAT:
      self->format = g_value_get_enum (value);
      break;
    case PROP_FILE_PATH:
      set_string (&self->file_path, value);
      break;
    case PROP_SOURCE:
      g_free (self->source);
      self->source = g_value_dup_string (value);
      break;
    case PROP_ADDRESS:
      set_string (&self->address, value);
      break;
    case PROP_TOPIC:
      set_string (&self->topic, value);
      break;
    case PROP_CLIENT_ID:
      set_string (&self->client_id, value);
      break;
    case PROP_QOS:
      self->qos = g_value_get_uint (value);
      break;
    case PROP_TLS_CA_FILE:
      set_string (&self->tls_ca_file, value);
      break;
    case PROP_TLS_CERT_FILE:
      set_string (&self->tls_cert_file, value);
      break;
    case PROP_TLS_KEY_FILE:
      set_string (&self->tls_key_file, value);
      break;
    case PROP_USERNAME:
      set_string (&self->username, value);
      break;
    case PROP_PASSWORD:
      set_string (&self->password, value);
      break;
    case PROP_MAX_QUEUED:
      self->max_queued = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* The counters: the running sender's, else those of the last run. */
static void
get_counts (GstEfficientNetPublish * self, guint64 * records,
    guint64 * published, guint64 * dropped, guint * queued)
{
  GST_OBJECT_LOCK (self);
  *records = self->records;
  *published = self->published;
  *dropped = self->dropped;
  *queued = 0;
  if (self->mqtt != NULL)
    effnet_mqtt_get_counts (self->mqtt, published, dropped, queued);
  GST_OBJECT_UNLOCK (self);
}

static void
gst_efficientnet_publish_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstEfficientNetPublish *self = GST_EFFICIENTNET_PUBLISH (object);
  guint64 records, published, dropped;
  guint queued;

  if (prop_id >= PROP_RECORDS) {
    get_counts (self, &records, &published, &dropped, &queued);
    switch (prop_id) {
      case PROP_RECORDS:
        g_value_set_uint64 (value, records);
        break;
      case PROP_PUBLISHED:
        g_value_set_uint64 (value, published);
        break;
      case PROP_DROPPED:
        g_value_set_uint64 (value, dropped);
        break;
      case PROP_QUEUED:
        g_value_set_uint (value, queued);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
        break;
    }
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_METHOD:
      g_value_set_enum (value, self->method);
      break;
    case PROP_FORMAT:
      g_value_set_enum (value, self->format);
      break;
    case PROP_FILE_PATH:
      g_value_set_string (value, self->file_path);
      break;
    case PROP_SOURCE:
      g_value_set_string (value, self->source);
      break;
    case PROP_ADDRESS:
      g_value_set_string (value, self->address);
      break;
    case PROP_TOPIC:
      g_value_set_string (value, self->topic);
      break;
    case PROP_CLIENT_ID:
      g_value_set_string (value, self->client_id);
      break;
    case PROP_QOS:
      g_value_set_uint (value, self->qos);
      break;
    case PROP_TLS_CA_FILE:
      g_value_set_string (value, self->tls_ca_file);
      break;
    case PROP_TLS_CERT_FILE:
      g_value_set_string (value, self->tls_cert_file);
      break;
    case PROP_TLS_KEY_FILE:
      g_value_set_string (value, self->tls_key_file);
      break;
    case PROP_USERNAME:
      g_value_set_string (value, self->username);
      break;
    case PROP_PASSWORD:
      g_value_set_string (value, self->password);
      break;
    case PROP_MAX_QUEUED:
      g_value_set_uint (value, self->max_queued);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static gboolean
start_file (GstEfficientNetPublish * self, const gchar * path)
{
  if (path == NULL || strcmp (path, "-") == 0) {
    self->fd = STDOUT_FILENO;
    self->close_fd = FALSE;
    self->run_path = g_strdup ("standard output");
    return TRUE;
  }
  self->fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (self->fd < 0) {
    int e = errno;

    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Could not open %s for writing the records: %s.", path,
            g_strerror (e)), ("open: %s", g_strerror (e)));
    return FALSE;
  }
  self->close_fd = TRUE;
  self->run_path = g_strdup (path);
  return TRUE;
}

static gboolean
start_mqtt (GstEfficientNetPublish * self)
{
  EffnetMqttSettings s = { 0 };
  gchar *error = NULL;
  gboolean ok = FALSE;

  GST_OBJECT_LOCK (self);
  if (!effnet_mqtt_parse_address (self->address, &s.host, &s.port, &error))
    goto done;
  if (self->topic == NULL) {
    error = g_strdup ("No MQTT topic given: set topic.");
    goto done;
  }
  s.address = self->address;
  s.topic = self->topic;
  s.client_id = self->client_id;
  s.qos = (gint) self->qos;
  s.tls_ca_file = self->tls_ca_file;
  s.tls_cert_file = self->tls_cert_file;
  s.tls_key_file = self->tls_key_file;
  s.username = self->username;
  s.password = self->password;
  s.max_queued = self->max_queued;
  /* the settings are copied: the object lock is not needed past this */
  self->mqtt = effnet_mqtt_new (&s, GST_ELEMENT (self), &error);
  ok = self->mqtt != NULL;
done:
  GST_OBJECT_UNLOCK (self);
  g_free (s.host);
  if (!ok) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error), (NULL));
    g_free (error);
  }
  return ok;
}

static gboolean
gst_efficientnet_publish_start (GstBaseTransform * trans)
{
  GstEfficientNetPublish *self = GST_EFFICIENTNET_PUBLISH (trans);
  GstEfficientNetPublishMethod method;
  gchar *path;

  GST_OBJECT_LOCK (self);
  method = self->method;
  path = g_strdup (self->file_path);
  self->run_format = self->format;
  self->run_source = g_strdup (self->source);
  self->records = self->published = self->dropped = 0;
  GST_OBJECT_UNLOCK (self);
  self->width = self->height = 0;
  self->last_source_frame = GST_EFFNET_NO_FRAME;

  if (method == METHOD_FILE) {
    gboolean ok = start_file (self, path);

    g_free (path);
    return ok;
  }
  g_free (path);
  return start_mqtt (self);
}

static gboolean
gst_efficientnet_publish_stop (GstBaseTransform * trans)
{
  GstEfficientNetPublish *self = GST_EFFICIENTNET_PUBLISH (trans);
  EffnetMqtt *mqtt;

  GST_OBJECT_LOCK (self);
  mqtt = self->mqtt;
  self->mqtt = NULL;
  GST_OBJECT_UNLOCK (self);
  if (mqtt != NULL) {
    guint64 published, dropped;

    /* sends what it can for a bounded time, never waits on an absent
     * broker */
    effnet_mqtt_free (mqtt, &published, &dropped);
    GST_OBJECT_LOCK (self);
    self->published = published;
    self->dropped = dropped;
    GST_OBJECT_UNLOCK (self);
    GST_INFO_OBJECT (self, "stopped: %" G_GUINT64_FORMAT " records, %"
        G_GUINT64_FORMAT " published, %" G_GUINT64_FORMAT " dropped",
        self->records, published, dropped);
  }
  if (self->fd >= 0 && self->close_fd && close (self->fd) != 0)
    GST_ELEMENT_WARNING (self, RESOURCE, CLOSE,
        ("Could not finish writing the records to %s: %s.", self->run_path,
            g_strerror (errno)), (NULL));
  self->fd = -1;
  g_clear_pointer (&self->run_path, g_free);
  g_clear_pointer (&self->run_source, g_free);
  return TRUE;
}

static gboolean
gst_efficientnet_publish_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstEfficientNetPublish *self = GST_EFFICIENTNET_PUBLISH (trans);
  GstStructure *s = gst_caps_get_structure (incaps, 0);

  if (!gst_structure_get_int (s, "width", &self->width))
    self->width = 0;
  if (!gst_structure_get_int (s, "height", &self->height))
    self->height = 0;
  return TRUE;
}

/* Writes a whole record to the file: a record is a line or absent (a
 * regular file is cut back to where it began when a write fails part-way). */
static gboolean
write_record (GstEfficientNetPublish * self, const GString * g)
{
  off_t start = lseek (self->fd, 0, SEEK_CUR);  /* -1 on a pipe */
  gsize done = 0;

  while (done < g->len) {
    ssize_t n = write (self->fd, g->str + done, g->len - done);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int e = n < 0 ? errno : EIO;

      if (start >= 0 && done > 0 && ftruncate (self->fd, start) == 0)
        lseek (self->fd, start, SEEK_SET);
      GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
          ("Could not write the records to %s: %s.", self->run_path,
              g_strerror (e)), (NULL));
      return FALSE;
    }
    done += (gsize) n;
  }
  return TRUE;
}

static GstFlowReturn
gst_efficientnet_publish_transform_ip (GstBaseTransform * trans,
    GstBuffer * buf)
{
  GstEfficientNetPublish *self = GST_EFFICIENTNET_PUBLISH (trans);
  GstEffnetRecordFrame frame;
  GString *g;

  if (!gst_effnet_record_is_new (buf, &self->last_source_frame))
    return GST_FLOW_OK;

  frame.width = self->width;
  frame.height = self->height;
  frame.timestamp = gst_effnet_record_stream_time (&trans->segment,
      GST_BUFFER_PTS (buf));
  frame.source = self->run_source;
  g = g_string_sized_new (512);
  gst_effnet_record_append (g, self->run_format, buf, &frame);

  GST_OBJECT_LOCK (self);
  self->records++;
  GST_OBJECT_UNLOCK (self);
  if (self->mqtt != NULL) {
    /* one message per record, without the line's newline; queued, never
     * waits on the network */
    g_string_truncate (g, g->len - 1);
    effnet_mqtt_push (self->mqtt, g_string_free_to_bytes (g));
    return GST_FLOW_OK;
  }
  if (!write_record (self, g)) {
    g_string_free (g, TRUE);
    return GST_FLOW_ERROR;
  }
  g_string_free (g, TRUE);
  GST_OBJECT_LOCK (self);
  self->published++;
  GST_OBJECT_UNLOCK (self);
  return GST_FLOW_OK;
}

#define READY_FLAGS \
    (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)
#define COUNTER_FLAGS (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)

static void
gst_efficientnet_publish_class_init (GstEfficientNetPublishClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;
  GstBaseTransformClass *trans_class = (GstBaseTransformClass *) klass;

  GST_DEBUG_CATEGORY_INIT (gst_efficientnet_publish_debug,
      "efficientnetpublish", 0, "EfficientNet classification publisher");
  gst_effnet_meta_register ();

  gobject_class->set_property = gst_efficientnet_publish_set_property;
  gobject_class->get_property = gst_efficientnet_publish_get_property;
  gobject_class->finalize = gst_efficientnet_publish_finalize;

  g_object_class_install_property (gobject_class, PROP_METHOD,
      g_param_spec_enum ("method", "Method",
          "Where the records go: file (JSON lines to file-path or stdout) or "
          "mqtt (one message per record to the broker at address, on topic)",
          GST_TYPE_EFFICIENTNET_PUBLISH_METHOD, DEFAULT_METHOD, READY_FLAGS));
  g_object_class_install_property (gobject_class, PROP_FORMAT,
      g_param_spec_enum ("format", "Format",
          "Shape of the records: dlstreamer (DL Streamer's gvametaconvert "
          "JSON) or effnet (the same plus source frame, stale, timing, "
          "top-k ranking)", GST_TYPE_EFFICIENTNET_PUBLISH_FORMAT,
          DEFAULT_FORMAT, READY_FLAGS));
  g_object_class_install_property (gobject_class, PROP_FILE_PATH,
      g_param_spec_string ("file-path", "File path",
          "method=file: the file the JSON lines are written to (created or "
          "truncated at start); NULL, empty or \"-\": standard output",
          DEFAULT_FILE_PATH, READY_FLAGS));
  g_object_class_install_property (gobject_class, PROP_SOURCE,
      g_param_spec_string ("source", "Source",
          "The records' \"source\" field, e.g. the camera's URI; NULL: no "
          "such field", DEFAULT_SOURCE, READY_FLAGS));
  g_object_class_install_property (gobject_class, PROP_ADDRESS,
      g_param_spec_string ("address", "Address",
          "method=mqtt: the broker, host:port ([IPv6]:port); a broker that "
          "cannot be reached is a warning, not an error",
          DEFAULT_ADDRESS, READY_FLAGS));
  g_object_class_install_property (gobject_class, PROP_TOPIC,
      g_param_spec_string ("topic", "Topic",
          "method=mqtt: the topic the records are published on",
          DEFAULT_TOPIC, READY_FLAGS));
  g_object_class_install_property (gobject_class, PROP_CLIENT_ID,
      g_param_spec_string ("client-id", "Client ID",
          "method=mqtt: the MQTT client identifier; NULL: a random one",
          DEFAULT_CLIENT_ID, READY_FLAGS));
  g_object_class_install_property (gobject_class, PROP_QOS,
      g_param_spec_uint ("qos", "QoS",
          "method=mqtt: 0 (at most once) or 1 (at least once: a record counts "
          "as published when the broker acknowledged it, and is sent again "
          "after a reconnection until it did)", 0, 1, DEFAULT_QOS,
          READY_FLAGS));
  g_object_class_install_property (gobject_class, PROP_TLS_CA_FILE,
      g_param_spec_string ("tls-ca-file", "TLS CA file",
          "method=mqtt: PEM file of the certificate authority that signed the "
          "broker's certificate; set: the connection uses TLS", NULL,
          READY_FLAGS));
  g_object_class_install_property (gobject_class, PROP_TLS_CERT_FILE,
      g_param_spec_string ("tls-cert-file", "TLS certificate file",
          "method=mqtt: PEM client certificate (with tls-key-file and "
          "tls-ca-file), for brokers that authenticate clients by it", NULL,
          READY_FLAGS));
  g_object_class_install_property (gobject_class, PROP_TLS_KEY_FILE,
      g_param_spec_string ("tls-key-file", "TLS key file",
          "method=mqtt: PEM private key of tls-cert-file (unencrypted)", NULL,
          READY_FLAGS));
  g_object_class_install_property (gobject_class, PROP_USERNAME,
      g_param_spec_string ("username", "Username",
          "method=mqtt: user name sent to the broker; NULL: none", NULL,
          READY_FLAGS));
  g_object_class_install_property (gobject_class, PROP_PASSWORD,
      g_param_spec_string ("password", "Password",
          "method=mqtt: password sent with username; NULL: none", NULL,
          READY_FLAGS));
  g_object_class_install_property (gobject_class, PROP_MAX_QUEUED,
      g_param_spec_uint ("max-queued", "Maximum queued",
          "method=mqtt: records held while the broker is slow or away; "
          "beyond it the oldest is dropped (and counted in dropped)", 1,
          1000000, DEFAULT_MAX_QUEUED, READY_FLAGS));
  g_object_class_install_property (gobject_class, PROP_RECORDS,
      g_param_spec_uint64 ("records", "Records",
          "Records made since the start (one per new result)", 0,
          G_MAXUINT64, 0, COUNTER_FLAGS));
  g_object_class_install_property (gobject_class, PROP_PUBLISHED,
      g_param_spec_uint64 ("published", "Published",
          "Records written (file) or acknowledged by the broker (QoS 1; QoS "
          "0: sent) since the start", 0, G_MAXUINT64, 0, COUNTER_FLAGS));
  g_object_class_install_property (gobject_class, PROP_DROPPED,
      g_param_spec_uint64 ("dropped", "Dropped",
          "method=mqtt: records dropped since the start (queue full, lost "
          "with a QoS 0 connection, or unsent at stop); records = published "
          "+ dropped + queued", 0, G_MAXUINT64, 0, COUNTER_FLAGS));
  g_object_class_install_property (gobject_class, PROP_QUEUED,
      g_param_spec_uint ("queued", "Queued",
          "method=mqtt: records waiting to be sent or acknowledged", 0,
          G_MAXUINT, 0, COUNTER_FLAGS));

  gst_element_class_set_static_metadata (element_class,
      "EfficientNet classification publisher", "Filter/Video/Analytics",
      "Writes each new EfficientNet classification result as a JSON record "
      "(DL Streamer's shape) to a file or an MQTT broker", "effnet project");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_efficientnet_publish_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_efficientnet_publish_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_efficientnet_publish_set_caps);
  trans_class->transform_ip =
      GST_DEBUG_FUNCPTR (gst_efficientnet_publish_transform_ip);
  trans_class->transform_ip_on_passthrough = TRUE;

  gst_type_mark_as_plugin_api (GST_TYPE_EFFICIENTNET_PUBLISH_METHOD, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_EFFICIENTNET_PUBLISH_FORMAT, 0);
}
