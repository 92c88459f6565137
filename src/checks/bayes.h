/* The Bayes check: the OSB Bayes classifier's spam probability of the
 * message (learn/bayes.h) as BAYES_SPAM or BAYES_HAM, scaled by how far it
 * is from 0.5. Off when engine.bayes.path is unset; silent until the store
 * exists and has learned min_learns spam and ham messages. */
#ifndef MG_CHECKS_BAYES_H
#define MG_CHECKS_BAYES_H

#include "engine/check.h"

extern const struct mg_check check_bayes;

#endif
