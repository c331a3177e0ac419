//! The fakes' HTTP/1.1 transport: a loopback TCP or unix-socket listener that gives every
//! connection its own thread, keeps connections alive, reads `Content-Length` and chunked
//! request bodies and writes framed responses. It knows nothing of routes or faults
//! (`server.rs` does); it must never make a client wait for another client's connection.
//!
//! Why not tiny_http: its 0.12 worker pool counts idle workers loosely, so when several
//! connections arrive at once one can sit in its queue until some kept-alive connection closes.
//! A client then waits out its whole timeout. Seen in CI as a rare 30-second stall.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::http::{Request, Response};

/// Longest request line or header line accepted.
const MAX_LINE: u64 = 16 * 1024;
/// Most header lines accepted in one request.
const MAX_HEADERS: usize = 100;
/// Largest request body accepted.
const MAX_BODY: u64 = 16 * 1024 * 1024;

/// What the server does with each request.
pub(crate) type Handler = Arc<dyn Fn(Request) -> Response + Send + Sync>;

/// One accepted connection, over TCP or a unix socket.
enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    fn try_clone(&self) -> io::Result<Stream> {
        Ok(match self {
            Stream::Tcp(s) => Stream::Tcp(s.try_clone()?),
            Stream::Unix(s) => Stream::Unix(s.try_clone()?),
        })
    }

    fn shutdown(&self) {
        let _ = match self {
            Stream::Tcp(s) => s.shutdown(Shutdown::Both),
            Stream::Unix(s) => s.shutdown(Shutdown::Both),
        };
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.flush(),
            Stream::Unix(s) => s.flush(),
        }
    }
}

/// Connections still open, so that dropping the listener closes them too (a stopped fake
/// must look stopped, even to a client holding a kept-alive connection).
#[derive(Default)]
struct Open {
    state: Mutex<OpenState>,
}

#[derive(Default)]
struct OpenState {
    next: u64,
    streams: HashMap<u64, Stream>,
    /// Set by `close_all`: no connection is registered (or served) after it.
    closed: bool,
}

impl Open {
    /// Registers a handle on `stream`; `None`, with the stream shut, once the listener is
    /// closed (or when the handle cannot be made: such a connection could not be closed).
    fn register(self: &Arc<Self>, stream: &Stream) -> Option<Registration> {
        let mut state = self.lock();
        let handle = match stream.try_clone() {
            Ok(handle) if !state.closed => handle,
            _ => {
                stream.shutdown();
                return None;
            }
        };
        let id = state.next;
        state.next += 1;
        state.streams.insert(id, handle);
        Some(Registration {
            open: Arc::clone(self),
            id,
        })
    }

