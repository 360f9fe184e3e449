-- The directory: school years, classes, groups, subjects, people and what links them.
-- Dates are ISO 8601 text (YYYY-MM-DD), instants are Unix seconds (UTC).

CREATE TABLE school_years (
    id INTEGER PRIMARY KEY,
    school_id INTEGER NOT NULL REFERENCES schools(id),
    label TEXT NOT NULL,            -- "2026-2027"
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    UNIQUE (school_id, label)
);

CREATE TABLE classes (
    id INTEGER PRIMARY KEY,
    school_id INTEGER NOT NULL REFERENCES schools(id),
    year_id INTEGER NOT NULL REFERENCES school_years(id),
    code TEXT NOT NULL,             -- "4E3": the administration's code
    name TEXT NOT NULL,             -- "4e 3"
    level TEXT NOT NULL DEFAULT '', -- "4e"
    UNIQUE (school_id, year_id, code)
);

-- Teaching groups cut across classes (a language, an option, half a class).
CREATE TABLE teaching_groups (
    id INTEGER PRIMARY KEY,
    school_id INTEGER NOT NULL REFERENCES schools(id),
    year_id INTEGER NOT NULL REFERENCES school_years(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    UNIQUE (school_id, year_id, code)
);

CREATE TABLE subjects (
    id INTEGER PRIMARY KEY,
    school_id INTEGER NOT NULL REFERENCES schools(id),
    code TEXT NOT NULL,             -- "MATHS"
    name TEXT NOT NULL,             -- "Mathématiques"
    UNIQUE (school_id, code)
);

CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    external_id TEXT UNIQUE,        -- importer's key: "aaf:<ENTPersonJointure>" or "csv:<UAI>:<id>"
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT NOT NULL DEFAULT '',
    birth_date TEXT,
    password_hash TEXT,             -- argon2id; NULL until the account is activated
    activation_hash TEXT,           -- BLAKE2b of the printed activation code, NULL when none is pending
    activation_expires INTEGER,
    disabled INTEGER NOT NULL DEFAULT 0,
    platform_admin INTEGER NOT NULL DEFAULT 0,
    session_epoch INTEGER NOT NULL DEFAULT 0, -- raised by "log out everywhere" and password changes
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Who is what in which school. A parent or a teacher may belong to several schools.
CREATE TABLE memberships (
    person_id INTEGER NOT NULL REFERENCES people(id),
    school_id INTEGER NOT NULL REFERENCES schools(id),
    role TEXT NOT NULL CHECK (role IN ('pupil', 'parent', 'teacher', 'staff', 'school_admin')),
    PRIMARY KEY (person_id, school_id, role)
);
CREATE INDEX memberships_school_role ON memberships (school_id, role);

CREATE TABLE parent_links (
    parent_id INTEGER NOT NULL REFERENCES people(id),
    child_id INTEGER NOT NULL REFERENCES people(id),
    relation TEXT NOT NULL DEFAULT 'responsable', -- mere, pere, tuteur, responsable
    legal_guardian INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (parent_id, child_id)
);
CREATE INDEX parent_links_child ON parent_links (child_id);

-- A pupil's classes over time: a class change closes one row and opens another.
CREATE TABLE enrolments (
    pupil_id INTEGER NOT NULL REFERENCES people(id),
    class_id INTEGER NOT NULL REFERENCES classes(id),
    starts_on TEXT NOT NULL,
    ends_on TEXT,                   -- NULL: current
    PRIMARY KEY (pupil_id, class_id, starts_on)
);
CREATE INDEX enrolments_class ON enrolments (class_id, ends_on);
CREATE INDEX enrolments_pupil ON enrolments (pupil_id, ends_on);

CREATE TABLE group_members (
    pupil_id INTEGER NOT NULL REFERENCES people(id),
    group_id INTEGER NOT NULL REFERENCES teaching_groups(id),
    PRIMARY KEY (pupil_id, group_id)
);
CREATE INDEX group_members_group ON group_members (group_id);

-- Who teaches what to whom: a subject to one class or one group.
CREATE TABLE teaching (
    id INTEGER PRIMARY KEY,
    teacher_id INTEGER NOT NULL REFERENCES people(id),
    subject_id INTEGER NOT NULL REFERENCES subjects(id),
    class_id INTEGER REFERENCES classes(id),
    group_id INTEGER REFERENCES teaching_groups(id),
    CHECK ((class_id IS NULL) <> (group_id IS NULL))
);
CREATE UNIQUE INDEX teaching_class ON teaching (teacher_id, subject_id, class_id) WHERE class_id IS NOT NULL;
CREATE UNIQUE INDEX teaching_group ON teaching (teacher_id, subject_id, group_id) WHERE group_id IS NOT NULL;
CREATE INDEX teaching_by_class ON teaching (class_id);

-- What ends sessions before their expiry, in order: a logout (session_id set) or
-- "every session of this person" (epoch set). Servers read it incrementally by seq.
CREATE TABLE session_events (
    seq INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL,
    epoch INTEGER,          -- sessions with a smaller epoch are void
    session_id TEXT,        -- this one session is void
    expires_at INTEGER NOT NULL,
    CHECK ((epoch IS NULL) <> (session_id IS NULL))
);

-- One version per kind of data (store_topic_t), raised in the transaction that
-- changes it: caches in every process holding the data directory compare against it.
CREATE TABLE store_topics (
    topic INTEGER PRIMARY KEY,
    version INTEGER NOT NULL
);
INSERT INTO store_topics (topic, version) VALUES (0, 1);
INSERT INTO store_topics (topic, version) VALUES (1, 1);
