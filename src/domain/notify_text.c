#include "domain/notify_text.h"

#include "web/template.h"

/* A catalogue argument from stored text, on one line. */
static const char *one_line(arena_t *a, str_t s)
{
    char *c = arena_strndup(a, s.ptr ? s.ptr : "", s.len);
    for (char *q = c; *q; q++)
        if (*q == '\r' || *q == '\n' || *q == '\t')
            *q = ' ';
    return c;
}

void notify_text_line(buf_t *out, lang_id_t lang, const principal_t *p, const notify_item_t *it)
{
    arena_t a;
    arena_init(&a, NULL);
    const char *args[3] = {one_line(&a, it->detail), one_line(&a, it->title), arena_printf(&a, "%d", it->count)};
    msg_id_t id = MSG_notify_item_news;
    switch (it->kind) {
    case NOTIFY_MESSAGE:
        id = MSG_notify_item_message;
        break;
    case NOTIFY_HOMEWORK:
        id = MSG_notify_item_homework;
        break;
    case NOTIFY_MARK:
        id = MSG_notify_item_mark;
        break;
    case NOTIFY_ABSENCE:
        id = MSG_notify_item_absence;
        break;
    case NOTIFY_NEWS:
    case NOTIFY_KIND_COUNT:
        break;
    }
    const char *child = NULL;
    if (it->pupil_id && it->pupil_id != p->person_id)
        for (int i = 0; i < p->nchildren && !child; i++)
            if (p->children[i].person.id == it->pupil_id)
                child = one_line(&a, p->children[i].person.first_name);
    if (child) {
        buf_t text;
        buf_init(&text, &a, 128);
        i18n_format(&text, lang, id, args, 3);
        const char *both[2] = {child, text.data};
        i18n_format(out, lang, MSG_notify_item_child, both, 2);
    } else {
        i18n_format(out, lang, id, args, 3);
    }
    arena_free(&a);
}

const char *notify_text_path(arena_t *a, const notify_item_t *it)
{
    long long ref = (long long)it->ref_id, pupil = (long long)it->pupil_id;
    switch (it->kind) {
    case NOTIFY_MESSAGE: return arena_printf(a, "/messages/%lld", ref);
    case NOTIFY_HOMEWORK: return arena_printf(a, "/homework/%lld", ref);
    case NOTIFY_MARK: return arena_printf(a, "/pupils/%lld/grades", pupil);
    case NOTIFY_ABSENCE: return arena_printf(a, "/pupils/%lld/absences", pupil);
    case NOTIFY_NEWS:
    case NOTIFY_KIND_COUNT: break;
    }
    return arena_printf(a, "/news/%lld", ref);
}
