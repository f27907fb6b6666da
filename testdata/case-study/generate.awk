# generate.awk - synthetic, seeded history of the paper's case study.
#
# Usage (from testdata/case-study/):
#     awk -f generate.awk stakeholders.csv                 # writes history/NAME.csv
#     awk -v outdir=/tmp/h -f generate.awk stakeholders.csv # into an existing directory
#     awk -v end=2026-11-25 -f generate.awk stakeholders.csv
#
# Ko & Praca (Sustainability 2021, 13, 1634), Table 1, gives for each of
# the seven stakeholders only the number of "days for forecasting" and a
# bid range; the metered data behind it was never published.  This script
# makes a stand-in: for every row of stakeholders.csv it writes the `days`
# days ending on `end` (default 2026-11-25, inclusive) as half-hourly
# energy, one file history/NAME.csv:
#
#     slot,energy
#     2026-11-25T10:00:00Z,512Wh
#
# 48 rows a day, slots start at :00 and :30, times in UTC (Porto's winter
# time is UTC, so the clock hours below are also local hours in November).
# Energy is whole Wh, rounded half up.
#
# Randomness.  One Park-Miller "minimal standard" generator per
# stakeholder: state starts at the row's seed (1..2147483646) and each draw
# is
#     state = state * 16807 mod 2147483647,   u = state / 2147483647
# so 0 < u < 1.  state * 16807 < 2^46, exact in a double, so every awk
# gives the same sequence.  Draw order, per day from the first: for the
# solar profile one draw for the day's cloudiness, then for every
# profile one draw per slot (00:00, 00:30, ... 23:30) for the noise.
#
# Model, with h = clock hour of the slot start (0..23) and
#     noise = 0.85 + 0.30 u             (multiplicative, +-15 %):
#
#   household  (pc1..pc5)   E = scale * H[weekday or weekend][h] * noise
#       H weekday: night base ~0.3, morning peak 07-09, evening peak 18-22;
#       H weekend: the morning peak two hours later (09-11) and higher.
#       The two 24-value tables are in household_shape() below.
#   industrial (ic1)        E = scale * F * noise
#       F = 1.0 Monday-Friday 06:00-22:00 (working hours),
#           0.25 Monday-Friday nights, 0.2 all day Saturday and Sunday.
#   solar      (g1, g2)     E = scale * sin(elev) * sin(pi (t - rise) / L)
#                               * cloud * noise   if rise < t < set, else 0
#       t      = slot midpoint in hours UTC (h + 0.25 or h + 0.75)
#       n      = day of year (1 = 1 January)
#       L      = 12.15 + 2.85 sin(2 pi (n - 80) / 365)       day length, h
#                (41 N, Porto: 9.3 h at the December solstice, 15.0 h in June)
#       rise   = 12.5 - L/2, set = 12.5 + L/2                (solar noon
#                12:30 UTC: Porto lies at 8.6 W)
#       decl   = 23.44 sin(2 pi (284 + n) / 365)             degrees (Cooper)
#       elev   = 90 - 41 + decl                              noon elevation
#       cloud  = 0.25 + 0.75 u                               one draw a day
#   scale is the row's scale column: Wh per half hour at shape 1.0 (for
#   solar: with the sun overhead under a clear sky).
#
# Sines are computed by sine() below with + - * / only, so the files do
# not depend on the platform's libm: mawk and gawk, here or elsewhere,
# write byte-identical files.  Calendar arithmetic uses days since
# 1970-01-01 (days_from_civil / civil_from_days); 1970-01-01 was a
# Thursday, so (days + 4) % 7 is the weekday with 0 = Sunday.
#
# The profile of a row is its `profile` column (household, industrial or
# solar).  Only POSIX awk is used.  Exit status 65 on a malformed
# stakeholders.csv, with the reason on standard error.

BEGIN {
    FS = ","
    PI = 3.14159265358979323846
    M = 2147483647
    if (outdir == "") outdir = "history"
    if (end == "") end = "2026-11-25"
    end_day = parse_date(end)
    if (end_day < 0) fail("bad end date \"" end "\" (want YYYY-MM-DD)", 0)
    household_shape()
}

FNR == 1 { header(); next }

{ stakeholder(FNR) }

END {
    if (failed) exit failed
}

# The header names the columns; col[NAME] is the column's number.
function header(    i, n, want) {
    for (i = 1; i <= NF; i++) col[$i] = i
    n = split("name kind days scale seed profile", want, " ")
    for (i = 1; i <= n; i++)
        if (!(want[i] in col)) fail("the header lacks the column \"" want[i] "\"", FNR)
    width = NF
}

