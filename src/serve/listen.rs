//! The accept loop: each connection served by hyper's HTTP/1 with a header size limit and a
//! header read timeout (which `axum::serve` does not expose), and a graceful shutdown with a
//! deadline.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::ServeConfig;

/// Where the server is in its life; every connection watches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Accepting and serving.
    Serving,
    /// No longer accepting: each connection finishes its request in flight, then closes.
    Draining,
    /// The drain's deadline has passed: every connection closes now.
    Closing,
}

type Connection = http1::Connection<TokioIo<TcpStream>, TowerToHyperService<Router>>;

/// Serves `app` on `listener` until `shutdown` resolves, then drains for at most
/// `config.shutdown_timeout_s` and closes what is left.
pub(super) async fn serve(
    listener: TcpListener,
    app: Router,
    config: &ServeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(config.header_timeout_s))
        .max_header_size(config.max_header_bytes);
    let (phase, watching) = watch::channel(Phase::Serving);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                // Out of file descriptors, or a connection reset before it was accepted: the
                // listener itself is fine, so wait a moment (EMFILE would spin) and go on.
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let connection = http.serve_connection(TokioIo::new(stream), service);
        tokio::spawn(serve_connection(connection, watching.clone()));
    }
    drop(listener);
    drop(watching);
    phase.send_replace(Phase::Draining);
    let deadline = Duration::from_secs(config.shutdown_timeout_s);
    if tokio::time::timeout(deadline, phase.closed())
        .await
        .is_err()
    {
        tracing::warn!(
            seconds = config.shutdown_timeout_s,
            "shutdown deadline passed: closing the connections still open"
        );
        phase.send_replace(Phase::Closing);
        // Each connection task ends at its next poll; a request's blocking inference, if any,
        // finishes on its own thread.
        let _ = tokio::time::timeout(Duration::from_secs(1), phase.closed()).await;
    }
    Ok(())
}

/// Serves one connection until it ends, or until the shutdown asks it to finish its request
/// in flight and close (or, past the deadline, to close now).
async fn serve_connection(connection: Connection, mut phase: watch::Receiver<Phase>) {
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        ended = connection.as_mut() => return log_end(ended),
        () = reaches(&mut phase, Phase::Draining) => {}
    }
    connection.as_mut().graceful_shutdown();
    tokio::select! {
        ended = connection.as_mut() => log_end(ended),
        () = reaches(&mut phase, Phase::Closing) => {}
    }
}

/// Resolves once the phase is `at` or later (or the server is gone).
async fn reaches(phase: &mut watch::Receiver<Phase>, at: Phase) {
    let order = |p: Phase| p as u8;
    let _ = phase.wait_for(|p| order(*p) >= order(at)).await;
}

fn log_end(ended: hyper::Result<()>) {
    if let Err(e) = ended {
        // A client gone mid-request, a header timeout, a malformed request: the client's
        // doing, not the server's.
        tracing::debug!(error = %e, "connection ended");
    }
}
