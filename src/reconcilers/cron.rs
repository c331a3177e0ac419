//! Five-field cron expressions (minute hour day-of-month month day-of-week) as schedules write
//! them: parsed into one bitset per field and matched against a wall-clock minute. Pure: no
//! clock, no time zone (the schedule reads the minute in the period's zone), no I/O.

use jiff::civil::DateTime;

/// A parsed cron expression: in each field's bitset, bit N is set when value N matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Cron {
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    /// Sunday is bit 0 (a written 7 lands there too).
    weekdays: u64,
    /// Both day fields are restricted, so a day matches when either does (the Vixie-cron rule).
    either_day: bool,
}

impl Cron {
    /// Whether the wall-clock minute `time` matches every field.
    pub(super) fn matches(&self, time: DateTime) -> bool {
        let has = |set: u64, value: i8| (set >> value) & 1 == 1;
        let day_of_month = has(self.days, time.day());
        let day_of_week = has(self.weekdays, time.weekday().to_sunday_zero_offset());
        let day = if self.either_day {
            day_of_month || day_of_week
        } else {
            day_of_month && day_of_week
        };
        day && has(self.minutes, time.minute())
            && has(self.hours, time.hour())
            && has(self.months, time.month())
    }
}

/// What one cron field accepts: its name for errors, its range, the names of its values.
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    /// Names of the values from `min` on, matched case-insensitively.
    names: &'static [&'static str],
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const FIELDS: [Field; 5] = [
    field("minute", 0, 59, &[]),
    field("hour", 0, 23, &[]),
    field("day-of-month", 1, 31, &[]),
    field("month", 1, 12, &MONTHS),
    field("day-of-week", 0, 7, &WEEKDAYS),
];

const fn field(name: &'static str, min: u32, max: u32, names: &'static [&'static str]) -> Field {
    Field {
        name,
        min,
        max,
        names,
    }
}

/// Reads a five-field cron expression; the error names the field and the bad part.
pub(super) fn parse_cron(cron: &str) -> Result<Cron, String> {
    let wrong_count = || {
        let count = cron.split_whitespace().count();
        format!(
            "cron {cron:?} has {count} field(s) but needs five: minute hour day-of-month month \
             day-of-week"
        )
    };
    let mut parts = cron.split_whitespace();
    let mut sets = [0; 5];
    let mut starred = [false; 5];
    for ((field, set), starred) in FIELDS.iter().zip(&mut sets).zip(&mut starred) {
        let part = parts.next().ok_or_else(wrong_count)?;
        *set = parse_field(field, part).map_err(|problem| {
            format!(
                "cron {cron:?} has a bad {} field {part:?}: {problem}",
                field.name
            )
        })?;
        *starred = part.starts_with('*');
    }
    if parts.next().is_some() {
        return Err(wrong_count());
    }
    let [minutes, hours, days, months, weekdays] = sets;
    Ok(Cron {
        minutes,
        hours,
        days,
        months,
        weekdays: weekdays | ((weekdays >> 7) & 1),
        either_day: !starred[2] && !starred[4],
    })
}

/// Reads one field: a comma list of `*`, `N` or `A-B`, the first and last with an optional `/STEP`.
fn parse_field(field: &Field, part: &str) -> Result<u64, String> {
    let mut bits = 0;
    for item in part.split(',') {
        if item.is_empty() {
            return Err("an item is empty (two commas in a row, or one at an end)".to_owned());
        }
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (range, Some(parse_step(step)?)),
            None => (item, None),
        };
        let (first, last) = if range == "*" {
            (field.min, field.max)
        } else if let Some((first, last)) = range.split_once('-') {
            let (first, last) = (parse_value(field, first)?, parse_value(field, last)?);
            if first > last {
                return Err(format!("the range {range:?} runs backwards"));
            }
            (first, last)
        } else {
            let value = parse_value(field, range)?;
            if step.is_some() {
                return Err(format!(
                    "{item:?} steps from a single value; a step follows * or A-B"
                ));
            }
            (value, value)
        };
        for value in (first..=last).step_by(step.unwrap_or(1)) {
            bits |= 1u64 << value;
        }
    }
    Ok(bits)
}

fn parse_step(step: &str) -> Result<usize, String> {
    let digits = !step.is_empty() && step.bytes().all(|b| b.is_ascii_digit());
    match step.parse().unwrap_or(usize::MAX) {
        step if digits && step >= 1 => Ok(step),
        _ => Err(format!(
            "the step {step:?} is not a whole number of 1 or more"
        )),
    }
}

/// Reads a number or, for months and days of the week, a name, within the field's range.
fn parse_value(field: &Field, text: &str) -> Result<u32, String> {
    let (min, max) = (field.min, field.max);
    let value = if text.is_empty() {
        return Err("a value is missing (around a '-' or before a '/')".to_owned());
    } else if text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().unwrap_or(u32::MAX)
    } else if let Some(i) = field
        .names
        .iter()
        .position(|n| n.eq_ignore_ascii_case(text))
    {
        min + i as u32
    } else if let [first, .., last] = field.names {
        return Err(format!(
            "{text:?} is neither a number nor a name {first}-{last}"
        ));
    } else {
        return Err(format!("{text:?} is not a number"));
    };
    if !(min..=max).contains(&value) {
        return Err(format!("{text} is outside {min}-{max}"));
    }
    Ok(value)
}
