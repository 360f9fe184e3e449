/* maildigest: a person's e-mail digest — who gets one, what it lists, and the
 * mail itself. The sending is http/mailer.h's.
 *
 * Contract:
 * - A digest goes to a person who asked for it (notification_settings.email_digest,
 *   domain/notify.h), whose account is not disabled and whose e-mail address is
 *   one we send to (core/mail.h), and lists the feed's unseen items (notify_feed)
 *   newer than their last digest. Nothing new: no mail, nothing recorded.
 * - maildigest_record moves last_digest_at; the sender calls it only once the
 *   mail server has accepted the mail, with the instant the items were read at,
 *   so a failure is tried again next round and nothing that happened meanwhile is
 *   skipped.
 * - maildigest_compose writes a whole message (core/mail.h's encodings): From,
 *   To, Subject, Date, Message-ID, MIME-Version, Content-Type text/plain;
 *   charset=utf-8, Content-Transfer-Encoding quoted-printable, Auto-Submitted,
 *   then the body in the person's language: a greeting, one line per item (at
 *   most MAILDIGEST_MAX_LINES, then how many more) with its link when the
 *   site's public address is known, and how to stop the digest.
 */
#ifndef CARTABLE_DOMAIN_MAILDIGEST_H
#define CARTABLE_DOMAIN_MAILDIGEST_H

#include <stdint.h>

#include "auth/principal.h"
#include "core/arena.h"
#include "core/buf.h"
#include "domain/notify.h"
#include "store/store.h"
#include "web_generated.h"

#define MAILDIGEST_MAX_LINES 30
/* Items read from the feed for one digest. */
#define MAILDIGEST_FEED_LIMIT 100

typedef struct maildigest_person {
    int64_t id;
    str_t email, first_name, last_name;
    int64_t last_digest_at;
} maildigest_person_t;

/* People who asked for a digest and have an e-mail address, by increasing id
 * after after_id, at most limit: the count, or a negative status. */
int maildigest_candidates(store_reader_t *r, arena_t *a, int64_t after_id, int limit, maildigest_person_t **out);
/* The feed's unseen items that happened after `since` and by `now`, newest
 * first: count or negative. (Something stamped later than now is told once its
 * time has come, so recording the newest item told never skips it.) */
int maildigest_items(store_reader_t *r, arena_t *a, const principal_t *p, date_t today, int64_t now, int64_t since,
                     notify_item_t **out);
int maildigest_record(store_tx_t *tx, int64_t person_id, int64_t at);

typedef struct maildigest_mail {
    str_t from_name, from_addr;
    str_t to_name, to_addr;
    lang_id_t lang;
    int64_t date;
    str_t message_id;  /* "id@domain", without the angle brackets */
    str_t base_url;    /* "https://ent.example.org" (no trailing slash); empty: no links */
    const principal_t *who; /* whose children the items may be about */
    const notify_item_t *items;
    int nitems;
} maildigest_mail_t;

void maildigest_compose(buf_t *out, const maildigest_mail_t *m);
/* "cartable.digest.<person>.<time>.<random>@<the sender's domain>". */
const char *maildigest_message_id(arena_t *a, int64_t person_id, int64_t now, str_t from_addr);

#endif
