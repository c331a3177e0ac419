//! `devicepool completions SHELL` and `devicepool man`: the shell completion script and the
//! manual page, generated from the clap definition in `cli.rs` (clap_complete, clap_mangen), so
//! they always name the commands and flags this binary has, and never a hidden one (the
//! simulated fleet's `__sim-hyperexecute`). No file is written: both go to stdout, for the
//! packager to put where the system looks; so the one page holds every command's synopsis and
//! options instead of naming sub-pages that are never made.

use std::io::Write;

use clap::{Command, CommandFactory};
use clap_mangen::Man;

use crate::cli::Cli;
use crate::exit::Exit;

/// Prints the completion script for `shell`.
pub(super) fn completions(shell: clap_complete::Shell) -> anyhow::Result<Exit> {
    let mut script = Vec::new();
    clap_complete::generate(
        shell,
        &mut shown(&Cli::command()),
        "devicepool",
        &mut script,
    );
    crate::report::emit(&String::from_utf8_lossy(&script));
    Ok(Exit::Clean)
}

/// Prints the manual page (roff): the synopsis, every option, then a COMMANDS section with
/// each command's (and subcommand's) synopsis, description and own options.
pub(super) fn man() -> anyhow::Result<Exit> {
    let mut command = shown(&Cli::command()).disable_help_subcommand(true);
    command.build();
    let man = Man::new(command.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    page.extend_from_slice(b".SH COMMANDS\n");
    render_commands(&command, &mut page)?;
    if command.get_after_help().is_some() || command.get_after_long_help().is_some() {
        man.render_extra_section(&mut page)?;
    }
    man.render_version_section(&mut page)?;
    crate::report::emit(&String::from_utf8_lossy(&page));
    Ok(Exit::Clean)
}

/// One `.SS` part per subcommand of `parent`, depth first: its synopsis, description and the
/// options it adds (the global ones are in OPTIONS above).
fn render_commands(parent: &Command, page: &mut Vec<u8>) -> std::io::Result<()> {
    for sub in parent.get_subcommands() {
        let name = sub.get_bin_name().unwrap_or_else(|| sub.get_name());
        writeln!(page, ".SS \"{name}\"")?;
        let own = sub.clone().mut_args(|arg| {
            let inherited = inherited(&arg);
            arg.hide(inherited)
        });
        let man = Man::new(own);
        let mut part = Vec::new();
        man.render_synopsis_section(&mut part)?;
        man.render_description_section(&mut part)?;
        if sub
            .get_arguments()
            .any(|arg| !arg.is_hide_set() && !inherited(arg))
        {
            man.render_options_section(&mut part)?;
        }
        // Each part's own `.SH` heading would end COMMANDS: a paragraph break instead, under
        // the `.SS` above.
        for line in part.split_inclusive(|b| *b == b'\n') {
            match line.starts_with(b".SH ") {
                true => page.extend_from_slice(b".PP\n"),
                false => page.extend_from_slice(line),
            }
        }
        render_commands(sub, page)?;
    }
    Ok(())
}

/// Whether `arg` is one every command has (a global option, `--help`, `--version`), listed
/// once under OPTIONS rather than under each command.
fn inherited(arg: &clap::Arg) -> bool {
    arg.is_global_set() || matches!(arg.get_id().as_str(), "help" | "version")
}

/// `command` without its hidden subcommands, at every depth: clap's generators list them.
fn shown(command: &Command) -> Command {
    let mut copy = Command::new(command.get_name().to_string())
        .args(command.get_arguments().cloned())
        .subcommands(
            command
                .get_subcommands()
                .filter(|sub| !sub.is_hide_set())
                .map(shown),
        )
        .propagate_version(command.is_propagate_version_set())
        .subcommand_required(command.is_subcommand_required_set())
        .arg_required_else_help(command.is_arg_required_else_help_set());
    if let Some(version) = command.get_version() {
        copy = copy.version(version.to_string());
    }
    if let Some(about) = command.get_about() {
        copy = copy.about(about.clone());
    }
    if let Some(about) = command.get_long_about() {
        copy = copy.long_about(about.clone());
    }
    if let Some(after) = command.get_after_help() {
        copy = copy.after_help(after.clone());
    }
    copy
}
