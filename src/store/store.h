/* store: the one way domain code reaches the database.
 *
 * Contract:
 * - SQL is written once, in the subset SQLite and PostgreSQL share, with `?`
 *   placeholders and arguments passed as store_arg_t (never spliced into text).
 * - Reads go through a store_reader_t: one per thread, its own connection and
 *   prepared-statement cache, no lock shared with other threads.
 * - Writes run inside a store_tx_t on the writer connection; a write is
 *   acknowledged only after its transaction has committed durably (SQLite in WAL
 *   mode with synchronous=FULL).
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

/* Runs fn in one transaction on the writer connection and commits durably; returns fn's
 * status (a negative one rolls back) or a STORE_* error. For startup and command-line use. */
typedef int (*store_write_fn)(store_tx_t *tx, void *ud);
int store_write_sync(store_t *s, store_write_fn fn, void *ud);

int store_tx_exec(store_tx_t *tx, const char *sql, const store_arg_t *args, size_t nargs);
int64_t store_tx_last_id(store_tx_t *tx);
int64_t store_tx_changes(store_tx_t *tx);
int store_tx_query(store_tx_t *tx, const char *sql, const store_arg_t *args, size_t nargs, store_row_fn fn, void *ud);

#define STORE_ARGS(...) ((const store_arg_t[]){__VA_ARGS__}), (sizeof((const store_arg_t[]){__VA_ARGS__}) / sizeof(store_arg_t))
#define STORE_NO_ARGS NULL, 0

#endif
