/* The teacher's cahier de textes for one teaching (lessons, homework, drafts,
 * copies to another class), a homework's page (hand-in for pupils, hand-ins for
 * the teacher, all of them as one archive, feedback), and file downloads. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "auth/policy.h"
#include "core/log.h"
#include "http/async.h"
#include "http/identity.h"
#include "http/response.h"
#include "http/worker.h"
#include "web/page.h"
#include "web/schoolday.h"
#include "web/template.h"
#include "web/uploads.h"
#include "domain/messages.h"

bool homework_for_pupil(request_t *r, int64_t homework_id, homework_item_t *hw, teaching_t *t);

static void unavailable(request_t *r) { respond_error(r, 503, MSG_error_unavailable, NULL); }

/* Loads a teaching and checks an action on it; answers and returns false otherwise. */
static bool load_teaching(request_t *r, int64_t id, policy_action_t action, teaching_t *t)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return false;
    int rc = teaching_get(STORE_READER(r->worker->store_reader), &r->arena, id, t);
    if (rc < 0) {
        unavailable(r);
        return false;
    }
    if (rc == 0) {
        respond_error(r, 404, MSG_error_not_found, NULL);
        return false;
    }
    policy_target_t target = policy_target_of_teaching(t);
    if (!policy_allows(p, action, &target)) {
        respond_forbidden(r);
        return false;
    }
    return true;
}

static const char *iso(request_t *r, date_t d)
{
    char *s = arena_alloc(&r->arena, 11);
    date_format_iso(d, s);
    return s;
}

/* ---- the notebook page ---- */

typedef struct lesson_form {
    str_t date, title, content, links, publish, publish_at;
    str_t hw_title, hw_due, hw_minutes, hw_hand_in, hw_instructions;
    const char *error;
} lesson_form_t;

static void notebook_page(request_t *r, const teaching_t *t, int status, const lesson_form_t *form)
{
    const principal_t *p = request_principal(r);
    store_src_t src = STORE_READER(r->worker->store_reader);
    date_t today = date_today();
    lesson_entry_t *le;
    homework_item_t *hw;
    int nl = lessons_between(src, &r->arena, t, 1, date_add_days(today, -14), date_add_days(today, 14), clock_now(),
                             true, &le);
    int nh = nl < 0 ? nl
                    : homework_due_between(src, &r->arena, t, 1, date_add_days(today, -14), date_add_days(today, 60),
                                           clock_now(), true, 0, &hw);
    teaching_t *mine;
    int nm = nh < 0 ? nh : teaching_of_teacher(src, &r->arena, t->teacher_id, &mine);
    if (nm < 0) {
        unavailable(r);
        return;
    }
    value_t *v = value_map(&r->arena);
    value_set_int(v, "teaching_id", t->id);
    value_set_str(v, "subject", t->subject_name);
    value_set_str(v, "target", t->target_name);
    value_set_int(v, "class_id", t->class_id);
    value_t *ll = value_set_list(v, "lessons");
    for (int i = 0; i < nl; i++) {
        value_t *m = value_map(&r->arena);
        value_set_int(m, "id", le[i].id);
        value_set_cstr(m, "day", day_label(r, le[i].on));
        value_set_str(m, "title", le[i].title);
        value_set_str(m, "content", le[i].content);
        value_set_bool(m, "draft", le[i].publish_at == 0);
        value_set_bool(m, "scheduled", le[i].publish_at > clock_now());
        value_push(ll, m);
    }
    value_t *hl = value_set_list(v, "homework");
    for (int i = 0; i < nh; i++)
        value_push(hl, homework_value(r, &hw[i]));
    /* other teachings of the same teacher and subject: where a lesson can be copied */
    value_t *others = value_set_list(v, "copy_targets");
    for (int i = 0; i < nm; i++)
        if (mine[i].id != t->id && mine[i].subject_id == t->subject_id) {
            value_t *m = value_map(&r->arena);
            value_set_int(m, "id", mine[i].id);
            value_set_str(m, "name", mine[i].target_name);
            value_push(others, m);
        }
    /* the next two weeks' lessons, each with its change (or a form to make one) */
    timetable_entry_t *up;
    int nu = timetable_range(src, &r->arena, t->school_id, t, 1, today, 14, &up);
    if (nu < 0) {
        unavailable(r);
        return;
    }
    value_t *ul = value_set_list(v, "upcoming");
    for (int i = 0; i < nu; i++) {
        value_t *m = entry_value(r, &up[i]);
        value_set_cstr(m, "day", day_label(r, up[i].on));
        value_set_int(m, "change_id", up[i].change_id);
        value_push(ul, m);
    }
    value_t *f = value_set_map(v, "form");
    value_set_cstr(f, "date", form && form->date.ptr ? arena_strndup(&r->arena, form->date.ptr, form->date.len)
                                                      : iso(r, today));
    if (form) {
        value_set_str(f, "title", form->title);
        value_set_str(f, "content", form->content);
        value_set_str(f, "links", form->links);
        value_set_str(f, "hw_title", form->hw_title);
        value_set_str(f, "hw_due", form->hw_due);
        value_set_str(f, "hw_minutes", form->hw_minutes);
        value_set_str(f, "hw_instructions", form->hw_instructions);
        value_set_bool(f, "hw_hand_in", form->hw_hand_in.ptr != NULL);
        value_set_bool(f, "publish", form->publish.ptr != NULL);
        value_set_str(f, "publish_at", form->publish_at);
        if (form->error)
            value_set_cstr(v, "error", form->error);
    } else {
        value_set_bool(f, "publish", true);
    }
    (void)p;
    page_render(r, status, TPL_notebook_teaching, v);
}

static void teaching_page(request_t *r)
{
    teaching_t t;
    if (load_teaching(r, request_param_int(r, "id"), POLICY_TEACHING_WRITE, &t))
        notebook_page(r, &t, 200, NULL);
}

/* ---- writing a lesson (and its homework) ---- */

