//! Test support for the crash-safety suite: appends to the SQLite store as
//! fast as it can from several tasks and prints one line per acknowledged
//! event (`ack STREAM VERSION HASH`), flushed before the next append, until
//! it is killed. Not part of the product.

use std::io::Write;

use granttrail_store::{AppendOutcome, EventStore, ExpectedVersion};
use granttrail_store_conformance::{append, new_stream};
use granttrail_store_sqlite::SqliteStore;

#[tokio::main]
async fn main() {
    let Some(url) = std::env::args().nth(1) else {
        eprintln!("usage: granttrail-crash-appender sqlite://FILE");
        std::process::exit(2);
    };
    let store = match SqliteStore::open(&url).await {
        Ok(store) => store,
        Err(e) => {
            eprintln!("cannot open {url}: {e}");
            std::process::exit(1);
        }
    };
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let id = new_stream();
                let mut expected = ExpectedVersion::NoStream;
                loop {
                    match store.append(append(id, expected)).await {
                        Ok(AppendOutcome::Appended(events)) => {
                            let mut out = std::io::stdout().lock();
                            for e in &events {
                                let _ =
                                    writeln!(out, "ack {} {} {}", e.stream_id, e.version, e.hash);
                            }
                            let _ = out.flush();
                            expected =
                                ExpectedVersion::Exact(events.last().map_or(0, |e| e.version));
                        }
                        other => {
                            eprintln!("append failed: {other:?}");
                            return;
                        }
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
}
