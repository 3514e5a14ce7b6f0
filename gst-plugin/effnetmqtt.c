/* GStreamer EfficientNet classifier
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* effnetmqtt.c — the MQTT sender of efficientnetpublish (effnetmqtt.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "effnetmqtt.h"
#include "gstefficientnetpublish.h"

#include <errno.h>
#include <string.h>

#define GST_CAT_DEFAULT gst_efficientnet_publish_debug

gboolean
effnet_mqtt_parse_address (const gchar * address, gchar ** host, gint * port,
    gchar ** error)
{
  const gchar *colon, *h_start, *h_end;
  guint64 p;

  if (address == NULL || *address == '\0') {
    *error = g_strdup ("No MQTT broker address given: set address to "
        "host:port, e.g. 127.0.0.1:1883.");
    return FALSE;
  }
  colon = strrchr (address, ':');
  h_start = address;
  h_end = colon;
  if (address[0] == '[') {      /* [v6]:port */
    const gchar *close = strchr (address, ']');

    if (close == NULL || close[1] != ':')
      colon = NULL;
    h_start = address + 1;
    h_end = close;
  }
  if (colon == NULL || h_end == NULL || h_end <= h_start
      || !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &p, NULL)) {
    *error = g_strdup_printf ("The MQTT broker address '%s' is not host:port "
        "(a host name or IP address, a colon, a port from 1 to 65535), "
        "e.g. 127.0.0.1:1883.", address);
    return FALSE;
  }
  if (address[0] != '[' && memchr (address, ':', colon - address) != NULL) {
    *error = g_strdup_printf ("The MQTT broker address '%s' is not host:port: "
        "write an IPv6 address in brackets, e.g. [::1]:1883.", address);
    return FALSE;
  }
  *host = g_strndup (h_start, h_end - h_start);
  *port = (gint) p;
  return TRUE;
}

#ifndef EFFNET_HAVE_MQTT

gboolean
effnet_mqtt_available (void)
{
  return FALSE;
}

EffnetMqtt *
effnet_mqtt_new (const EffnetMqttSettings * settings, GstElement * element,
    gchar ** error)
{
  *error = g_strdup ("This efficientnetpublish was built without MQTT "
      "support: install libmosquitto-dev (Debian) and rebuild the plugin, "
      "or use method=file.");
  return NULL;
}

void
effnet_mqtt_push (EffnetMqtt * mqtt, GBytes * record)
{
  g_bytes_unref (record);
}

void
effnet_mqtt_get_counts (EffnetMqtt * mqtt, guint64 * published,
    guint64 * dropped, guint * queued)
{
  *published = *dropped = 0;
  *queued = 0;
}

void
effnet_mqtt_free (EffnetMqtt * mqtt, guint64 * published, guint64 * dropped)
{
  *published = *dropped = 0;
}

#else /* EFFNET_HAVE_MQTT */

#include <mosquitto.h>

#define CONNECT_TIMEOUT_US (10 * G_USEC_PER_SEC)
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 8000
#define WARN_INTERVAL_US (5 * G_USEC_PER_SEC)
#define LOOP_MS 20

struct _EffnetMqtt
{
  GstElement *element;          /* not a reference: it outlives the thread */
  gchar *host, *address, *topic;
  gint port, qos;
  struct mosquitto *mosq;
  GThread *thread;

  GMutex lock;                  /* what the streaming thread shares */
  GCond cond;
  GQueue queue;                 /* GBytes, oldest first */
  guint max_queued;
  gboolean stopping;
  guint64 published, dropped;
  guint inflight_count;

  /* the sender thread's own (and libmosquitto's callbacks, run in it) */
  GHashTable *inflight;         /* mid -> GBytes handed to libmosquitto */
  GHashTable *early;            /* mids acknowledged before the table had them */
  gboolean connecting, connected, ever_connected;
  gint64 connect_started;
  guint failures;               /* since the last warning about them */
  gint64 last_fail_warn, last_drop_warn;
  guint64 dropped_warned;
  gchar *last_reason;
};

static GOnce lib_once = G_ONCE_INIT;

static gpointer
lib_init (gpointer data)
{
  /* once per process; libmosquitto's (and OpenSSL's) globals stay until
   * exit, as they would in any client */
  mosquitto_lib_init ();
  return NULL;
}

gboolean
effnet_mqtt_available (void)
{
  return TRUE;
}

/* Why the last operation failed: libmosquitto's sentence, or errno's. */
static const gchar *
reason (int rc)
{
  return rc == MOSQ_ERR_ERRNO ? g_strerror (errno) : mosquitto_strerror (rc);
}

