//! Unit tests of `shutdown.rs`.

use super::*;

#[test]
fn the_first_stop_wins_and_a_limit_ends_the_wait() {
    let (tx, rx) = mpsc::channel();
    assert_eq!(
        first_stop(&rx, Some(Duration::from_millis(1))),
        Stop::TimeUp
    );
    tx.send(Stop::StdinClosed).unwrap();
    tx.send(Stop::Signal("SIGTERM")).unwrap();
    assert_eq!(first_stop(&rx, None), Stop::StdinClosed);
    assert_eq!(Stop::Signal("SIGTERM").to_string(), "SIGTERM");
}
