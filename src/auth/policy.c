#include "auth/policy.h"

#include <string.h>

#include "domain/messages.h"

policy_target_t policy_target_school(int64_t school_id)
{
    return (policy_target_t){.school_id = school_id};
}

policy_target_t policy_target_pupil(int64_t person_id, int64_t school_id, int64_t class_id, membership_t *one)
{
    one->school_id = school_id;
    one->role = ROLE_PUPIL;
    one->school_name = STR("");
    return (policy_target_t){.school_id = school_id, .class_id = class_id, .person_id = person_id, .roles = one,
                             .nroles = 1};
}

int policy_target_class(store_reader_t *r, arena_t *a, int64_t class_id, policy_target_t *out)
{
    memset(out, 0, sizeof *out);
    class_info_t c;
    int rc = class_get(STORE_READER(r), a, class_id, &c);
    if (rc != 1)
        return rc;
    out->school_id = c.school_id;
    out->class_id = c.id;
    return 1;
}

policy_target_t policy_target_of_teaching(const teaching_t *t)
{
    return (policy_target_t){.school_id = t->school_id, .class_id = t->class_id, .group_id = t->group_id,
                             .teaching_id = t->id, .teacher_id = t->teacher_id};
}

int policy_target_teaching(store_reader_t *r, arena_t *a, int64_t teaching_id, policy_target_t *out)
{
    memset(out, 0, sizeof *out);
    teaching_t t;
    int rc = teaching_get(STORE_READER(r), a, teaching_id, &t);
    if (rc == 1)
        *out = policy_target_of_teaching(&t);
    return rc;
}

static void fill_id(arena_t *a, const store_row_t *row, void *item)
{
    (void)a;
    *(int64_t *)item = store_row_int(row, 0);
}

int policy_target_person(store_reader_t *r, arena_t *a, int64_t person_id, policy_target_t *out)
{
    memset(out, 0, sizeof *out);
    int64_t exists = 0;
    int rc = store_int(STORE_READER(r), "SELECT id FROM people WHERE id = ?", STORE_ARGS(SA_INT(person_id)), &exists);
    if (rc != 1)
        return rc;
    out->person_id = person_id;
    if ((rc = memberships_of(STORE_READER(r), a, person_id, &out->roles)) < 0)
        return rc;
    out->nroles = rc;
    class_info_t c;
    if ((rc = pupil_class(STORE_READER(r), a, person_id, date_today(), &c)) < 0)
        return rc;
    if (rc == 1) {
        out->class_id = c.id;
        out->school_id = c.school_id;
    }
    if ((rc = store_list(STORE_READER(r), a, "SELECT parent_id FROM parent_links WHERE child_id = ?",
                         STORE_ARGS(SA_INT(person_id)), sizeof(int64_t), fill_id, (void **)&out->parents)) < 0)
        return rc;
    out->nparents = rc;
    if ((rc = store_list(STORE_READER(r), a, "SELECT group_id FROM group_members WHERE pupil_id = ?",
                         STORE_ARGS(SA_INT(person_id)), sizeof(int64_t), fill_id, (void **)&out->groups)) < 0)
        return rc;
    out->ngroups = rc;
    return 1;
}

static bool admin_of(const principal_t *p, int64_t school_id)
{
    return principal_has_role(p, school_id, ROLE_SCHOOL_ADMIN);
}

static bool staff_of(const principal_t *p, int64_t school_id)
{
    return admin_of(p, school_id) || principal_has_role(p, school_id, ROLE_STAFF);
}

/* Is the principal an administrator (or staff) of a school the target belongs to? */
static bool runs_a_school_of(const principal_t *p, const policy_target_t *t, bool admin_only)
{
    for (int i = 0; i < t->nroles; i++)
        if (admin_only ? admin_of(p, t->roles[i].school_id) : staff_of(p, t->roles[i].school_id))
            return true;
    return false;
}

static bool shares_school(const principal_t *p, const policy_target_t *t)
{
    for (int i = 0; i < t->nroles; i++)
        if (principal_in_school(p, t->roles[i].school_id))
            return true;
    return false;
}

/* Does the principal teach the pupil described by t (their class or a group)? */
static bool teaches_pupil(const principal_t *p, const policy_target_t *t)
{
    if (t->class_id && principal_teaches_class(p, t->class_id))
        return true;
    for (int i = 0; i < t->ngroups; i++)
        if (principal_teaches_group(p, t->groups[i]))
            return true;
    return false;
}

