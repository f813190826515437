//! The listening side, for plain HTTP and HTTPS alike (axum-server over hyper, HTTP/1.1 only):
//! a cap on concurrent connections, a header read timeout, a TLS handshake timeout, and a
//! timeout on a client that stops reading its answer. The request timeout (headers to answer,
//! the body included) is a middleware in `mod.rs`.

use std::future::{ready, Future, Ready};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum_server::accept::Accept;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::ServeLimits;

/// How long connections in flight may finish after shutdown begins.
const DRAIN: Duration = Duration::from_secs(10);

/// Accepts a connection only while fewer than the cap are open; beyond it the connection is
/// closed at once (the client sees it closed before any answer and retries later).
#[derive(Clone)]
pub(super) struct CappedAcceptor {
    permits: Arc<Semaphore>,
    max: usize,
    write_stall: Duration,
    warned: Arc<Mutex<Option<Instant>>>,
}

impl CappedAcceptor {
    pub(super) fn new(limits: &ServeLimits) -> Self {
        let max = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
        Self {
            permits: Arc::new(Semaphore::new(max)),
            max,
            write_stall: limits.request_timeout,
            warned: Arc::new(Mutex::new(None)),
        }
    }

    /// One warning a minute while connections are refused.
    fn warn_full(&self) {
        let now = Instant::now();
        let mut warned = self.warned.lock().unwrap_or_else(PoisonError::into_inner);
        if warned.is_none_or(|at| now.duration_since(at) >= Duration::from_secs(60)) {
            *warned = Some(now);
            tracing::warn!(
                max_connections = self.max,
                "connection cap reached: closing new connections until some end"
            );
        }
    }
}

impl<S> Accept<TcpStream, S> for CappedAcceptor {
    type Stream = Capped<TcpStream>;
    type Service = S;
    type Future = Ready<io::Result<(Self::Stream, Self::Service)>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        match self.permits.clone().try_acquire_owned() {
            Ok(permit) => ready(Ok((
                Capped {
                    inner: stream,
                    _permit: permit,
                    write_stall: self.write_stall,
                    stalled: None,
                },
                service,
            ))),
            Err(_) => {
                self.warn_full();
                ready(Err(io::Error::other("connection cap reached")))
            }
        }
    }
}

/// An accepted connection: holds its place under the cap until dropped, and fails a write that
/// has made no progress for `write_stall` (a client that stopped reading its answer).
pub(super) struct Capped<S> {
    inner: S,
    _permit: OwnedSemaphorePermit,
    write_stall: Duration,
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> Capped<S> {
    /// A write is pending: start (or check) the stall clock.
    fn pending<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let limit = self.write_stall;
        let sleep = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client stopped reading",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn progressed<T>(
        &mut self,
        result: Poll<io::Result<T>>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<T>> {
        match result {
            Poll::Pending => self.pending(cx),
            ready => {
                self.stalled = None;
                ready
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Capped<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Capped<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.progressed(result, cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.progressed(result, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_flush(cx);
        this.progressed(result, cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.progressed(result, cx)
    }
}

/// HTTP/1.1 only, keep-alive, and a header read timeout that also bounds how long an idle
/// kept-alive connection stays open (hyper starts it whenever it waits for a request head).
fn http1<A>(
    server: axum_server::Server<SocketAddr, A>,
    limits: &ServeLimits,
) -> axum_server::Server<SocketAddr, A> {
    // After `acceptor`/`map`: those reset the version choice.
    let mut server = server.http1_only();
    server
        .http_builder()
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    server
}

/// Runs `shutdown`, then lets requests in flight finish for up to [`DRAIN`].
fn handle_for(
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> axum_server::Handle<SocketAddr> {
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopper.graceful_shutdown(Some(DRAIN));
    });
    handle
}

/// Serves `app` over plain HTTP on `listener`.
pub(super) async fn plain(
    app: Router,
    listener: TcpListener,
    limits: &ServeLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let server = axum_server::from_tcp(listener.into_std()?)?.acceptor(CappedAcceptor::new(limits));
    http1(server, limits)
        .handle(handle_for(shutdown))
        .serve(app.into_make_service_with_connect_info::<SocketAddr>())
        .await
}

/// Serves `app` over HTTPS on `listener`; the TLS handshake has the header timeout.
pub(super) async fn tls(
    app: Router,
    listener: TcpListener,
    config: RustlsConfig,
    limits: &ServeLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let acceptor = RustlsAcceptor::new(config)
        .handshake_timeout(limits.header_timeout)
        .acceptor(CappedAcceptor::new(limits));
    let server = axum_server::from_tcp(listener.into_std()?)?.acceptor(acceptor);
    http1(server, limits)
        .handle(handle_for(shutdown))
        .serve(app.into_make_service_with_connect_info::<SocketAddr>())
        .await
}
