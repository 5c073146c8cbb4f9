//! A sheet reads into the history document its rows spell, and the
//! template reads back as the example it was written from.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use granttrail_history_sheet::{
    SheetError, history_from_sheet, is_sheet, template_csv, template_xlsx,
};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde_json::{Value, json};

const EXAMPLE: &str = include_str!("../../../tests/fixtures/source-history.json");

/// The example's projects as a sheet reads them: each fact with its row.
fn example_with_rows() -> Value {
    let mut example: Value = serde_json::from_str(EXAMPLE).unwrap();
    let mut row = 2;
    for project in example["projects"].as_array_mut().unwrap() {
        for fact in project["facts"].as_array_mut().unwrap() {
            fact["source"] = json!(format!("row {row}"));
            row += 1;
        }
    }
    example["projects"].clone()
}

#[test]
fn the_csv_template_reads_back_as_the_source_history() {
    let template = template_csv().unwrap();
    assert!(
        template.starts_with(b"\xEF\xBB\xBF"),
        "a BOM for spreadsheets"
    );
    assert!(is_sheet(&template));
    let history = history_from_sheet(&template).unwrap();
    assert_eq!(history["format"], "granttrail-history/1");
    assert_eq!(history["projects"], example_with_rows());
}

#[test]
fn the_xlsx_template_reads_back_as_the_source_history() {
    let template = template_xlsx().unwrap();
    assert!(is_sheet(&template));
    let history = history_from_sheet(&template).unwrap();
    assert_eq!(history["projects"], example_with_rows());
}

#[test]
fn a_json_document_is_not_a_sheet() {
    assert!(!is_sheet(
        b"\xEF\xBB\xBF  {\"format\": \"granttrail-history/1\"}"
    ));
    assert!(is_sheet("@project,@command\n".as_bytes()));
}

fn csv(text: &str) -> Result<Value, SheetError> {
    history_from_sheet(text.as_bytes())
}

const HEADER: &str = "@project,@command,@by.id,@by.name";

/// Why `text` is refused, in the words the import reports.
fn refusal(text: &str) -> String {
    csv(text).expect_err("a refusal").to_string()
}

#[test]
fn rows_group_into_projects_in_the_order_they_first_appear() {
    let history = csv(&format!(
        "{HEADER},code,period.start,indicators.0.target,communities\n\
         b,sign,u1,甲,B-1,2021-03-01,12,\"[\"\"x\"\",\"\"y\"\"]\"\n\
         ,,,,,,,\n\
         a,sign,u2,乙,\"\"\"2022\"\"\",,,\n\
         b,extend,u1,甲,,,,\n"
    ))
    .unwrap();
    assert_eq!(
        history["projects"],
        json!([
            {"ref": "b", "facts": [
                {"command": "sign", "by": {"id": "u1", "name": "甲"}, "source": "row 2",
                 "body": {"code": "B-1", "period": {"start": "2021-03-01"},
                          "indicators": [{"target": 12}], "communities": ["x", "y"]}},
                {"command": "extend", "by": {"id": "u1", "name": "甲"}, "source": "row 5", "body": {}}
            ]},
            {"ref": "a", "facts": [
                {"command": "sign", "by": {"id": "u2", "name": "乙"}, "source": "row 4",
                 "body": {"code": "2022"}}
            ]}
        ])
    );
}

#[test]
fn a_header_without_the_four_columns_is_refused() {
    assert_eq!(
        csv("@project,@by.id,@by.name,code\n"),
        Err(SheetError::MissingColumn("@command"))
    );
}

#[test]
fn columns_that_would_overwrite_each_other_are_refused() {
    for (header, said) in [
        ("code,code", "column 6: 'code' appears twice"),
        ("period,period.start", "also holds 'period.start'"),
        ("@note", "column 5: '@note' is not one of"),
        ("code,,title", "column 6: '' is blank"),
        ("period..start", "an empty step in its dotted path"),
    ] {
        let refused = refusal(&format!("{HEADER},{header}\n"));
        assert!(refused.contains(said), "{header}: {refused}");
    }
}

#[test]
fn a_row_is_refused_by_its_number_and_what_it_lacks() {
    let blank = csv(&format!("{HEADER},code\na,sign,u1,甲,X\n,sign,u1,甲,Y\n")).unwrap_err();
    assert_eq!(
        blank,
        SheetError::BadRow {
            row: 3,
            why: "its '@project' is blank".into()
        }
    );
    for (rows, said) in [
        ("a,sgn,u1,甲", "row 2: its @command 'sgn' is no command"),
        (
            "a,sign,u1,甲,stray",
            "row 2: has cells past the header's 4 columns",
        ),
        ("a,sign,,甲", "row 2: its '@by.id' is blank"),
    ] {
        let refused = refusal(&format!("{HEADER}\n{rows}\n"));
        assert!(refused.starts_with(said), "{rows}: {refused}");
    }
}

#[test]
fn cells_a_spreadsheet_typed_read_as_the_text_a_person_typed() {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, name) in [
        "@project",
        "@command",
        "@by.id",
        "@by.name",
        "signed_on",
        "indicators.0.target",
        "funding.amount",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, column as u16, *name).unwrap();
    }
    sheet.write_string(1, 0, "a").unwrap();
    sheet.write_string(1, 1, "sign").unwrap();
    sheet.write_string(1, 2, "u1").unwrap();
    sheet.write_string(1, 3, "甲").unwrap();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    sheet
        .write_datetime_with_format(1, 4, ExcelDateTime::from_ymd(2022, 5, 11).unwrap(), &date)
        .unwrap();
    sheet.write_number(1, 5, 50.0).unwrap();
    sheet.write_number(1, 6, 12.5).unwrap();
    let history = history_from_sheet(&workbook.save_to_buffer().unwrap()).unwrap();
    assert_eq!(
        history["projects"][0]["facts"][0]["body"],
        json!({"signed_on": "2022-05-11", "indicators": [{"target": 50}], "funding": {"amount": 12.5}})
    );
}

#[test]
fn a_damaged_workbook_is_named_as_one() {
    let mut bytes = template_xlsx().unwrap();
    bytes.truncate(bytes.len() / 2);
    let error = history_from_sheet(&bytes).unwrap_err();
    assert!(matches!(error, SheetError::Xlsx(_)), "{error}");
}
