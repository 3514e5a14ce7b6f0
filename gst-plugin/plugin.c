/* plugin.c — the efficientnet plugin: registers its elements: the classifier
 * (efficientnet), when built with Pango/Cairo the overlay that draws its
 * results (efficientnetoverlay), and when built with json-glib the publisher
 * that writes them as JSON records to a file or an MQTT broker
 * (efficientnetpublish). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstefficientnet.h"
#ifdef EFFNET_HAVE_OVERLAY
#include "gstefficientnetoverlay.h"
#endif
#ifdef EFFNET_HAVE_PUBLISH
#include "gstefficientnetpublish.h"
#endif

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ok = GST_ELEMENT_REGISTER (efficientnet, plugin);

#ifdef EFFNET_HAVE_OVERLAY
  ok &= GST_ELEMENT_REGISTER (efficientnetoverlay, plugin);
#endif
#ifdef EFFNET_HAVE_PUBLISH
  ok &= GST_ELEMENT_REGISTER (efficientnetpublish, plugin);
#endif
  return ok;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, efficientnet,
    "EfficientNet B0-B7 image classification on the CPU",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
