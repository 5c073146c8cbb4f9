//! Noticing a connection that has gone quiet: a stream wrapper that
//! stamps every read and write, and a future that resolves once nothing
//! was read or written for the idle timeout.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// A stream whose reads and writes are stamped, as milliseconds since
/// `epoch`, into the clock its idle watch reads.
pub struct Watched<S> {
    inner: S,
    epoch: Instant,
    last: Arc<AtomicU64>,
}

impl<S> Watched<S> {
    fn stamp(&self) {
        let now = self.epoch.elapsed().as_millis() as u64;
        self.last.store(now, Ordering::Relaxed);
    }
}

/// `stream`, stamped on every read and write, and a future that resolves
/// once it was quiet for `timeout`.
pub fn watched<S>(stream: S, timeout: Duration) -> (Watched<S>, impl Future<Output = ()>) {
    let epoch = Instant::now();
    let last = Arc::new(AtomicU64::new(0));
    let clock = last.clone();
    let idle = async move {
        loop {
            let quiet_since = epoch + Duration::from_millis(clock.load(Ordering::Relaxed));
            let deadline = quiet_since + timeout;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline).await;
        }
    };
    (
        Watched {
            inner: stream,
            epoch,
            last,
        },
        idle,
    )
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.stamp();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.stamp();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.stamp();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test(start_paused = true)]
    async fn a_quiet_stream_is_idle_after_the_timeout_and_traffic_postpones_it() {
        let (near, mut far) = tokio::io::duplex(64);
        let (mut stream, idle) = watched(near, Duration::from_secs(10));
        tokio::pin!(idle);
        tokio::time::advance(Duration::from_secs(6)).await;
        far.write_all(b"x").await.unwrap();
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte).await.unwrap();
        // 6 s in, traffic: the watch now ends at 16 s, not 10 s.
        tokio::time::advance(Duration::from_secs(9)).await;
        let early = tokio::time::timeout(Duration::ZERO, idle.as_mut()).await;
        assert!(early.is_err(), "idle 15 s in, though traffic came at 6 s");
        tokio::time::advance(Duration::from_secs(2)).await;
        idle.await;
    }
}
