/* A pupil's and a parent's school day: today, the week, the cahier de textes,
 * ticking homework done; the personal calendar feed (web/schoolday.h). */
#include "web/schoolday.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/policy.h"
#include "core/log.h"
#include "domain/attendance.h"
#include "domain/dayview.h"
#include "domain/digest.h"
#include "domain/grades.h"
#include "domain/news.h"
#include "http/async.h"
#include "http/identity.h"
#include "http/response.h"
#include "http/worker.h"
#include "live/hub.h"
#include "web/page.h"
#include "web/template.h"

/* ---- shared view helpers ---- */

const char *day_label(request_t *r, date_t d)
{
    static const msg_id_t days[] = {MSG_day_1, MSG_day_2, MSG_day_3, MSG_day_4, MSG_day_5, MSG_day_6, MSG_day_7};
    static const msg_id_t months[] = {MSG_month_1, MSG_month_2, MSG_month_3,  MSG_month_4,
                                      MSG_month_5, MSG_month_6, MSG_month_7,  MSG_month_8,
                                      MSG_month_9, MSG_month_10, MSG_month_11, MSG_month_12};
    if (!date_valid(d))
        return "";
    char num[3] = {0};
    if (d.day >= 10) {
        num[0] = (char)('0' + d.day / 10);
        num[1] = (char)('0' + d.day % 10);
    } else {
        num[0] = (char)('0' + d.day);
    }
    const char *args[3] = {i18n_text((lang_id_t)r->lang, days[date_weekday(d) - 1]), num,
                           i18n_text((lang_id_t)r->lang, months[d.month - 1])};
    buf_t b;
    buf_init(&b, &r->arena, 32);
    i18n_format(&b, (lang_id_t)r->lang, MSG_schoolday_date, args, 3);
    buf_putc(&b, '\0');
    return b.data;
}

static const char *iso(request_t *r, date_t d)
{
    char *s = arena_alloc(&r->arena, 11);
    date_format_iso(d, s);
    return s;
}

static const char *hhmm(request_t *r, int minutes)
{
    char *s = arena_alloc(&r->arena, 6);
    timetable_format_time(minutes, s);
    return s;
}

static msg_id_t status_message(lesson_status_t s)
{
    switch (s) {
    case LESSON_CANCELLED:
        return MSG_schoolday_status_cancelled;
    case LESSON_TEACHER_ABSENT:
        return MSG_schoolday_status_teacher_absent;
    case LESSON_ROOM_CHANGED:
        return MSG_schoolday_status_room_change;
    case LESSON_MOVED:
        return MSG_schoolday_status_moved;
    case LESSON_EXTRA:
        return MSG_schoolday_status_extra;
    case LESSON_NORMAL:
        break;
    }
    return MSG_schoolday_status_normal;
}

value_t *entry_value(request_t *r, const timetable_entry_t *e)
{
    value_t *m = value_map(&r->arena);
    value_set_int(m, "teaching_id", e->teaching_id);
    value_set_int(m, "slot_id", e->slot_id);
    value_set_cstr(m, "date", iso(r, e->on));
    value_set_cstr(m, "starts", hhmm(r, e->starts_min));
    value_set_cstr(m, "ends", hhmm(r, e->ends_min));
    value_set_str(m, "subject", e->subject_name);
    value_set_str(m, "target", e->target_name);
    value_set_str(m, "teacher", e->teacher_name);
    value_set_str(m, "room", e->room);
    value_set_str(m, "note", e->note);
    value_set_cstr(m, "status", lesson_status_code(e->status));
    if (e->status != LESSON_NORMAL)
        value_set_cstr(m, "status_label", i18n_text((lang_id_t)r->lang, status_message(e->status)));
    value_set_bool(m, "off", e->status == LESSON_CANCELLED || e->status == LESSON_TEACHER_ABSENT);
    return m;
}

value_t *homework_value(request_t *r, const homework_item_t *h)
{
    value_t *m = value_map(&r->arena);
    value_set_int(m, "id", h->id);
    value_set_int(m, "teaching_id", h->teaching_id);
    value_set_str(m, "title", h->title);
    value_set_str(m, "instructions", h->instructions);
    value_set_str(m, "subject", h->subject_name);
    value_set_str(m, "target", h->target_name);
    value_set_str(m, "teacher", h->teacher_name);
    value_set_cstr(m, "due_on", iso(r, h->due_on));
    value_set_cstr(m, "due_label", day_label(r, h->due_on));
    value_set_cstr(m, "given_on", iso(r, h->given_on));
    value_set_int(m, "minutes", h->minutes);
    value_set_bool(m, "hand_in", h->hand_in);
    value_set_bool(m, "done", h->done);
    value_set_bool(m, "handed_in", h->submitted_at != 0);
    value_set_bool(m, "late", h->late);
    value_set_bool(m, "returned", h->returned);
    value_set_bool(m, "draft", h->publish_at == 0);
    return m;
}

/* ---- whose day ---- */

