//! Finds the shell examples of a Markdown page (fenced blocks whose lines start with `$ `) and
//! splits each command into its environment, arguments, pipe filters and expected exit code.
//! It runs nothing and reads no file.

/// How the line right before an example's fence says to run it.
#[derive(Debug, PartialEq)]
pub(super) enum Marker {
    /// No marker: run in a scratch copy of the repository's `plans/`, `templates/` and
    /// `docs/examples/`.
    Offline,
    /// `<!-- example: on the simulated fleet -->`: the same, with the desired state the first
    /// command names seeded into `devicepool sim serve` and pointed at it.
    SimulatedFleet,
    /// `<!-- example: not run (REASON) -->`.
    NotRun(String),
}

/// One `$ ` line and the output lines under it.
#[derive(Debug)]
pub(super) struct Step {
    /// 1-based line of the `$ ` line in its page.
    pub(super) line: usize,
    /// The command as written, without `$ `.
    pub(super) text: String,
    pub(super) expected: Vec<String>,
}

/// A fenced block of `$ ` commands.
#[derive(Debug)]
pub(super) struct Example {
    pub(super) marker: Marker,
    pub(super) steps: Vec<Step>,
}

/// A command split up: `NAME=value … devicepool ARGS | head -N  # exit N`.
#[derive(Debug, PartialEq)]
pub(super) struct Command {
    pub(super) env: Vec<(String, String)>,
    /// The words after `devicepool`.
    pub(super) args: Vec<String>,
    /// `| head -N`: only the first N lines of stdout are shown.
    pub(super) head: Option<usize>,
    /// From a `# exit N` comment; 0 without one.
    pub(super) exit: i32,
}

/// The examples of `text`, or the problems that stop them being read (each `line: message`).
pub(super) fn examples(text: &str) -> (Vec<(usize, Example)>, Vec<String>) {
    let (mut found, mut problems) = (Vec::new(), Vec::new());
    let mut previous = "";
    let mut block: Option<(usize, &str, Vec<&str>)> = None;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        match &mut block {
            None if trimmed.starts_with("```") => {
                let indent = &line[..line.len() - trimmed.len()];
                block = Some((index + 1, indent, Vec::new()));
                continue;
            }
            None => {}
            Some(_) if trimmed.starts_with("```") => {
                let (start, _, lines) = block.take().expect("in a block");
                match example(previous, start, &lines) {
                    Ok(Some(example)) => found.push((start, example)),
                    Ok(None) => {}
                    Err(problem) => problems.push(format!("{start}: {problem}")),
                }
            }
            Some((_, indent, lines)) => lines.push(line.strip_prefix(*indent).unwrap_or(line)),
        }
        if block.is_none() && !trimmed.is_empty() {
            previous = trimmed;
        }
    }
    (found, problems)
}

/// The example of the block opened at line `start` whose content is `lines`, when it has `$ `
/// lines; `marker_line` is the last non-blank line before its fence.
fn example(marker_line: &str, start: usize, lines: &[&str]) -> Result<Option<Example>, String> {
    if !lines.iter().any(|line| line.starts_with("$ ")) {
        return Ok(None);
    }
    let mut steps: Vec<Step> = Vec::new();
    for (offset, line) in lines.iter().enumerate() {
        if let Some(command) = line.strip_prefix("$ ") {
            steps.push(Step {
                line: start + 1 + offset,
                text: command.to_string(),
                expected: Vec::new(),
            });
        } else if let Some(step) = steps.last_mut() {
            step.expected.push(line.to_string());
        } else {
            return Err(format!(
                "output {line:?} before the block's first `$ ` command"
            ));
        }
    }
    let marker = marker(marker_line)?;
    Ok(Some(Example { marker, steps }))
}

fn marker(line: &str) -> Result<Marker, String> {
    let Some(body) = line
        .strip_prefix("<!-- example:")
        .and_then(|rest| rest.strip_suffix("-->"))
    else {
        return Ok(Marker::Offline);
    };
    let body = body.trim();
    if body == "on the simulated fleet" {
        return Ok(Marker::SimulatedFleet);
    }
    match body
        .strip_prefix("not run (")
        .and_then(|rest| rest.strip_suffix(')'))
    {
        Some(reason) if !reason.trim().is_empty() => Ok(Marker::NotRun(reason.trim().to_string())),
        _ => Err(format!(
            "marker {line:?}: write `<!-- example: not run (REASON) -->` or \
             `<!-- example: on the simulated fleet -->`"
        )),
    }
}

/// `text` (a `$ ` line without its `$ `) split up; `Err` says what the checker cannot run.
pub(super) fn command(text: &str) -> Result<Command, String> {
    let (words, comment) = words(text)?;
    let exit = match comment
        .as_deref()
        .and_then(|c| c.trim().strip_prefix("exit "))
    {
        Some(rest) => rest
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|digits| digits.parse().ok())
            .ok_or_else(|| format!("`# exit` without a number in {text:?}"))?,
        None => 0,
    };
    let mut pipeline = words.split(|word| word == "|");
    let first = pipeline.next().unwrap_or_default();
    let env_end = first
        .iter()
        .position(|word| !word.contains('='))
        .unwrap_or(first.len());
    let env = first[..env_end]
        .iter()
        .map(|word| {
            let (name, value) = word.split_once('=').expect("has =");
            (name.to_string(), value.to_string())
        })
        .collect();
    if first.get(env_end).map(String::as_str) != Some("devicepool") {
        return Err(format!("{text:?} does not run devicepool"));
    }
    let mut head = None;
    for filter in pipeline {
        match filter {
            [name, n] if name == "head" && n.starts_with('-') => {
                let lines = n[1..].parse().map_err(|_| format!("bad `head {n}`"))?;
                head = Some(lines);
            }
            _ => return Err(format!("the checker runs only `| head -N`, not {filter:?}")),
        }
    }
    Ok(Command {
        env,
        args: first[env_end + 1..].to_vec(),
        head,
        exit,
    })
}

/// The shell words of `text` (single and double quotes, `|` as its own word) and the text of
/// a trailing `# comment`.
fn words(text: &str) -> Result<(Vec<String>, Option<String>), String> {
    let (mut words, mut word, mut in_word) = (Vec::new(), String::new(), false);
    let mut chars = text.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '\'' | '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some((_, close)) if close == c => break,
                        Some((_, inner)) => word.push(inner),
                        None => return Err(format!("unclosed {c} in {text:?}")),
                    }
                }
            }
            '#' if !in_word => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                return Ok((words, Some(text[at + 1..].to_string())));
            }
            '|' | ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
                if c == '|' {
                    words.push("|".to_string());
                }
            }
            '\\' | '$' | '`' | ';' | '&' | '>' | '<' | '*' | '?' => {
                return Err(format!(
                    "the checker does not run shell syntax {c:?} in {text:?}"
                ));
            }
            other => {
                in_word = true;
                word.push(other);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok((words, None))
}
