/* E-mail digests: addresses, header and body encodings (RFC 5322, 2047, 2045),
 * the composed message, who gets a digest and what it lists, and the mail
 * settings' checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/principal.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/mail.h"
#include "domain/maildigest.h"
#include "domain/notify.h"
#include "domain/people.h"
#include "store/store.h"

#include "demo_fixture.h"

/* ---- helpers: read back what was written ---- */

/* Every line ends with CRLF, none is longer than max, and there is no other CR or LF. */
static void assert_lines(const char *s, size_t max)
{
    size_t col = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '\r') {
            assert_int_equal(p[1], '\n');
            p++;
            col = 0;
            continue;
        }
        assert_int_not_equal(*p, '\n');
        col++;
        if (col > max)
            fail_msg("line longer than %zu bytes in:\n%s", max, s);
    }
    assert_int_equal(col, 0); /* ends with CRLF */
}

/* Decodes a header value's encoded-words (as a reader would: whitespace between
 * adjacent words dropped), checking each word holds whole UTF-8 characters. */
static char *decode_words(const char *value)
{
    static char out[4096];
    size_t n = 0;
    const char *p = value;
    while (*p) {
        if (strncmp(p, "=?UTF-8?B?", 10) == 0) {
            const char *start = p + 10, *end = strstr(start, "?=");
            assert_non_null(end);
            unsigned char bin[256];
            size_t len;
            assert_int_equal(sodium_base642bin(bin, sizeof bin, start, (size_t)(end - start), NULL, &len, NULL,
                                               sodium_base64_VARIANT_ORIGINAL),
                             0);
            assert_true(utf8_valid((const char *)bin, len));
            memcpy(out + n, bin, len);
            n += len;
            p = end + 2;
            const char *q = p;
            while (*q == '\r' || *q == '\n' || *q == ' ')
                q++;
            if (strncmp(q, "=?", 2) == 0)
                p = q;
            continue;
        }
        out[n++] = *p++;
    }
    out[n] = '\0';
    return out;
}

static char *decode_qp(const char *s)
{
    static char out[65536];
    size_t n = 0;
    for (const char *p = s; *p;) {
        if (p[0] == '=' && p[1] == '\r' && p[2] == '\n') {
            p += 3;
        } else if (p[0] == '=') {
            char hex[3] = {p[1], p[2], 0};
            out[n++] = (char)strtol(hex, NULL, 16);
            p += 3;
        } else if (p[0] == '\r' && p[1] == '\n') {
            out[n++] = '\n';
            p += 2;
        } else {
            out[n++] = *p++;
        }
    }
    out[n] = '\0';
    return out;
}

static const char *header(buf_t *b, void (*put)(buf_t *, const char *, str_t), const char *name, const char *value)
{
    buf_clear(b);
    put(b, name, str_from(value));
    return b->data;
}

/* ---- addresses ---- */

