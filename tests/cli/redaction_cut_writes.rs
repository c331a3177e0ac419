//! Secrets echoed back across the excerpt cut by a failing write: a loopback proxy passes
//! every read to the simulated fleet and answers each write (GitLab's runner create,
//! Testflinger's job submit) with 500, N pad characters and the request's credentials, for
//! every N that puts the cut inside a credential. No prefix of a secret longer than 4
//! characters may appear in `apply`'s JSON report or its debug log. (LambdaTest writes through
//! the HyperExecute CLI, MAAS, Taskcluster and Docker take no write with a credential here.)

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;

use crate::racks::RackLab;
use crate::redaction_cut::read_request;
use crate::runners::RunnerLab;
use crate::support::{Outcome, TF_CLIENT_SECRET};

/// Where the client cuts an error body's excerpt, in characters.
const CUT: usize = 200;

/// Runs of `apply` per test, at most: pads through the longest credential.
const MAX_RUNS: usize = 30;

/// Which requests are writes to fail: (method, path).
type IsWrite = fn(&str, &str) -> bool;

/// A proxy in front of one fake: reads pass through, writes are answered 500 with `pad` dots
/// then the request's `Authorization` and `PRIVATE-TOKEN` values, which are kept in `seen`.
/// Stops when dropped, or after five minutes whatever happens.
struct WriteEchoProxy {
    url: String,
    pad: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl WriteEchoProxy {
    /// A proxy for the fake at `upstream` (`http://127.0.0.1:port`).
    fn start(upstream: &str, is_write: IsWrite) -> WriteEchoProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        let proxy = WriteEchoProxy {
            url,
            pad: Arc::new(AtomicUsize::new(0)),
            seen: Arc::new(Mutex::new(Vec::new())),
            stop: Arc::new(AtomicBool::new(false)),
        };
        let (pad, seen, stop) = (proxy.pad.clone(), proxy.seen.clone(), proxy.stop.clone());
        std::thread::spawn(move || {
            let started = Instant::now();
            while !stop.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(300) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let pad = pad.load(Ordering::SeqCst);
                        let (seen, upstream) = (seen.clone(), upstream.clone());
                        std::thread::spawn(move || {
                            serve(stream, pad, &upstream, is_write, &seen);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        proxy
    }

    /// Every credential a write carried, without its scheme word (`Bearer`).
    fn credentials(&self) -> Vec<String> {
        let seen = self.seen.lock().unwrap();
        seen.iter()
            .map(|value| {
                value
                    .split_once(' ')
                    .map_or(value.as_str(), |(_, v)| v)
                    .to_string()
            })
            .collect()
    }
}

impl Drop for WriteEchoProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// One request on `stream`: a write is echoed, anything else forwarded to `upstream` with
/// `connection: close`, its answer passed back closed too.
fn serve(
    stream: TcpStream,
    pad: usize,
    upstream: &str,
    is_write: IsWrite,
    seen: &Mutex<Vec<String>>,
) {
    let (request, mut stream) = read_request(stream);
    let mut parts = request.line.split(' ');
    let (method, path) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let head = format!(
        "{}{}connection: close\r\n\r\n",
        request.line, request.headers
    );
    let credentials = request.credentials.clone();
    let response = if is_write(method, path) {
        seen.lock().unwrap().extend(credentials.iter().cloned());
        let text = format!("{}{}", ".".repeat(pad), credentials.join(" "));
        format!(
            "HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
            text.len()
        )
        .into_bytes()
    } else {
        forward(upstream, head.as_bytes(), &request.body)
    };
    let _ = stream.write_all(&response);
}

/// Sends one request to `upstream` and returns its whole answer, marked `connection: close`.
fn forward(upstream: &str, head: &[u8], body: &[u8]) -> Vec<u8> {
    let Ok(mut stream) = TcpStream::connect(upstream) else {
        return b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            .to_vec();
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.write_all(head).and_then(|()| stream.write_all(body));
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(answer.len());
    let (head, rest) = answer.split_at(split);
    let mut kept: Vec<u8> = String::from_utf8_lossy(head)
        .split("\r\n")
        .filter(|line| !line.to_ascii_lowercase().starts_with("connection:"))
        .collect::<Vec<_>>()
        .join("\r\n")
        .into_bytes();
    kept.extend_from_slice(b"\r\nconnection: close");
    kept.extend_from_slice(rest);
    kept
}

/// The first prefix longer than 4 characters of a form in `forms` that `text` holds.
fn leaked_prefix(text: &str, forms: &[String]) -> Option<String> {
    forms.iter().filter(|form| form.len() > 4).find_map(|form| {
        (5..=form.len())
            .find(|&len| text.contains(&form[..len]))
            .map(|len| format!("{}… ({len} characters)", &form[..4]))
    })
}

/// Runs `apply` (JSON report, debug log) through `run` once per pad that puts the cut inside
/// the longest of `secrets` or of the credentials the proxy saw, and fails on any prefix of
/// them in the output. Returns how many runs quoted the echo, redacted.
fn apply_with_every_pad(
    proxy: &WriteEchoProxy,
    secrets: &[String],
    run: impl Fn() -> Outcome,
) -> usize {
    // One run first, to learn the credentials the writes carry (a Bearer token issued now).
    proxy.pad.store(0, Ordering::SeqCst);
    let first = run();
    let mut forms = secrets.to_vec();
    forms.extend(proxy.credentials());
    assert!(
        !proxy.credentials().is_empty(),
        "no write reached the proxy: {first:?}"
    );
    let longest = forms.iter().map(String::len).max().unwrap_or(0);
    let pads = CUT.saturating_sub(longest + 8)..=CUT + 2;
    // At most about 30 runs: every pad for a short token, a stride through a long one (a
    // JWT is cut inside at every pad below the cut).
    let stride = pads.clone().count().div_ceil(MAX_RUNS);
    let mut quoted = 0;
    for pad in pads.step_by(stride) {
        proxy.pad.store(pad, Ordering::SeqCst);
        let out = run();
        let seen = format!("{}\n{}", out.stdout, out.stderr);
        // Credentials of this run's writes too (a token may be issued again).
        forms.extend(proxy.credentials());
        if let Some(leak) = leaked_prefix(&seen, &forms) {
            panic!("pad {pad}: {leak} in the output:\n{seen}");
        }
        let after_pad = format!("HTTP 500: {}", ".".repeat(pad));
        if seen.contains(&after_pad) && seen.contains("<redacted>") {
            quoted += 1;
        }
    }
    quoted
}

#[test]
fn no_gitlab_token_prefix_survives_a_failed_runner_create_cut_at_any_offset() {
    let lab = RunnerLab::new("");
    lab.fleet.gitlab.add_pending_job("group/app", &["autogit"]);
    let proxy = WriteEchoProxy::start(&lab.fleet.gitlab.url(), |method, path| {
        method == "POST" && path.ends_with("/user/runners")
    });
    let yaml = std::fs::read_to_string(&lab.config).unwrap();
    let yaml = yaml.replace(&lab.fleet.gitlab.url(), &proxy.url);
    std::fs::write(&lab.config, yaml).unwrap();
    let quoted = apply_with_every_pad(&proxy, &[lab.fleet.gitlab.admin_token()], || {
        lab.command(&["apply", "--format", "json"])
            .env("DEVICEPOOL_LOG", "debug")
            .run()
    });
    assert!(
        quoted > 0,
        "the runner create's error quoted the echo, redacted"
    );
    assert!(
        lab.fleet.gitlab.runners().is_empty(),
        "no runner was created"
    );
}

#[test]
fn no_testflinger_secret_prefix_survives_a_failed_submit_cut_at_any_offset() {
    let lab = RackLab::new();
    let tf = &lab.fleet.testflinger;
    tf.set_auth_required(true);
    tf.add_client("lab-deployer", TF_CLIENT_SECRET, "contributor");
    let proxy = WriteEchoProxy::start(&tf.url(), |method, path| {
        method == "POST" && path.split('?').next() == Some("/v1/job")
    });
    let yaml = lab.yaml(2).replace(
        &format!("    url: {}\n", tf.url()),
        &format!(
            "    url: {}\n    client_id: lab-deployer\n    client_secret_env: TF_SECRET\n",
            proxy.url
        ),
    );
    std::fs::write(&lab.config, yaml).unwrap();
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("lab-deployer:{TF_CLIENT_SECRET}"));
    let secrets = [
        TF_CLIENT_SECRET.to_string(),
        basic,
        lab.fleet.maas.api_key(),
    ];
    let submitted = lab.submitted_agents().len();
    let quoted = apply_with_every_pad(&proxy, &secrets, || {
        lab.command(&["apply", lab.config_arg(), "--format", "json"])
            .env("DEVICEPOOL_LOG", "debug")
            .env("TF_SECRET", TF_CLIENT_SECRET)
            .run()
    });
    assert!(quoted > 0, "the submit's error quoted the echo, redacted");
    assert_eq!(
        lab.submitted_agents().len(),
        submitted,
        "no job was submitted"
    );
}
