//! Secrets echoed back across the excerpt cut: a loopback server answers every request of
//! every source with 500 and N pad characters followed by the request's header values,
//! target and body, for every N around the 200-character cut. No prefix of any secret (or
//! of the encoded form the request carried) longer than 4 characters may appear in stdout,
//! stderr at debug level, the saved plan or the recorded snapshot.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;

use crate::support::{LabDir, devicepool};

const TC_TOKEN: &str = "tcq9Zr71-Lm4xPw82-Hs55Jd";
const LT_KEY: &str = "ltk7Wq3Rv-Ny6Tb2-Cx9Pa";
const MAAS_KEY: &str = "Mcq4Rb7Tz9Xw2Vn5:Mtk8Lp3Jd6Hs1Gf4:Msx+a/b=c%d&eQ7Kv2Wr9Zy5Nu3Bt8";
const TF_SECRET: &str = "tfs5Ke8Yh2-Qd7Um4-Wc1Ro";
const GITLAB_TOKEN: &str = "glpat-Sx81Kq0Zmw9TtYv3Bn2R";

/// Answers every request with 500: `pad` dots, then the request's `Authorization` (for
/// Taskcluster, which reads without one, the pool's token, as an upstream that leaks it
/// would), its query string and its body. Testflinger's agent list alone reads fine. Stops when told, or after two minutes whatever happens.
struct EchoServer {
    port: u16,
    pad: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl EchoServer {
    fn start() -> EchoServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let pad = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (pad_seen, stop_seen) = (pad.clone(), stop.clone());
        std::thread::spawn(move || {
            let started = Instant::now();
            while !stop_seen.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(120)
            {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let pad = pad_seen.load(Ordering::SeqCst);
                        std::thread::spawn(move || answer(stream, pad));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        EchoServer { port, pad, stop }
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// One request as a test server reads it (headers and a `content-length` body, each bounded).
pub(crate) struct ReadRequest {
    /// The request line, `METHOD target HTTP/1.1\r\n`.
    pub(crate) line: String,
    /// Every header line but `connection`, as sent.
    pub(crate) headers: String,
    /// The `Authorization` and `PRIVATE-TOKEN` values.
    pub(crate) credentials: Vec<String>,
    pub(crate) body: Vec<u8>,
}

/// Reads one request from `stream`; gives the stream back for the answer.
pub(crate) fn read_request(stream: TcpStream) -> (ReadRequest, TcpStream) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.take(1 << 22));
    let mut request = ReadRequest {
        line: String::new(),
        headers: String::new(),
        credentials: Vec::new(),
        body: Vec::new(),
    };
    let _ = reader.read_line(&mut request.line);
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap_or_default();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().unwrap_or(0).min(1 << 20),
            "authorization" | "private-token" => request.credentials.push(value.trim().to_string()),
            "connection" => continue,
            _ => {}
        }
        request.headers.push_str(&line);
    }
    request.body = vec![0; length];
    let _ = reader.read_exact(&mut request.body);
    (request, reader.into_inner().into_inner())
}

/// Reads one request and echoes it.
fn answer(stream: TcpStream, pad: usize) {
    let (request, mut stream) = read_request(stream);
    let target = request.line;
    let mut echoed = request.credentials;
    let request_target = target.split(' ').nth(1).unwrap_or_default();
    if request_target.starts_with("/tc/") {
        echoed.push(TC_TOKEN.to_string());
    }
    echoed.push(
        request_target
            .split_once('?')
            .unwrap_or_default()
            .1
            .to_string(),
    );
    echoed.push(String::from_utf8_lossy(&request.body).into_owned());
    // The agent list reads fine, so that a rack's MAAS error is the one reported.
    let (status, text) = if request_target.starts_with("/tf/v1/agents/data") {
        ("200 OK", "[]".to_string())
    } else {
        let text = format!("{}{}", ".".repeat(pad), echoed.join(" "));
        ("500 Internal Server Error", text)
    };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.write_all(response.as_bytes());
}

/// The desired state: `sources` (`ECHO` stands for the echo server's URL, `PORT` for its
/// port) and the pools that read them.
fn config(sources: &str, pools: &str) -> String {
    let head =
        "version: 1\nsettings:\n  http:\n    timeout: 2s\n    retries: 0\n    backoff: 10ms\n";
    format!("{head}sources:\n{sources}{pools}").replace("ECHO", "http://127.0.0.1:PORT")
}

const RACK: &str = "racks:
  rack-a:
    maas_tags: [rack-a]
    agent_location: TOR3
    every: 6h
    provision_data:
      distro: noble
";

/// Every source but MAAS: racks read MAAS only once they have a Testflinger token, and here
/// the token request is the one echoed.
fn every_source_but_maas() -> String {
    let sources = "  taskcluster:
    root_url: ECHO/tc
  lambdatest:
    api_url: ECHO/lt
    devices_url: ECHO/lt
    cli: /bin/false
  maas:
    url: ECHO/maas/MAAS/
    api_key_env: MAAS_API_KEY
  testflinger:
    url: ECHO/tf
    client_id: lab-deployer
    client_secret_env: TF_SECRET
  gitlab:
    url: ECHO/gl
    token_env: GITLAB_TOKEN
  docker:
    host: tcp://127.0.0.1:PORT
";
    let pools = "device_pools:
  a55:
    task_queue: proj-autophone/gecko-t-a55
    client_id: project/autophone/a55
    access_token_env: TC_TOKEN_A55
    devices: [R5CX1A2B3C]
runner_pools:
  autogit:
    tags: [autogit]
    projects: [autogit/platform]
    image: gitlab/gitlab-runner:latest
    max_runners: 2
";
    config(sources, &format!("{pools}{RACK}"))
}

/// MAAS, read with an anonymous Testflinger.
fn maas() -> String {
    let sources = "  maas:
    url: ECHO/maas/MAAS/
    api_key_env: MAAS_API_KEY
  testflinger:
    url: ECHO/tf
";
    config(sources, RACK)
}

/// What no output may hold any 5-character prefix of: each secret, and each form a request
/// carried it in (Basic credentials; the MAAS signature, percent-encoded twice).
fn secret_forms() -> Vec<String> {
    let basic = |user: &str, password: &str| {
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    };
    let encode = |raw: &str| -> String {
        raw.bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let mut forms: Vec<String> = [TC_TOKEN, LT_KEY, MAAS_KEY, TF_SECRET, GITLAB_TOKEN]
        .map(String::from)
        .to_vec();
    forms.extend(MAAS_KEY.split(':').map(String::from));
    let token_secret = MAAS_KEY.rsplit(':').next().unwrap();
    forms.push(encode(&encode(token_secret)));
    forms.push(basic("lt-user", LT_KEY));
    forms.push(basic("lab-deployer", TF_SECRET));
    forms
}

/// The first place in `text` holding a prefix longer than 4 characters of a secret form.
fn leaked_prefix(text: &str) -> Option<String> {
    secret_forms().iter().find_map(|form| {
        (5..=form.len())
            .find(|&len| text.contains(&form[..len]))
            .map(|len| format!("{}… ({len} characters)", &form[..4]))
    })
}

/// Plans with `config` once per pad in `pads`, at debug level with `--out` and `--record`,
/// and fails on any secret prefix in what the run printed or wrote. Returns every API whose
/// error quoted an echoed credential, redacted, at some pad.
fn plan_with_every_pad(config: &str, pads: std::ops::RangeInclusive<usize>) -> Vec<String> {
    let server = EchoServer::start();
    let dir = LabDir::new(&["devicepool.yaml"]);
    let path = dir.path().join("devicepool.yaml");
    std::fs::write(&path, config.replace("PORT", &server.port.to_string())).unwrap();
    let (plan, record) = (dir.path().join("plan.json"), dir.path().join("record.json"));
    let mut quoted = Vec::new();
    for pad in pads {
        server.pad.store(pad, Ordering::SeqCst);
        let _ = (std::fs::remove_file(&plan), std::fs::remove_file(&record));
        let out = devicepool(&["plan", path.to_str().unwrap()])
            .args(&["--out", plan.to_str().unwrap()])
            .args(&["--record", record.to_str().unwrap()])
            .current_dir(dir.path())
            .env("DEVICEPOOL_LOG", "debug")
            .env("TC_TOKEN_A55", TC_TOKEN)
            .env("LT_USERNAME", "lt-user")
            .env("LT_ACCESS_KEY", LT_KEY)
            .env("MAAS_API_KEY", MAAS_KEY)
            .env("TF_SECRET", TF_SECRET)
            .env("GITLAB_TOKEN", GITLAB_TOKEN)
            .run();
        assert!(record.exists(), "pad {pad}: no snapshot\n{}", out.stderr);
        let mut seen = format!("{}\n{}", out.stdout, out.stderr);
        for file in [&plan, &record] {
            seen.push_str(&std::fs::read_to_string(file).unwrap_or_default());
        }
        if let Some(leak) = leaked_prefix(&seen) {
            panic!("pad {pad}: {leak} in the output or files:\n{seen}");
        }
        let after_pad = format!("HTTP 500: {}", ".".repeat(pad));
        for part in seen.split(['\n', ';']) {
            let api = part.split(": ").map(str::trim).find(|word| {
                ["taskcluster", "lambdatest", "maas", "testflinger", "gitlab"].contains(word)
            });
            let redacted = part.contains(&after_pad) && part.contains("<redacted>");
            if let Some(api) = api.filter(|_| redacted) {
                quoted.push(api.to_string());
            }
        }
    }
    quoted.sort();
    quoted.dedup();
    quoted
}

#[test]
fn no_secret_prefix_survives_an_echo_cut_at_any_offset() {
    let quoted = plan_with_every_pad(&every_source_but_maas(), 150..=260);
    assert_eq!(
        quoted,
        ["gitlab", "lambdatest", "taskcluster", "testflinger"],
        "each source quoted an echoed credential, redacted"
    );
}

/// The MAAS `Authorization` carries its secrets 80 to 220 characters in, so the cut crosses
/// them at smaller pads.
#[test]
fn no_maas_secret_prefix_survives_an_echo_cut_at_any_offset() {
    let quoted = plan_with_every_pad(&maas(), 0..=260);
    assert_eq!(
        quoted,
        ["maas"],
        "MAAS quoted its echoed credential, redacted"
    );
}
