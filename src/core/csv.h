/* csv: a strict reader for the CSV files schools export (RFC 4180).
 *
 * Contract:
 * - The first line is a header naming the columns; the separator is whichever
 *   of ';' (French spreadsheets) or ',' the header uses. A UTF-8 BOM is skipped.
 * - Fields may be quoted ("a;b", "say ""hi"""), quoted fields may span lines.
 *   A malformed line (an unclosed quote, text after a closing quote, too many
 *   fields) is an error that gives the line number; so is invalid UTF-8, a NUL
 *   byte or a field over CSV_MAX_FIELD bytes.
 * - Blank lines are skipped. Rows shorter than the header get empty fields.
 * - Fields point into the caller's buffer or the arena; nothing is modified.
 */
#ifndef CARTABLE_CORE_CSV_H
#define CARTABLE_CORE_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/str.h"

#define CSV_MAX_FIELD 4096
#define CSV_MAX_COLUMNS 64

typedef struct csv {
    const char *data;
    size_t len, pos;
    char sep;
    int line;      /* line where the current row starts (1-based) */
    int next_line;
    str_t header[CSV_MAX_COLUMNS];
    int ncols;
    arena_t *arena;
    char error[256];
} csv_t;

/* Reads the header; false with csv->error set on a bad file. */
bool csv_open(csv_t *c, arena_t *a, const char *data, size_t len);
/* Column index by name (case-insensitive), or -1. */
int csv_column(const csv_t *c, const char *name);
/* Reads the next row into fields (ncols entries); returns 1 for a row, 0 at the end,
 * -1 on an error (csv->error says what and where). */
int csv_next(csv_t *c, str_t fields[CSV_MAX_COLUMNS]);

#endif
