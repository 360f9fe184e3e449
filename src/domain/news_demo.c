/* The demo school's announcements: the management to everyone and to parents,
 * the school life office to parents, demo.prof to her 5e B, a teacher to 3e A.
 * Léa's mother has read the oldest ones; the rest are new to everyone. */
#include <string.h>

#include "domain/news.h"

typedef struct demo_item {
    const char *author; /* "admin", "staff", "prof", "teacher3A" */
    news_audience_t audience;
    const char *class_code; /* NULL: none */
    int days_ago;
    int hour;
    const char *title;
    const char *body;
    bool read_by_parent;
} demo_item_t;

static const demo_item_t items[] = {
    {"admin", NEWS_TO_SCHOOL, NULL, 12, 8, "Bienvenue sur Cartable",
     "Chères familles, chers élèves, chers collègues,\n\nL'emploi du temps, le cahier de textes, les devoirs, les "
     "notes, la vie scolaire et les annonces de l'établissement sont désormais réunis sur Cartable. Vos codes "
     "d'activation vous ont été remis par le professeur principal.\n\nBonne année scolaire à toutes et à tous.\n\n"
     "Claire Dubois, principale",
     true},
    {"staff", NEWS_TO_PARENTS, NULL, 9, 17, "Absences : les justifier en ligne",
     "Madame, Monsieur,\n\nToute absence doit être justifiée dans les 48 heures. Vous pouvez désormais le faire "
     "directement depuis la page « Absences » de votre enfant : indiquez le motif, la vie scolaire le valide.\n\n"
     "Les retards répétés feront l'objet d'un appel de la vie scolaire.\n\nLe conseiller principal d'éducation",
     true},
    {"prof", NEWS_TO_CLASS, "5B", 6, 18, "5e B : sortie au musée des Beaux-Arts",
     "La classe de 5e B se rendra au musée des Beaux-Arts le jeudi 10 décembre, de 9 h à 16 h, dans le cadre du "
     "travail sur les figures géométriques dans l'art.\n\nDépart en car devant le collège à 8 h 45. Prévoir un "
     "pique-nique et une tenue adaptée. L'autorisation de sortie est à rendre signée avant le 4 décembre.\n\n"
     "Mme Benali",
     false},
    {"admin", NEWS_TO_SCHOOL, NULL, 4, 12, "Menus de la cantine",
     "Les menus du restaurant scolaire jusqu'aux vacances de Noël sont affichés dans le hall et consultables à "
     "l'accueil. Un repas végétarien est proposé chaque jeudi.",
     false},
    {"teacher3A", NEWS_TO_CLASS, "3A", 3, 19, "3e A : brevet blanc",
     "Le brevet blanc aura lieu les 14 et 15 janvier. Les convocations seront distribuées en classe. Révisez "
     "les sujets des années précédentes disponibles au CDI.",
     false},
    {"admin", NEWS_TO_PARENTS, NULL, 2, 18, "Réunion parents-professeurs",
     "Les rencontres parents-professeurs auront lieu le mardi 8 décembre de 16 h 30 à 20 h. Les créneaux se "
     "réservent auprès du professeur principal à l'aide du carnet de liaison.",
     false},
    {"staff", NEWS_TO_SCHOOL, NULL, 1, 10, "Exercice d'évacuation",
     "Un exercice d'évacuation incendie aura lieu cette semaine. Chacun doit connaître le point de "
     "rassemblement de sa salle (affiché près de la porte).",
     false},
};

static int64_t person(store_tx_t *tx, const char *sql, int64_t school_id)
{
    int64_t id = 0;
    store_int(STORE_TX(tx), sql, STORE_ARGS(SA_INT(school_id)), &id);
    return id;
}

int demo_news(store_tx_t *tx, int64_t school_id, date_t today, uint64_t seed)
{
    (void)seed; /* the same announcements every time: their text is the point */
    int64_t admin = person(tx, "SELECT p.id FROM people p JOIN memberships m ON m.person_id = p.id "
                               "WHERE m.school_id = ? AND m.role = 'school_admin' ORDER BY p.login = 'demo.admin' DESC, p.id "
                               "LIMIT 1", school_id);
    int64_t staff = person(tx, "SELECT person_id FROM memberships WHERE school_id = ? AND role = 'staff' "
                               "ORDER BY person_id LIMIT 1", school_id);
    int64_t prof = person(tx, "SELECT p.id FROM people p JOIN memberships m ON m.person_id = p.id "
                              "WHERE m.school_id = ? AND m.role = 'teacher' ORDER BY p.login = 'demo.prof' DESC, p.id "
                              "LIMIT 1", school_id);
    int64_t teacher3a = person(tx, "SELECT t.teacher_id FROM teaching t JOIN classes c ON c.id = t.class_id "
                                   "WHERE c.school_id = ? AND c.code = '3A' ORDER BY t.id LIMIT 1", school_id);
    int64_t parent = 0;
    store_int(STORE_TX(tx), "SELECT id FROM people WHERE login = 'demo.parent'", STORE_NO_ARGS, &parent);
    if (!admin)
        return STORE_OK; /* not a school the demo knows */
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
        const demo_item_t *it = &items[i];
        int64_t author = strcmp(it->author, "staff") == 0 ? staff
                         : strcmp(it->author, "prof") == 0 ? prof
                         : strcmp(it->author, "teacher3A") == 0 ? teacher3a
                                                                  : admin;
        int64_t class_id = 0;
        if (it->class_code &&
            store_int(STORE_TX(tx), "SELECT id FROM classes WHERE school_id = ? AND code = ? ORDER BY year_id DESC LIMIT 1",
                      STORE_ARGS(SA_INT(school_id), SA_CSTR(it->class_code)), &class_id) != 1)
            continue;
        if (!author)
            author = admin;
        int64_t at = date_local_instant(date_add_days(today, -it->days_ago), it->hour * 60 + 5);
        news_draft_t d = {.school_id = school_id, .audience = it->audience, .class_id = class_id,
                          .title = str_from(it->title), .body = str_from(it->body), .author_id = author, .now = at};
        int64_t id;
        news_problem_t problem;
        int rc = news_publish(tx, &d, &id, &problem);
        if (rc != STORE_OK)
            return rc;
        if (it->read_by_parent && parent && (rc = news_mark_read(tx, id, parent, at + 3600)) != STORE_OK)
            return rc;
    }
    return STORE_OK;
}
