/* plugin.c — the efficientnet plugin: registers its elements: the classifier
 * (efficientnet) and, when built with Pango/Cairo, the overlay that draws its
 * results (efficientnetoverlay). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstefficientnet.h"
#ifdef EFFNET_HAVE_OVERLAY
#include "gstefficientnetoverlay.h"
#endif

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ok = GST_ELEMENT_REGISTER (efficientnet, plugin);

#ifdef EFFNET_HAVE_OVERLAY
  ok &= GST_ELEMENT_REGISTER (efficientnetoverlay, plugin);
#endif
  return ok;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, efficientnet,
    "EfficientNet B0-B7 image classification on the CPU",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
