/* template: renders a compiled template (see tools/webgen.c) into a buffer.
 *
 * Contract:
 * - Every substitution is escaped as the template compiler decided from its
 *   place in the HTML: text and attributes are HTML-escaped, a whole URL
 *   attribute loses any scheme but http, https, mailto and tel, a URL part is
 *   percent-encoded. There is no way to print raw HTML from a value.
 * - Names are looked up in the innermost scope first: the current {{#each}}
 *   item, then the view, then the site scope (language, school, user).
 * - Rendering never fails: a missing name renders as nothing and is false.
 * Messages: i18n_text(lang, MSG_x) gives a catalogue text; i18n_format
 * substitutes {0}..{9} with the given strings (no escaping: for plain text).
 */
#ifndef CARTABLE_WEB_TEMPLATE_H
#define CARTABLE_WEB_TEMPLATE_H

#include "core/buf.h"
#include "core/value.h"
#include "web_generated.h"

void tpl_render(buf_t *out, tpl_id_t id, const value_t *site, const value_t *view, lang_id_t lang);
/* The same over any compiled set (tests compile their own). */
void tpl_render_set(const tpl_set_t *set, buf_t *out, unsigned id, const value_t *site, const value_t *view,
                    unsigned lang);

const char *i18n_text(lang_id_t lang, msg_id_t id);
void i18n_format(buf_t *out, lang_id_t lang, msg_id_t id, const char *const *args, int nargs);
/* "fr" -> LANG_FR; returns -1 for a language Cartable lacks. */
int i18n_lang_from_code(str_t code);
const char *i18n_lang_code(lang_id_t lang);

/* Escapers, shared with code that writes attributes or URLs itself.
 * html_escape is safe in text and in quoted attributes; html_escape_text only in text. */
void html_escape(buf_t *out, const char *s, size_t n);
void html_escape_text(buf_t *out, const char *s, size_t n);
void url_escape_component(buf_t *out, const char *s, size_t n);
/* True if the URL is relative or uses http, https, mailto or tel. */
bool url_scheme_safe(const char *s, size_t n);

#endif