static void
warn_failure (EffnetMqtt * m, const gchar * why, gboolean lost)
{
  gint64 now = g_get_monotonic_time ();

  m->failures++;
  g_free (m->last_reason);
  /* libmosquitto's sentences end with a full stop, ours go in brackets */
  m->last_reason = g_strdup (why);
  if (*m->last_reason && m->last_reason[strlen (m->last_reason) - 1] == '.')
    m->last_reason[strlen (m->last_reason) - 1] = '\0';
  why = m->last_reason;
  GST_INFO_OBJECT (m->element, "MQTT %s %s: %s", lost ? "lost" :
      "could not connect to", m->address, why);
  if (m->last_fail_warn != 0 && now - m->last_fail_warn < WARN_INTERVAL_US)
    return;
  if (lost)
    GST_ELEMENT_WARNING (m->element, RESOURCE, WRITE,
        ("Lost the connection to the MQTT broker at %s (%s); reconnecting, "
            "records are queued meanwhile (up to max-queued, then the oldest "
            "are dropped).", m->address, why), (NULL));
  else
    GST_ELEMENT_WARNING (m->element, RESOURCE, OPEN_WRITE,
        ("Could not connect to the MQTT broker at %s (%s, %u attempt%s); "
            "retrying with backoff, records are queued meanwhile (up to "
            "max-queued, then the oldest are dropped).", m->address, why,
            m->failures, m->failures == 1 ? "" : "s"), (NULL));
  m->last_fail_warn = now;
  m->failures = 0;
}

static void
warn_drops (EffnetMqtt * m)
{
  gint64 now = g_get_monotonic_time ();
  guint64 dropped;

  g_mutex_lock (&m->lock);
  dropped = m->dropped;
  g_mutex_unlock (&m->lock);
  if (dropped == m->dropped_warned ||
      (m->last_drop_warn != 0 && now - m->last_drop_warn < WARN_INTERVAL_US))
    return;
  GST_ELEMENT_WARNING (m->element, RESOURCE, WRITE,
      ("%" G_GUINT64_FORMAT " result records dropped so far (%" G_GUINT64_FORMAT
          " since the last warning): the MQTT broker at %s is away or slower "
          "than the video (max-queued=%u).", dropped,
          dropped - m->dropped_warned, m->address, m->max_queued), (NULL));
  m->dropped_warned = dropped;
  m->last_drop_warn = now;
}

/* QoS 0 records handed over on a connection that is gone were lost with it
 * (libmosquitto discards them); QoS 1 ones are sent again on the next. */
static void
connection_gone (EffnetMqtt * m)
{
  m->connected = m->connecting = FALSE;
  if (m->qos == 0 && g_hash_table_size (m->inflight) > 0) {
    g_mutex_lock (&m->lock);
    m->dropped += g_hash_table_size (m->inflight);
    m->inflight_count = 0;
    g_mutex_unlock (&m->lock);
    g_hash_table_remove_all (m->inflight);
  }
  g_hash_table_remove_all (m->early);
}

static void
on_connect (struct mosquitto *mosq, void *obj, int rc)
{
  EffnetMqtt *m = obj;

  if (rc != 0) {
    warn_failure (m, mosquitto_connack_string (rc), FALSE);
    connection_gone (m);
    return;
  }
  m->connecting = FALSE;
  m->connected = TRUE;
  if (m->ever_connected || m->failures > 0 || m->last_fail_warn != 0)
    GST_ELEMENT_INFO (m->element, RESOURCE, WRITE,
        ("Connected to the MQTT broker at %s.", m->address), (NULL));
  else
    GST_INFO_OBJECT (m->element, "connected to the MQTT broker at %s",
        m->address);
  m->ever_connected = TRUE;
  m->failures = 0;
}

static void
on_disconnect (struct mosquitto *mosq, void *obj, int rc)
{
  EffnetMqtt *m = obj;

  GST_DEBUG_OBJECT (m->element, "disconnected (%d)", rc);
  connection_gone (m);
}

static void
on_publish (struct mosquitto *mosq, void *obj, int mid)
{
  EffnetMqtt *m = obj;

  if (!g_hash_table_remove (m->inflight, GINT_TO_POINTER (mid))) {
    /* a QoS 0 record written inside mosquitto_publish: counted there */
    g_hash_table_add (m->early, GINT_TO_POINTER (mid));
    return;
  }
  g_mutex_lock (&m->lock);
  m->published++;
  m->inflight_count--;
  g_mutex_unlock (&m->lock);
}

/* Hands queued records to libmosquitto while connected, up to the
 * in-flight limit. */
