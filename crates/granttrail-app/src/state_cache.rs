//! Current states of recently used projects, kept folded and rendered.
//!
//! Reading a project's current state from the store means reading its
//! events, checking their hash chain and folding them, every time. A
//! state only changes when its stream gets a new version, so this cache
//! keeps each project's latest folded state (and its JSON) under the
//! version it was folded at, and serves it only while the stream's head is
//! still that version. The head comes from the store: from memory where
//! the store can vouch for it ([`granttrail_store::EventStore::known_head`]),
//! else from one small read. A state is never served older than a commit
//! that was acknowledged to anyone.
//!
//! Entries come from checked reads (the chain was verified before the
//! fold) and from commands this process appended (their events were
//! hashed on top of a checked state).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use granttrail_domain::{BusinessDate, Project};
use granttrail_projections::ProjectView;
use uuid::Uuid;

/// How many projects the cache holds at most.
pub(crate) const CAPACITY: usize = 4_096;

/// A project's current state, as served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurrentState {
    /// The `ETag`: the version, quoted.
    pub etag: String,
    /// The [`ProjectView`] as JSON text.
    pub json: Arc<str>,
}

/// One cached project.
#[derive(Clone)]
struct Entry {
    /// Who may see it (the executing organisation), judged before serving.
    org_id: String,
    project: Arc<Project>,
    /// The view rendered for one day (the overdue flag depends on it).
    rendered: Option<(BusinessDate, CurrentState)>,
}

/// The cache (see the module docs).
pub(crate) struct StateCache {
    entries: Mutex<HashMap<Uuid, Entry>>,
    capacity: usize,
}

impl StateCache {
    pub(crate) fn new(capacity: usize) -> StateCache {
        StateCache {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The state of `id` at `version`, rendered for `today`, if cached:
    /// the organisation that executes it and the state.
    pub(crate) fn get(
        &self,
        id: Uuid,
        version: u64,
        today: BusinessDate,
    ) -> Option<(String, CurrentState)> {
        let mut entries = self.lock();
        let entry = entries.get_mut(&id)?;
        if entry.project.version != version {
            return None;
        }
        let state = match &entry.rendered {
            Some((day, state)) if *day == today => state.clone(),
            _ => {
                let state = render(id, &entry.project, today)?;
                entry.rendered = Some((today, state.clone()));
                state
            }
        };
        Some((entry.org_id.clone(), state))
    }

    /// Remembers `project` as the state of `id`, unless a newer one is
    /// cached. Past capacity an arbitrary entry makes room: a miss costs
    /// one fold, and the cache never grows beyond its bound.
    pub(crate) fn put(&self, id: Uuid, project: Arc<Project>) {
        let mut entries = self.lock();
        if entries
            .get(&id)
            .is_some_and(|cached| cached.project.version >= project.version)
        {
            return;
        }
        if entries.len() >= self.capacity
            && !entries.contains_key(&id)
            && let Some(evicted) = entries.keys().next().copied()
        {
            entries.remove(&evicted);
        }
        entries.insert(
            id,
            Entry {
                org_id: project.executor.org_id.clone(),
                project,
                rendered: None,
            },
        );
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

/// The view of `project` on `today`, as JSON.
pub(crate) fn render(id: Uuid, project: &Project, today: BusinessDate) -> Option<CurrentState> {
    let view = ProjectView::new(id, project.clone(), today);
    let json = serde_json::to_string(&view).ok()?;
    Some(CurrentState {
        etag: view.etag(),
        json: json.into(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use granttrail_domain::{CommandKind, decide, evolve};

    use super::*;

    fn signed(version_bumps: u64) -> Project {
        let sign = CommandKind::Sign
            .read_body(serde_json::json!({
                "title": "t", "programme": "p", "funder": "f",
                "executor": {"org_id": "org-a", "name": "A"},
                "communities": ["c"], "applied_on": "2022-04-20", "signed_on": "2022-05-11",
                "period": {"start": "2022-05-11", "end": "2022-10-10"},
                "funding": {"matching_source": "m"}, "indicators": []
            }))
            .unwrap();
        let mut project = None;
        for event in decide(None, &sign).unwrap() {
            project = Some(evolve(project, &event).unwrap());
        }
        let mut project = project.unwrap();
        project.version += version_bumps;
        project
    }

    fn day(text: &str) -> BusinessDate {
        BusinessDate::parse(text).unwrap()
    }

    #[test]
    fn a_state_is_served_only_at_the_version_it_was_folded_at() {
        let cache = StateCache::new(10);
        let id = Uuid::now_v7();
        cache.put(id, Arc::new(signed(0)));
        let (org, state) = cache.get(id, 1, day("2022-06-01")).unwrap();
        assert_eq!(org, "org-a");
        assert_eq!(state.etag, "\"1\"");
        assert!(cache.get(id, 2, day("2022-06-01")).is_none());
    }

    #[test]
    fn an_older_state_never_replaces_a_newer_one() {
        let cache = StateCache::new(10);
        let id = Uuid::now_v7();
        cache.put(id, Arc::new(signed(1)));
        cache.put(id, Arc::new(signed(0)));
        assert!(cache.get(id, 2, day("2022-06-01")).is_some());
        assert!(cache.get(id, 1, day("2022-06-01")).is_none());
    }

    #[test]
    fn the_rendered_view_follows_the_day_it_is_asked_for() {
        let cache = StateCache::new(10);
        let id = Uuid::now_v7();
        cache.put(id, Arc::new(signed(0)));
        let before = cache.get(id, 1, day("2022-06-01")).unwrap().1;
        let after = cache.get(id, 1, day("2022-12-01")).unwrap().1;
        assert!(before.json.contains("\"overdue\":false"));
        assert!(after.json.contains("\"overdue\":true"));
    }

    #[test]
    fn the_cache_never_holds_more_than_its_capacity() {
        let cache = StateCache::new(3);
        for _ in 0..10 {
            cache.put(Uuid::now_v7(), Arc::new(signed(0)));
        }
        assert_eq!(cache.len(), 3);
    }
}
