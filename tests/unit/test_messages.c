/* Messaging on the demo school: the recipients an author types, whom policy lets
 * each role write to (every role pair, and nobody across schools), the checks on
 * a message, a broadcast's fan-out and private replies, idempotent sends, read
 * state, blocks and the notification badge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/policy.h"
#include "auth/principal.h"
#include "core/clock.h"
#include "domain/demo.h"
#include "domain/messages.h"
#include "domain/notify.h"
#include "store/store.h"
#include "demo_fixture.h"

#define store demo_store
#define rd demo_reader

static int64_t sql_int(const char *sql)
{
    int64_t v = -1;
    store_int(STORE_READER(rd), sql, STORE_NO_ARGS, &v);
    return v;
}

static void load(int64_t id, principal_t *p)
{
    assert_int_equal(principal_load(rd, id, date_today(), p), 1);
}

/* ---- the people of the demo school ---- */

static int64_t lea(void) { return sql_int("SELECT id FROM people WHERE login = 'demo.eleve'"); }
static int64_t parent(void) { return sql_int("SELECT id FROM people WHERE login = 'demo.parent'"); }
static int64_t prof(void) { return sql_int("SELECT id FROM people WHERE login = 'demo.prof'"); }
static int64_t admin(void) { return sql_int("SELECT id FROM people WHERE login = 'demo.admin'"); }
static int64_t school(void) { return sql_int("SELECT id FROM schools ORDER BY id LIMIT 1"); }
static int64_t class_5b(void) { return sql_int("SELECT id FROM classes WHERE code = '5B'"); }
static int64_t staff(void)
{
    return sql_int("SELECT person_id FROM memberships WHERE role = 'staff' ORDER BY person_id LIMIT 1");
}
static int64_t classmate(void)
{
    return sql_int("SELECT e.pupil_id FROM enrolments e JOIN classes c ON c.id = e.class_id JOIN people p "
                   "ON p.id = e.pupil_id WHERE c.code = '5B' AND e.ends_on IS NULL AND p.login <> 'demo.eleve' "
                   "ORDER BY e.pupil_id LIMIT 1");
}
static int64_t other_class_pupil(void)
{
    return sql_int("SELECT e.pupil_id FROM enrolments e JOIN classes c ON c.id = e.class_id "
                   "WHERE c.code = '3A' AND e.ends_on IS NULL ORDER BY e.pupil_id LIMIT 1");
}
/* The classes of demo.parent's children (Léa and her brother). */
#define FAMILY_CLASSES                                                                                                 \
    "SELECT e.class_id FROM enrolments e JOIN parent_links pl ON pl.child_id = e.pupil_id JOIN people p "           \
    "ON p.id = pl.parent_id WHERE p.login = 'demo.parent' AND e.ends_on IS NULL"
#define FAMILY_GROUPS                                                                                                  \
    "SELECT g.group_id FROM group_members g JOIN parent_links pl ON pl.child_id = g.pupil_id JOIN people p "        \
    "ON p.id = pl.parent_id WHERE p.login = 'demo.parent'"

/* A teacher who teaches none of the family's classes and groups. */
static int64_t other_teacher(void)
{
    return sql_int("SELECT m.person_id FROM memberships m WHERE m.role = 'teacher' AND m.person_id NOT IN ("
                   "SELECT t.teacher_id FROM teaching t WHERE t.class_id IN (" FAMILY_CLASSES ") OR t.group_id IN ("
                   FAMILY_GROUPS ")) ORDER BY m.person_id LIMIT 1");
}
/* A parent whose children share no class with the family's. */
static int64_t other_parent(void)
{
    return sql_int("SELECT m.person_id FROM memberships m WHERE m.role = 'parent' AND m.person_id NOT IN ("
                   "SELECT pl.parent_id FROM parent_links pl JOIN enrolments e ON e.pupil_id = pl.child_id "
                   "WHERE e.ends_on IS NULL AND e.class_id IN (" FAMILY_CLASSES ")) ORDER BY m.person_id LIMIT 1");
}
/* A parent of one of Léa's classmates (not demo.parent). */
static int64_t class_parent(void)
{
    return sql_int("SELECT pl.parent_id FROM parent_links pl JOIN enrolments e ON e.pupil_id = pl.child_id "
                   "JOIN classes c ON c.id = e.class_id JOIN people p ON p.id = pl.parent_id WHERE c.code = '5B' "
                   "AND e.ends_on IS NULL AND p.login <> 'demo.parent' ORDER BY pl.parent_id LIMIT 1");
}