static void addresses(void **state)
{
    (void)state;
    const char *good[] = {"a@b.c", "lea.dupont@example.org", "x+tag@sub.example.fr", "o'neil@example.ie",
                          "a_b-c@x-y.example", "root@localhost"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        assert_true(mail_address_valid(str_from(good[i])));
    const char *bad[] = {"", "a", "@b.c", "a@", "a@@b.c", "a@b@c", "a b@c.d", "a@b c.d", ".a@b.c", "a.@b.c",
                         "a..b@c.d", "a@-b.c", "a@b-.c", "a@b..c", "a@.b", "élodie@example.org", "a@exämple.org",
                         "a@b.c\r\nBcc: x@y.z", "a@b.c>", "<a@b.c>", "\"a\"@b.c", "a@[127.0.0.1]", "a\t@b.c"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(mail_address_valid(str_from(bad[i])));
    char longlocal[80];
    memset(longlocal, 'a', 65);
    strcpy(longlocal + 65, "@b.c");
    assert_false(mail_address_valid(str_from(longlocal)));
    longlocal[1] = '@';
    longlocal[2] = '\0';
    assert_false(mail_address_valid(str_from(longlocal)));
    char big[300];
    memset(big, 'a', sizeof big);
    memcpy(big, "a@", 2);
    for (size_t i = 10; i < 290; i += 10)
        big[i] = '.';
    big[299] = '\0';
    assert_false(mail_address_valid(str_from(big))); /* more than 254 bytes */

    str_t name, addr;
    assert_int_equal(mail_mailbox_parse(STR("ent@example.org"), &name, &addr), 0);
    assert_int_equal(name.len, 0);
    assert_true(str_eq_cstr(addr, "ent@example.org"));
    assert_int_equal(mail_mailbox_parse(STR("  Cartable Démo <ent@example.org> "), &name, &addr), 0);
    assert_true(str_eq_cstr(name, "Cartable Démo"));
    assert_true(str_eq_cstr(addr, "ent@example.org"));
    assert_int_equal(mail_mailbox_parse(STR("\"Collège J. Moulin\" <ent@example.org>"), &name, &addr), 0);
    assert_true(str_eq_cstr(name, "Collège J. Moulin"));
    assert_int_equal(mail_mailbox_parse(STR("<ent@example.org>"), &name, &addr), 0);
    assert_int_equal(name.len, 0);
    const char *bad_boxes[] = {"", "not an address", "Name <bad>", "Name <a@b.c", "Name a@b.c>", "Na\"me <a@b.c>",
                               "Na\\me <a@b.c>", "Na\nme <a@b.c>", "Name <a@b.c> x", "Name\xff <a@b.c>"};
    for (size_t i = 0; i < sizeof bad_boxes / sizeof *bad_boxes; i++)
        assert_int_equal(mail_mailbox_parse(str_from(bad_boxes[i]), &name, &addr), -1);
}

/* ---- headers ---- */

static void header_text(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b, NULL, 256);
    /* plain ASCII that fits stays as it is */
    assert_string_equal(header(&b, mail_put_header_text, "Subject", "Cartable: 3 new item(s)"),
                        "Subject: Cartable: 3 new item(s)\r\n");
    assert_string_equal(header(&b, mail_put_header_text, "Subject", ""), "Subject: \r\n");
    /* UTF-8 becomes encoded-words that decode back to it */
    const char *h = header(&b, mail_put_header_text, "Subject", "Cartable : 2 nouveauté(s)");
    assert_lines(h, MAIL_LINE_MAX);
    assert_true(strncmp(h, "Subject: =?UTF-8?B?", 19) == 0);
    assert_string_equal(decode_words(h + 9), "Cartable : 2 nouveauté(s)\r\n");
    /* long text is folded, one word per line, never splitting a character */
    char longtext[1200] = "";
    for (int i = 0; i < 100; i++)
        strcat(longtext, i % 3 ? "é" : "€ 漢");
    h = header(&b, mail_put_header_text, "Subject", longtext);
    assert_lines(h, MAIL_LINE_MAX);
    assert_non_null(strstr(h, "?=\r\n =?UTF-8?B?"));
    char expect[1300];
    snprintf(expect, sizeof expect, "%s\r\n", longtext);
    assert_string_equal(decode_words(h + 9), expect);
    /* long ASCII too */
    char ascii[300];
    memset(ascii, 'x', 299);
    ascii[299] = '\0';
    h = header(&b, mail_put_header_text, "Subject", ascii);
    assert_lines(h, MAIL_LINE_MAX);
    snprintf(expect, sizeof expect, "%s\r\n", ascii);
    assert_string_equal(decode_words(h + 9), expect);
    /* a line break in the value cannot start a header of its own */
    h = header(&b, mail_put_header_text, "Subject", "Hello\r\nBcc: victim@example.org");
    assert_lines(h, MAIL_LINE_MAX);
    assert_null(strstr(h, "\r\nBcc"));
    assert_string_equal(decode_words(h + 9), "Hello  Bcc: victim@example.org\r\n");
    /* text that looks like an encoded-word is encoded, so it reads as typed */
    h = header(&b, mail_put_header_text, "Subject", "=?UTF-8?B?SGk=?=");
    assert_string_equal(decode_words(h + 9), "=?UTF-8?B?SGk=?=\r\n");
    buf_dispose(&b);
}

static void mailbox(buf_t *b, const char *display, const char *addr)
{
    buf_clear(b);
    mail_put_header_mailbox(b, "To", str_from(display), str_from(addr));
    assert_lines(b->data, MAIL_LINE_MAX);
}

static void header_mailbox(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b, NULL, 256);
    mailbox(&b, "", "lea@example.org");
    assert_string_equal(b.data, "To: lea@example.org\r\n");
    mailbox(&b, "Lea Dupont", "lea@example.org");
    assert_string_equal(b.data, "To: Lea Dupont <lea@example.org>\r\n");
    mailbox(&b, "M. Martin", "m@example.org");
    assert_string_equal(b.data, "To: \"M. Martin\" <m@example.org>\r\n");
    mailbox(&b, "A \"quoted\" \\ name", "m@example.org");
    assert_string_equal(b.data, "To: \"A \\\"quoted\\\" \\\\ name\" <m@example.org>\r\n");
    mailbox(&b, "Élodie Le Gall", "elodie@example.org");
    assert_true(strncmp(b.data, "To: =?UTF-8?B?", 14) == 0);
    assert_string_equal(decode_words(b.data + 4), "Élodie Le Gall <elodie@example.org>\r\n");
    /* a long name folds as encoded-words; the address stays whole */
    char name[400] = "";
    for (int i = 0; i < 30; i++)
        strcat(name, "Anne-Sophie ");
    strcat(name, "Dupont");
    mailbox(&b, name, "a@example.org");
    char expect[500];
    snprintf(expect, sizeof expect, "%s <a@example.org>\r\n", name);
    assert_string_equal(decode_words(b.data + 4), expect);
    buf_dispose(&b);
}

