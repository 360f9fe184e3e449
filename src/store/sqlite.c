/* The SQLite implementation of store.h. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
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

typedef struct stmt_slot {
    const char *sql; /* identity: SQL strings are literals */
    sqlite3_stmt *stmt;
} stmt_slot_t;

typedef struct conn {
    sqlite3 *db;
    stmt_slot_t cache[STMT_CACHE_SIZE];
} conn_t;

struct store {
    int lock_fd; /* flock on DATA/cartable.lock: one server per data directory */
    char *data_dir;
    char *db_path;
    conn_t writer;
    pthread_mutex_t writer_lock; /* startup and CLI writes; the request path never takes it */
    int schema_version;
};

struct store_reader {
    store_t *store;
    conn_t conn;
};

struct store_tx {
    conn_t *conn;
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
    for (size_t i = 0; i < STMT_CACHE_SIZE; i++)
        if (c->cache[i].stmt)
            sqlite3_finalize(c->cache[i].stmt);
    if (c->db)
        sqlite3_close(c->db);
    memset(c, 0, sizeof *c);
}

static sqlite3_stmt *conn_prepare(conn_t *c, const char *sql)
{
    size_t h = ((uintptr_t)sql >> 4) & (STMT_CACHE_SIZE - 1);
    for (size_t probe = 0; probe < STMT_CACHE_SIZE; probe++) {
        stmt_slot_t *slot = &c->cache[(h + probe) & (STMT_CACHE_SIZE - 1)];
        if (slot->sql == sql)
            return slot->stmt;
        if (slot->sql == NULL) {
            sqlite3_stmt *st;
            if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
                logq_t q1, q2;
                LOG_ERROR("cannot prepare SQL", "error=\"%s\" sql=\"%.200s\"", logq(&q1, sqlite3_errmsg(c->db)), logq(&q2, sql));
                return NULL;
            }
            slot->sql = sql;
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
    sqlite3_stmt *st = conn_prepare(c, sql);
    bool uncached = false;
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
    pthread_mutex_init(&s->writer_lock, NULL);
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
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "?";
        ssize_t n = pread(s->lock_fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 1] = '\0';
        snprintf(err, errlen, "data directory %s is in use by another cartable process (pid %s)", opts->data_dir, pid);
        goto fail;
    }
    char pidtext[32];
    int pn = snprintf(pidtext, sizeof pidtext, "%ld\n", (long)getpid());
    if (ftruncate(s->lock_fd, 0) != 0 || pwrite(s->lock_fd, pidtext, (size_t)pn, 0) != pn) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        goto fail;
    }
    /* Leftover temporary files from a previous run (bodies, uploads never claimed). */
    snprintf(path, sizeof path, "%s/tmp", opts->data_dir);
    clear_directory(path);
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
    conn_close(&s->writer);
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* releases the flock */
    pthread_mutex_destroy(&s->writer_lock);
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

int store_write_sync(store_t *s, store_write_fn fn, void *ud)
{
    pthread_mutex_lock(&s->writer_lock);
    store_tx_t tx = {&s->writer};
    int rc = exec_plain(&s->writer, "BEGIN IMMEDIATE");
    if (rc == STORE_OK) {
        rc = fn(&tx, ud);
        if (rc < 0) {
            exec_plain(&s->writer, "ROLLBACK");
        } else if (exec_plain(&s->writer, "COMMIT") != STORE_OK) {
            exec_plain(&s->writer, "ROLLBACK");
            rc = STORE_ERROR;
        }
    }
    pthread_mutex_unlock(&s->writer_lock);
    return rc;
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
