//! Starts moto's server (`pip install 'moto[server]'`), a second, independent Glue
//! implementation, for tests that should not share the mistakes of our own mock.
//!
//! Where `moto_server` is looked for: `$OMCTL_MOTO_SERVER`, then
//! `target/tools/moto/bin/moto_server` in the workspace (where `cargo xtask test`
//! installs it). When it is missing, [`MotoServer::start_or_skip`] fails the test
//! if `CI` is set, and otherwise skips it with a note on stderr.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `moto_server` on 127.0.0.1, stopped when dropped.
pub struct MotoServer {
    child: Child,
    port: u16,
}

/// Why moto could not be started.
#[derive(Debug, thiserror::Error)]
pub enum MotoError {
    #[error(
        "moto_server not found ({0}); install it with \
         `python3 -m venv target/tools/moto && target/tools/moto/bin/pip install 'moto[server]==5.2.5'` \
         or run `cargo xtask test`, which does that"
    )]
    NotFound(String),
    #[error("cannot start {path}: {source}")]
    Spawn {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("moto_server did not accept connections on 127.0.0.1:{0} within 60 s")]
    NotReady(u16),
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The `moto_server` executable, if installed.
pub fn find_moto_server() -> Result<PathBuf, MotoError> {
    if let Some(p) = std::env::var_os("OMCTL_MOTO_SERVER").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if p.exists() {
            Ok(p)
        } else {
            Err(MotoError::NotFound(format!(
                "{} (from OMCTL_MOTO_SERVER)",
                p.display()
            )))
        };
    }
    let local =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/tools/moto/bin/moto_server");
    if local.exists() {
        Ok(local)
    } else {
        Err(MotoError::NotFound(format!(
            "OMCTL_MOTO_SERVER is not set and {} does not exist",
            local.display()
        )))
    }
}

impl MotoServer {
    /// Starts moto on a free port of 127.0.0.1 and waits until it answers.
    pub fn start() -> Result<MotoServer, MotoError> {
        let path = find_moto_server()?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .map_err(|source| MotoError::Spawn {
                path: path.display().to_string(),
                source,
            })?;
        let child = Command::new(&path)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| MotoError::Spawn {
                path: path.display().to_string(),
                source,
            })?;
        let server = MotoServer { child, port };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if Instant::now() > deadline {
                return Err(MotoError::NotReady(port));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(server)
    }

    /// [`MotoServer::start`] for tests: `None` (with a note) when moto is not
    /// installed and `CI` is not set; a panic naming the fix when it is.
    pub fn start_or_skip(test: &str) -> Option<MotoServer> {
        match MotoServer::start() {
            Ok(s) => Some(s),
            Err(e @ MotoError::NotFound(_)) if !ci() => {
                eprintln!("skipping {test}: {e}");
                None
            }
            Err(e) => panic!("{test} needs moto: {e}"),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        // Our own child process, by its handle.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
