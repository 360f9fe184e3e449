/* News on the demo school: who each announcement reaches, read receipts counted
 * once against the right audience, and the checks on a draft. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/principal.h"
#include "core/clock.h"
#include "domain/demo.h"
#include "domain/news.h"
#include "store/store.h"

static char dir[64];
static store_t *store;
static store_reader_t *rd;

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/cartable-news-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char data[128], err[256];
    snprintf(data, sizeof data, "%s/data", dir);
    store_options_t o = {.data_dir = data};
    if (store_open(&o, &store, err, sizeof err) != 0 || demo_seed(store) != 1)
        return -1;
    rd = store_reader_open(store);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    store_reader_close(rd);
    store_close(store);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int64_t sql_int(const char *sql)
{
    int64_t v = -1;
    store_int(STORE_READER(rd), sql, STORE_NO_ARGS, &v);
    return v;
}

static void load(const char *sql, principal_t *p)
{
    assert_int_equal(principal_load(rd, sql_int(sql), date_today(), p), 1);
}

/* Does p's list hold an item whose title starts with prefix? */
static bool sees(const principal_t *p, const char *prefix)
{
    arena_t a;
    arena_init(&a, NULL);
    news_item_t *items;
    int n = news_for_person(STORE_READER(rd), &a, p, 100, &items);
    assert_true(n >= 0);
    bool found = false;
    for (int i = 0; i < n; i++)
        if (items[i].title.len >= strlen(prefix) && memcmp(items[i].title.ptr, prefix, strlen(prefix)) == 0)
            found = true;
    for (int i = 1; i < n; i++)
        assert_true(items[i - 1].published_at >= items[i].published_at);
    arena_free(&a);
    return found;
}

static int64_t item_id(const char *prefix)
{
    int64_t id = 0;
    char like[128];
    snprintf(like, sizeof like, "%s%%", prefix);
    store_int(STORE_READER(rd), "SELECT id FROM news WHERE title LIKE ?", STORE_ARGS(SA_CSTR(like)), &id);
    return id;
}

static bool visible(const principal_t *p, const char *prefix)
{
    bool v = false;
    assert_int_equal(news_visible(STORE_READER(rd), p, item_id(prefix), &v), STORE_OK);
    return v;
}

static void audiences(void **state)
{
    (void)state;
    principal_t lea, parent, prof, admin, pupil3a, parent4f;
    load("SELECT id FROM people WHERE login = 'demo.eleve'", &lea);
    load("SELECT id FROM people WHERE login = 'demo.parent'", &parent);
    load("SELECT id FROM people WHERE login = 'demo.prof'", &prof);
    load("SELECT id FROM people WHERE login = 'demo.admin'", &admin);
    load("SELECT e.pupil_id FROM enrolments e JOIN classes c ON c.id = e.class_id JOIN people p ON p.id = e.pupil_id "
         "WHERE c.code = '3A' AND p.first_name <> 'Hugo' LIMIT 1",
         &pupil3a);
    load("SELECT l.parent_id FROM parent_links l JOIN enrolments e ON e.pupil_id = l.child_id JOIN classes c ON "
         "c.id = e.class_id WHERE c.code = '4F' AND l.parent_id NOT IN (SELECT l2.parent_id FROM parent_links l2 JOIN "
         "enrolments e2 ON e2.pupil_id = l2.child_id JOIN classes c2 ON c2.id = e2.class_id WHERE c2.code IN "
         "('5B', '3A')) LIMIT 1",
         &parent4f);
    struct {
        const char *title;
        bool lea, parent, prof, admin, pupil3a, parent4f;
    } rows[] = {
        /*                                      lea    parent prof   admin  3A     4F parent */
        {"Bienvenue sur Cartable",             true,  true,  true,  true,  true,  true},
        {"Absences : les justifier en ligne",  false, true,  false, true,  false, true},
        {"5e B : sortie",                      true,  true,  true,  true,  false, false},
        {"3e A : brevet blanc",                false, true,  false, true,  true,  false},
        {"Réunion parents-professeurs",        false, true,  false, true,  false, true},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const principal_t *who[] = {&lea, &parent, &prof, &admin, &pupil3a, &parent4f};
        bool want[] = {rows[i].lea, rows[i].parent, rows[i].prof, rows[i].admin, rows[i].pupil3a, rows[i].parent4f};
        static const char *const names[] = {"lea", "parent", "prof", "admin", "3A pupil", "4F parent"};
        for (int k = 0; k < 6; k++) {
            if (sees(who[k], rows[i].title) != want[k])
                fail_msg("%s: %s should %s it in their list", rows[i].title, names[k], want[k] ? "see" : "not see");
            if (visible(who[k], rows[i].title) != want[k])
                fail_msg("%s: %s should %s open it", rows[i].title, names[k], want[k] ? "" : "not");
        }
    }
    /* unread: the parent read the two oldest */
    int64_t before = 0, after = 0;
    assert_int_equal(news_unread_count(STORE_READER(rd), &parent, &before), STORE_OK);
    assert_int_equal(before, 5);
    principal_dispose(&lea);
    principal_dispose(&parent);
    principal_dispose(&prof);
    principal_dispose(&admin);
    principal_dispose(&pupil3a);
    principal_dispose(&parent4f);
    (void)after;
}

