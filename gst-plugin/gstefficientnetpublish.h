/* gstefficientnetpublish.h — the efficientnetpublish element: placed after
 * efficientnet, it turns each new classification result into one JSON record
 * (DL Streamer's gvametaconvert shape, or the fuller effnet shape; built by
 * effnetrecord.c) and writes it to a file or stdout as JSON lines, or
 * publishes it to an MQTT broker (effnetmqtt.c) without ever holding a frame
 * back. Frames pass through untouched. See README.md. */
#ifndef __GST_EFFICIENTNET_PUBLISH_H__
#define __GST_EFFICIENTNET_PUBLISH_H__

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS
#define GST_TYPE_EFFICIENTNET_PUBLISH (gst_efficientnet_publish_get_type ())
G_DECLARE_FINAL_TYPE (GstEfficientNetPublish, gst_efficientnet_publish, GST,
    EFFICIENTNET_PUBLISH, GstBaseTransform)
GST_ELEMENT_REGISTER_DECLARE (efficientnetpublish);
/* shared with effnetmqtt.c */
GST_DEBUG_CATEGORY_EXTERN (gst_efficientnet_publish_debug);

G_END_DECLS
#endif /* __GST_EFFICIENTNET_PUBLISH_H__ */
