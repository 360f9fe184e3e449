-- The school day: timetable, cahier de textes, hand-ins, grades, attendance, news.
-- Most rows hang off a teaching row (teacher x subject x class or group): that is
-- what a lesson, a homework, an evaluation or a timetable slot is about.
-- Times of day are minutes after midnight in the school's time zone; dates are
-- ISO text; instants are Unix seconds (UTC).

-- The Monday of a week A; weeks alternate A/B from it. NULL: the first Monday of
-- the school year starts a week A.
ALTER TABLE school_years ADD COLUMN week_a_monday TEXT;

CREATE TABLE timetable_slots (
    id INTEGER PRIMARY KEY,
    school_id INTEGER NOT NULL REFERENCES schools(id),
    teaching_id INTEGER NOT NULL REFERENCES teaching(id),
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7), -- ISO 8601: 1 is Monday
    starts_min INTEGER NOT NULL CHECK (starts_min >= 0),
    ends_min INTEGER NOT NULL CHECK (ends_min <= 1440),
    weeks TEXT NOT NULL DEFAULT '' CHECK (weeks IN ('', 'A', 'B')), -- '': every week
    room TEXT NOT NULL DEFAULT '',
    valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL,
    CHECK (ends_min > starts_min),
    CHECK (valid_to >= valid_from)
);
CREATE INDEX timetable_slots_teaching ON timetable_slots (teaching_id);
CREATE INDEX timetable_slots_school ON timetable_slots (school_id, weekday);

-- One-off changes: a slot cancelled, its teacher absent, another room, moved to
-- another time that day, or an extra session (no slot, a teaching of its own).
CREATE TABLE timetable_changes (
    id INTEGER PRIMARY KEY,
    school_id INTEGER NOT NULL REFERENCES schools(id),
    slot_id INTEGER REFERENCES timetable_slots(id),
    teaching_id INTEGER NOT NULL REFERENCES teaching(id),
    on_date TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('cancelled', 'teacher_absent', 'room_change', 'moved', 'extra')),
    starts_min INTEGER,
    ends_min INTEGER,
    room TEXT,
    note TEXT NOT NULL DEFAULT '',
    created_by INTEGER NOT NULL REFERENCES people(id),
    created_at INTEGER NOT NULL,
    CHECK ((kind = 'extra') = (slot_id IS NULL))
);
CREATE UNIQUE INDEX timetable_changes_slot_day ON timetable_changes (slot_id, on_date) WHERE slot_id IS NOT NULL;
CREATE INDEX timetable_changes_teaching ON timetable_changes (teaching_id, on_date);

CREATE TABLE holidays (
    id INTEGER PRIMARY KEY,
    school_id INTEGER NOT NULL REFERENCES schools(id),
    label TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    CHECK (ends_on >= starts_on)
);
CREATE INDEX holidays_school ON holidays (school_id, starts_on);

