//! One function per subcommand.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use granttrail_api::metrics::Metrics;
use granttrail_api::{ApiState, router};
use granttrail_app::{App, Caller, CommandRequest};
use granttrail_domain::{BusinessDate, CommandKind};
use granttrail_projections::PointInTime;
use granttrail_store::{Role, format_instant};
use serde_json::Value;
use uuid::Uuid;

use crate::evidence;
use crate::settings::Settings;
use crate::wiring;
use crate::{Command, TokenAction, UserAction};

/// Runs one subcommand; `Err` carries the message for stderr.
pub async fn run(command: Command, settings: Settings) -> Result<ExitCode, String> {
    // Offline: a bundle is verified without opening any database.
    if let Command::Verify {
        bundle: Some(bundle),
        public_key,
        require_cosigner,
        ..
    } = &command
    {
        return evidence::verify_bundle(bundle, public_key.as_deref(), require_cosigner);
    }
    if let Command::HistoryTemplate { file } = &command {
        return history_template(file);
    }
    if let Command::Cosign {
        key,
        name,
        init: true,
        ..
    } = &command
    {
        return evidence::cosigner_init(key, name);
    }
    let metrics = Arc::new(Metrics::new());
    // Only these may start a new database; the rest read (or change) one
    // that must exist, and say so when it does not.
    let opening = match &command {
        Command::Serve { .. }
        | Command::Import { .. }
        | Command::Token {
            action: TokenAction::Create { .. },
        }
        | Command::User {
            action: UserAction::Add { .. },
        } => wiring::Opening::CreateIfMissing,
        _ => wiring::Opening::MustExist,
    };
    let mut app = wiring::open(&settings, metrics.clone(), opening).await?;
    if matches!(
        command,
        Command::Serve { .. }
            | Command::Import { .. }
            | Command::Export { .. }
            | Command::SigningKey { .. }
    ) {
        // Every command that may sign (an import signs the checkpoint its
        // finalizations call for) signs with the one key auditors pinned.
        // A log that signed checkpoints must keep its key: a missing key is
        // an error then, never a reason to make a new one.
        let signed = app.has_checkpoints().await.map_err(|e| e.to_string())?;
        let (key, _) = wiring::signing_key(&settings, signed)?;
        app = app.with_signing_key(key);
    }
    // A test hook (tests/tests/projection_recovery.rs): not a setting,
    // never documented for operators.
    if let Some(steps) = std::env::var("GRANTTRAIL_TEST_PAUSE_PROJECTION_AFTER_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        app = app.with_projection_pause_after(steps);
    }
    match command {
        Command::Serve { .. } => serve(app, metrics, &settings).await,
        Command::Token { action } => token(&app, action, &settings).await,
        Command::User { action } => crate::users::user(&app, action).await,
        Command::Import {
            file,
            historical: true,
            dry_run,
        } => import_historical(&app, &file, dry_run).await,
        Command::Import { file, .. } => import(&app, &file).await,
        Command::Replay {
            project_id,
            version,
            known_at,
            as_of,
        } => replay(&app, &project_id, version, known_at, as_of).await,
        Command::Rebuild => rebuild(&app).await,
        // Answered above, before any database is opened.
        Command::HistoryTemplate { file } => history_template(&file),
        Command::Verify {
            against: Some(checkpoint),
            public_key,
            require_cosigner,
            ..
        } => {
            evidence::verify_against(&app, &checkpoint, public_key.as_deref(), &require_cosigner)
                .await
        }
        Command::Cosign {
            key, name, log_key, ..
        } => evidence::cosign(&app, &key, &name, log_key.as_deref()).await,
        Command::Verify { .. } => evidence::verify(&app).await,
        Command::Export {
            project_id,
            all,
            out,
        } => export(&app, project_id, all, &out).await,
        Command::Backup { file } => {
            wiring::backup(&settings, &file).await?;
            println!("{}", file.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::SigningKey { rotate } => evidence::signing_key(&app, &settings, rotate).await,
    }
}

async fn serve(app: App, metrics: Arc<Metrics>, settings: &Settings) -> Result<ExitCode, String> {
    if !app.has_admin_token().await.map_err(|e| e.to_string())? {
        // The whole command, with the database this server uses, so that
        // the token lands where the server looks for it.
        let command = format!(
            "granttrail --database '{}' token create --role admin --name \"your name\"",
            wiring::shown(settings)
        );
        tracing::warn!(
            %command,
            "no admin token exists yet; every /api/v1 route needs a token. Create the first one with: {command}"
        );
    }
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let projector = {
        let app = app.clone();
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            app.run_projections(async move {
                let _ = stopped.wait_for(|s| *s).await;
            })
            .await
        })
    };
    let logger = {
        let app = app.clone();
        let mut stopped = stopped.clone();
        let interval = Duration::from_secs(settings.checkpoint_interval_seconds.max(1));
        tokio::spawn(async move {
            app.run_log(interval, async move {
                let _ = stopped.wait_for(|s| *s).await;
            })
            .await
        })
    };
    let max_lag = settings.projection_max_lag;
    let lagging = app.clone();
    let web = granttrail_web::WebState {
        app: app.clone(),
        session_lifetime: chrono::Duration::hours(settings.session_hours.clamp(1, 24 * 30) as i64),
        secure_cookies: settings.session_cookie_secure,
        exports: Default::default(),
    };
    let mut state = ApiState::new(app, metrics);
    state.heartbeat = Duration::from_secs(settings.sse_heartbeat_seconds.max(1));
    state.token_recheck = Duration::from_secs(settings.sse_token_recheck_seconds.max(1));
    state.readiness = Arc::new(move || {
        if let Some(stuck) = lagging.projection_stuck() {
            return Some(stuck.to_string());
        }
        let behind = lagging.projection_behind();
        (behind > max_lag).then(|| format!("the project list is {behind} events behind the log"))
    });
    tracing::info!(%address, "granttrail listening");
    eprintln!("granttrail listening on http://{address}");

    let grace = Duration::from_secs(settings.shutdown_grace_seconds);
    let mut signalled = stopped.clone();
    let limits = granttrail_api::ConnectionLimits {
        header_read_timeout: Duration::from_secs(settings.header_read_timeout_seconds.max(1)),
        idle_timeout: Duration::from_secs(settings.idle_timeout_seconds.max(1)),
        max_connections: settings.max_connections.max(1),
    };
    // The web view beside the API: pages under /ui (and / sends there).
    let routes = router(state).merge(granttrail_web::router(web));
    let server = granttrail_api::serve(listener, routes, limits, async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight requests");
        let _ = stop.send(true);
    });
    tokio::select! {
        () = server => {},
        // Once the signal came, in-flight requests get `grace` to finish.
        _ = async {
            let _ = signalled.wait_for(|s| *s).await;
            tokio::time::sleep(grace).await;
        } => tracing::warn!("grace period over; exiting with requests still in flight"),
    }
    let _ = projector.await;
    let _ = logger.await;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
}

