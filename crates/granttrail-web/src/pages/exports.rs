//! Exporting every project at once, in the background, with progress: the
//! signed bundle of each project (docs/verifying.md) in one zip, and a
//! list of any project whose history could not be read (never left out
//! silently). The page shows how far the export is (refreshing itself, so
//! no script is needed) and offers the zip when it is done.
//!
//! Jobs live in this server's memory and are seen only by the session
//! that started them; a restart forgets them (their files are removed
//! when they are forgotten).

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Form;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use granttrail_app::permissions::{Action, permits};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use minijinja::context;
use uuid::Uuid;

use crate::WebState;
use crate::pages::error_page;
use crate::pages::login::CsrfForm;
use crate::render;
use crate::session::Viewer;

/// How many finished jobs a server keeps (with their files).
const KEPT: usize = 8;

/// One export of every project.
pub(crate) struct ExportJob {
    id: Uuid,
    /// The session that started it: the only one that sees it.
    session: Uuid,
    total: usize,
    done: AtomicUsize,
    file: PathBuf,
    /// `None` while running; then whether it finished, or why not.
    outcome: Mutex<Option<Result<(), String>>>,
    unreadable: AtomicUsize,
}

impl Drop for ExportJob {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.file);
    }
}

/// The jobs of this server.
#[derive(Clone, Default)]
pub struct ExportJobs(Arc<Mutex<Vec<Arc<ExportJob>>>>);

impl ExportJobs {
    fn add(&self, job: Arc<ExportJob>) {
        if let Ok(mut jobs) = self.0.lock() {
            jobs.push(job);
            let finished = |j: &Arc<ExportJob>| j.outcome.lock().is_ok_and(|o| o.is_some());
            while jobs.iter().filter(|j| finished(j)).count() > KEPT {
                if let Some(oldest) = jobs.iter().position(finished) {
                    jobs.remove(oldest);
                }
            }
        }
    }