static void header_date(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b, NULL, 64);
    mail_put_header_date(&b, 1764547200);
    assert_string_equal(b.data, "Date: Mon, 01 Dec 2025 00:00:00 +0000\r\n");
    buf_clear(&b);
    mail_put_header_date(&b, 951782400 + 13 * 3600 + 5 * 60 + 9);
    assert_string_equal(b.data, "Date: Tue, 29 Feb 2000 13:05:09 +0000\r\n");
    buf_dispose(&b);
}

/* ---- quoted-printable ---- */

static void qp_round_trip(const char *text, const char *expect_decoded)
{
    buf_t b;
    buf_init(&b, NULL, 256);
    mail_put_body_qp(&b, str_from(text));
    assert_lines(b.data, 76);
    for (const char *p = b.data; *p; p++)
        assert_true((unsigned char)*p < 0x80);
    /* no line starts with a dot, and none ends with a space or a tab */
    assert_true(b.data[0] != '.');
    assert_null(strstr(b.data, "\n."));
    assert_null(strstr(b.data, " \r\n"));
    assert_null(strstr(b.data, "\t\r\n"));
    assert_string_equal(decode_qp(b.data), expect_decoded);
    buf_dispose(&b);
}

static void body_quoted_printable(void **state)
{
    (void)state;
    const char *text = "Bonjour Élodie,\n\n- Travail à faire : 1 + 1 = 2\n";
    qp_round_trip(text, text);
    qp_round_trip(".\n..\n.leading dot\n", ".\n..\n.leading dot\n");
    qp_round_trip("-- \ntrailing tab\t\nCRLF too\r\nlast line without break",
                  "-- \ntrailing tab\t\nCRLF too\nlast line without break\n");
    /* long lines get soft breaks, never inside an escape */
    char longline[3000] = "";
    for (int i = 0; i < 120; i++)
        strcat(longline, i % 2 ? "été=" : "a. b ");
    char expect[3100];
    snprintf(expect, sizeof expect, "%s\n", longline);
    qp_round_trip(longline, expect);
    buf_t b;
    buf_init(&b, NULL, 64);
    mail_put_body_qp(&b, STR("caf\xc3\xa9 = 1 \n"));
    assert_string_equal(b.data, "caf=C3=A9 =3D 1=20\r\n");
    buf_clear(&b);
    mail_put_body_qp(&b, STR("."));
    assert_string_equal(b.data, "=2E\r\n");
    buf_clear(&b);
    mail_put_body_qp(&b, STR(""));
    assert_string_equal(b.data, "");
    buf_dispose(&b);
}

