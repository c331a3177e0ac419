//! Tests of the result decoder: what is kept, what is skipped, what is refused, the same
//! through `decode_result` and the streamed fetch.

use super::*;
use crate::clients::http::Failure;
use crate::load::HttpSettings;
use devicepool_sim::fault::Fault;
use devicepool_sim::testflinger::TestflingerSim;

fn reader() -> Reader {
    let settings = HttpSettings {
        retries: 0,
        ..HttpSettings::default()
    };
    Reader::new(&settings, crate::secret::Redactor::default())
}

#[test]
fn keeps_the_state_and_integer_statuses_and_skips_the_logs() {
    let body = r#"{"setup_output":"a\"b\\c","job_state":"complete","setup_status":0,
        "provision_serial":"x","provision_status":1,"device_info":{"device_ip":"10.0.0.1",
        "nested":[[{"a":"b"}]]},"cancelled_by":null,"job_state_extra":[1,2]}"#;
    let result = decode_result(body).expect("decoded");
    assert_eq!(result.job_state, "complete");
    let statuses: Vec<(&str, i64)> = (result.phase_status.iter())
        .map(|(p, c)| (p.as_str(), *c))
        .collect();
    assert_eq!(statuses, [("provision", 1), ("setup", 0)]);
}

#[test]
fn a_result_without_a_string_state_or_not_an_object_is_refused() {
    for body in [
        r#"{"provision_status":0}"#,
        r#"{"job_state":3}"#,
        r#"{"job_state":"complete","job_state":null}"#,
    ] {
        let e = decode_result(body).expect_err(body);
        assert_eq!(e, "result without a job_state", "{body}");
    }
    assert!(decode_result(r#"["job_state"]"#).is_err());
    assert!(decode_result(r#"{"job_state":"complete"} trailing"#).is_err());
}

#[test]
fn a_status_that_is_not_an_integer_refuses_the_whole_result() {
    let cases = [
        (r#""1""#, r#"provision_status is "1", not an integer"#),
        ("1.0", "provision_status is 1.0, not an integer"),
        ("null", "provision_status is null, not an integer"),
        ("[1]", "provision_status is an array, not an integer"),
        ("{}", "provision_status is an object, not an integer"),
        ("18446744073709551615", "is 18446744073709551615, not an"),
    ];
    for (value, why) in cases {
        let body =
            format!(r#"{{"job_state":"complete","setup_status":0,"provision_status":{value}}}"#);
        let e = decode_result(&body).expect_err(&body);
        assert!(e.contains(why), "{value}: {e}");
    }
    let long = format!(
        r#"{{"job_state":"complete","x_status":"{}"}}"#,
        "y".repeat(5000)
    );
    let e = decode_result(&long).expect_err("long");
    assert!(e.len() < 200, "an odd status is quoted cut: {e}");
}

#[test]
fn the_streamed_fetch_refuses_a_status_that_is_not_an_integer() {
    let tf = TestflingerSim::start().expect("start");
    let odd = r#"{"job_state":"complete","setup_status":0,"provision_status":"1"}"#;
    tf.server()
        .inject("GET", "/v1/result/", Fault::status(200).with_body(odd));
    let id = "00000000-0000-4000-8000-000000000000";
    let e = fetch_result(&reader(), &tf.url(), None, id).expect_err("refused");
    let Failure::Decode(message) = &e.failure else {
        panic!("not a decode failure: {e}");
    };
    assert!(
        message.contains(r#"provision_status is "1", not an integer exit status"#),
        "{message}"
    );
    assert_eq!(
        decode_result(odd).map_err(|m| m.contains("is \"1\"")),
        Err(true)
    );
}
