//! `--format html` opened in a real Chromium (Debian's `chromium`, headless): the demo's page
//! has one cell per device, machine and runner of its plan, each with its state in words; a
//! held pool's reason is on top; a hostile name from a saved plan is text, never markup. A
//! screenshot is taken. Skipped when chromium is missing, except in CI.

use std::path::Path;

use devicepool_sim::Fault;
use serde_json::Value;

use crate::support::{Lab, Outcome, devicepool, external_tool, pool};

/// The DOM Chromium builds from the page at `path`, and a screenshot of it beside the page;
/// `None` when chromium is not installed (outside CI).
fn chromium_dom(path: &Path) -> Option<String> {
    let url = format!("file://{}", path.display());
    let headless = ["--headless", "--no-sandbox", "--disable-gpu"];
    let dumped = external_tool(
        "chromium",
        &[&headless[..], &["--dump-dom", &url]].concat(),
        "",
    )?;
    assert_eq!(dumped.code, 0, "chromium --dump-dom: {}", dumped.stderr);
    let png = path.with_extension("png");
    let shot = format!("--screenshot={}", png.display());
    let args = [&headless[..], &[&shot, "--window-size=1280,900", &url]].concat();
    let shown = external_tool("chromium", &args, "").expect("chromium ran once");
    assert_eq!(shown.code, 0, "chromium --screenshot: {}", shown.stderr);
    let bytes = std::fs::read(&png).expect("a screenshot");
    assert!(
        bytes.starts_with(b"\x89PNG"),
        "not a PNG: {}",
        png.display()
    );
    Some(dumped.stdout)
}

/// The first JSON value after `title` in the demo's output.
fn plan_after(out: &Outcome, title: &str) -> Value {
    let at = out.stdout.find(title).expect("the section") + title.len();
    let text = &out.stdout[at..];
    let start = text.find('{').expect("a JSON plan");
    let mut values = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Value>();
    values.next().expect("one value").expect("valid JSON")
}

/// (name, state) of every device, machine and runner a JSON plan shows, and of every runner
/// it starts or container it removes.
fn cells_of(plan: &Value) -> Vec<(String, String)> {
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let field = |v: &Value, k: &str| v[k].as_str().unwrap().to_string();
    let mut cells = Vec::new();
    let ungrouped = list(&plan["device_pools"])
        .into_iter()
        .filter(|p| p.get("group").is_none());
    for holder in ungrouped.chain(list(&plan["device_groups"])) {
        for d in list(&holder["devices"]) {
            cells.push((field(&d, "udid"), field(&d, "state")));
        }
    }
    for rack in list(&plan["racks"]) {
        for m in list(&rack["machines"]) {
            cells.push((field(&m, "hostname"), field(&m, "state")));
        }
    }
    for pool in list(&plan["runner_pools"]) {
        for r in list(&pool["runners"]) {
            cells.push((field(&r, "description"), field(&r, "state")));
        }
        for s in list(&pool["starts"]) {
            cells.push((field(&s, "name"), "start".to_string()));
        }
        let orphans = list(&pool["removals"]).into_iter();
        for r in orphans.filter(|r| r["runner_id"].is_null()) {
            cells.push((field(&r, "container_id"), "remove".to_string()));
        }
    }
    cells
}

#[test]
fn the_demos_page_shows_one_labelled_cell_per_device_machine_and_runner_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("demo.html");
    let out = devicepool(&["demo", "--format", "json", "--page", page.to_str().unwrap()]).run();
    out.expect_code(0);
    let plan = plan_after(&out, "== Plan 1");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains("<script") && !html.contains("src="),
        "{html}"
    );
    let Some(dom) = chromium_dom(&page) else {
        eprintln!("chromium is not installed: the page was not opened in a browser");
        return;
    };
    let cells = cells_of(&plan);
    let kinds = ["machines", "runners", "devices"];
    assert!(kinds.iter().all(|k| plan.to_string().contains(k)));
    assert!(cells.len() > 40, "{cells:?}");
    assert_eq!(dom.matches("tabindex=\"0\"").count(), cells.len(), "{dom}");
    for (name, state) in &cells {
        let labelled = dom.contains(&format!(">{name}")) && dom.contains(&format!("<b>{state}"));
        assert!(labelled, "no cell {name} labelled {state}:\n{dom}");
    }
    for state in ["busy", "quarantined", "start", "deploy", "agent_not_found"] {
        assert!(dom.contains(&format!("<b>{state}</b>")), "{state}: {dom}");
    }
}

/// What a hostile upstream could put in a name.
const HOSTILE: &str = r#"<script>alert("x&y")</script><img src=x onerror=alert(1)>"#;

#[test]
fn a_held_pool_and_a_hostile_name_are_text_on_the_page_in_chromium() {
    let lab = Lab::new(vec![pool("a55", 2, 1), pool("p9", 1, 1)]);
    let p9_queue = "/api/queue/v1/task-queues/proj-autophone/gecko-t-p9";
    lab.fleet
        .taskcluster
        .server()
        .inject("GET", p9_queue, Fault::status(500));
    let planned = lab.run(&[
        "plan",
        lab.config_arg(),
        "--format",
        "html",
        "--out",
        "plan.json",
    ]);
    planned.expect_code(4);
    let shown = lab.run(&["show", "plan.json", "--format", "html"]);
    shown.expect_code(0);
    assert_eq!(
        shown.stdout, planned.stdout,
        "show prints the page plan printed"
    );

    let path = lab.path("plan.json");
    let mut plan: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let reason = plan["device_pools"][1]["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("500"), "{reason}");
    plan["device_pools"][0]["devices"][0]["udid"] = Value::from(HOSTILE);
    std::fs::write(&path, plan.to_string()).unwrap();
    let shown = lab.run(&["show", "plan.json", "--format", "html"]);
    shown.expect_code(0);
    std::fs::write(lab.path("page.html"), &shown.stdout).unwrap();
    let Some(dom) = chromium_dom(&lab.path("page.html")) else {
        eprintln!("chromium is not installed: the page was not opened in a browser");
        return;
    };
    assert!(!dom.contains("<script") && !dom.contains("<img"), "{dom}");
    let as_text = HOSTILE
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    assert!(dom.contains(&format!(">{as_text}<b>")), "{dom}");
    let held = dom.split("<h2>Legend").next().unwrap();
    let reason = reason
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    assert!(held.contains("<h2>Held</h2>"), "{dom}");
    assert!(
        held.contains(&format!("<strong>p9</strong>: {reason}")),
        "{dom}"
    );
}

#[test]
fn the_apply_page_marks_each_action_with_its_outcome() {
    let lab = Lab::new(vec![pool("a55", 2, 1)]);
    let out = lab.run(&["apply", lab.config_arg(), "--format", "html"]);
    out.expect_code(0);
    let launched = lab.launched_devices();
    assert_eq!(launched.len(), 1, "{}", out.stdout);
    let cell = format!(">{}<b>start · done</b>", launched[0]);
    assert!(out.stdout.contains(&cell), "{}", out.stdout);
    assert!(out.stdout.contains("<b>spare</b>"), "{}", out.stdout);
}