/* ---- the composed digest ---- */

static notify_item_t item(notify_kind_t kind, int64_t at, int64_t ref, int64_t pupil, const char *title,
                          const char *detail, int count)
{
    return (notify_item_t){.kind = kind, .at = at, .ref_id = ref, .pupil_id = pupil, .title = str_from(title),
                           .detail = str_from(detail), .count = count, .unseen = true};
}

static char *compose(const maildigest_mail_t *m, buf_t *b)
{
    buf_clear(b);
    maildigest_compose(b, m);
    /* the whole message: CRLF, at most 78 bytes a line, 7-bit */
    assert_lines(b->data, MAIL_LINE_MAX);
    for (const char *p = b->data; *p; p++)
        assert_true((unsigned char)*p < 0x80);
    char *body = strstr(b->data, "\r\n\r\n");
    assert_non_null(body);
    return body + 4;
}

static void composed_digest(void **state)
{
    (void)state;
    child_info_t child = {.person = {.id = 77, .first_name = STR("Léa")}};
    principal_t parent = {.person_id = 5, .first_name = STR("Sophie"), .children = &child, .nchildren = 1};
    notify_item_t items[40];
    items[0] = item(NOTIFY_MESSAGE, 1764590000, 12, 0, "Sortie au musée", "Nadia Benali", 2);
    items[1] = item(NOTIFY_MARK, 1764580000, 300, 77, "Contrôle\nfractions", "Mathématiques", 0);
    items[2] = item(NOTIFY_HOMEWORK, 1764570000, 41, 77, "Exercices 3 et 4", "Mathématiques", 0);
    items[3] = item(NOTIFY_NEWS, 1764560000, 9, 0, "Fête de l'école", "Claire Dubois", 0);
    items[4] = item(NOTIFY_ABSENCE, 1764550000, 77, 77, "", "", 3);
    maildigest_mail_t m = {.from_name = STR("Cartable Démo"), .from_addr = STR("ent@example.org"),
                           .to_name = STR("Sophie Martin"), .to_addr = STR("sophie@example.org"),
                           .lang = LANG_FR, .date = 1764547200, .message_id = STR("cartable.digest.5.1.ab@example.org"),
                           .base_url = STR("https://ent.example.org"), .who = &parent, .items = items, .nitems = 5};
    buf_t b;
    buf_init(&b, NULL, 4096);
    char *body = compose(&m, &b);
    const char *headers[] = {"\r\nSubject: =?UTF-8?B?", "\r\nDate: Mon, 01 Dec 2025 00:00:00 +0000\r\n",
                             "\r\nMessage-ID: <cartable.digest.5.1.ab@example.org>\r\n", "\r\nMIME-Version: 1.0\r\n",
                             "\r\nContent-Type: text/plain; charset=utf-8\r\n",
                             "\r\nContent-Transfer-Encoding: quoted-printable\r\n",
                             "\r\nAuto-Submitted: auto-generated\r\n"};
    for (size_t i = 0; i < sizeof headers / sizeof *headers; i++)
        assert_non_null(strstr(b.data, headers[i]));
    assert_true(strncmp(b.data, "From: =?UTF-8?B?", 16) == 0);
    assert_non_null(strstr(b.data, "?= <ent@example.org>\r\nTo: Sophie Martin <sophie@example.org>\r\n"));
    char *subject = strstr(b.data, "Subject: ") + 9;
    *strstr(subject, "\r\nDate") = '\0';
    assert_string_equal(decode_words(subject), "Cartable : 5 nouveauté(s)");

    const char *text = decode_qp(body);
    const char *expect[] = {
        "Bonjour Sophie,\n\nVoici ce qui est nouveau pour vous sur Cartable :\n\n",
        "- 2 message(s) non lu(s) de Nadia Benali : Sortie au musée\n  https://ent.example.org/messages/12\n",
        "- Léa · Nouvelle note en Mathématiques : Contrôle fractions\n  https://ent.example.org/pupils/77/grades\n",
        "- Léa · Travail à faire en Mathématiques : Exercices 3 et 4\n  https://ent.example.org/homework/41\n",
        "- Actualité : Fête de l'école (Claire Dubois)\n  https://ent.example.org/news/9\n",
        "- Léa · 3 absence(s) à justifier\n  https://ent.example.org/pupils/77/absences\n",
        "Toutes vos notifications : https://ent.example.org/notifications\n",
        "\n-- \nVous recevez ce courriel",
    };
    for (size_t i = 0; i < sizeof expect / sizeof *expect; i++)
        if (!strstr(text, expect[i]))
            fail_msg("missing \"%s\" in:\n%s", expect[i], text);
    assert_null(strstr(text, "autre(s)"));

    /* English, no public address (no links), more items than lines */
    for (int i = 0; i < 40; i++)
        items[i] = item(NOTIFY_NEWS, 1764560000 - i, 100 + i, 0, "News", "Staff", 0);
    m.lang = LANG_EN;
    m.base_url = STR("");
    m.nitems = 40;
    text = decode_qp(compose(&m, &b));
    assert_non_null(strstr(text, "Hello Sophie,\n"));
    assert_non_null(strstr(text, "… and 10 more on the Notifications page.\n"));
    assert_null(strstr(text, "http"));
    int lines = 0;
    for (const char *p = text; (p = strstr(p, "\n- News: News (Staff)")); p++)
        lines++;
    assert_int_equal(lines, MAILDIGEST_MAX_LINES);
    assert_non_null(strstr(b.data, "\r\nSubject: Cartable: 40 new item(s)\r\n"));
    buf_dispose(&b);

    arena_t a;
    arena_init(&a, NULL);
    const char *id = maildigest_message_id(&a, 5, 1764547200, STR("ent@example.org"));
    assert_true(strncmp(id, "cartable.digest.5.1764547200.", 29) == 0);
    assert_non_null(strstr(id, "@example.org"));
    assert_true(mail_address_valid(str_from(id))); /* a Message-ID is a dot-atom@domain */
    assert_string_not_equal(id, maildigest_message_id(&a, 5, 1764547200, STR("ent@example.org")));
    arena_free(&a);
}

