//! The single integration-test binary: drives the real `devicepool` binary.

#[test]
fn binary_runs() {
    assert_cmd::cargo::cargo_bin_cmd!("devicepool")
        .assert()
        .success();
}
