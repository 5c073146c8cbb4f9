//! `granttrail user add|list|disable`: the operator manages the people
//! behind tokens.

use std::process::ExitCode;

use granttrail_app::{App, AppError, Caller};
use granttrail_store::format_instant;

use crate::UserAction;

pub(crate) async fn user(app: &App, action: UserAction) -> Result<ExitCode, String> {
    let operator = Caller::operator("granttrail user");
    match action {
        UserAction::Add { id, name, org } => {
            let user = app
                .add_user(&operator, &id, &name, org.as_deref())
                .await
                .map_err(|e| e.to_string())?;
            eprintln!("added user {} ({})", user.id, user.name);
        }
        UserAction::List => {
            for user in app.list_users(&operator).await.map_err(|e| e.to_string())? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    user.id,
                    user.name,
                    user.org_id.as_deref().unwrap_or("-"),
                    format_instant(&user.created_at),
                    user.disabled_at
                        .as_ref()
                        .map_or("enabled".to_owned(), |t| format!(
                            "disabled {}",
                            format_instant(t)
                        )),
                );
            }
        }
        UserAction::Disable { id } => {
            app.disable_user(&operator, &id)
                .await
                .map_err(|error| match error {
                    AppError::NotFound => format!("no enabled user {id}"),
                    other => format!("cannot disable {id}: {other}"),
                })?;
            eprintln!("disabled {id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