/* Is a pupil this principal follows (themself, a child) taught by the teaching t? */
static bool follows_a_pupil_of(const principal_t *p, const policy_target_t *t, bool self_only)
{
    for (int i = 0; i < p->nlearners; i++) {
        const learner_t *l = &p->learners[i];
        if (self_only && l->pupil_id != p->person_id)
            continue;
        if (l->school_id == t->school_id && learner_in(l, t->class_id, t->group_id))
            return true;
    }
    return false;
}

static bool target_has_role(const policy_target_t *t, role_t role)
{
    for (int i = 0; i < t->nroles; i++)
        if (t->roles[i].role == role)
            return true;
    return false;
}

static bool id_in(const int64_t *ids, int n, int64_t id)
{
    for (int i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

static bool target_role_in(const policy_target_t *t, int64_t school_id, role_t role)
{
    for (int i = 0; i < t->nroles; i++)
        if (t->roles[i].school_id == school_id && t->roles[i].role == role)
            return true;
    return false;
}

/* Does the recipient t teach a pupil the principal follows in the school
 * (themself when self_only, else their children)? */
static bool teaches_a_learner_of(const principal_t *p, const policy_target_t *t, int64_t school_id, bool self_only)
{
    for (int i = 0; i < p->nlearners; i++) {
        const learner_t *l = &p->learners[i];
        if (l->school_id != school_id || (self_only != (l->pupil_id == p->person_id)))
            continue;
        if (l->class_id && id_in(t->taught_classes, t->ntaught_classes, l->class_id))
            return true;
        for (int g = 0; g < l->ngroups; g++)
            if (id_in(t->taught_groups, t->ntaught_groups, l->groups[g]))
                return true;
    }
    return false;
}

static bool may_write_to(const principal_t *p, const policy_target_t *t)
{
    int64_t school = t->school_id;
    if (!school || !t->person_id || t->person_id == p->person_id || !t->rules || !principal_in_school(p, school))
        return false;
    bool recipient_teacher = target_role_in(t, school, ROLE_TEACHER);
    bool recipient_staff = target_role_in(t, school, ROLE_STAFF) || target_role_in(t, school, ROLE_SCHOOL_ADMIN);
    bool recipient_pupil = target_role_in(t, school, ROLE_PUPIL);
    bool recipient_parent = target_role_in(t, school, ROLE_PARENT);
    if (!recipient_teacher && !recipient_staff && !recipient_pupil && !recipient_parent)
        return false;
    if (principal_has_role(p, school, ROLE_TEACHER) || staff_of(p, school))
        return true;
    const msg_rules_t *rules = t->rules;
    if (principal_has_role(p, school, ROLE_PUPIL)) {
        if (recipient_staff && rules->pupil_to_staff)
            return true;
        if (recipient_teacher && rules->pupil_to_teachers && teaches_a_learner_of(p, t, school, true))
            return true;
        if (recipient_pupil && rules->pupil_to_classmates && p->pupil_class_id && t->class_id == p->pupil_class_id)
            return true;
    }
    if (principal_has_role(p, school, ROLE_PARENT)) {
        if (recipient_staff && rules->parent_to_staff)
            return true;
        if (recipient_teacher && rules->parent_to_teachers && teaches_a_learner_of(p, t, school, false))
            return true;
        if (recipient_parent && rules->parent_to_class_parents)
            for (int i = 0; i < p->nlearners; i++)
                if (p->learners[i].school_id == school && p->learners[i].pupil_id != p->person_id &&
                    p->learners[i].class_id &&
                    id_in(t->children_classes, t->nchildren_classes, p->learners[i].class_id))
                    return true;
    }
    return false;
}

bool policy_allows(const principal_t *p, policy_action_t action, const policy_target_t *t)
{
    if (!p || p->disabled || !t)
        return false;
    if (p->platform_admin)
        return true;
    switch (action) {
    case POLICY_SCHOOL_DIRECTORY:
        return staff_of(p, t->school_id);
    case POLICY_SCHOOL_ACCOUNTS:
        return admin_of(p, t->school_id);
    case POLICY_CLASS_ROSTER:
        return staff_of(p, t->school_id) || principal_teaches_class(p, t->class_id) ||
               (p->pupil_class_id && p->pupil_class_id == t->class_id);
    case POLICY_PERSON_CARD:
        if (p->person_id == t->person_id || principal_is_parent_of(p, t->person_id) || runs_a_school_of(p, t, false))
            return true;
        /* A teacher sees the pupils of the classes they teach, and colleagues. */
        if (t->class_id && principal_teaches_class(p, t->class_id))
            return true;
        if (principal_has_any_role(p, ROLE_TEACHER) && shares_school(p, t) &&
            (target_has_role(t, ROLE_TEACHER) || target_has_role(t, ROLE_STAFF) ||
             target_has_role(t, ROLE_SCHOOL_ADMIN)))
            return true;
        return false;
    case POLICY_PERSON_ACCOUNT:
        return p->person_id == t->person_id || principal_is_parent_of(p, t->person_id) || runs_a_school_of(p, t, true);
    case POLICY_PERSON_MANAGE:
        return p->person_id != t->person_id && runs_a_school_of(p, t, true);
    case POLICY_ACT_FOR_CHILD:
        return principal_is_parent_of(p, t->person_id);
    case POLICY_TEACHING_READ:
        if (!t->teaching_id)
            return false;
        return p->person_id == t->teacher_id || staff_of(p, t->school_id) ||
               (t->class_id && principal_teaches_class(p, t->class_id)) ||
               (t->group_id && principal_teaches_group(p, t->group_id)) || follows_a_pupil_of(p, t, false);
    case POLICY_TEACHING_WRITE:
        if (!t->teaching_id)
            return false;
        return (p->person_id == t->teacher_id && principal_has_role(p, t->school_id, ROLE_TEACHER)) ||
               admin_of(p, t->school_id);
    case POLICY_TEACHING_HAND_IN:
        return t->teaching_id && follows_a_pupil_of(p, t, true);
    case POLICY_LIVE_HOST:
        return policy_allows(p, POLICY_TEACHING_WRITE, t);
    case POLICY_LIVE_JOIN:
        return policy_allows(p, POLICY_TEACHING_READ, t);
    case POLICY_PUPIL_RECORD:
        if (!t->person_id || !target_has_role(t, ROLE_PUPIL))
            return false;
        return p->person_id == t->person_id || principal_is_parent_of(p, t->person_id) ||
               runs_a_school_of(p, t, false) || teaches_pupil(p, t);
    case POLICY_PUPIL_JUSTIFY:
        if (!t->person_id || !target_has_role(t, ROLE_PUPIL))
            return false;
        return principal_is_parent_of(p, t->person_id) || runs_a_school_of(p, t, false);
    case POLICY_SCHOOL_LIFE:
        return staff_of(p, t->school_id);
    case POLICY_NEWS_PUBLISH:
        if (staff_of(p, t->school_id))
            return true;
        return t->class_id && principal_teaches_class(p, t->class_id) &&
               principal_has_role(p, t->school_id, ROLE_TEACHER);
    case POLICY_MESSAGE_WRITE:
        return may_write_to(p, t);
    case POLICY_MESSAGE_BROADCAST:
        if (!t->school_id || (!t->class_id && !t->group_id))
            return false;
        if (staff_of(p, t->school_id))
            return true;
        return principal_has_role(p, t->school_id, ROLE_TEACHER) &&
               ((t->class_id && principal_teaches_class(p, t->class_id)) ||
                (t->group_id && principal_teaches_group(p, t->group_id)));
    case POLICY_MESSAGE_MODERATE:
        return admin_of(p, t->school_id);
    case POLICY_OPERATE:
        return false; /* platform administrators only (allowed above) */
    case POLICY_ACTION_COUNT:
        break;
    }
    return false;
}

const char *policy_action_name(policy_action_t action)
{
    static const char *const names[POLICY_ACTION_COUNT] = {
        "school_directory", "school_accounts", "class_roster", "person_card",
        "person_account",   "person_manage",   "act_for_child",  "teaching_read",
        "teaching_write",   "teaching_hand_in", "pupil_record",  "pupil_justify",
        "school_life",      "news_publish",    "message_write", "message_broadcast",
        "message_moderate", "operate",         "live_host",       "live_join",
    };
    return (unsigned)action < POLICY_ACTION_COUNT ? names[action] : "?";
}
