//! Problem details for requests the HTTP parser itself refuses.
//!
//! Some requests never reach the router: a header with bytes HTTP does
//! not allow (400), a URI past 64 KiB (414), a head too large for the
//! parser's buffer or with too many headers (431). hyper answers those
//! itself, before any service runs, with a status line and no body, and
//! has no hook to answer otherwise. Every other error of this server is
//! RFC 9457 problem+json, and clients should not need a second way to
//! read errors. So the connection's writer recognises hyper's automatic
//! answer (a status of 400, 414 or 431 with `content-length: 0` and no
//! `content-type`, a shape the router never sends: its errors all carry
//! a problem body) and writes the problem instead. hyper closes such a
//! connection right after, so nothing follows on it.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The problem+json answer that replaces hyper's bodyless `head`, if
/// `head` is one of its automatic answers to a request it could not parse.
pub fn problem_for(head: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(head).ok()?;
    let rest = text.strip_prefix("HTTP/1.1 ")?;
    if !text.ends_with("\r\n\r\n") {
        return None;
    }
    let (code, title, detail) = match rest.get(..4)? {
        "400 " => (
            "malformed-request",
            "Malformed request",
            "the request line or a header is not valid HTTP (for example a byte a header may not contain)",
        ),
        "414 " => (
            "uri-too-long",
            "URI too long",
            "the request's URI is longer than this server reads",
        ),
        "431 " => (
            "headers-too-large",
            "Request headers too large",
            "the request's headers are too many or too large",
        ),
        _ => return None,
    };
    let lower = text.to_ascii_lowercase();
    if !lower.contains("\r\ncontent-length: 0\r\n") || lower.contains("\r\ncontent-type:") {
        return None;
    }
    let status: u16 = rest[..3].parse().ok()?;
    let body = serde_json::json!({
        "type": format!("urn:granttrail:problem:{code}"),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    })
    .to_string();
    let reason = rest[4..].split("\r\n").next().unwrap_or("");
    Some(
        format!(
            "HTTP/1.1 {status} {reason}\r\ncontent-type: application/problem+json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

/// A connection whose writes pass through unchanged, except hyper's
/// automatic answers, which become problem details ([`problem_for`]).
pub struct ProblemAnswers<S> {
    inner: S,
    /// A replacement answer and how much of it is written.
    replacing: Option<(Vec<u8>, usize)>,
}

impl<S> ProblemAnswers<S> {
    /// Wraps a connection.
    pub fn new(inner: S) -> ProblemAnswers<S> {
        ProblemAnswers {
            inner,
            replacing: None,
        }
    }
}

impl<S: AsyncWrite + Unpin> ProblemAnswers<S> {
    /// Writes what is left of the replacement; ready once all of it is.
    fn poll_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = &mut self.replacing {
            if *written == bytes.len() {
                self.replacing = None;
                break;
            }
            match Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => *written += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ProblemAnswers<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ProblemAnswers<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.replacing.is_none()
            && buf.len() < 512
            && let Some(problem) = problem_for(buf)
        {
            this.replacing = Some((problem, 0));
        }
        if this.replacing.is_some() {
            // The replacement stands for the whole of hyper's answer.
            return this.poll_replacement(cx).map_ok(|()| buf.len());
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match this.poll_replacement(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.inner).poll_flush(cx),
            other => other,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match this.poll_replacement(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.inner).poll_shutdown(cx),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn automatic(status: &str) -> Vec<u8> {
        format!(
            "HTTP/1.1 {status}\r\ncontent-length: 0\r\ndate: Mon, 30 Nov 2026 06:00:00 GMT\r\n\r\n"
        )
        .into_bytes()
    }

    fn check(head: &[u8], code: Option<&str>) {
        let replaced = problem_for(head).map(|bytes| String::from_utf8(bytes).unwrap());
        match (replaced, code) {
            (None, None) => {}
            (Some(answer), Some(code)) => {
                let (head, body) = answer.split_once("\r\n\r\n").unwrap();
                assert!(
                    head.contains("content-type: application/problem+json"),
                    "{head}"
                );
                assert!(
                    head.contains(&format!("content-length: {}", body.len())),
                    "{head}"
                );
                let problem: serde_json::Value = serde_json::from_str(body).unwrap();
                assert_eq!(problem["code"], code);
                assert_eq!(problem["status"].to_string(), head[9..12]);
            }
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn the_parsers_own_answers_become_problems() {
        check(&automatic("400 Bad Request"), Some("malformed-request"));
        check(&automatic("414 URI Too Long"), Some("uri-too-long"));
        check(
            &automatic("431 Request Header Fields Too Large"),
            Some("headers-too-large"),
        );
    }

    #[test]
    fn answers_of_the_router_pass_unchanged() {
        // A problem the router sent: it has a content type and a body.
        check(
            b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\ncontent-length: 0\r\n\r\n",
            None,
        );
        check(&automatic("200 OK"), None);
        check(&automatic("404 Not Found"), None);
        // A body chunk that merely starts like a status line.
        check(b"HTTP/1.1 400 Bad Request is what we got", None);
    }
}
