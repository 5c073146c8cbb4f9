//! Serving the router over HTTP/1.1 with the limits a public server
//! needs: a client must send its request headers within a time limit,
//! an idle keep-alive connection is closed, and the number of open
//! connections is capped.
//!
//! `axum::serve` sets none of these: 500 clients trickling headers a byte
//! at a time held their connections forever, and 20 000 idle sockets
//! exhausted the file descriptors until authenticated requests timed out.
//! Here each connection is a hyper HTTP/1 connection with a timer (its
//! header-read timeout starts whenever the connection waits for a
//! request, so it also ends idle keep-alive connections) inside a tokio
//! task holding one of `max_connections` permits; at the cap the server
//! stops accepting (new clients wait in the kernel's backlog) and logs it.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

/// The connection limits; `config/default.toml` documents each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// A client must send a request's headers within this time; it also
    /// bounds how long a keep-alive connection may wait for its next
    /// request.
    pub header_read_timeout: Duration,
    /// A connection with no request in flight and nothing read or
    /// written for this long is closed.
    pub idle_timeout: Duration,
    /// At most this many connections are open at once.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets the
/// open connections finish their requests (the caller bounds how long it
/// waits for this future).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let max = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let permits = Arc::new(Semaphore::new(max));
    let (stop, stopping) = watch::channel(false);
    tokio::pin!(shutdown);
    let mut at_cap = false;
    loop {
        if permits.available_permits() == 0 && !at_cap {
            at_cap = true;
            tracing::warn!(
                max_connections = max,
                "connection cap reached; new connections wait until one closes"
            );
        }
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        if at_cap && permits.available_permits() > max / 10 {
            at_cap = false;
            tracing::info!("connections are below the cap again");
        }
        let (stream, _remote) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors (or another passing accept
                    // error): wait a moment rather than spin.
                    tracing::error!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            // Held until the connection is done: one permit each.
            let _permit = permit;
            let stream = crate::parse_errors::ProblemAnswers::new(stream);
            let (stream, idle) = crate::idle::watched(stream, limits.idle_timeout);
            let io = TokioIo::new(stream);
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                .max_buf_size(128 * 1024)
                .serve_connection(io, service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => return,
                _ = stopping.wait_for(|s| *s) => {}
                _ = idle => {}
            }
            // Shutting down or idle: finish the request in flight, if
            // any, then close.
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        });
    }
    let _ = stop.send(true);
    // Every connection returns its permit when it ends.
    let _ = permits.acquire_many(max as u32).await;
}
