/* store: the one way domain code reaches the database.
 *
 * Contract:
 * - SQL is written once, in the subset SQLite and PostgreSQL share, with `?`
 *   placeholders and arguments passed as store_arg_t (never spliced into text).
 * - Reads go through a store_reader_t: one per thread, its own connection and
 *   prepared-statement cache, no lock shared with other threads.
 * - Writes are jobs run by one writer thread. Jobs queued while a commit is
 *   in progress are grouped into the next transaction (group commit), each in its
 *   own savepoint so one failing job rolls back alone. A job is acknowledged
 *   (its on_done called, on the writer thread) only after the COMMIT that made
 *   it durable (SQLite in WAL mode with synchronous=FULL).
 * - store_open creates the data directory, applies the embedded migrations in
 *   order (each in its own transaction) and refuses a database newer than the
 *   binary.
 * - Errors are logged once, here, with the SQL at fault; callers get a status.
 */
#ifndef CARTABLE_STORE_STORE_H
#define CARTABLE_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

typedef struct store store_t;
typedef struct store_reader store_reader_t;
typedef struct store_tx store_tx_t;
typedef struct store_row store_row_t;

enum {
    STORE_OK = 0,
    STORE_ERROR = -1,      /* logged */
    STORE_CONSTRAINT = -2, /* a UNIQUE, CHECK or FOREIGN KEY constraint refused the write */
    STORE_BUSY = -3,
    STORE_UNDONE = -4,     /* a write fn returned it to have its work rolled back on purpose (dry runs) */
};

typedef enum store_type { STORE_NULL = 0, STORE_INT, STORE_DOUBLE, STORE_TEXT } store_type_t;

typedef struct store_arg {
    store_type_t type;
    int64_t i;
    double d;
    str_t s;
} store_arg_t;

#define SA_NULL ((store_arg_t){.type = STORE_NULL})
#define SA_INT(v) ((store_arg_t){.type = STORE_INT, .i = (int64_t)(v)})
#define SA_DOUBLE(v) ((store_arg_t){.type = STORE_DOUBLE, .d = (v)})
#define SA_TEXT(v) ((store_arg_t){.type = STORE_TEXT, .s = (v)})
#define SA_CSTR(v) ((store_arg_t){.type = STORE_TEXT, .s = str_from(v)})

/* Called per result row; return non-zero to stop early. Row data is valid only during the call. */
typedef int (*store_row_fn)(void *ud, const store_row_t *row);

int64_t store_row_int(const store_row_t *row, int col);
double store_row_double(const store_row_t *row, int col);
str_t store_row_text(const store_row_t *row, int col);
bool store_row_is_null(const store_row_t *row, int col);

typedef struct store_options {
    const char *data_dir;
    /* A command-line client (user, import...) may open the store while a server
     * holds it: it then never migrates, and refuses a schema it does not know. */
    bool client;
} store_options_t;

int store_open(const store_options_t *opts, store_t **out, char *err, size_t errlen);
void store_close(store_t *s);
const char *store_data_dir(const store_t *s);
/* Highest applied migration. */
int store_schema_version(store_t *s);

store_reader_t *store_reader_open(store_t *s);
void store_reader_close(store_reader_t *r);
/* Returns the number of rows seen, or a negative STORE_* status. */
int store_read(store_reader_t *r, const char *sql, const store_arg_t *args, size_t nargs, store_row_fn fn, void *ud);

/* A write: fn runs inside the shared transaction; a negative return rolls this job
 * back (and only this one). status is fn's result, or a STORE_* error if the
 * COMMIT failed. on_done runs on the writer thread after the COMMIT: it must be
 * quick (post the job back to its event loop) and may free the job. */
typedef int (*store_write_fn)(store_tx_t *tx, void *ud);
typedef struct store_job store_job_t;
struct store_job {
    store_write_fn fn;
    void *ud;
    void (*on_done)(store_job_t *job);
    void *done_ctx;
    int status;
    store_job_t *next;  /* queue link, owned by the store */
    uint64_t queued_us; /* when it was submitted (monotonic), owned by the store */
};

/* Queues a job; the job's memory must stay valid until on_done. Returns 0, or
 * STORE_ERROR when the store is closing. */
int store_submit(store_t *s, store_job_t *job);
/* Submits and waits for the commit: for startup, command-line use and tests. */
int store_write_sync(store_t *s, store_write_fn fn, void *ud);