const learner_t *request_learner(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return NULL;
    str_t q = request_query(r, "pupil");
    int64_t id = 0;
    if (q.ptr && !str_to_i64(q, &id)) {
        respond_error(r, 400, MSG_error_bad_input, "pupil");
        return NULL;
    }
    if (!id) {
        if (principal_has_any_role(p, ROLE_PUPIL))
            id = p->person_id;
        else
            id = request_current_child(r);
    }
    const learner_t *l = id ? principal_learner(p, id) : NULL;
    if (l)
        return l;
    if (!id) {
        respond_error(r, 404, MSG_error_not_found, NULL);
        return NULL;
    }
    /* Staff and teachers reach a pupil's day through policy, with a learner built here. */
    policy_target_t t;
    int rc = policy_target_person(r->worker->store_reader, &r->arena, id, &t);
    if (rc < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return NULL;
    }
    if (rc == 0) {
        respond_error(r, 404, MSG_error_not_found, NULL);
        return NULL;
    }
    if (!policy_allows(p, POLICY_PUPIL_RECORD, &t)) {
        respond_forbidden(r);
        return NULL;
    }
    learner_t *made = arena_alloc(&r->arena, sizeof *made);
    *made = (learner_t){.pupil_id = id, .school_id = t.school_id, .class_id = t.class_id, .groups = t.groups,
                        .ngroups = t.ngroups};
    return made;
}

/* ---- a pupil's merged days ---- */

static int entry_order(const void *pa, const void *pb)
{
    const timetable_entry_t *a = pa, *b = pb;
    int c = date_compare(a->on, b->on);
    if (c)
        return c;
    return (a->starts_min > b->starts_min) - (a->starts_min < b->starts_min);
}

static int homework_order(const void *pa, const void *pb)
{
    const homework_item_t *a = pa, *b = pb;
    int c = date_compare(a->due_on, b->due_on);
    if (c)
        return c;
    return (a->id > b->id) - (a->id < b->id);
}

static int live_order(const void *pa, const void *pb)
{
    const live_class_t *a = pa, *b = pb;
    if (a->starts_at != b->starts_at)
        return (a->starts_at > b->starts_at) - (a->starts_at < b->starts_at);
    return (a->id > b->id) - (a->id < b->id);
}

value_t *live_class_value(request_t *r, const live_class_t *lc)
{
    const config_t *cfg = r->app->config;
    value_t *m = value_map(&r->arena);
    value_set_int(m, "id", lc->id);
    value_set_str(m, "title", lc->title);
    value_set_str(m, "subject", lc->teaching.subject_name);
    value_set_str(m, "target", lc->teaching.target_name);
    value_set_str(m, "teacher", lc->teaching.teacher_name);
    value_set_cstr(m, "day", day_label(r, date_of_instant(lc->starts_at)));
    value_set_cstr(m, "starts", hhmm(r, clock_local_minutes(lc->starts_at)));
    value_set_cstr(m, "ends", hhmm(r, clock_local_minutes(lc->ends_at)));
    value_set_cstr(m, "room_url", arena_printf(&r->arena, "/live/%lld", (long long)lc->id));
    value_set_bool(m, "joinable", live_joinable_now(cfg, lc, clock_now()));
    return m;
}

int learner_day_load(request_t *r, const learner_t *l, date_t from, learner_day_t *out)
{
    memset(out, 0, sizeof *out);
    worker_t *w = r->worker;
    const dayview_t *views[17];
    int nv = 0;
    if (l->class_id) {
        views[nv] = dayview_get(&w->dayviews, r->app->store, w->store_reader, &r->arena, l->school_id, l->class_id, 0,
                                from);
        if (!views[nv++])
            return STORE_ERROR;
    }
    for (int i = 0; i < l->ngroups && nv < 17; i++) {
        views[nv] = dayview_get(&w->dayviews, r->app->store, w->store_reader, &r->arena, l->school_id, 0,
                                l->groups[i], from);
        if (!views[nv++])
            return STORE_ERROR;
    }
    int ne = 0, nh = 0, nl = 0;
    for (int i = 0; i < nv; i++) {
        ne += views[i]->nentries;
        nh += views[i]->nhomework;
        nl += views[i]->nlive;
    }
    out->live = arena_alloc(&r->arena, sizeof *out->live * (size_t)(nl + 1));
    for (int i = 0; i < nv; i++)
        if (views[i]->nlive) {
            memcpy(out->live + out->nlive, views[i]->live, sizeof *out->live * (size_t)views[i]->nlive);
            out->nlive += views[i]->nlive;
        }
    qsort(out->live, (size_t)out->nlive, sizeof *out->live, live_order);
    out->entries = arena_alloc(&r->arena, sizeof *out->entries * (size_t)(ne + 1));
    out->homework = arena_alloc(&r->arena, sizeof *out->homework * (size_t)(nh + 1));
    int64_t now = clock_now();
    for (int i = 0; i < nv; i++) {
        memcpy(out->entries + out->nentries, views[i]->entries, sizeof *out->entries * (size_t)views[i]->nentries);
        out->nentries += views[i]->nentries;
        for (int k = 0; k < views[i]->nhomework; k++) {
            const homework_item_t *h = &views[i]->homework[k];
            if (h->publish_at && h->publish_at <= now)
                out->homework[out->nhomework++] = *h;
        }
    }
    qsort(out->entries, (size_t)out->nentries, sizeof *out->entries, entry_order);
    qsort(out->homework, (size_t)out->nhomework, sizeof *out->homework, homework_order);
    if (out->nhomework == 0)
        return 0;
    /* What is personal: done ticks and hand-ins of this pupil in the window. */
    int np;
    const personal_state_t *p =
        personal_get(&w->personal, r->app->store, w->store_reader, &r->arena, l->pupil_id, from, &np);
    if (!p)
        return STORE_ERROR;
    for (int i = 0; i < out->nhomework; i++)
        for (int k = 0; k < np; k++)
            if (p[k].homework_id == out->homework[i].id) {
                out->homework[i].done = p[k].done;
                out->homework[i].submitted_at = p[k].submitted_at;
                out->homework[i].late = p[k].late;
                out->homework[i].returned = p[k].returned;
            }
    return 0;
}

