//! Driver errors as store errors.

use granttrail_store::StoreError;

/// Maps a driver error to the store's error. Only unreachable or failing
/// storage ends up here; constraint violations are mapped where they are
/// expected, by their error kind.
pub fn unavailable(error: sqlx::Error) -> StoreError {
    match error {
        // A row that read back corrupt, carried through sqlx's error by
        // `corrupt`: its kind is kept, not turned into "unavailable".
        sqlx::Error::Decode(inner) => match inner.downcast::<StoreError>() {
            Ok(corrupt) => *corrupt,
            Err(other) => StoreError::unavailable(other.to_string()),
        },
        other => StoreError::unavailable(other.to_string()),
    }
}

/// Carries a store error through code that speaks sqlx's (a `FromRow`
/// that finds a row it cannot read); [`unavailable`] takes it out again.
pub fn corrupt(error: StoreError) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corrupt_row_carried_through_sqlx_keeps_its_kind() {
        let damaged = StoreError::CorruptRow {
            table: "tokens",
            key: "t-1".into(),
            reason: "unknown role".into(),
        };
        assert_eq!(unavailable(corrupt(damaged.clone())), damaged);
    }

    #[test]
    fn any_other_driver_error_is_unavailable() {
        assert!(matches!(
            unavailable(sqlx::Error::PoolTimedOut),
            StoreError::Unavailable(_)
        ));
    }
}