typedef struct lesson_job {
    teaching_t teaching;
    int64_t author;
    lesson_input_t lesson;
    bool with_homework;
    homework_input_t homework;
    lesson_form_t form;
    char err[160];
    int64_t lesson_id;
    stored_file_t files[SUBMISSION_FILES_MAX];
    int nfiles;
    const char *data_dir;
} lesson_job_t;

static int lesson_write(store_tx_t *tx, void *ud)
{
    lesson_job_t *j = ud;
    int rc = lesson_save(tx, &j->teaching, 0, &j->lesson, j->author, &j->lesson_id, j->err, sizeof j->err);
    if (rc == STORE_OK)
        rc = lesson_attach(tx, &j->teaching, j->lesson_id, j->author, j->files, j->nfiles);
    if (rc != STORE_OK || !j->with_homework)
        return rc;
    j->homework.lesson_id = j->lesson_id;
    return homework_save(tx, &j->teaching, 0, &j->homework, j->author, NULL, j->err, sizeof j->err);
}

static void lesson_written(request_t *r, void *ud, int status)
{
    lesson_job_t *j = ud;
    if (status < 0)
        for (int i = 0; i < j->nfiles; i++)
            files_discard(j->data_dir, j->files[i].id);
    if (status == HOMEWORK_INVALID) {
        j->form.error = j->err;
        notebook_page(r, &j->teaching, 400, &j->form);
        return;
    }
    if (status < 0) {
        unavailable(r);
        return;
    }
    respond_redirect(r, 303, str_from(arena_printf(&r->arena, "/teaching/%lld", (long long)j->teaching.id)));
}

static bool parse_int_field(str_t s, int lo, int hi, int *out)
{
    int64_t v;
    if (!s.ptr || !s.len) {
        *out = 0;
        return true;
    }
    if (!str_to_i64(str_trim(s), &v) || v < lo || v > hi)
        return false;
    *out = (int)v;
    return true;
}

/* "2026-11-23T18:00" (an <input type=datetime-local>) in the school's time zone:
 * Unix seconds, or -1. */
static int64_t parse_local_datetime(str_t s)
{
    if (s.len != 16 || s.ptr[10] != 'T')
        return -1;
    date_t d;
    int minutes = timetable_parse_time(str_make(s.ptr + 11, 5));
    if (!date_parse_iso(str_make(s.ptr, 10), &d) || minutes < 0 || minutes >= 1440)
        return -1;
    return date_local_instant(d, minutes);
}

static void lesson_create(request_t *r)
{
    lesson_job_t *j = arena_alloc(&r->arena, sizeof *j);
    memset(j, 0, sizeof *j);
    if (!load_teaching(r, request_param_int(r, "id"), POLICY_TEACHING_WRITE, &j->teaching))
        return;
    /* attachments come with the lesson: the form is multipart */
    multipart_form_result_t *mp = request_multipart(r);
    if (!mp)
        return;
    form_t *f = &mp->fields;
    lesson_form_t *lf = &j->form;
    lf->date = form_get(f, "date");
    lf->title = form_get(f, "title");
    lf->content = form_get(f, "content");
    lf->links = form_get(f, "links");
    lf->publish = form_get(f, "publish");
    lf->publish_at = form_get(f, "publish_at");
    lf->hw_title = form_get(f, "hw_title");
    lf->hw_due = form_get(f, "hw_due");
    lf->hw_minutes = form_get(f, "hw_minutes");
    lf->hw_hand_in = form_get(f, "hw_hand_in");
    lf->hw_instructions = form_get(f, "hw_instructions");
    j->author = request_principal(r)->person_id;
    j->lesson = (lesson_input_t){.title = lf->title, .content = lf->content, .links = lf->links,
                                 .publish = lf->publish.ptr != NULL};
    if (!lf->date.ptr || !date_parse_iso(lf->date, &j->lesson.on)) {
        lf->error = i18n_text((lang_id_t)r->lang, MSG_notebook_bad_date);
        notebook_page(r, &j->teaching, 400, lf);
        return;
    }
    if (lf->publish_at.ptr && lf->publish_at.len) {
        /* a publication time: the entry appears to pupils then */
        int64_t at = parse_local_datetime(lf->publish_at);
        if (at < 0) {
            lf->error = i18n_text((lang_id_t)r->lang, MSG_notebook_bad_publish_at);
            notebook_page(r, &j->teaching, 400, lf);
            return;
        }
        j->lesson.publish = true;
        j->lesson.publish_at = at;
    }
    if (lf->hw_title.ptr && str_trim(lf->hw_title).len) {
        j->with_homework = true;
        int minutes;
        if (!lf->hw_due.ptr || !date_parse_iso(lf->hw_due, &j->homework.due_on)) {
            lf->error = i18n_text((lang_id_t)r->lang, MSG_notebook_bad_due);
            notebook_page(r, &j->teaching, 400, lf);
            return;
        }
        if (!parse_int_field(lf->hw_minutes, 0, 600, &minutes)) {
            lf->error = i18n_text((lang_id_t)r->lang, MSG_notebook_bad_minutes);
            notebook_page(r, &j->teaching, 400, lf);
            return;
        }
        j->homework = (homework_input_t){.given_on = j->lesson.on, .due_on = j->homework.due_on, .due_min = -1,
                                         .title = lf->hw_title, .instructions = lf->hw_instructions,
                                         .minutes = minutes, .hand_in = lf->hw_hand_in.ptr != NULL,
                                         .publish = j->lesson.publish, .publish_at = j->lesson.publish_at};
    }
    j->data_dir = r->app->config->data_dir;
    const char *refused;
    upload_outcome_t adopted = uploads_adopt(r, mp, j->files, SUBMISSION_FILES_MAX, &j->nfiles, &refused);
    if (adopted != UPLOADS_OK) {
        if (adopted == UPLOADS_IO_ERROR) {
            respond_error(r, 500, MSG_error_internal, NULL);
            return;
        }
        int status;
        lf->error = uploads_refusal_text(r, adopted, refused, &status);
        notebook_page(r, &j->teaching, status, lf);
        return;
    }
    if (request_store_write(r, lesson_write, j, lesson_written) != 0) {
        for (int i = 0; i < j->nfiles; i++)
            files_discard(j->data_dir, j->files[i].id);
        unavailable(r);
    }
}

