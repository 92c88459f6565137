/* The trained model check: the model (learn/model.h) loaded from
 * engine.model.path scores the message's hashed text and structure
 * features; the result, mapped onto the engine's scale, is the dynamic
 * score of MODEL_SPAM or MODEL_HAM. The model's weights of the other
 * checks' symbols become those symbols' scores (the .scores hook), so the
 * engine's sum of scores is the model's fused verdict (docs/accuracy.md).
 * It must run after every check whose symbols it learned: last. */
#ifndef MG_CHECKS_MODEL_H
#define MG_CHECKS_MODEL_H

#include "engine/check.h"

extern const struct mg_check check_model;

#endif