# One row of the table: check it and write its history.
function stakeholder(line,    name, profile, days, scale, seed) {
    if (NF != width) fail(NF " cells, the header has " width, line)
    name = $col["name"]; profile = $col["profile"]
    days = $col["days"]; scale = $col["scale"]; seed = $col["seed"]
    if (name !~ /^[a-z0-9_-]+$/) fail("bad name \"" name "\"", line)
    if (profile != "household" && profile != "industrial" && profile != "solar")
        fail("bad profile \"" profile "\" (household, industrial or solar)", line)
    if (days !~ /^[1-9][0-9]*$/ || days > 100000) fail("bad days \"" days "\"", line)
    if (scale !~ /^[0-9]+(\.[0-9]+)?$/) fail("bad scale \"" scale "\"", line)
    if (seed !~ /^[1-9][0-9]*$/ || seed + 0 >= M) fail("bad seed \"" seed "\" (1..2147483646)", line)
    write_history(outdir "/" name ".csv", profile, days + 0, scale + 0, seed + 0)
}

function fail(msg, line) {
    printf "generate.awk: error: %s", msg > "/dev/stderr"
    if (line) printf " (%s line %d)", FILENAME, line > "/dev/stderr"
    printf "\n" > "/dev/stderr"
    failed = 65
    exit failed
}

# One stakeholder's whole history, in slot order.
function write_history(path, profile, days, scale, seed,    d, ymd, doy, wd, s, cloud, e) {
    state = seed
    print "slot,energy" > path
    for (d = end_day - days + 1; d <= end_day; d++) {
        civil_from_days(d, ymd)
        doy = d - days_from_civil(ymd[1], 1, 1) + 1
        wd = (d + 4) % 7
        if (profile == "solar") cloud = 0.25 + 0.75 * draw()
        for (s = 0; s < 48; s++) {
            if (profile == "household") e = scale * household(wd, int(s / 2))
            else if (profile == "industrial") e = scale * industrial(wd, int(s / 2))
            else e = scale * solar(doy, s / 2 + 0.25) * cloud
            e = e * (0.85 + 0.30 * draw())
            printf "%04d-%02d-%02dT%02d:%02d:00Z,%dWh\n", ymd[1], ymd[2], ymd[3], int(s / 2), (s % 2) * 30, int(e + 0.5) > path
        }
    }
    close(path)
}

# Park-Miller minimal standard: exact in doubles (state * 16807 < 2^46).
function draw() {
    state = (state * 16807) % M
    return state / M
}

# Relative household demand per clock hour 00..23.
function household_shape(    wk, we, i) {
    split("0.35 0.30 0.28 0.28 0.28 0.32 0.55 0.95 1.00 0.70 0.50 0.50 " \
          "0.60 0.55 0.45 0.45 0.55 0.80 1.15 1.35 1.40 1.25 0.90 0.55", wk, " ")
    split("0.45 0.38 0.32 0.30 0.30 0.30 0.32 0.45 0.75 1.15 1.25 1.05 " \
          "0.90 0.85 0.65 0.60 0.65 0.85 1.15 1.35 1.40 1.30 1.00 0.65", we, " ")
    for (i = 0; i < 24; i++) { H_WEEKDAY[i] = wk[i + 1] + 0; H_WEEKEND[i] = we[i + 1] + 0 }
}

function household(wd, h) {
    return (wd == 0 || wd == 6) ? H_WEEKEND[h] : H_WEEKDAY[h]
}

function industrial(wd, h) {
    if (wd == 0 || wd == 6) return 0.2
    return (h >= 6 && h < 22) ? 1.0 : 0.25
}

# Clear-sky shape at time t (hours UTC) on day of year n, latitude 41 N.
function solar(n, t,    len, rise, decl, elev) {
    len = 12.15 + 2.85 * sine(2 * PI * (n - 80) / 365)
    rise = 12.5 - len / 2
    if (t <= rise || t >= rise + len) return 0
    decl = 23.44 * sine(2 * PI * (284 + n) / 365)
    elev = 90 - 41 + decl
    return sine(elev * PI / 180) * sine(PI * (t - rise) / len)
}

# sin(x) with + - * / only: reduce to [-pi/2, pi/2], then the Taylor series
# to x^21 (error below 1e-15 there), so no libm is involved.
function sine(x,    k, x2, t, s, i) {
    k = int(x / (2 * PI))
    x = x - k * 2 * PI
    if (x > PI) x = x - 2 * PI
    if (x < -PI) x = x + 2 * PI
    if (x > PI / 2) x = PI - x
    if (x < -PI / 2) x = -PI - x
    x2 = x * x
    t = x
    s = x
    for (i = 1; i <= 10; i++) {
        t = -t * x2 / ((2 * i) * (2 * i + 1))
        s = s + t
    }
    return s
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
