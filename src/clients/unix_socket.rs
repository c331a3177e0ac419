//! HTTP over a unix socket (the Docker daemon's `/var/run/docker.sock`) through ureq's own
//! HTTP/1.1 machinery: a `Connector` that opens a `UnixStream` instead of a TCP socket, and a
//! resolver that does no DNS. No HTTP is written by hand here; only bytes are moved.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};

use ureq::Error;
use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, LazyBuffers, NextTimeout, ShutdownHandle, Transport,
};

/// An agent with `config` (proxies off: a proxy cannot reach a local socket) whose every
/// connection goes to the socket at `path`, whatever host the URL names.
pub(crate) fn agent(
    config: ureq::config::ConfigBuilder<ureq::typestate::AgentScope>,
    path: &Path,
) -> ureq::Agent {
    let config = config.proxy(None).build();
    let connector = UnixConnector {
        path: path.to_path_buf(),
    };
    ureq::Agent::with_parts(config, connector, NoDns)
}

/// Opens a fresh `UnixStream` to one path for every connection ureq asks for.
#[derive(Debug)]
struct UnixConnector {
    path: PathBuf,
}

impl Connector<()> for UnixConnector {
    type Out = UnixTransport;

    fn connect(
        &self,
        details: &ConnectionDetails,
        _chained: Option<()>,
    ) -> Result<Option<UnixTransport>, Error> {
        // A missing socket is `NotFound`, a dead one `ConnectionRefused`: both `Error::Io`.
        let stream = Arc::new(Socket(UnixStream::connect(&self.path)?));
        let handle = Arc::downgrade(&stream) as Weak<dyn ShutdownHandle>;
        (details.register_shutdown)(handle)?;
        let config = details.config;
        Ok(Some(UnixTransport {
            stream,
            buffers: LazyBuffers::new(config.input_buffer_size(), config.output_buffer_size()),
        }))
    }
}

/// A connected socket, shared with the agent's shutdown handle.
#[derive(Debug)]
struct Socket(UnixStream);

impl ShutdownHandle for Socket {
    fn shutdown(&self) {
        let _ = self.0.shutdown(std::net::Shutdown::Both);
    }
}

/// One connection: ureq's buffers over a `UnixStream`, honouring ureq's timeouts.
#[derive(Debug)]
struct UnixTransport {
    stream: Arc<Socket>,
    buffers: LazyBuffers,
}

/// The remaining budget, or the timeout error when it is spent.
fn budget(timeout: NextTimeout) -> Result<Option<std::time::Duration>, Error> {
    if timeout.after.is_zero() {
        return Err(Error::Timeout(timeout.reason));
    }
    Ok(timeout.not_zero().map(|d| *d))
}

/// Maps a timed-out I/O call to ureq's timeout error.
fn io_error(e: io::Error, timeout: NextTimeout) -> Error {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Error::Timeout(timeout.reason),
        _ => Error::Io(e),
    }
}

impl Transport for UnixTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        let timeout = timeout.for_write();
        let stream = &self.stream.0;
        stream.set_write_timeout(budget(timeout)?)?;
        let output = &self.buffers.output()[..amount];
        let mut writer = stream;
        writer.write_all(output).map_err(|e| io_error(e, timeout))
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        let timeout = timeout.for_read();
        let stream = &self.stream.0;
        stream.set_read_timeout(budget(timeout)?)?;
        let input = self.buffers.input_append_buf();
        let mut reader = stream;
        let amount = loop {
            match reader.read(input) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other.map_err(|e| io_error(e, timeout))?,
            }
        };
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        // Open means: not closed by the peer and no unexpected bytes waiting.
        let stream = &self.stream.0;
        if stream.set_nonblocking(true).is_err() {
            return false;
        }
        let mut probe = [0u8; 1];
        let mut reader = stream;
        let open =
            matches!(reader.read(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        open && stream.set_nonblocking(false).is_ok()
    }
}

/// "Resolves" every host to a placeholder address: the connector ignores it.
#[derive(Debug)]
struct NoDns;

impl Resolver for NoDns {
    fn resolve(
        &self,
        _uri: &Uri,
        _config: &Config,
        _timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, Error> {
        let mut addrs = self.empty();
        addrs.push(SocketAddr::from(([127, 0, 0, 1], 0)));
        Ok(addrs)
    }
}
