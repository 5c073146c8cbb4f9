//! A CSV sheet: UTF-8 (a byte-order mark, as spreadsheets save it, is
//! skipped), comma-separated, the first record the header.

use crate::{SheetError, Table};

pub(crate) fn read(bytes: &[u8]) -> Result<Table, SheetError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut table = Table::default();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| SheetError::Csv(e.to_string()))?;
        let cells: Vec<String> = record.iter().map(str::to_owned).collect();
        if i == 0 {
            table.header = cells;
        } else {
            table.rows.push((i + 1, cells));
        }
    }
    if table.header.is_empty() {
        return Err(SheetError::NoHeader);
    }
    Ok(table)
}

/// `table` as CSV text, with a byte-order mark so that spreadsheet
/// programs open its Chinese text as UTF-8.
pub(crate) fn write(table: &Table) -> Result<Vec<u8>, SheetError> {
    let failed = |e: csv::Error| SheetError::Write(e.to_string());
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    writer.write_record(&table.header).map_err(failed)?;
    for (_, cells) in &table.rows {
        writer.write_record(cells).map_err(failed)?;
    }
    writer
        .into_inner()
        .map_err(|e| SheetError::Write(e.to_string()))
}
