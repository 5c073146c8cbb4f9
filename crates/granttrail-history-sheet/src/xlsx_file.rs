//! An XLSX sheet: the worksheet named `history` (or else the first), its
//! first row the header. Cells typed by the spreadsheet program are turned
//! back into the text a person typed: a whole number without `.0`, a date
//! as `YYYY-MM-DD`.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use rust_xlsxwriter::{Format, Workbook};

use crate::{SheetError, Table};

/// The worksheet the template writes and the reader looks for first.
const SHEET: &str = "history";

/// A zip archive's signature (an XLSX workbook is one).
pub(crate) fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

fn text_of(cell: &Data, row: usize, column: usize) -> Result<String, SheetError> {
    Ok(match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(n) => n.to_string(),
        // 2^53: above it a float no longer holds every whole number.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => {
            format!("{}", *f as i64)
        }
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => match d.as_datetime() {
            Some(moment) if moment.time() == chrono::NaiveTime::MIN => {
                moment.date().format("%Y-%m-%d").to_string()
            }
            Some(moment) => moment.format("%Y-%m-%dT%H:%M:%S").to_string(),
            None => d.as_f64().to_string(),
        },
        Data::Error(e) => {
            return Err(SheetError::BadRow {
                row,
                why: format!("column {column} holds a spreadsheet error ({e})"),
            });
        }
    })
}

pub(crate) fn read(bytes: &[u8]) -> Result<Table, SheetError> {
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| SheetError::Xlsx(e.to_string()))?;
    let range = if workbook.sheet_names().iter().any(|n| n == SHEET) {
        workbook.worksheet_range(SHEET)
    } else {
        workbook
            .worksheet_range_at(0)
            .ok_or_else(|| SheetError::Xlsx("the workbook has no worksheet".into()))?
    }
    .map_err(|e| SheetError::Xlsx(e.to_string()))?;
    // The range starts at its first used cell; rows are numbered as the
    // spreadsheet shows them.
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    let first_column = range.start().map_or(0, |(_, column)| column as usize);
    let mut table = Table::default();
    for (i, cells) in range.rows().enumerate() {
        let row = first_row + i + 1;
        let mut texts = vec![String::new(); first_column];
        for (j, cell) in cells.iter().enumerate() {
            texts.push(text_of(cell, row, first_column + j + 1)?);
        }
        if i == 0 && first_row == 0 {
            table.header = texts;
        } else if i == 0 {
            return Err(SheetError::NoHeader);
        } else {
            table.rows.push((row, texts));
        }
    }
    if table.header.is_empty() {
        return Err(SheetError::NoHeader);
    }
    Ok(table)
}

/// `table` as a workbook: every cell written as text (so that a date stays
/// the text it was), the header bold and frozen, and a second worksheet
/// explaining the columns.
pub(crate) fn write(table: &Table, guide: &[&str]) -> Result<Vec<u8>, SheetError> {
    let failed = |e: rust_xlsxwriter::XlsxError| SheetError::Write(e.to_string());
    let mut workbook = Workbook::new();
    let text = Format::new().set_num_format("@");
    let bold = Format::new().set_bold().set_num_format("@");
    let sheet = workbook.add_worksheet();
    sheet.set_name(SHEET).map_err(failed)?;
    for (column, name) in table.header.iter().enumerate() {
        let column =
            u16::try_from(column).map_err(|_| SheetError::Write("too many columns".into()))?;
        sheet
            .write_string_with_format(0, column, name, &bold)
            .map_err(failed)?;
        sheet.set_column_format(column, &text).map_err(failed)?;
    }
    for (i, (_, cells)) in table.rows.iter().enumerate() {
        let row = u32::try_from(i + 1).map_err(|_| SheetError::Write("too many rows".into()))?;
        for (column, cell) in cells.iter().enumerate() {
            if !cell.is_empty() {
                let column = u16::try_from(column)
                    .map_err(|_| SheetError::Write("too many columns".into()))?;
                sheet
                    .write_string_with_format(row, column, cell, &text)
                    .map_err(failed)?;
            }
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(failed)?;
    let notes = workbook.add_worksheet();
    notes.set_name("guide").map_err(failed)?;
    for (row, line) in guide.iter().enumerate() {
        let row = u32::try_from(row).map_err(|_| SheetError::Write("too many lines".into()))?;
        notes.write_string(row, 0, *line).map_err(failed)?;
    }
    workbook.save_to_buffer().map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_holding_a_spreadsheet_error_refuses_its_row() {
        let error = text_of(&Data::Error(calamine::CellErrorType::Div0), 7, 3);
        assert_eq!(
            error.map_err(|e| e.to_string()),
            Err("row 7: column 3 holds a spreadsheet error (#DIV/0!)".into())
        );
        assert_eq!(text_of(&Data::Float(50.0), 2, 1), Ok("50".into()));
        assert_eq!(text_of(&Data::Float(12.5), 2, 1), Ok("12.5".into()));
    }
}
