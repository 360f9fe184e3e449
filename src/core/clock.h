/* clock: instants and calendar dates.
 *
 * Contract: instants are Unix seconds (UTC) everywhere they are stored. Calendar
 * dates are "YYYY-MM-DD" strings, always validated (real day of a real month,
 * years 1900..2199). "Today" is in the process time zone, which main sets once
 * from the config's `timezone` before any thread starts (clock_set_timezone).
 */
#ifndef CARTABLE_CORE_CLOCK_H
#define CARTABLE_CORE_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/str.h"

typedef struct date {
    int year, month, day;
} date_t;

int64_t clock_now(void);             /* Unix seconds */
/* Unix time in milliseconds (wall clock: comparable across processes and nodes). */
uint64_t clock_now_ms(void);
uint64_t clock_monotonic_ms(void);
uint64_t clock_monotonic_us(void);
/* Sets the process time zone ("Europe/Paris"); returns -1 if it is unknown. */
int clock_set_timezone(const char *tz);

date_t date_today(void);
date_t date_of_instant(int64_t unix_seconds); /* in the process time zone */
bool date_valid(date_t d);
/* Parses "YYYY-MM-DD"; false on anything else, including 2026-02-30. */
bool date_parse_iso(str_t s, date_t *out);
/* Parses "DD/MM/YYYY" (French administrative exports). */
bool date_parse_fr(str_t s, date_t *out);
/* Writes "YYYY-MM-DD" into out (11 bytes). */
void date_format_iso(date_t d, char out[11]);
int date_compare(date_t a, date_t b);
date_t date_add_days(date_t d, int days);
/* Days since 1970-01-01 (negative before). */
int64_t date_day_number(date_t d);
/* ISO 8601 weekday: 1 Monday .. 7 Sunday. */
int date_weekday(date_t d);
/* The Monday of the date's week. */
date_t date_monday(date_t d);
/* The instant of a local time (minutes after midnight) on a date, in the process time zone. */
int64_t date_local_instant(date_t d, int minutes);
/* Minutes after local midnight of an instant. */
int clock_local_minutes(int64_t unix_seconds);
/* The school year a date falls in: from 1 September to 31 August. */
void school_year_of(date_t d, date_t *starts, date_t *ends, char label[10]);

#endif
