//! A form field's name is the dotted JSON path of what it fills
//! (`executor.org_id`, `indicators.0.key`); this writes a value there.

use serde_json::{Map, Value};

/// Sets `value` at the dotted `path` of `into`, making objects and
/// arrays on the way (numeric segments index arrays).
pub(crate) fn put(into: &mut Value, path: &[&str], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        *into = value;
        return;
    };
    if let Ok(index) = first.parse::<usize>() {
        if !into.is_array() {
            *into = Value::Array(Vec::new());
        }
        if let Value::Array(items) = into {
            while items.len() <= index {
                items.push(Value::Object(Map::new()));
            }
            put(&mut items[index], rest, value);
        }
    } else {
        if !into.is_object() {
            *into = Value::Object(Map::new());
        }
        if let Value::Object(map) = into {
            put(map.entry(*first).or_insert(Value::Null), rest, value);
        }
    }
}