/* May `from` write to `to`, as messages_resolve decides it? */
static msg_problem_t may_write(int64_t from, int64_t to_id)
{
    principal_t p;
    load(from, &p);
    arena_t a;
    arena_init(&a, NULL);
    msg_to_t to = {MSG_TO_PERSON, to_id}, culprit;
    msg_resolved_t out;
    msg_problem_t problem;
    int rc = messages_resolve(rd, &a, &p, school(), &to, 1, &out, &problem, &culprit);
    assert_true(rc == 0 || rc == MESSAGES_INVALID);
    if (rc == 0) {
        assert_int_equal(out.npeople, 1);
        assert_int_equal(out.people[0], to_id);
    } else {
        assert_int_equal(culprit.id, to_id);
    }
    arena_free(&a);
    principal_dispose(&p);
    return problem;
}

static void test_recipient_parsing(void **state)
{
    (void)state;
    msg_to_t t;
    assert_true(msg_to_parse(STR("p:12"), &t) && t.kind == MSG_TO_PERSON && t.id == 12);
    assert_true(msg_to_parse(STR(" cp:4 "), &t) && t.kind == MSG_TO_CLASS_PARENTS && t.id == 4);
    assert_true(msg_to_parse(STR("g:7"), &t) && t.kind == MSG_TO_GROUP);
    const char *bad[] = {"", "p", "p:", "p:0", "p:-1", "p:abc", "x:1", "p:1:2", "p: 1", "p:99999999999999999999", "P:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(msg_to_parse(str_from(bad[i]), &t));
    arena_t a;
    arena_init(&a, NULL);
    msg_to_t *list;
    assert_int_equal(msg_to_parse_list(&a, STR("p:1, c:2,,p:1"), &list), 2); /* duplicates and blanks dropped */
    assert_string_equal(msg_to_format(&a, list, 2).ptr, "p:1,c:2");
    assert_int_equal(msg_to_parse_list(&a, STR("p:1,zz"), &list), -1);
    char many[2000] = "";
    for (int i = 1; i <= MSG_RECIPIENTS_MAX + 1; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "p:%d,", i);
    assert_int_equal(msg_to_parse_list(&a, str_from(many), &list), -2);
    arena_free(&a);
}

static void test_rules_for_every_role_pair(void **state)
{
    (void)state;
    /* pupils: their teachers and the staff; not classmates, other pupils, parents, other teachers */
    assert_int_equal(may_write(lea(), prof()), MSG_OK);
    assert_int_equal(may_write(lea(), staff()), MSG_OK);
    assert_int_equal(may_write(lea(), admin()), MSG_OK);
    assert_int_equal(may_write(lea(), classmate()), MSG_NOT_ALLOWED);
    assert_int_equal(may_write(lea(), other_class_pupil()), MSG_NOT_ALLOWED);
    assert_int_equal(may_write(lea(), parent()), MSG_NOT_ALLOWED);
    assert_int_equal(may_write(lea(), other_teacher()), MSG_NOT_ALLOWED);
    /* parents: their children's teachers and the staff; not other parents, pupils, other teachers */
    assert_int_equal(may_write(parent(), prof()), MSG_OK);
    assert_int_equal(may_write(parent(), staff()), MSG_OK);
    assert_int_equal(may_write(parent(), other_teacher()), MSG_NOT_ALLOWED);
    assert_int_equal(may_write(parent(), other_parent()), MSG_NOT_ALLOWED);
    assert_int_equal(may_write(parent(), class_parent()), MSG_NOT_ALLOWED);
    assert_int_equal(may_write(parent(), classmate()), MSG_NOT_ALLOWED);
    assert_int_equal(may_write(parent(), lea()), MSG_NOT_ALLOWED);
    /* teachers and staff: anyone of the school */
    int64_t everyone[] = {lea(), classmate(), other_class_pupil(), parent(), other_parent(), other_teacher(), staff()};
    for (size_t i = 0; i < sizeof everyone / sizeof everyone[0]; i++) {
        assert_int_equal(may_write(prof(), everyone[i]), MSG_OK);
        assert_int_equal(may_write(admin(), everyone[i]), MSG_OK);
    }
    assert_int_equal(may_write(staff(), lea()), MSG_OK);
    assert_int_equal(may_write(staff(), other_parent()), MSG_OK);
    /* nobody writes to themself, or to someone unknown */
    assert_int_equal(may_write(prof(), prof()), MSG_BAD_RECIPIENT);
    assert_int_equal(may_write(prof(), 9999999), MSG_BAD_RECIPIENT);
}

static int set_rules(store_tx_t *tx, void *ud)
{
    return msg_rules_set(tx, school(), ud, clock_now());
}

static void test_rules_are_the_schools(void **state)
{
    (void)state;
    msg_rules_t r = msg_rules_default();
    r.pupil_to_classmates = true;
    r.parent_to_class_parents = true;
    r.pupil_to_staff = false;
    assert_int_equal(store_write_sync(store, set_rules, &r), STORE_OK);
    assert_int_equal(may_write(lea(), classmate()), MSG_OK);
    assert_int_equal(may_write(lea(), other_class_pupil()), MSG_NOT_ALLOWED); /* a classmate only */
    assert_int_equal(may_write(lea(), staff()), MSG_NOT_ALLOWED);
    assert_int_equal(may_write(parent(), class_parent()), MSG_OK);
    assert_int_equal(may_write(parent(), other_parent()), MSG_NOT_ALLOWED); /* no class in common */
    /* teachers are not bound by the switches */
    assert_int_equal(may_write(prof(), lea()), MSG_OK);
    r = msg_rules_default();
    assert_int_equal(store_write_sync(store, set_rules, &r), STORE_OK);
    assert_int_equal(may_write(lea(), classmate()), MSG_NOT_ALLOWED);
    assert_int_equal(may_write(parent(), class_parent()), MSG_NOT_ALLOWED);
}

static void test_nobody_across_schools(void **state)
{
    (void)state;
    principal_t p;
    load(prof(), &p);
    /* a school the teacher does not belong to: refused whatever the target */
    policy_target_t t = {.school_id = school() + 1000, .person_id = lea()};
    msg_rules_t rules = msg_rules_default();
    t.rules = &rules;
    assert_false(policy_allows(&p, POLICY_MESSAGE_WRITE, &t));
    policy_target_t bc = {.school_id = school() + 1000, .class_id = class_5b()};
    assert_false(policy_allows(&p, POLICY_MESSAGE_BROADCAST, &bc));
    bc.school_id = school();
    assert_true(policy_allows(&p, POLICY_MESSAGE_BROADCAST, &bc));
    assert_false(policy_allows(&p, POLICY_MESSAGE_MODERATE, &(policy_target_t){.school_id = school()}));
    principal_dispose(&p);
    load(admin(), &p);
    assert_true(policy_allows(&p, POLICY_MESSAGE_MODERATE, &(policy_target_t){.school_id = school()}));
    assert_false(policy_allows(&p, POLICY_MESSAGE_MODERATE, &(policy_target_t){.school_id = school() + 1000}));
    principal_dispose(&p);
    assert_false(policy_allows(NULL, POLICY_MESSAGE_WRITE, &t));
}

static void test_checks(void **state)
{
    (void)state;
    msg_send_t m = {.subject = STR("Sujet"), .body = STR("Texte")};
    assert_int_equal(messages_check(&m), MSG_OK);
    m.subject = STR("  ");
    assert_int_equal(messages_check(&m), MSG_SUBJECT_EMPTY);
    m.subject = STR("a\nb");
    assert_int_equal(messages_check(&m), MSG_BAD_TEXT);
    m.subject = STR("Sujet");
    m.body = STR(" \n ");
    assert_int_equal(messages_check(&m), MSG_BODY_EMPTY);
    m.body = (str_t){"a\0b", 3};
    assert_int_equal(messages_check(&m), MSG_BAD_TEXT);
    m.body = STR("\xff");
    assert_int_equal(messages_check(&m), MSG_BAD_TEXT);
    char *big = malloc(MSG_BODY_MAX + 2);
    memset(big, 'x', MSG_BODY_MAX + 1);
    m.body = (str_t){big, MSG_BODY_MAX + 1};
    assert_int_equal(messages_check(&m), MSG_BODY_TOO_LONG);
    m.body = (str_t){big, MSG_BODY_MAX};
    assert_int_equal(messages_check(&m), MSG_OK);
    free(big);
    m.body = STR("Texte");
    m.idempotency_key = STR("has space");
    assert_int_equal(messages_check(&m), MSG_BAD_KEY);
    m.idempotency_key = STR("ok-key_1");
    assert_int_equal(messages_check(&m), MSG_OK);
    m.nfiles = MSG_FILES_MAX + 1;
    assert_int_equal(messages_check(&m), MSG_TOO_MANY_FILES);
    /* a reply needs no subject */
    msg_send_t reply = {.conversation_id = 1, .body = STR("ok")};
    assert_int_equal(messages_check(&reply), MSG_OK);
}

typedef struct send_ctx {
    msg_send_t m;
    msg_sent_t sent;
    msg_problem_t problem;
    int64_t broadcast_id; /* > 0: a private reply to it */
} send_ctx_t;

static int send_fn(store_tx_t *tx, void *ud)
{
    send_ctx_t *c = ud;
    if (c->broadcast_id)
        return messages_reply_privately(tx, c->broadcast_id, &c->m, &c->sent, &c->problem);
    return messages_send(tx, &c->m, &c->sent, &c->problem);
}

static int unread_of(int64_t person)
{
    int n = -1;
    assert_int_equal(messages_unread(STORE_READER(rd), person, &n), 0);
    return n;
}

static void test_broadcast_fan_out_and_private_replies(void **state)
{
    (void)state;
    principal_t p;
    load(prof(), &p);
    arena_t a;
    arena_init(&a, NULL);
    msg_to_t to = {MSG_TO_CLASS, class_5b()}, culprit;
    msg_resolved_t out;
    msg_problem_t problem;
    assert_int_equal(messages_resolve(rd, &a, &p, school(), &to, 1, &out, &problem, &culprit), 0);
    int64_t pupils = sql_int("SELECT COUNT(*) FROM enrolments e JOIN classes c ON c.id = e.class_id "
                             "WHERE c.code = '5B' AND e.ends_on IS NULL");
    assert_int_equal(out.npeople, pupils);
    assert_string_equal(out.broadcast, "class");
    int before_lea = unread_of(lea()), before_mate = unread_of(classmate());
    uint64_t badge_version = store_key_version(store, STORE_TOPIC_MESSAGES, messages_person_key(lea()));
    send_ctx_t c = {.m = {.school_id = school(), .author_id = prof(), .to = &out, .subject = STR("Sortie"),
                          .body = STR("Rendez-vous à 8 h 45"), .idempotency_key = STR("unit-bc-1"), .now = clock_now()}};
    assert_int_equal(store_write_sync(store, send_fn, &c), STORE_OK);
    assert_false(c.sent.duplicate);
    assert_int_equal(unread_of(lea()), before_lea + 1);
    assert_int_equal(unread_of(classmate()), before_mate + 1);
    assert_true(store_key_version(store, STORE_TOPIC_MESSAGES, messages_person_key(lea())) > badge_version);
    /* one message row, one delivery row per recipient */
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM conversation_members WHERE conversation_id = %lld",
             (long long)c.sent.conversation_id);
    assert_int_equal(sql_int(sql), pupils + 1);
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM messages WHERE conversation_id = %lld",
             (long long)c.sent.conversation_id);
    assert_int_equal(sql_int(sql), 1);
    /* the same key again: the same message, nothing new */
    send_ctx_t retry = c;
    memset(&retry.sent, 0, sizeof retry.sent);
    assert_int_equal(store_write_sync(store, send_fn, &retry), STORE_OK);
    assert_true(retry.sent.duplicate);
    assert_int_equal(retry.sent.message_id, c.sent.message_id);
    assert_int_equal(unread_of(lea()), before_lea + 1);
    /* a recipient cannot reply to all */
    send_ctx_t all = {.m = {.school_id = school(), .author_id = lea(), .conversation_id = c.sent.conversation_id,
                            .body = STR("À tous"), .now = clock_now()}};
    assert_int_equal(store_write_sync(store, send_fn, &all), MESSAGES_INVALID);
    assert_int_equal(all.problem, MSG_CANNOT_REPLY);
    /* a private reply: Léa and the teacher only, the same conversation the second time */
    send_ctx_t priv = {.m = {.school_id = school(), .author_id = lea(), .body = STR("Merci"), .now = clock_now()},
                       .broadcast_id = c.sent.conversation_id};
    assert_int_equal(store_write_sync(store, send_fn, &priv), STORE_OK);
    assert_int_not_equal(priv.sent.conversation_id, c.sent.conversation_id);
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM conversation_members WHERE conversation_id = %lld",
             (long long)priv.sent.conversation_id);
    assert_int_equal(sql_int(sql), 2);
    assert_int_equal(messages_is_member(STORE_READER(rd), classmate(), priv.sent.conversation_id), 0);
    send_ctx_t priv2 = priv;
    priv2.m.body = STR("Encore merci");
    assert_int_equal(store_write_sync(store, send_fn, &priv2), STORE_OK);
    assert_int_equal(priv2.sent.conversation_id, priv.sent.conversation_id);
    /* the sender cannot "reply privately" to their own broadcast */
    send_ctx_t own = {.m = {.school_id = school(), .author_id = prof(), .body = STR("x"), .now = clock_now()},
                      .broadcast_id = c.sent.conversation_id};
    assert_int_equal(store_write_sync(store, send_fn, &own), MESSAGES_INVALID);
    arena_free(&a);
    principal_dispose(&p);
}