/* POST /lessons/{id}/publish and /lessons/{id}/copy */
typedef struct lesson_action {
    teaching_t from, to;
    lesson_entry_t lesson;
    int64_t author;
    bool copy;
    int result;
} lesson_action_t;

static int lesson_action_write(store_tx_t *tx, void *ud)
{
    lesson_action_t *j = ud;
    if (j->copy)
        return lesson_copy(tx, &j->from, j->lesson.id, &j->to, j->author, NULL);
    char err[160];
    lesson_input_t in = {.on = j->lesson.on, .title = j->lesson.title, .content = j->lesson.content,
                         .links = j->lesson.links, .publish = true};
    int rc = lesson_save(tx, &j->from, j->lesson.id, &in, j->author, NULL, err, sizeof err);
    if (rc == STORE_OK)
        rc = store_tx_exec(tx, "UPDATE homework SET publish_at = ? WHERE lesson_id = ? AND publish_at IS NULL",
                           STORE_ARGS(SA_INT(clock_now()), SA_INT(j->lesson.id)));
    return rc;
}

static void lesson_action_done(request_t *r, void *ud, int status)
{
    lesson_action_t *j = ud;
    if (status < 0) {
        unavailable(r);
        return;
    }
    respond_redirect(r, 303,
                     str_from(arena_printf(&r->arena, "/teaching/%lld", (long long)(j->copy ? j->to.id : j->from.id))));
}

static void lesson_act(request_t *r, bool copy)
{
    lesson_action_t *j = arena_alloc(&r->arena, sizeof *j);
    memset(j, 0, sizeof *j);
    form_t *f = request_form(r);
    if (!f)
        return;
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    int rc = lesson_get(STORE_READER(r->worker->store_reader), &r->arena, request_param_int(r, "id"), &j->lesson);
    if (rc < 0) {
        unavailable(r);
        return;
    }
    if (rc == 0) {
        respond_error(r, 404, MSG_error_not_found, NULL);
        return;
    }
    if (!load_teaching(r, j->lesson.teaching_id, POLICY_TEACHING_WRITE, &j->from))
        return;
    if (copy) {
        int64_t to;
        str_t target = form_get(f, "teaching");
        if (!target.ptr || !str_to_i64(target, &to)) {
            respond_error(r, 400, MSG_error_bad_input, "teaching");
            return;
        }
        if (!load_teaching(r, to, POLICY_TEACHING_WRITE, &j->to))
            return;
    }
    j->copy = copy;
    j->author = p->person_id;
    if (request_store_write(r, lesson_action_write, j, lesson_action_done) != 0)
        unavailable(r);
}

static void lesson_publish(request_t *r) { lesson_act(r, false); }
static void lesson_copy_to(request_t *r) { lesson_act(r, true); }

/* ---- a homework's page ---- */

static void homework_page_render(request_t *r, const homework_item_t *hw, const teaching_t *t, int status,
                                 str_t kept_text, const char *error)
{
    const principal_t *p = request_principal(r);
    policy_target_t target = policy_target_of_teaching(t);
    bool teacher = policy_allows(p, POLICY_TEACHING_WRITE, &target);
    bool pupil = policy_allows(p, POLICY_TEACHING_HAND_IN, &target);
    store_src_t src = STORE_READER(r->worker->store_reader);
    value_t *v = value_map(&r->arena);
    value_set(v, "hw", homework_value(r, hw));
    value_set_bool(v, "teacher", teacher);
    value_set_bool(v, "pupil", pupil);
    value_set_bool(v, "past_deadline", clock_now() > hw->due_at);
    if (error)
        value_set_cstr(v, "error", error);
    if (pupil) {
        submission_t s;
        int rc = submission_get(src, &r->arena, hw->id, p->person_id, &s);
        if (rc < 0) {
            unavailable(r);
            return;
        }
        value_set_str(v, "text", kept_text.ptr ? kept_text : rc == 1 ? s.text : STR(""));
        value_set_bool(v, "kept", kept_text.ptr && kept_text.len);
        if (rc == 1) {
            value_t *m = value_set_map(v, "mine");
            value_set_str(m, "when", str_from(arena_printf(&r->arena, "%s", day_label(r, date_of_instant(s.submitted_at)))));
            char hm[6];
            timetable_format_time(clock_local_minutes(s.submitted_at), hm);
            value_set_cstr(m, "time", arena_strdup(&r->arena, hm));
            value_set_bool(m, "late", s.late);
            value_set_int(m, "revision", s.revision);
            value_set_str(m, "feedback", s.feedback);
            value_set_bool(m, "returned", s.returned_at != 0);
            if (s.has_mark)
                value_set_cstr(m, "mark", arena_printf(&r->arena, "%.1f", s.mark));
            value_t *files = value_set_list(m, "files");
            for (int i = 0; i < s.nfiles; i++) {
                value_t *fm = value_map(&r->arena);
                value_set_cstr(fm, "id", arena_strdup(&r->arena, s.files[i].id));
                value_set_str(fm, "name", s.files[i].name);
                value_push(files, fm);
            }
            value_set_bool(v, "closed", s.returned_at != 0 || (clock_now() > hw->due_at));
        }
    }
    if (teacher && hw->hand_in) {
        submission_t *subs;
        int n = submissions_of_homework(src, &r->arena, hw->id, &subs);
        if (n < 0) {
            unavailable(r);
            return;
        }
        value_t *list = value_set_list(v, "submissions");
        for (int i = 0; i < n; i++) {
            value_t *m = value_map(&r->arena);
            value_set_int(m, "id", subs[i].id);
            value_set_str(m, "pupil", subs[i].pupil_name);
            value_set_str(m, "text", subs[i].text);
            value_set_bool(m, "late", subs[i].late);
            value_set_bool(m, "returned", subs[i].returned_at != 0);
            value_set_str(m, "feedback", subs[i].feedback);
            if (subs[i].has_mark)
                value_set_cstr(m, "mark", arena_printf(&r->arena, "%g", subs[i].mark));
            value_t *files = value_set_list(m, "files");
            for (int k = 0; k < subs[i].nfiles; k++) {
                value_t *fm = value_map(&r->arena);
                value_set_cstr(fm, "id", arena_strdup(&r->arena, subs[i].files[k].id));
                value_set_str(fm, "name", subs[i].files[k].name);
                value_push(files, fm);
            }
            value_push(list, m);
        }
        value_set_int(v, "handed_in", n);
    }
    page_render(r, status, TPL_notebook_homework, v);
}

