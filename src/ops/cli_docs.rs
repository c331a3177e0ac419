//! `devicepool completions SHELL` and `devicepool man`: the shell completion script and the
//! manual page, generated from the clap definition in `cli.rs` (clap_complete, clap_mangen), so
//! they always name the commands and flags this binary has. No file is written: both go to
//! stdout, for the packager to put where the system looks.

use clap::CommandFactory;

use crate::cli::Cli;
use crate::exit::Exit;

/// Prints the completion script for `shell`.
pub(super) fn completions(shell: clap_complete::Shell) -> anyhow::Result<Exit> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "devicepool", &mut script);
    crate::report::emit(&String::from_utf8_lossy(&script));
    Ok(Exit::Clean)
}

/// Prints the manual page (roff): the synopsis, every option and the list of commands.
pub(super) fn man() -> anyhow::Result<Exit> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut page)?;
    crate::report::emit(&String::from_utf8_lossy(&page));
    Ok(Exit::Clean)
}