typedef struct read_ctx {
    int64_t news, person;
} read_ctx_t;

static int read_fn(store_tx_t *tx, void *ud)
{
    read_ctx_t *c = ud;
    return news_mark_read(tx, c->news, c->person, clock_now());
}

static void read_receipts(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    int64_t id = item_id("5e B : sortie");
    news_item_t n;
    assert_int_equal(news_get(STORE_READER(rd), &a, id, 0, &n), 1);
    int64_t read = -1, audience = -1;
    assert_int_equal(news_read_count(STORE_READER(rd), &n, date_today(), &read, &audience), STORE_OK);
    /* the class's pupils, their parents and its teachers, the author excluded */
    int64_t pupils = sql_int("SELECT COUNT(*) FROM enrolments e JOIN classes c ON c.id = e.class_id WHERE c.code = '5B'");
    int64_t parents = sql_int("SELECT COUNT(DISTINCT l.parent_id) FROM parent_links l JOIN enrolments e ON "
                              "e.pupil_id = l.child_id JOIN classes c ON c.id = e.class_id WHERE c.code = '5B'");
    int64_t teachers = sql_int("SELECT COUNT(DISTINCT t.teacher_id) FROM teaching t JOIN classes c ON c.id = t.class_id "
                               "WHERE c.code = '5B'");
    assert_int_equal(pupils, 25);
    assert_int_equal(audience, pupils + parents + teachers - 1);
    assert_int_equal(read, 0);
    int64_t lea = sql_int("SELECT id FROM people WHERE login = 'demo.eleve'");
    int64_t staff = sql_int("SELECT person_id FROM memberships WHERE role = 'staff' LIMIT 1");
    read_ctx_t c = {id, lea};
    assert_int_equal(store_write_sync(store, read_fn, &c), STORE_OK);
    assert_int_equal(store_write_sync(store, read_fn, &c), STORE_OK); /* twice: counted once */
    read_ctx_t author = {id, n.author_id};
    assert_int_equal(store_write_sync(store, read_fn, &author), STORE_OK); /* the author is not the audience */
    read_ctx_t outsider = {id, staff};
    assert_int_equal(store_write_sync(store, read_fn, &outsider), STORE_OK); /* staff see it, are not its audience */
    assert_int_equal(news_read_count(STORE_READER(rd), &n, date_today(), &read, &audience), STORE_OK);
    assert_int_equal(read, 1);
    assert_int_equal(news_get(STORE_READER(rd), &a, id, lea, &n), 1);
    assert_false(n.unread);

    /* the whole school: everyone with a role in it */
    int64_t sid = item_id("Menus de la cantine");
    assert_int_equal(news_get(STORE_READER(rd), &a, sid, 0, &n), 1);
    assert_int_equal(news_read_count(STORE_READER(rd), &n, date_today(), &read, &audience), STORE_OK);
    assert_int_equal(audience, sql_int("SELECT COUNT(DISTINCT person_id) FROM memberships") - 1);
    /* the school's parents */
    int64_t pid = item_id("Réunion parents");
    assert_int_equal(news_get(STORE_READER(rd), &a, pid, 0, &n), 1);
    assert_int_equal(news_read_count(STORE_READER(rd), &n, date_today(), &read, &audience), STORE_OK);
    assert_int_equal(audience, sql_int("SELECT COUNT(DISTINCT person_id) FROM memberships WHERE role = 'parent'"));
    arena_free(&a);
}

