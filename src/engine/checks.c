/* The one table of registered checks, in the order they run. Cheap checks
 * that can settle a verdict come first; checks that read other checks'
 * symbols come after them (reputation reads DKIM_ALLOW, meta rules read
 * any symbol, the model fuses them all); DKIM signing of outbound mail is
 * last. */
#include <stddef.h>

#include "checks/attach_type.h"
#include "checks/account.h"
#include "checks/auth.h"
#include "checks/bayes.h"
#include "checks/bec.h"
#include "checks/bulk.h"
#include "checks/dkim_sign.h"
#include "checks/dnsbl.h"
#include "checks/first_seen.h"
#include "checks/av.h"
#include "checks/gtube.h"
#include "checks/hidden_text.h"
#include "checks/html_smuggle.h"
#include "checks/images.h"
#include "checks/landing.h"
#include "checks/lists.h"
#include "checks/mime_anomaly.h"
#include "checks/model.h"
#include "checks/office.h"
#include "checks/pdf.h"
#include "checks/qr.h"
#include "checks/reputation.h"
#include "checks/rtf.h"
#include "checks/rules.h"
#include "checks/url_cloud.h"
#include "checks/url_heur.h"
#include "checks/url_intel.h"
#include "checks/yara.h"
#include "engine/check.h"

const struct mg_check *const check_table[] = {
	&check_gtube,
	&check_lists,
	&check_bulk,
	&check_qr,		/* QR URLs join the message's URLs: before the URL checks */
	&check_images,
	&check_dnsbl,
	&check_mime_anomaly,
	&check_hidden_text,
	&check_attach_type,
	&check_av,
	&check_yara,
	&check_office,
	&check_pdf,
	&check_rtf,
	&check_html_smuggle,
	&check_auth,
	&check_reputation,
	&check_bec,
	&check_url_intel,
	&check_url_cloud,
	&check_url_heur,
	&check_first_seen,
	&check_landing,		/* fetches links the URL checks found suspicious */
	&check_rules,
	&check_bayes,
	&check_model,
	&check_account,		/* sees every other check's symbols */
	&check_dkim_sign,
};

const size_t check_count = sizeof(check_table) / sizeof(check_table[0]);