/* Loads a homework readable by the principal; answers and returns false otherwise. */
static bool load_homework(request_t *r, int64_t id, homework_item_t *hw, teaching_t *t)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return false;
    store_src_t src = STORE_READER(r->worker->store_reader);
    int rc = homework_get(src, &r->arena, id, hw);
    if (rc == 1)
        rc = teaching_get(src, &r->arena, hw->teaching_id, t);
    if (rc < 0) {
        unavailable(r);
        return false;
    }
    policy_target_t target = rc == 1 ? policy_target_of_teaching(t) : (policy_target_t){0};
    bool writer = rc == 1 && policy_allows(p, POLICY_TEACHING_WRITE, &target);
    if (rc == 0 || (!writer && (hw->publish_at == 0 || hw->publish_at > clock_now()))) {
        respond_error(r, 404, MSG_error_not_found, NULL);
        return false;
    }
    if (!policy_allows(p, POLICY_TEACHING_READ, &target)) {
        respond_forbidden(r);
        return false;
    }
    return true;
}

static void homework_page(request_t *r)
{
    homework_item_t hw;
    teaching_t t;
    if (load_homework(r, request_param_int(r, "id"), &hw, &t))
        homework_page_render(r, &hw, &t, 200, STR_NULL, NULL);
}

/* ---- handing in ---- */

typedef struct handin_job {
    homework_item_t hw;
    teaching_t teaching;
    int64_t pupil_id;
    str_t text;
    stored_file_t files[SUBMISSION_FILES_MAX];
    int nfiles;
    char err[160];
    const char *data_dir;
    int64_t arrived_at; /* on time is judged at arrival, not at commit */
} handin_job_t;

static int handin_write(store_tx_t *tx, void *ud)
{
    handin_job_t *j = ud;
    return submission_save(tx, &j->teaching, &j->hw, j->pupil_id, j->text, j->files, j->nfiles, j->arrived_at, NULL,
                           j->err, sizeof j->err);
}

static void handin_done(request_t *r, void *ud, int status)
{
    handin_job_t *j = ud;
    if (status < 0) {
        /* nothing was recorded: the stored files go too, the text comes back */
        for (int i = 0; i < j->nfiles; i++)
            files_discard(j->data_dir, j->files[i].id);
        if (status == HOMEWORK_INVALID || status == HOMEWORK_CLOSED) {
            homework_page_render(r, &j->hw, &j->teaching, status == HOMEWORK_CLOSED ? 409 : 400, j->text, j->err);
            return;
        }
        unavailable(r);
        return;
    }
    respond_redirect(r, 303, str_from(arena_printf(&r->arena, "/homework/%lld?handed=1", (long long)j->hw.id)));
}

static void hand_in(request_t *r)
{
    handin_job_t *j = arena_alloc(&r->arena, sizeof *j);
    memset(j, 0, sizeof *j);
    if (!homework_for_pupil(r, request_param_int(r, "id"), &j->hw, &j->teaching))
        return;
    multipart_form_result_t *mp = request_multipart_keeping_text(r);
    if (!mp)
        return;
    j->text = form_get(&mp->fields, "text");
    if (!j->text.ptr)
        j->text = STR("");
    if (mp->status == MPF_FILE_TOO_LARGE || mp->status == MPF_FILES_TOO_LARGE || mp->status == MPF_TOO_MANY_FILES) {
        const char *msg = i18n_text((lang_id_t)r->lang, mp->status == MPF_TOO_MANY_FILES ? MSG_error_too_many_files
                                                                                          : MSG_error_file_too_large);
        homework_page_render(r, &j->hw, &j->teaching, 413, j->text, msg);
        return;
    }
    j->pupil_id = request_principal(r)->person_id;
    j->data_dir = r->app->config->data_dir;
    j->arrived_at = request_arrived_at(r);
    const char *refused;
    upload_outcome_t adopted = uploads_adopt(r, mp, j->files, SUBMISSION_FILES_MAX, &j->nfiles, &refused);
    if (adopted != UPLOADS_OK) {
        if (adopted == UPLOADS_IO_ERROR) {
            respond_error(r, 500, MSG_error_internal, NULL);
            return;
        }
        int status;
        const char *why = uploads_refusal_text(r, adopted, refused, &status);
        homework_page_render(r, &j->hw, &j->teaching, status, j->text, why);
        return;
    }
    if (request_store_write(r, handin_write, j, handin_done) != 0) {
        for (int i = 0; i < j->nfiles; i++)
            files_discard(j->data_dir, j->files[i].id);
        unavailable(r);
    }
}

/* ---- the teacher returns a hand-in ---- */

typedef struct return_job {
    teaching_t teaching;
    int64_t submission_id, homework_id;
    str_t feedback;
    bool has_mark;
    double mark;
    char err[160];
} return_job_t;

static int return_write(store_tx_t *tx, void *ud)
{
    return_job_t *j = ud;
    return submission_return(tx, &j->teaching, j->submission_id, j->feedback, j->has_mark, j->mark, clock_now(),
                             j->err, sizeof j->err);
}