typedef struct store_stats {
    uint64_t jobs;
    uint64_t transactions; /* commits: jobs / transactions is the grouping factor */
    uint64_t failed_jobs;
} store_stats_t;
void store_get_stats(store_t *s, store_stats_t *out);
/* For benchmarks: 1 forces one transaction per job (no grouping). */
void store_set_max_batch(store_t *s, unsigned max_jobs);
/* How long writes have waited for the writer recently, in microseconds: the
 * longer of the wait of the oldest job still queued, and the longest wait (from
 * store_submit to the start of its transaction) among the batches begun in the
 * last STORE_DELAY_WINDOW_MS to twice that. 0 when writes go straight in. A few
 * atomic loads and one clock read: any thread, any time. */
#define STORE_DELAY_WINDOW_MS 100
uint64_t store_queue_delay_us(store_t *s);

int store_tx_exec(store_tx_t *tx, const char *sql, const store_arg_t *args, size_t nargs);
int64_t store_tx_last_id(store_tx_t *tx);
int64_t store_tx_changes(store_tx_t *tx);
int store_tx_query(store_tx_t *tx, const char *sql, const store_arg_t *args, size_t nargs, store_row_fn fn, void *ud);

/* ---- helpers for domain code ---- */

/* Where a query runs: a thread's reader, or the current write transaction (so an
 * import can read what it has just written). */
typedef struct store_src {
    store_reader_t *reader;
    store_tx_t *tx;
} store_src_t;
#define STORE_READER(r) ((store_src_t){(r), NULL})
#define STORE_TX(t) ((store_src_t){NULL, (t)})

int store_query(store_src_t src, const char *sql, const store_arg_t *args, size_t nargs, store_row_fn fn, void *ud);
/* Copies a text column into the arena. */
struct arena;
str_t store_row_text_copy(const store_row_t *row, int col, struct arena *a);
/* Fills one item of `size` bytes from a row. */
typedef void (*store_fill_fn)(struct arena *a, const store_row_t *row, void *item);
/* All rows as an array in the arena; returns the count or a negative status. */
int store_list(store_src_t src, struct arena *a, const char *sql, const store_arg_t *args, size_t nargs, size_t size,
               store_fill_fn fill, void **out);
/* The first row: 1 found, 0 none, negative on error. */
int store_one(store_src_t src, struct arena *a, const char *sql, const store_arg_t *args, size_t nargs, size_t size,
              store_fill_fn fill, void *out);
/* A single integer (COUNT, MAX...): 1 found, 0 none, negative on error. */
int store_int(store_src_t src, const char *sql, const store_arg_t *args, size_t nargs, int64_t *out);

/* Change topics: a write marks what it changed; the topic's version rises in the
 * same transaction (store_topics), and in memory right after the COMMIT. The
 * writer thread also polls store_topics about once a second when idle, so changes
 * made by another process (a command-line import) reach this one's caches. */
typedef enum store_topic {
    STORE_TOPIC_DIRECTORY = 0, /* people, memberships, classes, links, teaching */
    STORE_TOPIC_SESSIONS,      /* epochs and revoked sessions */
    STORE_TOPIC_SCHOOL_DAY,    /* timetable, cahier de textes, hand-ins, grades, attendance, news */
    STORE_TOPIC_MESSAGES,      /* conversations, read state, rules, notification settings */
    STORE_TOPIC_COUNT
} store_topic_t;
void store_tx_touch(store_tx_t *tx, store_topic_t topic);
uint64_t store_topic_version(store_t *s, store_topic_t topic);

/* Keyed versions, for caches of one class's data: a write marks the keys it
 * changed (store_tx_touch_key), and after its COMMIT, before its acknowledgement,
 * each key's version rises in memory. Keys share STORE_KEY_SLOTS counters (a
 * collision only costs a spurious miss). store_key_version adds the topic's
 * version, so a change another process made to the topic (it raises the topic,
 * not keys) invalidates every key of it. */
#define STORE_KEY_SLOTS 4096
void store_tx_touch_key(store_tx_t *tx, store_topic_t topic, uint64_t key);
uint64_t store_key_version(store_t *s, store_topic_t topic, uint64_t key);
/* Rises after every commit that raised a topic or a key (once their versions have
 * risen) and whenever a change made by another process is noticed: a watcher that
 * polls "has anything changed since?" reads one integer before looking closer. */
uint64_t store_change_count(store_t *s);

#define STORE_ARGS(...) ((const store_arg_t[]){__VA_ARGS__}), (sizeof((const store_arg_t[]){__VA_ARGS__}) / sizeof(store_arg_t))
#define STORE_NO_ARGS NULL, 0

#endif
