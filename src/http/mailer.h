/* mailer: the thread that sends e-mail digests (domain/maildigest.h) through
 * an SMTP server, with libcurl.
 *
 * Contract:
 * - mailer_start starts one thread when smtp_url is set (*out is NULL when it
 *   is not: no e-mail is sent). It never runs on an event loop and shares
 *   nothing with the workers: its own store reader, curl handles and memory.
 * - Every digest_period (the first one digest_period after start) it goes over
 *   the people maildigest_candidates lists, sends each a digest when something
 *   is new, and records it (store_write_sync) only after the server accepted
 *   the mail. A refusal is logged and the person is tried again next period; a
 *   server that cannot be reached ends the round, logged once, and the next
 *   round tries again.
 * - mailer_stop wakes the thread and joins it: a transfer in progress is
 *   abandoned at once (curl_multi_wakeup), so stopping never waits for a mail
 *   server. Call it before store_close.
 */
#ifndef CARTABLE_HTTP_MAILER_H
#define CARTABLE_HTTP_MAILER_H

#include <stddef.h>

#include "core/config.h"
#include "store/store.h"

typedef struct mailer mailer_t;

/* 0 (with *out NULL when smtp_url is empty), or -1 with a message in err. */
int mailer_start(const config_t *cfg, store_t *store, mailer_t **out, char *err, size_t errlen);
void mailer_stop(mailer_t *m);

#endif