async fn token(app: &App, action: TokenAction, settings: &Settings) -> Result<ExitCode, String> {
    let operator = Caller::operator("granttrail token");
    match action {
        TokenAction::Create {
            role,
            name,
            org,
            expires_at,
            user,
        } => {
            let role = Role::parse(&role).ok_or_else(|| {
                format!("'{role}' is not a role (admin, staff, auditor, executor)")
            })?;
            let expires_at = expires_at
                .map(|t| {
                    chrono::DateTime::parse_from_rfc3339(&t)
                        .map(|t| t.with_timezone(&chrono::Utc))
                        .map_err(|_| format!("'{t}' is not an RFC 3339 instant"))
                })
                .transpose()?;
            let issued = app
                .create_token_for(
                    &operator,
                    user.as_deref(),
                    &name,
                    role,
                    org.as_deref(),
                    expires_at,
                )
                .await
                .map_err(|e| e.to_string())?;
            println!("{}", issued.secret);
            // stdout carries the secret alone; where it went, on stderr.
            eprintln!(
                "created {} token {} in {}",
                issued.record.role.as_str(),
                issued.record.id,
                wiring::shown(settings)
            );
        }
        TokenAction::List => {
            for token in app
                .list_tokens(&operator)
                .await
                .map_err(|e| e.to_string())?
            {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    token.id,
                    token.user_id,
                    token.role.as_str(),
                    token.org_id.as_deref().unwrap_or("-"),
                    token.name,
                    format_instant(&token.created_at),
                    token
                        .revoked_at
                        .as_ref()
                        .map_or("live".to_owned(), |t| format!(
                            "revoked {}",
                            format_instant(t)
                        )),
                );
            }
        }
        TokenAction::Revoke { id } => {
            let id: Uuid = id
                .parse()
                .map_err(|_| format!("'{id}' is not a token id"))?;
            // Only "there is no such live token" says so; a store that
            // fails says why.
            app.revoke_token(&operator, id)
                .await
                .map_err(|error| match error {
                    granttrail_app::AppError::NotFound => format!("no live token {id}"),
                    other => format!("cannot revoke {id}: {other}"),
                })?;
            eprintln!("revoked {id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the bulk history sheet's template, CSV or XLSX by extension.
fn history_template(file: &std::path::Path) -> Result<ExitCode, String> {
    let extension = file
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let bytes = match extension.as_deref() {
        Some("csv") => granttrail_history_sheet::template_csv(),
        Some("xlsx") => granttrail_history_sheet::template_xlsx(),
        _ => {
            return Err(format!(
                "{} is neither NAME.csv nor NAME.xlsx",
                file.display()
            ));
        }
    }
    .map_err(|e| e.to_string())?;
    std::fs::write(file, bytes).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    eprintln!("wrote {}", file.display());
    Ok(ExitCode::SUCCESS)
}

async fn import_historical(
    app: &App,
    file: &std::path::Path,
    dry_run: bool,
) -> Result<ExitCode, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let report = app
        .import_history(
            &Caller::operator("granttrail import --historical"),
            &bytes,
            &name,
            dry_run,
        )
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "{}",
        serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
    );
    Ok(ExitCode::SUCCESS)
}

async fn import(app: &App, file: &std::path::Path) -> Result<ExitCode, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let fixture: Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", file.display()))?;
    if fixture["format"] != "granttrail-fixture/1" {
        return Err(format!(
            "{} is not a granttrail-fixture/1 file",
            file.display()
        ));
    }
    let Some(projects) = fixture["projects"].as_array() else {
        return Err(format!("{} has no \"projects\" to import", file.display()));
    };
    let operator = Caller::operator("granttrail import");
    for project in projects {
        let reference = project["ref"].as_str().unwrap_or("?");
        let id = Uuid::now_v7();
        let mut version = None;
        let mut stage = String::new();
        for (n, step) in project["commands"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let kind: CommandKind = serde_json::from_value(step["command"].clone())
                .map_err(|e| format!("{reference} command {n}: {e}"))?;
            let command = kind
                .read_body(&step["body"])
                .map_err(|e| format!("{reference} command {n} ({kind}): {e}"))?;
            let response = app
                .execute(
                    &operator,
                    CommandRequest {
                        project_id: id,
                        command,
                        if_match: version,
                        idempotency: None,
                        correlation_id: Uuid::now_v7(),
                        causation_id: None,
                    },
                )
                .await
                .map_err(|e| format!("{reference} command {n} ({kind}) was refused: {e}"))?;
            let state: Value = serde_json::from_str(&response.body).map_err(|e| e.to_string())?;
            version = state["version"].as_u64();
            stage = state["stage"].as_str().unwrap_or("").to_owned();
        }
        println!(
            "{reference}\t{id}\t{stage}\tversion {}",
            version.unwrap_or(0)
        );
    }
    app.catch_up_projections()
        .await
        .map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

async fn replay(
    app: &App,
    project_id: &str,
    version: Option<u64>,
    known_at: Option<String>,
    as_of: Option<String>,
) -> Result<ExitCode, String> {
    let id: Uuid = project_id
        .parse()
        .map_err(|_| format!("'{project_id}' is not a project id"))?;
    let point = match (version, known_at, as_of) {
        (Some(v), _, _) => PointInTime::Version(v),
        (_, Some(t), _) => PointInTime::KnownAt(
            chrono::DateTime::parse_from_rfc3339(&t)
                .map_err(|_| format!("'{t}' is not an RFC 3339 instant"))?
                .with_timezone(&chrono::Utc),
        ),
        (_, _, Some(d)) => PointInTime::AsOf(BusinessDate::parse(&d)?),
        _ => PointInTime::Latest,
    };
    let auditor = Caller::operator("granttrail replay");
    let events = app.events(&auditor, id).await.map_err(|e| e.to_string())?;
    println!("timeline of project {id} ({} events)", events.len());
    for event in &events {
        let included = match point {
            PointInTime::Latest => true,
            PointInTime::Version(v) => event.version <= v,
            PointInTime::KnownAt(t) => event.recorded_at <= t,
            PointInTime::AsOf(d) => event.occurred_on <= d,
        };
        println!(
            "{} v{:<3} {}  recorded {}  {:<20} by {} ({})",
            if included { "*" } else { " " },
            event.version,
            event.occurred_on,
            format_instant(&event.recorded_at),
            event.event_type,
            event.actor.name,
            event.actor.role,
        );
    }
    let view = app
        .project(&auditor, id, point)
        .await
        .map_err(|e| e.to_string())?;
    println!("\nstate at {point} (events marked * applied):");
    println!(
        "{}",
        serde_json::to_string_pretty(&view).map_err(|e| e.to_string())?
    );
    Ok(ExitCode::SUCCESS)
}

async fn rebuild(app: &App) -> Result<ExitCode, String> {
    let on_terminal = std::io::stderr().is_terminal();
    let bar = indicatif::ProgressBar::new(0);
    if on_terminal {
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} positions ({per_sec}, eta {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
    } else {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let checkpoint = app
        .rebuild_projections(|done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            if !on_terminal {
                eprintln!("rebuild: {done}/{total}");
            }
        })
        .await
        .map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    eprintln!("rebuilt every projection up to position {checkpoint}");
    Ok(ExitCode::SUCCESS)
}

async fn export(
    app: &App,
    project_id: Option<String>,
    all: bool,
    out: &std::path::Path,
) -> Result<ExitCode, String> {
    let operator = Caller::operator("granttrail export");
    if !all {
        let raw = project_id.ok_or("give a project id or --all")?;
        let id: Uuid = raw
            .parse()
            .map_err(|_| format!("'{raw}' is not a project id"))?;
        let bytes = app.export(&operator, id).await.map_err(|e| e.to_string())?;
        std::fs::write(out, bytes).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        eprintln!("wrote {}", out.display());
        return Ok(ExitCode::SUCCESS);
    }
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let ids = app.store().stream_ids().await.map_err(|e| e.to_string())?;
    let bar = indicatif::ProgressBar::new(ids.len() as u64);
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    for (n, id) in ids.iter().enumerate() {
        let bytes = app
            .export(&operator, *id)
            .await
            .map_err(|e| format!("{id}: {e}"))?;
        let file = out.join(format!("granttrail-{id}.zip"));
        std::fs::write(&file, bytes)
            .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        bar.inc(1);
        if !std::io::stderr().is_terminal() {
            eprintln!("export: {}/{}", n + 1, ids.len());
        }
    }
    bar.finish_and_clear();
    eprintln!("wrote {} bundles into {}", ids.len(), out.display());
    Ok(ExitCode::SUCCESS)
}