static int mark_read_fn(store_tx_t *tx, void *ud)
{
    int64_t *v = ud;
    return messages_mark_read(tx, v[0], v[1]);
}

static int block_fn(store_tx_t *tx, void *ud)
{
    int64_t *v = ud;
    return v[2] ? messages_block(tx, v[0], v[1], admin(), STR("test"), clock_now()) < 0 ? STORE_ERROR : STORE_OK
                : messages_unblock(tx, v[0], v[1]) < 0 ? STORE_ERROR : STORE_OK;
}

static void test_read_state_blocks_and_badge(void **state)
{
    (void)state;
    int64_t one[1] = {lea()};
    msg_resolved_t to = {.people = one, .npeople = 1, .broadcast = ""};
    send_ctx_t c = {.m = {.school_id = school(), .author_id = staff(), .to = &to, .subject = STR("Rendez-vous"),
                          .body = STR("Passe à la vie scolaire."), .now = clock_now()}};
    principal_t p;
    load(lea(), &p);
    notify_cache_t cache;
    notify_cache_init(&cache, 16);
    notify_badge_t b0, b1, b2;
    assert_int_equal(notify_badge(&cache, store, rd, &p, date_today(), clock_now(), &b0), 0);
    assert_int_equal(store_write_sync(store, send_fn, &c), STORE_OK);
    assert_int_equal(notify_badge(&cache, store, rd, &p, date_today(), clock_now(), &b1), 0);
    assert_int_equal(b1.messages, b0.messages + 1);
    int64_t args[2] = {lea(), c.sent.conversation_id};
    assert_int_equal(store_write_sync(store, mark_read_fn, args), STORE_OK);
    assert_int_equal(notify_badge(&cache, store, rd, &p, date_today(), clock_now(), &b2), 0);
    assert_int_equal(b2.messages, b0.messages);
    /* the feed lists the conversation while unread, with its count */
    arena_t a;
    arena_init(&a, NULL);
    notify_item_t *items;
    int64_t seen;
    int n = notify_feed(rd, &a, &p, date_today(), clock_now(), 50, &items, &seen);
    assert_true(n >= 0);
    for (int i = 1; i < n; i++)
        assert_true(items[i - 1].at >= items[i].at);
    arena_free(&a);
    /* a blocked sender cannot send; unblocked, they can */
    int64_t blk[3] = {school(), staff(), 1};
    assert_int_equal(store_write_sync(store, block_fn, blk), STORE_OK);
    assert_int_equal(messages_is_blocked(STORE_READER(rd), school(), staff()), 1);
    c.m.idempotency_key = STR("");
    assert_int_equal(store_write_sync(store, send_fn, &c), MESSAGES_INVALID);
    assert_int_equal(c.problem, MSG_SENDER_BLOCKED);
    blk[2] = 0;
    assert_int_equal(store_write_sync(store, block_fn, blk), STORE_OK);
    assert_int_equal(store_write_sync(store, send_fn, &c), STORE_OK);
    notify_cache_dispose(&cache);
    principal_dispose(&p);
}

