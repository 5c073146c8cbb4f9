//! The bulk history sheet: many projects' paper past as the rows of one
//! CSV or XLSX file, for foundations whose records live in spreadsheets.
//!
//! Each row is one recorded fact. Four columns say whose and what it is —
//! `@project` (the file's name for the project; its rows, in order, are
//! its history), `@command` (the command that would record the fact
//! today: `sign`, `extend`, …), `@by.id` and `@by.name` (who recorded it
//! then) — and every other column is a field of that command's body, named
//! by its dotted path (`period.start`, `indicators.0.target`). A blank cell
//! is an absent field; a cell that reads as JSON other than a bare string
//! (`50`, `true`, `["a","b"]`, `"007"` in quotes) is that value; any other
//! cell is text.
//!
//! [`history_from_sheet`] reads a sheet into the `granttrail-history/1`
//! document the JSON import takes, so a sheet is judged, flagged and
//! dry-run exactly like a JSON file; [`template_csv`] and
//! [`template_xlsx`] write the template, with the source report's project
//! as its example rows.

mod cell;
mod csv_file;
mod rows;
mod template;
mod xlsx_file;

pub use template::{template_csv, template_xlsx};

/// The column naming the project a row belongs to.
pub const PROJECT_COLUMN: &str = "@project";
/// The column naming the command that would record the fact today.
pub const COMMAND_COLUMN: &str = "@command";
/// The column with the id of the person who recorded the fact.
pub const BY_ID_COLUMN: &str = "@by.id";
/// The column with that person's name.
pub const BY_NAME_COLUMN: &str = "@by.name";

/// Why a sheet cannot be read. Rows are numbered as a spreadsheet shows
/// them: the header is row 1.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SheetError {
    /// Not a CSV file this reader can parse (not UTF-8, unbalanced quotes).
    #[error("not a readable CSV file: {0}")]
    Csv(String),
    /// Not an XLSX workbook this reader can open.
    #[error("not a readable XLSX workbook: {0}")]
    Xlsx(String),
    /// No header row.
    #[error("the sheet has no header row")]
    NoHeader,
    /// One of the four `@` columns is missing.
    #[error("the header has no '{0}' column")]
    MissingColumn(&'static str),
    /// A header cell that names no field.
    #[error("column {column}: '{name}' {why}")]
    BadColumn {
        /// 1-based.
        column: usize,
        /// The header cell.
        name: String,
        /// What is wrong with it.
        why: String,
    },
    /// The template could not be written.
    #[error("cannot write the template: {0}")]
    Write(String),
    /// A row that cannot be a fact.
    #[error("row {row}: {why}")]
    BadRow {
        /// 1-based, header included.
        row: usize,
        /// What is wrong with it.
        why: String,
    },
}

/// True when `bytes` look like a sheet rather than a JSON document: an
/// XLSX workbook (a zip), or text that does not open with `{`.
pub fn is_sheet(bytes: &[u8]) -> bool {
    if xlsx_file::is_xlsx(bytes) {
        return true;
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    text.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b != b'{')
}

/// Reads a sheet (XLSX if it is a zip, CSV otherwise) into a
/// `granttrail-history/1` document: projects in the order they first
/// appear, each fact with the row it came from (`"source": "row 7"`).
pub fn history_from_sheet(bytes: &[u8]) -> Result<serde_json::Value, SheetError> {
    let table = if xlsx_file::is_xlsx(bytes) {
        xlsx_file::read(bytes)?
    } else {
        csv_file::read(bytes)?
    };
    rows::history_from_table(&table)
}

/// A sheet as text cells: its header, and each row with its number.
#[derive(Debug, Default)]
pub(crate) struct Table {
    pub(crate) header: Vec<String>,
    pub(crate) rows: Vec<(usize, Vec<String>)>,
}