/* ---- who gets a digest and what it lists (demo school) ---- */

typedef struct setting {
    int64_t person;
    const char *email;
    bool digest, disabled;
    int64_t last_digest_at;
} setting_t;

static int apply_setting(store_tx_t *tx, void *ud)
{
    setting_t *s = ud;
    arena_t a;
    arena_init(&a, NULL);
    person_t p;
    bool changed;
    int rc = person_get(STORE_TX(tx), &a, s->person, &p) == 1 ? STORE_OK : STORE_ERROR;
    p.email = str_from(s->email);
    if (rc == STORE_OK)
        rc = person_update(tx, &p, &changed);
    if (rc == STORE_OK)
        rc = person_set_disabled(tx, s->person, s->disabled);
    if (rc == STORE_OK)
        rc = notify_digest_set(tx, s->person, s->digest);
    if (rc == STORE_OK)
        rc = maildigest_record(tx, s->person, s->last_digest_at);
    arena_free(&a);
    return rc;
}

static int record(store_tx_t *tx, void *ud)
{
    int64_t *v = ud;
    return maildigest_record(tx, v[0], v[1]);
}

static int mark_seen(store_tx_t *tx, void *ud)
{
    int64_t *v = ud;
    return notify_mark_seen(tx, v[0], v[1]);
}

