//! Signing in (a token exchanged once for a session), signing out, and the
//! language switch.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderMap, StatusCode, header};
use minijinja::context;
use serde::Deserialize;

use crate::WebState;
use crate::i18n::{LANG_COOKIE, Lang, cookie};
use crate::render;
use crate::session::{
    FormRefusal, SESSION_COOKIE, Viewer, check_form, clear_cookie, over_tls, safe_back, set_cookie,
};

/// The sign-in form's own token (double-submit): a cookie set with the
/// form, which the post must repeat. There is no session yet to hold one.
const LOGIN_COOKIE: &str = "granttrail_login";

#[derive(Deserialize)]
pub(crate) struct LoginQuery {
    back: Option<String>,
    over: Option<String>,
}

/// `GET /ui/login`.
pub(crate) async fn form(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Response {
    let lang = Lang::of(&headers);
    login_page(
        &state,
        &headers,
        lang,
        query.back.as_deref(),
        query.over.is_some().then(|| lang.text("session_over")),
        StatusCode::OK,
    )
}

fn login_page(
    state: &WebState,
    headers: &HeaderMap,
    lang: Lang,
    back: Option<&str>,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    // Only has to be unguessable by another site.
    let token = hex::encode(rand::random::<[u8; 24]>());
    let here = format!(
        "/ui/login?back={}",
        crate::session::encode(&safe_back(back))
    );
    let mut base = render::base(lang, None, &here, lang.text("sign_in_title"));
    base = minijinja::context! { csrf => token.clone(), ..base };
    let mut response = render::page(
        status,
        "login.html",
        base,
        context! { error => error, back => safe_back(back) },
    );
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_COOKIE, &token, 3600, over_tls(state, headers)),
    );
    response
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    token: String,
    csrf: Option<String>,
    back: Option<String>,
}

/// `POST /ui/login`: exchanges the token for a session cookie.
pub(crate) async fn sign_in(
    State(state): State<WebState>,
    Query(query): Query<LoginQuery>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = Lang::of(&headers);
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if let Err(refusal) = check_form(&headers, form.csrf.as_deref(), &expected) {
        tracing::warn!(target: "granttrail::audit", ?refusal, "sign-in form refused");
        return login_page(
            &state,
            &headers,
            lang,
            query.back.as_deref(),
            Some(lang.text("form_refused")),
            StatusCode::FORBIDDEN,
        );
    }
    let back = safe_back(form.back.as_deref().or(query.back.as_deref()));
    match state
        .app
        .start_session(form.token.trim(), state.session_lifetime)
        .await
    {
        Ok(started) => {
            let mut response = Redirect::to(&back).into_response();
            let age = (started.record.expires_at - started.record.created_at).num_seconds();
            let headers_out = response.headers_mut();
            headers_out.append(
                header::SET_COOKIE,
                set_cookie(
                    SESSION_COOKIE,
                    &started.secret,
                    age,
                    over_tls(&state, &headers),
                ),
            );
            headers_out.append(header::SET_COOKIE, clear_cookie(LOGIN_COOKIE));
            response
        }
        Err(granttrail_app::AppError::Unauthenticated) => login_page(
            &state,
            &headers,
            lang,
            Some(&back),
            Some(lang.text("sign_in_refused")),
            StatusCode::UNAUTHORIZED,
        ),
        Err(other) => crate::pages::error_page(lang, None, &other),
    }
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    pub(crate) csrf: Option<String>,
}

/// `POST /ui/logout`: ends the session here and in the store.
pub(crate) async fn sign_out(
    State(state): State<WebState>,
    viewer: Viewer,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(refusal) = viewer.refuse_form(&headers, form.csrf.as_deref()) {
        return refusal;
    }
    if let Err(error) = state.app.end_session(&viewer.session).await {
        return crate::pages::error_page(viewer.lang, Some(&viewer), &error);
    }
    let mut response = Redirect::to("/ui/login").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, clear_cookie(SESSION_COOKIE));
    response
}

impl Viewer {
    /// The refusal page when a form post does not carry this session's
    /// form token or comes from another site; `None` when it may be read.
    pub(crate) fn refuse_form(&self, headers: &HeaderMap, sent: Option<&str>) -> Option<Response> {
        check_form(headers, sent, &self.session.form_token)
            .err()
            .map(|refusal| refused(self, refusal))
    }
}

/// A form post refused before it was read: nothing is written.
pub(crate) fn refused(viewer: &Viewer, refusal: FormRefusal) -> Response {
    tracing::warn!(target: "granttrail::audit", ?refusal, session_id = %viewer.session.id, "form refused");
    let lang = viewer.lang;
    let base = render::base(lang, Some(viewer), "/ui/projects", lang.text("error_title"));
    render::page(
        StatusCode::FORBIDDEN,
        "error.html",
        base,
        context! { detail => lang.text("form_refused"), signed_out => false },
    )
}

#[derive(Deserialize)]
pub(crate) struct BackQuery {
    back: Option<String>,
}

/// `GET /ui/language/{tag}`: remembers the choice and goes back.
pub(crate) async fn language(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(tag): Path<String>,
    Query(query): Query<BackQuery>,
) -> Response {
    let back = safe_back(query.back.as_deref());
    let mut response = Redirect::to(&back).into_response();
    if let Some(lang) = Lang::parse(&tag) {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(
                LANG_COOKIE,
                lang.tag(),
                365 * 24 * 3600,
                over_tls(&state, &headers),
            ),
        );
    }
    response
}