    fn close_all(&self) {
        let mut state = self.lock();
        state.closed = true;
        for (_, stream) in state.streams.drain() {
            stream.shutdown();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OpenState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A connection's entry in [`Open`]. Dropping it, also when its thread panics, shuts the
/// socket, so a client is never left waiting on a connection nobody serves.
struct Registration {
    open: Arc<Open>,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(stream) = self.open.lock().streams.remove(&self.id) {
            stream.shutdown();
        }
    }
}

/// How often an idle acceptor looks for a new connection or a stop request. The listener is
/// non-blocking so that stopping never depends on reaching it (a test may have removed the
/// socket file to simulate a missing daemon).
const ACCEPT_POLL: Duration = Duration::from_millis(2);

/// A running listener; stops accepting and closes its connections when dropped.
pub(crate) struct Wire {
    /// The unix socket file, removed on drop.
    socket_path: Option<PathBuf>,
    stopping: Arc<AtomicBool>,
    open: Arc<Open>,
    acceptor: Option<JoinHandle<()>>,
}

impl Wire {
    /// Listens on `127.0.0.1:0`; returns the listener and its address.
    pub(crate) fn tcp(handler: Handler) -> io::Result<(Wire, SocketAddr)> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let accept = move || {
            let (stream, _) = listener.accept()?;
            stream.set_nonblocking(false)?;
            Ok(Stream::Tcp(stream))
        };
        let name = format!("sim-accept-{}", addr.port());
        Ok((Wire::spawn(None, name, accept, handler)?, addr))
    }

    /// Listens on a new unix socket at `path`, which is removed again on drop.
    pub(crate) fn unix(path: &Path, handler: Handler) -> io::Result<Wire> {
        let listener = UnixListener::bind(path)?;
        listener.set_nonblocking(true)?;
        let accept = move || {
            let (stream, _) = listener.accept()?;
            stream.set_nonblocking(false)?;
            Ok(Stream::Unix(stream))
        };
        let name = "sim-accept-unix".to_string();
        Wire::spawn(Some(path.to_path_buf()), name, accept, handler)
    }

    fn spawn(
        socket_path: Option<PathBuf>,
        name: String,
        accept: impl Fn() -> io::Result<Stream> + Send + 'static,
        handler: Handler,
    ) -> io::Result<Wire> {
        let stopping = Arc::new(AtomicBool::new(false));
        let open = Arc::new(Open::default());
        let (stop, conns) = (Arc::clone(&stopping), Arc::clone(&open));
        let acceptor = std::thread::Builder::new().name(name).spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let stream = match accept() {
                    Ok(stream) => stream,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        std::thread::sleep(ACCEPT_POLL);
                        continue;
                    }
                    Err(_) => {
                        // Out of file descriptors, say: wait a little rather than spin.
                        std::thread::sleep(10 * ACCEPT_POLL);
                        continue;
                    }
                };
                let Some(registration) = conns.register(&stream) else {
                    continue;
                };
                let handler = Arc::clone(&handler);
                let spawned =
                    std::thread::Builder::new()
                        .name("sim-conn".into())
                        .spawn(move || {
                            let _registration = registration;
                            // The client hung up or sent garbage: the connection just ends.
                            let _ = converse(stream, handler.as_ref());
                        });
                if spawned.is_err() {
                    tracing::warn!("sim server could not spawn a connection thread");
                }
            }
        })?;
        Ok(Wire {
            socket_path,
            stopping,
            open,
            acceptor: Some(acceptor),
        })
    }
}

impl Drop for Wire {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // The acceptor sees the flag within one poll and drops the listener.
        if let Some(t) = self.acceptor.take() {
            let _ = t.join();
        }
        self.open.close_all();
        if let Some(path) = &self.socket_path {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Serves requests on one connection until the client closes it or asks to.
fn converse(
    stream: Stream,
    handler: &(dyn Fn(Request) -> Response + Send + Sync),
) -> io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        let head = match read_head(&mut reader) {
            Ok(Some(head)) => head,
            Ok(None) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                let answer = Response::text(400, &format!("bad request: {e}"));
                return write_response(&mut writer, &answer, false, false);
            }
            Err(e) => return Err(e),
        };
        if head
            .header("expect")
            .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
        {
            writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }
        let body = match read_body(&mut reader, &head) {
            Ok(body) => body,
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                let answer = Response::text(400, &format!("bad request body: {e}"));
                return write_response(&mut writer, &answer, false, false);
            }
            Err(e) => return Err(e),
        };
        let keep_alive = head.keeps_alive();
        let is_head = head.method.eq_ignore_ascii_case("HEAD");
        let mut request = Request::new(&head.method, &head.target);
        request.headers = head.headers;
        request.body = body;
        // A handler that panics answers 500; its connection still ends cleanly below.
        let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(request)))
            .unwrap_or_else(|_| Response::text(500, "the simulated server failed on this request"));
        write_response(&mut writer, &answer, is_head, keep_alive)?;
        if !keep_alive {
            return Ok(());
        }
    }
}

/// Request line and headers.
struct Head {
    method: String,
    target: String,
    version: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// HTTP/1.1 keeps the connection unless told `close`; HTTP/1.0 only when told
    /// `keep-alive`.
    fn keeps_alive(&self) -> bool {
        let connection = self.header("connection").map(str::to_ascii_lowercase);
        match connection.as_deref() {
            Some(v) if v.contains("close") => false,
            Some(v) if v.contains("keep-alive") => true,
            _ => self.version == "HTTP/1.1",
        }
    }
}

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

