/* The demo school's messages: demo.prof writes to the parents of 5e B, Léa's
 * mother asks demo.prof about an absence and gets an answer, the school life
 * office writes to Léa. What Léa's mother has read is read; the rest is new. */
#include "domain/messages.h"

#include "core/clock.h"

static void fill_id(arena_t *a, const store_row_t *row, void *item)
{
    (void)a;
    *(int64_t *)item = store_row_int(row, 0);
}

static int64_t login_id(store_tx_t *tx, const char *login)
{
    int64_t id = 0;
    store_int(STORE_TX(tx), "SELECT id FROM people WHERE login = ?", STORE_ARGS(SA_CSTR(login)), &id);
    return id;
}

static int send_demo(store_tx_t *tx, int64_t school_id, int64_t author, msg_resolved_t *to, int64_t conversation,
                     const char *subject, const char *body, int64_t at, msg_sent_t *sent)
{
    msg_send_t m = {.school_id = school_id, .author_id = author, .conversation_id = conversation, .to = to,
                    .subject = str_from(subject), .body = str_from(body), .now = at};
    msg_problem_t problem;
    int rc = messages_send(tx, &m, sent, &problem);
    return rc == MESSAGES_INVALID ? STORE_ERROR : rc;
}

int demo_messages(store_tx_t *tx, int64_t school_id, date_t today)
{
    int64_t prof = login_id(tx, "demo.prof"), parent = login_id(tx, "demo.parent"), pupil = login_id(tx, "demo.eleve");
    int64_t staff = 0, class_5b = 0;
    store_int(STORE_TX(tx), "SELECT person_id FROM memberships WHERE school_id = ? AND role = 'staff' "
                            "ORDER BY person_id LIMIT 1",
              STORE_ARGS(SA_INT(school_id)), &staff);
    store_int(STORE_TX(tx), "SELECT id FROM classes WHERE school_id = ? AND code = '5B' ORDER BY year_id DESC LIMIT 1",
              STORE_ARGS(SA_INT(school_id)), &class_5b);
    if (!prof || !parent || !pupil || !staff || !class_5b)
        return STORE_OK; /* not a school the demo knows */
    arena_t a;
    arena_init(&a, NULL);
    char d[11];
    date_format_iso(today, d);
    int64_t *parents = NULL;
    int n = store_list(STORE_TX(tx), &a,
                       "SELECT DISTINCT pl.parent_id FROM parent_links pl JOIN enrolments e ON e.pupil_id = pl.child_id "
                       "WHERE e.class_id = ? AND e.starts_on <= ? AND (e.ends_on IS NULL OR e.ends_on >= ?) "
                       "ORDER BY pl.parent_id",
                       STORE_ARGS(SA_INT(class_5b), SA_CSTR(d), SA_CSTR(d)), sizeof *parents, fill_id,
                       (void **)&parents);
    int rc = n < 0 ? n : STORE_OK;
    msg_sent_t sent;
    if (rc == STORE_OK && n > 0) {
        msg_resolved_t to = {.people = parents, .npeople = n, .broadcast = "class_parents",
                             .broadcast_target = class_5b};
        rc = send_demo(tx, school_id, prof, &to, 0, "5e B : autorisation de sortie au musée",
                       "Madame, Monsieur,\n\nVous trouverez dans le carnet de liaison l'autorisation de sortie pour "
                       "la visite du musée des Beaux-Arts. Merci de la rendre signée avant le 4 décembre.\n\n"
                       "Bien cordialement,\nMme Benali",
                       date_local_instant(date_add_days(today, -5), 18 * 60), &sent);
    }
    int64_t one[1] = {prof};
    msg_resolved_t to_prof = {.people = one, .npeople = 1, .broadcast = ""};
    if (rc == STORE_OK)
        rc = send_demo(tx, school_id, parent, &to_prof, 0, "Absence de Léa jeudi matin",
                       "Bonjour Madame,\n\nLéa aura un rendez-vous médical jeudi matin et manquera le cours de "
                       "mathématiques. Pourriez-vous m'indiquer le travail à rattraper ?\n\nMerci,\nSophie Martin",
                       date_local_instant(date_add_days(today, -3), 20 * 60), &sent);
    if (rc == STORE_OK)
        rc = send_demo(tx, school_id, prof, NULL, sent.conversation_id, NULL,
                       "Bonjour,\n\nMerci de m'avoir prévenue. Léa trouvera les exercices dans le cahier de textes ; "
                       "je reprendrai la correction avec elle vendredi.\n\nMme Benali",
                       date_local_instant(date_add_days(today, -2), 12 * 60 + 30), &sent);
    if (rc == STORE_OK)
        rc = messages_mark_read(tx, parent, sent.conversation_id);
    int64_t to_pupil_ids[1] = {pupil};
    msg_resolved_t to_pupil = {.people = to_pupil_ids, .npeople = 1, .broadcast = ""};
    if (rc == STORE_OK)
        rc = send_demo(tx, school_id, staff, &to_pupil, 0, "Carnet de correspondance",
                       "Bonjour Léa,\n\nTu as oublié ton carnet de correspondance au CDI. Tu peux venir le chercher "
                       "à la vie scolaire.\n\nLa vie scolaire",
                       date_local_instant(date_add_days(today, -1), 10 * 60), &sent);
    arena_free(&a);
    return rc;
}