-- A person's secret calendar feed: the URL carries a token whose hash is kept here.
-- Revoking deletes the row; a new one makes a new URL.
CREATE TABLE calendar_feeds (
    person_id INTEGER PRIMARY KEY REFERENCES people(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

-- Files people upload (attachments, hand-ins): stored as DATA/files/<id>, where the
-- id is random and the original name is only ever shown, never used as a path.
CREATE TABLE files (
    id TEXT PRIMARY KEY,
    school_id INTEGER NOT NULL REFERENCES schools(id),
    owner_id INTEGER NOT NULL REFERENCES people(id),
    name TEXT NOT NULL,
    content_type TEXT NOT NULL, -- detected from the content, not taken from the client
    size INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

-- Cahier de textes: what was done in a lesson. publish_at NULL is a draft; pupils
-- and parents see an entry from publish_at on.
CREATE TABLE lessons (
    id INTEGER PRIMARY KEY,
    school_id INTEGER NOT NULL REFERENCES schools(id),
    teaching_id INTEGER NOT NULL REFERENCES teaching(id),
    on_date TEXT NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL DEFAULT '',
    links TEXT NOT NULL DEFAULT '', -- one http(s) URL per line
    publish_at INTEGER,
    author_id INTEGER NOT NULL REFERENCES people(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX lessons_teaching ON lessons (teaching_id, on_date);

CREATE TABLE lesson_files (
    lesson_id INTEGER NOT NULL REFERENCES lessons(id),
    file_id TEXT NOT NULL REFERENCES files(id),
    PRIMARY KEY (lesson_id, file_id)
);

CREATE TABLE homework (
    id INTEGER PRIMARY KEY,
    school_id INTEGER NOT NULL REFERENCES schools(id),
    teaching_id INTEGER NOT NULL REFERENCES teaching(id),
    lesson_id INTEGER REFERENCES lessons(id),
    given_on TEXT NOT NULL,
    due_on TEXT NOT NULL,
    due_at INTEGER NOT NULL,        -- the hand-in deadline; later hand-ins are marked late
    title TEXT NOT NULL,
    instructions TEXT NOT NULL DEFAULT '',
    minutes INTEGER NOT NULL DEFAULT 0 CHECK (minutes BETWEEN 0 AND 600), -- estimated work
    hand_in INTEGER NOT NULL DEFAULT 0, -- handed in online
    publish_at INTEGER,
    author_id INTEGER NOT NULL REFERENCES people(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK (due_on >= given_on)
);
CREATE INDEX homework_teaching_due ON homework (teaching_id, due_on);

CREATE TABLE homework_done (
    homework_id INTEGER NOT NULL REFERENCES homework(id),
    pupil_id INTEGER NOT NULL REFERENCES people(id),
    done_at INTEGER NOT NULL,
    PRIMARY KEY (homework_id, pupil_id)
);
CREATE INDEX homework_done_pupil ON homework_done (pupil_id);

-- A pupil's hand-in: one per homework, replaced by resubmissions until the teacher
-- returns it. revision counts the hand-ins.
CREATE TABLE submissions (
    id INTEGER PRIMARY KEY,
    homework_id INTEGER NOT NULL REFERENCES homework(id),
    pupil_id INTEGER NOT NULL REFERENCES people(id),
    text TEXT NOT NULL DEFAULT '',
    submitted_at INTEGER NOT NULL,
    late INTEGER NOT NULL DEFAULT 0,
    revision INTEGER NOT NULL DEFAULT 1,
    feedback TEXT NOT NULL DEFAULT '',
    mark REAL,
    returned_at INTEGER,
    UNIQUE (homework_id, pupil_id)
);
CREATE INDEX submissions_pupil ON submissions (pupil_id);

CREATE TABLE submission_files (
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    file_id TEXT NOT NULL REFERENCES files(id),
    PRIMARY KEY (submission_id, file_id)
);

-- Grades. Terms cut the school year (trimestres or semestres).
CREATE TABLE terms (
    id INTEGER PRIMARY KEY,
    school_id INTEGER NOT NULL REFERENCES schools(id),
    year_id INTEGER NOT NULL REFERENCES school_years(id),
    number INTEGER NOT NULL CHECK (number BETWEEN 1 AND 4),
    label TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    UNIQUE (school_id, year_id, number)
);

CREATE TABLE evaluations (
    id INTEGER PRIMARY KEY,
    school_id INTEGER NOT NULL REFERENCES schools(id),
    teaching_id INTEGER NOT NULL REFERENCES teaching(id),
    title TEXT NOT NULL,
    on_date TEXT NOT NULL,
    coefficient REAL NOT NULL DEFAULT 1 CHECK (coefficient > 0 AND coefficient <= 100),
    scale REAL NOT NULL DEFAULT 20 CHECK (scale > 0 AND scale <= 1000),
    published INTEGER NOT NULL DEFAULT 1,
    author_id INTEGER NOT NULL REFERENCES people(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX evaluations_teaching ON evaluations (teaching_id, on_date);

CREATE TABLE marks (
    evaluation_id INTEGER NOT NULL REFERENCES evaluations(id),
    pupil_id INTEGER NOT NULL REFERENCES people(id),
    status TEXT NOT NULL CHECK (status IN ('mark', 'absent', 'exempt', 'not_handed_in')),
    value REAL,
    comment TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (evaluation_id, pupil_id),
    CHECK ((status = 'mark') = (value IS NOT NULL)),
    CHECK (value IS NULL OR value >= 0)
);
CREATE INDEX marks_pupil ON marks (pupil_id);

-- Attendance: a roll call per lesson taken; absences and lateness per pupil.
CREATE TABLE roll_calls (
    id INTEGER PRIMARY KEY,
    school_id INTEGER NOT NULL REFERENCES schools(id),
    teaching_id INTEGER NOT NULL REFERENCES teaching(id),
    slot_id INTEGER REFERENCES timetable_slots(id),
    on_date TEXT NOT NULL,
    starts_min INTEGER NOT NULL,
    taken_by INTEGER NOT NULL REFERENCES people(id),
    taken_at INTEGER NOT NULL,
    UNIQUE (teaching_id, on_date, starts_min)
);
CREATE INDEX roll_calls_school_day ON roll_calls (school_id, on_date);

CREATE TABLE absences (
    id INTEGER PRIMARY KEY,
    school_id INTEGER NOT NULL REFERENCES schools(id),
    pupil_id INTEGER NOT NULL REFERENCES people(id),
    roll_call_id INTEGER REFERENCES roll_calls(id),
    on_date TEXT NOT NULL,
    starts_min INTEGER NOT NULL,
    ends_min INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('absent', 'late')),
    minutes_late INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'unjustified' CHECK (status IN ('unjustified', 'pending', 'justified', 'refused')),
    reason TEXT NOT NULL DEFAULT '',
    recorded_by INTEGER NOT NULL REFERENCES people(id),
    recorded_at INTEGER NOT NULL,
    justified_by INTEGER REFERENCES people(id),
    justified_at INTEGER,
    UNIQUE (roll_call_id, pupil_id)
);
CREATE INDEX absences_pupil ON absences (pupil_id, on_date);
CREATE INDEX absences_school_day ON absences (school_id, on_date);

-- News: to the whole school, a class (its pupils, parents and teachers), or parents
-- (of the school, or of one class).
CREATE TABLE news (
    id INTEGER PRIMARY KEY,
    school_id INTEGER NOT NULL REFERENCES schools(id),
    author_id INTEGER NOT NULL REFERENCES people(id),
    audience TEXT NOT NULL CHECK (audience IN ('school', 'class', 'parents')),
    class_id INTEGER REFERENCES classes(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    CHECK (audience <> 'class' OR class_id IS NOT NULL)
);
CREATE INDEX news_school ON news (school_id, published_at);

CREATE TABLE news_reads (
    news_id INTEGER NOT NULL REFERENCES news(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    read_at INTEGER NOT NULL,
    PRIMARY KEY (news_id, person_id)
);

INSERT INTO store_topics (topic, version) VALUES (2, 1);
