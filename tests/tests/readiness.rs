//! Readiness tells the truth about writing: a database that cannot be
//! written (a read-only file, a server started while the file was
//! immutable, a full disk) is not ready, commands get 503 and write
//! nothing, and the server recovers by itself once the cause is gone.
//! SQLite only: these are the embedded file's failure modes.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use granttrail_e2e::{Client, Server, seed_commands};

/// `chattr +i` on a file for as long as it lives; lifted on drop, so a
/// failing test leaves nothing its temporary directory cannot remove.
struct Immutable(PathBuf);

impl Immutable {
    fn set(path: &Path) -> Immutable {
        let done = Command::new("chattr").arg("+i").arg(path).status().unwrap();
        assert!(done.success(), "chattr +i {} (needs root)", path.display());
        Immutable(path.to_owned())
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

fn with_suffix(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Signs a new project (without a code, so any number can be signed).
async fn sign(client: &Client) -> u16 {
    let mut body = seed_commands()[0].1.clone();
    body.as_object_mut().unwrap().remove("code");
    client.post("/api/v1/projects", &body, None).await.status
}

async fn ready(client: &Client) -> (u16, String) {
    let answer = client.get("/readyz").await;
    (answer.status, answer.text)
}

#[tokio::test]
async fn a_wal_that_cannot_be_written_makes_the_server_unready_until_it_can() {
    let server = Server::start();
    let Some(file) = server.sqlite_file() else {
        return;
    };
    let staff = Client::new(&server, &server.token("staff", None));
    assert_eq!(sign(&staff).await, 201);
    let frozen = Immutable::set(&with_suffix(&file, "-wal"));
    assert_eq!(sign(&staff).await, 503);
    let (status, text) = ready(&staff).await;
    assert_eq!(status, 503, "{text}");
    assert!(text.contains("cannot be written"), "{text}");
    drop(frozen);
    // The probe runs at most once a second: ask until it has run again.
    let recovered = wait_until_ready(&staff).await;
    assert!(recovered, "still not ready once the file is writable");
    assert_eq!(sign(&staff).await, 201);
    let list = staff.get("/api/v1/projects").await;
    assert_eq!(list.status, 200, "{}\n{}", list.text, server.log());
    assert_eq!(
        list.json["items"].as_array().unwrap().len(),
        2,
        "{}",
        list.text
    );
}

/// Asks /readyz until it answers 200 (true) or 20 s passed (false).
async fn wait_until_ready(client: &Client) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        if ready(client).await.0 == 200 {
            return true;
        }
        tokio::task::yield_now().await;
    }
    false
}

#[tokio::test]
async fn a_server_started_on_an_immutable_file_is_not_ready_and_recovers_without_a_restart() {
    let mut server = Server::start();
    let Some(file) = server.sqlite_file() else {
        return;
    };
    let token = server.token("staff", None);
    server.kill();
    let frozen = Immutable::set(&file);
    server.restart();
    let staff = Client::new(&server, &token);
    let (status, text) = ready(&staff).await;
    assert_eq!(status, 503, "{text}");
    assert_eq!(sign(&staff).await, 503);
    drop(frozen);
    assert!(wait_until_ready(&staff).await, "still not ready");
    assert_eq!(sign(&staff).await, 201, "{}", server.log());
}

/// A small tmpfs mounted for as long as it lives.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(at: &Path, size: &str) -> SmallDisk {
        std::fs::create_dir_all(at).unwrap();
        let done = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .unwrap();
        assert!(
            done.success(),
            "mount tmpfs at {} (needs root)",
            at.display()
        );
        SmallDisk(at.to_owned())
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test]
async fn a_full_disk_makes_the_server_unready_until_there_is_room() {
    if std::env::var("GRANTTRAIL_TEST_BACKEND").as_deref() == Ok("postgres") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let disk = SmallDisk::mount(&dir.path().join("disk"), "4m");
    let database = format!("sqlite://{}", disk.0.join("g.db").display());
    let server = Server::start_on(dir, database);
    let staff = Client::new(&server, &server.token("staff", None));
    assert_eq!(sign(&staff).await, 201);
    // Fill the disk to the last byte.
    let filler = disk.0.join("filler");
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 * 1024];
        while file.write_all(&block).is_ok() {}
        let mut byte = [0u8; 1];
        while file.write_all(&byte).is_ok() {
            byte[0] = 1;
        }
    }
    // Commands until one needs the room that is gone; none is acknowledged
    // falsely (a 201 is a commit), and from the first 503 on readiness
    // says why.
    let mut refused = false;
    for _ in 0..200 {
        match sign(&staff).await {
            201 => continue,
            503 => {
                refused = true;
                break;
            }
            other => panic!("a full disk answered {other}"),
        }
    }
    assert!(refused, "200 commands fitted on a full disk");
    let (status, text) = ready(&staff).await;
    assert_eq!(status, 503, "{text}");
    std::fs::remove_file(&filler).unwrap();
    assert!(wait_until_ready(&staff).await, "still not ready with room");
    assert_eq!(sign(&staff).await, 201);
    drop(server);
}