static void return_done(request_t *r, void *ud, int status)
{
    return_job_t *j = ud;
    if (status == HOMEWORK_INVALID) {
        respond_error(r, 400, MSG_error_bad_input, j->err);
        return;
    }
    if (status < 0) {
        unavailable(r);
        return;
    }
    respond_redirect(r, 303, str_from(arena_printf(&r->arena, "/homework/%lld", (long long)j->homework_id)));
}

static void submission_give_back(request_t *r)
{
    return_job_t *j = arena_alloc(&r->arena, sizeof *j);
    memset(j, 0, sizeof *j);
    form_t *f = request_form(r);
    if (!f || !request_require_principal(r))
        return;
    submission_t s;
    homework_item_t hw;
    store_src_t src = STORE_READER(r->worker->store_reader);
    int rc = submission_by_id(src, &r->arena, request_param_int(r, "id"), &s);
    if (rc == 1)
        rc = homework_get(src, &r->arena, s.homework_id, &hw);
    if (rc < 0) {
        unavailable(r);
        return;
    }
    if (rc == 0) {
        respond_error(r, 404, MSG_error_not_found, NULL);
        return;
    }
    if (!load_teaching(r, hw.teaching_id, POLICY_TEACHING_WRITE, &j->teaching))
        return;
    j->submission_id = s.id;
    j->homework_id = hw.id;
    j->feedback = form_get(f, "feedback");
    if (!j->feedback.ptr)
        j->feedback = STR("");
    str_t mark = str_trim(form_get(f, "mark"));
    if (mark.ptr && mark.len) {
        char tmp[32];
        if (mark.len >= sizeof tmp) {
            respond_error(r, 400, MSG_error_bad_input, "mark");
            return;
        }
        memcpy(tmp, mark.ptr, mark.len);
        tmp[mark.len] = '\0';
        for (char *c = tmp; *c; c++)
            if (*c == ',')
                *c = '.';
        char *end;
        errno = 0;
        j->mark = strtod(tmp, &end);
        if (*end || errno || !isfinite(j->mark)) {
            respond_error(r, 400, MSG_error_bad_input, "mark");
            return;
        }
        j->has_mark = true;
    }
    if (request_store_write(r, return_write, j, return_done) != 0)
        unavailable(r);
}

/* ---- files ---- */

/* May the principal read this file: a lesson's attachment (teaching read), a
 * hand-in's (the pupil, their parents, the teaching's writers), or a message's
 * (the conversation's members)? */
static int file_allowed(request_t *r, const principal_t *p, str_t id)
{
    store_src_t src = STORE_READER(r->worker->store_reader);
    int64_t teaching_id = 0, pupil_id = 0;
    int rc = store_int(src,
                       "SELECT h.teaching_id FROM submission_files sf JOIN submissions s ON s.id = sf.submission_id "
                       "JOIN homework h ON h.id = s.homework_id WHERE sf.file_id = ?",
                       STORE_ARGS(SA_TEXT(id)), &teaching_id);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        if ((rc = store_int(src,
                            "SELECT s.pupil_id FROM submission_files sf JOIN submissions s ON s.id = sf.submission_id "
                            "WHERE sf.file_id = ?",
                            STORE_ARGS(SA_TEXT(id)), &pupil_id)) < 0)
            return rc;
        if (pupil_id == p->person_id || principal_is_parent_of(p, pupil_id))
            return 1;
        policy_target_t t;
        if ((rc = policy_target_teaching(r->worker->store_reader, &r->arena, teaching_id, &t)) < 0)
            return rc;
        return rc == 1 && policy_allows(p, POLICY_TEACHING_WRITE, &t);
    }
    rc = store_int(src, "SELECT l.teaching_id FROM lesson_files lf JOIN lessons l ON l.id = lf.lesson_id "
                        "WHERE lf.file_id = ? LIMIT 1",
                   STORE_ARGS(SA_TEXT(id)), &teaching_id);
    if (rc < 0)
        return rc;
    if (rc == 0) /* a message's attachment: the conversation's members */
        return messages_file_readable(src, p->person_id, id);
    policy_target_t t;
    if ((rc = policy_target_teaching(r->worker->store_reader, &r->arena, teaching_id, &t)) < 0)
        return rc;
    return rc == 1 && policy_allows(p, POLICY_TEACHING_READ, &t);
}

/* Content-Disposition with the name in RFC 5987 form: nothing the client sent
 * reaches the header unencoded. */
static const char *attachment_header(request_t *r, str_t name)
{
    buf_t b;
    buf_init(&b, &r->arena, 64 + name.len * 3);
    buf_puts(&b, "attachment; filename=\"download\"; filename*=UTF-8''");
    url_escape_component(&b, name.ptr, name.len);
    buf_putc(&b, '\0');
    return b.data;
}

static void send_file(request_t *r, const char *path, const char *type, const char *disposition)
{
    response_header_cstr(r, "content-disposition", disposition);
    response_header_cstr(r, "content-security-policy", "sandbox; default-src 'none'");
    response_header_cstr(r, "cache-control", "private, no-store");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size > (off_t)(512u << 20)) {
        if (fd >= 0)
            close(fd);
        respond_error(r, 404, MSG_error_not_found, NULL);
        return;
    }
    char *data = arena_alloc(&r->arena, (size_t)st.st_size + 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, data + got, (size_t)st.st_size - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    respond_body(r, 200, type, str_make(data, got));
}

static void file_download(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    str_t id = request_param_str(r, "id");
    stored_file_t f;
    int rc = files_get(STORE_READER(r->worker->store_reader), &r->arena, id, &f);
    if (rc == 1)
        rc = file_allowed(r, p, id);
    if (rc < 0) {
        unavailable(r);
        return;
    }
    if (rc == 0) {
        /* unknown and not allowed look the same: ids are not to be probed */
        respond_error(r, 404, MSG_error_not_found, NULL);
        return;
    }
    send_file(r, files_path(&r->arena, r->app->config->data_dir, f.id), f.content_type,
              attachment_header(r, f.name));
}

/* ---- every hand-in as one ZIP (stored entries: the files are already compressed
 * or small) ---- */