/* ---- the "today" part of the dashboard ---- */

static bool learner_view(request_t *r, const learner_t *l, value_t *v)
{
    date_t today = date_today();
    learner_day_t day;
    if (learner_day_load(r, l, today, &day) < 0)
        return false;
    /* Today, or the next day with lessons (a weekend, a holiday). */
    date_t shown = today;
    for (int i = 0; i < day.nentries; i++)
        if (date_compare(day.entries[i].on, today) >= 0) {
            shown = day.entries[i].on;
            break;
        }
    value_set_cstr(v, "day_label", day_label(r, shown));
    value_set_bool(v, "day_is_today", date_compare(shown, today) == 0);
    value_set_int(v, "pupil_id", l->pupil_id);
    value_t *lessons = value_set_list(v, "lessons");
    for (int i = 0; i < day.nentries; i++)
        if (date_compare(day.entries[i].on, shown) == 0)
            value_push(lessons, entry_value(r, &day.entries[i]));
    /* Live classes of the day shown, and any still to come this week. */
    value_t *live = value_set_list(v, "live");
    int64_t now = clock_now();
    for (int i = 0; i < day.nlive; i++)
        if (day.live[i].ends_at + live_join_late_s(r->app->config) > now &&
            day.live[i].starts_at < now + 7 * 24 * 3600)
            value_push(live, live_class_value(r, &day.live[i]));
    /* new marks of the last two weeks, absences to justify */
    const learner_digest_t *dg =
        digest_learner(&r->worker->digests, r->app->store, r->worker->store_reader, &r->arena, l, today);
    if (!dg)
        return false;
    const recent_mark_t *marks = dg->marks;
    int nm = dg->nmarks;
    int unjustified = dg->unjustified;
    value_t *ml = value_set_list(v, "marks");
    for (int i = 0; i < nm; i++) {
        value_t *m = value_map(&r->arena);
        value_set_str(m, "subject", marks[i].subject_name);
        value_set_str(m, "title", marks[i].title);
        value_set_cstr(m, "day", day_label(r, marks[i].on));
        const char *mark_text;
        switch (marks[i].status) {
        case GRADE_MARK:
            mark_text = dg->mark_text[i];
            break;
        case GRADE_ABSENT:
            mark_text = i18n_text((lang_id_t)r->lang, MSG_schoolday_mark_absent);
            break;
        case GRADE_EXEMPT:
            mark_text = i18n_text((lang_id_t)r->lang, MSG_schoolday_mark_exempt);
            break;
        default:
            mark_text = i18n_text((lang_id_t)r->lang, MSG_schoolday_mark_not_handed_in);
            break;
        }
        value_set_cstr(m, "mark", mark_text);
        value_push(ml, m);
    }
    value_set_int(v, "unjustified", unjustified);
    value_t *hw = value_set_list(v, "homework");
    date_t until = date_add_days(today, 7);
    int count = 0;
    for (int i = 0; i < day.nhomework && count < 12; i++) {
        const homework_item_t *h = &day.homework[i];
        if (date_compare(h->due_on, today) < 0 || date_compare(h->due_on, until) > 0)
            continue;
        value_push(hw, homework_value(r, h));
        count++;
    }
    return true;
}

