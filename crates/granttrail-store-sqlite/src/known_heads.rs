//! Stream heads this process can vouch for without reading the database.
//!
//! The writer knows the head of every stream it commits to. That is the
//! head in the database too, unless another process (a second server on
//! the same file, a CLI import) committed since. Every writer of a file
//! therefore counts its commits in a small file beside it,
//! `DATABASE-commits`, after each commit and before acknowledging it. This
//! process remembers the count its own last commit left there: while the
//! file still says so, no other commit has been acknowledged since, and
//! the heads it remembers are the heads (a commit another process made
//! but has not counted yet is not acknowledged either, so a read may
//! order itself before it). Once the count moved under it, this process
//! forgets every head and asks the database, until its own next commit
//! finds the count where it left it again.
//!
//! Reading the count is one `pread` of 8 bytes; counting is a locked
//! read-modify-write. Writes to the file by other tools (the `sqlite3`
//! shell) are not counted: they are tampering, which `verify` reports.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use uuid::Uuid;

/// How many heads are remembered at most; past it they are forgotten.
const CAPACITY: usize = 100_000;

/// The commit count beside one database file.
enum Counter {
    /// An in-memory database: no other process can write it.
    Alone,
    File(File),
}

impl Counter {
    fn open(database: &Path) -> io::Result<Counter> {
        if database.as_os_str().is_empty() || database.as_os_str() == ":memory:" {
            return Ok(Counter::Alone);
        }
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create(true);
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(path_for(database)).map(Counter::File)
    }

    fn read(&self) -> io::Result<u64> {
        match self {
            Counter::Alone => Ok(0),
            Counter::File(file) => {
                let mut bytes = [0u8; 8];
                let read = file.read_at(&mut bytes, 0)?;
                Ok(if read == 8 {
                    u64::from_le_bytes(bytes)
                } else {
                    0
                })
            }
        }
    }

    /// Adds one commit; the count before it.
    fn count_one(&self) -> io::Result<u64> {
        match self {
            Counter::Alone => Ok(0),
            Counter::File(file) => {
                file.lock()?;
                let result = self.read().and_then(|before| {
                    file.write_at(&(before.wrapping_add(1)).to_le_bytes(), 0)?;
                    Ok(before)
                });
                file.unlock()?;
                result
            }
        }
    }
}

/// The counter's file for a database file.
pub(crate) fn path_for(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push("-commits");
    PathBuf::from(name)
}

/// What this process remembers.
#[derive(Default)]
struct Remembered {
    /// The count this process's last commit left, while it still knows
    /// every commit since (`None`: it does not).
    count: Option<u64>,
    heads: HashMap<Uuid, u64>,
}

/// The heads (see the module docs).
pub(crate) struct KnownHeads {
    counter: Counter,
    remembered: Mutex<Remembered>,
}

impl KnownHeads {
    pub(crate) fn open(database: &Path) -> io::Result<KnownHeads> {
        let counter = Counter::open(database)?;
        // Knowing no heads yet, this process knows every one of them
        // since now.
        let count = counter.read()?;
        Ok(KnownHeads {
            counter,
            remembered: Mutex::new(Remembered {
                count: Some(count),
                heads: HashMap::new(),
            }),
        })
    }

    fn remembered(&self) -> std::sync::MutexGuard<'_, Remembered> {
        self.remembered.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The head of `stream`, if this process can vouch for it.
    pub(crate) fn get(&self, stream: Uuid) -> Option<u64> {
        let count = self.counter.read().ok()?;
        let remembered = self.remembered();
        if remembered.count != Some(count) {
            return None;
        }
        remembered.heads.get(&stream).copied()
    }

    /// Whether no other process has counted a commit since this one's
    /// last (what the writer's own memory of the file relies on).
    pub(crate) fn alone_since_last_commit(&self) -> bool {
        let count = self.counter.read().ok();
        count.is_some() && self.remembered().count == count
    }

    /// Counts a commit of this process that moved `heads`; called after
    /// the commit and before anyone is told of it. True when no other
    /// process counted one since this process's previous commit. An error
    /// means other processes cannot learn of the commit, so it must not
    /// be acknowledged as if they could.
    pub(crate) fn committed(&self, heads: &[(Uuid, u64)]) -> io::Result<bool> {
        let mut remembered = self.remembered();
        let before = match self.counter.count_one() {
            Ok(before) => before,
            Err(error) => {
                *remembered = Remembered::default();
                return Err(error);
            }
        };
        let alone = remembered.count == Some(before);
        if !alone || remembered.heads.len() + heads.len() > CAPACITY {
            // Someone else committed since this process's last commit
            // (possibly to these very streams, after this commit): forget.
            remembered.heads.clear();
        } else {
            remembered.heads.extend(heads.iter().copied());
        }
        remembered.count = Some(before.wrapping_add(1));
        Ok(alone)
    }

    /// Forgets everything: a commit failed part-way, or its outcome is
    /// unknown.
    pub(crate) fn forget(&self) {
        *self.remembered() = Remembered::default();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn heads_are_vouched_for_only_while_no_other_process_committed() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("g.db");
        let ours = KnownHeads::open(&db).unwrap();
        let theirs = KnownHeads::open(&db).unwrap();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());

        assert!(ours.committed(&[(a, 1)]).unwrap());
        assert!(ours.alone_since_last_commit());
        assert_eq!(ours.get(a), Some(1));
        assert_eq!(ours.get(b), None, "never written here");

        theirs.committed(&[(b, 1)]).unwrap();
        assert_eq!(ours.get(a), None, "another process committed since");
        assert!(!ours.alone_since_last_commit());

        // Our next commit cannot know what the other one wrote: it
        // remembers nothing from before, and not even its own streams.
        assert!(!ours.committed(&[(a, 2)]).unwrap());
        assert_eq!(ours.get(a), None);
        ours.committed(&[(a, 3)]).unwrap();
        assert_eq!(ours.get(a), Some(3));
    }

    #[test]
    fn the_count_is_kept_beside_the_database_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("g.db");
        KnownHeads::open(&db).unwrap().committed(&[]).unwrap();
        let meta = std::fs::metadata(path_for(&db)).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(meta.len(), 8);
    }
}
