//! Every command example with its output in the README and docs/ runs here (trycmd, as
//! clap and cargo test their docs): a changed message fails this test instead of leaving a
//! stale excerpt. Examples run from the repository root; `...` and `[..]` elide.

#[test]
fn every_command_example_in_the_docs_runs_as_shown() {
    trycmd::TestCases::new()
        .register_bin("flowaudit", trycmd::cargo::cargo_bin!("flowaudit"))
        // What the terminal would change: the examples are not run on one.
        .env("GITHUB_ACTIONS", "false")
        .env("NO_COLOR", "1")
        .env("COLUMNS", "")
        .case("README.md")
        .case("docs/*.md");
}
