//! # granttrail: the binary
//!
//! Wires the crates together: reads the layered configuration, sets up
//! telemetry once, opens the backend named by `--database`, and runs one
//! subcommand. This is the only crate that knows which backend runs.
//!
//! Logs go to stderr, so `granttrail token create` prints only the token
//! on stdout.

mod commands;
mod evidence;
mod settings;
mod users;
mod wiring;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The server allocates and frees many small JSON values per request from
/// several threads at once; glibc's allocator spent a quarter of the CPU
/// of a command load in malloc and free (see docs/benchmarks.md), mimalloc
/// a fraction of that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// granttrail: the lifecycle of foundation-funded projects as hash-chained
/// event streams.
#[derive(Debug, Parser)]
#[command(name = "granttrail", version, about)]
struct Cli {
    /// Database URL, e.g. sqlite://data/granttrail.db or postgres://…
    #[arg(long, global = true, env = "GRANTTRAIL_DATABASE")]
    database: Option<String>,
    /// A configuration file layered over config/default.toml.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API (creates and migrates the database if needed).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080.
        #[arg(long, env = "GRANTTRAIL_LISTEN")]
        listen: Option<String>,
    },
    /// Manage bearer tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Manage users: the people behind tokens, recorded as the actors.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Replay a fixture of commands (such as the seed project) through the
    /// same command path as the API, as the operator.
    Import {
        /// A granttrail-fixture/1 JSON file (or, with --historical, a
        /// granttrail-history/1 file, or a bulk history sheet: CSV or XLSX
        /// as `granttrail history-template` writes it).
        file: PathBuf,
        /// The file is a project's past as recorded facts: rules a live
        /// command would be refused for become data-quality flags.
        #[arg(long)]
        historical: bool,
        /// With --historical: report every flag as JSON, write nothing.
        #[arg(long, requires = "historical")]
        dry_run: bool,
    },
    /// Write the bulk history sheet's template (CSV or XLSX, by the file's
    /// extension): one row per recorded fact, the source report's project
    /// as the example rows. Needs no database.
    HistoryTemplate {
        /// The file to write: NAME.csv or NAME.xlsx.
        file: PathBuf,
    },
    /// Print a project's timeline and its state at a point, read straight
    /// from the event store.
    Replay {
        /// The project id.
        project_id: String,
        /// State after this version.
        #[arg(long, conflicts_with_all = ["known_at", "as_of"])]
        version: Option<u64>,
        /// State as recorded at or before this RFC 3339 instant.
        #[arg(long, conflicts_with = "as_of")]
        known_at: Option<String>,
        /// State from events dated on or before this date.
        #[arg(long)]
        as_of: Option<String>,
    },
    /// Rebuild every projection from the events.
    Rebuild,
    /// Check every stream's hash chain (or, with --bundle, one export
    /// bundle offline); exit non-zero naming the first bad event or file.
    Verify {
        /// An export bundle to verify without any database.
        #[arg(long, conflicts_with = "against")]
        bundle: Option<PathBuf>,
        /// A checkpoint kept earlier (the signed note of GET
        /// /api/v1/log/checkpoint): prove today's log extends it and every
        /// event under it is unchanged.
        #[arg(long)]
        against: Option<PathBuf>,
        /// The key you trust: the log's verifier key (ORIGIN+KEYID+KEY, as
        /// `granttrail signing-key` prints it) or its Ed25519 public key
        /// (hex or base64).
        #[arg(long)]
        public_key: Option<PathBuf>,
        /// A witness that must have cosigned the checkpoint: its verifier
        /// key (NAME+KEYID+KEY) in a file. May be given more than once.
        #[arg(long)]
        require_cosigner: Vec<PathBuf>,
    },
    /// Cosign the log's newest checkpoint with a second key (the
    /// foundation's supervisor, a donor) after checking that the log only
    /// grew since the last checkpoint this key cosigned.
    Cosign {
        /// The cosigner's Ed25519 key (64 hex characters, the seed).
        #[arg(long)]
        key: PathBuf,
        /// The cosigner's name, e.g. supervisor.example.org.
        #[arg(long)]
        name: String,
        /// The log's verifier key (ORIGIN+KEYID+KEY) the checkpoint must be
        /// signed by.
        #[arg(long, required_unless_present = "init")]
        log_key: Option<PathBuf>,
        /// Make the key file (owner-only) and print its verifier key;
        /// cosign nothing.
        #[arg(long)]
        init: bool,
    },
    /// Write signed compliance bundles (zip).
    Export {
        /// The project id (or --all).
        project_id: Option<String>,
        /// Every project, one bundle each, into the --out directory.
        #[arg(long, conflicts_with = "project_id")]
        all: bool,
        /// The zip file (one project) or directory (--all).
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the key that signs bundles and checkpoints: its public key
    /// (hex), key ID, the log's verifier key to pin, and where it is kept.
    SigningKey {
        /// Make a new key; the old one is kept beside it (renamed with its
        /// key ID), and checkpoints and bundles it signed stay verifiable
        /// under it. Restart the servers afterwards.
        #[arg(long)]
        rotate: bool,
    },
    /// Write a consistent copy of the SQLite database to FILE while the
    /// server keeps serving (on PostgreSQL, use pg_dump).
    Backup {
        /// Where the copy goes; must not exist yet.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum UserAction {
    /// Add a user.
    Add {
        /// Stable id (ASCII letters, digits, '_', '-', '.'), recorded as
        /// the actor of everything the user does.
        #[arg(long)]
        id: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// The user's organisation (an executing organisation's staff).
        #[arg(long)]
        org: Option<String>,
    },
    /// List users.
    List,
    /// Disable a user: their tokens and sessions stop working.
    Disable {
        /// The user id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum TokenAction {
    /// Create a token and print it (and nothing else).
    Create {
        /// admin, staff, auditor or executor.
        #[arg(long)]
        role: String,
        /// Who holds it.
        #[arg(long)]
        name: String,
        /// The organisation of an executor token.
        #[arg(long)]
        org: Option<String>,
        /// When the token stops working (RFC 3339, e.g.
        /// 2027-06-30T00:00:00Z); without it, it works until revoked.
        #[arg(long)]
        expires_at: Option<String>,
        /// The user it belongs to (`granttrail user add`); without it, a
        /// new user named like the token is made for it.
        #[arg(long)]
        user: Option<String>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by id.
    Revoke {
        /// The token id.
        id: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let flags = settings::FlagOverrides {
        database: cli.database.clone(),
        listen: match &cli.command {
            Command::Serve { listen } => listen.clone(),
            _ => None,
        },
    };
    let settings = match settings::load(cli.config.as_deref(), &flags) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("granttrail: {message}");
            return ExitCode::from(2);
        }
    };
    wiring::init_telemetry(&settings);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("granttrail: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli.command, settings)) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("granttrail: {message}");
            ExitCode::FAILURE
        }
    }
}