bool schoolday_dashboard(request_t *r, const principal_t *p, value_t *v)
{
    const learner_t *l = NULL;
    if (principal_has_any_role(p, ROLE_PUPIL))
        l = principal_learner(p, p->person_id);
    else if (p->nchildren)
        l = principal_learner(p, request_current_child(r));
    if (l && !learner_view(r, l, value_set_map(v, "day")))
        return false;
    const person_news_t *pn =
        digest_news(&r->worker->digests, r->app->store, r->worker->store_reader, &r->arena, p, date_today());
    if (!pn)
        return false;
    const news_item_t *news = pn->items;
    int nn = pn->n;
    value_t *nl = value_set_list(v, "news");
    for (int i = 0; i < nn; i++) {
        value_t *m = value_map(&r->arena);
        value_set_int(m, "id", news[i].id);
        value_set_str(m, "title", news[i].title);
        value_set_bool(m, "unread", news[i].unread);
        value_set_cstr(m, "day", day_label(r, date_of_instant(news[i].published_at)));
        value_push(nl, m);
    }
    if (principal_has_any_role(p, ROLE_TEACHER)) {
        teaching_t *t;
        int n = teaching_of_teacher(STORE_READER(r->worker->store_reader), &r->arena, p->person_id, &t);
        if (n < 0)
            return false;
        timetable_entry_t *e;
        date_t today = date_today();
        int ne = n ? timetable_range(STORE_READER(r->worker->store_reader), &r->arena, t[0].school_id, t, n, today, 1,
                                     &e)
                   : 0;
        if (ne < 0)
            return false;
        value_t *tv = value_set_map(v, "teacher_day");
        value_set_cstr(tv, "day_label", day_label(r, today));
        value_t *list = value_set_list(tv, "lessons");
        for (int i = 0; i < ne; i++)
            value_push(list, entry_value(r, &e[i]));
        int64_t *ids = arena_alloc(&r->arena, sizeof *ids * (size_t)(n + 1));
        for (int i = 0; i < n; i++)
            ids[i] = t[i].id;
        live_class_t *lc;
        int64_t now = clock_now();
        int nlive = liveclass_of_teachings(STORE_READER(r->worker->store_reader), &r->arena, ids, n,
                                           now - live_join_late_s(r->app->config),
                                           now + 7 * 24 * 3600, &lc);
        if (nlive < 0)
            return false;
        value_t *ll = value_set_list(tv, "live");
        for (int i = 0; i < nlive; i++)
            value_push(ll, live_class_value(r, &lc[i]));
        int64_t to_mark = 0;
        if (store_int(STORE_READER(r->worker->store_reader),
                      "SELECT COUNT(*) FROM submissions s JOIN homework h ON h.id = s.homework_id "
                      "JOIN teaching t ON t.id = h.teaching_id WHERE t.teacher_id = ? AND s.returned_at IS NULL",
                      STORE_ARGS(SA_INT(p->person_id)), &to_mark) < 0)
            return false;
        value_set_int(tv, "to_mark", to_mark);
        roll_call_due_t *due;
        int nd = attendance_roll_calls_due(STORE_READER(r->worker->store_reader), &r->arena, p->person_id, 0, today,
                                           clock_local_minutes(clock_now()), &due);
        if (nd < 0)
            return false;
        value_t *dl = value_set_list(tv, "roll_calls_due");
        for (int i = 0; i < nd; i++) {
            value_t *m = value_map(&r->arena);
            value_set_int(m, "teaching_id", due[i].teaching_id);
            value_set_cstr(m, "date", iso(r, due[i].on));
            value_set_cstr(m, "starts", hhmm(r, due[i].starts_min));
            value_set_str(m, "subject", due[i].subject_name);
            value_set_str(m, "target", due[i].target_name);
            value_push(dl, m);
        }
    }
    return true;
}

/* ---- the week ---- */

static bool week_param(request_t *r, date_t *monday)
{
    str_t w = request_query(r, "week");
    date_t d = date_today();
    if (w.ptr && w.len && !date_parse_iso(w, &d)) {
        buf_t detail;
        buf_init(&detail, &r->arena, 64);
        const char *args[1] = {"week"};
        i18n_format(&detail, (lang_id_t)r->lang, MSG_input_bad_date, args, 1);
        respond_error(r, 400, MSG_error_bad_input, detail.data);
        return false;
    }
    /* On a Sunday the coming week is the one people look for. */
    if (!(w.ptr && w.len) && date_weekday(d) == 7)
        d = date_add_days(d, 1);
    *monday = date_monday(d);
    return true;
}

static void week_view(request_t *r, value_t *v, date_t monday, const timetable_entry_t *e, int n)
{
    value_set_cstr(v, "week_label", day_label(r, monday));
    value_set_cstr(v, "prev_week", iso(r, date_add_days(monday, -7)));
    value_set_cstr(v, "next_week", iso(r, date_add_days(monday, 7)));
    value_t *days = value_set_list(v, "days");
    for (int d = 0; d < 6; d++) {
        date_t day = date_add_days(monday, d);
        value_t *dv = value_map(&r->arena);
        value_set_cstr(dv, "label", day_label(r, day));
        value_set_bool(dv, "today", date_compare(day, date_today()) == 0);
        value_t *list = value_set_list(dv, "lessons");
        int count = 0;
        for (int i = 0; i < n; i++)
            if (date_compare(e[i].on, day) == 0) {
                value_push(list, entry_value(r, &e[i]));
                count++;
            }
        /* Saturday only when something happens then. */
        if (d < 5 || count)
            value_push(days, dv);
    }
}