static void
send_queued (EffnetMqtt * m)
{
  while (m->connected
      && g_hash_table_size (m->inflight) < EFFNET_MQTT_MAX_INFLIGHT) {
    GBytes *rec;
    gsize len;
    gconstpointer data;
    int mid = 0, rc;

    g_mutex_lock (&m->lock);
    rec = g_queue_pop_head (&m->queue);
    if (rec != NULL)
      m->inflight_count++;
    g_mutex_unlock (&m->lock);
    if (rec == NULL)
      return;
    data = g_bytes_get_data (rec, &len);
    rc = mosquitto_publish (m->mosq, &mid, m->topic, (int) len, data, m->qos,
        false);
    if (rc == MOSQ_ERR_SUCCESS) {
      /* QoS 0: on_publish may already have run (the packet was written at
       * once, inside mosquitto_publish) */
      if (g_hash_table_remove (m->early, GINT_TO_POINTER (mid))) {
        g_bytes_unref (rec);
        g_mutex_lock (&m->lock);
        m->published++;
        m->inflight_count--;
        g_mutex_unlock (&m->lock);
      } else {
        g_hash_table_insert (m->inflight, GINT_TO_POINTER (mid), rec);
      }
      continue;
    }
    /* not connected after all: back to the head of the queue */
    g_mutex_lock (&m->lock);
    g_queue_push_head (&m->queue, rec);
    m->inflight_count--;
    g_mutex_unlock (&m->lock);
    if (rc == MOSQ_ERR_PAYLOAD_SIZE || rc == MOSQ_ERR_OVERSIZE_PACKET) {
      g_mutex_lock (&m->lock);
      g_bytes_unref (g_queue_pop_head (&m->queue));
      m->dropped++;
      g_mutex_unlock (&m->lock);
      continue;
    }
    return;
  }
}

static gpointer
sender (gpointer data)
{
  EffnetMqtt *m = data;
  guint delay_ms = BACKOFF_MIN_MS;
  gint64 next_attempt = 0, flush_deadline = 0;
  gboolean host_set = FALSE;

  for (;;) {
    gint64 now = g_get_monotonic_time ();
    gboolean stopping, empty, was_connected;
    int rc;

    g_mutex_lock (&m->lock);
    stopping = m->stopping;
    empty = g_queue_is_empty (&m->queue);
    g_mutex_unlock (&m->lock);
    if (stopping) {
      if (flush_deadline == 0)
        flush_deadline = now + EFFNET_MQTT_FLUSH_MS * 1000;
      if (!m->connected || now >= flush_deadline ||
          (empty && g_hash_table_size (m->inflight) == 0))
        break;
    }
    warn_drops (m);

    if (!m->connected && !m->connecting) {
      if (now < next_attempt) {
        g_mutex_lock (&m->lock);
        if (!m->stopping)
          g_cond_wait_until (&m->cond, &m->lock, MIN (next_attempt,
                  now + 100 * 1000));
        g_mutex_unlock (&m->lock);
        continue;
      }
      rc = host_set ? mosquitto_reconnect_async (m->mosq) :
          mosquitto_connect_async (m->mosq, m->host, m->port, 30);
      if (rc != MOSQ_ERR_INVAL)
        host_set = TRUE;
      if (rc != MOSQ_ERR_SUCCESS) {
        warn_failure (m, rc == MOSQ_ERR_EAI ?
            "the host name could not be resolved" : reason (rc), FALSE);
        next_attempt = now + delay_ms * 1000;
        delay_ms = MIN (delay_ms * 2, BACKOFF_MAX_MS);
        continue;
      }
      m->connecting = TRUE;
      m->connect_started = now;
    }

    send_queued (m);
    was_connected = m->connected;       /* on_disconnect may run in the loop */
    rc = mosquitto_loop (m->mosq, LOOP_MS, 1);
    if (rc == MOSQ_ERR_SUCCESS && m->connecting
        && now - m->connect_started > CONNECT_TIMEOUT_US)
      rc = -100;                /* our own: timed out */
    if (rc != MOSQ_ERR_SUCCESS || (!m->connected && !m->connecting)) {
      if (rc != MOSQ_ERR_SUCCESS)
        warn_failure (m, rc == -100 ? "no answer within 10 s" : reason (rc),
            was_connected);
      connection_gone (m);
      if (was_connected)
        delay_ms = BACKOFF_MIN_MS;
      next_attempt = g_get_monotonic_time () + delay_ms * 1000;
      delay_ms = MIN (delay_ms * 2, BACKOFF_MAX_MS);
    } else if (m->connected) {
      delay_ms = BACKOFF_MIN_MS;
    }
  }

  if (m->connected) {
    mosquitto_disconnect (m->mosq);
    mosquitto_loop (m->mosq, 0, 1);
  }
  warn_drops (m);
  return NULL;
}