static int64_t person_id(const char *login)
{
    int64_t id = 0;
    store_int(STORE_READER(demo_reader), "SELECT id FROM people WHERE login = ?", STORE_ARGS(SA_CSTR(login)), &id);
    return id;
}

static bool listed(int64_t id)
{
    arena_t a;
    arena_init(&a, NULL);
    maildigest_person_t *people;
    bool found = false;
    int64_t after = 0;
    for (;;) {
        int n = maildigest_candidates(demo_reader, &a, after, 2, &people);
        assert_true(n >= 0);
        for (int i = 0; i < n; i++) {
            assert_true(people[i].id > after);
            after = people[i].id;
            found |= people[i].id == id;
        }
        if (n < 2)
            break;
    }
    arena_free(&a);
    return found;
}

static void who_and_what(void **state)
{
    (void)state;
    int64_t lea = person_id("demo.eleve"), parent = person_id("demo.parent"), prof = person_id("demo.prof");
    setting_t s[] = {{lea, "lea@example.org", true, false, 0},
                     {parent, "", true, false, 0},
                     {prof, "prof@example.org", false, false, 0}};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(store_write_sync(demo_store, apply_setting, &s[i]), STORE_OK);
    assert_true(listed(lea));
    assert_false(listed(parent)); /* no address */
    assert_false(listed(prof)); /* did not ask */
    s[0].disabled = true;
    assert_int_equal(store_write_sync(demo_store, apply_setting, &s[0]), STORE_OK);
    assert_false(listed(lea)); /* disabled */
    s[0].disabled = false;
    assert_int_equal(store_write_sync(demo_store, apply_setting, &s[0]), STORE_OK);

    /* what Léa's digest lists: unseen items newer than her last digest */
    principal_t p;
    assert_int_equal(principal_load(demo_reader, lea, date_today(), &p), 1);
    arena_t a;
    arena_init(&a, NULL);
    notify_item_t *items;
    int64_t now = clock_now();
    int n = maildigest_items(demo_reader, &a, &p, date_today(), now, 0, &items);
    assert_true(n > 0);
    int64_t newest = 0;
    for (int i = 0; i < n; i++) {
        assert_true(items[i].unseen);
        assert_true(items[i].at <= now);
        if (i)
            assert_true(items[i - 1].at >= items[i].at);
        newest = items[i].at > newest ? items[i].at : newest;
    }
    int older = maildigest_items(demo_reader, &a, &p, date_today(), now, items[n - 1].at, &items);
    assert_true(older < n);
    int64_t rec[2] = {lea, newest};
    assert_int_equal(store_write_sync(demo_store, record, rec), STORE_OK);
    maildigest_person_t *people;
    assert_true(maildigest_candidates(demo_reader, &a, lea - 1, 1, &people) == 1 && people[0].id == lea);
    assert_int_equal(people[0].last_digest_at, newest);
    assert_true(str_eq_cstr(people[0].email, "lea@example.org"));
    assert_int_equal(maildigest_items(demo_reader, &a, &p, date_today(), now, newest, &items), 0);
    /* what she has seen is not told either (only what happens later, if anything) */
    assert_int_equal(store_write_sync(demo_store, apply_setting, &s[0]), STORE_OK); /* last digest back to 0 */
    int64_t seen[2] = {lea, now};
    assert_int_equal(store_write_sync(demo_store, mark_seen, seen), STORE_OK);
    n = maildigest_items(demo_reader, &a, &p, date_today(), now, 0, &items);
    for (int i = 0; i < n; i++)
        assert_int_equal(items[i].kind, NOTIFY_MESSAGE); /* unread stays unread */
    arena_free(&a);
    principal_dispose(&p);
}

