/* The SQLite implementation of store.h. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/log.h"
#include "store/store.h"

typedef struct embedded_file {
    const char *name;
    const char *text;
    size_t len;
} embedded_file_t;
extern const embedded_file_t store_migrations[];
extern const size_t store_migrations_count;

#define STMT_CACHE_SIZE 256 /* power of two */

/* Statements are cached by their text (a copy is kept): most SQL is literal, but
 * some is built per call (IN lists of variable length) in reused buffers. */
typedef struct stmt_slot {
    char *sql;
    uint64_t hash;
    sqlite3_stmt *stmt;
} stmt_slot_t;

typedef struct conn {
    sqlite3 *db;
    stmt_slot_t cache[STMT_CACHE_SIZE];
} conn_t;

#define STORE_DEFAULT_MAX_BATCH 1024

struct store {
    int lock_fd; /* flock on DATA/cartable.lock: one server per data directory */
    bool may_migrate; /* holds the lock: no server runs on an older schema */
    char *data_dir;
    char *db_path;
    conn_t writer; /* used by the writer thread only, once it runs */
    int schema_version;

    /* The write queue: any thread appends, the writer thread takes it whole. */
    pthread_mutex_t queue_lock;
    pthread_cond_t queue_cond;
    store_job_t *queue_head, *queue_tail;
    bool closing;
    bool writer_running;
    pthread_t writer_thread;
    _Atomic unsigned max_batch;

    _Atomic uint64_t stat_jobs, stat_transactions, stat_failed;
    _Atomic uint64_t topic_version[STORE_TOPIC_COUNT];
    _Atomic uint64_t key_version[STORE_KEY_SLOTS];
    _Atomic uint64_t changes; /* store_change_count */

    /* store_queue_delay_us: written by the writer (and by store_submit under
     * queue_lock), read by anyone. Waits are kept per window of
     * STORE_DELAY_WINDOW_MS, in two slots used in turn. */
    _Atomic uint64_t queue_oldest_us; /* when the job at the head of the queue was submitted; 0: empty */
    _Atomic uint64_t delay_window[2]; /* which window each slot holds */
    _Atomic uint64_t delay_max_us[2]; /* the longest wait of the batches begun in it */
};

static void *writer_main(void *arg);
static void poll_topics(store_t *s);

struct store_reader {
    store_t *store;
    conn_t conn;
};

#define TX_KEYS_MAX 1024 /* a class broadcast touches one key per recipient */

struct store_tx {
    conn_t *conn;
    unsigned touched; /* bit per store_topic_t, for the job being run */
    /* key slots touched by the batch, raised after its COMMIT */
    uint32_t keys[TX_KEYS_MAX];
    unsigned nkeys, job_keys_start;
};

struct store_row {
    sqlite3_stmt *stmt;
};

int64_t store_row_int(const store_row_t *row, int col) { return sqlite3_column_int64(row->stmt, col); }
double store_row_double(const store_row_t *row, int col) { return sqlite3_column_double(row->stmt, col); }
bool store_row_is_null(const store_row_t *row, int col) { return sqlite3_column_type(row->stmt, col) == SQLITE_NULL; }

str_t store_row_text(const store_row_t *row, int col)
{
    const unsigned char *p = sqlite3_column_text(row->stmt, col);
    int n = sqlite3_column_bytes(row->stmt, col);
    return p ? (str_t){(const char *)p, (size_t)n} : STR("");
}

