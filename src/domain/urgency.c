#include "domain/urgency.h"
#include <stdio.h>


#include "core/clock.h"
#include "domain/directory.h"
#include "domain/timetable.h"

/* A lesson of the teacher's today, starting within the window or under way. */
static int teacher_urgent(store_reader_t *r, arena_t *a, const principal_t *p, int64_t now)
{
    teaching_t *t;
    int nt = teaching_of_teacher(STORE_READER(r), a, p->person_id, &t);
    if (nt <= 0)
        return nt;
    date_t today = date_of_instant(now);
    int minutes = clock_local_minutes(now);
    for (int i = 0; i < p->nroles; i++) {
        if (p->roles[i].role != ROLE_TEACHER)
            continue;
        timetable_entry_t *e;
        int n = timetable_range(STORE_READER(r), a, p->roles[i].school_id, t, nt, today, 1, &e);
        if (n < 0)
            return n;
        for (int k = 0; k < n; k++) {
            if (e[k].status == LESSON_CANCELLED || e[k].status == LESSON_TEACHER_ABSENT)
                continue;
            bool soon = e[k].starts_min >= minutes && e[k].starts_min <= minutes + URGENCY_WINDOW_MINUTES;
            bool under_way = e[k].starts_min <= minutes && minutes < e[k].ends_min;
            if (soon || under_way)
                return 1;
        }
    }
    return 0;
}

/* An online hand-in of the pupil's, due within the window, not handed in. */
static int pupil_urgent(store_reader_t *r, const learner_t *l, int64_t now)
{
    enum { MAX_GROUPS = 16 };
    store_arg_t args[5 + MAX_GROUPS];
    size_t nargs = 0;
    args[nargs++] = SA_INT(now);
    args[nargs++] = SA_INT(now + URGENCY_WINDOW_MINUTES * 60);
    args[nargs++] = SA_INT(now);
    args[nargs++] = SA_INT(l->pupil_id);
    args[nargs++] = SA_INT(l->class_id ? l->class_id : -1);
    char in[4 * MAX_GROUPS + 8] = "-1";
    size_t len = 2;
    for (int g = 0; g < l->ngroups && g < MAX_GROUPS; g++) {
        in[len++] = ',';
        in[len++] = ' ';
        in[len++] = '?';
        args[nargs++] = SA_INT(l->groups[g]);
    }
    in[len] = '\0';
    char sql[640];
    snprintf(sql, sizeof sql,
             "SELECT 1 FROM homework h JOIN teaching t ON t.id = h.teaching_id "
             "WHERE h.hand_in = 1 AND h.due_at >= ? AND h.due_at <= ? AND h.publish_at IS NOT NULL "
             "AND h.publish_at <= ? AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.homework_id = h.id "
             "AND s.pupil_id = ?) AND (t.class_id = ? OR t.group_id IN (%s)) LIMIT 1",
             in);
    int64_t one = 0;
    return store_int(STORE_READER(r), sql, args, nargs, &one);
}

int urgency_now(store_reader_t *r, arena_t *a, const principal_t *p, int64_t now)
{
    if (principal_has_any_role(p, ROLE_TEACHER)) {
        int rc = teacher_urgent(r, a, p, now);
        if (rc != 0)
            return rc;
    }
    for (int i = 0; i < p->nlearners; i++) {
        if (p->learners[i].pupil_id != p->person_id)
            continue; /* a parent does not hand in */
        int rc = pupil_urgent(r, &p->learners[i], now);
        if (rc != 0)
            return rc;
    }
    return 0;
}
