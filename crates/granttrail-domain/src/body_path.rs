//! A field of a command body named by its dotted path
//! (`executor.org_id`, `indicators.0.key`): the web view's form fields and
//! the bulk history sheet's columns are named this way.

use serde_json::{Map, Value};

/// Sets `value` at the dotted `path` of `into`, making objects and
/// arrays on the way (numeric segments index arrays).
pub fn put_at(into: &mut Value, path: &[&str], value: Value) {
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
            put_at(&mut items[index], rest, value);
        }
    } else {
        if !into.is_object() {
            *into = Value::Object(Map::new());
        }
        if let Value::Object(map) = into {
            put_at(map.entry(*first).or_insert(Value::Null), rest, value);
        }
    }
}