/* ---- the settings ---- */

static int validate(const char *const *kv, char *err, size_t errlen)
{
    config_t c;
    config_init_defaults(&c);
    int rc = 0;
    for (int i = 0; kv[i] && rc == 0; i += 2)
        rc = config_set(&c, kv[i], kv[i + 1], "test", err, errlen);
    if (rc == 0)
        rc = config_validate(&c, err, errlen);
    config_dispose(&c);
    return rc;
}

static void settings(void **state)
{
    (void)state;
    char err[512];
    config_t c;
    config_init_defaults(&c);
    assert_string_equal(c.smtp_url, "");
    assert_int_equal(c.digest_period_ms, 24ull * 3600 * 1000);
    assert_false(c.smtp_tls);
    assert_int_equal(config_validate(&c, err, sizeof err), 0);
    config_dispose(&c);

    const char *ok[][9] = {
        {"smtp_url", "smtp://127.0.0.1:2525", "smtp_from", "ent@example.org", NULL},
        {"smtp_url", "smtps://mail.example.org", "smtp_from", "Cartable <ent@example.org>", "smtp_tls", "true", NULL},
        {"digest_period", "1s", NULL},
        {"digest_period", "31d", NULL},
        {"public_url", "https://ent.example.org/", NULL},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (validate(ok[i], err, sizeof err) != 0)
            fail_msg("refused: %s", err);
    const struct {
        const char *kv[7];
        const char *message;
    } bad[] = {
        {{"smtp_url", "http://mail.example.org", "smtp_from", "a@b.c", NULL},
         "smtp_url: \"http://mail.example.org\" is not"},
        {{"smtp_url", "smtp://", "smtp_from", "a@b.c", NULL}, "smtp_url: \"smtp://\" is not"},
        {{"smtp_url", "smtp://a b", "smtp_from", "a@b.c", NULL}, "smtp_url: \"smtp://a b\" is not"},
        {{"smtp_url", "smtp://h\r\n", "smtp_from", "a@b.c", NULL}, "smtp_url:"},
        {{"smtp_url", "smtp://127.0.0.1", NULL}, "smtp_from: the sender address is needed when smtp_url is set"},
        {{"smtp_url", "smtp://127.0.0.1", "smtp_from", "Ent <nope>", NULL},
         "smtp_from: \"Ent <nope>\" is not an address"},
        {{"digest_period", "999ms", NULL}, "digest_period: 999ms is out of range"},
        {{"digest_period", "32d", NULL}, "digest_period: 32d is out of range"},
        {{"digest_period", "soon", NULL}, "digest_period: \"soon\" is not a valid duration"},
        {{"smtp_tls", "perhaps", NULL}, "smtp_tls: expected true or false"},
        {{"public_url", "ftp://x", NULL}, "public_url: \"ftp://x\" is not an http:// or https:// address"},
        {{"public_url", "https://", NULL}, "public_url:"},
        {{"public_url", "https://ent.example.org/\"><script>", NULL}, "public_url:"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        assert_int_equal(validate(bad[i].kv, err, sizeof err), -1);
        if (!strstr(err, bad[i].message))
            fail_msg("expected \"%s\", got \"%s\"", bad[i].message, err);
    }
    /* a trailing slash is dropped, so links are built with exactly one */
    config_init_defaults(&c);
    assert_int_equal(config_set(&c, "public_url", "https://ent.example.org//", "test", err, sizeof err), 0);
    assert_int_equal(config_validate(&c, err, sizeof err), 0);
    assert_string_equal(c.public_url, "https://ent.example.org");
    config_dispose(&c);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(addresses),
        cmocka_unit_test(header_text),
        cmocka_unit_test(header_mailbox),
        cmocka_unit_test(header_date),
        cmocka_unit_test(body_quoted_printable),
        cmocka_unit_test(composed_digest),
        cmocka_unit_test(settings),
        cmocka_unit_test_setup_teardown(who_and_what, demo_setup, demo_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
