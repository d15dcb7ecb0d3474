/* passenger: a two-wheeler carrying a passenger (where a child seat is allowed, map the model's
 * classes so that a child is not a passenger).
 * Judged once per two-wheeler from the attribute its detections voted for (see struct rule_attr
 * in rule.h); idle unless the detector reports the attribute. */
#include "crosswatch/detection.h"
#include "rules/rule.h"

static int init(void *c, const struct cw_scene *scene, const struct cw_rule_settings *set)
{
    (void)scene;
    return cw__rule_attr_init(c, set, CW_ATTR_PASSENGER, CW_ATTR_YES);
}

static void process(void *c, const struct cw_rule_input *in, struct rule_out *out)
{
    cw__rule_attr_process(c, "passenger", in, out);
}

const struct rule_desc cw__rule_passenger = {"passenger", CW_RULE_PASSENGER,
                                             sizeof(struct rule_attr), init, process};
