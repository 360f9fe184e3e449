-- Schools, identified by their UAI (the national establishment code).
CREATE TABLE schools (
    id INTEGER PRIMARY KEY,
    uai TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('ecole', 'college', 'lycee', 'lycee_pro', 'autre')),
    city TEXT NOT NULL DEFAULT '',
    timezone TEXT NOT NULL DEFAULT 'Europe/Paris',
    is_demo INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
