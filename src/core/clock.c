#include "core/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int64_t clock_now(void)
{
    return (int64_t)time(NULL);
}

uint64_t clock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t clock_monotonic_ms(void)
{
    return clock_monotonic_us() / 1000u;
}

uint64_t clock_monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int clock_set_timezone(const char *tz)
{
    /* glibc silently falls back to UTC for an unknown zone: check the database. */
    if (strchr(tz, '.') || tz[0] == '/')
        return -1;
    char path[512];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz);
    struct stat st;
    if (strcmp(tz, "UTC") != 0 && stat(path, &st) != 0)
        return -1;
    setenv("TZ", tz, 1);
    tzset();
    return 0;
}

date_t date_of_instant(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    localtime_r(&tt, &tm);
    return (date_t){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
}

date_t date_today(void)
{
    return date_of_instant(clock_now());
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

bool date_valid(date_t d)
{
    return d.year >= 1900 && d.year <= 2199 && d.month >= 1 && d.month <= 12 && d.day >= 1 &&
           d.day <= days_in_month(d.year, d.month);
}

static bool digits(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

bool date_parse_iso(str_t s, date_t *out)
{
    date_t d;
    if (s.len != 10 || s.ptr[4] != '-' || s.ptr[7] != '-' || !digits(s.ptr, 4, &d.year) ||
        !digits(s.ptr + 5, 2, &d.month) || !digits(s.ptr + 8, 2, &d.day) || !date_valid(d))
        return false;
    *out = d;
    return true;
}

bool date_parse_fr(str_t s, date_t *out)
{
    date_t d;
    if (s.len != 10 || s.ptr[2] != '/' || s.ptr[5] != '/' || !digits(s.ptr, 2, &d.day) ||
        !digits(s.ptr + 3, 2, &d.month) || !digits(s.ptr + 6, 4, &d.year) || !date_valid(d))
        return false;
    *out = d;
    return true;
}

static void put_digits(char *p, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

void date_format_iso(date_t d, char out[11])
{
    put_digits(out, (unsigned)d.year, 4);
    out[4] = '-';
    put_digits(out + 5, (unsigned)d.month, 2);
    out[7] = '-';
    put_digits(out + 8, (unsigned)d.day, 2);
    out[10] = '\0';
}

int date_compare(date_t a, date_t b)
{
    if (a.year != b.year)
        return a.year < b.year ? -1 : 1;
    if (a.month != b.month)
        return a.month < b.month ? -1 : 1;
    if (a.day != b.day)
        return a.day < b.day ? -1 : 1;
    return 0;
}

date_t date_add_days(date_t d, int days)
{
    struct tm tm = {.tm_year = d.year - 1900, .tm_mon = d.month - 1, .tm_mday = d.day + days, .tm_hour = 12};
    time_t t = timegm(&tm);
    struct tm out;
    gmtime_r(&t, &out);
    return (date_t){out.tm_year + 1900, out.tm_mon + 1, out.tm_mday};
}

int64_t date_day_number(date_t d)
{
    /* Howard Hinnant's days_from_civil. */
    int y = d.year - (d.month <= 2);
    int era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153u * (unsigned)(d.month + (d.month > 2 ? -3 : 9)) + 2) / 5 + (unsigned)d.day - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int64_t)era * 146097 + (int64_t)doe - 719468;
}

int date_weekday(date_t d)
{
    /* 1970-01-01 was a Thursday (4). */
    int64_t n = date_day_number(d);
    int64_t w = (n + 3) % 7;
    if (w < 0)
        w += 7;
    return (int)w + 1;
}

date_t date_monday(date_t d)
{
    return date_add_days(d, 1 - date_weekday(d));
}

int64_t date_local_instant(date_t d, int minutes)
{
    struct tm tm = {.tm_year = d.year - 1900, .tm_mon = d.month - 1, .tm_mday = d.day, .tm_hour = minutes / 60,
                    .tm_min = minutes % 60, .tm_isdst = -1};
    return (int64_t)mktime(&tm);
}

int clock_local_minutes(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    localtime_r(&tt, &tm);
    return tm.tm_hour * 60 + tm.tm_min;
}

void school_year_of(date_t d, date_t *starts, date_t *ends, char label[10])
{
    int first = d.month >= 9 ? d.year : d.year - 1;
    *starts = (date_t){first, 9, 1};
    *ends = (date_t){first + 1, 8, 31};
    put_digits(label, (unsigned)first, 4);
    label[4] = '-';
    put_digits(label + 5, (unsigned)(first + 1), 4);
    label[9] = '\0';
}
