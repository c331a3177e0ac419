//! Unit tests of `render/worker.rs`.

use super::*;

fn serve_lines(requests: &[Request]) -> Vec<Reply> {
    let mut input = String::new();
    for request in requests {
        input.push_str(&serde_json::to_string(request).unwrap());
        input.push('\n');
    }
    input.push_str("not json\n");
    let mut output = Vec::new();
    serve(input.as_bytes(), &mut output).unwrap();
    String::from_utf8(output)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn every_request_line_gets_one_reply_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.j2"), "udid: {{ udid }} {{ vars.n + 1 }}").unwrap();
    let request = |name: &str| Request {
        dir: Some(dir.path().to_path_buf()),
        name: name.to_string(),
        ctx: serde_json::json!({"udid": "R5CX", "vars": {"n": 41}}),
    };
    let replies = serve_lines(&[request("t.j2"), request("missing.j2"), request("t.j2")]);
    assert_eq!(replies.len(), 5);
    assert!(
        matches!(&replies[0], Reply::Ready),
        "first the worker says it is ready"
    );
    assert!(matches!(&replies[1], Reply::Rendered(text) if text == "udid: R5CX 42"));
    assert!(matches!(&replies[2], Reply::Failed(why) if why.contains("missing.j2")));
    assert!(matches!(&replies[3], Reply::Rendered(text) if text == "udid: R5CX 42"));
    assert!(matches!(&replies[4], Reply::Failed(why) if why.contains("unreadable")));
}