typedef struct pub_ctx {
    news_draft_t d;
    int64_t id;
    news_problem_t problem;
} pub_ctx_t;

static int pub_fn(store_tx_t *tx, void *ud)
{
    pub_ctx_t *c = ud;
    return news_publish(tx, &c->d, &c->id, &c->problem);
}

static void drafts(void **state)
{
    (void)state;
    int64_t school = sql_int("SELECT id FROM schools LIMIT 1");
    int64_t admin = sql_int("SELECT id FROM people WHERE login = 'demo.admin'");
    char *big = malloc(NEWS_BODY_MAX + 2);
    memset(big, 'x', NEWS_BODY_MAX + 1);
    big[NEWS_BODY_MAX + 1] = 0;
    char title201[2 * 201 + 1];
    for (int i = 0; i < 201; i++)
        memcpy(title201 + 2 * i, "\xc3\xa9", 2);
    title201[2 * 201] = 0;
    struct {
        const char *title, *body;
        size_t body_len;
        news_audience_t aud;
        int64_t class_id;
        news_problem_t want;
    } cases[] = {
        {"", "texte", 0, NEWS_TO_SCHOOL, 0, NEWS_TITLE_EMPTY},
        {"   ", "texte", 0, NEWS_TO_SCHOOL, 0, NEWS_TITLE_EMPTY},
        {"Titre", "", 0, NEWS_TO_SCHOOL, 0, NEWS_BODY_EMPTY},
        {"Titre", " \n ", 0, NEWS_TO_SCHOOL, 0, NEWS_BODY_EMPTY},
        {title201, "texte", 0, NEWS_TO_SCHOOL, 0, NEWS_TITLE_TOO_LONG},
        {"Titre", big, NEWS_BODY_MAX + 1, NEWS_TO_SCHOOL, 0, NEWS_BODY_TOO_LONG},
        {"Deux\nlignes", "texte", 0, NEWS_TO_SCHOOL, 0, NEWS_BAD_TEXT},
        {"Titre", "texte", 0, NEWS_TO_CLASS, 0, NEWS_BAD_CLASS},
        {"Titre", "texte", 0, NEWS_TO_CLASS, 999999, NEWS_BAD_CLASS},
        {"Titre", "texte", 0, (news_audience_t)9, 0, NEWS_BAD_AUDIENCE},
    };
    int64_t before = sql_int("SELECT COUNT(*) FROM news");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pub_ctx_t c = {.d = {.school_id = school, .audience = cases[i].aud, .class_id = cases[i].class_id,
                             .title = str_from(cases[i].title),
                             .body = cases[i].body_len ? str_make(cases[i].body, cases[i].body_len)
                                                       : str_from(cases[i].body),
                             .author_id = admin, .now = clock_now()}};
        int rc = store_write_sync(store, pub_fn, &c);
        if (rc != NEWS_INVALID || c.problem != cases[i].want)
            fail_msg("case %zu: rc %d problem %d, wanted %d", i, rc, c.problem, cases[i].want);
    }
    assert_int_equal(sql_int("SELECT COUNT(*) FROM news"), before);
    /* at the limits: 200 characters of title (400 bytes), 10000 of body */
    pub_ctx_t ok = {.d = {.school_id = school, .audience = NEWS_TO_PARENTS, .title = str_make(title201, 400),
                          .body = str_make(big, NEWS_BODY_MAX), .author_id = admin, .now = clock_now()}};
    assert_int_equal(store_write_sync(store, pub_fn, &ok), STORE_OK);
    assert_int_equal(sql_int("SELECT COUNT(*) FROM news"), before + 1);
    free(big);
}

int main(void)
{
    clock_set_timezone("Europe/Paris");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(audiences),
        cmocka_unit_test(read_receipts),
        cmocka_unit_test(drafts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