static void my_timetable(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    date_t monday;
    if (!week_param(r, &monday))
        return;
    value_t *v = value_map(&r->arena);
    store_src_t src = STORE_READER(r->worker->store_reader);
    timetable_entry_t *e = NULL;
    int n = 0;
    bool follows = principal_has_any_role(p, ROLE_PUPIL) || p->nchildren || request_query(r, "pupil").ptr;
    if (follows) {
        const learner_t *l = request_learner(r);
        if (!l)
            return;
        teaching_t *t;
        n = teaching_of_pupil(src, &r->arena, l->class_id, l->groups, l->ngroups, &t);
        if (n >= 0)
            n = timetable_range(src, &r->arena, l->school_id, t, n, monday, 7, &e);
        value_set_int(v, "pupil_id", l->pupil_id);
    } else if (principal_has_any_role(p, ROLE_TEACHER)) {
        teaching_t *t;
        n = teaching_of_teacher(src, &r->arena, p->person_id, &t);
        if (n > 0)
            n = timetable_range(src, &r->arena, t[0].school_id, t, n, monday, 7, &e);
        value_set_bool(v, "teacher", true);
    }
    if (n < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    week_view(r, v, monday, e, n);
    page_render(r, 200, TPL_schoolday_week, v);
}

static void class_timetable(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    policy_target_t t;
    int rc = policy_target_class(r->worker->store_reader, &r->arena, request_param_int(r, "id"), &t);
    if (rc < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    if (rc == 0) {
        respond_error(r, 404, MSG_error_not_found, NULL);
        return;
    }
    if (!policy_allows(p, POLICY_CLASS_ROSTER, &t)) {
        respond_forbidden(r);
        return;
    }
    date_t monday;
    if (!week_param(r, &monday))
        return;
    store_src_t src = STORE_READER(r->worker->store_reader);
    teaching_t *te;
    timetable_entry_t *e = NULL;
    int n = teaching_of_class(src, &r->arena, t.class_id, &te);
    if (n > 0)
        n = timetable_range(src, &r->arena, t.school_id, te, n, monday, 7, &e);
    if (n < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    value_t *v = value_map(&r->arena);
    class_info_t c;
    if (class_get(src, &r->arena, t.class_id, &c) == 1)
        value_set_str(v, "class_name", c.name);
    value_set_int(v, "class_id", t.class_id);
    week_view(r, v, monday, e, n);
    page_render(r, 200, TPL_schoolday_week, v);
}

/* ---- the cahier de textes, as a pupil or a parent reads it ---- */

static void pupil_notebook(request_t *r)
{
    const learner_t *l = request_learner(r);
    if (!l)
        return;
    date_t today = date_today();
    learner_day_t day;
    if (learner_day_load(r, l, today, &day) < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    /* the pupil's subjects (teachings), to read the notebook one subject at a time */
    teaching_t *t;
    store_src_t src = STORE_READER(r->worker->store_reader);
    int nt = teaching_of_pupil(src, &r->arena, l->class_id, l->groups, l->ngroups, &t);
    if (nt < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    int64_t only = 0;
    str_t subject = request_query(r, "subject");
    if (subject.ptr && (!str_to_i64(subject, &only) || only <= 0)) {
        respond_error(r, 400, MSG_error_bad_input, "subject");
        return;
    }
    value_t *v = value_map(&r->arena);
    value_set_int(v, "pupil_id", l->pupil_id);
    value_t *subjects = value_set_list(v, "subjects");
    teaching_t *chosen = NULL;
    for (int i = 0; i < nt; i++) {
        value_t *m = value_map(&r->arena);
        value_set_int(m, "id", t[i].id);
        value_set_str(m, "name", t[i].subject_name);
        value_set_bool(m, "current", t[i].id == only);
        value_push(subjects, m);
        if (t[i].id == only)
            chosen = &t[i];
    }
    if (only && !chosen) {
        /* not one of the pupil's subjects: nothing to show, nothing to learn */
        respond_error(r, 404, MSG_error_not_found, NULL);
        return;
    }
    value_set_bool(v, "all_subjects", !chosen);
    if (chosen)
        value_set_str(v, "subject_name", chosen->subject_name);
    /* homework by due day */
    value_t *days = value_set_list(v, "due_days");
    value_t *cur = NULL;
    date_t cur_day = {0};
    for (int i = 0; i < day.nhomework; i++) {
        const homework_item_t *h = &day.homework[i];
        if (chosen && h->teaching_id != chosen->id)
            continue;
        if (!cur || date_compare(cur_day, h->due_on) != 0) {
            cur = value_map(&r->arena);
            value_set_cstr(cur, "label", day_label(r, h->due_on));
            value_set_list(cur, "items");
            value_push(days, cur);
            cur_day = h->due_on;
        }
        value_push(value_get(cur, "items", 5), homework_value(r, h));
    }
    /* lessons, newest first: two weeks of every subject, or eight of one */
    if (chosen) {
        t = chosen;
        nt = 1;
    }
    date_t since = date_add_days(today, chosen ? -56 : -14);
    lesson_entry_t *le;
    int nl = lessons_between(src, &r->arena, t, nt, since, today, clock_now(), false, &le);
    if (nl < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    lesson_file_t *lf;
    int nf = lesson_files_between(src, &r->arena, t, nt, since, today, &lf);
    if (nf < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    value_t *lessons = value_set_list(v, "lessons");
    for (int i = 0; i < nl; i++) {
        value_t *m = value_map(&r->arena);
        value_t *files = value_set_list(m, "files");
        for (int k = 0; k < nf; k++)
            if (lf[k].lesson_id == le[i].id) {
                value_t *fm = value_map(&r->arena);
                value_set_cstr(fm, "id", arena_strdup(&r->arena, lf[k].file.id));
                value_set_str(fm, "name", lf[k].file.name);
                value_push(files, fm);
            }
        value_t *links = value_set_list(m, "links");
        str_t rest = le[i].links;
        while (rest.ptr && rest.len) {
            str_t line = str_trim(str_cut(rest, '\n', &rest));
            if (line.len && line.ptr[line.len - 1] == '\r')
                line.len--;
            if (line.len)
                value_push(links, value_str(&r->arena, line));
        }
        value_set_int(m, "id", le[i].id);
        value_set_cstr(m, "day", day_label(r, le[i].on));
        value_set_str(m, "subject", le[i].subject_name);
        value_set_str(m, "title", le[i].title);
        value_set_str(m, "content", le[i].content);
        value_push(lessons, m);
    }
    page_render(r, 200, TPL_schoolday_notebook, v);
}

/* POST /homework/{id}/done: a pupil ticks or unticks a homework. */
typedef struct done_job {
    teaching_t teaching;
    int64_t homework_id, pupil_id;
    bool done;
    str_t next;
} done_job_t;

static int done_write(store_tx_t *tx, void *ud)
{
    done_job_t *j = ud;
    return homework_mark_done(tx, &j->teaching, j->homework_id, j->pupil_id, j->done);
}

static void done_answer(request_t *r, void *ud, int status)
{
    done_job_t *j = ud;
    if (status < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    if (r->is_api) {
        value_t *v = value_map(&r->arena);
        value_set_int(v, "homework", j->homework_id);
        value_set_bool(v, "done", j->done);
        respond_json(r, 200, v);
        return;
    }
    respond_redirect(r, 303, j->next);
}

/* Loads the homework and its teaching, and checks the principal may hand in for
 * it. Answers and returns false otherwise. */
bool homework_for_pupil(request_t *r, int64_t homework_id, homework_item_t *hw, teaching_t *t);
bool homework_for_pupil(request_t *r, int64_t homework_id, homework_item_t *hw, teaching_t *t)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return false;
    store_src_t src = STORE_READER(r->worker->store_reader);
    int rc = homework_get(src, &r->arena, homework_id, hw);
    if (rc == 1)
        rc = teaching_get(src, &r->arena, hw->teaching_id, t);
    if (rc < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return false;
    }
    policy_target_t target = rc == 1 ? policy_target_of_teaching(t) : (policy_target_t){0};
    /* Drafts and unknown ids look the same to pupils. */
    if (rc == 0 || (!policy_allows(p, POLICY_TEACHING_WRITE, &target) &&
                    (hw->publish_at == 0 || hw->publish_at > clock_now()))) {
        respond_error(r, 404, MSG_error_not_found, NULL);
        return false;
    }
    if (!policy_allows(p, POLICY_TEACHING_HAND_IN, &target)) {
        respond_forbidden(r);
        return false;
    }
    return true;
}

static void homework_done(request_t *r)
{
    done_job_t *j = arena_alloc(&r->arena, sizeof *j);
    memset(j, 0, sizeof *j);
    homework_item_t hw;
    str_t done_field;
    if (r->is_api) {
        json_t *body = request_json(r);
        if (!body)
            return;
        json_t *d = json_object_get(body, "done");
        if (!json_is_boolean(d)) {
            respond_error(r, 400, MSG_error_bad_input, "done");
            return;
        }
        j->done = json_is_true(d);
    } else {
        form_t *f = request_form(r);
        if (!f)
            return;
        done_field = form_get(f, "done");
        if (!done_field.ptr || !(str_eq_cstr(done_field, "1") || str_eq_cstr(done_field, "0"))) {
            respond_error(r, 400, MSG_error_bad_input, "done");
            return;
        }
        j->done = str_eq_cstr(done_field, "1");
        j->next = page_safe_next(form_get(f, "next"), STR("/"));
    }
    if (!homework_for_pupil(r, request_param_int(r, "id"), &hw, &j->teaching))
        return;
    j->homework_id = hw.id;
    j->pupil_id = request_principal(r)->person_id;
    if (request_store_write(r, done_write, j, done_answer) != 0)
        respond_error(r, 503, MSG_error_unavailable, NULL);
}

/* ---- the calendar feed (RFC 5545) ---- */

#define FEED_TOKEN_BYTES 24

static void token_hash(const char *token, size_t len, char out[65])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)token, len, NULL, 0);
    sodium_bin2hex(out, 65, h, sizeof h);
}

/* Text values escaped as RFC 5545 3.3.11 asks, lines folded at 75 octets. */
static void ical_line(buf_t *b, const char *name, str_t value)
{
    buf_t line;
    buf_init(&line, NULL, 128);
    buf_puts(&line, name);
    buf_putc(&line, ':');
    for (size_t i = 0; i < value.len; i++) {
        char c = value.ptr[i];
        if (c == '\\' || c == ';' || c == ',') {
            buf_putc(&line, '\\');
            buf_putc(&line, c);
        } else if (c == '\n') {
            buf_puts(&line, "\\n");
        } else if (c != '\r') {
            buf_putc(&line, c);
        }
    }
    size_t col = 0;
    for (size_t i = 0; i < line.len; i++) {
        unsigned char c = (unsigned char)line.data[i];
        /* fold before 75 octets, never inside a UTF-8 sequence */
        if (col >= 74 && (c & 0xC0) != 0x80) {
            buf_puts(b, "\r\n ");
            col = 1;
        }
        buf_putc(b, (char)c);
        col++;
    }
    buf_puts(b, "\r\n");
    buf_dispose(&line);
}

static void ical_time(buf_t *b, const char *name, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    buf_printf(b, "%s:%04d%02d%02dT%02d%02d%02dZ\r\n", name, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
               tm.tm_min, tm.tm_sec);
}

typedef struct feed_owner {
    int64_t person_id;
} feed_owner_t;

static void fill_owner(arena_t *a, const store_row_t *row, void *item)
{
    (void)a;
    ((feed_owner_t *)item)->person_id = store_row_int(row, 0);
}

static void calendar_feed(request_t *r)
{
    str_t token = request_param_str(r, "token");
    if (str_starts_with(token, STR("")) && token.len > 4 && memcmp(token.ptr + token.len - 4, ".ics", 4) == 0)
        token.len -= 4;
    if (token.len != FEED_TOKEN_BYTES * 2) {
        respond_error(r, 404, MSG_error_not_found, NULL);
        return;
    }
    char hash[65];
    token_hash(token.ptr, token.len, hash);
    store_src_t src = STORE_READER(r->worker->store_reader);
    feed_owner_t owner;
    int rc = store_one(src, &r->arena, "SELECT person_id FROM calendar_feeds WHERE token_hash = ?",
                       STORE_ARGS(SA_CSTR(hash)), sizeof owner, fill_owner, &owner);
    if (rc < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    if (rc == 0) {
        respond_error(r, 404, MSG_error_not_found, NULL);
        return;
    }
    const principal_t *p =
        principal_cache_get(&r->worker->principals, r->app->store, r->worker->store_reader, owner.person_id);
    if (!p || p->disabled) {
        respond_error(r, 404, MSG_error_not_found, NULL);
        return;
    }
    date_t from = date_add_days(date_today(), -7);
    buf_t b;
    buf_init(&b, &r->arena, 16384);
    buf_puts(&b, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Cartable//Emploi du temps//FR\r\n"
                 "CALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\n");
    ical_line(&b, "X-WR-CALNAME", STR("Cartable"));
    int64_t now = clock_now();
    /* pupils: their own; parents: each child's; teachers: what they teach */
    for (int li = -1; li < p->nlearners; li++) {
        teaching_t *t;
        int n;
        int64_t school;
        if (li < 0) {
            if (!principal_has_any_role(p, ROLE_TEACHER))
                continue;
            n = teaching_of_teacher(src, &r->arena, p->person_id, &t);
            school = n > 0 ? t[0].school_id : 0;
        } else {
            const learner_t *l = &p->learners[li];
            n = teaching_of_pupil(src, &r->arena, l->class_id, l->groups, l->ngroups, &t);
            school = l->school_id;
        }
        timetable_entry_t *e = NULL;
        if (n > 0)
            n = timetable_range(src, &r->arena, school, t, n, from, 35, &e);
        if (n < 0) {
            respond_error(r, 503, MSG_error_unavailable, NULL);
            return;
        }
        for (int i = 0; i < n; i++) {
            char uid[96], d[11];
            date_format_iso(e[i].on, d);
            snprintf(uid, sizeof uid, "%s-%lld-%lld-%lld@cartable", d, (long long)e[i].teaching_id,
                     (long long)e[i].slot_id, (long long)(li < 0 ? 0 : p->learners[li].pupil_id));
            buf_puts(&b, "BEGIN:VEVENT\r\n");
            ical_line(&b, "UID", str_from(uid));
            ical_time(&b, "DTSTAMP", now);
            ical_time(&b, "DTSTART", date_local_instant(e[i].on, e[i].starts_min));
            ical_time(&b, "DTEND", date_local_instant(e[i].on, e[i].ends_min));
            buf_t summary;
            buf_init(&summary, &r->arena, 64);
            buf_append_str(&summary, e[i].subject_name);
            buf_puts(&summary, " · ");
            buf_append_str(&summary, e[i].target_name);
            if (e[i].status != LESSON_NORMAL) {
                buf_puts(&summary, " · ");
                buf_puts(&summary, i18n_text((lang_id_t)r->lang, status_message(e[i].status)));
            }
            ical_line(&b, "SUMMARY", buf_str(&summary));
            if (e[i].room.len)
                ical_line(&b, "LOCATION", e[i].room);
            if (e[i].teacher_name.len)
                ical_line(&b, "DESCRIPTION", e[i].note.len ? e[i].note : e[i].teacher_name);
            if (e[i].status == LESSON_CANCELLED || e[i].status == LESSON_TEACHER_ABSENT)
                buf_puts(&b, "STATUS:CANCELLED\r\n");
            buf_puts(&b, "END:VEVENT\r\n");
        }
    }
    buf_puts(&b, "END:VCALENDAR\r\n");
    response_header_cstr(r, "cache-control", "private, max-age=900");
    respond_body(r, 200, "text/calendar; charset=utf-8", buf_str(&b));
}

typedef struct feed_job {
    int64_t person_id;
    bool revoke;
    char token[FEED_TOKEN_BYTES * 2 + 1];
    char hash[65];
} feed_job_t;

static int feed_write(store_tx_t *tx, void *ud)
{
    feed_job_t *j = ud;
    int rc = store_tx_exec(tx, "DELETE FROM calendar_feeds WHERE person_id = ?", STORE_ARGS(SA_INT(j->person_id)));
    if (rc != STORE_OK || j->revoke)
        return rc;
    return store_tx_exec(tx, "INSERT INTO calendar_feeds (person_id, token_hash, created_at) VALUES (?, ?, ?)",
                         STORE_ARGS(SA_INT(j->person_id), SA_CSTR(j->hash), SA_INT(clock_now())));
}

static void feed_answer(request_t *r, void *ud, int status)
{
    feed_job_t *j = ud;
    if (status < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    value_t *v = value_map(&r->arena);
    if (!j->revoke) {
        str_t host = str_make(r->h2o->authority.base, r->h2o->authority.len);
        /* The URL is shown once: only its hash is kept. */
        value_set_cstr(v, "feed_url", arena_printf(&r->arena, "%s://%.*s/calendar/%s.ics",
                                                   r->app->config->secure_cookies ? "https" : "http",
                                                   (int)(host.len < 200 ? host.len : 0), host.ptr ? host.ptr : "",
                                                   j->token));
        value_set_cstr(v, "feed_path", arena_printf(&r->arena, "/calendar/%s.ics", j->token));
    }
    value_set_bool(v, "revoked", j->revoke);
    if (r->is_api) {
        respond_json(r, j->revoke ? 200 : 201, v);
        return;
    }
    page_render(r, 200, TPL_schoolday_feed, v);
}

static void calendar_manage(request_t *r, bool revoke)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    if (!r->is_api && !request_form(r))
        return;
    feed_job_t *j = arena_alloc(&r->arena, sizeof *j);
    memset(j, 0, sizeof *j);
    j->person_id = p->person_id;
    j->revoke = revoke;
    if (!revoke) {
        unsigned char raw[FEED_TOKEN_BYTES];
        randombytes_buf(raw, sizeof raw);
        sodium_bin2hex(j->token, sizeof j->token, raw, sizeof raw);
        token_hash(j->token, strlen(j->token), j->hash);
    }
    if (request_store_write(r, feed_write, j, feed_answer) != 0)
        respond_error(r, 503, MSG_error_unavailable, NULL);
}

static void calendar_create(request_t *r) { calendar_manage(r, false); }
static void calendar_revoke(request_t *r) { calendar_manage(r, true); }

int schoolday_register_routes(router_t *router, char *err, size_t errlen)
{
    if (!router_add(router, "GET", "/timetable", HANDLER(my_timetable), NULL, 0, err, errlen) ||
        !router_add(router, "GET", "/classes/{id:int}/timetable", HANDLER(class_timetable), NULL, 0, err, errlen) ||
        !router_add(router, "GET", "/homework", HANDLER(pupil_notebook), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/homework/{id:int}/done", HANDLER(homework_done), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/api/v1/homework/{id:int}/done", HANDLER(homework_done), NULL, ROUTE_API, err,
                    errlen) ||
        !router_add(router, "GET", "/calendar/{token}", HANDLER(calendar_feed), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/me/calendar", HANDLER(calendar_create), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/me/calendar/revoke", HANDLER(calendar_revoke), NULL, 0, err, errlen))
        return -1;
    return 0;
}
