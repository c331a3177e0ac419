//! Snapshots of the human text output (the plan and the apply report): insta settings whose
//! filters hide what varies between runs, so a snapshot holds only what the code decides.

/// Settings for a text snapshot; hold the guard for the test's scope:
/// `let _filters = text_filters().bind_to_scope();` then `insta::assert_snapshot!(..)`.
///
/// Filtered: loopback ports (`127.0.0.1:[port]`), the labs' temporary directories (`[lab]`),
/// Testflinger and HyperExecute job ids (`[uuid]`), the fakes' incident ids, how long a
/// launch took (`in [ms]`) and spec digests (`spec:[digest]`: a job file names the fakes'
/// loopback URLs, so its digest changes from run to run). Timestamps and runner stamps are not filtered here: labs on a fake clock
/// print the same ones every run; add [`wall_clock`] where a run reads the real time.
pub(crate) fn text_filters() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[port]");
    let temp = std::env::temp_dir();
    let temp = escape(temp.to_string_lossy().trim_end_matches('/'));
    settings.add_filter(&format!(r"{temp}/\.tmp[0-9A-Za-z_]+"), "[lab]");
    settings.add_filter(
        r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
        "[uuid]",
    );
    settings.add_filter(r"incidentId [0-9a-f]+", "incidentId [id]");
    settings.add_filter(r" in \d+ ms\b", " in [ms]");
    settings.add_filter(r"\b(spec[: ])[0-9a-f]{12}\b", "${1}[digest]");
    settings
}

/// Adds filters for RFC 3339 timestamps (`[time]`, also a date or a timestamp cut short in
/// a quoted error body) and the stamp in runner names (`devicepool-<pool>-[stamp]-<n>`, the
/// run's time in seconds), for runs on the real clock.
pub(crate) fn wall_clock(mut settings: insta::Settings) -> insta::Settings {
    settings.add_filter(
        r"\d{4}-\d\d-\d\d(T\d\d(:\d\d(:\d\d(\.\d+)?)?)?)?(Z|[+-]\d\d:\d\d)?",
        "[time]",
    );
    settings.add_filter(
        r"(devicepool-[A-Za-z0-9._-]+?)-\d{9,}-(\d+)",
        "$1-[stamp]-$2",
    );
    settings
}

/// `text` as a regex that matches it literally.
fn escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
