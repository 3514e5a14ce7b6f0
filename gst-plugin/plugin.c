/* plugin.c — the efficientnet plugin: registers its one element. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstefficientnet.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  return GST_ELEMENT_REGISTER (efficientnet, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, efficientnet,
    "EfficientNet B0-B7 image classification on the CPU",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