static int mark_seen_fn(store_tx_t *tx, void *ud)
{
    const int64_t *v = ud;
    return notify_mark_seen(tx, v[0], v[1]);
}

/* The cached badge is the uncached one whichever half moved: a message (the
 * unread count) or "seen" (the feed count); each move changes the version. */
static void test_badge_halves(void **state)
{
    (void)state;
    principal_t p;
    load(lea(), &p);
    notify_cache_t cache, none;
    notify_cache_init(&cache, 16);
    notify_cache_init(&none, 0);
    notify_badge_t cached, fresh;
    date_t today = date_today();
    assert_int_equal(notify_badge(&cache, store, rd, &p, today, clock_now(), &cached), 0);
    uint64_t v0 = notify_badge_version(store, &p, today);

    int64_t one[1] = {lea()};
    msg_resolved_t to = {.people = one, .npeople = 1, .broadcast = ""};
    send_ctx_t c = {.m = {.school_id = school(), .author_id = staff(), .to = &to, .subject = STR("Moitiés"),
                          .body = STR("Un message, le fil ne bouge pas."), .now = clock_now()}};
    assert_int_equal(store_write_sync(store, send_fn, &c), STORE_OK);
    uint64_t v1 = notify_badge_version(store, &p, today);
    assert_true(v1 != v0);
    notify_badge_t before = cached;
    assert_int_equal(notify_badge(&cache, store, rd, &p, today, clock_now(), &cached), 0);
    assert_int_equal(notify_badge(&none, store, rd, &p, today, clock_now(), &fresh), 0);
    assert_int_equal(cached.messages, before.messages + 1);
    assert_int_equal(cached.messages, fresh.messages);
    assert_int_equal(cached.notifications, fresh.notifications);

    /* everything seen: the feed count drops to what stays (absences), messages stay */
    assert_true(cached.notifications > 0); /* the demo pupil has news, homework, marks */
    int64_t seen[2] = {lea(), clock_now() + 1};
    assert_int_equal(store_write_sync(store, mark_seen_fn, seen), STORE_OK);
    assert_true(notify_badge_version(store, &p, today) != v1);
    before = cached;
    assert_int_equal(notify_badge(&cache, store, rd, &p, today, clock_now(), &cached), 0);
    assert_int_equal(notify_badge(&none, store, rd, &p, today, clock_now(), &fresh), 0);
    assert_true(cached.notifications < before.notifications);
    assert_int_equal(cached.notifications, fresh.notifications);
    assert_int_equal(cached.messages, before.messages);
    assert_int_equal(cached.messages, fresh.messages);
    /* unchanged: the same answer again */
    assert_int_equal(notify_badge(&cache, store, rd, &p, today, clock_now(), &before), 0);
    assert_memory_equal(&before, &cached, sizeof before);
    notify_cache_dispose(&none);
    notify_cache_dispose(&cache);
    principal_dispose(&p);
}