static void put16(buf_t *b, unsigned v)
{
    buf_putc(b, (char)(v & 0xff));
    buf_putc(b, (char)((v >> 8) & 0xff));
}

static void put32(buf_t *b, uint32_t v)
{
    put16(b, v & 0xffff);
    put16(b, v >> 16);
}

static void homework_archive(request_t *r)
{
    homework_item_t hw;
    teaching_t t;
    if (!load_homework(r, request_param_int(r, "id"), &hw, &t))
        return;
    policy_target_t target = policy_target_of_teaching(&t);
    if (!policy_allows(request_principal(r), POLICY_TEACHING_WRITE, &target)) {
        respond_forbidden(r);
        return;
    }
    submission_t *subs;
    int n = submissions_of_homework(STORE_READER(r->worker->store_reader), &r->arena, hw.id, &subs);
    if (n < 0) {
        unavailable(r);
        return;
    }
    buf_t zip, central;
    buf_init(&zip, &r->arena, 65536);
    buf_init(&central, &r->arena, 4096);
    unsigned entries = 0;
    for (int i = 0; i < n; i++) {
        for (int k = -1; k < subs[i].nfiles; k++) {
            str_t data;
            char *name;
            if (k < 0) {
                if (!subs[i].text.len)
                    continue;
                data = subs[i].text;
                name = arena_printf(&r->arena, "%.*s/texte.txt", (int)subs[i].pupil_name.len, subs[i].pupil_name.ptr);
            } else {
                const char *path = files_path(&r->arena, r->app->config->data_dir, subs[i].files[k].id);
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                struct stat st;
                if (fd < 0 || fstat(fd, &st) != 0 || st.st_size > (off_t)(256u << 20)) {
                    if (fd >= 0)
                        close(fd);
                    continue;
                }
                char *p = arena_alloc(&r->arena, (size_t)st.st_size + 1);
                size_t got = 0;
                while (got < (size_t)st.st_size) {
                    ssize_t m = read(fd, p + got, (size_t)st.st_size - got);
                    if (m <= 0)
                        break;
                    got += (size_t)m;
                }
                close(fd);
                data = str_make(p, got);
                name = arena_printf(&r->arena, "%.*s/%.*s", (int)subs[i].pupil_name.len, subs[i].pupil_name.ptr,
                                    (int)subs[i].files[k].name.len, subs[i].files[k].name.ptr);
            }
            for (char *c = name; *c; c++)
                if (*c == '\\' || *c == ':')
                    *c = '_';
            uint32_t crc = (uint32_t)crc32(0L, (const Bytef *)data.ptr, (uInt)data.len);
            uint32_t offset = (uint32_t)zip.len;
            size_t nlen = strlen(name);
            /* local file header, UTF-8 names (flag bit 11) */
            put32(&zip, 0x04034b50);
            put16(&zip, 20);
            put16(&zip, 0x0800);
            put16(&zip, 0);
            put16(&zip, 0);
            put16(&zip, 0x21);
            put32(&zip, crc);
            put32(&zip, (uint32_t)data.len);
            put32(&zip, (uint32_t)data.len);
            put16(&zip, (unsigned)nlen);
            put16(&zip, 0);
            buf_append(&zip, name, nlen);
            buf_append(&zip, data.ptr, data.len);
            put32(&central, 0x02014b50);
            put16(&central, 20);
            put16(&central, 20);
            put16(&central, 0x0800);
            put16(&central, 0);
            put16(&central, 0);
            put16(&central, 0x21);
            put32(&central, crc);
            put32(&central, (uint32_t)data.len);
            put32(&central, (uint32_t)data.len);
            put16(&central, (unsigned)nlen);
            put16(&central, 0);
            put16(&central, 0);
            put16(&central, 0);
            put16(&central, 0);
            put32(&central, 0);
            put32(&central, offset);
            buf_append(&central, name, nlen);
            entries++;
        }
    }
    uint32_t cd_offset = (uint32_t)zip.len;
    buf_append(&zip, central.data, central.len);
    put32(&zip, 0x06054b50);
    put16(&zip, 0);
    put16(&zip, 0);
    put16(&zip, entries);
    put16(&zip, entries);
    put32(&zip, (uint32_t)central.len);
    put32(&zip, cd_offset);
    put16(&zip, 0);
    response_header_cstr(r, "content-disposition",
                         arena_printf(&r->arena, "attachment; filename=\"copies-%lld.zip\"", (long long)hw.id));
    response_header_cstr(r, "cache-control", "private, no-store");
    respond_body(r, 200, "application/zip", buf_str(&zip));
}

/* ---- editing a lesson or a homework ---- */

typedef struct edit_job {
    teaching_t teaching;
    int64_t id, author;
    bool homework;
    lesson_input_t lesson;
    homework_input_t hw;
    value_t *form; /* what was typed, shown again on refusal */
    char err[160];
} edit_job_t;

static void edit_page(request_t *r, int status, bool homework, int64_t id, value_t *form, const char *error)
{
    value_t *v = value_map(&r->arena);
    value_set_bool(v, "homework", homework);
    value_set_int(v, "id", id);
    value_set(v, "form", form);
    if (error)
        value_set_cstr(v, "error", error);
    page_render(r, status, TPL_notebook_edit, v);
}

static int edit_write(store_tx_t *tx, void *ud)
{
    edit_job_t *j = ud;
    if (j->homework)
        return homework_save(tx, &j->teaching, j->id, &j->hw, j->author, NULL, j->err, sizeof j->err);
    return lesson_save(tx, &j->teaching, j->id, &j->lesson, j->author, NULL, j->err, sizeof j->err);
}

static void edit_done(request_t *r, void *ud, int status)
{
    edit_job_t *j = ud;
    if (status == HOMEWORK_INVALID) {
        edit_page(r, 400, j->homework, j->id, j->form, j->err);
        return;
    }
    if (status < 0) {
        unavailable(r);
        return;
    }
    respond_redirect(r, 303, str_from(arena_printf(&r->arena, "/teaching/%lld", (long long)j->teaching.id)));
}

