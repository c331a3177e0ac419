//! Unit tests of `ops/apply.rs`.

use super::{ActionCounts, phrase_question};

#[test]
fn the_question_counts_each_kind_of_action() {
    let all = ActionCounts {
        jobs: 3,
        deploys: 2,
        runner_starts: 1,
        runner_removals: 4,
    };
    assert_eq!(
        phrase_question(&all),
        "Apply this plan (3 job(s) to start, 2 deploy(s) to submit, 1 runner(s) to start, \
             4 runner(s) to remove)? Only 'yes' is accepted: "
    );
    let deploys_only = ActionCounts {
        deploys: 5,
        ..ActionCounts::default()
    };
    assert_eq!(
        phrase_question(&deploys_only),
        "Apply this plan (5 deploy(s) to submit)? Only 'yes' is accepted: "
    );
    assert_eq!(
        phrase_question(&ActionCounts::default()),
        "Apply this plan (nothing to start, submit or remove)? Only 'yes' is accepted: "
    );
}
