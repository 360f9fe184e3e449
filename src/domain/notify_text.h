/* notify_text: how a feed item (domain/notify.h) reads in a language and where
 * it leads — the one wording the notifications page and the e-mail digest share.
 *
 * Contract:
 * - notify_text_line appends one line of plain text: no line break (any in the
 *   data becomes a space), not escaped (the template or the mail encoding does
 *   that). An item about one of a parent's children starts with the child's
 *   first name, so a parent of two knows whose mark it is.
 * - notify_text_path gives the site path of the page that tells more:
 *   /messages/{id}, /homework/{id}, /pupils/{id}/grades, /news/{id},
 *   /pupils/{id}/absences.
 */
#ifndef CARTABLE_DOMAIN_NOTIFY_TEXT_H
#define CARTABLE_DOMAIN_NOTIFY_TEXT_H

#include "auth/principal.h"
#include "core/buf.h"
#include "domain/notify.h"
#include "web_generated.h"

void notify_text_line(buf_t *out, lang_id_t lang, const principal_t *p, const notify_item_t *it);
const char *notify_text_path(arena_t *a, const notify_item_t *it);

#endif