static const char *instant_local(request_t *r, int64_t t)
{
    if (!t)
        return "";
    date_t d = date_of_instant(t);
    char day[11], hm[6];
    date_format_iso(d, day);
    timetable_format_time(clock_local_minutes(t), hm);
    return arena_printf(&r->arena, "%sT%s", day, hm);
}

/* GET /lessons/{id}/edit and /homework/{id}/edit */
static void edit_form(request_t *r, bool homework)
{
    int64_t id = request_param_int(r, "id");
    store_src_t src = STORE_READER(r->worker->store_reader);
    int64_t teaching_id = 0;
    value_t *f = value_map(&r->arena);
    int rc;
    if (homework) {
        homework_item_t h;
        rc = homework_get(src, &r->arena, id, &h);
        if (rc == 1) {
            teaching_id = h.teaching_id;
            value_set_str(f, "title", h.title);
            value_set_str(f, "instructions", h.instructions);
            value_set_cstr(f, "given_on", iso(r, h.given_on));
            value_set_cstr(f, "due_on", iso(r, h.due_on));
            value_set_int(f, "minutes", h.minutes);
            value_set_bool(f, "hand_in", h.hand_in);
            value_set_bool(f, "publish", h.publish_at != 0);
            value_set_cstr(f, "publish_at", h.publish_at > clock_now() ? instant_local(r, h.publish_at) : "");
        }
    } else {
        lesson_entry_t l;
        rc = lesson_get(src, &r->arena, id, &l);
        if (rc == 1) {
            teaching_id = l.teaching_id;
            value_set_cstr(f, "date", iso(r, l.on));
            value_set_str(f, "title", l.title);
            value_set_str(f, "content", l.content);
            value_set_str(f, "links", l.links);
            value_set_bool(f, "publish", l.publish_at != 0);
            value_set_cstr(f, "publish_at", l.publish_at > clock_now() ? instant_local(r, l.publish_at) : "");
        }
    }
    if (rc < 0) {
        unavailable(r);
        return;
    }
    if (rc == 0) {
        respond_error(r, 404, MSG_error_not_found, NULL);
        return;
    }
    teaching_t t;
    if (load_teaching(r, teaching_id, POLICY_TEACHING_WRITE, &t))
        edit_page(r, 200, homework, id, f, NULL);
}

static void lesson_edit_form(request_t *r) { edit_form(r, false); }
static void homework_edit_form(request_t *r) { edit_form(r, true); }

/* POST /lessons/{id}/edit and /homework/{id}/edit */
static void edit_save(request_t *r, bool homework)
{
    edit_job_t *j = arena_alloc(&r->arena, sizeof *j);
    memset(j, 0, sizeof *j);
    form_t *f = request_form(r);
    if (!f || !request_require_principal(r))
        return;
    j->id = request_param_int(r, "id");
    j->homework = homework;
    store_src_t src = STORE_READER(r->worker->store_reader);
    int64_t teaching_id = 0;
    int rc = store_int(src, homework ? "SELECT teaching_id FROM homework WHERE id = ?"
                                     : "SELECT teaching_id FROM lessons WHERE id = ?",
                       STORE_ARGS(SA_INT(j->id)), &teaching_id);
    if (rc < 0) {
        unavailable(r);
        return;
    }
    if (rc == 0) {
        respond_error(r, 404, MSG_error_not_found, NULL);
        return;
    }
    if (!load_teaching(r, teaching_id, POLICY_TEACHING_WRITE, &j->teaching))
        return;
    j->author = request_principal(r)->person_id;
    /* what was typed comes back on any refusal */
    j->form = value_map(&r->arena);
    static const char *const fields[] = {"date", "title", "content", "links", "instructions", "given_on",
                                         "due_on", "minutes", "publish_at"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        str_t v = form_get(f, fields[i]);
        value_set_str(j->form, fields[i], v.ptr ? v : STR(""));
    }
    bool publish = form_get(f, "publish").ptr != NULL;
    value_set_bool(j->form, "publish", publish);
    value_set_bool(j->form, "hand_in", form_get(f, "hand_in").ptr != NULL);
    int64_t publish_at = 0;
    str_t pa = form_get(f, "publish_at");
    if (pa.ptr && pa.len) {
        publish_at = parse_local_datetime(pa);
        if (publish_at < 0) {
            edit_page(r, 400, homework, j->id, j->form, i18n_text((lang_id_t)r->lang, MSG_notebook_bad_publish_at));
            return;
        }
        publish = true;
    }
    str_t title = form_get(f, "title");
    if (!title.ptr)
        title = STR("");
    if (homework) {
        int minutes;
        str_t given = form_get(f, "given_on"), due = form_get(f, "due_on");
        if (!given.ptr || !date_parse_iso(given, &j->hw.given_on) || !due.ptr || !date_parse_iso(due, &j->hw.due_on)) {
            edit_page(r, 400, true, j->id, j->form, i18n_text((lang_id_t)r->lang, MSG_notebook_bad_due));
            return;
        }
        if (!parse_int_field(form_get(f, "minutes"), 0, 600, &minutes)) {
            edit_page(r, 400, true, j->id, j->form, i18n_text((lang_id_t)r->lang, MSG_notebook_bad_minutes));
            return;
        }
        str_t instructions = form_get(f, "instructions");
        j->hw = (homework_input_t){.given_on = j->hw.given_on, .due_on = j->hw.due_on, .due_min = -1, .title = title,
                                   .instructions = instructions.ptr ? instructions : STR(""), .minutes = minutes,
                                   .hand_in = form_get(f, "hand_in").ptr != NULL, .publish = publish,
                                   .publish_at = publish_at};
    } else {
        str_t date = form_get(f, "date"), content = form_get(f, "content"), links = form_get(f, "links");
        if (!date.ptr || !date_parse_iso(date, &j->lesson.on)) {
            edit_page(r, 400, false, j->id, j->form, i18n_text((lang_id_t)r->lang, MSG_notebook_bad_date));
            return;
        }
        j->lesson = (lesson_input_t){.on = j->lesson.on, .title = title, .content = content.ptr ? content : STR(""),
                                     .links = links.ptr ? links : STR(""), .publish = publish,
                                     .publish_at = publish_at};
    }
    if (request_store_write(r, edit_write, j, edit_done) != 0)
        unavailable(r);
}

