//! Unit tests of `reconcilers/racks/history.rs`.

use super::*;

#[test]
fn batches_keep_every_agent_once_in_order_and_fit_a_request_line() {
    let names: Vec<String> = (0..400).map(|i| format!("machine-{i:04}")).collect();
    let agents: Vec<&str> = names.iter().map(String::as_str).collect();
    let cut = batches(&agents);
    assert!(cut.len() > 1, "400 agents do not fit one request line");
    let joined: Vec<&str> = cut.iter().flat_map(|b| b.iter().copied()).collect();
    assert_eq!(joined, agents);
    for batch in cut {
        let bytes: usize = (batch.iter())
            .map(|a| "&tags=".len() + encode_component(&format!("agent:{a}")).len())
            .sum();
        assert!(bytes <= SEARCH_QUERY_BYTES, "{bytes}");
    }
    assert_eq!(batches(&["one"]), vec![&["one"][..]]);
    assert!(batches(&[]).is_empty());
}