static void test_inbox_cache(void **state)
{
    (void)state;
    inbox_cache_t cache;
    inbox_cache_init(&cache, 4);
    arena_t a;
    arena_init(&a, NULL);
    const msg_inbox_t *first = messages_inbox(&cache, store, rd, &a, lea(), school());
    assert_non_null(first);
    /* nothing moved: the same entry, no rebuild */
    assert_ptr_equal(messages_inbox(&cache, store, rd, &a, lea(), school()), first);
    int before = first->unread;
    int64_t one[1] = {lea()};
    msg_resolved_t to = {.people = one, .npeople = 1, .broadcast = ""};
    send_ctx_t c = {.m = {.school_id = school(), .author_id = prof(), .to = &to, .subject = STR("Cache"),
                          .body = STR("Une nouvelle"), .now = clock_now()}};
    assert_int_equal(store_write_sync(store, send_fn, &c), STORE_OK);
    /* a message for her: rebuilt, with it on top */
    const msg_inbox_t *after = messages_inbox(&cache, store, rd, &a, lea(), school());
    assert_non_null(after);
    assert_int_equal(after->unread, before + 1);
    assert_int_equal(after->items[0].id, c.sent.conversation_id);
    /* a message for someone else leaves hers alone */
    int64_t other[1] = {classmate()};
    msg_resolved_t to_other = {.people = other, .npeople = 1, .broadcast = ""};
    send_ctx_t c2 = {.m = {.school_id = school(), .author_id = prof(), .to = &to_other, .subject = STR("Autre"),
                           .body = STR("x"), .now = clock_now()}};
    uint64_t version = store_key_version(store, STORE_TOPIC_MESSAGES, messages_person_key(lea()));
    assert_int_equal(store_write_sync(store, send_fn, &c2), STORE_OK);
    if (store_key_version(store, STORE_TOPIC_MESSAGES, messages_person_key(lea())) == version)
        assert_ptr_equal(messages_inbox(&cache, store, rd, &a, lea(), school()), after);
    /* reading it: rebuilt, unread back */
    int64_t args[2] = {lea(), c.sent.conversation_id};
    assert_int_equal(store_write_sync(store, mark_read_fn, args), STORE_OK);
    assert_int_equal(messages_inbox(&cache, store, rd, &a, lea(), school())->unread, before);
    /* more people than places: the cache starts again, answers stay right */
    int64_t people[] = {parent(), prof(), admin(), staff(), classmate()};
    for (size_t i = 0; i < sizeof people / sizeof people[0]; i++)
        assert_non_null(messages_inbox(&cache, store, rd, &a, people[i], school()));
    assert_int_equal(messages_inbox(&cache, store, rd, &a, lea(), school())->unread, before);
    /* capacity 0: built in the caller's arena every time */
    inbox_cache_t none;
    inbox_cache_init(&none, 0);
    assert_int_equal(messages_inbox(&none, store, rd, &a, lea(), school())->unread, before);
    inbox_cache_dispose(&none);
    inbox_cache_dispose(&cache);
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recipient_parsing),
        cmocka_unit_test(test_rules_for_every_role_pair),
        cmocka_unit_test(test_rules_are_the_schools),
        cmocka_unit_test(test_nobody_across_schools),
        cmocka_unit_test(test_checks),
        cmocka_unit_test(test_broadcast_fan_out_and_private_replies),
        cmocka_unit_test(test_read_state_blocks_and_badge),
        cmocka_unit_test(test_badge_halves),
        cmocka_unit_test(test_inbox_cache),
    };
    return cmocka_run_group_tests(tests, demo_setup, demo_teardown);
}
