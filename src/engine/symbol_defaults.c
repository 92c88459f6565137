/* Default score, category and forced action of every symbol a check can
 * produce: the one place they live (docs/engine.md has the same table for
 * readers; engine.scores in the configuration overrides any of them).
 * Scores follow SpamAssassin's scale: 5 is "probably spam". */
#include "engine/symbol.h"

#define S(name, score, cat, desc) { name, score, MG_CAT_##cat, MG_VERDICT_ACCEPT, desc }

const struct symbol_def symbol_defaults[] = {
	/* The pipeline itself. */
	S("PARSE_FAIL", 0.0, CLEAN, "the message could not be parsed (memory ceiling)"),
	S("ANALYZE_FAIL", 0.0, CLEAN, "HTML, URL or attachment analysis failed (memory, libmagic)"),
	S("TASK_TIMEOUT", 0.0, CLEAN, "engine.task_timeout passed; later checks skipped"),
	/* gtube.c */
	S("GTUBE", 1000.0, SPAM, "the GTUBE anti-spam test string"),
	S("GTUBE_FAIL", 0.0, CLEAN, "the gtube check failed or timed out"),
	/* mime_anomaly.c: one per enum mime_flag */
	S("MIME_HEADER_TOO_LONG", 1.0, SPAM, "a header section longer than the limit"),
	S("MIME_TOO_MANY_HEADERS", 1.0, SPAM, "more header fields than the limit"),
	S("MIME_HEADER_8BIT", 0.1, SPAM, "raw 8-bit bytes in a header"),
	S("MIME_HEADER_BAD_UTF8", 0.5, SPAM, "8-bit header that is not UTF-8"),
	S("MIME_BAD_ENCODED_WORD", 0.5, SPAM, "malformed RFC 2047 encoded word"),
	S("MIME_HEADER_NO_COLON", 1.0, SPAM, "a header line without a colon"),
	S("MIME_DUPLICATE_HEADER", 1.0, SPAM, "From, To, Subject, Date... twice"),
	S("MIME_MISSING_BOUNDARY", 1.0, SPAM, "multipart without a boundary parameter"),
	S("MIME_BOUNDARY_NOT_FOUND", 1.0, SPAM, "the declared boundary never appears"),
	S("MIME_UNTERMINATED_MULTIPART", 0.5, SPAM, "closing boundary missing"),
	S("MIME_BAD_BASE64", 1.0, SPAM, "invalid base64"),
	S("MIME_BAD_QP", 0.5, SPAM, "invalid quoted-printable escape"),
	S("MIME_DEPTH_LIMIT", 2.0, SPAM, "nesting deeper than the limit"),
	S("MIME_PARTS_LIMIT", 2.0, SPAM, "more parts than the limit"),
	S("MIME_DECODED_LIMIT", 1.0, SPAM, "more decoded bytes than the limit"),
	S("MIME_TRUNCATED", 1.0, SPAM, "the message ends inside a header section"),
	S("MIME_NUL_BYTES", 1.0, SPAM, "NUL bytes in the message"),
	S("MIME_UNKNOWN_CHARSET", 0.5, SPAM, "declared charset unknown"),
	S("MIME_WRONG_CHARSET", 0.5, SPAM, "declared charset does not fit the bytes"),
	S("MIME_UNKNOWN_ENCODING", 1.0, SPAM, "unknown Content-Transfer-Encoding"),
	S("MIME_8BIT_IN_7BIT", 0.2, SPAM, "8-bit body declared 7bit"),
	S("MIME_UUENCODE", 1.0, MALWARE, "uuencoded block in a text body"),
	S("MIME_BAD_CONTENT_TYPE", 1.0, SPAM, "unparsable Content-Type"),
	S("MIME_EMPTY_MESSAGE", 1.0, SPAM, "no body at all"),
	S("MIME_NO_HEADERS", 2.0, SPAM, "no header fields"),
	S("MIME_ANOMALY_FAIL", 0.0, CLEAN, "the mime_anomaly check failed or timed out"),
	/* hidden_text.c: one per enum html_hidden, and the ratio */
	S("HTML_HIDDEN_DISPLAY_NONE", 0.3, SPAM, "text hidden with display:none"),
	S("HTML_HIDDEN_VISIBILITY", 0.5, SPAM, "text hidden with visibility or the hidden attribute"),
	S("HTML_HIDDEN_FONT_SIZE", 0.5, SPAM, "text in a zero or tiny font"),
	S("HTML_HIDDEN_OPACITY", 1.0, SPAM, "text with opacity 0"),
	S("HTML_HIDDEN_SAME_COLOR", 1.5, SPAM, "text coloured as its background"),
	S("HTML_HIDDEN_OFFSCREEN", 1.5, SPAM, "text positioned off screen"),
	S("HTML_HIDDEN_ZERO_SIZE", 0.5, SPAM, "text in a zero-sized box"),
	S("HTML_HIDDEN_ZERO_WIDTH", 2.0, PHISHING, "zero-width characters inside text"),
	S("HTML_HIDDEN_BIDI", 2.0, PHISHING, "bidi control characters inside text"),
	S("HTML_HIDDEN_COMMENT", 1.5, SPAM, "comments between the letters of a word"),
	S("HTML_HIDDEN_RATIO", 2.0, SPAM, "much more hidden text than visible text"),
	S("HIDDEN_TEXT_FAIL", 0.0, CLEAN, "the hidden_text check failed or timed out"),
	/* attach_type.c: one per enum attach_flag worth a score */
	S("ATT_TYPE_MISMATCH", 3.0, MALWARE, "the real type does not fit the extension"),
	S("ATT_DOUBLE_EXT", 3.0, MALWARE, "a double extension such as .pdf.exe"),
	S("ATT_RTLO", 5.0, MALWARE, "a bidi control character in the file name"),
	S("ATT_DANGEROUS_EXT", 4.0, MALWARE, "an executable or script extension"),
	S("ATT_EXECUTABLE", 5.0, MALWARE, "the real type is an executable or a script"),
	S("ATT_ENCRYPTED", 2.0, MALWARE, "an encrypted archive (or member)"),
	/* what a bomb holds was never scanned: held, like an unscannable file */
	{ "ATT_BOMB", 6.0, MG_CAT_MALWARE, MG_VERDICT_QUARANTINE,
	  "an archive past the expansion ratio or size limit" },
	S("ATT_DEPTH_LIMIT", 1.0, MALWARE, "archives nested deeper than the limit"),
	S("ATT_CORRUPT_ARCHIVE", 1.0, MALWARE, "an archive that cannot be read to its end"),
	{ "ATT_PASSWORD_IN_BODY", 6.0, MG_CAT_DANGEROUS, MG_VERDICT_QUARANTINE,
	  "an encrypted archive with a password candidate in the message's text" },
	S("ATTACH_TYPE_FAIL", 0.0, CLEAN, "the attach_type check failed or timed out"),
};

const size_t symbol_ndefaults = sizeof(symbol_defaults) / sizeof(symbol_defaults[0]);