static void lesson_edit_save(request_t *r) { edit_save(r, false); }
static void homework_edit_save(request_t *r) { edit_save(r, true); }

/* ---- timetable changes from the notebook page ---- */

typedef struct change_form_job {
    teaching_t teaching;
    timetable_change_t change;
    int64_t by, remove_id;
    char err[160];
    int removed;
} change_form_job_t;

static int change_form_write(store_tx_t *tx, void *ud)
{
    change_form_job_t *j = ud;
    if (j->remove_id) {
        j->removed = timetable_change_remove(tx, &j->teaching, j->remove_id);
        return j->removed < 0 ? j->removed : STORE_OK;
    }
    return timetable_change_add(tx, &j->teaching, &j->change, j->by, NULL, j->err, sizeof j->err);
}

static void change_form_done(request_t *r, void *ud, int status)
{
    change_form_job_t *j = ud;
    if (status == TIMETABLE_INVALID) {
        respond_error(r, 400, MSG_error_bad_input, j->err);
        return;
    }
    if (status < 0) {
        unavailable(r);
        return;
    }
    if (j->remove_id && j->removed == 0) {
        respond_error(r, 404, MSG_error_not_found, NULL);
        return;
    }
    respond_redirect(r, 303, str_from(arena_printf(&r->arena, "/teaching/%lld#upcoming", (long long)j->teaching.id)));
}

/* POST /teaching/{id}/changes: slot, date, kind, room, note, starts, ends */
static void change_create(request_t *r)
{
    change_form_job_t *j = arena_alloc(&r->arena, sizeof *j);
    memset(j, 0, sizeof *j);
    form_t *f = request_form(r);
    if (!f || !load_teaching(r, request_param_int(r, "id"), POLICY_TEACHING_WRITE, &j->teaching))
        return;
    static const struct {
        const char *code;
        lesson_status_t kind;
    } kinds[] = {{"cancelled", LESSON_CANCELLED}, {"teacher_absent", LESSON_TEACHER_ABSENT},
                 {"room_change", LESSON_ROOM_CHANGED}, {"moved", LESSON_MOVED}};
    str_t kind = form_get(f, "kind");
    bool known = false;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kind.ptr && str_eq_cstr(kind, kinds[i].code)) {
            j->change.kind = kinds[i].kind;
            known = true;
        }
    int64_t slot = 0;
    str_t slot_s = form_get(f, "slot"), date = form_get(f, "date");
    if (!known || !slot_s.ptr || !str_to_i64(slot_s, &slot) || !date.ptr || !date_parse_iso(date, &j->change.on)) {
        respond_error(r, 400, MSG_error_bad_input, "slot, date, kind");
        return;
    }
    j->change.slot_id = slot;
    str_t starts = form_get(f, "starts"), ends = form_get(f, "ends");
    j->change.starts_min = starts.ptr && starts.len ? timetable_parse_time(starts) : -1;
    j->change.ends_min = ends.ptr && ends.len ? timetable_parse_time(ends) : -1;
    j->change.room = form_get(f, "room");
    j->change.note = form_get(f, "note");
    if (!j->change.room.ptr)
        j->change.room = STR("");
    if (!j->change.note.ptr)
        j->change.note = STR("");
    j->by = request_principal(r)->person_id;
    if (request_store_write(r, change_form_write, j, change_form_done) != 0)
        unavailable(r);
}

/* POST /teaching/{id}/changes/{change:int}/remove */
static void change_remove(request_t *r)
{
    change_form_job_t *j = arena_alloc(&r->arena, sizeof *j);
    memset(j, 0, sizeof *j);
    form_t *f = request_form(r);
    if (!f || !load_teaching(r, request_param_int(r, "id"), POLICY_TEACHING_WRITE, &j->teaching))
        return;
    j->remove_id = request_param_int(r, "change");
    if (request_store_write(r, change_form_write, j, change_form_done) != 0)
        unavailable(r);
}

int notebook_register_routes(router_t *router, char *err, size_t errlen)
{
    if (!router_add(router, "GET", "/teaching/{id:int}", HANDLER(teaching_page), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/teaching/{id:int}/lessons", HANDLER(lesson_create), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/teaching/{id:int}/changes", HANDLER(change_create), NULL, 0, err, errlen) ||
        !router_add(router, "GET", "/lessons/{id:int}/edit", HANDLER(lesson_edit_form), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/lessons/{id:int}/edit", HANDLER(lesson_edit_save), NULL, 0, err, errlen) ||
        !router_add(router, "GET", "/homework/{id:int}/edit", HANDLER(homework_edit_form), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/homework/{id:int}/edit", HANDLER(homework_edit_save), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/teaching/{id:int}/changes/{change:int}/remove", HANDLER(change_remove), NULL, 0,
                    err, errlen) ||
        !router_add(router, "POST", "/lessons/{id:int}/publish", HANDLER(lesson_publish), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/lessons/{id:int}/copy", HANDLER(lesson_copy_to), NULL, 0, err, errlen) ||
        !router_add(router, "GET", "/homework/{id:int}", HANDLER(homework_page), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/homework/{id:int}/hand-in", HANDLER(hand_in), NULL, 0, err, errlen) ||
        !router_add(router, "GET", "/homework/{id:int}/archive", HANDLER(homework_archive), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/submissions/{id:int}/return", HANDLER(submission_give_back), NULL, 0, err,
                    errlen) ||
        !router_add(router, "GET", "/files/{id}", HANDLER(file_download), NULL, 0, err, errlen))
        return -1;
    return 0;
}
