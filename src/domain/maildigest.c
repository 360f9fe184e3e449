#include "domain/maildigest.h"

#include <sodium.h>
#include <string.h>

#include "core/mail.h"
#include "domain/notify_text.h"
#include "web/template.h"

static void fill_person(arena_t *a, const store_row_t *row, void *item)
{
    maildigest_person_t *p = item;
    p->id = store_row_int(row, 0);
    p->email = store_row_text_copy(row, 1, a);
    p->first_name = store_row_text_copy(row, 2, a);
    p->last_name = store_row_text_copy(row, 3, a);
    p->last_digest_at = store_row_int(row, 4);
}

int maildigest_candidates(store_reader_t *r, arena_t *a, int64_t after_id, int limit, maildigest_person_t **out)
{
    return store_list(STORE_READER(r), a,
                      "SELECT p.id, p.email, p.first_name, p.last_name, n.last_digest_at "
                      "FROM notification_settings n JOIN people p ON p.id = n.person_id "
                      "WHERE n.email_digest = 1 AND p.email <> '' AND p.disabled = 0 AND p.id > ? "
                      "ORDER BY p.id LIMIT ?",
                      STORE_ARGS(SA_INT(after_id), SA_INT(limit)), sizeof **out, fill_person, (void **)out);
}

int maildigest_items(store_reader_t *r, arena_t *a, const principal_t *p, date_t today, int64_t now, int64_t since,
                     notify_item_t **out)
{
    notify_item_t *items;
    int64_t seen_at;
    int n = notify_feed(r, a, p, today, now, MAILDIGEST_FEED_LIMIT, &items, &seen_at);
    if (n < 0)
        return n;
    int kept = 0;
    for (int i = 0; i < n; i++)
        if (items[i].unseen && items[i].at > since && items[i].at <= now)
            items[kept++] = items[i];
    *out = items;
    return kept;
}

int maildigest_record(store_tx_t *tx, int64_t person_id, int64_t at)
{
    return store_tx_exec(tx, "UPDATE notification_settings SET last_digest_at = ? WHERE person_id = ?",
                         STORE_ARGS(SA_INT(at), SA_INT(person_id)));
}

static void put_format(buf_t *b, lang_id_t lang, msg_id_t id, const char *arg)
{
    const char *args[1] = {arg};
    i18n_format(b, lang, id, args, 1);
}

static void compose_body(buf_t *b, arena_t *a, const maildigest_mail_t *m)
{
    const char *first = arena_strndup(a, m->who->first_name.ptr ? m->who->first_name.ptr : "", m->who->first_name.len);
    put_format(b, m->lang, MSG_notify_mail_greeting, first);
    buf_puts(b, "\n\n");
    buf_puts(b, i18n_text(m->lang, MSG_notify_mail_intro));
    buf_puts(b, "\n\n");
    int shown = m->nitems < MAILDIGEST_MAX_LINES ? m->nitems : MAILDIGEST_MAX_LINES;
    for (int i = 0; i < shown; i++) {
        buf_puts(b, "- ");
        notify_text_line(b, m->lang, m->who, &m->items[i]);
        buf_putc(b, '\n');
        if (m->base_url.len) {
            buf_puts(b, "  ");
            buf_append_str(b, m->base_url);
            buf_puts(b, notify_text_path(a, &m->items[i]));
            buf_putc(b, '\n');
        }
    }
    if (m->nitems > shown) {
        buf_putc(b, '\n');
        put_format(b, m->lang, MSG_notify_mail_more, arena_printf(a, "%d", m->nitems - shown));
        buf_putc(b, '\n');
    }
    if (m->base_url.len) {
        buf_putc(b, '\n');
        put_format(b, m->lang, MSG_notify_mail_see_all,
                   arena_printf(a, "%.*s/notifications", (int)m->base_url.len, m->base_url.ptr));
        buf_putc(b, '\n');
    }
    buf_puts(b, "\n-- \n");
    buf_puts(b, i18n_text(m->lang, MSG_notify_mail_footer));
    buf_putc(b, '\n');
}

void maildigest_compose(buf_t *out, const maildigest_mail_t *m)
{
    arena_t a;
    arena_init(&a, NULL);
    buf_t subject;
    buf_init(&subject, &a, 128);
    put_format(&subject, m->lang, MSG_notify_mail_subject, arena_printf(&a, "%d", m->nitems));

    mail_put_header_mailbox(out, "From", m->from_name, m->from_addr);
    mail_put_header_mailbox(out, "To", m->to_name, m->to_addr);
    mail_put_header_text(out, "Subject", buf_str(&subject));
    mail_put_header_date(out, m->date);
    buf_puts(out, "Message-ID: <");
    buf_append_str(out, m->message_id);
    buf_puts(out, ">\r\n"
                  "MIME-Version: 1.0\r\n"
                  "Content-Type: text/plain; charset=utf-8\r\n"
                  "Content-Transfer-Encoding: quoted-printable\r\n"
                  "Auto-Submitted: auto-generated\r\n"
                  "\r\n");
    buf_t body;
    buf_init(&body, &a, 2048);
    compose_body(&body, &a, m);
    mail_put_body_qp(out, buf_str(&body));
    arena_free(&a);
}

const char *maildigest_message_id(arena_t *a, int64_t person_id, int64_t now, str_t from_addr)
{
    const char *at = from_addr.ptr ? memchr(from_addr.ptr, '@', from_addr.len) : NULL;
    str_t domain = at ? str_slice(from_addr, (size_t)(at - from_addr.ptr) + 1, from_addr.len) : STR("localhost");
    unsigned char rnd[8];
    randombytes_buf(rnd, sizeof rnd);
    char hex[sizeof rnd * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
    return arena_printf(a, "cartable.digest.%lld.%lld.%s@%.*s", (long long)person_id, (long long)now, hex,
                        (int)domain.len, domain.ptr);
}
