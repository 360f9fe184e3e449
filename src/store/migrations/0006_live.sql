-- Live classes: a teaching's lesson held online (docs/live-class.md). The room
-- itself (presence, chat, hands, polls) lives in memory; what stays is when it
-- is, who came and for how long, and who was let in from the lobby.
CREATE TABLE live_classes (
    id INTEGER PRIMARY KEY,
    school_id INTEGER NOT NULL REFERENCES schools(id),
    teaching_id INTEGER NOT NULL REFERENCES teaching(id),
    slot_id INTEGER REFERENCES timetable_slots(id), -- NULL: at a time of the teacher's choosing
    title TEXT NOT NULL,
    starts_at INTEGER NOT NULL, -- Unix seconds
    ends_at INTEGER NOT NULL,
    guest_key TEXT NOT NULL UNIQUE, -- the invitation link's secret
    created_by INTEGER NOT NULL REFERENCES people(id),
    created_at INTEGER NOT NULL,
    cancelled_at INTEGER,
    CHECK (ends_at > starts_at)
);
CREATE INDEX live_classes_teaching ON live_classes (teaching_id, starts_at);
CREATE INDEX live_classes_school ON live_classes (school_id, starts_at);

-- Who joined, for attendance: one row per person and live class, written when
-- they leave (seconds accumulate over reconnections).
CREATE TABLE live_presence (
    live_id INTEGER NOT NULL REFERENCES live_classes(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    first_joined_at INTEGER NOT NULL,
    last_left_at INTEGER NOT NULL,
    seconds INTEGER NOT NULL CHECK (seconds >= 0),
    PRIMARY KEY (live_id, person_id)
);

-- Guests who came through the invitation link: state waiting, admitted, refused.
CREATE TABLE live_guests (
    id INTEGER PRIMARY KEY,
    live_id INTEGER NOT NULL REFERENCES live_classes(id),
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    first_joined_at INTEGER,
    seconds INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX live_guests_live ON live_guests (live_id);
