-- Messaging: conversations, their members (one delivery row per person), messages,
-- attachments, drafts, reports and blocks, the school's communication rules and
-- each person's notification settings.

-- A conversation belongs to one school (nobody writes across schools). A broadcast
-- is sent to a class, a group or a class's parents: its recipients are members who
-- read it, and a reply from one of them opens a private conversation with the
-- sender (reply_to_broadcast), never a reply to all.
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    school_id INTEGER NOT NULL REFERENCES schools(id),
    subject TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES people(id),
    created_at INTEGER NOT NULL,
    broadcast TEXT NOT NULL DEFAULT '' CHECK (broadcast IN ('', 'class', 'group', 'class_parents')),
    broadcast_target INTEGER,             -- the class or group id of a broadcast
    reply_to_broadcast INTEGER REFERENCES conversations(id),
    last_message_at INTEGER NOT NULL
);

-- One row per person in a conversation: the fan-out of a message is one message
-- row and an unread increment here, per recipient, in the same transaction.
CREATE TABLE conversation_members (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    unread INTEGER NOT NULL DEFAULT 0,    -- messages not yet read by this person
    archived INTEGER NOT NULL DEFAULT 0,
    can_reply INTEGER NOT NULL DEFAULT 1, -- 0 for a broadcast's recipients (they reply privately)
    joined_at INTEGER NOT NULL,
    last_message_at INTEGER NOT NULL,     -- copy of the conversation's, for the inbox order
    PRIMARY KEY (conversation_id, person_id)
);
CREATE INDEX conversation_members_inbox ON conversation_members (person_id, archived, last_message_at);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    author_id INTEGER NOT NULL REFERENCES people(id),
    body TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    forwarded_from INTEGER REFERENCES messages(id),
    -- A client-supplied key: a retried send finds the first one instead of sending twice.
    idempotency_key TEXT
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);
CREATE UNIQUE INDEX messages_idempotency ON messages (author_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE message_files (
    message_id INTEGER NOT NULL REFERENCES messages(id),
    file_id TEXT NOT NULL REFERENCES files(id),
    PRIMARY KEY (message_id, file_id)
);

-- A message being written. Recipients are kept as typed text ("p:12,c:4") so a
-- draft survives a recipient leaving the school; they are checked again on send.
CREATE TABLE message_drafts (
    id INTEGER PRIMARY KEY,
    author_id INTEGER NOT NULL REFERENCES people(id),
    school_id INTEGER NOT NULL REFERENCES schools(id),
    recipients TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    conversation_id INTEGER REFERENCES conversations(id), -- a reply being written
    updated_at INTEGER NOT NULL
);
CREATE INDEX message_drafts_author ON message_drafts (author_id, updated_at);

CREATE TABLE message_reports (
    id INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages(id),
    reporter_id INTEGER NOT NULL REFERENCES people(id),
    reason TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    closed_at INTEGER,
    closed_by INTEGER REFERENCES people(id),
    UNIQUE (message_id, reporter_id)
);

-- A sender blocked by a school administrator may read but not write in that school.
CREATE TABLE message_blocks (
    school_id INTEGER NOT NULL REFERENCES schools(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    blocked_by INTEGER NOT NULL REFERENCES people(id),
    reason TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (school_id, person_id)
);

-- Who may write to whom, per school. Teachers, staff and administrators may write
-- to anyone in their school; these switches decide the rest. No row: the defaults.
CREATE TABLE message_rules (
    school_id INTEGER PRIMARY KEY REFERENCES schools(id),
    pupil_to_teachers INTEGER NOT NULL DEFAULT 1,
    pupil_to_staff INTEGER NOT NULL DEFAULT 1,
    pupil_to_classmates INTEGER NOT NULL DEFAULT 0,
    parent_to_teachers INTEGER NOT NULL DEFAULT 1,
    parent_to_staff INTEGER NOT NULL DEFAULT 1,
    parent_to_class_parents INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL DEFAULT 0
);

-- Notifications are computed from the data they tell about (unread messages, new
-- homework, marks, news, absences to justify); a person's feed is what is newer
-- than seen_at. E-mail digests go to those who asked, no more than once per
-- digest period.
CREATE TABLE notification_settings (
    person_id INTEGER PRIMARY KEY REFERENCES people(id),
    seen_at INTEGER NOT NULL DEFAULT 0,
    email_digest INTEGER NOT NULL DEFAULT 0,
    last_digest_at INTEGER NOT NULL DEFAULT 0
);

INSERT INTO store_topics (topic, version) VALUES (3, 1);
