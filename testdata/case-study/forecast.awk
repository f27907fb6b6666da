# forecast.awk - forecast one traded day from a half-hourly history.
#
# Usage:
#     awk -v price=46 -v opening=34 -f forecast.awk history/pc1.csv > pc1.csv
#     awk -v stakeholders=stakeholders.csv -v name=pc1 -f forecast.awk history/pc1.csv
#     awk -v day=2026-11-27 ... -f forecast.awk history/pc1.csv
#
# Input: a history as written by generate.awk (or a meter): the header
# `slot,energy`, then rows `2026-11-25T10:00:00Z,512Wh` (or the short
# `2026-11-25T10:00Z` that generate.awk writes) with slots starting at :00
# or :30 UTC and energy in whole Wh.  Rows may come in any order;
# a slot given twice, a malformed row or a bad header is an error.
#
# Output: the CSV profile that `setm-offer --csv` and `setm-request --csv`
# read, for the traded day `day` (default 2026-11-26):
#
#     slot,energy,price,opening
#     2026-11-26T10:00:00Z,512Wh,46,34
#
# one row per slot whose forecast is above 0 Wh, in time order.
#
# Method.  Only history days before `day` count.  For each of the 48
# slots of `day`:
#   - if the history holds at least 7 days (any row on a date counts the
#     date): the mean of that slot on the days day-7, day-14, day-21 and
#     day-28 (the same weekday over up to the last 4 weeks) that are in the
#     history; if none of them is, as below;
#   - otherwise: the mean of that slot over all history days;
# rounded down to whole Wh.  A mean is taken over the days that have the
# slot, so a missing row lowers the count, not the mean.
#
# Prices.  price and opening are passed through as given (EUR/MWh, as
# setm-offer/setm-request --csv read them).  Either set them with -v, or
# give -v stakeholders=FILE -v name=NAME to take them from that table's
# min_bid and max_bid by the row's kind, as in the paper's Table 1:
#     consumer:   price = max_bid (ceiling), opening = min_bid (first bid)
#     generation: price = min_bid (floor),   opening = max_bid (first ask)
# An explicit -v price or -v opening overrides the table.
#
# Exit status: 0, 64 on bad -v arguments, 65 on a bad history or table, with
# one line on standard error: `forecast.awk: error: REASON: detail`.
# Only POSIX awk is used (tested with mawk and gawk).

BEGIN {
    FS = ","
    if (day == "") day = "2026-11-26"
    target = parse_date(day)
    if (target < 0) usage("bad day", "\"" day "\" (want YYYY-MM-DD)")
    if (stakeholders != "" || name != "") prices_from_table()
    else if (price == "") usage("no price", "give -v price=EUR/MWh [-v opening=EUR/MWh], or -v stakeholders=FILE -v name=NAME")
    if (price !~ /^-?[0-9]+(\.[0-9]+)?$/) usage("bad price", "\"" price "\" (EUR/MWh, e.g. 46 or 40.5)")
    if (opening != "" && opening !~ /^-?[0-9]+(\.[0-9]+)?$/) usage("bad opening", "\"" opening "\" (EUR/MWh, e.g. 46 or 40.5)")
    ndays = 0
}

{ sub(/\r$/, "") }

FNR == 1 {
    if ($0 != "slot,energy") bad("bad history header", "\"" $0 "\" (want slot,energy)")
    next
}

{ read_row() }

END {
    if (failed) exit failed
    if (ndays == 0) {
        complain("empty history", "no day before " day " in " (FILENAME == "" ? "the input" : FILENAME))
        exit 65
    }
    write_forecast()
}

# One history row into energy[DAY, SLOT] (DAY in days since 1970-01-01,
# SLOT 0..47); seen[DAY] marks the days before the traded day.
function read_row(    d, h, s) {
    if ($0 !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[03]0(:00)?Z,[0-9][0-9]*Wh$/)
        bad("bad history row", "\"" $0 "\" (want YYYY-MM-DDTHH:MM:00Z,NWh with MM 00 or 30; :00 may be left out)")
    d = parse_date(substr($0, 1, 10))
    h = substr($0, 12, 2) + 0
    if (d < 0 || h > 23) bad("bad history row", "\"" $0 "\" (no such date or hour)")
    if (length($2) > 14) bad("bad history row", "\"" $0 "\" (energy too large)")
    if (d >= target) return
    s = h * 2 + (substr($0, 15, 1) == "3")
    if ((d, s) in energy) bad("bad history row", "\"" $0 "\" (slot given twice)")
    energy[d, s] = substr($2, 1, length($2) - 2) + 0
    if (!(d in seen)) { seen[d] = 1; ndays++ }
}

