//! Running one test in a process of its own.

/// Runs `body` in a child process that runs only the test `test` (this
/// one), so that process-wide counts such as open descriptors see no other
/// test running beside it. The parent only checks that the child passed.
pub fn isolated(test: &str, body: impl FnOnce()) {
    const VAR: &str = "MUDU_TEST_ISOLATED";
    if super::is_child(VAR) {
        body();
        return;
    }
    let status = super::child_test(test, VAR).status().unwrap();
    assert!(status.success(), "{test} failed in its own process");
}