static int mkdir_p(const char *path, mode_t mode)
{
    char tmp[4096];
    if (strlen(path) >= sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(tmp, path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, mode) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    if (mkdir(tmp, mode) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static int conn_open(conn_t *c, const char *path, bool readonly, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    int flags = SQLITE_OPEN_NOMUTEX | (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    int rc = sqlite3_open_v2(path, &c->db, flags, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open database %s: %s", path, c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        sqlite3_close(c->db);
        c->db = NULL;
        return -1;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, 5000);
    const char *pragmas = readonly ? "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;"
                                   : "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                                     "PRAGMA temp_store=MEMORY;";
    char *msg = NULL;
    if (sqlite3_exec(c->db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "cannot configure database %s: %s", path, msg ? msg : "?");
        sqlite3_free(msg);
        sqlite3_close(c->db);
        c->db = NULL;
        return -1;
    }
    return 0;
}

static void conn_close(conn_t *c)
{
    for (size_t i = 0; i < STMT_CACHE_SIZE; i++) {
        if (c->cache[i].stmt)
            sqlite3_finalize(c->cache[i].stmt);
        free(c->cache[i].sql);
    }
    if (c->db)
        sqlite3_close(c->db);
    memset(c, 0, sizeof *c);
}

/* Returns the cached statement, NULL with *failed set on an SQL error, or NULL alone
 * when the cache is full (the caller then prepares one for this use only). */
static sqlite3_stmt *conn_prepare(conn_t *c, const char *sql, bool *failed)
{
    *failed = false;
    uint64_t hash = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)sql; *p; p++)
        hash = (hash ^ *p) * 1099511628211ULL;
    size_t h = (size_t)(hash ^ (hash >> 32)) & (STMT_CACHE_SIZE - 1);
    for (size_t probe = 0; probe < STMT_CACHE_SIZE; probe++) {
        stmt_slot_t *slot = &c->cache[(h + probe) & (STMT_CACHE_SIZE - 1)];
        if (slot->sql && slot->hash == hash && strcmp(slot->sql, sql) == 0)
            return slot->stmt;
        if (slot->sql == NULL) {
            char *copy = strdup(sql);
            if (!copy) {
                *failed = true;
                return NULL;
            }
            sqlite3_stmt *st;
            if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
                logq_t q1, q2;
                LOG_ERROR("cannot prepare SQL", "error=\"%s\" sql=\"%.200s\"", logq(&q1, sqlite3_errmsg(c->db)), logq(&q2, sql));
                *failed = true;
                free(copy);
                return NULL;
            }
            slot->sql = copy;
            slot->hash = hash;
            slot->stmt = st;
            return st;
        }
    }
    /* Cache full (more distinct statements than expected): prepare uncached. */
    return NULL;
}

static int bind_args(conn_t *c, sqlite3_stmt *st, const store_arg_t *args, size_t nargs)
{
    if ((int)nargs != sqlite3_bind_parameter_count(st)) {
        logq_t q;
        LOG_ERROR("SQL argument count mismatch", "expected=%d given=%zu sql=\"%.200s\"",
                  sqlite3_bind_parameter_count(st), nargs, logq(&q, sqlite3_sql(st)));
        return STORE_ERROR;
    }
    for (size_t i = 0; i < nargs; i++) {
        int rc;
        int idx = (int)i + 1;
        switch (args[i].type) {
        case STORE_NULL: rc = sqlite3_bind_null(st, idx); break;
        case STORE_INT: rc = sqlite3_bind_int64(st, idx, args[i].i); break;
        case STORE_DOUBLE: rc = sqlite3_bind_double(st, idx, args[i].d); break;
        case STORE_TEXT:
            rc = sqlite3_bind_text(st, idx, args[i].s.ptr ? args[i].s.ptr : "", (int)args[i].s.len, SQLITE_STATIC);
            break;
        default: rc = SQLITE_MISUSE;
        }
        if (rc != SQLITE_OK) {
            logq_t q;
            LOG_ERROR("cannot bind SQL argument", "error=\"%s\"", logq(&q, sqlite3_errmsg(c->db)));
            return STORE_ERROR;
        }
    }
    return STORE_OK;
}

static int map_error(int rc)
{
    switch (rc & 0xFF) {
    case SQLITE_CONSTRAINT: return STORE_CONSTRAINT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return STORE_BUSY;
    default: return STORE_ERROR;
    }
}

/* Runs a statement, calling fn per row; returns rows seen or a negative status. */
static int conn_run(conn_t *c, const char *sql, const store_arg_t *args, size_t nargs, store_row_fn fn, void *ud)
{
    bool failed;
    sqlite3_stmt *st = conn_prepare(c, sql, &failed);
    bool uncached = false;
    if (failed)
        return STORE_ERROR;
    if (!st) {
        if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
            logq_t q1, q2;
                LOG_ERROR("cannot prepare SQL", "error=\"%s\" sql=\"%.200s\"", logq(&q1, sqlite3_errmsg(c->db)), logq(&q2, sql));
            return STORE_ERROR;
        }
        uncached = true;
    }
    int result = bind_args(c, st, args, nargs);
    if (result == STORE_OK) {
        int rows = 0;
        for (;;) {
            int rc = sqlite3_step(st);
            if (rc == SQLITE_ROW) {
                rows++;
                if (fn) {
                    store_row_t row = {st};
                    if (fn(ud, &row) != 0)
                        break;
                }
                continue;
            }
            if (rc == SQLITE_DONE)
                break;
            result = map_error(rc);
            if (result != STORE_CONSTRAINT) {
                logq_t q1, q2;
                LOG_ERROR("SQL failed", "error=\"%s\" sql=\"%.200s\"", logq(&q1, sqlite3_errmsg(c->db)), logq(&q2, sql));
            }
            break;
        }
        if (result == STORE_OK)
            result = rows;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (uncached)
        sqlite3_finalize(st);
    return result;
}

static int exec_plain(conn_t *c, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        logq_t q1, q2;
        LOG_ERROR("SQL failed", "error=\"%s\" sql=\"%.200s\"", logq(&q1, msg ? msg : sqlite3_errstr(rc)), logq(&q2, sql));
        sqlite3_free(msg);
        return map_error(rc);
    }
    return STORE_OK;
}

