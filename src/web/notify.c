#include "web/notify.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/mail.h"
#include "domain/notify.h"
#include "domain/notify_text.h"
#include "domain/people.h"
#include "http/async.h"
#include "http/identity.h"
#include "http/response.h"
#include "http/worker.h"
#include "web/page.h"
#include "web/template.h"

#define FEED_LIMIT 50

static store_reader_t *reader(request_t *r)
{
    return r->worker->store_reader;
}

typedef enum digest_offer { DIGEST_NONE = 0, DIGEST_NO_EMAIL, DIGEST_BAD_EMAIL, DIGEST_OFFERED } digest_offer_t;

/* Whether this person may ask for the digest; *email gets their address. */
static int digest_offer(request_t *r, const principal_t *p, str_t *email)
{
    *email = STR("");
    if (!r->app->config->smtp_url[0])
        return DIGEST_NONE;
    person_t me;
    int rc = person_get(STORE_READER(reader(r)), &r->arena, p->person_id, &me);
    if (rc < 0)
        return rc;
    if (rc == 0 || !me.email.len)
        return DIGEST_NO_EMAIL;
    *email = me.email;
    return mail_address_valid(me.email) ? DIGEST_OFFERED : DIGEST_BAD_EMAIL;
}

static void notify_page(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    notify_item_t *items;
    int64_t seen_at;
    str_t email;
    bool digest_on = false;
    int n = notify_feed(reader(r), &r->arena, p, date_today(), clock_now(), FEED_LIMIT, &items, &seen_at);
    int offer = n < 0 ? n : digest_offer(r, p, &email);
    if (offer == DIGEST_OFFERED && notify_digest_get(STORE_READER(reader(r)), p->person_id, &digest_on) < 0)
        offer = STORE_ERROR;
    if (n < 0 || offer < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    value_t *v = value_map(&r->arena);
    value_t *list = value_set_list(v, "items");
    int unseen = 0, unread_messages = 0;
    for (int i = 0; i < n; i++) {
        const notify_item_t *it = &items[i];
        value_t *m = value_map(&r->arena);
        buf_t text;
        buf_init(&text, &r->arena, 128);
        notify_text_line(&text, (lang_id_t)r->lang, p, it);
        value_set_str(m, "text", buf_str(&text));
        value_set_cstr(m, "href", notify_text_path(&r->arena, it));
        value_set_cstr(m, "kind", notify_kind_code(it->kind));
        value_set_cstr(m, "when", page_instant_label(r, it->at));
        value_set_bool(m, "unseen", it->unseen);
        value_push(list, m);
        if (it->unseen && it->kind == NOTIFY_MESSAGE)
            unread_messages++;
        else if (it->unseen)
            unseen++;
    }
    value_set_int(v, "unseen", unseen);
    value_set_bool(v, "unread_messages", unread_messages > 0);
    if (request_query(r, "seen").ptr)
        value_set_cstr(v, "notice", i18n_text((lang_id_t)r->lang, MSG_notify_seen_done));
    else if (request_query(r, "saved").ptr)
        value_set_cstr(v, "notice", i18n_text((lang_id_t)r->lang, MSG_notify_digest_saved));
    if (offer == DIGEST_OFFERED) {
        value_t *d = value_set_map(v, "digest");
        value_set_str(d, "email", email);
        value_set_bool(d, "on", digest_on);
    }
    value_set_bool(v, "digest_section", offer != DIGEST_NONE);
    value_set_bool(v, "digest_no_email", offer == DIGEST_NO_EMAIL);
    value_set_bool(v, "digest_unavailable", offer == DIGEST_BAD_EMAIL);
    page_render(r, 200, TPL_notify_list, v);
}

/* ---- writes ---- */

typedef struct notify_job {
    int64_t person_id, now;
    bool email_digest;
    const char *next;
} notify_job_t;

static void notify_written(request_t *r, void *ud, int status)
{
    notify_job_t *j = ud;
    if (status < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    respond_redirect(r, 303, str_from(j->next));
}

static int seen_write(store_tx_t *tx, void *ud)
{
    notify_job_t *j = ud;
    return notify_mark_seen(tx, j->person_id, j->now);
}

/* A write for the signed-in person from a form: the job, or NULL when the
 * request has been answered (not signed in, bad form or CSRF token). */
static notify_job_t *form_job(request_t *r, form_t **form)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return NULL;
    *form = request_form(r);
    if (!*form)
        return NULL;
    notify_job_t *j = ARENA_NEW(&r->arena, notify_job_t);
    j->person_id = p->person_id;
    j->now = clock_now();
    return j;
}

static void seen_submit(request_t *r)
{
    form_t *form;
    notify_job_t *j = form_job(r, &form);
    if (!j)
        return;
    j->next = "/notifications?seen=1";
    if (request_store_write(r, seen_write, j, notify_written) != 0)
        respond_error(r, 503, MSG_error_unavailable, NULL);
}

static int settings_write(store_tx_t *tx, void *ud)
{
    notify_job_t *j = ud;
    return notify_digest_set(tx, j->person_id, j->email_digest);
}

static void settings_submit(request_t *r)
{
    form_t *form;
    notify_job_t *j = form_job(r, &form);
    if (!j)
        return;
    str_t on = form_get(form, "email_digest");
    if (on.ptr && !str_eq_cstr(on, "1")) {
        respond_error(r, 400, MSG_error_bad_input, "email_digest");
        return;
    }
    str_t email;
    int offer = digest_offer(r, r->principal, &email);
    if (offer < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    /* Switching it off is always allowed; on needs mail and an address. */
    if (on.ptr && offer != DIGEST_OFFERED) {
        respond_error(r, 409, offer == DIGEST_NO_EMAIL ? MSG_notify_digest_no_email : MSG_notify_digest_unavailable,
                      NULL);
        return;
    }
    j->email_digest = on.ptr != NULL;
    j->next = "/notifications?saved=1";
    LOG_INFO("e-mail digest setting", "person=%lld on=%d", (long long)j->person_id, (int)j->email_digest);
    if (request_store_write(r, settings_write, j, notify_written) != 0)
        respond_error(r, 503, MSG_error_unavailable, NULL);
}

int notify_register_routes(router_t *router, char *err, size_t errlen)
{
    if (!router_add(router, "GET", "/notifications", HANDLER(notify_page), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/notifications/seen", HANDLER(seen_submit), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/notifications/settings", HANDLER(settings_submit), NULL, 0, err, errlen))
        return -1;
    return 0;
}
