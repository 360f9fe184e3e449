/* policy: the one place that decides who may see or do what.
 *
 * Contract: policy_allows(principal, action, target) answers yes or no; every
 * handler asks it and none re-implements it. Nobody acts across schools unless a
 * platform administrator. A NULL principal (not signed in) may do nothing listed
 * here. Targets are described by policy_target_*, which load the facts policy
 * needs (the target's schools, class, parents).
 */
#ifndef CARTABLE_AUTH_POLICY_H
#define CARTABLE_AUTH_POLICY_H

#include <stdbool.h>

#include "auth/principal.h"

typedef enum policy_action {
    /* See a school's directory pages: its classes, its people. */
    POLICY_SCHOOL_DIRECTORY = 0,
    /* Manage accounts in a school: activation letters, resets, disabling. */
    POLICY_SCHOOL_ACCOUNTS,
    /* See the pupils of a class. */
    POLICY_CLASS_ROSTER,
    /* See who a person is (name, roles, class). */
    POLICY_PERSON_CARD,
    /* See a person's account details (login, whether activated, e-mail). */
    POLICY_PERSON_ACCOUNT,
    /* Change a person's account (reset, disable): an administrator of their school. */
    POLICY_PERSON_MANAGE,
    /* Act for a child: a parent choosing which child's school day to show. */
    POLICY_ACT_FOR_CHILD,
    /* The school day. A "teaching" target is teacher x subject x class or group
     * (policy_target_teaching). */
    /* Read a teaching's timetable, published lessons and homework, evaluations:
     * its pupils and their parents, its teacher, the class's teachers, the school's staff. */
    POLICY_TEACHING_READ,
    /* Write for a teaching (lessons, homework, changes, evaluations, marks, roll
     * calls, feedback on hand-ins, drafts): its teacher, the school's administrators. */
    POLICY_TEACHING_WRITE,
    /* Hand in homework or tick it done: a pupil of the teaching, for themself. */
    POLICY_TEACHING_HAND_IN,
    /* See a pupil's own record (marks, absences, hand-ins, term report): the pupil,
     * their parents, the school's staff, a teacher of their class or one of their groups. */
    POLICY_PUPIL_RECORD,
    /* Justify a pupil's absence: their parents (and the school's staff). */
    POLICY_PUPIL_JUSTIFY,
    /* Change the timetable, holidays and terms of a school, review absences
     * school-wide: staff and administrators. */
    POLICY_SCHOOL_LIFE,
    /* Publish news to the school or its parents: staff and administrators; to a
     * class (target_class): also the class's teachers. */
    POLICY_NEWS_PUBLISH,
    /* Messaging, within one school (target school_id): nobody writes across schools.
     * Write to a person (policy_target_person plus the recipient's teaching and
     * children's classes and the school's rules, see messages_resolve): teachers,
     * staff and administrators to anyone of the school; pupils to their teachers,
     * the staff, and classmates if the school allows; parents to their children's
     * teachers, the staff, and parents of their children's classmates if allowed. */
    POLICY_MESSAGE_WRITE,
    /* Write to a whole class, group or a class's parents at once: the staff, and
     * the teachers of that class or group. */
    POLICY_MESSAGE_BROADCAST,
    /* Read reported conversations, block senders, set the school's rules:
     * administrators. */
    POLICY_MESSAGE_MODERATE,
    /* Operate the platform (the waiting room's page): platform administrators. */
    POLICY_OPERATE,
    /* Live classes of a teaching (policy_target_teaching). Schedule one and host
     * it (admit guests, lock, polls, mute-all, remove someone): its teacher, the
     * school's administrators. */
    POLICY_LIVE_HOST,
    /* Come straight into one, no lobby: whoever may read the teaching (its
     * pupils and their parents, the class's teachers, the school's staff). */
    POLICY_LIVE_JOIN,
    POLICY_ACTION_COUNT
} policy_action_t;

typedef struct policy_target {
    int64_t school_id;     /* schools and classes */
    int64_t class_id;      /* classes; a pupil's current class */
    int64_t person_id;     /* people */
    membership_t *roles;   /* the target person's memberships */
    int nroles;
    int64_t *parents;      /* the target person's parents */
    int nparents;
    int64_t teaching_id;   /* a teaching (its class_id or group_id is set) */
    int64_t group_id;
    int64_t teacher_id;
    int64_t *groups;       /* a pupil's groups */
    int ngroups;
    /* For messaging: what the recipient teaches, their children's classes and
     * groups, and the school's switches. */
    int64_t *taught_classes, *taught_groups;
    int ntaught_classes, ntaught_groups;
    int64_t *children_classes;
    int nchildren_classes;
    const struct msg_rules *rules;
} policy_target_t;

policy_target_t policy_target_school(int64_t school_id);
/* Loads a class's school. 1 found, 0 no such class, negative on error. */
int policy_target_class(store_reader_t *r, arena_t *a, int64_t class_id, policy_target_t *out);
/* Loads a person's memberships, current class and parents. */
int policy_target_person(store_reader_t *r, arena_t *a, int64_t person_id, policy_target_t *out);

/* Loads a teaching: its school, class or group, teacher. */
int policy_target_teaching(store_reader_t *r, arena_t *a, int64_t teaching_id, policy_target_t *out);
struct teaching;
policy_target_t policy_target_of_teaching(const struct teaching *t);

/* A pupil known to be in a class of a school (a roster row): no database access. */
policy_target_t policy_target_pupil(int64_t person_id, int64_t school_id, int64_t class_id, membership_t *one);

bool policy_allows(const principal_t *who, policy_action_t action, const policy_target_t *target);
const char *policy_action_name(policy_action_t action);

#endif