static int read_version(void *ud, const store_row_t *row)
{
    *(int *)ud = (int)store_row_int(row, 0);
    return 0;
}

static int migrate(store_t *s, char *err, size_t errlen)
{
    conn_t *c = &s->writer;
    if (exec_plain(c, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                      "applied_at INTEGER NOT NULL)") != STORE_OK) {
        snprintf(err, errlen, "cannot create the migrations table");
        return -1;
    }
    int current = 0;
    conn_run(c, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", NULL, 0, read_version, &current);
    int known = (int)store_migrations_count;
    if (current < known && !s->may_migrate) {
        snprintf(err, errlen, "the database is at schema version %d and this program needs %d: stop the server "
                 "and start it once to upgrade the database", current, known);
        return -1;
    }
    if (current > known) {
        snprintf(err, errlen, "the database is at schema version %d, newer than this program (%d): use a newer cartable",
                 current, known);
        return -1;
    }
    for (int v = current + 1; v <= known; v++) {
        const embedded_file_t *m = &store_migrations[v - 1];
        int file_version = atoi(m->name);
        if (file_version != v) {
            snprintf(err, errlen, "migration %s is out of sequence (expected version %d)", m->name, v);
            return -1;
        }
        if (exec_plain(c, "BEGIN IMMEDIATE") != STORE_OK) {
            snprintf(err, errlen, "cannot start migration %s", m->name);
            return -1;
        }
        if (exec_plain(c, m->text) != STORE_OK ||
            conn_run(c, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                     STORE_ARGS(SA_INT(v), SA_CSTR(m->name), SA_INT(time(NULL))), NULL, NULL) < 0 ||
            exec_plain(c, "COMMIT") != STORE_OK) {
            exec_plain(c, "ROLLBACK");
            snprintf(err, errlen, "migration %s failed (see the log)", m->name);
            return -1;
        }
        LOG_INFO("migration applied", "version=%d name=%s", v, m->name);
    }
    s->schema_version = known;
    return 0;
}

static void clear_directory(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[4096 + 512];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

int store_open(const store_options_t *opts, store_t **out, char *err, size_t errlen)
{
    store_t *s = xcalloc(1, sizeof *s);
    s->lock_fd = -1;
    s->data_dir = xstrdup(opts->data_dir);
    pthread_mutex_init(&s->queue_lock, NULL);
    pthread_cond_init(&s->queue_cond, NULL);
    atomic_store(&s->max_batch, STORE_DEFAULT_MAX_BATCH);
    char path[4200];
    if (mkdir_p(opts->data_dir, 0750) != 0) {
        snprintf(err, errlen, "cannot create data directory %s: %s", opts->data_dir, strerror(errno));
        goto fail;
    }
    snprintf(path, sizeof path, "%s/cartable.lock", opts->data_dir);
    s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (s->lock_fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        goto fail;
    }
    bool exclusive = flock(s->lock_fd, LOCK_EX | LOCK_NB) == 0;
    if (!exclusive && !opts->client) {
        char pid[32] = "?";
        ssize_t n = pread(s->lock_fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 1] = '\0';
        snprintf(err, errlen, "data directory %s is in use by another cartable process (pid %s)", opts->data_dir, pid);
        goto fail;
    }
    if (exclusive) {
        char pidtext[32];
        int pn = snprintf(pidtext, sizeof pidtext, "%ld\n", (long)getpid());
        if (ftruncate(s->lock_fd, 0) != 0 || pwrite(s->lock_fd, pidtext, (size_t)pn, 0) != pn) {
            snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
            goto fail;
        }
    }
    if (exclusive && !opts->client) {
        /* Leftover temporary files from a previous run (bodies, uploads never claimed). */
        snprintf(path, sizeof path, "%s/tmp", opts->data_dir);
        clear_directory(path);
    }
    s->may_migrate = exclusive;
    if (mkdir_p(path, 0750) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        goto fail;
    }
    snprintf(path, sizeof path, "%s/files", opts->data_dir);
    if (mkdir_p(path, 0750) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        goto fail;
    }
    snprintf(path, sizeof path, "%s/cartable.db", opts->data_dir);
    s->db_path = xstrdup(path);
    if (conn_open(&s->writer, s->db_path, false, err, errlen) != 0)
        goto fail;
    if (migrate(s, err, errlen) != 0)
        goto fail;
    poll_topics(s);
    if (pthread_create(&s->writer_thread, NULL, writer_main, s) != 0) {
        snprintf(err, errlen, "cannot start the writer thread");
        goto fail;
    }
    s->writer_running = true;
    *out = s;
    return 0;
fail:
    store_close(s);
    return -1;
}

void store_close(store_t *s)
{
    if (!s)
        return;
    if (s->writer_running) {
        /* The writer drains the queue (everything acknowledged gets committed) and stops. */
        pthread_mutex_lock(&s->queue_lock);
        s->closing = true;
        pthread_cond_signal(&s->queue_cond);
        pthread_mutex_unlock(&s->queue_lock);
        pthread_join(s->writer_thread, NULL);
    }
    conn_close(&s->writer);
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* releases the flock */
    pthread_mutex_destroy(&s->queue_lock);
    pthread_cond_destroy(&s->queue_cond);
    free(s->data_dir);
    free(s->db_path);
    free(s);
}

const char *store_data_dir(const store_t *s) { return s->data_dir; }
int store_schema_version(store_t *s) { return s->schema_version; }

store_reader_t *store_reader_open(store_t *s)
{
    store_reader_t *r = xcalloc(1, sizeof *r);
    r->store = s;
    char err[512];
    if (conn_open(&r->conn, s->db_path, true, err, sizeof err) != 0) {
        logq_t q;
        LOG_ERROR("cannot open a read connection", "error=\"%s\"", logq(&q, err));
        free(r);
        return NULL;
    }
    return r;
}

void store_reader_close(store_reader_t *r)
{
    if (!r)
        return;
    conn_close(&r->conn);
    free(r);
}

int store_read(store_reader_t *r, const char *sql, const store_arg_t *args, size_t nargs, store_row_fn fn, void *ud)
{
    if (!r)
        return STORE_ERROR;
    return conn_run(&r->conn, sql, args, nargs, fn, ud);
}

/* ---- the writer ---- */

static int topic_row(void *ud, const store_row_t *row)
{
    store_t *s = ud;
    int64_t t = store_row_int(row, 0);
    uint64_t v = (uint64_t)store_row_int(row, 1);
    if (t >= 0 && t < STORE_TOPIC_COUNT) {
        uint64_t cur = atomic_load_explicit(&s->topic_version[t], memory_order_relaxed);
        bool raised = false;
        while (v > cur && !(raised = atomic_compare_exchange_weak_explicit(&s->topic_version[t], &cur, v,
                                                                            memory_order_release, memory_order_relaxed)))
            ;
        if (raised)
            atomic_fetch_add_explicit(&s->changes, 1, memory_order_release);
    }
    return 0;
}

/* Reads the persisted topic versions (writer connection only). */
static void poll_topics(store_t *s)
{
    conn_run(&s->writer, "SELECT topic, version FROM store_topics", NULL, 0, topic_row, s);
}

static void run_batch(store_t *s, store_job_t *batch)
{
    conn_t *c = &s->writer;
    store_tx_t tx = {.conn = c};
    unsigned touched = 0;
    int rc = exec_plain(c, "BEGIN IMMEDIATE");
    unsigned n = 0;
    if (rc == STORE_OK) {
        for (store_job_t *j = batch; j; j = j->next) {
            n++;
            /* A savepoint per job: one failing job rolls back alone. */
            if (exec_plain(c, "SAVEPOINT job") != STORE_OK) {
                j->status = STORE_ERROR;
                continue;
            }
            tx.touched = 0;
            tx.job_keys_start = tx.nkeys;
            j->status = j->fn(&tx, j->ud);
            if (j->status < 0) {
                tx.nkeys = tx.job_keys_start;
                exec_plain(c, "ROLLBACK TO job");
                if (j->status != STORE_UNDONE)
                    atomic_fetch_add_explicit(&s->stat_failed, 1, memory_order_relaxed);
            } else {
                touched |= tx.touched;
            }
            exec_plain(c, "RELEASE job");
        }
        for (unsigned t = 0; t < STORE_TOPIC_COUNT; t++)
            if (touched & (1u << t))
                conn_run(c, "UPDATE store_topics SET version = version + 1 WHERE topic = ?", STORE_ARGS(SA_INT(t)),
                         NULL, NULL);
        if (exec_plain(c, "COMMIT") != STORE_OK) {
            exec_plain(c, "ROLLBACK");
            rc = STORE_ERROR;
        }
    }
    if (rc == STORE_OK)
        for (unsigned k = 0; k < tx.nkeys; k++)
            atomic_fetch_add_explicit(&s->key_version[tx.keys[k]], 1, memory_order_release);
    if (rc != STORE_OK) {
        /* Nothing of this batch is durable: every job is told so. */
        for (store_job_t *j = batch; j; j = j->next)
            j->status = STORE_ERROR;
    }
    atomic_fetch_add_explicit(&s->stat_transactions, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->stat_jobs, n, memory_order_relaxed);
    if (rc == STORE_OK && touched) {
        /* Raised after the COMMIT and before any acknowledgement: whoever sees the
         * acknowledgement sees the new version. */
        poll_topics(s);
    }
    if (rc == STORE_OK && (touched || tx.nkeys))
        atomic_fetch_add_explicit(&s->changes, 1, memory_order_release); /* after every version it covers */
    store_job_t *j = batch;
    while (j) {
        store_job_t *next = j->next; /* on_done may free the job */
        j->next = NULL;
        j->on_done(j);
        j = next;
    }
}

/* The batch's first job waited longest (the queue is in order): remember its wait
 * in the current window's slot. Writer thread only. */
static void note_queue_wait(store_t *s, uint64_t queued_us)
{
    uint64_t now = clock_monotonic_us();
    uint64_t wait = now > queued_us ? now - queued_us : 0;
    uint64_t window = now / (STORE_DELAY_WINDOW_MS * 1000u);
    unsigned slot = (unsigned)(window & 1);
    if (atomic_load_explicit(&s->delay_window[slot], memory_order_relaxed) != window) {
        /* Cleared before it is named: a reader never takes an old wait for a new one. */
        atomic_store_explicit(&s->delay_max_us[slot], 0, memory_order_relaxed);
        atomic_store_explicit(&s->delay_window[slot], window, memory_order_release);
    }
    if (wait > atomic_load_explicit(&s->delay_max_us[slot], memory_order_relaxed))
        atomic_store_explicit(&s->delay_max_us[slot], wait, memory_order_relaxed);
}

uint64_t store_queue_delay_us(store_t *s)
{
    uint64_t now = clock_monotonic_us();
    uint64_t window = now / (STORE_DELAY_WINDOW_MS * 1000u);
    uint64_t oldest = atomic_load_explicit(&s->queue_oldest_us, memory_order_relaxed);
    uint64_t delay = oldest && now > oldest ? now - oldest : 0;
    for (unsigned i = 0; i < 2; i++) {
        uint64_t w = atomic_load_explicit(&s->delay_window[i], memory_order_acquire);
        uint64_t d = atomic_load_explicit(&s->delay_max_us[i], memory_order_relaxed);
        if (w + 1 >= window && d > delay)
            delay = d;
    }
    return delay;
}

static void *writer_main(void *arg)
{
    store_t *s = arg;
    pthread_mutex_lock(&s->queue_lock);
    for (;;) {
        while (!s->queue_head && !s->closing) {
            /* Idle: look for changes made by other processes about once a second. */
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 1;
            if (pthread_cond_timedwait(&s->queue_cond, &s->queue_lock, &until) != 0 && !s->queue_head && !s->closing) {
                pthread_mutex_unlock(&s->queue_lock);
                poll_topics(s);
                pthread_mutex_lock(&s->queue_lock);
            }
        }
        if (!s->queue_head && s->closing)
            break;
        /* Take up to max_batch jobs: everything that arrived during the last commit. */
        unsigned max = atomic_load_explicit(&s->max_batch, memory_order_relaxed);
        store_job_t *batch = s->queue_head, *last = batch;
        unsigned n = 1;
        while (last->next && n < max) {
            last = last->next;
            n++;
        }
        s->queue_head = last->next;
        if (!s->queue_head)
            s->queue_tail = NULL;
        last->next = NULL;
        atomic_store_explicit(&s->queue_oldest_us, s->queue_head ? s->queue_head->queued_us : 0,
                              memory_order_relaxed);
        pthread_mutex_unlock(&s->queue_lock);
        note_queue_wait(s, batch->queued_us);
        run_batch(s, batch);
        pthread_mutex_lock(&s->queue_lock);
    }
    pthread_mutex_unlock(&s->queue_lock);
    return NULL;
}

int store_submit(store_t *s, store_job_t *job)
{
    job->next = NULL;
    job->status = STORE_OK;
    job->queued_us = clock_monotonic_us();
    pthread_mutex_lock(&s->queue_lock);
    if (s->closing) {
        pthread_mutex_unlock(&s->queue_lock);
        return STORE_ERROR;
    }
    if (s->queue_tail) {
        s->queue_tail->next = job;
    } else {
        s->queue_head = job;
        atomic_store_explicit(&s->queue_oldest_us, job->queued_us, memory_order_relaxed);
    }
    s->queue_tail = job;
    pthread_cond_signal(&s->queue_cond);
    pthread_mutex_unlock(&s->queue_lock);
    return STORE_OK;
}

typedef struct sync_wait {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
} sync_wait_t;

static void sync_done(store_job_t *job)
{
    sync_wait_t *w = job->done_ctx;
    pthread_mutex_lock(&w->lock);
    w->done = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

int store_write_sync(store_t *s, store_write_fn fn, void *ud)
{
    sync_wait_t w = {.done = false};
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.cond, NULL);
    store_job_t job = {.fn = fn, .ud = ud, .on_done = sync_done, .done_ctx = &w};
    int rc = store_submit(s, &job);
    if (rc == STORE_OK) {
        pthread_mutex_lock(&w.lock);
        while (!w.done)
            pthread_cond_wait(&w.cond, &w.lock);
        pthread_mutex_unlock(&w.lock);
        rc = job.status;
    }
    pthread_mutex_destroy(&w.lock);
    pthread_cond_destroy(&w.cond);
    return rc;
}

void store_get_stats(store_t *s, store_stats_t *out)
{
    out->jobs = atomic_load_explicit(&s->stat_jobs, memory_order_relaxed);
    out->transactions = atomic_load_explicit(&s->stat_transactions, memory_order_relaxed);
    out->failed_jobs = atomic_load_explicit(&s->stat_failed, memory_order_relaxed);
}

void store_set_max_batch(store_t *s, unsigned max_jobs)
{
    atomic_store(&s->max_batch, max_jobs ? max_jobs : 1);
}

void store_tx_touch(store_tx_t *tx, store_topic_t topic)
{
    tx->touched |= 1u << topic;
}

uint64_t store_topic_version(store_t *s, store_topic_t topic)
{
    return atomic_load_explicit(&s->topic_version[topic], memory_order_acquire);
}

static uint32_t key_slot(store_topic_t topic, uint64_t key)
{
    uint64_t z = key + 0x9e3779b97f4a7c15ULL * ((uint64_t)topic + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (uint32_t)((z ^ (z >> 31)) % STORE_KEY_SLOTS);
}

void store_tx_touch_key(store_tx_t *tx, store_topic_t topic, uint64_t key)
{
    uint32_t slot = key_slot(topic, key);
    for (unsigned i = tx->job_keys_start; i < tx->nkeys; i++)
        if (tx->keys[i] == slot)
            return;
    if (tx->nkeys == TX_KEYS_MAX) {
        /* A write touching that many keys raises the whole topic. */
        tx->touched |= 1u << topic;
        return;
    }
    tx->keys[tx->nkeys++] = slot;
}

uint64_t store_change_count(store_t *s)
{
    return atomic_load_explicit(&s->changes, memory_order_acquire);
}

uint64_t store_key_version(store_t *s, store_topic_t topic, uint64_t key)
{
    return store_topic_version(s, topic) +
           atomic_load_explicit(&s->key_version[key_slot(topic, key)], memory_order_acquire);
}

/* ---- helpers ---- */

int store_query(store_src_t src, const char *sql, const store_arg_t *args, size_t nargs, store_row_fn fn, void *ud)
{
    if (src.tx)
        return conn_run(src.tx->conn, sql, args, nargs, fn, ud);
    if (src.reader)
        return conn_run(&src.reader->conn, sql, args, nargs, fn, ud);
    return STORE_ERROR;
}

str_t store_row_text_copy(const store_row_t *row, int col, arena_t *a)
{
    str_t t = store_row_text(row, col);
    return (str_t){arena_strndup(a, t.ptr, t.len), t.len};
}

typedef struct list_collect {
    arena_t *arena;
    size_t size;
    store_fill_fn fill;
    char *items;
    size_t n, cap;
    bool one;
} list_collect_t;

static int collect_row(void *ud, const store_row_t *row)
{
    list_collect_t *c = ud;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        c->items = arena_realloc(c->arena, c->items, c->size * c->cap, c->size * cap);
        c->cap = cap;
    }
    void *item = c->items + c->size * c->n++;
    memset(item, 0, c->size);
    c->fill(c->arena, row, item);
    return c->one ? 1 : 0;
}

int store_list(store_src_t src, arena_t *a, const char *sql, const store_arg_t *args, size_t nargs, size_t size,
               store_fill_fn fill, void **out)
{
    list_collect_t c = {.arena = a, .size = size, .fill = fill};
    int rc = store_query(src, sql, args, nargs, collect_row, &c);
    if (rc < 0)
        return rc;
    *out = c.items;
    return (int)c.n;
}

int store_one(store_src_t src, arena_t *a, const char *sql, const store_arg_t *args, size_t nargs, size_t size,
              store_fill_fn fill, void *out)
{
    list_collect_t c = {.arena = a, .size = size, .fill = fill, .one = true};
    int rc = store_query(src, sql, args, nargs, collect_row, &c);
    if (rc < 0)
        return rc;
    if (c.n == 0)
        return 0;
    memcpy(out, c.items, size);
    return 1;
}

static int int_row(void *ud, const store_row_t *row)
{
    *(int64_t *)ud = store_row_int(row, 0);
    return 1;
}

int store_int(store_src_t src, const char *sql, const store_arg_t *args, size_t nargs, int64_t *out)
{
    int rc = store_query(src, sql, args, nargs, int_row, out);
    return rc < 0 ? rc : rc > 0 ? 1 : 0;
}

int store_tx_exec(store_tx_t *tx, const char *sql, const store_arg_t *args, size_t nargs)
{
    int rc = conn_run(tx->conn, sql, args, nargs, NULL, NULL);
    return rc < 0 ? rc : STORE_OK;
}

int64_t store_tx_last_id(store_tx_t *tx) { return sqlite3_last_insert_rowid(tx->conn->db); }
int64_t store_tx_changes(store_tx_t *tx) { return sqlite3_changes64(tx->conn->db); }

int store_tx_query(store_tx_t *tx, const char *sql, const store_arg_t *args, size_t nargs, store_row_fn fn, void *ud)
{
    return conn_run(tx->conn, sql, args, nargs, fn, ud);
}