EffnetMqtt *
effnet_mqtt_new (const EffnetMqttSettings * s, GstElement * element,
    gchar ** error)
{
  EffnetMqtt *m;
  int rc;

  g_once (&lib_once, lib_init, NULL);
  if ((s->tls_cert_file != NULL) != (s->tls_key_file != NULL)) {
    *error = g_strdup ("tls-cert-file and tls-key-file go together: set "
        "both (a client certificate and its key) or neither.");
    return NULL;
  }
  if (s->tls_cert_file != NULL && s->tls_ca_file == NULL) {
    *error = g_strdup ("A client certificate (tls-cert-file) needs "
        "tls-ca-file, the certificate authority that signed the broker's.");
    return NULL;
  }
  if (s->password != NULL && s->username == NULL) {
    *error = g_strdup ("A password was given without a username.");
    return NULL;
  }

  m = g_new0 (EffnetMqtt, 1);
  m->element = element;
  m->host = g_strdup (s->host);
  m->port = s->port;
  m->address = g_strdup (s->address);
  m->topic = g_strdup (s->topic);
  m->qos = s->qos;
  m->max_queued = MAX (s->max_queued, 1);
  g_mutex_init (&m->lock);
  g_cond_init (&m->cond);
  g_queue_init (&m->queue);
  m->inflight = g_hash_table_new_full (NULL, NULL, NULL,
      (GDestroyNotify) g_bytes_unref);
  m->early = g_hash_table_new (NULL, NULL);

  m->mosq = mosquitto_new (s->client_id, true, m);
  if (m->mosq == NULL) {
    *error = g_strdup_printf ("Could not make an MQTT client: %s.",
        errno == EINVAL ? "invalid client-id" : g_strerror (errno));
    goto fail;
  }
  mosquitto_connect_callback_set (m->mosq, on_connect);
  mosquitto_disconnect_callback_set (m->mosq, on_disconnect);
  mosquitto_publish_callback_set (m->mosq, on_publish);
  mosquitto_max_inflight_messages_set (m->mosq, EFFNET_MQTT_MAX_INFLIGHT);
  if (s->username != NULL
      && (rc = mosquitto_username_pw_set (m->mosq, s->username,
              s->password)) != MOSQ_ERR_SUCCESS) {
    *error = g_strdup_printf ("Could not use the MQTT username: %s.",
        reason (rc));
    goto fail;
  }
  if (s->tls_ca_file != NULL
      && (rc = mosquitto_tls_set (m->mosq, s->tls_ca_file, NULL,
              s->tls_cert_file, s->tls_key_file, NULL)) != MOSQ_ERR_SUCCESS) {
    *error = g_strdup_printf ("Could not use the TLS files (tls-ca-file %s%s%s"
        "%s%s): %s; check that they exist and are readable.", s->tls_ca_file,
        s->tls_cert_file ? ", tls-cert-file " : "",
        s->tls_cert_file ? s->tls_cert_file : "",
        s->tls_key_file ? ", tls-key-file " : "",
        s->tls_key_file ? s->tls_key_file : "", reason (rc));
    goto fail;
  }
  m->thread = g_thread_new ("effnet-mqtt", sender, m);
  return m;

fail:
  {
    guint64 p, d;

    effnet_mqtt_free (m, &p, &d);
  }
  return NULL;
}

void
effnet_mqtt_push (EffnetMqtt * m, GBytes * record)
{
  g_mutex_lock (&m->lock);
  while (g_queue_get_length (&m->queue) >= m->max_queued) {
    g_bytes_unref (g_queue_pop_head (&m->queue));
    m->dropped++;
  }
  g_queue_push_tail (&m->queue, record);
  g_mutex_unlock (&m->lock);
}

void
effnet_mqtt_get_counts (EffnetMqtt * m, guint64 * published,
    guint64 * dropped, guint * queued)
{
  g_mutex_lock (&m->lock);
  *published = m->published;
  *dropped = m->dropped;
  *queued = g_queue_get_length (&m->queue) + m->inflight_count;
  g_mutex_unlock (&m->lock);
}

void
effnet_mqtt_free (EffnetMqtt * m, guint64 * published, guint64 * dropped)
{
  if (m->thread != NULL) {
    g_mutex_lock (&m->lock);
    m->stopping = TRUE;
    g_cond_broadcast (&m->cond);
    g_mutex_unlock (&m->lock);
    g_thread_join (m->thread);
  }
  /* what was not sent is dropped */
  m->dropped += g_queue_get_length (&m->queue) +
      g_hash_table_size (m->inflight);
  g_queue_clear_full (&m->queue, (GDestroyNotify) g_bytes_unref);
  g_hash_table_unref (m->inflight);
  g_hash_table_unref (m->early);
  *published = m->published;
  *dropped = m->dropped;
  if (m->mosq != NULL)
    mosquitto_destroy (m->mosq);
  g_mutex_clear (&m->lock);
  g_cond_clear (&m->cond);
  g_free (m->host);
  g_free (m->address);
  g_free (m->topic);
  g_free (m->last_reason);
  g_free (m);
}

#endif /* EFFNET_HAVE_MQTT */