    fn of(&self, session: Uuid) -> Vec<Arc<ExportJob>> {
        self.0
            .lock()
            .map(|jobs| {
                jobs.iter()
                    .filter(|j| j.session == session)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    fn find(&self, session: Uuid, id: &str) -> Option<Arc<ExportJob>> {
        let id: Uuid = id.parse().ok()?;
        self.of(session).into_iter().find(|j| j.id == id)
    }
}

fn described(job: &ExportJob) -> minijinja::Value {
    let outcome = job.outcome.lock().ok().and_then(|o| o.clone());
    context! {
        id => job.id.to_string(),
        total => job.total,
        done => job.done.load(Ordering::Relaxed),
        unreadable => job.unreadable.load(Ordering::Relaxed),
        finished => matches!(outcome, Some(Ok(()))),
        failed => match outcome { Some(Err(why)) => Some(why), _ => None },
    }
}

/// `GET /ui/exports`.
pub(crate) async fn page(State(state): State<WebState>, viewer: Viewer) -> Response {
    if let Err(error) = permits(&viewer.caller, Action::ExportEveryProject) {
        return error_page(viewer.lang, Some(&viewer), &error);
    }
    let jobs: Vec<_> = state
        .exports
        .of(viewer.session.id)
        .iter()
        .map(|j| described(j))
        .collect();
    let lang = viewer.lang;
    let base = render::base(
        lang,
        Some(&viewer),
        "/ui/exports",
        lang.text("exports_title"),
    );
    render::page(
        StatusCode::OK,
        "exports.html",
        base,
        context! { jobs => jobs, job => () },
    )
}

/// `POST /ui/exports`: starts exporting every project the viewer may see.
pub(crate) async fn start(
    State(state): State<WebState>,
    viewer: Viewer,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(refusal) = viewer.refuse_form(&headers, form.csrf.as_deref()) {
        return refusal;
    }
    let ids = match state.app.project_ids(&viewer.caller).await {
        Ok(ids) => ids,
        Err(error) => return error_page(viewer.lang, Some(&viewer), &error),
    };
    let id = Uuid::now_v7();
    let job = Arc::new(ExportJob {
        id,
        session: viewer.session.id,
        total: ids.len(),
        done: AtomicUsize::new(0),
        file: std::env::temp_dir().join(format!("granttrail-export-{id}.zip")),
        outcome: Mutex::new(None),
        unreadable: AtomicUsize::new(0),
    });
    state.exports.add(job.clone());
    let app = state.app.clone();
    let caller = viewer.caller.clone();
    tokio::spawn(async move {
        let result = write_all(&app, &caller, &ids, &job).await;
        if let Err(why) = &result {
            tracing::error!(job = %job.id, %why, "an export of every project failed");
        }
        if let Ok(mut outcome) = job.outcome.lock() {
            *outcome = Some(result);
        }
    });
    Redirect::to(&format!("/ui/exports/{id}")).into_response()
}

/// Writes every project's bundle into the job's zip, one at a time.
async fn write_all(
    app: &granttrail_app::App,
    caller: &granttrail_app::Caller,
    ids: &[Uuid],
    job: &ExportJob,
) -> Result<(), String> {
    let file = std::fs::File::create(&job.file).map_err(|e| format!("creating the file: {e}"))?;
    let zip: SharedZip = Arc::new(Mutex::new(Some(zip::ZipWriter::new(file))));
    let mut unreadable = String::from("project_id,problem\n");
    for id in ids {
        match app.export(caller, *id).await {
            Ok(bytes) => write_entry(&zip, format!("granttrail-{id}.zip"), bytes, false).await?,
            // Named, never left out: the project an auditor most needs.
            Err(error) => {
                unreadable.push_str(&format!("{id},{}\n", problem_code(&error)));
                job.unreadable.fetch_add(1, Ordering::Relaxed);
            }
        }
        job.done.fetch_add(1, Ordering::Relaxed);
    }
    write_entry(&zip, "unreadable.csv".into(), unreadable.into_bytes(), true).await
}

/// The zip being written, shared with the blocking writes.
type SharedZip = Arc<Mutex<Option<zip::ZipWriter<std::fs::File>>>>;

/// Adds one file to the zip (off the async threads: it writes to disk),
/// and finishes the zip when `last`.
async fn write_entry(
    zip: &SharedZip,
    name: String,
    bytes: Vec<u8>,
    last: bool,
) -> Result<(), String> {
    let zip = zip.clone();
    tokio::task::spawn_blocking(move || {
        let mut guard = zip.lock().map_err(|_| "the zip was poisoned".to_owned())?;
        let writer = guard.as_mut().ok_or("the zip is closed")?;
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        writer
            .start_file(name, options)
            .and_then(|()| writer.write_all(&bytes).map_err(Into::into))
            .map_err(|e| format!("writing the zip: {e}"))?;
        if last {
            let writer = guard.take().ok_or("the zip is closed")?;
            writer
                .finish()
                .map_err(|e| format!("finishing the zip: {e}"))?;
        }
        Ok(())
    })
    .await
    .map_err(|e| e.to_string())?
}

/// The problem code the API would answer for `error`.
fn problem_code(error: &granttrail_app::AppError) -> &'static str {
    use granttrail_app::AppError;
    match error {
        AppError::IntegrityFailed { .. } => "integrity-failed",
        AppError::Corrupt(_) => "history-unreadable",
        AppError::CorruptRow { .. } => "stored-row-unreadable",
        AppError::RenderFailed { .. } => "render-failed",
        AppError::NotFound => "not-found",
        _ => "unavailable",
    }
}

/// The viewer's own job named `id`; any other is not found.
fn job_of(state: &WebState, viewer: &Viewer, id: &str) -> Result<Arc<ExportJob>, Box<Response>> {
    state.exports.find(viewer.session.id, id).ok_or_else(|| {
        Box::new(error_page(
            viewer.lang,
            Some(viewer),
            &granttrail_app::AppError::NotFound,
        ))
    })
}

/// `GET /ui/exports/{job}`: how far it is; refreshes itself while it runs.
pub(crate) async fn progress(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(job): Path<String>,
) -> Response {
    let job = match job_of(&state, &viewer, &job) {
        Ok(job) => job,
        Err(page) => return *page,
    };
    let lang = viewer.lang;
    let described = described(&job);
    let running = job.outcome.lock().map(|o| o.is_none()).unwrap_or(false);
    let base = render::base(
        lang,
        Some(&viewer),
        &format!("/ui/exports/{}", job.id),
        lang.text("exports_title"),
    );
    let base = context! { refresh => running, ..base };
    render::page(
        StatusCode::OK,
        "exports.html",
        base,
        context! { job => described, jobs => () },
    )
}

/// `GET /ui/exports/{job}/download`: the zip, once it is finished.
pub(crate) async fn download(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(job): Path<String>,
) -> Response {
    let job = match job_of(&state, &viewer, &job) {
        Ok(job) => job,
        Err(page) => return *page,
    };
    if !matches!(job.outcome.lock().map(|o| o.clone()), Ok(Some(Ok(())))) {
        return error_page(
            viewer.lang,
            Some(&viewer),
            &granttrail_app::AppError::NotFound,
        );
    }
    let file = match tokio::fs::File::open(&job.file).await {
        Ok(file) => file,
        Err(error) => {
            return error_page(
                viewer.lang,
                Some(&viewer),
                &granttrail_app::AppError::internal(format!("the export's file: {error}")),
            );
        }
    };
    // Streamed in pieces: an export of every project may be large.
    let chunks = futures_util::stream::unfold(file, |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut buffer = vec![0u8; 64 * 1024];
        match file.read(&mut buffer).await {
            Ok(0) => None,
            Ok(n) => {
                buffer.truncate(n);
                Some((Ok::<_, std::io::Error>(bytes_of(buffer)), file))
            }
            Err(error) => Some((Err(error), file)),
        }
    });
    let mut response = Body::from_stream(chunks).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"granttrail-all-{}.zip\"",
        job.id
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

fn bytes_of(buffer: Vec<u8>) -> axum::body::Bytes {
    axum::body::Bytes::from(buffer)
}