# The profile of the traded day, slot by slot (see Method above).
function write_forecast(    weekly, k, s, d, sum, n, e) {
    weekly = 0
    if (ndays >= 7)
        for (k = 1; k <= 4; k++)
            if ((target - 7 * k) in seen) weekly = 1
    printf "slot,energy,price,opening\n"
    for (s = 0; s < 48; s++) {
        sum = 0; n = 0
        if (weekly) {
            for (k = 1; k <= 4; k++)
                if ((target - 7 * k, s) in energy) { sum += energy[target - 7 * k, s]; n++ }
        } else {
            for (d in seen)
                if ((d, s) in energy) { sum += energy[d, s]; n++ }
        }
        if (n == 0) continue
        e = int(sum / n)
        if (e > 0)
            printf "%sT%02d:%02d:00Z,%dWh,%s,%s\n", day, int(s / 2), (s % 2) * 30, e, price, opening
    }
}

function usage(reason, detail) { complain(reason, detail); failed = 64; exit failed }
function bad(reason, detail) {
    if (FILENAME != "" && FNR > 0) detail = detail " (" FILENAME " line " FNR ")"
    complain(reason, detail)
    failed = 65
    exit failed
}
function complain(reason, detail) { printf "forecast.awk: error: %s: %s\n", reason, detail > "/dev/stderr" }

# price and opening from the row `name` of the table `stakeholders`.
function prices_from_table(    line, n, cell, col, i, r, found, lineno, kind, lo, hi) {
    if (stakeholders == "" || name == "") usage("usage", "-v stakeholders=FILE and -v name=NAME go together")
    lineno = 0
    while ((r = (getline line < stakeholders)) > 0) {
        lineno++
        sub(/\r$/, "", line)
        n = split(line, cell, ",")
        if (lineno == 1) {
            for (i = 1; i <= n; i++) col[cell[i]] = i
            if (!("name" in col) || !("kind" in col) || !("min_bid" in col) || !("max_bid" in col))
                table_bad("the header must name name, kind, min_bid and max_bid", lineno)
            continue
        }
        if (cell[col["name"]] != name) continue
        found = 1
        kind = cell[col["kind"]]; lo = cell[col["min_bid"]]; hi = cell[col["max_bid"]]
        break
    }
    if (r < 0) usage("cannot read", stakeholders)
    close(stakeholders)
    if (!found) usage("unknown stakeholder", "\"" name "\" is not in " stakeholders)
    if (kind == "consumer") { if (price == "") price = hi; if (opening == "") opening = lo }
    else if (kind == "generation") { if (price == "") price = lo; if (opening == "") opening = hi }
    else table_bad("bad kind \"" kind "\" (consumer or generation)", lineno)
}
function table_bad(detail, lineno) {
    complain("bad stakeholders table", detail " (" stakeholders " line " lineno ")")
    failed = 65
    exit failed
}

# Days since 1970-01-01 of a proleptic Gregorian date, year >= 1
# (H. Hinnant's algorithm, with the year starting in March).
function days_from_civil(y, m, d,    era, yoe, doy, doe) {
    if (m <= 2) y = y - 1
    era = int(y / 400)
    yoe = y - era * 400
    doy = int((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1
    doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
    return era * 146097 + doe - 719468
}

# The inverse: ymd[1], ymd[2], ymd[3] = year, month, day of `z`.
function civil_from_days(z, ymd,    era, doe, yoe, y, doy, mp, d, m) {
    z = z + 719468
    era = int(z / 146097)
    doe = z - era * 146097
    yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
    y = yoe + era * 400
    doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
    mp = int((5 * doy + 2) / 153)
    d = doy - int((153 * mp + 2) / 5) + 1
    m = mp < 10 ? mp + 3 : mp - 9
    ymd[1] = (m <= 2) ? y + 1 : y
    ymd[2] = m
    ymd[3] = d
}

# Days since 1970-01-01 of "YYYY-MM-DD", or -1 if it is no real date.
function parse_date(s,    p, ymd, z) {
    if (s !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]$/) return -1
    split(s, p, "-")
    if (p[1] < 1970) return -1
    z = days_from_civil(p[1] + 0, p[2] + 0, p[3] + 0)
    civil_from_days(z, ymd)
    if (ymd[1] != p[1] + 0 || ymd[2] != p[2] + 0 || ymd[3] != p[3] + 0) return -1
    return z
}
