use super::*;
use crate::plan::{DeviceDecision, DevicePoolPlan, DeviceState, RunnerPoolPlan};

#[test]
fn every_character_that_could_open_markup_or_close_an_attribute_is_escaped() {
    let hostile = r#"<script>alert("x")</script> & 'it'"#;
    assert_eq!(
        escape_html(hostile),
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;it&#39;"
    );
    assert!(matches!(escape_html("A55-01 ok"), Cow::Borrowed(_)));
}

fn device_pool(name: &str, status: PoolStatus, devices: &[(&str, DeviceState)]) -> DevicePoolPlan {
    let devices = devices
        .iter()
        .map(|(udid, state)| DeviceDecision {
            udid: udid.to_string(),
            state: *state,
            detail: "why & how".to_string(),
            spec: None,
        })
        .collect();
    // A held entry's reason is its status's, as the planner writes it.
    let reason = match &status {
        PoolStatus::Held { reason } => reason.clone(),
        _ => "demand met".to_string(),
    };
    DevicePoolPlan {
        rollout: None,
        generations: Vec::new(),
        pool: name.to_string(),
        task_queue: "proj/q".to_string(),
        status,
        reason,
        numbers: None,
        bound: None,
        starts: Vec::new(),
        devices,
        group: None,
        schedule: None,
        schedule_period: None,
    }
}

#[test]
fn held_entries_come_first_and_every_cell_is_labelled_focusable_and_escaped() {
    let held = PoolStatus::Held {
        reason: "Taskcluster <GET> answered 500 \u{202e}".to_string(),
    };
    let plan = Plan {
        config_path: "<lab>.yaml".to_string(),
        device_pools: vec![
            device_pool(
                "a55",
                PoolStatus::Planned,
                &[
                    ("<b>A55-01", DeviceState::Start),
                    ("A55-02", DeviceState::Quarantined),
                ],
            ),
            device_pool("p9", held, &[]),
        ],
        ..Plan::default()
    };
    let page = plan_html(&plan);
    let held_at = page.find("<h2>Held</h2>").expect("a held section");
    assert!(held_at < page.find("<h2>Legend</h2>").unwrap(), "{page}");
    // Escaped for the terminal first (a bidi mark is shown, not obeyed), then for HTML.
    let reason = "Taskcluster &lt;GET&gt; answered 500 \\u{202e}";
    assert!(
        page.contains(&format!("<strong>p9</strong>: {reason}")),
        "{page}"
    );
    assert!(page.contains("<code>&lt;lab&gt;.yaml</code>"), "{page}");
    assert!(
        !page.contains("<b>A55") && !page.contains('\u{202e}'),
        "{page}"
    );
    let cell = "<li class=\"a\" tabindex=\"0\" title=\"&lt;b&gt;A55-01: start (why &amp; how)\">\
                &lt;b&gt;A55-01<b>start</b></li>";
    assert!(page.contains(cell), "{page}");
    assert!(page.contains("tabindex=\"0\" title=\"A55-02: quarantined (why &amp; how)\">"));
    // The legend names each class in words, with the states this page shows in it.
    assert!(page.contains("needs a look<b>quarantined</b>"), "{page}");
    assert!(page.contains("not ours to use<b>none here</b>"), "{page}");
}

#[test]
fn a_runner_a_roll_out_pauses_is_marked_as_this_plans_action() {
    let pool: RunnerPoolPlan = serde_json::from_value(serde_json::json!({
        "pool": "linux",
        "status": {"state": "planned"},
        "reason": "pausing 1",
        "numbers": null,
        "starts": [],
        "removals": [],
        "runners": [
            {"id": 7, "description": "devicepool-linux-1-1", "state": "busy", "detail": "job 3"},
            {"id": 8, "description": "devicepool-linux-1-2", "state": "busy", "detail": "job 4"}
        ],
        "pauses": [{"runner_id": 7, "detail": "outdated spec", "preconditions": []}]
    }))
    .expect("a runner pool plan");
    let plan = Plan {
        runner_pools: vec![pool],
        ..Plan::default()
    };
    let page = plan_html(&plan);
    assert!(
        page.contains("devicepool-linux-1-1<b>pause</b></li>"),
        "{page}"
    );
    assert!(
        page.contains("devicepool-linux-1-2<b>busy</b></li>"),
        "{page}"
    );
}