/// One CRLF- (or LF-) terminated line without its terminator; `None` at end of stream.
fn read_line(reader: &mut impl BufRead) -> io::Result<Option<String>> {
    let mut line = Vec::new();
    reader.take(MAX_LINE).read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Ok(None);
    }
    if line.pop() != Some(b'\n') {
        return Err(invalid("line too long or cut off"));
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line)
        .map(Some)
        .map_err(|_| invalid("line is not UTF-8"))
}

/// Reads the request line and headers; `None` when the client closed between requests.
fn read_head(reader: &mut impl BufRead) -> io::Result<Option<Head>> {
    let Some(line) = read_line(reader)? else {
        return Ok(None);
    };
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid(format!("malformed request line {line:?}")));
    };
    if method.is_empty() || !target.starts_with('/') || !version.starts_with("HTTP/1.") {
        return Err(invalid(format!("malformed request line {line:?}")));
    }
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader)?.ok_or_else(|| invalid("headers cut off"))?;
        if line.is_empty() {
            break;
        }
        if headers.len() == MAX_HEADERS {
            return Err(invalid("too many headers"));
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| invalid(format!("malformed header {line:?}")))?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    Ok(Some(Head {
        method: method.to_string(),
        target: target.to_string(),
        version: version.to_string(),
        headers,
    }))
}

/// Reads the body the headers announce: chunked, `Content-Length`, or none.
fn read_body(reader: &mut impl BufRead, head: &Head) -> io::Result<Vec<u8>> {
    let chunked = head
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        return read_chunked(reader);
    }
    let Some(length) = head.header("content-length") else {
        return Ok(Vec::new());
    };
    let length: u64 = length
        .parse()
        .map_err(|_| invalid(format!("bad Content-Length {length:?}")))?;
    if length > MAX_BODY {
        return Err(invalid(format!("body of {length} bytes is too large")));
    }
    let mut body = vec![0; length as usize];
    reader.read_exact(&mut body)?;
    Ok(body)
}

fn read_chunked(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = read_line(reader)?.ok_or_else(|| invalid("chunk cut off"))?;
        let size = line.split(';').next().unwrap_or("").trim();
        let size = u64::from_str_radix(size, 16)
            .map_err(|_| invalid(format!("bad chunk size {size:?}")))?;
        if size == 0 {
            // Trailer fields, up to the empty line.
            while read_line(reader)?.is_some_and(|l| !l.is_empty()) {}
            return Ok(body);
        }
        if size > MAX_BODY - body.len() as u64 {
            return Err(invalid("chunked body is too large"));
        }
        let start = body.len();
        body.resize(start + size as usize, 0);
        reader.read_exact(&mut body[start..])?;
        if read_line(reader)?.is_none_or(|l| !l.is_empty()) {
            return Err(invalid("chunk not followed by CRLF"));
        }
    }
}

/// Writes one framed response. 1xx, 204 and 304 carry no body; a HEAD answer states the
/// length but sends none.
fn write_response(
    out: &mut impl Write,
    answer: &Response,
    is_head: bool,
    keep_alive: bool,
) -> io::Result<()> {
    let status = answer.status;
    let bodiless = status < 200 || status == 204 || status == 304;
    let mut message = format!("HTTP/1.1 {status} {}\r\n", reason(status)).into_bytes();
    for (name, value) in &answer.headers {
        let framing = ["content-length", "transfer-encoding", "connection"]
            .iter()
            .any(|f| name.eq_ignore_ascii_case(f));
        if !framing {
            message.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
    }
    if !bodiless {
        message.extend_from_slice(format!("Content-Length: {}\r\n", answer.body.len()).as_bytes());
    }
    if !keep_alive {
        message.extend_from_slice(b"Connection: close\r\n");
    }
    message.extend_from_slice(b"\r\n");
    if !bodiless && !is_head {
        message.extend_from_slice(&answer.body);
    }
    out.write_all(&message)?;
    out.flush()
}

/// The reason phrase of the statuses the fakes use.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
