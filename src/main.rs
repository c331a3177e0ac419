//! The `devicepool` binary: parse arguments, run, map the outcome to an exit code.
//! Nothing else lives here; the work is in the library.

fn main() -> std::process::ExitCode {
    devicepool::main_entry()
}
