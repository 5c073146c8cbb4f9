//! A cell's text as a JSON value, and a JSON value as a cell's text.

use serde_json::Value;

/// The value a cell holds: `None` when blank; the JSON it reads as, unless
/// that is a bare string; otherwise its text. Surrounding whitespace,
/// which spreadsheets add and people do not see, is dropped.
pub(crate) fn value_of(text: &str) -> Option<Value> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned())))
}

/// The cell text that reads back as `value` (a string that would read as
/// something else is written quoted).
pub(crate) fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) if value_of(s).as_ref() == Some(value) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_cell_is_text_unless_it_reads_as_json() {
        assert_eq!(value_of("  "), None);
        assert_eq!(value_of("红岩寺社区"), Some(json!("红岩寺社区")));
        assert_eq!(value_of("2022-05-11"), Some(json!("2022-05-11")));
        assert_eq!(value_of(" 50 "), Some(json!(50)));
        assert_eq!(value_of("true"), Some(json!(true)));
        assert_eq!(value_of("[\"a\",\"b\"]"), Some(json!(["a", "b"])));
        assert_eq!(value_of("\"007\""), Some(json!("007")));
        assert_eq!(value_of("007"), Some(json!("007")));
        assert_eq!(value_of("[注] 见附件"), Some(json!("[注] 见附件")));
    }

    #[test]
    fn a_value_written_as_a_cell_reads_back_as_itself() {
        for value in [
            json!("全龄友好"),
            json!("2022"),
            json!("true"),
            json!(" padded "),
            json!(""),
            json!(12),
            json!(2.5),
            json!(false),
            json!([]),
            json!({"a": 1}),
        ] {
            let text = text_of(&value);
            assert_eq!(value_of(&text), Some(value.clone()), "{text}");
        }
    }
}
